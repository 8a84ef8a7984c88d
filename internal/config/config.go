// Package config reads the worker's and the starter's settings from IDFLOW_*
// environment variables (go-envconfig) and checks them once, at start.
//
// The Temporal connection itself is configured by the ecosystem's own
// TEMPORAL_* variables (see go.temporal.io/sdk/contrib/envconfig), not here.
package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Prefix starts the name of every setting this project reads.
const Prefix = "IDFLOW_"

// DevTokenFile is the file under IDFLOW_DEV_DIR where `worker -dev` keeps its
// generated API token for the starter to find.
const DevTokenFile = "api-token"

// DevKeysFile holds the master key -dev generates (id:base64), kept
// with the dev state so that what it sealed stays readable.
const DevKeysFile = "encryption-keys"

// DevCodecTokenFile holds the token of the UI's codec endpoint under -dev.
const DevCodecTokenFile = "codec-token"

// DevVDCSecretFile holds the issuer API's shared secret under -dev.
const DevVDCSecretFile = "vdc-secret"

// DevFNSCAFile is the file under IDFLOW_DEV_DIR where `worker -dev` writes the
// FNS sandbox's test CA certificate (PEM): the certificates and signatures the
// sandbox issues chain to it (`openssl cms -verify -CAfile`, `starter fns ca`).
const DevFNSCAFile = "fns-sandbox-ca.pem"

// MinInboxRetention outlasts the providers' redeliveries (FNS: two days),
// so that a repeat still finds its first delivery and is not signalled again.
const MinInboxRetention = 72 * time.Hour

// DevIDnGOWebhookSecret is the IDnGO sandbox's webhook secret under
// `worker -dev` and `worker -sandboxes` (`starter bench --kind webhooks`
// signs with it unless IDFLOW_IDNGO_WEBHOOK_SECRET is set).
const DevIDnGOWebhookSecret = "idflow-dev-webhook-secret"

// minTokenLength is the shortest API token accepted outside -dev: a shorter
// one is guessable.
const minTokenLength = 16

