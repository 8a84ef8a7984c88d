package fns_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/fns"
	"idflow/internal/validate"
)

// exampleRequest decodes a request example of the document. The document
// writes "scenario" as a string in some examples; the client sends a number,
// so a numeric string is turned into a number before comparing.
func exampleRequest(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(testdata(t, name)), &m))
	if s, ok := m["scenario"].(string); ok {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		m["scenario"] = float64(n)
	}
	return m
}

func sentBody(t *testing.T, f *fakeFNS) map[string]any {
	t.Helper()
	calls := f.Calls()
	require.Len(t, calls, 1)
	var m map[string]any
	require.NoError(t, json.Unmarshal(calls[0].Body, &m))
	return m
}

// exampleDocuments turns the example's documents into SigningDocuments whose
// content is the example's "path" text (the examples are abbreviated, not
// base64: "JMBERi0..."), and rewrites the example's paths to the base64 of
// that text, which is what the client must send.
func exampleDocuments(t *testing.T, m map[string]any) []fns.SigningDocument {
	t.Helper()
	var docs []fns.SigningDocument
	for _, d := range m["documents"].([]any) {
		d := d.(map[string]any)
		docs = append(docs, fns.SigningDocument{Title: d["title"].(string), Content: []byte(d["path"].(string))})
		d["path"] = base64.StdEncoding.EncodeToString([]byte(d["path"].(string)))
	}
	return docs
}

func TestSignDocumentsExamples(t *testing.T) {
	t.Run("82 L479", func(t *testing.T) {
		want := exampleRequest(t, "request-workflow-create-82.L479.json")
		docs := exampleDocuments(t, want)
		f := serveFile(t, "workflow-create-82.L498.json")
		w, err := newClient(t, f.srv.URL).Partner().SignDocuments(context.Background(), fns.SigningRequest{
			Consumer: "5f0b66f4-80a6-4228-b3fa-e141a1046798", Documents: docs,
			Backref: "http://url_customers_landing_page", Callback: "http://127.0.0.1/callback",
		})
		require.NoError(t, err)
		assert.Equal(t, "POST", f.Calls()[0].Method)
		assert.Equal(t, "/api/rb/workflow", f.Calls()[0].Path)
		assert.Equal(t, want, sentBody(t, f))
		assert.EqualValues(t, 2053010, w.ID)
		assert.Equal(t, fns.StateWaitSignature, w.State)
		assert.Equal(t, "5f0b66f4-80a6-4228-b3fa-e141a1046798", w.Consumer.ID)
		require.Len(t, w.Documents, 2)
		assert.Equal(t, "/api/rb/document/2960797/path/usn.pdf", w.Documents[0].Path)
		assert.Equal(t, "not-rejectable", w.Documents[1].Type)
	})
	t.Run("88 L544", func(t *testing.T) {
		want := exampleRequest(t, "request-workflow-create-88.L544.json")
		docs := exampleDocuments(t, want)
		f := serveFile(t, "workflow-create-88.L564.json")
		w, err := newClient(t, f.srv.URL).Partner().SignDocuments(context.Background(), fns.SigningRequest{
			Consumer: "5f0b66f4-80a6-4228-b3fa-e141a1046798", Documents: docs,
			Callback: "http://127.0.0.1/callback", LegalEntityINN: "3123456448",
		})
		require.NoError(t, err)
		assert.Equal(t, want, sentBody(t, f))
		assert.Equal(t, 88, w.Scenario.ID)
		require.Len(t, w.Documents, 2)
		assert.EqualValues(t, 2960798, w.Documents[1].ID)
	})
}

