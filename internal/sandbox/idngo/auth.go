package idngo

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
)

// Request authentication headers.
const (
	HeaderAppToken = "X-App-Token"      // HeaderAppToken carries Config.AppToken.
	HeaderTs       = "X-App-Access-Ts"  // HeaderTs carries the Unix time in seconds.
	HeaderSig      = "X-App-Access-Sig" // HeaderSig carries the request signature.
)

// sign returns the X-App-Access-Sig of a request: lowercase hex
// HMAC-SHA256(secret, ts + METHOD + pathWithQuery + body).
func sign(secret, ts, method, pathWithQuery string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + method + pathWithQuery))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// authorized checks a request's token, timestamp and signature over body.
// The signature may cover the URI as the handler sees it (after any
// http.StripPrefix) or as the client sent it (r.RequestURI).
func (s *Sandbox) authorized(r *http.Request, body []byte) bool {
	token := r.Header.Get(HeaderAppToken)
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AppToken)) != 1 {
		return false
	}
	tsText := r.Header.Get(HeaderTs)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return false
	}
	skew := s.cfg.Clock().Unix() - ts
	if skew > int64(ClockSkew.Seconds()) || skew < -int64(ClockSkew.Seconds()) {
		return false
	}
	got := []byte(r.Header.Get(HeaderSig))
	if len(got) == 0 {
		return false
	}
	candidates := []string{r.URL.RequestURI()}
	if r.RequestURI != "" && r.RequestURI != candidates[0] {
		candidates = append(candidates, r.RequestURI)
	}
	ok := false
	for _, uri := range candidates {
		want := sign(s.cfg.SecretKey, tsText, r.Method, uri, body)
		if subtle.ConstantTimeCompare(got, []byte(want)) == 1 {
			ok = true
		}
	}
	return ok
}
