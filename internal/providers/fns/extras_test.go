package fns_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/fns"
)

func TestPushExample(t *testing.T) {
	want := exampleRequest(t, "request-consumer-push-notification.L2613.json")
	for name, body := range map[string]string{"empty answer": "", "result": `{"result": {}}`} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeJSON(w, 200, body) })
			err := newClient(t, f.srv.URL).Partner().Push(context.Background(), "5f0b66f4-80a6-4228-b3fa-e141a1046798",
				fns.PushNotification{Title: "Документы ожидают подписи", Message: "Подписать ->", WorkflowID: 123456})
			require.NoError(t, err)
			assert.Equal(t, "POST", f.Calls()[0].Method)
			assert.Equal(t, "/api/rb/consumer/5f0b66f4-80a6-4228-b3fa-e141a1046798/push_notification/", f.Calls()[0].Path)
			assert.Equal(t, want, sentBody(t, f), "workflow_id as a string, as in the example")
		})
	}
	t.Run("no workflow id", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(204) })
		require.NoError(t, newClient(t, f.srv.URL).Partner().Push(context.Background(), "c/1", fns.PushNotification{Title: "t", Message: "m"}))
		assert.Equal(t, "/api/rb/consumer/c%2F1/push_notification/", f.Calls()[0].Path, "the id is escaped")
		assert.NotContains(t, sentBody(t, f), "workflow_id")
	})
	t.Run("provider error", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			writeJSON(w, 400, `{"error": {"title": ["Шаблон не согласован"]}}`)
		})
		err := newClient(t, f.srv.URL).Partner().Push(context.Background(), "c", fns.PushNotification{Title: "t", Message: "m"})
		assert.Equal(t, []fns.FieldError{{Field: "title", Message: "Шаблон не согласован"}}, fns.FieldErrors(err))
	})
	for name, n := range map[string]fns.PushNotification{"no title": {Message: "m"}, "no message": {Title: "t"}, "negative id": {Title: "t", Message: "m", WorkflowID: -1}} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, newClient(t, "https://fns.example").Partner().Push(context.Background(), "c", n), fns.ErrInvalidArgument)
		})
	}
	assert.ErrorIs(t, newClient(t, "https://fns.example").Partner().Push(context.Background(), " ", fns.PushNotification{Title: "t", Message: "m"}),
		fns.ErrInvalidArgument)
}

func TestRevokeCertificateExample(t *testing.T) {
	want := exampleRequest(t, "request-certificate-revoke.L2634.json")
	// The example's base64 has non-zero padding bits ("…IiB="); compare the content.
	xml, err := base64.StdEncoding.DecodeString(want["base64_encoded_xml_file"].(string))
	require.NoError(t, err)
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeJSON(w, 200, `{"result": {}}`) })
	require.NoError(t, newClient(t, f.srv.URL).Partner().RevokeCertificate(context.Background(), xml))
	assert.Equal(t, "POST", f.Calls()[0].Method)
	assert.Equal(t, "/api/rb/certificate/revoke/", f.Calls()[0].Path)
	sent := sentBody(t, f)
	require.Len(t, sent, 1)
	got, err := base64.StdEncoding.Strict().DecodeString(sent["base64_encoded_xml_file"].(string))
	require.NoError(t, err, "standard padded base64")
	assert.Equal(t, xml, got)
	assert.Equal(t, `<?xml version="1.0" `, string(got))

	assert.ErrorIs(t, newClient(t, "https://fns.example").Partner().RevokeCertificate(context.Background(), nil), fns.ErrInvalidArgument)
}