func TestSignDocumentsScenarioAndFields(t *testing.T) {
	f := serveFile(t, "workflow-create-82.L498.json")
	c := newClient(t, f.srv.URL, func(cfg *fns.Config) { cfg.Scenarios.Signing, cfg.Scenarios.SigningLegalEntity = 182, 188 })
	_, err := c.Partner().SignDocuments(context.Background(), fns.SigningRequest{
		Consumer: " 5f0b66f4-80a6-4228-b3fa-e141a1046798 ", ExternalID: "2f973415-4d6b-4541-90c1-010ef6f85455",
		Documents: []fns.SigningDocument{{Title: " Договор №5 (копия).pdf ", Content: []byte("%PDF-1.4")}},
		Sender:    []fns.Attribute{{Key: fns.AttributeContractorName, Value: "ООО Ромашка"}},
	})
	require.NoError(t, err)
	sent := sentBody(t, f)
	assert.Equal(t, float64(182), sent["scenario"], "configured signing scenario, no legal entity")
	assert.Equal(t, "5f0b66f4-80a6-4228-b3fa-e141a1046798", sent["consumer"])
	assert.Equal(t, "2f973415-4d6b-4541-90c1-010ef6f85455", sent["external_id"])
	assert.Equal(t, []any{map[string]any{"title": "Договор _5 (копия).pdf", "path": base64.StdEncoding.EncodeToString([]byte("%PDF-1.4"))}},
		sent["documents"], "title trimmed and sanitised with the Unicode rule (Cyrillic kept)")
	assert.Equal(t, map[string]any{"attributes": []any{map[string]any{"key": "b2b_contractor_name", "value": "ООО Ромашка"}}}, sent["data"])
	for _, k := range []string{"backref", "legal_entity", "callback", "entrepreneur"} {
		assert.NotContains(t, sent, k)
	}

	f2 := serveFile(t, "workflow-create-88.L564.json")
	c2 := newClient(t, f2.srv.URL, func(cfg *fns.Config) { cfg.Scenarios.SigningLegalEntity = 188 })
	_, err = c2.Partner().SignDocuments(context.Background(), fns.SigningRequest{Consumer: "5f0b66f4-80a6-4228-b3fa-e141a1046798",
		Documents: []fns.SigningDocument{{Title: "a.pdf", Content: []byte("x")}}, LegalEntityINN: "3123456448"})
	require.NoError(t, err)
	assert.Equal(t, float64(188), sentBody(t, f2)["scenario"])
}

func TestSignDocumentsArgumentErrors(t *testing.T) {
	doc := fns.SigningDocument{Title: "a.pdf", Content: []byte("x")}
	many := make([]fns.SigningDocument, validate.MaxFNSDocuments+1)
	for i := range many {
		many[i] = doc
	}
	for name, req := range map[string]fns.SigningRequest{
		"no consumer":         {Documents: []fns.SigningDocument{doc}},
		"no documents":        {Consumer: "c"},
		"51 documents":        {Consumer: "c", Documents: many},
		"blank title":         {Consumer: "c", Documents: []fns.SigningDocument{{Title: "  ", Content: []byte("x")}}},
		"251 character title": {Consumer: "c", Documents: []fns.SigningDocument{{Title: strings.Repeat("я", validate.MaxFNSTitleLen-3) + ".pdf", Content: []byte("x")}}},
		"empty content":       {Consumer: "c", Documents: []fns.SigningDocument{{Title: "a.pdf"}}},
		"attribute no key":    {Consumer: "c", Documents: []fns.SigningDocument{doc}, Sender: []fns.Attribute{{Value: "v"}}},
	} {
		t.Run(name, func(t *testing.T) {
			f := serveFile(t, "workflow-create-82.L498.json")
			_, err := newClient(t, f.srv.URL).Partner().SignDocuments(context.Background(), req)
			assert.ErrorIs(t, err, fns.ErrInvalidArgument)
			assert.Empty(t, f.Calls(), "refused before any call")
			assert.Zero(t, f.Auths())
		})
	}
	t.Run("50 documents and a 250 character title are fine", func(t *testing.T) {
		f := serveFile(t, "workflow-create-82.L498.json")
		docs := many[:validate.MaxFNSDocuments]
		docs[0] = fns.SigningDocument{Title: strings.Repeat("я", validate.MaxFNSTitleLen-4) + ".pdf", Content: []byte("x")}
		_, err := newClient(t, f.srv.URL).Partner().SignDocuments(context.Background(), fns.SigningRequest{Consumer: "c", Documents: docs})
		require.NoError(t, err)
		assert.Len(t, sentBody(t, f)["documents"], validate.MaxFNSDocuments)
	})
}

