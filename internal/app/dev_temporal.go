//go:build !nodev

package app

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/devserver"
	"idflow/internal/temporalclient"
	"idflow/workflows/process"
)

// embedsTemporal: this build can run -dev.
const embedsTemporal = true

// startEmbeddedTemporal starts the Temporal server and UI that -dev embeds
// and returns the frontend's and the UI's addresses and the server's
// Server.SearchAttributesRegistered. A binary built with the tag nodev
// leaves them (and most of its size) out.
func startEmbeddedTemporal(ctx context.Context, cfg *config.Worker, gatewayURL string, log *zap.Logger, stack *cleanupStack) (
	frontend, uiURL string, registered func(added bool), err error,
) {
	srv, err := devserver.Start(devserver.Options{
		DatabaseFile: filepath.Join(cfg.DevDir, "temporal.db"),
		IP:           cfg.DevTemporalIP,
		FrontendPort: cfg.DevTemporalPort,
		UIPort:       cfg.DevUIPort,
		Namespace:    "default",
		Logger:       log,
		// The embedded UI decodes payloads through the gateway's codec endpoint.
		CodecEndpoint:    strings.TrimRight(gatewayURL, "/") + "/codec/" + cfg.CodecToken,
		SearchAttributes: temporalclient.SearchAttributeTypes(process.SearchAttributeKeys()),
	})
	if err != nil {
		return "", "", nil, err
	}
	stack.push("embedded temporal", srv.Stop)
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitReady(readyCtx); err != nil {
		return "", "", nil, err
	}
	return srv.FrontendAddress(), srv.UIURL(), srv.SearchAttributesRegistered, nil
}
