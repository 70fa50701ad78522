package auth

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/zhbase/zhbase/services/kit/errs"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestAssertion(t *testing.T) {
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Department: "scjgj", Application: "licensing", Credential: "departments/scjgj/credentials/k1", Admin: true}
	t.Run("a signed identity verifies to itself", func(t *testing.T) {
		got, err := s.Verify(s.Sign(id))
		if err != nil || got != id {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("purpose and case reference are not part of the assertion", func(t *testing.T) {
		got, _ := s.Verify(s.Sign(Identity{Department: "mzj", Purpose: "p", CaseReference: "c"}))
		if got.Purpose != "" || got.CaseReference != "" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("an altered payload is refused", func(t *testing.T) {
		a := s.Sign(id)
		parts := strings.Split(a, ".")
		forged := Identity{Department: "gaj", Admin: true}
		other, _ := NewSigner([]byte("ffffffffffffffffffffffffffffffff"))
		fparts := strings.Split(other.Sign(forged), ".")
		if _, err := s.Verify(parts[0] + "." + fparts[1] + "." + parts[2]); !errors.Is(err, ErrBadAssertion) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("another deployment's key is refused", func(t *testing.T) {
		other, _ := NewSigner([]byte("ffffffffffffffffffffffffffffffff"))
		if _, err := s.Verify(other.Sign(id)); !errors.Is(err, ErrBadAssertion) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an expired assertion is refused", func(t *testing.T) {
		old := &Signer{key: key, now: func() time.Time { return time.Now().Add(-AssertionTTL - time.Second) }}
		if _, err := s.Verify(old.Sign(id)); !errors.Is(err, ErrBadAssertion) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("garbage is refused", func(t *testing.T) {
		for _, a := range []string{"", "v1.", "v1..", "v2.abc.def", "v1.!!!.???"} {
			if _, err := s.Verify(a); !errors.Is(err, ErrBadAssertion) {
				t.Errorf("Verify(%q) = %v", a, err)
			}
		}
	})
	t.Run("a short key is refused", func(t *testing.T) {
		if _, err := NewSigner([]byte("short")); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestIdentify(t *testing.T) {
	s, _ := NewSigner(key)
	calls := atomic.Int32{}
	authn := AuthenticatorFunc(func(_ context.Context, cred string) (Identity, error) {
		calls.Add(1)
		if cred == "zk_good" {
			return Identity{Department: "tjj", Application: "stats", Service: "smuggled"}, nil
		}
		return Identity{}, errs.ErrUnauthenticated
	})
	v := &Verifier{Signer: s, Authenticator: NewCache(authn, time.Minute)}
	in := func(kv ...string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs(kv...))
	}
	t.Run("an API key authenticates, never as a service", func(t *testing.T) {
		id, err := v.Identify(in(MDAPIKey, "zk_good", MDPurpose, EncodeDeclaration("统计 调查"), MDCaseReference, "TJ-1"))
		if err != nil || id.Department != "tjj" || id.Service != "" || id.Purpose != "统计 调查" || id.CaseReference != "TJ-1" {
			t.Fatalf("got %+v, %v", id, err)
		}
	})
	t.Run("a bearer token authenticates", func(t *testing.T) {
		if _, err := v.Identify(in(MDAuthorization, "Bearer zk_good")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("answers are cached", func(t *testing.T) {
		before := calls.Load()
		for range 5 {
			_, _ = v.Identify(in(MDAPIKey, "zk_good"))
		}
		if calls.Load() != before {
			t.Fatalf("%d more checks", calls.Load()-before)
		}
	})
	t.Run("a bad key is unauthenticated", func(t *testing.T) {
		if _, err := v.Identify(in(MDAPIKey, "zk_bad")); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("nothing presented is unauthenticated", func(t *testing.T) {
		if _, err := v.Identify(context.Background()); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a service's assertion identifies the service", func(t *testing.T) {
		id, err := v.Identify(in(MDAssertion, s.Sign(Identity{Service: "gateway"})))
		if err != nil || !id.IsService() {
			t.Fatalf("got %+v, %v", id, err)
		}
	})
	t.Run("an authenticator failure is unavailable, not unauthenticated", func(t *testing.T) {
		down := &Verifier{Signer: s, Authenticator: AuthenticatorFunc(func(context.Context, string) (Identity, error) {
			return Identity{}, errors.New("connection refused")
		})}
		_, err := down.Identify(in(MDAPIKey, "zk_good"))
		if !errors.Is(err, errs.ErrUnavailable) || errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestServiceCredentials(t *testing.T) {
	s, _ := NewSigner(key)
	c := ServiceCredentials(s, "references")
	md, err := c.GetRequestMetadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Verify(md[MDAssertion])
	if err != nil || id.Service != "references" {
		t.Fatalf("got %+v, %v", id, err)
	}
	t.Run("an identity already on the call travels instead", func(t *testing.T) {
		ctx := OutgoingContext(context.Background(), s, Identity{Department: "mzj"})
		md, _ := c.GetRequestMetadata(ctx)
		if md != nil {
			t.Fatalf("service identity added over the caller's: %v", md)
		}
	})
}
