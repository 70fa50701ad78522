package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/kit/auth"
)

const idNumberBasis = "《中华人民共和国居民身份证法》第十九条"

// newGrantEnv is an exchange where gaj provides persons: the name is
// shared with every member, the phone and residence address on
// condition, the ID number not at all.
func newGrantEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	e.assignProvider(t, personEntry, "gaj")
	if _, err := e.classify(as(gaj), personEntry,
		unconditional("display_name"),
		conditional("phone", "凭社会救助审核办件编号"),
		conditional("residence_address", "凭社会救助审核办件编号"),
		notShared("id_number", idNumberBasis),
	); err != nil {
		t.Fatal(err)
	}
	return e
}

// apply asks for person items as mzj, for a year from now.
func (e *env) apply(t testing.TB, items ...string) *exchangev1.Grant {
	t.Helper()
	g, err := e.c.CreateGrant(as(mzj), &exchangev1.CreateGrantRequest{Grant: &exchangev1.Grant{
		CatalogueResource: personEntry, Items: items, Purpose: "最低生活保障家庭经济状况核对",
		LegalBasis: "《社会救助暂行办法》", Divisions: []string{"330211001000"}, ExpireTime: ts(e.clock.Now().AddDate(1, 0, 0)),
	}})
	if err != nil {
		t.Fatalf("apply for %v: %v", items, err)
	}
	return g
}

func (e *env) policy(t testing.TB) *exchangev1.AccessPolicy {
	t.Helper()
	p, err := e.c.GetAccessPolicy(as(gateway), &exchangev1.GetAccessPolicyRequest{})
	if err != nil {
		t.Fatalf("get access policy: %v", err)
	}
	return p
}

func policyGrants(p *exchangev1.AccessPolicy) []string {
	var out []string
	for _, g := range p.GetGrants() {
		out = append(out, g.GetName())
	}
	return out
}

func TestGrantLifecycle(t *testing.T) {
	e := newGrantEnv(t)
	g := e.apply(t, "phone", "residence_address")

	t.Run("an application is PENDING, from the caller's department, decided by the provider", func(t *testing.T) {
		if g.GetState() != exchangev1.GrantState_GRANT_STATE_PENDING || g.GetApplicant() != "departments/mzj" ||
			g.GetApplicantApplication() != "低保审核" || g.GetProviderDepartment() != "departments/gaj" ||
			g.GetStartTime() == nil || !strings.HasPrefix(g.GetName(), "grants/") {
			t.Fatalf("grant = %v", g)
		}
		if got := policyGrants(e.policy(t)); len(got) != 0 {
			t.Fatalf("a pending grant is in the policy: %v", got)
		}
	})
	t.Run("the provider approves it, and the policy carries it", func(t *testing.T) {
		approved, err := e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: g.GetName(), Reason: "同意，限招宝山街道"})
		if err != nil {
			t.Fatal(err)
		}
		d := approved.GetDecision()
		if approved.GetState() != exchangev1.GrantState_GRANT_STATE_APPROVED || d.GetDepartment() != "departments/gaj" ||
			d.GetPrincipal() != "gaj/户政管理" || d.GetReason() != "同意，限招宝山街道" || d.GetTime() == nil {
			t.Fatalf("approved = %v", approved)
		}
		p := e.policy(t)
		if len(p.GetGrants()) != 1 {
			t.Fatalf("policy grants = %v", p.GetGrants())
		}
		pg := p.GetGrants()[0]
		if pg.GetName() != g.GetName() || pg.GetDepartment() != "mzj" || pg.GetRegistry() != "population" ||
			pg.GetResourceType() != "zhbase.population.v1.Person" || !slices.Equal(pg.GetItems(), []string{"phone", "residence_address"}) ||
			!slices.Equal(pg.GetDivisions(), []string{"330211001000"}) || !pg.GetExpireTime().AsTime().Equal(g.GetExpireTime().AsTime()) {
			t.Fatalf("policy grant = %v", pg)
		}
	})
	t.Run("an approved grant cannot be approved or rejected again", func(t *testing.T) {
		_, err := e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: g.GetName()})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		_, err = e.c.RejectGrant(as(gaj), &exchangev1.RejectGrantRequest{Name: g.GetName(), Reason: "改变主意"})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
	})
	t.Run("the applicant revokes it with a reason, and it leaves the policy", func(t *testing.T) {
		_, err := e.c.RevokeGrant(as(mzj), &exchangev1.RevokeGrantRequest{Name: g.GetName()})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "reason")
		revoked, err := e.c.RevokeGrant(as(mzj), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "审核已办结"})
		if err != nil {
			t.Fatal(err)
		}
		if revoked.GetState() != exchangev1.GrantState_GRANT_STATE_REVOKED || revoked.GetRevocation().GetDepartment() != "departments/mzj" ||
			revoked.GetRevocation().GetReason() != "审核已办结" || revoked.GetDecision().GetReason() != "同意，限招宝山街道" {
			t.Fatalf("revoked = %v (the approval must be kept beside the revocation)", revoked)
		}
		if got := policyGrants(e.policy(t)); len(got) != 0 {
			t.Fatalf("a revoked grant is in the policy: %v", got)
		}
		_, err = e.c.RevokeGrant(as(gaj), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "again"})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
	})
}

