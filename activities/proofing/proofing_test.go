package proofing

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"idflow/activities/activitytest"
	"idflow/workflows/onboarding"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

func record(t *testing.T, env *testsuite.TestActivityEnvironment, version int64, s proofing.Status) (onboarding.RecordProofingResult, error) {
	t.Helper()
	var res onboarding.RecordProofingResult
	v, err := env.ExecuteActivity(onboarding.RecordProofingActivity, onboarding.RecordProofingInput{
		ProofingID: "prf-1", DeviceReferenceID: "dev-1", WorkflowID: "onboarding-prf-1", Version: version, Status: s})
	if err == nil {
		require.NoError(t, v.Get(&res))
	}
	return res, err
}

func TestRecordProofingStatusWakesTheNotifierOncePerChange(t *testing.T) {
	st := activitytest.NewStore(t)
	woken := 0
	env := activitytest.ActivityEnv(t, func(env *testsuite.TestActivityEnvironment) {
		Register(env, &Activities{Store: st, Notify: func() { woken++ }})
	})
	challenged := proofing.Challenge("agent", proofing.PhysicalLocationVisit())
	res, err := record(t, env, 2, challenged)
	require.NoError(t, err)
	assert.True(t, res.Applied)
	res, err = record(t, env, 1, proofing.Pending()) // overtaken: a retry of an older write
	require.NoError(t, err)
	assert.False(t, res.Applied)
	assert.Equal(t, 1, woken, "only an applied change is announced")

	p, err := st.GetProofing(context.Background(), "prf-1")
	require.NoError(t, err)
	assert.JSONEq(t, string(challenged.JSON()), string(p.Status))
	due, err := st.DueProofingNotifications(context.Background(), p.UpdatedAt.Add(1e9), 10)
	require.NoError(t, err)
	assert.Len(t, due, 1)
}

func TestRecordProofingStatusRefusesAnInvalidStatusForGood(t *testing.T) {
	env := activitytest.ActivityEnv(t, func(env *testsuite.TestActivityEnvironment) {
		Register(env, &Activities{Store: activitytest.NewStore(t)})
	})
	_, err := record(t, env, 1, proofing.Status{Pending: &proofing.Empty{}, Accepted: &proofing.Empty{}})
	activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
}