// Worker holds every setting of the worker binary.
type Worker struct {
	// TaskQueue is the Temporal task queue the worker polls and the starter uses.
	TaskQueue string `env:"IDFLOW_TASK_QUEUE, default=idflow"`
	// DatabaseURL names the store: sqlite://PATH or postgres://...; empty
	// means a SQLite file in DevDir.
	DatabaseURL string `env:"IDFLOW_DATABASE_URL"`
	// HTTPAddr is where the gateway listens.
	HTTPAddr string `env:"IDFLOW_HTTP_ADDR, default=127.0.0.1:8080"`
	// DebugAddr, when set, is where Go's profiles (net/http/pprof) are
	// served, apart from the gateway and without its token.
	DebugAddr string `env:"IDFLOW_DEBUG_ADDR"`
	// APIToken is the bearer token the gateway's /v1 API requires; generated in -dev.
	APIToken string `env:"IDFLOW_API_TOKEN"`
	// DocumentMaxBytes bounds one uploaded document.
	DocumentMaxBytes int64 `env:"IDFLOW_DOCUMENT_MAX_BYTES, default=20971520"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"IDFLOW_LOG_LEVEL, default=info"`
	// LogFormat is json or console; -dev defaults to console.
	LogFormat string `env:"IDFLOW_LOG_FORMAT"`
	// ShutdownTimeout bounds the graceful stop after SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `env:"IDFLOW_SHUTDOWN_TIMEOUT, default=10s"`
	// WorkflowCacheSize bounds the workflows a worker keeps in memory
	// (Temporal's sticky cache, 10,000 by default): each costs ~80 KiB and
	// two goroutines, and one evicted is replayed when it wakes.
	WorkflowCacheSize int `env:"IDFLOW_WORKFLOW_CACHE_SIZE, default=2000"`
	// UIURL is the Temporal UI's address, used to print links.
	UIURL string `env:"IDFLOW_UI_URL, default=http://localhost:8233"`
	// EncryptionKeys are the master keys, "id:base64,id:base64" (32 bytes
	// each): they seal Temporal payloads and wrap the subjects' data keys.
	// Required outside -dev, which generates one into DevDir.
	EncryptionKeys string `env:"IDFLOW_ENCRYPTION_KEYS"`
	// EncryptionKeyID names the key new data is sealed with; the others
	// still open what they sealed (rotation). Default: the first key.
	EncryptionKeyID string `env:"IDFLOW_ENCRYPTION_KEY_ID"`
	// CodecCORSOrigins are the web origins (the Temporal UI's) allowed to
	// call the codec endpoint, comma-separated; -dev adds its embedded UI.
	CodecCORSOrigins []string `env:"IDFLOW_CODEC_CORS_ORIGINS"`
	// CodecToken opens the codec endpoint for the Temporal UI at
	// /codec/{token}/ (the UI sends no bearer token); -dev generates one.
	CodecToken string `env:"IDFLOW_CODEC_TOKEN"`
	// Retention, when set, erases a subject this long after its last
	// process ended (an hourly schedule); 0 keeps data until erased by hand.
	Retention time.Duration `env:"IDFLOW_RETENTION, default=0"`
	// InboxRetention is how long a webhook is kept in the inbox once it is
	// delivered or given up; 0 keeps every one.
	InboxRetention time.Duration `env:"IDFLOW_INBOX_RETENTION, default=720h"`

	// VDCSecret is the bearer token a wallet calls the issuer API
	// (/api/v1/vdc/) with; -dev generates one. The API is off when neither
	// it nor VDCClientCA is set.
	VDCSecret string `env:"IDFLOW_VDC_SECRET"`
	// VDCClientCA is a PEM file of the CAs whose client certificates
	// authenticate a wallet (mTLS); it needs the gateway on TLS.
	VDCClientCA string `env:"IDFLOW_VDC_CLIENT_CA"`
	// GatewayTLSCert and GatewayTLSKey (PEM files) make the gateway serve
	// HTTPS; unset, it serves HTTP (behind a TLS-terminating proxy).
	GatewayTLSCert string `env:"IDFLOW_GATEWAY_TLS_CERT"`
	GatewayTLSKey  string `env:"IDFLOW_GATEWAY_TLS_KEY"`
	// ProofingNotifyURL, when set, receives a signed announcement of every
	// proofing status change (the proofing id and a sequence number).
	ProofingNotifyURL string `env:"IDFLOW_PROOFING_NOTIFY_URL"`
	// ProofingNotifySecret signs the announcements (Standard Webhooks,
	// whsec_ and base64).
	ProofingNotifySecret string `env:"IDFLOW_PROOFING_NOTIFY_SECRET"`

	// MandarinBaseURL is Mandarin's API; https unless loopback.
	MandarinBaseURL string `env:"IDFLOW_MANDARIN_BASE_URL, default=https://secure.mandarinpay.com"`
	// MandarinMerchantID and MandarinSecret authenticate to Mandarin; unset
	// means simplified identification fails with ProviderNotConfigured (and
	// under -dev, that the sandbox is used).
	MandarinMerchantID string `env:"IDFLOW_MANDARIN_MERCHANT_ID"`
	MandarinSecret     string `env:"IDFLOW_MANDARIN_SECRET"`

	// IDnGOBaseURL is IDnGO's API; https unless loopback. Unset means KYC
	// fails with ProviderNotConfigured (and under -dev, that the sandbox is used).
	IDnGOBaseURL string `env:"IDFLOW_IDNGO_BASE_URL"`
	// IDnGOAppToken and IDnGOSecretKey sign requests to IDnGO.
	IDnGOAppToken  string `env:"IDFLOW_IDNGO_APP_TOKEN"`
	IDnGOSecretKey string `env:"IDFLOW_IDNGO_SECRET_KEY"`
	// IDnGOWebhookSecret checks X-Payload-Digest of IDnGO's webhooks.
	IDnGOWebhookSecret string `env:"IDFLOW_IDNGO_WEBHOOK_SECRET"`
	// IDnGOWebhookDigestAlg is the one X-Payload-Digest-Alg accepted: the
	// account's algorithm, so a sender cannot pick a weaker one.
	IDnGOWebhookDigestAlg string `env:"IDFLOW_IDNGO_WEBHOOK_DIGEST_ALG, default=HMAC_SHA256_HEX"`

	// FNSBaseURL is the FNS «Мобильная подпись» partner API; https unless
	// loopback. Unset means FNS registration fails with ProviderNotConfigured
	// (and under -dev, that the sandbox is used).
	FNSBaseURL string `env:"IDFLOW_FNS_BASE_URL"`
	// FNSUsername and FNSPassword are the partner (technical) account.
	FNSUsername string `env:"IDFLOW_FNS_USERNAME"`
	FNSPassword string `env:"IDFLOW_FNS_PASSWORD"`
	// FNSAuth is token (POST /api/rb/auth, then a token) or basic.
	FNSAuth string `env:"IDFLOW_FNS_AUTH, default=token"`
	// PublicURL is the gateway as providers reach it, for callback URLs
	// (FNS posts to PublicURL/webhooks/fns/{token}); empty means
	// http://IDFLOW_HTTP_ADDR.
	PublicURL string `env:"IDFLOW_PUBLIC_URL"`

	// DevDir holds the -dev state: databases, the generated token.
	DevDir string `env:"IDFLOW_DEV_DIR, default=.idflow"`
	// DevTemporalIP is the address the embedded Temporal frontend binds to.
	DevTemporalIP string `env:"IDFLOW_DEV_TEMPORAL_IP, default=127.0.0.1"`
	// DevTemporalPort is the embedded Temporal frontend's gRPC port.
	DevTemporalPort int `env:"IDFLOW_DEV_TEMPORAL_PORT, default=7233"`
	// DevUIPort is the embedded Temporal Web UI's port.
	DevUIPort int `env:"IDFLOW_DEV_UI_PORT, default=8233"`
	// DevSandboxURL, when set, is where another process (`worker
	// -sandboxes`) serves the provider sandboxes: -dev then starts none and
	// points the unconfigured providers there with the sandboxes' accounts.
	DevSandboxURL string `env:"IDFLOW_DEV_SANDBOX_URL"`
	Sandboxes
}

