package faults

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCounts(t *testing.T) {
	var c Counts // the zero value is usable
	assert.Empty(t, c.Snapshot())
	assert.Empty(t, c.Duplicates())

	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Add("webhook.send", "evt-1")
		}()
	}
	wg.Wait()
	c.Add("applicant.create", "u2")
	c.Add("applicant.create", "u1")
	c.Add("applicant.create", "u3")
	c.Add("applicant.create", "u3")
	c.Add("applicant.create", "u1")

	snap := c.Snapshot()
	assert.Equal(t, map[string]map[string]int{
		"webhook.send":     {"evt-1": 50},
		"applicant.create": {"u1": 2, "u2": 1, "u3": 2},
	}, snap)
	snap["webhook.send"]["evt-1"] = 0
	assert.Equal(t, 50, c.Snapshot()["webhook.send"]["evt-1"], "the snapshot is a copy")

	assert.Equal(t, map[string][]string{
		"webhook.send":     {"evt-1"},
		"applicant.create": {"u1", "u3"},
	}, c.Duplicates())
}

func getReport(t *testing.T, h http.Handler) CountsReport {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/_sandbox/counts")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var rep CountsReport
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	return rep
}

func TestCountsHandler(t *testing.T) {
	var c Counts
	rep := getReport(t, c.Handler(nil))
	assert.Equal(t, CountsReport{
		Counts: map[string]map[string]int{}, Totals: map[string]int{},
		Duplicates: map[string][]string{}, Faults: map[string]int{},
	}, rep, "empty objects, not nulls")

	c.Add("applicant.create", "u1")
	c.Add("applicant.create", "u1")
	c.Add("applicant.create", "u2")
	c.Add("doc.upload", "d1")
	in := New(Spec{Drop: 1})
	in.count(Drop)
	rep = getReport(t, c.Handler(in))
	assert.Equal(t, CountsReport{
		Counts: map[string]map[string]int{
			"applicant.create": {"u1": 2, "u2": 1},
			"doc.upload":       {"d1": 1},
		},
		Totals:     map[string]int{"applicant.create": 3, "doc.upload": 1},
		Duplicates: map[string][]string{"applicant.create": {"u1"}},
		Faults:     map[string]int{"drop": 1},
	}, rep)

	rec := httptest.NewRecorder()
	c.Handler(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_sandbox/counts", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}
