package subscription

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// SealingKeySize is the size of the key callback secrets are sealed with
// (AES-256).
const SealingKeySize = 32

// secretSize is the entropy of a callback secret, in bytes.
const secretSize = 32

// sealVersion leads every sealed secret, so that a later sealing scheme or
// key can be told apart from this one.
const sealVersion = 1

// sealer keeps callback secrets out of the database in clear. The HMAC key
// must be recoverable to sign, so it is encrypted rather than hashed, and
// bound to its subscription's id, so that a sealed secret copied into
// another row does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != SealingKeySize {
		return nil, fmt.Errorf("the secret sealing key must be %d bytes, got %d", SealingKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func additionalData(id string) []byte { return []byte("zhbase/" + ResourceName(id) + "/secret") }

func (s *sealer) seal(id string, secret []byte) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1:]) // crypto/rand never fails on supported platforms
	return s.aead.Seal(out, out[1:], secret, additionalData(id))
}

var errUnseal = errors.New("the callback secret cannot be unsealed with this service's key")

func (s *sealer) open(id string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, errUnseal
	}
	secret, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additionalData(id))
	if err != nil {
		return nil, errUnseal
	}
	return secret, nil
}

// newSecret returns a fresh callback secret: base64url of 32 random bytes.
// Its ASCII bytes are the HMAC key, so that a receiver in any language uses
// it as given.
func newSecret() string {
	b := make([]byte, secretSize)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
