package sqlstore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema (storetest.Run). The store validates nothing and
// decides nothing; these tests say what it keeps, what it reads back, and
// when the policy revision moves.

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

func openStore(t testing.TB, db *store.DB) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func department(code string, admin bool) *exchange.Department {
	return &exchange.Department{
		Code: code, DisplayName: "宁波市镇海区" + code, Status: exchange.DepartmentActive, Admin: admin,
		Contact:    exchange.Contact{Person: "王立群", Phone: "0574-86123456", Email: code + "@zh.gov.cn"},
		RateLimit:  exchange.RateLimit{RequestsPerSecond: 20, Burst: 40},
		CreateTime: epoch, UpdateTime: epoch,
	}
}

func mustCreateDepartment(t testing.TB, s *sqlstore.Store, d *exchange.Department) int64 {
	t.Helper()
	rev, err := s.CreateDepartment(ctx, d)
	if err != nil {
		t.Fatalf("create department %s: %v", d.Code, err)
	}
	return rev
}

func revisionOf(t testing.TB, s *sqlstore.Store) int64 {
	t.Helper()
	rev, err := s.PolicyRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// person is a catalogue entry as a registry's description calls for it.
func person(paths ...string) *exchange.CatalogueResource {
	r := &exchange.CatalogueResource{Code: "population.Person", Registry: "population", ResourceType: "zhbase.population.v1.Person", Title: "人口基本信息"}
	for _, p := range paths {
		r.Items = append(r.Items, exchange.CatalogueItem{Path: p, Title: p, Class: authz.NotShared, LegalBasis: exchange.UncataloguedLegalBasis, Personal: p == "id_number"})
	}
	return r
}

func entity() *exchange.CatalogueResource {
	return &exchange.CatalogueResource{
		Code: "legalentity.LegalEntity", Registry: "legalentity", ResourceType: "zhbase.legalentity.v1.LegalEntity", Title: "法人基本信息",
		Items: []exchange.CatalogueItem{
			{Path: "uscc", Title: "uscc", Class: authz.NotShared, LegalBasis: exchange.UncataloguedLegalBasis},
			{Path: "legal_representative.id_number", Title: "legal_representative.id_number", Class: authz.NotShared, LegalBasis: exchange.UncataloguedLegalBasis, Personal: true},
		},
	}
}

func paths(r *exchange.CatalogueResource) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.Path)
	}
	return out
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		t.Run("departments", func(t *testing.T) { departmentContract(t, s) })
		t.Run("credentials and signing keys", func(t *testing.T) { credentialContract(t, s) })
		t.Run("catalogue", func(t *testing.T) { catalogueContract(t, s) })
		t.Run("grants and the policy snapshot", func(t *testing.T) { grantContract(t, s) })
	})
}