// Sandboxes holds the settings of the provider sandboxes, embedded under
// -dev or run alone by `worker -sandboxes`.
type Sandboxes struct {
	// DevSandboxAddr is where the provider sandboxes listen.
	DevSandboxAddr string `env:"IDFLOW_DEV_SANDBOX_ADDR, default=127.0.0.1:8090"`
	// DevSMEVDelay is how long the Mandarin sandbox's SMEV check takes.
	DevSMEVDelay time.Duration `env:"IDFLOW_DEV_SMEV_DELAY, default=20s"`
	// DevIDnGOReviewDelay is how long the IDnGO sandbox takes to review.
	DevIDnGOReviewDelay time.Duration `env:"IDFLOW_DEV_IDNGO_REVIEW_DELAY, default=10s"`
	// DevFNSDelay, when set, is how long each step of the FNS sandbox's
	// simulated SMEV checks and person takes (app installed, certificate
	// request, key, issue, signing); unset, the sandbox's own 1–2 s each.
	DevFNSDelay string `env:"IDFLOW_DEV_FNS_DELAY"`
	// DevIDnGODuplicateWebhooks makes the IDnGO sandbox send each review webhook twice.
	DevIDnGODuplicateWebhooks bool `env:"IDFLOW_DEV_IDNGO_DUPLICATE_WEBHOOKS, default=true"`
	// SandboxRetryFactor divides the providers' real webhook and callback
	// redelivery schedules (IDnGO +5m +1h +5h +18h, FNS up to two days).
	SandboxRetryFactor float64 `env:"IDFLOW_SANDBOX_RETRY_FACTOR, default=60"`
	// SandboxFaults injects provider faults (see internal/sandbox/faults):
	// e.g. "seed=7,all=0.3"; empty means none.
	SandboxFaults string `env:"IDFLOW_SANDBOX_FAULTS"`
}

