// Package sandboxstate keeps the state of the embedded provider sandboxes
// (internal/sandbox/...) in an SQLite file, so that they survive a restart
// of worker -dev.
//
// The file holds one generic table, sandbox_state(sandbox, kind, id, body,
// updated_at): every object of a sandbox is one JSON row, written through
// in the sandbox's critical section on every change. Several sandboxes may
// share a file; each [Store] sees only the rows of its sandbox. The schema
// is applied by embedded goose migrations, like internal/store's.
package sandboxstate
