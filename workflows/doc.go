// Package workflows holds the deterministic workflow code and the public
// contract every service relies on: workflow, signal, update and query names,
// search-attribute keys, inputs and outputs.
//
// Workflow code here uses only workflow.* for time, sleep, concurrency,
// randomness and side effects; it never imports the store, provider clients,
// net/http or the clock. CI runs workflowcheck over this package.
package workflows
