package idngo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"idflow/internal/providers/endpoint"
)

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxFileSize is the largest document the provider accepts (64 MB).
const MaxFileSize = 64 << 20

// Request headers of the provider's authentication.
const (
	HeaderAppToken  = "X-App-Token"
	HeaderAccessTs  = "X-App-Access-Ts"
	HeaderAccessSig = "X-App-Access-Sig"
	HeaderImageID   = "X-Image-Id"
)

// applicantsPath is the API path of the applicant resource.
const applicantsPath = "/resources/applicants"

// maxResponseBytes caps how much of a response body is read.
const maxResponseBytes = 4 << 20

// Config configures a Client.
type Config struct {
	BaseURL    string           // BaseURL is e.g. "https://api.idngo.example"; http only for loopback hosts (127.0.0.0/8, ::1, localhost). A path prefix is kept.
	AppToken   string           // AppToken is sent as X-App-Token.
	SecretKey  string           // SecretKey is the HMAC key of X-App-Access-Sig; it is never sent.
	Timeout    time.Duration    // Timeout bounds each request; zero means DefaultTimeout.
	HTTPClient *http.Client     // HTTPClient is optional; the default one does not follow redirects.
	Now        func() time.Time // Now is the clock for X-App-Access-Ts; nil means time.Now.
}

// Client calls the IDnGO KYC API; it is safe for concurrent use.
type Client struct {
	base      *url.URL
	appToken  string
	secretKey string
	timeout   time.Duration
	http      *http.Client
	now       func() time.Time
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := endpoint.ParseBaseURL("idngo", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.AppToken == "" || cfg.SecretKey == "" {
		return nil, errors.New("idngo: app token and secret key are required")
	}
	c := &Client{base: base, appToken: cfg.AppToken, secretKey: cfg.SecretKey,
		timeout: cfg.Timeout, http: cfg.HTTPClient, now: cfg.Now}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.http == nil {
		c.http = endpoint.NewHTTPClient()
	}
	return c, nil
}

// Sign returns lowercase hex HMAC-SHA256(secret, ts + METHOD + pathWithQuery + body),
// the X-App-Access-Sig value; pathWithQuery is the request URI exactly as sent.
func Sign(secret string, ts int64, method, pathWithQuery string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte(strings.ToUpper(method)))
	m.Write([]byte(pathWithQuery))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// createApplicantRequest is the POST /resources/applicants body.
type createApplicantRequest struct {
	ExternalUserID string         `json:"externalUserId"`
	Info           *ApplicantInfo `json:"info,omitempty"`
}

// CreateApplicant creates an applicant at levelName for our user id. When the
// provider answers 409 because the externalUserId already exists, the existing
// applicant is fetched and returned as is (its level and data may differ from
// this call's), so a retried call never creates two.
func (c *Client) CreateApplicant(ctx context.Context, levelName, externalUserID string, info *ApplicantInfo) (Applicant, error) {
	if blank(levelName) {
		return Applicant{}, invalid("empty level name")
	}
	if blank(externalUserID) {
		return Applicant{}, invalid("empty external user id")
	}
	body, err := json.Marshal(createApplicantRequest{ExternalUserID: externalUserID, Info: info})
	if err != nil {
		return Applicant{}, fmt.Errorf("idngo: encode request: %w", err)
	}
	query := url.Values{"levelName": {levelName}}
	resp, err := c.do(ctx, http.MethodPost, applicantsPath, query, "application/json", body)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.StatusCode == http.StatusConflict &&
			e.ErrorCode != ErrCodeApplicantMarkedAsDeleted {
			return c.recoverExisting(ctx, externalUserID, e)
		}
		return Applicant{}, err
	}
	return decodeApplicant(resp)
}

// recoverExisting answers a create conflict with the applicant already
// registered for externalUserID. A final lookup failure (e.g. 404) returns
// the original conflict; a retryable one is returned as is.
func (c *Client) recoverExisting(ctx context.Context, externalUserID string, conflict *Error) (Applicant, error) {
	a, err := c.GetApplicantByExternalUserID(ctx, externalUserID)
	if err == nil {
		return a, nil
	}
	if IsRetryable(err) {
		return Applicant{}, err
	}
	return Applicant{}, conflict
}

