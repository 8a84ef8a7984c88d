// Package activities holds everything workflows do to the world: provider
// calls and the database, one package per provider process (mandarin,
// idngo), each registering its activities under the names of its process's
// contract (workflows/simplifiedid, workflows/kyc).
//
// Activities are methods on structs that hold their dependencies; the worker
// builds each struct once and registers it. Errors are classified for
// Temporal's retry policy: what may succeed later (network, 5xx, 429) is
// returned as is and retried with backoff; "not finished yet" is a benign
// process.PendingError that drives polling; what never will is a
// non-retryable application error whose type (process.ErrType*) an operator
// can search for.
package activities
