package codec

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"idflow/internal/aead"
	"idflow/internal/subject"
)

type masters struct {
	active string
	keys   map[string][]byte
}

func (m masters) ActiveKeyID() string { return m.active }
func (m masters) MasterKey(id string) ([]byte, bool) {
	k, ok := m.keys[id]
	return k, ok
}

func key(t testing.TB) []byte {
	k, err := aead.New()
	require.NoError(t, err)
	return k
}

type person struct {
	LastName string `json:"lastName"`
	SNILS    string `json:"snils"`
}

var ivanov = person{LastName: "Иванов", SNILS: "123-629-311 39"}

// subjects is a store stand-in: one data key per subject, erasable.
type subjects struct {
	keys   map[string]aead.Key // by key id
	ids    map[string]string   // subject → key id
	erased map[string]bool
}

func newSubjects() *subjects {
	return &subjects{keys: map[string]aead.Key{}, ids: map[string]string{}, erased: map[string]bool{}}
}

func (s *subjects) ring(t *testing.T, m MasterKeys) *Ring {
	return &Ring{Master: m, CacheFor: -1,
		ForSubject: func(_ context.Context, subj string) (string, Key, error) {
			if s.erased[subj] {
				return "", nil, errors.New("erased")
			}
			id, ok := s.ids[subj]
			if !ok {
				id = SubjectKeyPrefix + subj
				s.ids[subj], s.keys[id] = id, aead.Key(key(t))
			}
			return id, s.keys[id], nil
		},
		ByID: func(_ context.Context, id string) (Key, error) {
			k, ok := s.keys[id]
			if !ok {
				return nil, ErrUnknownKey
			}
			return k, nil
		}}
}

func TestRoundTripAndCiphertext(t *testing.T) {
	dc := NewDataConverter(&Ring{Master: masters{"k1", map[string][]byte{"k1": key(t)}}})
	p, err := dc.ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, EncodingEncrypted, string(p.Metadata[MetadataEncoding]))
	assert.Equal(t, "k1", string(p.Metadata[MetadataEncryptionKey]))
	assert.False(t, bytes.Contains(p.Data, []byte("Иванов")), "ciphertext, not plaintext")
	assert.False(t, bytes.Contains(p.Data, []byte("123-629")))
	var back person
	require.NoError(t, dc.FromPayload(p, &back))
	assert.Equal(t, ivanov, back)
}

func TestRotation(t *testing.T) {
	k1, k2 := key(t), key(t)
	old := NewDataConverter(&Ring{Master: masters{"k1", map[string][]byte{"k1": k1}}})
	p, err := old.ToPayload(ivanov)
	require.NoError(t, err)

	rotated := NewDataConverter(&Ring{Master: masters{"k2", map[string][]byte{"k1": k1, "k2": k2}}})
	var back person
	require.NoError(t, rotated.FromPayload(p, &back), "the old key still opens")
	assert.Equal(t, ivanov, back)
	fresh, err := rotated.ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, "k2", string(fresh.Metadata[MetadataEncryptionKey]), "new data uses the active key")

	withoutK1 := NewDataConverter(&Ring{Master: masters{"k2", map[string][]byte{"k2": k2}}})
	err = withoutK1.FromPayload(p, &back)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "k1")
}

func TestPlaintextFromBeforeEncryptionStillDecodes(t *testing.T) {
	p, err := converter.GetDefaultDataConverter().ToPayload(ivanov)
	require.NoError(t, err)
	var back person
	require.NoError(t, NewDataConverter(&Ring{Master: masters{"k1", map[string][]byte{"k1": key(t)}}}).FromPayload(p, &back))
	assert.Equal(t, ivanov, back)
}

func TestTamperedOrRelabelledPayloadsAreRefused(t *testing.T) {
	m := masters{"k1", map[string][]byte{"k1": key(t), "k2": key(t)}}
	dc := NewDataConverter(&Ring{Master: m})
	p, err := dc.ToPayload(ivanov)
	require.NoError(t, err)
	var back person
	p.Data[len(p.Data)-1] ^= 1
	assert.Error(t, dc.FromPayload(p, &back), "tampered")
	p, _ = dc.ToPayload(ivanov)
	p.Metadata[MetadataEncryptionKey] = []byte("k2")
	assert.Error(t, dc.FromPayload(p, &back), "relabelled with another key id")
}

// TestSubjectKeysSealAPersonsPayloads: a context with a subject seals with
// its data key; erasing it leaves that person's payloads unreadable and
// another's readable.
func TestSubjectKeysSealAPersonsPayloads(t *testing.T) {
	subs := newSubjects()
	ring := subs.ring(t, masters{"k1", map[string][]byte{"k1": key(t)}})
	dc := NewDataConverter(ring)
	mine, err := dc.WithContext(subject.With(context.Background(), "person-1")).ToPayload(ivanov)
	require.NoError(t, err)
	theirs, err := dc.WithContext(subject.With(context.Background(), "person-2")).ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, "sk_person-1", string(mine.Metadata[MetadataEncryptionKey]))

	delete(subs.keys, "sk_person-1") // the erasure destroys the key
	var back person
	assert.ErrorIs(t, dc.FromPayload(mine, &back), ErrUnknownKey)
	require.NoError(t, dc.FromPayload(theirs, &back))
	assert.Equal(t, ivanov, back)
}

func TestFailuresAreEncoded(t *testing.T) {
	dc := NewDataConverter(&Ring{Master: masters{"k1", map[string][]byte{"k1": key(t)}}})
	fc := FailureConverter(dc)
	f := fc.ErrorToFailure(temporal.NewApplicationError("СНИЛС 123-629-311 39 не найден", "NotFound"))
	assert.NotContains(t, f.GetMessage(), "123-629", "the message is in the encoded attributes")
	assert.NotNil(t, f.GetEncodedAttributes())
	assert.False(t, bytes.Contains(f.GetEncodedAttributes().GetData(), []byte("123-629")))
	back := fc.FailureToError(f)
	assert.Contains(t, back.Error(), "СНИЛС 123-629-311 39 не найден")
}

