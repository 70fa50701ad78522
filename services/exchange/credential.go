package exchange

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// CredentialKind is what a credential's secret is.
type CredentialKind string

const (
	// APIKey credentials are long-lived keys zk_{id}_{secret}; the
	// platform keeps only their SHA-256 digest.
	APIKey CredentialKind = "API_KEY"
	// BearerToken credentials are JWTs the platform signs (EdDSA), at
	// most a year long.
	BearerToken CredentialKind = "BEARER_TOKEN"
)

// CredentialState is whether a credential authenticates, computed when read.
type CredentialState string

const (
	CredentialActive  CredentialState = "ACTIVE"
	CredentialExpired CredentialState = "EXPIRED"
	CredentialRevoked CredentialState = "REVOKED"
)

// Credential is issued to one application of a department. Its secret is
// never stored: only the digest of the current one and, for the grace
// period after a rotation, of the one it replaced.
type Credential struct {
	// ID is unique across the platform; the credential's name is
	// departments/{Department}/credentials/{ID}.
	ID          string
	Department  string
	Application string
	Kind        CredentialKind
	CreateTime  time.Time
	// IssueTime is when the current secret was issued.
	IssueTime time.Time
	// ExpireTime is when the current secret stops authenticating; zero
	// for an API key that never expires.
	ExpireTime time.Time
	// SecretDigest is the hex SHA-256 of the current secret as presented.
	SecretDigest string
	// PreviousDigest is the digest of the secret the last rotation
	// replaced; it authenticates until PreviousExpireTime.
	PreviousDigest     string
	PreviousExpireTime time.Time
	// RevokeTime is when the credential was revoked; zero while it is not.
	RevokeTime time.Time
	// Creator is the principal that issued it.
	Creator string
	// State is whether it authenticates, as of the Service's clock when
	// it was read; never stored.
	State CredentialState
}

// Name is the credential's resource name.
func (c *Credential) Name() string { return CredentialName(c.Department, c.ID) }

// CredentialName is the resource name of credential id of a department.
func CredentialName(department, id string) string {
	return DepartmentName(department) + "/credentials/" + id
}

// StateAt reports whether the credential authenticates at now.
func (c *Credential) StateAt(now time.Time) CredentialState {
	switch {
	case !c.RevokeTime.IsZero():
		return CredentialRevoked
	case !c.ExpireTime.IsZero() && !now.Before(c.ExpireTime):
		return CredentialExpired
	}
	return CredentialActive
}

// Limits on credential lifetimes.
const (
	// DefaultGracePeriod is how long a rotated-out secret keeps working
	// when the caller does not say, so that applications can be
	// redeployed with the new one.
	DefaultGracePeriod = 24 * time.Hour
	// MaxGracePeriod bounds how long two secrets of one credential work.
	MaxGracePeriod = 30 * 24 * time.Hour
	maxApplication = 100
)

// apiKeyPrefix starts every API key, so that a leaked key is recognisable
// by secret scanners and told apart from a JWT at a glance.
const apiKeyPrefix = "zk_"

// newCredentialID returns a new random credential id: 16 lower-case hex
// digits, safe in resource names and free of the '_' that separates an
// API key's parts.
func newCredentialID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("credential id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newAPIKey returns a new API key for credential id: zk_{id}_{32 random
// bytes, base64url}.
func newAPIKey(id string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("api key: %w", err)
	}
	return apiKeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// parseAPIKey returns the credential id an API key names, or false when
// the text does not have an API key's shape.
func parseAPIKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || secret == "" {
		return "", false
	}
	for _, r := range id {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", false
		}
	}
	return id, true
}

// digest is the stored form of a secret.
func digest(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// sameDigest compares digests in constant time, so that response times
// do not tell an attacker how much of a guessed key was right.
func sameDigest(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
