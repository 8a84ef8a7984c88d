// Package aead seals data with AES-256-GCM, the one cipher of idflow's
// encryption at rest and in Temporal payloads: a random 12-byte nonce,
// then the ciphertext and its tag; associated data binds what is sealed to
// where it belongs (a key id, a subject and content hash).
package aead

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// ErrOpen: the sealed data is not what the key sealed with that
// associated data (tampered, truncated, or another key).
var ErrOpen = errors.New("aead: sealed data does not open")

// Key is a 32-byte AES-256 key.
type Key []byte

// Seal encrypts plaintext, binding aad.
func (k Key) Seal(plaintext, aad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal made with the same aad.
func (k Key) Open(sealed, aad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return nil, ErrOpen
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// New returns a fresh random key.
func New() (Key, error) {
	k := make(Key, KeySize)
	_, err := rand.Read(k)
	return k, err
}

func (k Key) gcm() (cipher.AEAD, error) {
	if len(k) != KeySize {
		return nil, fmt.Errorf("aead: want a %d-byte key, got %d", KeySize, len(k))
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// String never prints the key.
func (k Key) String() string { return "aead.Key{REDACTED}" }

// GoString never prints it either.
func (k Key) GoString() string { return k.String() }