func TestCreateHelpersExamples(t *testing.T) {
	t.Run("134 L648", func(t *testing.T) {
		f := serveFile(t, "workflow-create-134.L657.json")
		w, err := newClient(t, f.srv.URL).Partner().CreatePause(context.Background(), fns.PauseRequest{Consumer: "bb756a62-753a-46f7-806a-fd6ecf51b01f"})
		require.NoError(t, err)
		assert.Equal(t, "/api/rb/workflow", f.Calls()[0].Path)
		assert.Equal(t, exampleRequest(t, "request-workflow-create-134.L648.json"), sentBody(t, f))
		assert.EqualValues(t, 2052516, w.ID)
		assert.Equal(t, fns.StateActive, w.State)
		assert.Equal(t, "Ожидайте поступления документов", w.Title)
	})
	t.Run("102 L607", func(t *testing.T) {
		f := serveFile(t, "workflow-create-102.L620.json")
		w, err := newClient(t, f.srv.URL).Partner().CreateExternalActivity(context.Background(), fns.ExternalActivityRequest{
			Consumer: "72437714-8f84-4e7e-ae10-8bc97d75be69",
			URL:      "https://www.whatismybrowser.com/detect/what-http-headers-is-my-browser-sending",
			Headers:  map[string]string{"MyAuthHeader": "asd123mnbb--htdgDsdg+J3vfsjhfsff"},
		})
		require.NoError(t, err)
		assert.Equal(t, exampleRequest(t, "request-workflow-create-102.L607.json"), sentBody(t, f))
		assert.Equal(t, fns.StateProcessingExternalActivity, w.State)
		require.NotNil(t, w.ExternalActivity)
		assert.EqualValues(t, 1678, w.ExternalActivity.ID)
		assert.JSONEq(t, `{"MyAuthHeader": "asd123mnbb--htdgDsdg+J3vfsjhfsff"}`, string(w.ExternalActivity.Headers))
	})
	t.Run("84 L444", func(t *testing.T) {
		f := serveFile(t, "workflow-create-84.L457.json")
		w, err := newClient(t, f.srv.URL).Partner().CreateExtraSignature(context.Background(), fns.ExtraSignatureRequest{
			Consumer: "ed0656e3-b6fe-49c0-828e-6994045b968c", Callback: "http://127.0.0.1/callback",
			Entrepreneur: &fns.Entrepreneur{OGRNIP: "321032700015430"},
		})
		require.NoError(t, err)
		assert.Equal(t, exampleRequest(t, "request-workflow-create-84.L444.json"), sentBody(t, f))
		assert.EqualValues(t, 2052427, w.ID)
		assert.Equal(t, fns.StateWaitPKCS10, w.State)
	})
	t.Run("configured scenarios", func(t *testing.T) {
		f := serveFile(t, "workflow-create-134.L657.json")
		c := newClient(t, f.srv.URL, func(cfg *fns.Config) {
			cfg.Scenarios.Pause, cfg.Scenarios.ExternalActivity, cfg.Scenarios.ExtraSignature = 1134, 1102, 1084
		})
		ctx := context.Background()
		_, err := c.Partner().CreatePause(ctx, fns.PauseRequest{Consumer: "c", Callback: "https://us.example/cb", ExternalID: "x"})
		require.NoError(t, err)
		_, err = c.Partner().CreateExternalActivity(ctx, fns.ExternalActivityRequest{Consumer: "c", URL: "https://page.example/"})
		require.NoError(t, err)
		_, err = c.Partner().CreateExtraSignature(ctx, fns.ExtraSignatureRequest{Consumer: "c", LegalEntity: &fns.LegalEntity{INN: "3123456448"}})
		require.NoError(t, err)
		var got []any
		for _, call := range f.Calls() {
			var m map[string]any
			require.NoError(t, json.Unmarshal(call.Body, &m))
			got = append(got, m["scenario"])
		}
		assert.Equal(t, []any{float64(1134), float64(1102), float64(1084)}, got)
		var ea map[string]any
		require.NoError(t, json.Unmarshal(f.Calls()[1].Body, &ea))
		assert.Equal(t, map[string]any{"url": "https://page.example/"}, ea["external_activity"], "no headers key without headers")
	})
	ctx := context.Background()
	s := newClient(t, "https://fns.example").Partner()
	for name, err := range map[string]error{
		"pause without consumer": func() error { _, err := s.CreatePause(ctx, fns.PauseRequest{}); return err }(),
		"activity without consumer": func() error {
			_, err := s.CreateExternalActivity(ctx, fns.ExternalActivityRequest{URL: "https://a.example"})
			return err
		}(),
		"activity relative url": func() error {
			_, err := s.CreateExternalActivity(ctx, fns.ExternalActivityRequest{Consumer: "c", URL: "/page"})
			return err
		}(),
		"activity ftp url": func() error {
			_, err := s.CreateExternalActivity(ctx, fns.ExternalActivityRequest{Consumer: "c", URL: "ftp://a.example"})
			return err
		}(),
		"activity empty header name": func() error {
			_, err := s.CreateExternalActivity(ctx, fns.ExternalActivityRequest{Consumer: "c", URL: "https://a.example", Headers: map[string]string{"": "v"}})
			return err
		}(),
		"extra signature without consumer": func() error { _, err := s.CreateExtraSignature(ctx, fns.ExtraSignatureRequest{}); return err }(),
		"extra signature both": func() error {
			_, err := s.CreateExtraSignature(ctx, fns.ExtraSignatureRequest{Consumer: "c", Entrepreneur: &fns.Entrepreneur{}, LegalEntity: &fns.LegalEntity{}})
			return err
		}(),
	} {
		assert.ErrorIs(t, err, fns.ErrInvalidArgument, name)
	}
}