// AddIDDocument uploads one image of a document: a multipart body with a
// "metadata" JSON part and a "content" file part. Every call adds an image,
// so a retry after an ambiguous failure may add a duplicate (the provider may
// answer ErrCodeDuplicateDocument). Any 2xx answer is success; if its body is
// unreadable the sent metadata is returned.
func (c *Client) AddIDDocument(ctx context.Context, applicantID string, meta IDDocMetadata, fileName string, content []byte) (UploadedImage, error) {
	if blank(applicantID) {
		return UploadedImage{}, invalid("empty applicant id")
	}
	if blank(meta.IDDocType) || blank(meta.Country) {
		return UploadedImage{}, invalid("document type and country are required")
	}
	if len(content) == 0 {
		return UploadedImage{}, invalid("empty document content")
	}
	if len(content) > MaxFileSize {
		return UploadedImage{}, invalid("document larger than 64 MB")
	}
	body, contentType, err := multipartBody(meta, fileName, content)
	if err != nil {
		return UploadedImage{}, err
	}
	resp, err := c.do(ctx, http.MethodPost, applicantPath(applicantID, "info/idDoc"), nil, contentType, body)
	if err != nil {
		return UploadedImage{}, err
	}
	out := UploadedImage{Metadata: meta}
	var got IDDocMetadata
	if decodeLenient(resp.body, &got) == nil && got.IDDocType != "" {
		out.Metadata = got
	}
	if id, err := strconv.ParseInt(strings.TrimSpace(resp.header.Get(HeaderImageID)), 10, 64); err == nil {
		out.ImageID = id
	}
	return out, nil
}

// multipartBody builds the upload body; the signature is computed over exactly these bytes.
func multipartBody(meta IDDocMetadata, fileName string, content []byte) ([]byte, string, error) {
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, "", fmt.Errorf("idngo: encode metadata: %w", err)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("metadata", string(metaJSON)); err != nil {
		return nil, "", fmt.Errorf("idngo: build multipart body: %w", err)
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+safeFileName(fileName)+`"`)
	h.Set("Content-Type", http.DetectContentType(content))
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", fmt.Errorf("idngo: build multipart body: %w", err)
	}
	if _, err := part.Write(content); err != nil {
		return nil, "", fmt.Errorf("idngo: build multipart body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("idngo: build multipart body: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// safeFileName makes fileName safe inside a quoted header parameter: control
// characters, quotes, backslashes and path separators become "_"; empty means "document".
func safeFileName(fileName string) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, strings.TrimSpace(fileName))
	if s == "" {
		return "document"
	}
	return s
}

