package faults

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
)

// Counts tallies the side effects a sandbox performs, by kind (e.g.
// "applicant.create") and key (e.g. the external user id), so a chaos test
// can check that nothing happened twice. The zero value is ready to use and
// it is safe for concurrent use.
type Counts struct {
	mu sync.Mutex
	m  map[string]map[string]int
}

// Add counts one side effect of this kind for this key; on a nil *Counts
// it does nothing, so a sandbox without counts needs no check.
func (c *Counts) Add(kind, key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]map[string]int{}
	}
	if c.m[kind] == nil {
		c.m[kind] = map[string]int{}
	}
	c.m[kind][key]++
}

// Snapshot returns a copy of the counts, kind → key → count.
func (c *Counts) Snapshot() map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[string]int, len(c.m))
	for kind, keys := range c.m {
		out[kind] = make(map[string]int, len(keys))
		for k, n := range keys {
			out[kind][k] = n
		}
	}
	return out
}

// Duplicates returns, per kind, the sorted keys counted more than once.
// Kinds without duplicates are left out, so an empty map means none.
func (c *Counts) Duplicates() map[string][]string {
	return duplicates(c.Snapshot())
}

func duplicates(snap map[string]map[string]int) map[string][]string {
	out := map[string][]string{}
	for kind, keys := range snap {
		for k, n := range keys {
			if n > 1 {
				out[kind] = append(out[kind], k)
			}
		}
		sort.Strings(out[kind]) // a no-op, adding no entry, for kinds without duplicates
	}
	return out
}

// CountsReport is the JSON document Counts.Handler serves.
type CountsReport struct {
	Counts     map[string]map[string]int `json:"counts"`
	Totals     map[string]int            `json:"totals"`
	Duplicates map[string][]string       `json:"duplicates"`
	Faults     map[string]int            `json:"faults"`
}

// Handler serves the counts on GET as a CountsReport in JSON, with the
// fault statistics of faults (which may be nil). Mount it under
// /_sandbox/counts so the Middleware never faults it.
func (c *Counts) Handler(faults *Injector) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.report(faults))
	})
}

func (c *Counts) report(faults *Injector) CountsReport {
	snap := c.Snapshot()
	rep := CountsReport{
		Counts:     snap,
		Totals:     map[string]int{},
		Duplicates: duplicates(snap),
		Faults:     map[string]int{},
	}
	for kind, keys := range snap {
		for _, n := range keys {
			rep.Totals[kind] += n
		}
	}
	if faults != nil {
		rep.Faults = faults.Stats()
	}
	return rep
}