func TestRejection(t *testing.T) {
	e := newGrantEnv(t)
	g := e.apply(t, "phone")
	t.Run("a rejection needs a reason", func(t *testing.T) {
		_, err := e.c.RejectGrant(as(gaj), &exchangev1.RejectGrantRequest{Name: g.GetName()})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "reason")
	})
	t.Run("the provider rejects it, and the reason is kept", func(t *testing.T) {
		rejected, err := e.c.RejectGrant(as(gaj), &exchangev1.RejectGrantRequest{Name: g.GetName(), Reason: "申请事由与所需数据项不符"})
		if err != nil {
			t.Fatal(err)
		}
		if rejected.GetState() != exchangev1.GrantState_GRANT_STATE_REJECTED || rejected.GetDecision().GetReason() != "申请事由与所需数据项不符" {
			t.Fatalf("rejected = %v", rejected)
		}
	})
	t.Run("a rejected grant can be neither approved nor revoked", func(t *testing.T) {
		_, err := e.c.ApproveGrant(as(admin), &exchangev1.ApproveGrantRequest{Name: g.GetName()})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		_, err = e.c.RevokeGrant(as(admin), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "x"})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		if got := policyGrants(e.policy(t)); len(got) != 0 {
			t.Fatalf("a rejected grant is in the policy: %v", got)
		}
	})
}

func TestWhoMayDecide(t *testing.T) {
	e := newGrantEnv(t)
	tests := []struct {
		name    string
		decider auth.Identity
		approve bool
	}{
		{"the provider department may approve", gaj, true},
		{"an admin department may approve", admin, true},
		{"the applicant may not approve its own application", mzj, false},
		{"another department may not approve", scjgj, false},
		{"a zhbase service may not approve", gateway, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := e.apply(t, "phone")
			_, err := e.c.ApproveGrant(as(tt.decider), &exchangev1.ApproveGrantRequest{Name: g.GetName()})
			if tt.approve && err != nil {
				t.Fatalf("approve: %v", err)
			}
			if !tt.approve {
				wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
				if msg := status.Convert(err).Message(); !strings.Contains(msg, "only the provider department of population.Person (gaj) or an admin department may approve") {
					t.Fatalf("message = %q", msg)
				}
			}
		})
	}
	t.Run("another department may not reject or revoke either", func(t *testing.T) {
		g := e.apply(t, "phone")
		_, err := e.c.RejectGrant(as(scjgj), &exchangev1.RejectGrantRequest{Name: g.GetName(), Reason: "x"})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		if _, err := e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: g.GetName()}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.RevokeGrant(as(scjgj), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "x"})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		if _, err := e.c.RevokeGrant(as(gaj), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "数据提供方收回"}); err != nil {
			t.Fatalf("the provider revokes: %v", err)
		}
	})
	t.Run("an approval re-checks the items, which may have been reclassified since", func(t *testing.T) {
		g := e.apply(t, "residence_address")
		if _, err := e.classify(as(gaj), personEntry, notShared("residence_address", "《个人信息保护法》第十三条")); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: g.GetName()})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "residence_address") {
			t.Fatalf("message = %q does not name the item", msg)
		}
	})
}

