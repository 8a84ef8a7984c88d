package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"idflow/internal/config"
)

// gatewayTLS is the gateway's TLS configuration, or nil to serve plain
// HTTP (behind a TLS-terminating proxy). With a client CA, a client
// certificate is asked for and verified when given: it authenticates a
// wallet to the issuer API; the other routes keep their tokens.
func gatewayTLS(cfg config.Worker) (*tls.Config, error) {
	if cfg.GatewayTLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.GatewayTLSCert, cfg.GatewayTLSKey)
	if err != nil {
		return nil, fmt.Errorf("IDFLOW_GATEWAY_TLS_CERT / IDFLOW_GATEWAY_TLS_KEY: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.VDCClientCA != "" {
		pem, err := os.ReadFile(cfg.VDCClientCA)
		if err != nil {
			return nil, fmt.Errorf("IDFLOW_VDC_CLIENT_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("IDFLOW_VDC_CLIENT_CA: no PEM certificate in %s", cfg.VDCClientCA)
		}
		tc.ClientAuth, tc.ClientCAs = tls.VerifyClientCertIfGiven, pool
	}
	return tc, nil
}