func departmentContract(t *testing.T, s *sqlstore.Store) {
	start := revisionOf(t, s)
	t.Run("a created department reads back as written and moves the revision by one", func(t *testing.T) {
		d := department("scjgj", false)
		d.Division = "330211001000"
		rev := mustCreateDepartment(t, s, d)
		if rev != start+1 {
			t.Fatalf("revision after create = %d, want %d", rev, start+1)
		}
		got, err := s.GetDepartment(ctx, "scjgj")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Fatalf("read back %+v\nwant      %+v", got, d)
		}
	})
	t.Run("a second department with the same code is AlreadyExists and moves nothing", func(t *testing.T) {
		before := revisionOf(t, s)
		_, err := s.CreateDepartment(ctx, department("scjgj", false))
		if !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("duplicate create = %v, want ErrAlreadyExists", err)
		}
		if revisionOf(t, s) != before {
			t.Fatal("a failed create moved the revision")
		}
	})
	t.Run("an unknown department is NotFound naming it", func(t *testing.T) {
		_, err := s.GetDepartment(ctx, "nope")
		if !errors.Is(err, errs.ErrNotFound) || err.Error() != "departments/nope: not found" {
			t.Fatalf("get unknown = %v", err)
		}
	})
	t.Run("an update stores the change and moves the revision; a refused change stores nothing", func(t *testing.T) {
		before := revisionOf(t, s)
		d, rev, err := s.UpdateDepartment(ctx, "scjgj", func(d *exchange.Department) error {
			d.Status, d.Admin, d.UpdateTime = exchange.DepartmentSuspended, true, epoch.Add(time.Hour)
			return nil
		})
		if err != nil || rev != before+1 || d.Status != exchange.DepartmentSuspended {
			t.Fatalf("update = %+v, %d, %v", d, rev, err)
		}
		boom := errors.New("refused")
		if _, _, err := s.UpdateDepartment(ctx, "scjgj", func(d *exchange.Department) error {
			d.DisplayName = "changed"
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("refused update = %v, want the change's error", err)
		}
		got, _ := s.GetDepartment(ctx, "scjgj")
		if got.DisplayName == "changed" || !got.Admin || !got.UpdateTime.Equal(epoch.Add(time.Hour)) {
			t.Fatalf("after a refused update: %+v", got)
		}
		if revisionOf(t, s) != before+1 {
			t.Fatal("a refused update moved the revision")
		}
		if _, _, err := s.UpdateDepartment(ctx, "nope", func(*exchange.Department) error { return nil }); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update unknown = %v", err)
		}
	})
	t.Run("list pages by code and filters by status and admin", func(t *testing.T) {
		for _, c := range []string{"gaj", "jyj", "mzj", "zjj"} {
			mustCreateDepartment(t, s, department(c, false))
		}
		var codes []string
		q := exchange.ListQuery{PageSize: 2}
		for {
			p, err := s.ListDepartments(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Departments) > 2 {
				t.Fatalf("page of %d, want at most 2", len(p.Departments))
			}
			for _, d := range p.Departments {
				codes = append(codes, d.Code)
			}
			if p.NextPageToken == "" {
				break
			}
			q.PageToken = p.NextPageToken
		}
		if want := []string{"gaj", "jyj", "mzj", "scjgj", "zjj"}; !slices.Equal(codes, want) {
			t.Fatalf("paged codes = %v, want %v", codes, want)
		}
		for filter, want := range map[string][]string{
			"status = SUSPENDED":                   {"scjgj"},
			"status = DEPARTMENT_STATUS_ACTIVE":    {"gaj", "jyj", "mzj", "zjj"},
			"admin = true":                         {"scjgj"},
			`division = "330211*"`:                 {"scjgj"},
			`status = ACTIVE AND code = "m*"`:      {"mzj"},
			`NOT admin = true AND code != "zjj"`:   {"gaj", "jyj", "mzj"},
			`code = "gaj" OR division = "330211*"`: {"gaj", "scjgj"},
		} {
			p, err := s.ListDepartments(ctx, exchange.ListQuery{Filter: filter, PageSize: 10})
			if err != nil {
				t.Fatalf("filter %q: %v", filter, err)
			}
			var got []string
			for _, d := range p.Departments {
				got = append(got, d.Code)
			}
			if !slices.Equal(got, want) {
				t.Errorf("filter %q = %v, want %v", filter, got, want)
			}
		}
		_, err := s.ListDepartments(ctx, exchange.ListQuery{Filter: "colour = RED", PageSize: 10})
		if !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("unknown filter field = %v, want invalid", err)
		}
		p, _ := s.ListDepartments(ctx, exchange.ListQuery{PageSize: 1})
		if _, err := s.ListDepartments(ctx, exchange.ListQuery{PageSize: 1, PageToken: p.NextPageToken, Filter: "admin = true"}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("a page token replayed with another filter = %v, want invalid", err)
		}
	})
}

