package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"idflow/internal/subject"
)

// gatewayClient calls the worker's /v1 API.
type gatewayClient struct {
	baseURL string
	token   string
	http    *http.Client
}

// Limits of a gateway call: a gateway that cannot be reached fails within
// the dial timeout, one that takes the request and never answers within the
// header timeout; the overall bound leaves room for big uploads on a slow
// link. Variables, so that tests can shorten them.
var (
	gatewayDialTimeout   = 5 * time.Second
	gatewayHeaderTimeout = 30 * time.Second
	gatewayTotalTimeout  = 10 * time.Minute
)

func (e *environment) gateway() (*gatewayClient, error) {
	token, err := e.token()
	if err != nil {
		return nil, err
	}
	return e.gatewayAs(token), nil
}

// gatewayAs is a client of the gateway that authenticates with token (the
// API token, or the issuer API's secret).
func (e *environment) gatewayAs(token string) *gatewayClient {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: gatewayDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = gatewayDialTimeout
	transport.ResponseHeaderTimeout = gatewayHeaderTimeout
	transport.MaxIdleConnsPerHost = 64 // `starter bench` keeps many requests in flight
	return &gatewayClient{baseURL: strings.TrimRight(e.cfg.GatewayURL, "/"), token: token,
		http: &http.Client{Timeout: gatewayTotalTimeout, Transport: transport}}
}

// storedDocument is the gateway's answer for a stored document.
type storedDocument struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`
	Title     string `json:"title"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
}

// putFile uploads one file; the title is its base name and the media type
// comes from mediaType, else from its extension.
func (g *gatewayClient) putFile(ctx context.Context, path, owner, mediaType string) (storedDocument, error) {
	f, err := os.Open(path)
	if err != nil {
		return storedDocument{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return storedDocument{}, err
	}
	return g.put(ctx, f, info.Size(), filepath.Base(path), owner, fileMediaType(path, mediaType))
}

// putBytes uploads content under a title of the caller's choosing. The
// store keeps one document per owner, content, title and media type, so
// the same bytes under the same title get the same id every time.
func (g *gatewayClient) putBytes(ctx context.Context, content []byte, title, owner, mediaType string) (storedDocument, error) {
	return g.put(ctx, bytes.NewReader(content), int64(len(content)), title, owner, mediaType)
}

// fileMediaType is mediaType, else the one of path's extension ("" when unknown).
func fileMediaType(path, mediaType string) string {
	if mediaType == "" {
		mediaType = mime.TypeByExtension(filepath.Ext(path))
	}
	return mediaType
}

func (g *gatewayClient) put(ctx context.Context, body io.Reader, size int64, title, owner, mediaType string) (storedDocument, error) {
	var doc storedDocument
	q := url.Values{"title": {title}}
	if owner != "" {
		q.Set("owner", owner)
	}
	if s := subject.From(ctx); s != "" {
		q.Set("subject", s)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.baseURL+"/v1/documents?"+q.Encode(), body)
	if err != nil {
		return doc, err
	}
	req.ContentLength = size
	if mediaType != "" {
		req.Header.Set("Content-Type", mediaType)
	}
	err = g.do(req, http.StatusCreated, &doc)
	return doc, err
}

// listDocuments lists an owner's documents.
func (g *gatewayClient) listDocuments(ctx context.Context, owner string) ([]storedDocument, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+"/v1/documents?"+url.Values{"owner": {owner}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Documents []storedDocument `json:"documents"`
	}
	err = g.do(req, http.StatusOK, &out)
	return out.Documents, err
}

// getFile downloads a document into path and checks its SHA-256.
func (g *gatewayClient) getFile(ctx context.Context, id, path string) (int64, error) {
	return g.getFileTo(ctx, id, path, os.Stdout)
}

// getFileTo is getFile with the stream "-" writes to given.
func (g *gatewayClient) getFileTo(ctx context.Context, id, path string, stdout io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+"/v1/documents/"+url.PathEscape(id), nil)
	if err != nil {
		return 0, err
	}
	resp, err := g.send(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, decodeAPIError(resp)
	}
	return writeVerifiedTo(resp.Body, path, resp.Header.Get("X-Document-Sha256"), stdout)
}

// writeVerifiedTo writes body to path ("-" for stdout); a file whose SHA-256
// differs from wantSHA (when given) is removed and reported.
func writeVerifiedTo(body io.Reader, path, wantSHA string, stdout io.Writer) (int64, error) {
	out, closeOut := stdout, func() error { return nil }
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return 0, err
		}
		out, closeOut = f, f.Close
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), body)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err == nil && wantSHA != "" && hex.EncodeToString(h.Sum(nil)) != wantSHA {
		err = fmt.Errorf("downloaded content does not match its SHA-256")
	}
	if err != nil && path != "-" {
		_ = os.Remove(path)
	}
	return n, err
}

func (g *gatewayClient) send(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := g.http.Do(req)
	var netErr net.Error
	switch {
	case err == nil:
		return resp, nil
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil, fmt.Errorf("gateway %s did not answer in time (is the worker running and healthy? IDFLOW_GATEWAY_URL): %w", g.baseURL, err)
	default:
		return nil, fmt.Errorf("gateway %s unreachable (is the worker running? IDFLOW_GATEWAY_URL): %w", g.baseURL, err)
	}
}

func (g *gatewayClient) do(req *http.Request, wantStatus int, out any) error {
	resp, err := g.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		return decodeAPIError(resp)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func decodeAPIError(resp *http.Response) error {
	var body struct {
		Code   string `json:"code"`
		Error  string `json:"error"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil || body.Error == "" {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	msg := fmt.Sprintf("gateway answered %s: %s", resp.Status, body.Error)
	for _, f := range body.Fields { // a 400 naming the fields it refused, one a line
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return &apiError{status: resp.StatusCode, code: body.Code, msg: msg}
}

// apiError is a gateway's JSON error answer.
type apiError struct {
	status int
	code   string // "no_template", "fns_rejected", ...
	msg    string
}

func (e *apiError) Error() string { return e.msg }
