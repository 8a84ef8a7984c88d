// Package process is the core every provider process shares, pure and
// deterministic: the outcomes a process ends in, the status every status
// query returns at its core, the named waits, the search-attribute keys,
// the error types activities and workflows agree on, and the Tracker that
// publishes a process's state (search attributes, the UI's current details)
// and finishes it once.
//
// A process package (simplifiedid, kyc, ...) embeds Status in its own status
// type, owns one Tracker, and calls it at every change of stage, wait or
// outcome; it never upserts search attributes itself.
package process