func TestSignSimplifiedExamples(t *testing.T) {
	want := exampleRequest(t, "request-workflow-fns.L785.json")
	docs := exampleDocuments(t, want)
	f := serveFile(t, "workflow-fns.L801.json")
	w, err := newClient(t, f.srv.URL).Partner().SignSimplified(context.Background(), fns.SimplifiedSigningRequest{
		INN: "365885220301", Phone: "79686423437", Documents: docs,
	})
	require.NoError(t, err)
	assert.Equal(t, "POST", f.Calls()[0].Method)
	assert.Equal(t, "/api/rb/workflow/fns", f.Calls()[0].Path)
	assert.Equal(t, want, sentBody(t, f), "default scenario 564, Cyrillic title kept")
	assert.EqualValues(t, 407054, w.ID)
	assert.Equal(t, 564, w.Scenario.ID)
	assert.Equal(t, "d1ce6291-505d-4363-a7d6-7bfe07e08098", w.Consumer.ID, "the consumer the documents went to")
	assert.Equal(t, fns.StateWaitSignature, w.State)
	require.Len(t, w.Documents, 1)
	assert.Equal(t, "normal", w.Documents[0].Type)
	assert.Equal(t, "Заявление.txt", w.Documents[0].Title)
	assert.Equal(t, "/api/rb/document/429048/path/ %D0%BB%D0%B5%D0.txt", w.Documents[0].Path, "kept as the provider wrote it")

	t.Run("not found L830", func(t *testing.T) {
		f := serveFile(t, "error-workflow-fns-not-found.L830.json")
		_, err := newClient(t, f.srv.URL).Partner().SignSimplified(context.Background(), fns.SimplifiedSigningRequest{
			INN: "365885220301", Phone: "79686423437", Documents: docs})
		assert.True(t, fns.IsNotFound(err))
		assert.False(t, fns.IsRetryable(err))
		assert.Equal(t, []fns.FieldError{{Message: "Клиент с такими данными не найден"}}, fns.FieldErrors(err))
	})
}

func TestSignSimplifiedFields(t *testing.T) {
	f := serveFile(t, "workflow-fns.L801.json")
	c := newClient(t, f.srv.URL, func(cfg *fns.Config) { cfg.Scenarios.SimplifiedSigning = 600 })
	_, err := c.Partner().SignSimplified(context.Background(), fns.SimplifiedSigningRequest{
		Scenario: 601, INN: "3123456448", Phone: "79686423437", Callback: "https://us.example/cb",
		ExternalID: "2f973415-4d6b-4541-90c1-010ef6f85455", Backref: "https://us.example/back", LegalEntityINN: "3123456448",
		Sender:    []fns.Attribute{{Key: fns.AttributeContractorName, Value: "ООО Ромашка"}},
		Documents: []fns.SigningDocument{{Title: "a/b.pdf", Content: []byte("x")}},
	})
	require.NoError(t, err)
	sent := sentBody(t, f)
	assert.Equal(t, float64(601), sent["scenario"], "an explicit scenario wins")
	assert.Equal(t, "https://us.example/cb", sent["callback"])
	assert.Equal(t, "2f973415-4d6b-4541-90c1-010ef6f85455", sent["external_id"])
	assert.Equal(t, "https://us.example/back", sent["backref"])
	assert.Equal(t, map[string]any{"inn": "3123456448"}, sent["legal_entity"])
	assert.Equal(t, "a_b.pdf", sent["documents"].([]any)[0].(map[string]any)["title"])
	assert.NotNil(t, sent["data"])

	f2 := serveFile(t, "workflow-fns.L801.json")
	c2 := newClient(t, f2.srv.URL, func(cfg *fns.Config) { cfg.Scenarios.SimplifiedSigning = 600 })
	_, err = c2.Partner().SignSimplified(context.Background(), fns.SimplifiedSigningRequest{INN: "3123456448", Phone: "79686423437",
		Documents: []fns.SigningDocument{{Title: "a.pdf", Content: []byte("x")}}})
	require.NoError(t, err)
	assert.Equal(t, float64(600), sentBody(t, f2)["scenario"], "zero takes the configured scenario")

	doc := []fns.SigningDocument{{Title: "a.pdf", Content: []byte("x")}}
	for name, req := range map[string]fns.SimplifiedSigningRequest{
		"no inn":       {Phone: "79686423437", Documents: doc},
		"no phone":     {INN: "3123456448", Documents: doc},
		"no documents": {INN: "3123456448", Phone: "79686423437"},
		"long title": {INN: "3123456448", Phone: "79686423437",
			Documents: []fns.SigningDocument{{Title: strings.Repeat("a", validate.MaxFNSTitleLen+1), Content: []byte("x")}}},
	} {
		t.Run(name, func(t *testing.T) {
			f := serveFile(t, "workflow-fns.L801.json")
			_, err := newClient(t, f.srv.URL).Partner().SignSimplified(context.Background(), req)
			assert.ErrorIs(t, err, fns.ErrInvalidArgument)
			assert.Empty(t, f.Calls())
		})
	}
}