func credentialContract(t *testing.T, s *sqlstore.Store) {
	mustCreateDepartment(t, s, department("rsj", false))
	before := revisionOf(t, s)
	c := &exchange.Credential{
		ID: "0123456789abcdef", Department: "rsj", Application: "社保待遇资格认证", Kind: exchange.APIKey,
		CreateTime: epoch, IssueTime: epoch, SecretDigest: "d1", Creator: "rsj/portal",
	}
	t.Run("a credential reads back as written, by department or by id with its department", func(t *testing.T) {
		if err := s.CreateCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCredential(ctx, "rsj", c.ID)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("get = %+v, %v\nwant %+v", got, err, c)
		}
		got, d, err := s.LookupCredential(ctx, c.ID)
		if err != nil || !reflect.DeepEqual(got, c) || d.Code != "rsj" || d.Status != exchange.DepartmentActive {
			t.Fatalf("lookup = %+v, %+v, %v", got, d, err)
		}
		if _, err := s.GetCredential(ctx, "scjgj", c.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("another department's credential = %v, want NotFound", err)
		}
		if _, _, err := s.LookupCredential(ctx, "ffffffffffffffff"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("lookup unknown = %v, want NotFound", err)
		}
		if err := s.CreateCredential(ctx, c); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("duplicate id = %v, want AlreadyExists", err)
		}
	})
	t.Run("a credential of a department that does not exist is refused", func(t *testing.T) {
		orphan := *c
		orphan.ID, orphan.Department = "1111111111111111", "ghost"
		if err := s.CreateCredential(ctx, &orphan); err == nil {
			t.Fatal("a credential was stored for a department that does not exist")
		}
	})
	t.Run("an update stores every secret field and leaves the revision alone", func(t *testing.T) {
		got, err := s.UpdateCredential(ctx, "rsj", c.ID, func(cur *exchange.Credential) error {
			cur.PreviousDigest, cur.PreviousExpireTime = cur.SecretDigest, epoch.Add(24*time.Hour)
			cur.SecretDigest, cur.IssueTime, cur.ExpireTime = "d2", epoch.Add(time.Hour), epoch.Add(90*24*time.Hour)
			cur.RevokeTime = epoch.Add(2 * time.Hour)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.GetCredential(ctx, "rsj", c.ID)
		if !reflect.DeepEqual(again, got) || again.PreviousDigest != "d1" || again.SecretDigest != "d2" || !again.RevokeTime.Equal(epoch.Add(2*time.Hour)) {
			t.Fatalf("after update = %+v", again)
		}
		if revisionOf(t, s) != before {
			t.Fatal("a credential write moved the policy revision")
		}
	})
	t.Run("list pages a department's credentials by id", func(t *testing.T) {
		for i := range 4 {
			k := *c
			k.ID = fmt.Sprintf("%016x", 0xa0+i)
			if err := s.CreateCredential(ctx, &k); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		q := exchange.ListQuery{PageSize: 3}
		for {
			p, err := s.ListCredentials(ctx, "rsj", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Credentials {
				ids = append(ids, c.ID)
			}
			if p.NextPageToken == "" {
				break
			}
			q.PageToken = p.NextPageToken
		}
		want := []string{"0123456789abcdef", "00000000000000a0", "00000000000000a1", "00000000000000a2", "00000000000000a3"}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("ids = %v, want %v", ids, want)
		}
		if p, err := s.ListCredentials(ctx, "scjgj", exchange.ListQuery{PageSize: 10}); err != nil || len(p.Credentials) != 0 {
			t.Fatalf("another department's list = %v, %v", p.Credentials, err)
		}
	})
	t.Run("signing keys: the first is added only once, all read back newest first, deletion is by id", func(t *testing.T) {
		key := func(id string, at time.Time) *exchange.SigningKey {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			return &exchange.SigningKey{ID: id, Private: priv, CreateTime: at}
		}
		first := key("k1", epoch)
		if added, err := s.AddSigningKey(ctx, first, true); err != nil || !added {
			t.Fatalf("first key: %v, %v", added, err)
		}
		if added, err := s.AddSigningKey(ctx, key("k0", epoch), true); err != nil || added {
			t.Fatalf("a second first key: added %v, %v", added, err)
		}
		if _, err := s.AddSigningKey(ctx, key("k2", epoch.Add(time.Minute)), false); err != nil {
			t.Fatal(err)
		}
		keys, err := s.SigningKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].ID != "k2" || keys[1].ID != "k1" {
			t.Fatalf("keys = %v, %v", keys, err)
		}
		if !keys[1].Private.Equal(first.Private) || !keys[1].CreateTime.Equal(epoch) {
			t.Fatal("a signing key does not read back as written")
		}
		if err := s.DeleteSigningKey(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSigningKey(ctx, "k1"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("delete twice = %v, want NotFound", err)
		}
		if revisionOf(t, s) != before {
			t.Fatal("a signing key write moved the policy revision")
		}
	})
}

func catalogueContract(t *testing.T, s *sqlstore.Store) {
	mustCreateDepartment(t, s, department("gaj-zhb", false))
	t.Run("a first sync inserts every entry and item and moves the revision once", func(t *testing.T) {
		before := revisionOf(t, s)
		changed, rev, err := s.SyncCatalogue(ctx, []*exchange.CatalogueResource{person("id_number", "display_name", "phone"), entity()})
		if err != nil || !changed || rev != before+1 {
			t.Fatalf("sync = %v, %d, %v; want changed at %d", changed, rev, err, before+1)
		}
		r, err := s.GetCatalogueResource(ctx, "population.Person")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, person("id_number", "display_name", "phone")) {
			t.Fatalf("entry = %+v", r)
		}
	})
	t.Run("syncing the same description again changes nothing", func(t *testing.T) {
		before := revisionOf(t, s)
		changed, rev, err := s.SyncCatalogue(ctx, []*exchange.CatalogueResource{person("id_number", "display_name", "phone"), entity()})
		if err != nil || changed || rev != before {
			t.Fatalf("second sync = %v, %d, %v; want unchanged at %d", changed, rev, err, before)
		}
	})
	t.Run("an update stores the entry's fields and the items' classes, by path", func(t *testing.T) {
		before := revisionOf(t, s)
		r, rev, err := s.UpdateCatalogueResource(ctx, "population.Person", func(r *exchange.CatalogueResource) error {
			r.Provider, r.Summary, r.Format = "gaj-zhb", "户籍人口的基本信息", "JSON"
			r.UpdateCycle, r.SharingMethod, r.PublishTime, r.UpdateTime = exchange.Daily, exchange.SharedByAPI, epoch, epoch
			it := r.Item("display_name")
			it.Title, it.Class, it.Condition, it.LegalBasis = "姓名", authz.Conditional, "凭办件编号", ""
			r.Item("phone").Class = authz.Unconditional
			return nil
		})
		if err != nil || rev != before+1 {
			t.Fatalf("update = %d, %v", rev, err)
		}
		got, _ := s.GetCatalogueResource(ctx, "population.Person")
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("read back %+v\nwant      %+v", got, r)
		}
		if it := got.Item("display_name"); it.Title != "姓名" || it.Class != authz.Conditional || it.Condition != "凭办件编号" {
			t.Fatalf("display_name = %+v", it)
		}
	})
	t.Run("a sync keeps what people catalogued, retires dropped items and revives returning ones", func(t *testing.T) {
		// The registry drops phone and adds email: phone is kept, obsolete.
		changed, _, err := s.SyncCatalogue(ctx, []*exchange.CatalogueResource{person("id_number", "display_name", "email"), entity()})
		if err != nil || !changed {
			t.Fatalf("sync = %v, %v", changed, err)
		}
		r, _ := s.GetCatalogueResource(ctx, "population.Person")
		if got := paths(r); !slices.Equal(got, []string{"id_number", "display_name", "email", "phone"}) {
			t.Fatalf("items = %v", got)
		}
		if it := r.Item("phone"); !it.Obsolete || it.Class != authz.Unconditional {
			t.Fatalf("dropped phone = %+v, want obsolete with its class kept", it)
		}
		if it := r.Item("display_name"); it.Class != authz.Conditional || it.Title != "姓名" || it.Obsolete {
			t.Fatalf("display_name after sync = %+v, want its cataloguing kept", it)
		}
		if it := r.Item("email"); it.Class != authz.NotShared || it.LegalBasis != exchange.UncataloguedLegalBasis {
			t.Fatalf("new email = %+v", it)
		}
		if r.Provider != "gaj-zhb" || r.Summary != "户籍人口的基本信息" {
			t.Fatalf("sync overwrote the entry: %+v", r)
		}
		// phone comes back, now personal.
		back := person("id_number", "display_name", "email", "phone")
		back.Items[3].Personal = true
		if _, _, err := s.SyncCatalogue(ctx, []*exchange.CatalogueResource{back, entity()}); err != nil {
			t.Fatal(err)
		}
		r, _ = s.GetCatalogueResource(ctx, "population.Person")
		if it := r.Item("phone"); it.Obsolete || !it.Personal || it.Class != authz.Unconditional {
			t.Fatalf("returning phone = %+v, want live, personal, with its old class", it)
		}
	})
	t.Run("an entry the description no longer mentions keeps its items, all obsolete", func(t *testing.T) {
		changed, _, err := s.SyncCatalogue(ctx, []*exchange.CatalogueResource{person("id_number", "display_name", "email", "phone")})
		if err != nil || !changed {
			t.Fatalf("sync = %v, %v", changed, err)
		}
		r, err := s.GetCatalogueResource(ctx, "legalentity.LegalEntity")
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range r.Items {
			if !it.Obsolete {
				t.Fatalf("item %s of a vanished entry is live", it.Path)
			}
		}
	})
	t.Run("list pages by code with items and filters by registry and provider", func(t *testing.T) {
		p, err := s.ListCatalogueResources(ctx, exchange.ListQuery{PageSize: 1})
		if err != nil || len(p.Resources) != 1 || p.Resources[0].Code != "legalentity.LegalEntity" || p.NextPageToken == "" {
			t.Fatalf("first page = %+v, %v", p, err)
		}
		p, err = s.ListCatalogueResources(ctx, exchange.ListQuery{PageSize: 1, PageToken: p.NextPageToken})
		if err != nil || len(p.Resources) != 1 || p.Resources[0].Code != "population.Person" || p.NextPageToken != "" || len(p.Resources[0].Items) != 4 {
			t.Fatalf("second page = %+v, %v", p, err)
		}
		for filter, want := range map[string]string{
			`registry = "population"`:                     "population.Person",
			`provider_department = "departments/gaj-zhb"`: "population.Person",
			`provider_department = ""`:                    "legalentity.LegalEntity",
		} {
			p, err := s.ListCatalogueResources(ctx, exchange.ListQuery{Filter: filter, PageSize: 10})
			if err != nil || len(p.Resources) != 1 || p.Resources[0].Code != want {
				t.Errorf("filter %q = %+v, %v; want only %s", filter, p.Resources, err, want)
			}
		}
	})
	t.Run("an unknown entry is NotFound naming it", func(t *testing.T) {
		_, err := s.GetCatalogueResource(ctx, "spatial.Nowhere")
		if !errors.Is(err, errs.ErrNotFound) || err.Error() != "catalogueResources/spatial.Nowhere: not found" {
			t.Fatalf("get unknown = %v", err)
		}
	})
}

