package fns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"idflow/internal/providers/endpoint"
)

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes caps how much of an API response is read; maxFetchBytes
// caps a fetched file (documents, scans, certificates).
const (
	maxResponseBytes = 8 << 20
	maxFetchBytes    = 64 << 20
)

// authPath is the token endpoint.
const authPath = "/api/rb/auth"

// AuthMode selects how calls are authenticated.
type AuthMode string

// Authentication modes (§1.1).
const (
	// AuthToken: POST /api/rb/auth once per credential, then
	// "Authorization: token …"; on a 401 the client re-authenticates once and
	// repeats the call once.
	AuthToken AuthMode = "token"
	// AuthBasic: HTTP basic auth on every call.
	AuthBasic AuthMode = "basic"
)

// Credentials are one account: the partner's or an agent's. Username and
// Password can authenticate; Token is a token already known (an agent's,
// from CreateAgent). A Token alone is always sent as "Authorization: token …"
// (in either mode) and cannot be renewed. Credentials hide the password and
// token in fmt and log/slog.
type Credentials struct {
	Username string
	Password string
	Token    string
}

// String hides the secrets from %v and %s.
func (c Credentials) String() string {
	return "fns.Credentials{Username: " + c.Username + ", REDACTED}"
}

// GoString hides the secrets from %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue hides the secrets from log/slog.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Credentials) canAuthenticate() bool { return c.Username != "" && c.Password != "" }

// Scenarios are the partner's scenario numbers (per-partner configuration,
// agreed with the provider); DefaultScenarios holds the document's values.
type Scenarios struct {
	Registration       int // client registration: identification + TLS certificate (80)
	ExtraSignature     int // an additional signature for an existing consumer (84)
	Signing            int // document signing (82)
	SigningLegalEntity int // document signing for one of several legal-entity signatures (88)
	SimplifiedSigning  int // signing via POST /api/rb/workflow/fns (564)
	ExternalActivity   int // a web page inside the app (102)
	Pause              int // a long wait, type blank (134)
}

// DefaultScenarios returns the scenario numbers of the document's examples.
func DefaultScenarios() Scenarios {
	return Scenarios{Registration: 80, ExtraSignature: 84, Signing: 82, SigningLegalEntity: 88,
		SimplifiedSigning: 564, ExternalActivity: 102, Pause: 134}
}

// withDefaults fills zero numbers from DefaultScenarios.
func (s Scenarios) withDefaults() Scenarios {
	d := DefaultScenarios()
	for _, p := range []struct{ v, def *int }{{&s.Registration, &d.Registration}, {&s.ExtraSignature, &d.ExtraSignature},
		{&s.Signing, &d.Signing}, {&s.SigningLegalEntity, &d.SigningLegalEntity}, {&s.SimplifiedSigning, &d.SimplifiedSigning},
		{&s.ExternalActivity, &d.ExternalActivity}, {&s.Pause, &d.Pause}} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	return s
}

// Config configures a Client.
type Config struct {
	BaseURL    string        // BaseURL is e.g. "https://partner.example"; http only for loopback hosts. A path prefix is kept.
	Auth       AuthMode      // Auth is AuthToken (the default when empty) or AuthBasic.
	Partner    Credentials   // Partner is the partner (technical) account, used by Client.Partner.
	Scenarios  Scenarios     // Scenarios are the partner's scenario numbers; zero fields take DefaultScenarios.
	Timeout    time.Duration // Timeout bounds each request; zero means DefaultTimeout.
	HTTPClient *http.Client  // HTTPClient is optional; the default one does not follow redirects.
}

// Client calls the FNS «Мобильная подпись» partner API under several
// accounts at once; it is safe for concurrent use. Calls are made through a
// Session: Partner() for the partner account, As(cred) for an agent.
type Client struct {
	base      *url.URL
	mode      AuthMode
	partner   Credentials
	scenarios Scenarios
	timeout   time.Duration
	http      *http.Client

	mu     sync.Mutex
	tokens map[Credentials]*tokenEntry
}

// tokenEntry is the cached token of one credential; mu serialises its renewal.
type tokenEntry struct {
	mu    sync.Mutex
	token string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := endpoint.ParseBaseURL("fns", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	mode := cfg.Auth
	if mode == "" {
		mode = AuthToken
	}
	if mode != AuthToken && mode != AuthBasic {
		return nil, errors.New("fns: auth mode must be token or basic")
	}
	c := &Client{base: base, mode: mode, partner: cfg.Partner, scenarios: cfg.Scenarios.withDefaults(),
		timeout: cfg.Timeout, http: cfg.HTTPClient, tokens: map[Credentials]*tokenEntry{}}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = endpoint.NewHTTPClient()
	}
	return c, nil
}

