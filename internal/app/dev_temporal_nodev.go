//go:build nodev

package app

import (
	"context"

	"go.uber.org/zap"

	"idflow/internal/config"
)

// embedsTemporal: this build has no embedded Temporal server.
const embedsTemporal = false

func startEmbeddedTemporal(context.Context, *config.Worker, string, *zap.Logger, *cleanupStack) (
	frontend, uiURL string, registered func(added bool), err error,
) {
	return "", "", nil, ErrBuiltWithoutDev
}