func grantContract(t *testing.T, s *sqlstore.Store) {
	for _, c := range []string{"mzj-zhb", "zjj-zhb"} {
		mustCreateDepartment(t, s, department(c, false))
	}
	newGrant := func(i int, applicant string, expire time.Time) *exchange.Grant {
		return &exchange.Grant{
			ID: fmt.Sprintf("0190f5b6-6a1e-7c3e-9d2a-%012d", i), Applicant: applicant, ApplicantApplication: "低保审核",
			Resource: "population.Person", Items: []string{"display_name"}, Purpose: "最低生活保障家庭经济状况核对",
			Divisions: []string{"330211001000"}, StartTime: epoch, ExpireTime: expire, State: exchange.GrantPending, CreateTime: epoch,
		}
	}
	accept := func(*exchange.CatalogueResource, *exchange.Department) error { return nil }
	t.Run("a grant is checked against its entry and applicant in the transaction, and moves the revision", func(t *testing.T) {
		before := revisionOf(t, s)
		var sawResource, sawApplicant string
		rev, err := s.CreateGrant(ctx, newGrant(1, "mzj-zhb", epoch.AddDate(1, 0, 0)), func(r *exchange.CatalogueResource, d *exchange.Department) error {
			sawResource, sawApplicant = r.Code, d.Code
			return nil
		})
		if err != nil || rev != before+1 || sawResource != "population.Person" || sawApplicant != "mzj-zhb" {
			t.Fatalf("create = %d, %v; check saw %q, %q", rev, err, sawResource, sawApplicant)
		}
		g, err := s.GetGrant(ctx, newGrant(1, "", time.Time{}).ID)
		if err != nil {
			t.Fatal(err)
		}
		want := newGrant(1, "mzj-zhb", epoch.AddDate(1, 0, 0))
		want.Provider = "gaj-zhb"
		if !reflect.DeepEqual(g, want) {
			t.Fatalf("read back %+v\nwant      %+v", g, want)
		}
	})
	t.Run("the check sees nil for a missing entry or applicant, and its refusal stores nothing", func(t *testing.T) {
		before := revisionOf(t, s)
		g := newGrant(2, "ghost", epoch.AddDate(1, 0, 0))
		g.Resource = "spatial.Nowhere"
		refused := errors.New("refused")
		_, err := s.CreateGrant(ctx, g, func(r *exchange.CatalogueResource, d *exchange.Department) error {
			if r != nil || d != nil {
				t.Errorf("check got %v, %v; want nil, nil", r, d)
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("create = %v, want the check's error", err)
		}
		if _, err := s.GetGrant(ctx, g.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("a refused grant was stored: %v", err)
		}
		if revisionOf(t, s) != before {
			t.Fatal("a refused grant moved the revision")
		}
	})
	t.Run("an update sees the entry, stores state and decisions, and moves the revision", func(t *testing.T) {
		before := revisionOf(t, s)
		id := newGrant(1, "", time.Time{}).ID
		g, rev, err := s.UpdateGrant(ctx, id, func(g *exchange.Grant, r *exchange.CatalogueResource) error {
			if r.Code != "population.Person" || r.Item("display_name") == nil {
				t.Errorf("update saw entry %+v", r)
			}
			g.State = exchange.GrantApproved
			g.Decision = exchange.Decision{Department: "gaj-zhb", Principal: "gaj-zhb/审批", Time: epoch.Add(time.Hour), Reason: "同意"}
			return nil
		})
		if err != nil || rev != before+1 {
			t.Fatalf("update = %d, %v", rev, err)
		}
		got, _ := s.GetGrant(ctx, id)
		if !reflect.DeepEqual(got, g) || got.State != exchange.GrantApproved || got.Decision.Reason != "同意" {
			t.Fatalf("read back %+v\nwant      %+v", got, g)
		}
		if _, _, err := s.UpdateGrant(ctx, "0190f5b6-0000-7000-8000-000000000000", func(*exchange.Grant, *exchange.CatalogueResource) error { return nil }); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update unknown = %v, want NotFound", err)
		}
	})
	t.Run("the snapshot holds the approved grants not expired at its time", func(t *testing.T) {
		// Grant 3 is approved but ends a day after the epoch; grant 4 stays pending.
		for i, expire := range map[int]time.Time{3: epoch.AddDate(0, 0, 1), 4: epoch.AddDate(1, 0, 0)} {
			if _, err := s.CreateGrant(ctx, newGrant(i, "zjj-zhb", expire), accept); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.UpdateGrant(ctx, newGrant(3, "", time.Time{}).ID, func(g *exchange.Grant, _ *exchange.CatalogueResource) error {
			g.State = exchange.GrantApproved
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ids := func(at time.Time) []string {
			snap, err := s.Snapshot(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Revision != revisionOf(t, s) || len(snap.Departments) < 3 || len(snap.Resources) != 2 {
				t.Fatalf("snapshot = revision %d, %d departments, %d resources", snap.Revision, len(snap.Departments), len(snap.Resources))
			}
			var out []string
			for _, g := range snap.Grants {
				out = append(out, g.ID[len(g.ID)-1:])
			}
			return out
		}
		if got := ids(epoch.Add(time.Hour)); !slices.Equal(got, []string{"1", "3"}) {
			t.Fatalf("live grants an hour in = %v, want 1 and 3", got)
		}
		if got := ids(epoch.AddDate(0, 0, 1)); !slices.Equal(got, []string{"1"}) {
			t.Fatalf("live grants at grant 3's expiry = %v, want only 1", got)
		}
	})
	t.Run("list is newest first, limited to what a department may see, and filters on the state as of its clock", func(t *testing.T) {
		list := func(q exchange.GrantQuery) []string {
			t.Helper()
			q.PageSize = 2
			var out []string
			for {
				p, err := s.ListGrants(ctx, q)
				if err != nil {
					t.Fatalf("list %+v: %v", q, err)
				}
				for _, g := range p.Grants {
					out = append(out, g.ID[len(g.ID)-1:])
				}
				if p.NextPageToken == "" {
					return out
				}
				q.PageToken = p.NextPageToken
			}
		}
		at := epoch.AddDate(0, 0, 2)
		tests := []struct {
			name string
			q    exchange.GrantQuery
			want []string
		}{
			{"an admin sees every grant", exchange.GrantQuery{Now: at}, []string{"4", "3", "1"}},
			{"an applicant sees its own", exchange.GrantQuery{Now: at, VisibleTo: "zjj-zhb"}, []string{"4", "3"}},
			{"a provider sees those on its resources", exchange.GrantQuery{Now: at, VisibleTo: "gaj-zhb"}, []string{"4", "3", "1"}},
			{"a bystander sees none", exchange.GrantQuery{Now: at, VisibleTo: "rsj"}, nil},
			{"state EXPIRED is an approved grant past its expiry", exchange.GrantQuery{Now: at, ListQuery: exchange.ListQuery{Filter: "state = EXPIRED"}}, []string{"3"}},
			{"state APPROVED excludes the expired", exchange.GrantQuery{Now: at, ListQuery: exchange.ListQuery{Filter: "state = GRANT_STATE_APPROVED"}}, []string{"1"}},
			{"before its expiry the same grant is APPROVED", exchange.GrantQuery{Now: epoch, ListQuery: exchange.ListQuery{Filter: "state = APPROVED"}}, []string{"3", "1"}},
			{"applicant and provider filter by resource name", exchange.GrantQuery{Now: at, ListQuery: exchange.ListQuery{Filter: `applicant = "departments/mzj-zhb" AND provider = "departments/gaj-zhb"`}}, []string{"1"}},
			{"catalogue_resource filters by resource name", exchange.GrantQuery{Now: at, ListQuery: exchange.ListQuery{Filter: `catalogue_resource = "catalogueResources/legalentity.LegalEntity"`}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := list(tt.q); !slices.Equal(got, tt.want) {
					t.Fatalf("grants = %v, want %v", got, tt.want)
				}
			})
		}
	})
}
