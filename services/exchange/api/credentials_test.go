package api_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
)

func (e *env) issue(t testing.TB, department string, kind exchangev1.CredentialKind, expire time.Time) *exchangev1.CreateCredentialResponse {
	t.Helper()
	c := &exchangev1.Credential{Application: "低保审核", Kind: kind}
	if !expire.IsZero() {
		c.ExpireTime = ts(expire)
	}
	resp, err := e.c.CreateCredential(as(admin), &exchangev1.CreateCredentialRequest{Parent: "departments/" + department, Credential: c})
	if err != nil {
		t.Fatalf("issue a credential to %s: %v", department, err)
	}
	return resp
}

// authenticate presents a secret as the gateway would.
func (e *env) authenticate(secret string) (*exchangev1.AuthenticateResponse, error) {
	return e.c.Authenticate(as(gateway), &exchangev1.AuthenticateRequest{Credential: secret})
}

func (e *env) mustAuthenticate(t testing.TB, secret, department string) *exchangev1.AuthenticateResponse {
	t.Helper()
	resp, err := e.authenticate(secret)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if resp.GetDepartment() != department {
		t.Fatalf("authenticated as %q, want %q", resp.GetDepartment(), department)
	}
	return resp
}

var apiKeyShape = regexp.MustCompile(`^zk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$`)

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	issued := e.issue(t, "mzj", exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY, time.Time{})
	key := issued.GetSecret()

	t.Run("an API key is zk_{id}_{32 random bytes} and names its credential", func(t *testing.T) {
		m := apiKeyShape.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("key %q does not have the API key's shape", key)
		}
		c := issued.GetCredential()
		if c.GetName() != "departments/mzj/credentials/"+m[1] || c.GetState() != exchangev1.CredentialState_CREDENTIAL_STATE_ACTIVE || c.GetExpireTime() != nil || c.GetCreator() != "dsj/管理控制台" {
			t.Fatalf("credential = %v", c)
		}
	})
	t.Run("the gateway authenticates it as the department's application", func(t *testing.T) {
		resp := e.mustAuthenticate(t, key, "mzj")
		if resp.GetApplication() != "低保审核" || resp.GetCredential() != issued.GetCredential().GetName() || resp.GetAdmin() || resp.GetExpireTime() != nil {
			t.Fatalf("identity = %v", resp)
		}
	})
	t.Run("the secret is never shown again", func(t *testing.T) {
		list, err := e.c.ListCredentials(as(mzj), &exchangev1.ListCredentialsRequest{Parent: "departments/mzj"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.c.GetCredential(as(mzj), &exchangev1.GetCredentialRequest{Name: issued.GetCredential().GetName()})
		if err != nil {
			t.Fatal(err)
		}
		random := key[len("zk_")+16+1:]
		for _, text := range []string{protojson.Format(list), protojson.Format(got)} {
			if strings.Contains(text, random) {
				t.Fatalf("a read returned the secret: %s", text)
			}
		}
		if len(list.GetCredentials()) != 1 {
			t.Fatalf("list = %v", list)
		}
	})

	refusals := []struct {
		name   string
		secret string
		reason string
	}{
		{"a key with a wrong secret is CREDENTIAL_UNKNOWN", key[:len(key)-4] + "AAAA", "CREDENTIAL_UNKNOWN"},
		{"a key naming no credential is CREDENTIAL_UNKNOWN", "zk_00000000000000ff_" + key[len(key)-43:], "CREDENTIAL_UNKNOWN"},
		{"text that is neither a key nor a token is CREDENTIAL_UNKNOWN", "hunter2", "CREDENTIAL_UNKNOWN"},
		{"a malformed key is CREDENTIAL_UNKNOWN", "zk_short", "CREDENTIAL_UNKNOWN"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.authenticate(tt.secret)
			wantRefusal(t, err, codes.Unauthenticated, tt.reason)
			if strings.Contains(err.Error(), tt.secret) {
				t.Fatalf("the refusal repeats the presented credential: %v", err)
			}
		})
	}

	t.Run("only zhbase services may authenticate credentials", func(t *testing.T) {
		_, err := e.c.Authenticate(as(admin), &exchangev1.AuthenticateRequest{Credential: key})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("a department manages its own credentials only", func(t *testing.T) {
		_, err := e.c.CreateCredential(as(gaj), &exchangev1.CreateCredentialRequest{Parent: "departments/mzj",
			Credential: &exchangev1.Credential{Application: "x", Kind: exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY}})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		_, err = e.c.ListCredentials(as(gaj), &exchangev1.ListCredentialsRequest{Parent: "departments/mzj"})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		_, err = e.c.RevokeCredential(as(gaj), &exchangev1.RevokeCredentialRequest{Name: issued.GetCredential().GetName()})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		own, err := e.c.CreateCredential(as(mzj), &exchangev1.CreateCredentialRequest{Parent: "departments/mzj",
			Credential: &exchangev1.Credential{Application: "救助管理", Kind: exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY}})
		if err != nil || own.GetCredential().GetCreator() != "mzj/低保审核" {
			t.Fatalf("a department issuing its own credential: %v, %v", own, err)
		}
	})
	t.Run("an API key's expiry, when given, must lie ahead", func(t *testing.T) {
		_, err := e.c.CreateCredential(as(admin), &exchangev1.CreateCredentialRequest{Parent: "departments/mzj",
			Credential: &exchangev1.Credential{Application: "x", Kind: exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY, ExpireTime: ts(e.clock.Now().Add(-time.Hour))}})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "credential.expire_time")
	})
	t.Run("a suspended department's keys are refused, and work again once it is active", func(t *testing.T) {
		setStatus := func(s exchangev1.DepartmentStatus) {
			if _, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
				Department: &exchangev1.Department{Name: "departments/mzj", Status: s}, UpdateMask: mask("status"),
			}); err != nil {
				t.Fatal(err)
			}
		}
		setStatus(exchangev1.DepartmentStatus_DEPARTMENT_STATUS_SUSPENDED)
		_, err := e.authenticate(key)
		wantRefusal(t, err, codes.Unauthenticated, "DEPARTMENT_SUSPENDED")
		_, err = e.c.CreateCredential(as(admin), &exchangev1.CreateCredentialRequest{Parent: "departments/mzj",
			Credential: &exchangev1.Credential{Application: "x", Kind: exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY}})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		setStatus(exchangev1.DepartmentStatus_DEPARTMENT_STATUS_ACTIVE)
		e.mustAuthenticate(t, key, "mzj")
	})
	t.Run("a revoked key is refused at once and says so", func(t *testing.T) {
		c, err := e.c.RevokeCredential(as(mzj), &exchangev1.RevokeCredentialRequest{Name: issued.GetCredential().GetName()})
		if err != nil || c.GetState() != exchangev1.CredentialState_CREDENTIAL_STATE_REVOKED || c.GetRevokeTime() == nil {
			t.Fatalf("revoke = %v, %v", c, err)
		}
		_, err = e.authenticate(key)
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_REVOKED")
		_, err = e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: c.GetName()})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
	})
}