// Scenarios returns the configured scenario numbers.
func (c *Client) Scenarios() Scenarios { return c.scenarios }

// Session is a Client acting under one account. It is cheap; make one per call or keep it.
type Session struct {
	c    *Client
	cred Credentials
}

// Partner returns the session of the partner account of Config.Partner.
func (c *Client) Partner() *Session { return c.As(c.partner) }

// As returns the session of another account (an agent's). Its token is
// cached apart from every other credential's.
func (c *Client) As(cred Credentials) *Session { return &Session{c: c, cred: cred} }

// entry returns the token cache entry of cred.
func (c *Client) entry(cred Credentials) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.tokens[cred]
	if e == nil {
		e = &tokenEntry{token: cred.Token}
		c.tokens[cred] = e
	}
	return e
}

// authRequest is the POST /api/rb/auth body.
type authRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Authenticate calls POST /api/rb/auth with the session's username and
// password and returns the new token (also cached for later calls).
func (s *Session) Authenticate(ctx context.Context) (string, error) {
	e := s.c.entry(s.cred)
	e.mu.Lock()
	defer e.mu.Unlock()
	tok, err := s.authenticate(ctx)
	if err != nil {
		return "", err
	}
	e.token = tok
	return tok, nil
}

// authenticate performs the auth call (no caching).
func (s *Session) authenticate(ctx context.Context) (string, error) {
	if !s.cred.canAuthenticate() {
		return "", &Error{Op: "POST " + authPath, Message: "credentials without username and password cannot authenticate",
			cause: ErrUnauthorized}
	}
	body, err := json.Marshal(authRequest{Username: s.cred.Username, Password: s.cred.Password})
	if err != nil {
		return "", fmt.Errorf("fns: encode auth request: %w", err)
	}
	resp, err := s.c.send(ctx, http.MethodPost, s.c.apiURL(authPath, nil), "POST "+authPath, body, nil)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && !e.Retryable && e.StatusCode >= 400 && e.StatusCode < 500 {
			e.cause = ErrUnauthorized // a refused login is an authentication failure
		}
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := decodeResult(resp, "POST "+authPath, &out); err != nil {
		return "", err
	}
	if out.Token = strings.TrimSpace(out.Token); out.Token == "" {
		return "", undecodable("POST "+authPath, resp.status, "auth response without token")
	}
	return out.Token, nil
}

// currentToken returns the cached token, authenticating when there is none.
func (s *Session) currentToken(ctx context.Context, e *tokenEntry) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" {
		return e.token, nil
	}
	tok, err := s.authenticate(ctx)
	if err != nil {
		return "", err
	}
	e.token = tok
	return tok, nil
}

// renewToken replaces stale with a new token, unless another call already did.
func (s *Session) renewToken(ctx context.Context, e *tokenEntry, stale string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" && e.token != stale {
		return e.token, nil
	}
	e.token = ""
	tok, err := s.authenticate(ctx)
	if err != nil {
		return "", err
	}
	e.token = tok
	return tok, nil
}

// response is a 2xx answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends one authenticated JSON request to an API path and returns the
// 2xx answer, or an *Error. op names the call in errors (no ids, no data).
func (s *Session) call(ctx context.Context, method, path, op string, query url.Values, reqBody any) (response, error) {
	var body []byte
	if reqBody != nil {
		b, err := json.Marshal(reqBody)
		if err != nil {
			return response{}, fmt.Errorf("fns: encode request: %w", err)
		}
		body = b
	}
	return s.authed(ctx, method, s.c.apiURL(path, query), op, body, maxResponseBytes)
}

// authed sends the request with the session's credentials; in token mode a
// 401 leads to one re-authentication and one repetition.
func (s *Session) authed(ctx context.Context, method string, u *url.URL, op string, body []byte, limit int64) (response, error) {
	if s.c.mode == AuthBasic && s.cred.canAuthenticate() {
		return s.c.sendLimited(ctx, method, u, op, body, func(r *http.Request) {
			r.SetBasicAuth(s.cred.Username, s.cred.Password)
		}, limit)
	}
	if s.cred.Token == "" && !s.cred.canAuthenticate() {
		return response{}, &Error{Op: op, Message: "no credentials", cause: ErrUnauthorized}
	}
	e := s.c.entry(s.cred)
	tok, err := s.currentToken(ctx, e)
	if err != nil {
		return response{}, err
	}
	resp, err := s.c.sendLimited(ctx, method, u, op, body, tokenHeader(tok), limit)
	if !IsUnauthorized(err) || !s.cred.canAuthenticate() {
		return resp, err
	}
	tok, err = s.renewToken(ctx, e, tok)
	if err != nil {
		return response{}, err
	}
	return s.c.sendLimited(ctx, method, u, op, body, tokenHeader(tok), limit)
}

