package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gatewayClient calls the worker's /v1 API.
type gatewayClient struct {
	baseURL string
	token   string
	http    *http.Client
}

func (e *environment) gateway() (*gatewayClient, error) {
	token, err := e.token()
	if err != nil {
		return nil, err
	}
	return &gatewayClient{baseURL: strings.TrimRight(e.cfg.GatewayURL, "/"), token: token,
		http: &http.Client{Timeout: 5 * time.Minute}}, nil
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
	var doc storedDocument
	f, err := os.Open(path)
	if err != nil {
		return doc, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return doc, err
	}
	if mediaType == "" {
		mediaType = mime.TypeByExtension(filepath.Ext(path))
	}
	q := url.Values{"title": {filepath.Base(path)}}
	if owner != "" {
		q.Set("owner", owner)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.baseURL+"/v1/documents?"+q.Encode(), f)
	if err != nil {
		return doc, err
	}
	req.ContentLength = info.Size()
	if mediaType != "" {
		req.Header.Set("Content-Type", mediaType)
	}
	err = g.do(req, http.StatusCreated, &doc)
	return doc, err
}

// getFile downloads a document into path and checks its SHA-256.
func (g *gatewayClient) getFile(ctx context.Context, id, path string) (int64, error) {
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
	return writeVerified(resp.Body, path, resp.Header.Get("X-Document-Sha256"))
}

// writeVerified writes body to path ("-" for stdout); a file whose hash does
// not match is removed, so no corrupt copy is left behind.
func writeVerified(body io.Reader, path, wantSHA string) (int64, error) {
	out, closeOut := io.Writer(os.Stdout), func() error { return nil }
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
	if err != nil {
		return nil, fmt.Errorf("gateway %s unreachable (is the worker running? IDFLOW_GATEWAY_URL): %w", g.baseURL, err)
	}
	return resp, nil
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
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil || body.Error == "" {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	return fmt.Errorf("gateway answered %s: %s", resp.Status, body.Error)
}
