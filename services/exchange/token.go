package exchange

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// SigningKey signs bearer tokens. Keys live in the exchange's database;
// the newest is current and signs new tokens, older ones keep verifying
// the tokens they signed until an admin deletes them.
type SigningKey struct {
	// ID is the key id, the tokens' kid header.
	ID         string
	Private    ed25519.PrivateKey
	CreateTime time.Time
}

// Public is the key's public half.
func (k *SigningKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// PublicText is the public half as base64url without padding.
func (k *SigningKey) PublicText() string { return base64.RawURLEncoding.EncodeToString(k.Public()) }

// SigningKeyName is the resource name of a signing key.
func SigningKeyName(id string) string { return "signingKeys/" + id }

func newSigningKey(now time.Time) (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("signing key id: %w", err)
	}
	return &SigningKey{ID: hex.EncodeToString(id), Private: priv, CreateTime: now.UTC()}, nil
}

// tokenIssuer is the iss claim of every bearer token, so that a token
// another system signed with a coincidentally known kid is never taken
// for one of ours.
const tokenIssuer = "zhbase-exchange"

// tokenClaims are a bearer token's claims: sub is the credential's name,
// dept and app say whose it is, for readers of the token who cannot call
// the exchange.
type tokenClaims struct {
	Department  string `json:"dept"`
	Application string `json:"app"`
	jwt.RegisteredClaims
}

// signToken issues a bearer token for c, valid from now until c's expire
// time, signed with k.
func signToken(k *SigningKey, c *Credential, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, tokenClaims{
		Department:  c.Department,
		Application: c.Application,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   c.Name(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(c.ExpireTime),
			ID:        hex.EncodeToString(jti),
		},
	})
	t.Header["kid"] = k.ID
	s, err := t.SignedString(k.Private)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// keyRing caches the signing keys, so that verifying a token costs no
// database read. A kid it does not know makes it reload (at most once a
// second, so that made-up kids cannot hammer the database); otherwise it
// reloads after keyCacheTTL, which bounds how long another replica keeps
// accepting tokens of a key an admin deleted.
type keyRing struct {
	load func(ctx context.Context) ([]*SigningKey, error)

	mu       sync.Mutex
	keys     []*SigningKey // newest first
	loadedAt time.Time
}

const (
	keyCacheTTL      = time.Minute
	keyReloadBackoff = time.Second
)

func (r *keyRing) refresh(ctx context.Context, force bool) error {
	age := time.Since(r.loadedAt)
	if r.keys != nil && age < keyCacheTTL && (!force || age < keyReloadBackoff) {
		return nil
	}
	keys, err := r.load(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	r.keys, r.loadedAt = keys, time.Now()
	return nil
}

// invalidate makes the next use reload, after this replica changed the keys.
func (r *keyRing) invalidate() {
	r.mu.Lock()
	r.keys = nil
	r.mu.Unlock()
}

// current returns the key new tokens are signed with.
func (r *keyRing) current(ctx context.Context) (*SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refresh(ctx, false); err != nil {
		return nil, err
	}
	if len(r.keys) == 0 {
		return nil, errors.New("no signing key: the exchange was not started with New")
	}
	return r.keys[0], nil
}

// verifier returns the public key of kid, or nil when there is none.
func (r *keyRing) verifier(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refresh(ctx, false); err != nil {
		return nil, err
	}
	if k := r.find(kid); k != nil {
		return k, nil
	}
	if err := r.refresh(ctx, true); err != nil {
		return nil, err
	}
	return r.find(kid), nil
}

func (r *keyRing) find(kid string) ed25519.PublicKey {
	for _, k := range r.keys {
		if k.ID == kid {
			return k.Public()
		}
	}
	return nil
}
