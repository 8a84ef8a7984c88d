// Package processtest helps the workflow tests of the processes.
package processtest

import (
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"idflow/workflows/process"
)

// UpsertedStages records the stage each search-attribute upsert on env
// sets ("" for none), in order; it mocks every upsert.
func UpsertedStages(env *testsuite.TestWorkflowEnvironment) *[]string {
	stages := &[]string{}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		stage, _ := args.Get(0).(temporal.SearchAttributes).GetKeyword(process.StageKey)
		*stages = append(*stages, stage)
	}).Return(nil)
	return stages
}