func TestRotationKeepsTheOldSecretForTheGracePeriod(t *testing.T) {
	e := newEnv(t)
	issued := e.issue(t, "mzj", exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY, e.clock.Now().Add(90*24*time.Hour))
	old := issued.GetSecret()
	name := issued.GetCredential().GetName()

	e.clock.Advance(10 * 24 * time.Hour)
	rotated, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name, GracePeriod: durationpb.New(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fresh := rotated.GetSecret()
	t.Run("the new secret is another key of the same credential", func(t *testing.T) {
		m := apiKeyShape.FindStringSubmatch(fresh)
		if fresh == old || m == nil || "departments/mzj/credentials/"+m[1] != name {
			t.Fatalf("rotated secret %q of %s", fresh, name)
		}
		if got := rotated.GetCredential().GetPreviousSecretExpireTime().AsTime(); !got.Equal(e.clock.Now().Add(2 * time.Hour)) {
			t.Fatalf("previous secret expires %v, want in 2 hours", got)
		}
	})
	t.Run("the new secret lives as long as the old one did", func(t *testing.T) {
		if got := rotated.GetCredential().GetExpireTime().AsTime(); !got.Equal(e.clock.Now().Add(90 * 24 * time.Hour)) {
			t.Fatalf("new secret expires %v, want 90 days from the rotation", got)
		}
	})
	t.Run("both work during the grace period; the old one says when it ends", func(t *testing.T) {
		e.mustAuthenticate(t, fresh, "mzj")
		resp := e.mustAuthenticate(t, old, "mzj")
		if !resp.GetExpireTime().AsTime().Equal(e.clock.Now().Add(2 * time.Hour)) {
			t.Fatalf("the old secret's expiry = %v", resp.GetExpireTime().AsTime())
		}
	})
	t.Run("after the grace period the old one is CREDENTIAL_EXPIRED and the new one works", func(t *testing.T) {
		e.clock.Advance(2 * time.Hour)
		_, err := e.authenticate(old)
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_EXPIRED")
		e.mustAuthenticate(t, fresh, "mzj")
	})
	t.Run("a zero grace period retires the old secret at once", func(t *testing.T) {
		again, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name, GracePeriod: durationpb.New(0)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.authenticate(fresh)
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_UNKNOWN")
		e.mustAuthenticate(t, again.GetSecret(), "mzj")
	})
	t.Run("without a grace period given, the old secret works for a day", func(t *testing.T) {
		before, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		after, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(23 * time.Hour)
		e.mustAuthenticate(t, before.GetSecret(), "mzj")
		e.clock.Advance(time.Hour)
		_, err = e.authenticate(before.GetSecret())
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_EXPIRED")
		e.mustAuthenticate(t, after.GetSecret(), "mzj")
	})
	t.Run("a grace period beyond 30 days is refused naming it", func(t *testing.T) {
		_, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name, GracePeriod: durationpb.New(31 * 24 * time.Hour)})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "grace_period")
	})
	t.Run("a key past its expiry is CREDENTIAL_EXPIRED", func(t *testing.T) {
		c, err := e.c.GetCredential(as(mzj), &exchangev1.GetCredentialRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		latest, err := e.c.RotateCredential(as(mzj), &exchangev1.RotateCredentialRequest{Name: name, GracePeriod: durationpb.New(0)})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(latest.GetCredential().GetExpireTime().AsTime().Sub(e.clock.Now()))
		_, err = e.authenticate(latest.GetSecret())
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_EXPIRED")
		if c.GetState() != exchangev1.CredentialState_CREDENTIAL_STATE_ACTIVE {
			t.Fatalf("state before expiry = %v", c.GetState())
		}
		c, _ = e.c.GetCredential(as(mzj), &exchangev1.GetCredentialRequest{Name: name})
		if c.GetState() != exchangev1.CredentialState_CREDENTIAL_STATE_EXPIRED {
			t.Fatalf("state after expiry = %v", c.GetState())
		}
	})
}