func TestExpiryRemovesAGrantFromThePolicy(t *testing.T) {
	e := newGrantEnv(t)
	g, err := e.c.CreateGrant(as(mzj), &exchangev1.CreateGrantRequest{Grant: &exchangev1.Grant{
		CatalogueResource: personEntry, Items: []string{"phone"}, Purpose: "临时救助核查", ExpireTime: ts(e.clock.Now().Add(2 * time.Hour)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: g.GetName()}); err != nil {
		t.Fatal(err)
	}
	if got := policyGrants(e.policy(t)); !slices.Equal(got, []string{g.GetName()}) {
		t.Fatalf("policy grants = %v", got)
	}
	e.clock.Advance(2 * time.Hour)

	t.Run("once expire_time has passed the grant reads EXPIRED", func(t *testing.T) {
		got, err := e.c.GetGrant(as(mzj), &exchangev1.GetGrantRequest{Name: g.GetName()})
		if err != nil || got.GetState() != exchangev1.GrantState_GRANT_STATE_EXPIRED {
			t.Fatalf("grant = %v, %v", got, err)
		}
	})
	t.Run("and is no longer in the policy", func(t *testing.T) {
		if got := policyGrants(e.policy(t)); len(got) != 0 {
			t.Fatalf("policy grants = %v", got)
		}
	})
	t.Run("and is listed under state EXPIRED, not APPROVED", func(t *testing.T) {
		for filter, want := range map[string]int{"state = EXPIRED": 1, "state = APPROVED": 0} {
			resp, err := e.c.ListGrants(as(mzj), &exchangev1.ListGrantsRequest{Filter: filter})
			if err != nil || len(resp.GetGrants()) != want {
				t.Fatalf("filter %q: %v, %v; want %d", filter, resp.GetGrants(), err, want)
			}
		}
	})
	t.Run("an expired grant cannot be revoked, nor an expired application approved", func(t *testing.T) {
		_, err := e.c.RevokeGrant(as(gaj), &exchangev1.RevokeGrantRequest{Name: g.GetName(), Reason: "x"})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
		pending, err := e.c.CreateGrant(as(mzj), &exchangev1.CreateGrantRequest{Grant: &exchangev1.Grant{
			CatalogueResource: personEntry, Items: []string{"phone"}, Purpose: "临时救助核查", ExpireTime: ts(e.clock.Now().Add(time.Minute)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		_, err = e.c.ApproveGrant(as(gaj), &exchangev1.ApproveGrantRequest{Name: pending.GetName()})
		wantRefusal(t, err, codes.FailedPrecondition, "FAILED_PRECONDITION")
	})
}

func TestApplicationRules(t *testing.T) {
	e := newGrantEnv(t)
	year := e.clock.Now().AddDate(1, 0, 0)
	grant := func(mutate func(g *exchangev1.Grant)) *exchangev1.Grant {
		g := &exchangev1.Grant{CatalogueResource: personEntry, Items: []string{"phone"}, Purpose: "核对", ExpireTime: ts(year)}
		mutate(g)
		return g
	}
	tests := []struct {
		name    string
		caller  auth.Identity
		grant   *exchangev1.Grant
		code    codes.Code
		reason  string
		field   string
		mention string
	}{
		{"an UNCONDITIONAL item is refused as needless", mzj, grant(func(g *exchangev1.Grant) { g.Items = []string{"phone", "display_name"} }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.items[1]", "display_name is shared unconditionally"},
		{"a NOT_SHARED item is refused naming it and its legal basis", mzj, grant(func(g *exchangev1.Grant) { g.Items = []string{"id_number"} }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.items[0]", "id_number is not shared (不予共享) under " + idNumberBasis},
		{"an item the resource does not have is refused", mzj, grant(func(g *exchangev1.Grant) { g.Items = []string{"salary"} }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.items[0]", "salary is not a data item of population.Person"},
		{"an item asked for twice is refused", mzj, grant(func(g *exchangev1.Grant) { g.Items = []string{"phone", "phone"} }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.items[1]", "twice"},
		{"no items is refused", mzj, grant(func(g *exchangev1.Grant) { g.Items = nil }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.items", "required"},
		{"a purpose is required", mzj, grant(func(g *exchangev1.Grant) { g.Purpose = "" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.purpose", "required"},
		{"an expiry is required", mzj, grant(func(g *exchangev1.Grant) { g.ExpireTime = nil }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.expire_time", "required"},
		{"a grant lasts at most three years", mzj, grant(func(g *exchangev1.Grant) { g.ExpireTime = ts(e.clock.Now().AddDate(3, 0, 1)) }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.expire_time", "at most 3 years"},
		{"a grant ends after it starts", mzj, grant(func(g *exchangev1.Grant) { g.StartTime = ts(year.Add(time.Hour)) }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.expire_time", "after start_time"},
		{"a division scope must be division codes", mzj, grant(func(g *exchangev1.Grant) { g.Divisions = []string{"330211001000", "3302110"} }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.divisions[1]", "6 or 12 digits"},
		{"an unknown resource is refused naming the field", mzj, grant(func(g *exchangev1.Grant) { g.CatalogueResource = "catalogueResources/economy.Nothing" }),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.catalogue_resource", "no catalogue entry"},
		{"the provider needs no grant for its own resource", gaj, grant(func(*exchangev1.Grant) {}),
			codes.InvalidArgument, "INVALID_ARGUMENT", "grant.catalogue_resource", "your own department"},
		{"a zhbase service cannot apply", gateway, grant(func(*exchangev1.Grant) {}),
			codes.PermissionDenied, "PERMISSION_DENIED", "", "applied for by departments"},
		{"a department that was never admitted cannot apply", auth.Identity{Department: "ghost"}, grant(func(*exchangev1.Grant) {}),
			codes.PermissionDenied, "PERMISSION_DENIED", "", "has not been admitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.CreateGrant(as(tt.caller), &exchangev1.CreateGrantRequest{Grant: tt.grant})
			if tt.field != "" {
				wantRefusal(t, err, tt.code, tt.reason, tt.field)
			} else {
				wantRefusal(t, err, tt.code, tt.reason)
			}
			if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.mention) {
				t.Fatalf("message %q does not say %q", msg, tt.mention)
			}
		})
	}
}

func TestGrantVisibility(t *testing.T) {
	e := newGrantEnv(t)
	e.assignProvider(t, entityEntry, "scjgj")
	if _, err := e.classify(as(scjgj), entityEntry, conditional("legal_representative.id_number", "凭执法办件编号")); err != nil {
		t.Fatal(err)
	}
	person := e.apply(t, "phone")
	entity, err := e.c.CreateGrant(as(gaj), &exchangev1.CreateGrantRequest{Grant: &exchangev1.Grant{
		CatalogueResource: entityEntry, Items: []string{"legal_representative.id_number"}, Purpose: "涉案企业核查", ExpireTime: ts(e.clock.Now().AddDate(0, 6, 0)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	names := func(caller auth.Identity, filter string) []string {
		t.Helper()
		resp, err := e.c.ListGrants(as(caller), &exchangev1.ListGrantsRequest{Filter: filter})
		if err != nil {
			t.Fatalf("list as %s: %v", caller.Principal(), err)
		}
		var out []string
		for _, g := range resp.GetGrants() {
			out = append(out, g.GetName())
		}
		return out
	}
	tests := []struct {
		name   string
		caller auth.Identity
		filter string
		want   []string
	}{
		{"an applicant sees its own", mzj, "", []string{person.GetName()}},
		{"a provider sees those on its resources and its own applications, newest first", gaj, "", []string{entity.GetName(), person.GetName()}},
		{"a provider filters to those awaiting its decision", gaj, `provider = "departments/gaj" AND state = PENDING`, []string{person.GetName()}},
		{"another department sees what concerns it only", scjgj, "", []string{entity.GetName()}},
		{"an admin sees all", admin, "", []string{entity.GetName(), person.GetName()}},
		{"an admin filters by applicant", admin, `applicant = "departments/mzj"`, []string{person.GetName()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.caller, tt.filter); !slices.Equal(got, tt.want) {
				t.Fatalf("grants = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("a bystander cannot read a grant", func(t *testing.T) {
		_, err := e.c.GetGrant(as(scjgj), &exchangev1.GetGrantRequest{Name: person.GetName()})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("a bad filter is refused naming filter", func(t *testing.T) {
		_, err := e.c.ListGrants(as(admin), &exchangev1.ListGrantsRequest{Filter: "state = LOST"})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "filter")
	})
}

func TestAccessPolicy(t *testing.T) {
	e := newGrantEnv(t)
	t.Run("only zhbase services read the policy", func(t *testing.T) {
		_, err := e.c.GetAccessPolicy(as(admin), &exchangev1.GetAccessPolicyRequest{})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("it carries every department with its standing and every resource's current items", func(t *testing.T) {
		p := e.policy(t)
		var codes []string
		for _, d := range p.GetDepartments() {
			codes = append(codes, d.GetCode())
			if d.GetCode() == "dsj" && (!d.GetAdmin() || d.GetStatus() != exchangev1.DepartmentStatus_DEPARTMENT_STATUS_ACTIVE) {
				t.Fatalf("dsj = %v", d)
			}
		}
		if !slices.Equal(codes, []string{"dsj", "gaj", "mzj", "scjgj"}) {
			t.Fatalf("departments = %v", codes)
		}
		if len(p.GetResources()) != len(resources()) {
			t.Fatalf("%d resources, want %d", len(p.GetResources()), len(resources()))
		}
		for _, r := range p.GetResources() {
			if r.GetResourceType() != "zhbase.population.v1.Person" {
				continue
			}
			classes := map[string]exchangev1.SharingClass{}
			for _, it := range r.GetItems() {
				classes[it.GetPath()] = it.GetSharingClass()
				if it.GetPath() == "id_number" && !it.GetPersonal() {
					t.Fatal("id_number is not marked personal")
				}
			}
			if r.GetProviderDepartment() != "gaj" || classes["phone"] != exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL ||
				classes["display_name"] != exchangev1.SharingClass_SHARING_CLASS_UNCONDITIONAL || classes["id_number"] != exchangev1.SharingClass_SHARING_CLASS_NOT_SHARED {
				t.Fatalf("person policy = %v", r)
			}
		}
	})
	t.Run("every change to departments, the catalogue or grants moves the revision, and OnPolicyChange hears it", func(t *testing.T) {
		steps := []struct {
			name string
			do   func() error
		}{
			{"admit a department", func() error {
				_, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "wjj", DisplayName: "镇海区卫生健康局"}})
				return err
			}},
			{"suspend it", func() error {
				_, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
					Department: &exchangev1.Department{Name: "departments/wjj", Status: exchangev1.DepartmentStatus_DEPARTMENT_STATUS_SUSPENDED}, UpdateMask: mask("status")})
				return err
			}},
			{"reclassify an item", func() error {
				_, err := e.classify(as(gaj), personEntry, unconditional("sex"))
				return err
			}},
			{"apply for a grant", func() error {
				_, err := e.c.CreateGrant(as(mzj), &exchangev1.CreateGrantRequest{Grant: &exchangev1.Grant{
					CatalogueResource: personEntry, Items: []string{"phone"}, Purpose: "核对", ExpireTime: ts(e.clock.Now().Add(time.Hour))}})
				return err
			}},
		}
		for _, s := range steps {
			before := e.policy(t).GetRevision()
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			after := e.policy(t).GetRevision()
			if after != before+1 || e.revisions.last() != after {
				t.Fatalf("%s: revision %d → %d, OnPolicyChange last heard %d", s.name, before, after, e.revisions.last())
			}
		}
	})
	t.Run("issuing a credential leaves the revision alone", func(t *testing.T) {
		before := e.policy(t).GetRevision()
		e.issue(t, "mzj", exchangev1.CredentialKind_CREDENTIAL_KIND_API_KEY, time.Time{})
		if after := e.policy(t).GetRevision(); after != before {
			t.Fatalf("revision %d → %d", before, after)
		}
	})
	t.Run("a suspended department is in the policy as suspended", func(t *testing.T) {
		for _, d := range e.policy(t).GetDepartments() {
			if d.GetCode() == "wjj" && d.GetStatus() != exchangev1.DepartmentStatus_DEPARTMENT_STATUS_SUSPENDED {
				t.Fatalf("wjj = %v", d)
			}
		}
	})
}
