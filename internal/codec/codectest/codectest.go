// Package codectest holds the fixed master key of the end-to-end tests,
// so that the histories they record (make record-histories) are sealed
// the way production's are and the replay suite can open them. Never use
// it outside tests.
package codectest

// Keys is IDFLOW_ENCRYPTION_KEYS for tests: one fixed, public key.
const Keys = "e2e-1:aWRmbG93LWUyZS10ZXN0LWtleS0zMi1ieXRlcyEhISE="
