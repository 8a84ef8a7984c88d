package fns

import (
	"fmt"
	"os"
	"testing"
)

// TestMain makes every save of the package's tests check that it wrote
// every change, and fails the tests when one did not.
func TestMain(m *testing.M) {
	verifySaves = true
	code := m.Run()
	for _, c := range unsavedChanges {
		fmt.Fprintln(os.Stderr, "fns sandbox: a save missed a change:", c)
		code = 1
	}
	os.Exit(code)
}
