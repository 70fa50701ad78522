package exchange

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// AuthFailure says why a presented credential was refused.
type AuthFailure string

const (
	// FailureUnknown: not a credential the platform issued, or a secret it
	// does not hold (a typo, a forgery, a key replaced long ago).
	FailureUnknown AuthFailure = "CREDENTIAL_UNKNOWN"
	// FailureRevoked: the credential was revoked.
	FailureRevoked AuthFailure = "CREDENTIAL_REVOKED"
	// FailureExpired: the secret's expiry, or its grace period after a
	// rotation, has passed.
	FailureExpired AuthFailure = "CREDENTIAL_EXPIRED"
	// FailureSuspended: the credential's department is suspended.
	FailureSuspended AuthFailure = "DEPARTMENT_SUSPENDED"
)

// AuthenticationError refuses a presented credential. It matches
// errs.ErrUnauthenticated. Its message never contains the credential.
type AuthenticationError struct {
	Reason AuthFailure
	Detail string
}

func (e *AuthenticationError) Error() string {
	return fmt.Sprintf("credential refused (%s): %s", e.Reason, e.Detail)
}

// Unwrap makes errors.Is(err, errs.ErrUnauthenticated) true.
func (e *AuthenticationError) Unwrap() error { return errs.ErrUnauthenticated }

func refuse(reason AuthFailure, format string, args ...any) error {
	return &AuthenticationError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Authenticated is who a presented credential belongs to.
type Authenticated struct {
	// Identity is the caller to put in the context: department,
	// application, credential name and the department's admin flag.
	Identity auth.Identity
	// ExpireTime is when the presented secret stops authenticating; zero
	// when never.
	ExpireTime time.Time
}

// Authenticate tells who a presented API key or bearer token belongs to,
// or refuses it with an *AuthenticationError. It costs one indexed read
// (the credential with its department) and, for a token, a signature
// check against a cached key. zhbase services only.
func (s *Service) Authenticate(ctx context.Context, presented string) (*Authenticated, error) {
	if _, err := requireService(ctx, "authenticate credentials"); err != nil {
		return nil, err
	}
	now := s.now()
	if id, ok := parseAPIKey(presented); ok {
		return s.authenticate(ctx, id, APIKey, presented, now)
	}
	if strings.HasPrefix(presented, apiKeyPrefix) {
		return nil, refuse(FailureUnknown, "not an API key the platform issued")
	}
	claims, err := s.verifyToken(ctx, presented, now)
	if err != nil {
		return nil, err
	}
	department, id, ok := parseCredentialName(claims.Subject)
	if !ok || department != claims.Department {
		return nil, refuse(FailureUnknown, "the token does not name a credential")
	}
	return s.authenticate(ctx, id, BearerToken, presented, now)
}

// verifyToken checks a bearer token's signature, issuer and expiry.
func (s *Service) verifyToken(ctx context.Context, token string, now time.Time) (*tokenClaims, error) {
	var loadErr error
	claims := &tokenClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := s.keys.verifier(ctx, kid)
		if err != nil {
			loadErr = err
			return nil, err
		}
		if k == nil {
			return nil, errors.New("unknown signing key")
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	switch {
	case loadErr != nil:
		return nil, loadErr
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, refuse(FailureExpired, "the token expired")
	case err != nil:
		return nil, refuse(FailureUnknown, "not a token the platform issued, or signed with a key since deleted")
	}
	return claims, nil
}

// authenticate checks the presented secret against credential id.
func (s *Service) authenticate(ctx context.Context, id string, kind CredentialKind, presented string, now time.Time) (*Authenticated, error) {
	c, d, err := s.store.LookupCredential(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, refuse(FailureUnknown, "no such credential")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if c.Kind != kind {
		return nil, refuse(FailureUnknown, "no such credential")
	}
	dg := digest(presented)
	current, previous := sameDigest(dg, c.SecretDigest), sameDigest(dg, c.PreviousDigest)
	expire := c.ExpireTime
	switch {
	case !current && !previous:
		return nil, refuse(FailureUnknown, "the secret does not match credential %s", c.Name())
	case !c.RevokeTime.IsZero():
		return nil, refuse(FailureRevoked, "credential %s was revoked at %s", c.Name(), c.RevokeTime.UTC().Format(time.RFC3339))
	case !current:
		expire = c.PreviousExpireTime
		if !now.Before(expire) {
			return nil, refuse(FailureExpired, "this secret of credential %s was replaced, and its grace period ended at %s", c.Name(), expire.UTC().Format(time.RFC3339))
		}
	case !expire.IsZero() && !now.Before(expire):
		return nil, refuse(FailureExpired, "credential %s expired at %s", c.Name(), expire.UTC().Format(time.RFC3339))
	}
	if !d.Active() {
		return nil, refuse(FailureSuspended, "department %s is suspended", d.Code)
	}
	return &Authenticated{
		Identity:   auth.Identity{Department: d.Code, Application: c.Application, Credential: c.Name(), Admin: d.Admin},
		ExpireTime: expire,
	}, nil
}

// parseCredentialName splits departments/{code}/credentials/{id}.
func parseCredentialName(name string) (department, id string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "departments" || parts[2] != "credentials" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}
