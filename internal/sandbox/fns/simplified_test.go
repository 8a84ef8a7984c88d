package fns_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSimplifiedSigning: POST /api/rb/workflow/fns finds the consumer by
// INN and phone (scenario 564), and answers the document's not-found 400
// otherwise, non_field_errors as a string.
func TestSimplifiedSigning(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	consumerID, _, _ := e.signer(rcv.srv.URL)
	body := map[string]any{"scenario": 564, "inn": "312324014516", "phone": "79001234567", "callback": rcv.srv.URL, "documents": signTwo}
	st, resp := e.do("POST", "/api/rb/workflow/fns", e.token, body)
	require.Equal(t, 200, st, "%v", resp)
	r := result(t, resp)
	require.Equal(t, consumerID, r["consumer"], "the documents went to the consumer with that INN and phone")
	require.Equal(t, float64(564), r["scenario"])
	require.Equal(t, "Подпишите документы для индивидуального предпринимателя", r["title"])
	id := int64(r["id"].(float64))
	e.advanceTo(2*step, id, "complete")

	body["phone"] = "79001112233"
	st, resp = e.do("POST", "/api/rb/workflow/fns", e.token, body)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"non_field_errors": "Клиент с такими данными не найден"}}, resp)
	st, resp = e.do("POST", "/api/rb/workflow/fns", e.token, map[string]any{"scenario": 82, "documents": signTwo})
	require.Equal(t, 400, st)
	errs := resp["error"].(map[string]any)
	require.Contains(t, errs, "inn")
	require.Contains(t, errs, "phone")
	require.Contains(t, errs, "scenario", "only 564 goes to /fns")
}
