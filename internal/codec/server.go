package codec

import (
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// MaxBody bounds one codec request.
const MaxBody = 4 << 20

// SubjectHeader names the subject whose key an encode seals with (a
// client starting a person's process; see NewRemoteDataConverter).
const SubjectHeader = "X-Idflow-Subject"

// validSubject is store.ValidSubject's rule (the codec does not import the store).
var validSubject = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`).MatchString

// Server is Temporal's codec server protocol over a codec: POST
// {prefix}/encode and {prefix}/decode with protobuf-JSON Payloads, for
// the Temporal Web UI and CLI.
type Server struct {
	// Keys open any payload; an encode seals with the master key, or with
	// the data key of the subject named in SubjectHeader.
	Keys *Ring
	// Authorize checks the caller; nil lets nobody in.
	Authorize func(*http.Request) bool
	// Origins may call it from a browser (CORS): the UI's.
	Origins []string
	// Namespaces, if set, are the only X-Namespace values served.
	Namespaces []string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cors(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent) // preflight: no credential is sent with it
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.Authorize == nil || !s.Authorize(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if ns := r.Header.Get("X-Namespace"); len(s.Namespaces) > 0 && ns != "" && !slices.Contains(s.Namespaces, ns) {
		http.Error(w, "namespace not served", http.StatusForbidden)
		return
	}
	encode := strings.HasSuffix(r.URL.Path, "/encode")
	if !encode && !strings.HasSuffix(r.URL.Path, "/decode") {
		http.NotFound(w, r)
		return
	}
	payloads, status, err := readPayloads(w, r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	subj := r.Header.Get(SubjectHeader)
	if subj != "" && !validSubject(subj) {
		http.Error(w, "bad "+SubjectHeader, http.StatusBadRequest)
		return
	}
	c := New(r.Context(), s.Keys.For(subj))
	if encode {
		payloads, err = c.Encode(payloads)
	} else {
		payloads, err = c.Decode(payloads)
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		http.Error(w, "keys not available now; retry", http.StatusServiceUnavailable) // e.g. the store down
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest) // the codec's own text: key ids, never contents
		return
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		http.Error(w, "payloads not encodable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func readPayloads(w http.ResponseWriter, r *http.Request) ([]*commonpb.Payload, int, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, errors.New("body too large")
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("body not readable")
	}
	var payloads commonpb.Payloads
	if err := protojson.Unmarshal(raw, &payloads); err != nil {
		return nil, http.StatusBadRequest, errors.New("want protobuf-JSON Payloads {\"payloads\": [...]}")
	}
	return payloads.GetPayloads(), 0, nil
}

// cors answers an allowed origin's browser: the exact origin (never *,
// as credentials may be included), the protocol's method and headers.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin") // the answer depends on it, allowed or not
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(s.Origins, origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization, "+SubjectHeader)
	h.Set("Access-Control-Allow-Credentials", "true")
}
