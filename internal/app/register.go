package app

import (
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"idflow/internal/store"
)

// dependencies are what activities need from the process.
type dependencies struct {
	store  *store.Store
	logger *zap.Logger
}

// register puts every workflow and activity on the worker.
func register(w worker.Registry, deps dependencies) {
}