func codecServer(t *testing.T) (*httptest.Server, *Server) {
	s := &Server{Keys: &Ring{Master: masters{"k1", map[string][]byte{"k1": key(t)}}},
		Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer secret" },
		Origins:   []string{"http://localhost:8233"}, Namespaces: []string{"default"}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func post(t *testing.T, url, body string, header map[string]string) *http.Response {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestCodecServerProtocol(t *testing.T) {
	srv, _ := codecServer(t)
	auth := map[string]string{"Authorization": "Bearer secret", "X-Namespace": "default"}
	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: srv.URL + "/codec", ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer secret")
			return nil
		}})
	p, err := remote.ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, EncodingEncrypted, string(p.Metadata[MetadataEncoding]), "the endpoint encoded it")
	var back person
	require.NoError(t, remote.FromPayload(p, &back))
	assert.Equal(t, ivanov, back)

	assert.Equal(t, http.StatusBadRequest, post(t, srv.URL+"/codec/decode", "not json", auth).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, post(t, srv.URL+"/codec/decode", `{"payloads":[]}`, nil).StatusCode)
	assert.Equal(t, http.StatusForbidden, post(t, srv.URL+"/codec/decode", `{"payloads":[]}`,
		map[string]string{"Authorization": "Bearer secret", "X-Namespace": "other"}).StatusCode)
	assert.Equal(t, http.StatusRequestEntityTooLarge, post(t, srv.URL+"/codec/encode",
		`{"payloads":[{"data":"`+strings.Repeat("A", MaxBody)+`"}]}`, auth).StatusCode)

	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		return resp.Header
	}
	h := preflight("http://localhost:8233")
	assert.Equal(t, "http://localhost:8233", h.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, h.Get("Access-Control-Allow-Headers"), "X-Namespace")
	assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
	assert.Empty(t, preflight("https://evil.example").Get("Access-Control-Allow-Origin"))
}

func BenchmarkEncodeDecode4KiB(b *testing.B) {
	codec := New(context.Background(), (&Ring{Master: masters{"k1", map[string][]byte{"k1": key(b)}}}).For(""))
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: bytes.Repeat([]byte("a"), 4096)}
	b.SetBytes(4096)
	for b.Loop() {
		enc, err := codec.Encode([]*commonpb.Payload{p})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := codec.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRemoteConverterAsksForTheSubjectsKey: a client call with a subject
// in its context has the endpoint seal with that subject's key.
func TestRemoteConverterAsksForTheSubjectsKey(t *testing.T) {
	subs := newSubjects()
	s := &Server{Keys: subs.ring(t, masters{"k1", map[string][]byte{"k1": key(t)}}), Authorize: func(*http.Request) bool { return true }}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	remote := NewRemoteDataConverter(srv.URL+"/v1/codec", func(*http.Request) error { return nil })
	p, err := remote.WithContext(subject.With(context.Background(), "person-9")).ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, "sk_person-9", string(p.Metadata[MetadataEncryptionKey]))
	plain, err := remote.ToPayload(ivanov)
	require.NoError(t, err)
	assert.Equal(t, "k1", string(plain.Metadata[MetadataEncryptionKey]), "no subject: the master key")
	assert.Equal(t, http.StatusBadRequest, post(t, srv.URL+"/v1/codec/encode", `{"payloads":[]}`,
		map[string]string{SubjectHeader: "not a subject!"}).StatusCode)
}

// TestAnOutageFailsTheTaskNotTheWorkflow: inside workflow code a key that
// cannot be looked up now panics (the SDK retries the task); a key that is
// gone for good is an error; outside, an outage is ErrUnavailable (503).
func TestAnOutageFailsTheTaskNotTheWorkflow(t *testing.T) {
	down := errors.New("store down")
	ring := &Ring{Master: masters{"k1", map[string][]byte{"k1": key(t)}}, CacheFor: -1,
		ForSubject: func(context.Context, string) (string, Key, error) { return "", nil, down },
		ByID:       func(context.Context, string) (Key, error) { return nil, down }}
	sealed := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingEncrypted), MetadataEncryptionKey: []byte("sk_x")}}

	inWorkflow := New(context.Background(), ring.For("person-1"))
	inWorkflow.inWorkflow = true
	assert.Panics(t, func() { _, _ = inWorkflow.Decode([]*commonpb.Payload{sealed}) })
	assert.Panics(t, func() { _, _ = inWorkflow.Encode([]*commonpb.Payload{{Data: []byte("x")}}) })

	outside := New(context.Background(), ring.For("person-1"))
	_, err := outside.Decode([]*commonpb.Payload{sealed})
	assert.ErrorIs(t, err, ErrUnavailable)

	gone := &Ring{Master: ring.Master, ByID: func(context.Context, string) (Key, error) { return nil, ErrUnknownKey }}
	final := New(context.Background(), gone.For(""))
	final.inWorkflow = true
	_, err = final.Decode([]*commonpb.Payload{sealed})
	assert.ErrorIs(t, err, ErrUnknownKey, "an erased key is final: no panic, no retry")

	srv := httptest.NewServer(&Server{Keys: ring, Authorize: func(*http.Request) bool { return true }})
	t.Cleanup(srv.Close)
	body := `{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"c2tfeA=="}}]}`
	assert.Equal(t, http.StatusServiceUnavailable, post(t, srv.URL+"/v1/codec/decode", body, nil).StatusCode)
}