// SandboxesAlone holds the settings of `worker -sandboxes`.
type SandboxesAlone struct {
	Sandboxes
	// DevDir keeps the sandboxes' state (sandboxes.db) and the FNS test CA.
	DevDir string `env:"IDFLOW_DEV_DIR, default=.idflow"`
	// GatewayURL is where the sandboxes send webhooks and callbacks.
	GatewayURL string `env:"IDFLOW_GATEWAY_URL, default=http://127.0.0.1:8080"`
	LogLevel   string `env:"IDFLOW_LOG_LEVEL, default=info"`
	LogFormat  string `env:"IDFLOW_LOG_FORMAT, default=console"`
}

// Starter holds every setting of the starter CLI.
type Starter struct {
	// TaskQueue is the Temporal task queue workflows are started on.
	TaskQueue string `env:"IDFLOW_TASK_QUEUE, default=idflow"`
	// GatewayURL is the worker's HTTP gateway.
	GatewayURL string `env:"IDFLOW_GATEWAY_URL, default=http://127.0.0.1:8080"`
	// APIToken authenticates to the gateway; read from DevDir when unset.
	APIToken string `env:"IDFLOW_API_TOKEN"`
	// VDCSecret authenticates to the issuer API; read from DevDir when unset.
	VDCSecret string `env:"IDFLOW_VDC_SECRET"`
	// UIURL is the Temporal UI's address, used to print links.
	UIURL string `env:"IDFLOW_UI_URL, default=http://localhost:8233"`
	// DevDir is where -dev left its generated token.
	DevDir string `env:"IDFLOW_DEV_DIR, default=.idflow"`
	// IDnGOWebhookSecret signs the webhooks `starter bench --kind webhooks`
	// posts; DevIDnGOWebhookSecret when unset.
	IDnGOWebhookSecret string `env:"IDFLOW_IDNGO_WEBHOOK_SECRET"`
	// IDnGOWebhookDigestAlg is the digest algorithm they are signed with.
	IDnGOWebhookDigestAlg string `env:"IDFLOW_IDNGO_WEBHOOK_DIGEST_ALG, default=HMAC_SHA256_HEX"`
}

// Lookuper finds environment values; envconfig.OsLookuper in production.
type Lookuper = envconfig.Lookuper

// LoadWorker reads and checks the worker's settings. In dev mode the API token
// may be empty (the caller generates one) and logs default to console output.
func LoadWorker(ctx context.Context, env Lookuper, dev bool) (Worker, error) {
	var c Worker
	if err := process(ctx, env, &c); err != nil {
		return c, err
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DevDir, "idflow.db")
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
		if dev {
			c.LogFormat = "console"
		}
	}
	return c, c.check(dev)
}

// LoadSandboxes reads and checks the settings of `worker -sandboxes`.
func LoadSandboxes(ctx context.Context, env Lookuper) (SandboxesAlone, error) {
	var c SandboxesAlone
	if err := process(ctx, env, &c); err != nil {
		return c, err
	}
	var errs []error
	add := func(key, problem string) { errs = append(errs, settingError(key, problem)) }
	c.Sandboxes.check(add)
	if !strings.HasPrefix(c.GatewayURL, "http://") && !strings.HasPrefix(c.GatewayURL, "https://") {
		add("IDFLOW_GATEWAY_URL", "must start with http:// or https://")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		add("IDFLOW_LOG_LEVEL", "must be one of debug, info, warn, error")
	}
	if !slices.Contains([]string{"json", "console"}, c.LogFormat) {
		add("IDFLOW_LOG_FORMAT", "must be json or console")
	}
	return c, errors.Join(errs...)
}

// FNSDelay is DevFNSDelay parsed; ok is false when it is unset.
func (c Sandboxes) FNSDelay() (d time.Duration, ok bool) {
	if c.DevFNSDelay == "" {
		return 0, false
	}
	d, err := time.ParseDuration(c.DevFNSDelay)
	return d, err == nil && d >= 0
}

// check checks the sandboxes' settings.
func (c Sandboxes) check(add func(key, problem string)) {
	if _, ok := c.FNSDelay(); c.DevFNSDelay != "" && !ok {
		add("IDFLOW_DEV_FNS_DELAY", "must be a duration such as 0, 500ms or 2s")
	}
	if _, _, err := net.SplitHostPort(c.DevSandboxAddr); err != nil {
		add("IDFLOW_DEV_SANDBOX_ADDR", "must be host:port")
	}
	if c.SandboxRetryFactor < 1 {
		add("IDFLOW_SANDBOX_RETRY_FACTOR", "must be at least 1 (1: the providers' real schedules)")
	}
}