func tokenHeader(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "token "+tok) }
}

// apiURL joins an API path (and query) to the base URL, keeping its path prefix.
func (c *Client) apiURL(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}

// send sends one request without authentication headers beyond what auth sets.
func (c *Client) send(ctx context.Context, method string, u *url.URL, op string, body []byte, auth func(*http.Request)) (response, error) {
	return c.sendLimited(ctx, method, u, op, body, auth, maxResponseBytes)
}

func (c *Client) sendLimited(ctx context.Context, method string, u *url.URL, op string, body []byte, auth func(*http.Request), limit int64) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return response{}, invalid("bad request URL")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, transportError(op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return response{}, transportError(op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return response{}, statusError(op, resp.StatusCode, b)
	}
	if int64(len(b)) > limit {
		return response{}, &Error{Op: op, StatusCode: resp.StatusCode, Message: "response body too large"}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// decodeResult unwraps {"result": …} into out, leniently. A 2xx body without
// "result" is decoded as the result itself (tolerance for undocumented answers).
func decodeResult(resp response, op string, out any) error {
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return undecodable(op, resp.status, "undecodable response body")
	}
	if len(env.Error) > 0 && !isNull(env.Error) && len(env.Result) == 0 {
		// An error envelope with a 2xx status: treat it as the provider's refusal.
		return statusError(op, http.StatusBadRequest, resp.body)
	}
	raw := env.Result
	if len(raw) == 0 {
		raw = resp.body
	}
	if err := decodeLenient(raw, out); err != nil {
		return undecodable(op, resp.status, "undecodable result")
	}
	return nil
}

// decodeLenient unmarshals JSON, tolerating values of unexpected types (those
// fields stay zero); it fails only for malformed JSON.
func decodeLenient(body []byte, out any) error {
	err := json.Unmarshal(body, out)
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return nil
	}
	return err
}

// ResolveLink resolves a link of a response body (e.g. "/api/rb/document/1/path/a.pdf")
// against the base URL: a root-relative or relative link is appended to the
// base URL's path prefix (like the API paths); an absolute link is accepted
// only on the base URL's scheme and host, so credentials never go elsewhere.
func (c *Client) ResolveLink(link string) (*url.URL, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return nil, invalid("empty link")
	}
	ref, err := url.Parse(link)
	if err != nil {
		return nil, invalid("malformed link")
	}
	if ref.Scheme != "" || ref.Host != "" {
		if !strings.EqualFold(ref.Scheme, c.base.Scheme) || !strings.EqualFold(ref.Host, c.base.Host) {
			return nil, invalid("link to another host")
		}
		ref.Fragment, ref.User = "", nil
		return ref, nil
	}
	p, ep := ref.Path, ref.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p, ep = "/"+p, "/"+ep
	}
	if c.base.Path != "" && strings.HasPrefix(p, c.base.Path+"/") { // the link already carries the prefix
		p, ep = strings.TrimPrefix(p, c.base.Path), strings.TrimPrefix(ep, c.base.EscapedPath())
	}
	u := *c.base
	u.Path = c.base.Path + p
	u.RawPath = c.base.EscapedPath() + ep // kept only if it is a valid escaping of Path (url.URL.EscapedPath)
	u.RawQuery = ref.RawQuery
	return &u, nil
}

// Fetch downloads a link of a response body (document, signature, scan,
// template, certificate or request file) with the session's credentials and
// returns its bytes and Content-Type. Non-2xx answers are *Error values.
func (s *Session) Fetch(ctx context.Context, link string) ([]byte, string, error) {
	u, err := s.c.ResolveLink(link)
	if err != nil {
		return nil, "", err
	}
	resp, err := s.authed(ctx, http.MethodGet, u, "GET link", nil, maxFetchBytes)
	if err != nil {
		return nil, "", err
	}
	return resp.body, resp.header.Get("Content-Type"), nil
}
