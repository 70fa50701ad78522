package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AssertionTTL is how long a signed identity assertion is accepted. It
// covers one call's hops inside the cluster, not a session.
const AssertionTTL = 2 * time.Minute

// MinKeySize is the shortest cluster key accepted.
const MinKeySize = 32

// Signer signs and verifies identity assertions with the cluster key, a
// secret every zhbase process of one deployment shares. An assertion is how
// a verified identity travels between processes: the gateway (or a service
// acting for itself) signs; the called service verifies without a round
// trip.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer for key.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("cluster key must be at least %d bytes, got %d", MinKeySize, len(key))
	}
	return &Signer{key: append([]byte(nil), key...), now: time.Now}, nil
}

type claims struct {
	Department  string `json:"d,omitempty"`
	Application string `json:"a,omitempty"`
	Credential  string `json:"c,omitempty"`
	Service     string `json:"s,omitempty"`
	Admin       bool   `json:"adm,omitempty"`
	IssuedAt    int64  `json:"iat"`
	Expires     int64  `json:"exp"`
}

const assertionPrefix = "v1."

var b64 = base64.RawURLEncoding

// Sign returns an assertion of id (without its per-call purpose and case
// reference, which travel beside it).
func (s *Signer) Sign(id Identity) string {
	now := s.now()
	payload, _ := json.Marshal(claims{
		Department: id.Department, Application: id.Application, Credential: id.Credential,
		Service: id.Service, Admin: id.Admin,
		IssuedAt: now.Unix(), Expires: now.Add(AssertionTTL).Unix(),
	})
	body := assertionPrefix + b64.EncodeToString(payload)
	return body + "." + b64.EncodeToString(s.mac(body))
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// ErrBadAssertion is returned for an assertion that is malformed, forged
// or expired.
var ErrBadAssertion = errors.New("identity assertion is not valid")

// Verify checks an assertion's signature and lifetime and returns the
// identity it carries.
func (s *Signer) Verify(assertion string) (Identity, error) {
	i := strings.LastIndexByte(assertion, '.')
	if !strings.HasPrefix(assertion, assertionPrefix) || i <= len(assertionPrefix) {
		return Identity{}, fmt.Errorf("%w: malformed", ErrBadAssertion)
	}
	body, sig := assertion[:i], assertion[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Identity{}, fmt.Errorf("%w: signature does not match", ErrBadAssertion)
	}
	payload, err := b64.DecodeString(body[len(assertionPrefix):])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: malformed payload", ErrBadAssertion)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Identity{}, fmt.Errorf("%w: malformed payload", ErrBadAssertion)
	}
	now := s.now().Unix()
	// A minute of clock skew between hosts is tolerated at issue time.
	if now > c.Expires || c.IssuedAt > now+60 {
		return Identity{}, fmt.Errorf("%w: expired or not yet valid", ErrBadAssertion)
	}
	if c.Department == "" && c.Service == "" {
		return Identity{}, fmt.Errorf("%w: names no caller", ErrBadAssertion)
	}
	return Identity{
		Department: c.Department, Application: c.Application, Credential: c.Credential,
		Service: c.Service, Admin: c.Admin,
	}, nil
}

// Key returns the cluster key, for deriving keys of other purposes.
func (s *Signer) Key() []byte { return append([]byte(nil), s.key...) }
