// Package workflows registers every process's workflow type and holds the
// replay suite over recorded histories. The processes themselves live one
// per package below (simplifiedid, kyc), each with a contract.go a service
// links, on the shared core in workflows/process.
//
// Workflow code here uses only workflow.* for time, sleep, concurrency,
// randomness and side effects; it never imports the store, provider clients,
// net/http or the clock. CI runs workflowcheck over these packages.
package workflows
