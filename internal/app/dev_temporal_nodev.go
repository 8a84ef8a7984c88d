//go:build nodev

package app

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"idflow/internal/config"
)

// ErrBuiltWithoutDev is what -dev answers in a binary built with the tag
// nodev (the production image), which has no embedded Temporal server.
var ErrBuiltWithoutDev = errors.New("this worker was built without -dev (tag nodev): run it against a Temporal server (TEMPORAL_ADDRESS), or use a build without the tag")

func startEmbeddedTemporal(context.Context, *config.Worker, string, *zap.Logger, *cleanupStack) (frontend, uiURL string, err error) {
	return "", "", ErrBuiltWithoutDev
}