// LoadStarter reads and checks the starter's settings.
func LoadStarter(ctx context.Context, env Lookuper) (Starter, error) {
	var c Starter
	if err := process(ctx, env, &c); err != nil {
		return c, err
	}
	if !strings.HasPrefix(c.GatewayURL, "http://") && !strings.HasPrefix(c.GatewayURL, "https://") {
		return c, settingError("IDFLOW_GATEWAY_URL", "must start with http:// or https://")
	}
	return c, nil
}

func (c Worker) check(dev bool) error {
	var errs []error
	add := func(key, problem string) { errs = append(errs, settingError(key, problem)) }
	if !dev && c.APIToken == "" {
		add("IDFLOW_API_TOKEN", "missing required value (outside -dev a token must be set)")
	}
	switch {
	case !dev && c.EncryptionKeys == "":
		add("IDFLOW_ENCRYPTION_KEYS", "missing required value (outside -dev personal data is sealed: give id:base64 of 32 random bytes)")
	case c.EncryptionKeys != "":
		if _, err := ParseKeyRing(c.EncryptionKeys, c.EncryptionKeyID); err != nil {
			add("IDFLOW_ENCRYPTION_KEYS", err.Error())
		}
	}
	if c.Retention != 0 && c.Retention < time.Hour {
		add("IDFLOW_RETENTION", "at least 1h (or 0: off)")
	}
	if c.InboxRetention != 0 && c.InboxRetention < MinInboxRetention {
		add("IDFLOW_INBOX_RETENTION", "at least 72h (FNS repeats a callback for two days: a repeat must still be recognised), or 0: keep all")
	}
	if c.CodecToken != "" && len(c.CodecToken) < minTokenLength {
		add("IDFLOW_CODEC_TOKEN", fmt.Sprintf("too short: at least %d characters", minTokenLength))
	}
	if c.APIToken != "" && len(c.APIToken) < minTokenLength {
		add("IDFLOW_API_TOKEN", fmt.Sprintf("too short: at least %d characters", minTokenLength))
	}
	c.checkIssuerAPI(add)
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		add("IDFLOW_DATABASE_URL", "must start with sqlite:, postgres:// or postgresql://")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		add("IDFLOW_HTTP_ADDR", "must be host:port")
	}
	if _, _, err := net.SplitHostPort(c.DebugAddr); c.DebugAddr != "" && err != nil {
		add("IDFLOW_DEBUG_ADDR", "must be host:port")
	}
	c.Sandboxes.check(add)
	if c.DevSandboxURL != "" && !strings.HasPrefix(c.DevSandboxURL, "http://") && !strings.HasPrefix(c.DevSandboxURL, "https://") {
		add("IDFLOW_DEV_SANDBOX_URL", "must start with http:// or https://")
	}
	if (c.MandarinMerchantID == "") != (c.MandarinSecret == "") {
		add("IDFLOW_MANDARIN_SECRET", "IDFLOW_MANDARIN_MERCHANT_ID and IDFLOW_MANDARIN_SECRET must be set together")
	}
	if c.IDnGOBaseURL != "" && (c.IDnGOAppToken == "" || c.IDnGOSecretKey == "" || c.IDnGOWebhookSecret == "") {
		add("IDFLOW_IDNGO_BASE_URL", "needs IDFLOW_IDNGO_APP_TOKEN, IDFLOW_IDNGO_SECRET_KEY and IDFLOW_IDNGO_WEBHOOK_SECRET too")
	}
	if !slices.Contains([]string{"HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX"}, c.IDnGOWebhookDigestAlg) {
		add("IDFLOW_IDNGO_WEBHOOK_DIGEST_ALG", "must be HMAC_SHA1_HEX, HMAC_SHA256_HEX or HMAC_SHA512_HEX")
	}
	if c.FNSBaseURL != "" && (c.FNSUsername == "" || c.FNSPassword == "") {
		add("IDFLOW_FNS_BASE_URL", "needs IDFLOW_FNS_USERNAME and IDFLOW_FNS_PASSWORD too")
	}
	if !slices.Contains([]string{"token", "basic"}, c.FNSAuth) {
		add("IDFLOW_FNS_AUTH", "must be token or basic")
	}
	if c.WorkflowCacheSize < 1 {
		add("IDFLOW_WORKFLOW_CACHE_SIZE", "must be at least 1")
	}
	if c.DocumentMaxBytes <= 0 {
		add("IDFLOW_DOCUMENT_MAX_BYTES", "must be a positive number of bytes")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		add("IDFLOW_LOG_LEVEL", "must be one of debug, info, warn, error")
	}
	if !slices.Contains([]string{"json", "console"}, c.LogFormat) {
		add("IDFLOW_LOG_FORMAT", "must be json or console")
	}
	if c.ShutdownTimeout <= 0 {
		add("IDFLOW_SHUTDOWN_TIMEOUT", "must be a positive duration")
	}
	for _, p := range []struct {
		key  string
		port int
	}{{"IDFLOW_DEV_TEMPORAL_PORT", c.DevTemporalPort}, {"IDFLOW_DEV_UI_PORT", c.DevUIPort}} {
		if p.port <= 0 || p.port > 65535 {
			add(p.key, "must be a TCP port (1-65535)")
		}
	}
	return errors.Join(errs...)
}