func TestBearerTokens(t *testing.T) {
	e := newEnv(t)
	expire := e.clock.Now().Add(30 * 24 * time.Hour)
	issued := e.issue(t, "gaj", exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN, expire)
	token := issued.GetSecret()

	t.Run("a token is a JWT the gateway authenticates, expiring with its credential", func(t *testing.T) {
		if strings.Count(token, ".") != 2 {
			t.Fatalf("token %q is not a JWT", token)
		}
		resp := e.mustAuthenticate(t, token, "gaj")
		if resp.GetCredential() != issued.GetCredential().GetName() || !resp.GetExpireTime().AsTime().Equal(expire) {
			t.Fatalf("identity = %v", resp)
		}
	})
	refusals := []struct {
		name   string
		expire time.Time
	}{
		{"a token without an expiry is refused naming credential.expire_time", time.Time{}},
		{"a token living longer than a year is refused naming credential.expire_time", e.clock.Now().AddDate(1, 0, 1)},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			c := &exchangev1.Credential{Application: "x", Kind: exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN}
			if !tt.expire.IsZero() {
				c.ExpireTime = ts(tt.expire)
			}
			_, err := e.c.CreateCredential(as(gaj), &exchangev1.CreateCredentialRequest{Parent: "departments/gaj", Credential: c})
			wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "credential.expire_time")
		})
	}
	t.Run("a token with a forged payload is CREDENTIAL_UNKNOWN", func(t *testing.T) {
		parts := strings.Split(token, ".")
		forged := parts[0] + "." + parts[1] + "x." + parts[2]
		_, err := e.authenticate(forged)
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_UNKNOWN")
	})
	t.Run("tokens signed with an older key keep working after the signing key is rotated", func(t *testing.T) {
		keys, err := e.c.ListSigningKeys(as(admin), &exchangev1.ListSigningKeysRequest{})
		if err != nil || len(keys.GetSigningKeys()) != 1 || !keys.GetSigningKeys()[0].GetCurrent() {
			t.Fatalf("keys = %v, %v", keys, err)
		}
		first := keys.GetSigningKeys()[0].GetName()
		k, err := e.c.RotateSigningKey(as(admin), &exchangev1.RotateSigningKeyRequest{})
		if err != nil || !k.GetCurrent() || k.GetName() == first {
			t.Fatalf("rotate = %v, %v", k, err)
		}
		e.mustAuthenticate(t, token, "gaj")
		newer := e.issue(t, "gaj", exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN, expire)
		e.mustAuthenticate(t, newer.GetSecret(), "gaj")

		t.Run("the current key cannot be deleted", func(t *testing.T) {
			_, err := e.c.DeleteSigningKey(as(admin), &exchangev1.DeleteSigningKeyRequest{Name: k.GetName()})
			wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		})
		t.Run("only an admin rotates or deletes keys", func(t *testing.T) {
			_, err := e.c.RotateSigningKey(as(gaj), &exchangev1.RotateSigningKeyRequest{})
			wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
			_, err = e.c.DeleteSigningKey(as(gateway), &exchangev1.DeleteSigningKeyRequest{Name: first})
			wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		})
		t.Run("once its key is deleted, an old token is CREDENTIAL_UNKNOWN", func(t *testing.T) {
			if _, err := e.c.DeleteSigningKey(as(admin), &exchangev1.DeleteSigningKeyRequest{Name: first}); err != nil {
				t.Fatal(err)
			}
			_, err := e.authenticate(token)
			wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_UNKNOWN")
			e.mustAuthenticate(t, newer.GetSecret(), "gaj")
		})
	})
	t.Run("a token past its expiry is CREDENTIAL_EXPIRED", func(t *testing.T) {
		fresh := e.issue(t, "gaj", exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN, e.clock.Now().Add(time.Hour))
		e.mustAuthenticate(t, fresh.GetSecret(), "gaj")
		e.clock.Advance(time.Hour)
		_, err := e.authenticate(fresh.GetSecret())
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_EXPIRED")
	})
	t.Run("rotating a token issues a new one and the old one stops after the grace period", func(t *testing.T) {
		c := e.issue(t, "gaj", exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN, e.clock.Now().Add(7*24*time.Hour))
		rotated, err := e.c.RotateCredential(as(gaj), &exchangev1.RotateCredentialRequest{Name: c.GetCredential().GetName(), GracePeriod: durationpb.New(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if rotated.GetSecret() == c.GetSecret() {
			t.Fatal("rotation returned the same token")
		}
		e.mustAuthenticate(t, c.GetSecret(), "gaj")
		e.clock.Advance(time.Minute)
		_, err = e.authenticate(c.GetSecret())
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_EXPIRED")
		e.mustAuthenticate(t, rotated.GetSecret(), "gaj")
	})
	t.Run("a revoked token is CREDENTIAL_REVOKED although its signature is good", func(t *testing.T) {
		c := e.issue(t, "gaj", exchangev1.CredentialKind_CREDENTIAL_KIND_BEARER_TOKEN, e.clock.Now().Add(24*time.Hour))
		if _, err := e.c.RevokeCredential(as(admin), &exchangev1.RevokeCredentialRequest{Name: c.GetCredential().GetName()}); err != nil {
			t.Fatal(err)
		}
		_, err := e.authenticate(c.GetSecret())
		wantRefusal(t, err, codes.Unauthenticated, "CREDENTIAL_REVOKED")
	})
	t.Run("an admin department's credential authenticates as admin", func(t *testing.T) {
		c := e.issue(t, "dsj", exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY, time.Time{})
		if resp := e.mustAuthenticate(t, c.GetSecret(), "dsj"); !resp.GetAdmin() {
			t.Fatalf("identity = %v, want admin", resp)
		}
	})
}