func TestSignedDocumentsExample(t *testing.T) {
	f := serveFile(t, "workflow-document.L2389.json")
	docs, err := newClient(t, f.srv.URL).Partner().SignedDocuments(context.Background(), 2053010)
	require.NoError(t, err)
	assert.Equal(t, "GET", f.Calls()[0].Method)
	assert.Equal(t, "/api/rb/workflow/2053010/document", f.Calls()[0].Path)
	require.Len(t, docs, 3)
	assert.EqualValues(t, 2499945, docs[0].ID)
	assert.Equal(t, "721be3bb-d7c2-42d6-bcc6-9593494blef4.tiff", docs[0].Title)
	assert.Equal(t, "/api/rb/document/2499945/path/721be3bb-d7c2-42d6-bcc6-9593494blef4.tiff", docs[0].Path)
	assert.Equal(t, "/api/rb/document/2499945/signature/Y4BEIUHP.p7s", docs[0].Signature)
	assert.Equal(t, "/api/rb/document/2499949/signature/NF2HUD0Z.p7s", docs[2].Signature)
	assert.True(t, docs[1].IsViewed)
	assert.Equal(t, "not-rejectable", docs[1].Type)

	_, err = newClient(t, f.srv.URL).Partner().SignedDocuments(context.Background(), 0)
	assert.ErrorIs(t, err, fns.ErrInvalidArgument)
}

func TestMergeSignaturesExamples(t *testing.T) {
	t.Run("base64 L2655", func(t *testing.T) {
		want := exampleRequest(t, "request-signatures-merge-base64.L2655.json")
		// The example's contents are abbreviated ("MIAsdf..."): they are used
		// as the content's text and their base64 is expected.
		var sigs []fns.SignatureSource
		for _, it := range want["signatures"].([]any) {
			it := it.(map[string]any)
			sigs = append(sigs, fns.SignatureSource{CMS: []byte(it["base64_file"].(string))})
			it["base64_file"] = base64.StdEncoding.EncodeToString([]byte(it["base64_file"].(string)))
		}
		f := serveFile(t, "signatures-merge-base64.L2667.json")
		m, err := newClient(t, f.srv.URL).Partner().MergeSignatures(context.Background(), sigs)
		require.NoError(t, err)
		assert.Equal(t, "POST", f.Calls()[0].Method)
		assert.Equal(t, "/api/rb/signatures-merge", f.Calls()[0].Path)
		assert.Equal(t, want, sentBody(t, f))
		assert.Equal(t, "MIAGCSqG...", m.Base64)
		_, err = m.Bytes()
		assert.Error(t, err, "the example's result is abbreviated, not base64")
	})
	t.Run("url L2679", func(t *testing.T) {
		want := exampleRequest(t, "request-signatures-merge-url.L2679.json")
		f := serveFile(t, "signatures-merge-url.L2691.json")
		m, err := newClient(t, f.srv.URL).Partner().MergeSignatures(context.Background(), []fns.SignatureSource{
			{URL: "/api/rb/document/16569/signature/VIY52ZGQ.p7s"}, {URL: " /api/rb/document/16569/signature/VIY52ZGQ.p7s "}})
		require.NoError(t, err)
		assert.Equal(t, want, sentBody(t, f))
		assert.Equal(t, "MIAGCSqG...", m.Base64)
	})
}

func TestMergeSignaturesDecodingAndArguments(t *testing.T) {
	cms := []byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86}
	for name, enc := range map[string]string{
		"padded":     base64.StdEncoding.EncodeToString(cms),
		"unpadded":   base64.RawStdEncoding.EncodeToString(cms[:5]),
		"line break": base64.StdEncoding.EncodeToString(cms)[:4] + "\n" + base64.StdEncoding.EncodeToString(cms)[4:],
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				writeJSON(w, 200, `{"result": {"result": "`+strings.ReplaceAll(enc, "\n", `\n`)+`"}}`)
			})
			m, err := newClient(t, f.srv.URL).Partner().MergeSignatures(context.Background(), []fns.SignatureSource{{CMS: cms}, {URL: "/x.p7s"}})
			require.NoError(t, err)
			b, err := m.Bytes()
			require.NoError(t, err)
			if name == "unpadded" {
				assert.Equal(t, cms[:5], b)
			} else {
				assert.Equal(t, cms, b)
			}
		})
	}
	t.Run("empty result is retryable", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeJSON(w, 200, `{"result": {}}`) })
		_, err := newClient(t, f.srv.URL).Partner().MergeSignatures(context.Background(), []fns.SignatureSource{{CMS: cms}})
		assert.True(t, fns.IsRetryable(err))
	})
	for name, sigs := range map[string][]fns.SignatureSource{
		"none":    nil,
		"both":    {{CMS: cms, URL: "/x.p7s"}},
		"neither": {{URL: " "}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(t, "https://fns.example").Partner().MergeSignatures(context.Background(), sigs)
			assert.ErrorIs(t, err, fns.ErrInvalidArgument)
		})
	}
}
