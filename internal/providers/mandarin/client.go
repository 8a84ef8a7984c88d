package mandarin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"idflow/internal/providers/endpoint"

	"github.com/google/uuid"
)

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// identificationPath is the API path of the identification resource.
const identificationPath = "/api/personidentification"

// maxResponseBytes caps how much of a response body is read.
const maxResponseBytes = 1 << 20

// ErrEmptySessionID is returned, before any request, for an empty or blank session id.
var ErrEmptySessionID = errors.New("mandarin: empty session id")

// Config configures a Client.
type Config struct {
	BaseURL    string        // BaseURL is e.g. "https://secure.mandarinpay.com"; http is allowed only for loopback hosts.
	MerchantID string        // MerchantID is the merchant id used in X-Auth.
	Secret     string        // Secret is the merchant secret used in X-Auth; it is never sent.
	Timeout    time.Duration // Timeout bounds each request; zero means DefaultTimeout.
	HTTPClient *http.Client  // HTTPClient is optional; the default one does not follow redirects.
}

// Client calls the simplified identification API; it is safe for concurrent use.
type Client struct {
	base       *url.URL
	merchantID string
	secret     string
	timeout    time.Duration
	http       *http.Client
	newID      func() string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := endpoint.ParseBaseURL("mandarin", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.MerchantID == "" || cfg.Secret == "" {
		return nil, errors.New("mandarin: merchant id and secret are required")
	}
	c := &Client{base: base, merchantID: cfg.MerchantID, secret: cfg.Secret,
		timeout: cfg.Timeout, http: cfg.HTTPClient, newID: uuid.NewString}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = endpoint.NewHTTPClient()
	}
	return c, nil
}

// AuthHeader returns the X-Auth value: merchantID-sha256hex(merchantID-requestID-secret)-requestID.
func AuthHeader(merchantID, requestID, secret string) string {
	sum := sha256.Sum256([]byte(merchantID + "-" + requestID + "-" + secret))
	return merchantID + "-" + hex.EncodeToString(sum[:]) + "-" + requestID
}

// InitIdentification starts an identification and returns its session id.
func (c *Client) InitIdentification(ctx context.Context, req InitRequest) (string, error) {
	var out idResponse
	if err := c.do(ctx, http.MethodPost, "", req, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &Error{StatusCode: http.StatusOK, Message: "response without session id", Retryable: true}
	}
	return out.ID, nil
}

// SubmitSMSCode sends the SMS code the user entered; the verdict appears in Status.
func (c *Client) SubmitSMSCode(ctx context.Context, sessionID, code string) error {
	if strings.TrimSpace(sessionID) == "" {
		return ErrEmptySessionID
	}
	var out idResponse
	return c.do(ctx, http.MethodPut, sessionID, smsRequest{SMSCode: code}, &out)
}

// Status returns the current state of both checks of a session.
func (c *Client) Status(ctx context.Context, sessionID string) (Status, error) {
	if strings.TrimSpace(sessionID) == "" {
		return Status{}, ErrEmptySessionID
	}
	var out Status
	err := c.do(ctx, http.MethodGet, sessionID, nil, &out)
	return out, err
}

// do sends one authenticated JSON request and decodes a 200 response into
// out. Go's transport repeats a GET whose answer was lost on a reused
// connection with the same X-Auth, which Mandarin refuses (401) as a
// replayed request id: a 401 is tried again, signed anew, and only
// unauthorizedAttempts of them in a row are taken for bad credentials (the
// retry can be replayed too: the chaos test saw two in a row).
func (c *Client) do(ctx context.Context, method, sessionID string, in, out any) error {
	var err error
	for range unauthorizedAttempts {
		err = c.doOnce(ctx, method, sessionID, in, out)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized {
			return err
		}
	}
	return err
}

// unauthorizedAttempts bounds the tries of a request Mandarin answers 401.
const unauthorizedAttempts = 3

// doOnce is one attempt of do, with a fresh X-Auth.
func (c *Client) doOnce(ctx context.Context, method, sessionID string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, sessionID, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{StatusCode: http.StatusOK, Message: "undecodable response body", Retryable: true}
	}
	return nil
}

// newRequest builds a request with a JSON body (when in is not nil) and a fresh X-Auth header.
func (c *Client) newRequest(ctx context.Context, method, sessionID string, in any) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("mandarin: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(sessionID), body)
	if err != nil {
		return nil, fmt.Errorf("mandarin: build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Auth", AuthHeader(c.merchantID, c.newID(), c.secret))
	return req, nil
}

// endpoint returns the resource URL, with the escaped session id when one is given.
func (c *Client) endpoint(sessionID string) string {
	u := c.base.String() + identificationPath
	if sessionID != "" {
		u += "/" + url.PathEscape(sessionID)
	}
	return u
}