// checkIssuerAPI checks the issuer API's authentication, the gateway's
// TLS and the status notifications.
func (c Worker) checkIssuerAPI(add func(key, problem string)) {
	if c.VDCSecret != "" && len(c.VDCSecret) < minTokenLength {
		add("IDFLOW_VDC_SECRET", fmt.Sprintf("too short: at least %d characters", minTokenLength))
	}
	if (c.GatewayTLSCert == "") != (c.GatewayTLSKey == "") {
		add("IDFLOW_GATEWAY_TLS_CERT", "IDFLOW_GATEWAY_TLS_CERT and IDFLOW_GATEWAY_TLS_KEY must be set together")
	}
	if c.VDCClientCA != "" && c.GatewayTLSCert == "" {
		add("IDFLOW_VDC_CLIENT_CA", "needs the gateway on TLS (IDFLOW_GATEWAY_TLS_CERT and IDFLOW_GATEWAY_TLS_KEY)")
	}
	if c.ProofingNotifyURL != "" {
		if u, err := url.Parse(c.ProofingNotifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("IDFLOW_PROOFING_NOTIFY_URL", "must be an http:// or https:// URL")
		}
		if !strings.HasPrefix(c.ProofingNotifySecret, "whsec_") {
			add("IDFLOW_PROOFING_NOTIFY_SECRET", "required with IDFLOW_PROOFING_NOTIFY_URL: whsec_ and base64 of at least 24 random bytes")
		}
	}
}

// process runs go-envconfig and rewrites its errors so that they name the
// environment variable rather than the Go field.
func process(ctx context.Context, env Lookuper, target any) error {
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: env})
	if err == nil {
		return nil
	}
	msg := err.Error()
	if errors.Is(err, envconfig.ErrMissingRequired) {
		key := strings.TrimSpace(strings.TrimPrefix(msg, envconfig.ErrMissingRequired.Error()+":"))
		return settingError(key, "missing required value")
	}
	field, rest, found := strings.Cut(msg, ": ")
	if key := EnvKey(target, field); found && key != "" {
		return settingError(key, "malformed value: "+rest)
	}
	return fmt.Errorf("config: %w", err)
}

// EnvKey returns the environment variable that sets the named field of the
// struct pointed to by target, or "" when there is none.
func EnvKey(target any, field string) string {
	t := reflect.TypeOf(target).Elem()
	f, ok := t.FieldByName(field)
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return key
}

// Keys lists every environment variable read into the struct pointed to by
// target, embedded structs' included.
func Keys(target any) []string {
	return keysOf(reflect.TypeOf(target).Elem())
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			keys = append(keys, keysOf(f.Type)...)
		} else if key, _, _ := strings.Cut(f.Tag.Get("env"), ","); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

func settingError(key, problem string) error {
	return fmt.Errorf("config: %s: %s", key, problem)
}