// PatchFixedInfo replaces the data we provided about the applicant (fixedInfo)
// and returns the applicant as the provider answered.
func (c *Client) PatchFixedInfo(ctx context.Context, applicantID string, info ApplicantInfo) (Applicant, error) {
	if blank(applicantID) {
		return Applicant{}, invalid("empty applicant id")
	}
	body, err := json.Marshal(info)
	if err != nil {
		return Applicant{}, fmt.Errorf("idngo: encode request: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPatch, applicantPath(applicantID, "fixedInfo"), nil, "application/json", body)
	if err != nil {
		return Applicant{}, err
	}
	var a Applicant
	if decodeLenient(resp.body, &a) != nil {
		return Applicant{}, undecodable(resp.status, "undecodable response body")
	}
	if a.ID == "" {
		// Some deployments answer with the fixedInfo object alone.
		var fi ApplicantInfo
		if decodeLenient(resp.body, &fi) != nil {
			return Applicant{}, undecodable(resp.status, "undecodable response body")
		}
		a = Applicant{ID: applicantID, FixedInfo: &fi}
	}
	return a, nil
}

// okResponse is the {"ok":1} answer of status changes.
type okResponse struct {
	OK json.RawMessage `json:"ok"`
}

// RequestCheck moves the applicant to pending (asks for the review). The
// provider answers 409 when required documents are missing and refuses the
// call while a review is under way.
func (c *Client) RequestCheck(ctx context.Context, applicantID string) error {
	if blank(applicantID) {
		return invalid("empty applicant id")
	}
	resp, err := c.do(ctx, http.MethodPost, applicantPath(applicantID, "status/pending"), nil, "", nil)
	if err != nil {
		return err
	}
	var ok okResponse
	if decodeLenient(resp.body, &ok) != nil {
		return undecodable(resp.status, "undecodable response body")
	}
	switch strings.TrimSpace(string(ok.OK)) {
	case "1", "true":
		return nil
	}
	return undecodable(resp.status, "response without ok")
}

// GetApplicant returns the applicant by the provider's id.
func (c *Client) GetApplicant(ctx context.Context, applicantID string) (Applicant, error) {
	if blank(applicantID) {
		return Applicant{}, invalid("empty applicant id")
	}
	resp, err := c.do(ctx, http.MethodGet, applicantPath(applicantID, "one"), nil, "", nil)
	if err != nil {
		return Applicant{}, err
	}
	return decodeApplicant(resp)
}

// GetApplicantByExternalUserID returns the applicant by our user id.
func (c *Client) GetApplicantByExternalUserID(ctx context.Context, externalUserID string) (Applicant, error) {
	if blank(externalUserID) {
		return Applicant{}, invalid("empty external user id")
	}
	path := applicantsPath + "/-;externalUserId=" + url.PathEscape(externalUserID) + "/one"
	resp, err := c.do(ctx, http.MethodGet, path, nil, "", nil)
	if err != nil {
		return Applicant{}, err
	}
	return decodeApplicant(resp)
}

// RequiredIDDocsStatus returns the state of each verification step.
func (c *Client) RequiredIDDocsStatus(ctx context.Context, applicantID string) (RequiredIDDocsStatus, error) {
	if blank(applicantID) {
		return nil, invalid("empty applicant id")
	}
	resp, err := c.do(ctx, http.MethodGet, applicantPath(applicantID, "requiredIdDocsStatus"), nil, "", nil)
	if err != nil {
		return nil, err
	}
	var out RequiredIDDocsStatus
	if err := json.Unmarshal(resp.body, &out); err != nil || out == nil {
		return nil, undecodable(resp.status, "undecodable response body")
	}
	return out, nil
}

// TestCompleted sets a review result in the provider's sandbox (which then
// sends an applicantReviewed webhook); production refuses it.
func (c *Client) TestCompleted(ctx context.Context, applicantID string, result ReviewResult) error {
	if blank(applicantID) {
		return invalid("empty applicant id")
	}
	body, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("idngo: encode request: %w", err)
	}
	_, err = c.do(ctx, http.MethodPost, applicantPath(applicantID, "status/testCompleted"), nil, "application/json", body)
	return err
}

// response is a 2xx answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one signed request and returns the 2xx answer, or an *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, query, contentType, body)
	if err != nil {
		return response{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, transportError(method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return response{}, transportError(method, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return response{}, statusError(resp.StatusCode, b)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// newRequest builds the request and signs its exact request URI and body.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) (*http.Request, error) {
	raw := c.base.Scheme + "://" + c.base.Host + c.base.EscapedPath() + path
	if len(query) > 0 {
		raw += "?" + query.Encode()
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("bad request path")
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, errors.New("idngo: build request failed")
	}
	ts := c.now().Unix()
	req.Header.Set(HeaderAppToken, c.appToken)
	req.Header.Set(HeaderAccessTs, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderAccessSig, Sign(c.secretKey, ts, method, req.URL.RequestURI(), body))
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// decodeApplicant decodes an applicant answer; one without an id is unusable (retryable).
func decodeApplicant(resp response) (Applicant, error) {
	var a Applicant
	if decodeLenient(resp.body, &a) != nil || a.ID == "" {
		return Applicant{}, undecodable(resp.status, "undecodable response body")
	}
	return a, nil
}

// applicantPath returns /resources/applicants/{escaped id}/{suffix}.
func applicantPath(applicantID, suffix string) string {
	return applicantsPath + "/" + url.PathEscape(applicantID) + "/" + suffix
}

// blank reports whether s is unusable as an id or name: empty, only spaces, "." or "..".
func blank(s string) bool {
	switch strings.TrimSpace(s) {
	case "", ".", "..":
		return true
	}
	return false
}

// invalid returns a final ErrInvalidArgument error with a short reason.
func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidArgument, reason) }
