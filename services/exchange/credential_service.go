package exchange

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// CreateCredential issues a credential to one of a department's
// applications and returns it with its secret, which is never shown
// again. Admin or the department itself; the department must be active.
func (s *Service) CreateCredential(ctx context.Context, department string, in *Credential) (*Credential, string, error) {
	id, err := requireDepartmentOrAdmin(ctx, department, "issue its credentials")
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	var v errs.Violations
	application := strings.TrimSpace(in.Application)
	check.Text(&v, "credential.application", application, true, maxApplication)
	switch in.Kind {
	case APIKey, BearerToken:
		checkExpireTime(&v, "credential.expire_time", in.Kind, in.ExpireTime, now)
	case "":
		v.Add("credential.kind", "is required: API_KEY or BEARER_TOKEN")
	default:
		v.Add("credential.kind", "must be API_KEY or BEARER_TOKEN, got %q", in.Kind)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	dept, err := s.store.GetDepartment(ctx, department)
	if err != nil {
		return nil, "", fmt.Errorf("issue credential: %w", err)
	}
	if !dept.Active() {
		return nil, "", fmt.Errorf("issue credential: department %s is suspended: %w", department, errs.ErrFailedPrecondition)
	}
	cid, err := newCredentialID()
	if err != nil {
		return nil, "", err
	}
	c := &Credential{
		ID: cid, Department: department, Application: application, Kind: in.Kind,
		CreateTime: now, IssueTime: now, ExpireTime: secondsUTC(in.ExpireTime), Creator: id.Principal(),
	}
	secret, err := s.newSecret(ctx, c, now)
	if err != nil {
		return nil, "", err
	}
	c.SecretDigest = digest(secret)
	if err := s.store.CreateCredential(ctx, c); err != nil {
		return nil, "", fmt.Errorf("issue credential: %w", err)
	}
	c.State = c.StateAt(now)
	return c, secret, nil
}

// secondsUTC drops what a token's exp claim cannot carry, so that the
// stored expiry and the token's agree.
func secondsUTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

func checkExpireTime(v *errs.Violations, field string, kind CredentialKind, expire, now time.Time) {
	yearAhead := now.AddDate(1, 0, 0)
	switch {
	case expire.IsZero():
		if kind == BearerToken {
			v.Add(field, "is required for a bearer token, at most a year ahead")
		}
	case !expire.After(now):
		v.Add(field, "%s is not in the future", expire.UTC().Format(time.RFC3339))
	case kind == BearerToken && expire.After(yearAhead):
		v.Add(field, "must be at most a year ahead for a bearer token (by %s), got %s",
			yearAhead.Format(time.RFC3339), expire.UTC().Format(time.RFC3339))
	}
}

// newSecret makes a new secret for c as it is: an API key, or a token
// signed with the current key that expires with c.
func (s *Service) newSecret(ctx context.Context, c *Credential, now time.Time) (string, error) {
	if c.Kind == APIKey {
		return newAPIKey(c.ID)
	}
	k, err := s.keys.current(ctx)
	if err != nil {
		return "", err
	}
	return signToken(k, c, now)
}

// GetCredential reads one credential. Admin or the department itself.
func (s *Service) GetCredential(ctx context.Context, department, id string) (*Credential, error) {
	if _, err := requireDepartmentOrAdmin(ctx, department, "read its credentials"); err != nil {
		return nil, err
	}
	c, err := s.store.GetCredential(ctx, department, id)
	if err != nil {
		return nil, fmt.Errorf("get credential: %w", err)
	}
	c.State = c.StateAt(s.now())
	return c, nil
}

// ListCredentials returns a page of a department's credentials by id.
// Admin or the department itself.
func (s *Service) ListCredentials(ctx context.Context, department string, q ListQuery) (CredentialPage, error) {
	if _, err := requireDepartmentOrAdmin(ctx, department, "list its credentials"); err != nil {
		return CredentialPage{}, err
	}
	size, err := page.Size(int32(q.PageSize), DefaultPageSize, MaxPageSize)
	if err != nil {
		return CredentialPage{}, err
	}
	q.PageSize = size
	p, err := s.store.ListCredentials(ctx, department, q)
	if err != nil {
		return CredentialPage{}, fmt.Errorf("list credentials: %w", err)
	}
	now := s.now()
	for _, c := range p.Credentials {
		c.State = c.StateAt(now)
	}
	return p, nil
}

// RevokeCredential makes a credential stop authenticating at once, with
// every secret it has. Revoking a revoked credential changes nothing.
// Admin or the department itself.
func (s *Service) RevokeCredential(ctx context.Context, department, id string) (*Credential, error) {
	if _, err := requireDepartmentOrAdmin(ctx, department, "revoke its credentials"); err != nil {
		return nil, err
	}
	c, err := s.store.UpdateCredential(ctx, department, id, func(cur *Credential) error {
		if cur.RevokeTime.IsZero() {
			cur.RevokeTime = s.now().UTC()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revoke credential: %w", err)
	}
	c.State = c.StateAt(s.now())
	return c, nil
}

// RotateOptions modify RotateCredential.
type RotateOptions struct {
	// GracePeriod is how long the replaced secret keeps authenticating;
	// DefaultGracePeriod when nil, at once when zero.
	GracePeriod *time.Duration
	// ExpireTime is when the new secret stops authenticating; when zero,
	// the new secret lives as long as the replaced one did.
	ExpireTime time.Time
}

// RotateCredential issues a new secret for a credential and returns it;
// the replaced one keeps working for the grace period (never beyond its
// own expiry), so that applications can be redeployed without an outage.
// Admin or the department itself; a revoked credential cannot be rotated.
func (s *Service) RotateCredential(ctx context.Context, department, id string, o RotateOptions) (*Credential, string, error) {
	if _, err := requireDepartmentOrAdmin(ctx, department, "rotate its credentials"); err != nil {
		return nil, "", err
	}
	grace := DefaultGracePeriod
	if o.GracePeriod != nil {
		grace = *o.GracePeriod
	}
	if grace < 0 || grace > MaxGracePeriod {
		return nil, "", errs.Field("grace_period", "must be between 0 and %s, got %s", MaxGracePeriod, grace)
	}
	// The signing key is read before the transaction: a key rotated in
	// between still verifies what it signs.
	key, err := s.keys.current(ctx)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	var secret string
	c, err := s.store.UpdateCredential(ctx, department, id, func(cur *Credential) error {
		if !cur.RevokeTime.IsZero() {
			return fmt.Errorf("credential %s is revoked and cannot be rotated; issue a new one: %w", cur.Name(), errs.ErrFailedPrecondition)
		}
		expire := secondsUTC(o.ExpireTime)
		if expire.IsZero() && !cur.ExpireTime.IsZero() {
			expire = now.Add(cur.ExpireTime.Sub(cur.IssueTime)).Truncate(time.Second)
			if cur.Kind == BearerToken {
				expire = minTime(expire, now.AddDate(1, 0, 0).Truncate(time.Second))
			}
		}
		var v errs.Violations
		if !o.ExpireTime.IsZero() {
			checkExpireTime(&v, "expire_time", cur.Kind, o.ExpireTime, now)
		}
		if err := v.Err(); err != nil {
			return err
		}
		cur.PreviousDigest, cur.PreviousExpireTime = "", time.Time{}
		if grace > 0 {
			cur.PreviousDigest, cur.PreviousExpireTime = cur.SecretDigest, now.Add(grace)
			if !cur.ExpireTime.IsZero() {
				cur.PreviousExpireTime = minTime(cur.PreviousExpireTime, cur.ExpireTime)
			}
		}
		cur.IssueTime, cur.ExpireTime = now, expire
		// A retried transaction makes a new secret; the one returned is
		// the one whose digest was committed.
		var err error
		if cur.Kind == APIKey {
			secret, err = newAPIKey(cur.ID)
		} else {
			secret, err = signToken(key, cur, now)
		}
		if err != nil {
			return err
		}
		cur.SecretDigest = digest(secret)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("rotate credential: %w", err)
	}
	c.State = c.StateAt(now)
	return c, secret, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// SigningKeys returns the signing keys, newest (current) first. Admin or a
// zhbase service.
func (s *Service) SigningKeys(ctx context.Context) ([]*SigningKey, error) {
	id, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if !id.Admin && !id.IsService() {
		return nil, denied("only an admin department or a zhbase service may list the signing keys")
	}
	return s.store.SigningKeys(ctx)
}

// RotateSigningKey adds a new signing key, which signs every token from
// now on. Admin only.
func (s *Service) RotateSigningKey(ctx context.Context) (*SigningKey, error) {
	if _, err := requireAdmin(ctx, "rotate the signing key"); err != nil {
		return nil, err
	}
	k, err := newSigningKey(s.now())
	if err != nil {
		return nil, err
	}
	// A key made in the same microsecond as the current one must still
	// sort after it.
	if keys, err := s.store.SigningKeys(ctx); err == nil && len(keys) > 0 && !k.CreateTime.After(keys[0].CreateTime) {
		k.CreateTime = keys[0].CreateTime.Add(time.Microsecond)
	}
	if _, err := s.store.AddSigningKey(ctx, k, false); err != nil {
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	s.keys.invalidate()
	return k, nil
}

// DeleteSigningKey deletes a signing key that is no longer current; the
// tokens it signed stop verifying. Admin only.
func (s *Service) DeleteSigningKey(ctx context.Context, id string) error {
	if _, err := requireAdmin(ctx, "delete signing keys"); err != nil {
		return err
	}
	keys, err := s.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("delete signing key: %w", err)
	}
	if len(keys) > 0 && keys[0].ID == id {
		return fmt.Errorf("signing key %s is the current one; rotate the signing key first: %w", id, errs.ErrFailedPrecondition)
	}
	if err := s.store.DeleteSigningKey(ctx, id); err != nil {
		return fmt.Errorf("delete signing key: %w", err)
	}
	s.keys.invalidate()
	return nil
}
