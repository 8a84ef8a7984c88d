// Package endpoint holds what every provider client shares about reaching
// its provider: the base-URL policy (https, plain http only on loopback), an
// HTTP client that does not follow redirects (auth headers must not travel
// to another host), and which HTTP statuses are worth a retry.
package endpoint

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseBaseURL accepts an absolute https URL, or an http one whose host is a
// loopback address (the sandboxes); the trailing slash, query and fragment
// are dropped. Errors are prefixed with the provider's name and never echo
// the URL (it may carry credentials).
func ParseBaseURL(provider, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New(provider + ": base URL must be an absolute URL")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !IsLoopback(u.Hostname())) {
		return nil, errors.New(provider + ": base URL must use https (http only for loopback hosts)")
	}
	if u.User != nil {
		return nil, errors.New(provider + ": base URL must not contain credentials")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// IsLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewHTTPClient returns a client that answers a redirect with the redirect
// itself instead of following it.
func NewHTTPClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// RetryableStatus reports whether an HTTP status is transient: 408, 425, 429 or 5xx.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// CleanText makes a provider's text safe to keep in an error: trimmed,
// control characters (newlines included) replaced with spaces, and cut to
// max bytes without splitting a UTF-8 sequence ("…" marks a cut).
func CleanText(s string, max int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
