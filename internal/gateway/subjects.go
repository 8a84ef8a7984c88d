package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"idflow/internal/store"
)

// RunningWorkflows reports which of the workflow ids still run (the
// worker asks Temporal); an erasure waits for them unless forced.
type RunningWorkflows func(ctx context.Context, workflowIDs []string) ([]string, error)

// maxActorLen bounds the erasure's actor (who asked, for the audit).
const maxActorLen = 128

func (g *Gateway) registerSubjects() {
	g.mux.Handle("POST /v1/subjects/{subject}/erase", g.authorized(http.HandlerFunc(g.eraseSubject)))
}

// eraseSubject: POST /v1/subjects/{subject}/erase {"actor": "...", "force": false}.
// It destroys the subject's key and deletes its documents; 409
// subject_in_use while one of its workflows runs, unless forced.
func (g *Gateway) eraseSubject(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	subject := r.PathValue("subject")
	if !store.ValidSubject(subject) {
		writeError(w, http.StatusBadRequest, "bad_request", "subject: want 1 to 128 letters, digits, '.', '_', ':' or '-'")
		return
	}
	var body struct {
		Actor string `json:"actor"`
		Force bool   `json:"force"`
	}
	if !readJSONBody(w, r, &body) {
		return
	}
	if body.Actor = strings.TrimSpace(body.Actor); body.Actor == "" || len(body.Actor) > maxActorLen {
		writeError(w, http.StatusBadRequest, "bad_request", "actor: who asks for the erasure (1 to 128 characters, no personal data), for the audit")
		return
	}
	if !body.Force {
		running, err := g.runningOf(r.Context(), st, subject)
		if err != nil {
			g.deps.Logger.Warn("erase subject: running workflows unknown", zap.String("subject", subject), zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, "temporal_unavailable", "could not check the subject's workflows; retry later or force")
			return
		}
		if len(running) > 0 {
			writeJSON(w, http.StatusConflict, map[string]any{"code": "subject_in_use",
				"error": "the subject's workflows still run: cancel them first, or force", "workflows": running})
			return
		}
	}
	e, err := st.EraseSubject(r.Context(), subject, body.Actor, body.Force)
	if err != nil {
		g.deps.Logger.Error("erase subject", zap.String("subject", subject), zap.Error(err))
		writeError(w, http.StatusInternalServerError, "store_failed", "the subject could not be erased; retry later")
		return
	}
	if g.deps.Codec != nil {
		g.deps.Codec.Forget(subject) // this process opens none of its payloads from now on
	}
	g.deps.Logger.Info("subject erased", zap.String("subject", subject), zap.String("actor", e.Actor),
		zap.Bool("forced", e.Forced), zap.Int64("documents", e.Documents))
	writeJSON(w, http.StatusOK, e)
}

// runningOf lists the subject's workflows (its documents' owners) that still run.
func (g *Gateway) runningOf(ctx context.Context, st *store.Store, subject string) ([]string, error) {
	owners, err := st.SubjectOwners(ctx, subject)
	if err != nil || len(owners) == 0 {
		return nil, err
	}
	if g.deps.Running == nil {
		return nil, errors.New("no Temporal check configured")
	}
	return g.deps.Running(ctx, owners)
}
