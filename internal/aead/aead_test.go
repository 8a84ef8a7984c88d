package aead

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSealOpen(t *testing.T) {
	k, err := New()
	require.NoError(t, err)
	plain := []byte("Иванов Иван Иванович, СНИЛС 123-629-311 39")
	sealed, err := k.Seal(plain, []byte("k1"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(sealed, plain[:12]))
	got, err := k.Open(sealed, []byte("k1"))
	require.NoError(t, err)
	assert.Equal(t, plain, got)

	_, err = k.Open(sealed, []byte("k2"))
	assert.ErrorIs(t, err, ErrOpen, "another associated data")
	sealed[len(sealed)-1] ^= 1
	_, err = k.Open(sealed, []byte("k1"))
	assert.ErrorIs(t, err, ErrOpen, "tampered")
	_, err = k.Open(sealed[:5], []byte("k1"))
	assert.ErrorIs(t, err, ErrOpen, "truncated")
	other, _ := New()
	sealed2, _ := k.Seal(plain, nil)
	_, err = other.Open(sealed2, nil)
	assert.ErrorIs(t, err, ErrOpen, "another key")
	assert.NotContains(t, fmt.Sprint(k), fmt.Sprintf("%x", []byte(k)[:4]))
	_, err = Key("short").Seal(plain, nil)
	assert.Error(t, err)
}
