package app

import (
	"fmt"

	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	fnsacts "idflow/activities/fns"
	idngoacts "idflow/activities/idngo"
	mandarinacts "idflow/activities/mandarin"
	"idflow/internal/config"
	"idflow/internal/providers/fns"
	"idflow/internal/providers/idngo"
	"idflow/internal/providers/mandarin"
	"idflow/internal/store"
	"idflow/workflows"

	proofingacts "idflow/activities/proofing"
	retentionacts "idflow/activities/retention"

	"go.temporal.io/sdk/client"
)

// dependencies are what activities need from the process.
type dependencies struct {
	store  *store.Store
	logger *zap.Logger
	// publicURL is the gateway as providers reach it (callback URLs).
	publicURL string
	// fns is the FNS client, shared with the gateway; nil if not configured.
	fns *fns.Client
	// temporal is the worker's client (the retention reads close times).
	temporal client.Client
	// notifyProofings wakes the proofing status announcements; nil when off.
	notifyProofings func()
}

// register puts every workflow and activity on the worker.
func register(w worker.Registry, cfg config.Worker, deps dependencies) error {
	mandarinClient, err := newMandarinClient(cfg, deps.logger)
	if err != nil {
		return err
	}
	idngoClient, err := newIDnGOClient(cfg, deps.logger)
	if err != nil {
		return err
	}
	workflows.Register(w)
	mandarinacts.Register(w, &mandarinacts.Activities{Client: mandarinClient, Store: deps.store})
	idngoacts.Register(w, &idngoacts.Activities{Client: idngoClient, Store: deps.store})
	fnsacts.Register(w, &fnsacts.Activities{Client: deps.fns, Store: deps.store, CallbackBaseURL: deps.publicURL})
	retentionacts.Register(w, &retentionacts.Activities{Store: deps.store, Temporal: deps.temporal})
	proofingacts.Register(w, &proofingacts.Activities{Store: deps.store, Notify: deps.notifyProofings})
	return nil
}

// newFNSClient is nil, with a warning, when no credentials are set.
func newFNSClient(cfg config.Worker, log *zap.Logger) (*fns.Client, error) {
	if cfg.FNSBaseURL == "" {
		log.Warn("FNS not configured (IDFLOW_FNS_BASE_URL): FNS registration will fail with ProviderNotConfigured")
		return nil, nil
	}
	c, err := fns.New(fns.Config{BaseURL: cfg.FNSBaseURL, Auth: fns.AuthMode(cfg.FNSAuth),
		Partner: fns.Credentials{Username: cfg.FNSUsername, Password: cfg.FNSPassword}})
	if err != nil {
		return nil, fmt.Errorf("config: IDFLOW_FNS_BASE_URL: %w", err)
	}
	return c, nil
}

// newIDnGOClient is nil, with a warning, when no credentials are set.
func newIDnGOClient(cfg config.Worker, log *zap.Logger) (*idngo.Client, error) {
	if cfg.IDnGOBaseURL == "" {
		log.Warn("IDnGO not configured (IDFLOW_IDNGO_BASE_URL): KYC verification will fail with ProviderNotConfigured")
		return nil, nil
	}
	c, err := idngo.New(idngo.Config{BaseURL: cfg.IDnGOBaseURL, AppToken: cfg.IDnGOAppToken, SecretKey: cfg.IDnGOSecretKey})
	if err != nil {
		return nil, fmt.Errorf("config: IDFLOW_IDNGO_BASE_URL: %w", err)
	}
	return c, nil
}

// newMandarinClient is nil, with a warning, when no credentials are set.
func newMandarinClient(cfg config.Worker, log *zap.Logger) (*mandarin.Client, error) {
	if cfg.MandarinMerchantID == "" {
		log.Warn("Mandarin not configured (IDFLOW_MANDARIN_MERCHANT_ID): simplified identification will fail with ProviderNotConfigured")
		return nil, nil
	}
	c, err := mandarin.New(mandarin.Config{
		BaseURL: cfg.MandarinBaseURL, MerchantID: cfg.MandarinMerchantID, Secret: cfg.MandarinSecret,
	})
	if err != nil {
		return nil, fmt.Errorf("config: IDFLOW_MANDARIN_BASE_URL: %w", err)
	}
	return c, nil
}
