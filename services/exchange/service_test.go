package exchange_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	populationapi "github.com/zhbase/zhbase/services/population/api"
)

// These tests run the Service over the real SQL store on both backends,
// for what the exchange does across restarts and for the Go methods the
// process uses without the API (bootstrap and demo seeding).

var (
	ctx     = context.Background()
	admin   = auth.NewContext(ctx, auth.Identity{Department: "dsj", Application: "seed", Admin: true})
	service = auth.NewContext(ctx, auth.Identity{Service: "gateway"})
)

func open(t *testing.T, db *store.DB, resources []authz.Resource, heard *[]int64) *exchange.Service {
	t.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := exchange.New(ctx, st, exchange.Options{Resources: resources, OnPolicyChange: func(rev int64) { *heard = append(*heard, rev) }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// legalEntityUnsplit is how the legal entity was described before its
// representative was catalogued field by field.
func legalEntityUnsplit() authz.Resource {
	r := legalentityapi.Resources()[0]
	r.Split = []string{"registered_address"}
	return r
}

func TestStartingAgainKeepsTheCatalogue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var heard []int64
		svc := open(t, db, []authz.Resource{legalEntityUnsplit()}, &heard)
		if len(heard) != 1 {
			t.Fatalf("the first start announced revisions %v, want one", heard)
		}
		if err := svc.EnsureAdmin(ctx, "dsj", "镇海区大数据发展管理局"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateCatalogueResource(admin, "legalentity.LegalEntity", &exchange.CatalogueResource{Items: []exchange.CatalogueItem{
			{Path: "display_name", Title: "名称", Class: authz.Unconditional},
			{Path: "legal_representative", Class: authz.Conditional, Condition: "凭执法办件编号"},
		}}, []string{"items"}); err != nil {
			t.Fatal(err)
		}
		keys, err := svc.SigningKeys(admin)
		if err != nil || len(keys) != 1 {
			t.Fatalf("signing keys after the first start: %v, %v", keys, err)
		}

		t.Run("the same description changes nothing and announces nothing", func(t *testing.T) {
			heard = nil
			svc = open(t, db, []authz.Resource{legalEntityUnsplit()}, &heard)
			if len(heard) != 0 {
				t.Fatalf("a restart announced revisions %v", heard)
			}
			again, err := svc.SigningKeys(admin)
			if err != nil || len(again) != 1 || again[0].ID != keys[0].ID {
				t.Fatalf("a restart changed the signing keys: %v, %v", again, err)
			}
		})
		t.Run("a field split into sub-fields leaves the old item obsolete, classified as it was", func(t *testing.T) {
			heard = nil
			svc = open(t, db, legalentityapi.Resources(), &heard)
			if len(heard) != 1 {
				t.Fatalf("the changed description announced %v, want one revision", heard)
			}
			r, err := svc.GetCatalogueResource(admin, "legalentity.LegalEntity")
			if err != nil {
				t.Fatal(err)
			}
			old := r.Item("legal_representative")
			if old == nil || !old.Obsolete || old.Class != authz.Conditional {
				t.Fatalf("legal_representative = %+v", old)
			}
			if it := r.Item("legal_representative.id_number"); it == nil || it.Obsolete || it.Class != authz.NotShared || !it.Personal {
				t.Fatalf("legal_representative.id_number = %+v", it)
			}
			if it := r.Item("display_name"); it.Class != authz.Unconditional || it.Title != "名称" {
				t.Fatalf("display_name lost its cataloguing: %+v", it)
			}
		})
		t.Run("obsolete items are neither in the policy nor open to applications", func(t *testing.T) {
			p, err := svc.AccessPolicy(service)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Resources[0].Items {
				if it.Path == "legal_representative" {
					t.Fatal("the obsolete item is in the policy")
				}
			}
			if _, err := svc.CreateDepartment(admin, &exchange.Department{Code: "gaj", DisplayName: "宁波市公安局镇海分局"}); err != nil {
				t.Fatal(err)
			}
			_, err = svc.CreateGrant(auth.NewContext(ctx, auth.Identity{Department: "gaj"}), &exchange.Grant{
				Resource: "legalentity.LegalEntity", Items: []string{"legal_representative"}, Purpose: "核查", ExpireTime: time.Now().Add(time.Hour),
			})
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "grant.items[0]" {
				t.Fatalf("applying for an obsolete item = %v", err)
			}
		})
	})
}

// TestSeedingThroughTheGoMethods walks what the in-process demo seeding
// does, with an admin identity in the context, on both backends.
func TestSeedingThroughTheGoMethods(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var heard []int64
		svc := open(t, db, append(legalentityapi.Resources(), populationapi.Resources(nil)...), &heard)
		t.Run("nothing but EnsureAdmin works before the admin exists", func(t *testing.T) {
			if _, err := svc.CreateDepartment(ctx, &exchange.Department{Code: "gaj", DisplayName: "x"}); !errors.Is(err, errs.ErrUnauthenticated) {
				t.Fatalf("create without a caller = %v", err)
			}
			if err := svc.EnsureAdmin(ctx, "dsj", "镇海区大数据发展管理局"); err != nil {
				t.Fatal(err)
			}
		})
		for _, d := range []*exchange.Department{
			{Code: "gaj", DisplayName: "宁波市公安局镇海分局"},
			{Code: "mzj", DisplayName: "镇海区民政局", RateLimit: exchange.RateLimit{RequestsPerSecond: 5}},
		} {
			if _, err := svc.CreateDepartment(admin, d); err != nil {
				t.Fatal(err)
			}
		}
		c, secret, err := svc.CreateCredential(admin, "mzj", &exchange.Credential{Application: "低保审核", Kind: exchange.APIKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("an issued key authenticates as its department's application", func(t *testing.T) {
			a, err := svc.Authenticate(service, secret)
			if err != nil {
				t.Fatal(err)
			}
			want := auth.Identity{Department: "mzj", Application: "低保审核", Credential: c.Name()}
			if a.Identity != want || !a.ExpireTime.IsZero() {
				t.Fatalf("authenticated = %+v, want %+v", a, want)
			}
			_, err = svc.Authenticate(service, secret+"x")
			var refused *exchange.AuthenticationError
			if !errors.As(err, &refused) || refused.Reason != exchange.FailureUnknown || !errors.Is(err, errs.ErrUnauthenticated) {
				t.Fatalf("a wrong key = %v", err)
			}
		})
		if _, err := svc.UpdateCatalogueResource(admin, "population.Person", &exchange.CatalogueResource{
			Provider: "gaj",
			Items:    []exchange.CatalogueItem{{Path: "phone", Class: authz.Conditional, Condition: "凭办件编号"}},
		}, []string{"provider_department", "items"}); err != nil {
			t.Fatal(err)
		}
		g, err := svc.CreateGrant(auth.NewContext(ctx, auth.Identity{Department: "mzj", Application: "低保审核"}), &exchange.Grant{
			Resource: "population.Person", Items: []string{"phone"}, Purpose: "低保核对", Divisions: []string{"330211002000"},
			ExpireTime: time.Now().AddDate(1, 0, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveGrant(admin, g.ID, "演示数据"); err != nil {
			t.Fatal(err)
		}
		t.Run("the policy holds the seeded departments, classes and grant at the announced revision", func(t *testing.T) {
			p, err := svc.AccessPolicy(service)
			if err != nil {
				t.Fatal(err)
			}
			if p.Revision != heard[len(heard)-1] {
				t.Fatalf("policy revision %d, last announced %d", p.Revision, heard[len(heard)-1])
			}
			if rev, err := svc.PolicyRevision(ctx); err != nil || rev != p.Revision {
				t.Fatalf("PolicyRevision = %d, %v", rev, err)
			}
			var codes []string
			for _, d := range p.Departments {
				codes = append(codes, d.Code)
			}
			if !slices.Equal(codes, []string{"dsj", "gaj", "mzj"}) {
				t.Fatalf("departments = %v", codes)
			}
			if len(p.Grants) != 1 || p.Grants[0].ID != g.ID || p.Grants[0].Department != "mzj" || p.Grants[0].ResourceType != "zhbase.population.v1.Person" ||
				!slices.Equal(p.Grants[0].Divisions, []string{"330211002000"}) {
				t.Fatalf("grants = %+v", p.Grants)
			}
			for i := 1; i < len(heard); i++ {
				if heard[i] != heard[i-1]+1 {
					t.Fatalf("announced revisions %v skip or repeat", heard)
				}
			}
		})
	})
}
