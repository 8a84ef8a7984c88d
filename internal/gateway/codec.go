package gateway

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"idflow/internal/codec"
)

// The codec endpoint (Temporal's codec server protocol): the Temporal UI
// and CLI send the payloads they show to POST …/decode and get them
// opened; without it they show only ciphertext.
//
//	POST /v1/codec/encode|decode          Authorization: Bearer IDFLOW_API_TOKEN (the CLI: --codec-auth)
//	POST /codec/{IDFLOW_CODEC_TOKEN}/…    the UI, which sends no header of ours: the token is in the
//	                                      endpoint it is configured with, as for FNS's callbacks
func (g *Gateway) registerCodec() {
	if g.deps.Codec == nil {
		return
	}
	api := &codec.Server{Keys: g.deps.Codec, Origins: g.deps.CodecOrigins, Authorize: g.bearerOK}
	g.mux.Handle("/v1/codec/", api)
	if g.deps.CodecToken != "" {
		ui := &codec.Server{Keys: g.deps.Codec, Origins: g.deps.CodecOrigins, Authorize: g.codecTokenOK}
		g.mux.Handle("/codec/{token}/", ui)
	}
}

func (g *Gateway) bearerOK(r *http.Request) bool {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	return found && strings.EqualFold(scheme, "Bearer") && token != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(g.deps.APIToken)) == 1
}

func (g *Gateway) codecTokenOK(r *http.Request) bool {
	token := r.PathValue("token")
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(g.deps.CodecToken)) == 1
}
