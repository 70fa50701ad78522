package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema (storetest.Run). The store does not validate, but the
// entities built here are valid anyway so that the suite describes what the
// registry really holds.

var ctx = context.Background()

func openStore(tb testing.TB, db *store.DB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return s
}

// usccPrefix is the registration authority and organisation type each type
// carries under GB 32100 (the domain keeps its own copy unexported).
var usccPrefix = map[legalentity.Type]string{
	legalentity.TypeEnterprise:         "91",
	legalentity.TypeFarmersCooperative: "93",
	legalentity.TypeGovernmentAgency:   "11",
	legalentity.TypePublicInstitution:  "12",
	legalentity.TypeSocialOrganization: "51",
}

// usccFor returns the valid USCC of the i-th entity of type typ. The
// organisation code is a permutation of i, so that USCC order is not
// creation order.
func usccFor(tb testing.TB, typ legalentity.Type, i int) string {
	tb.Helper()
	p, ok := usccPrefix[typ]
	if !ok {
		tb.Fatalf("no USCC prefix for type %s in the test table", typ)
	}
	code, err := standard.MakeUSCC(p[0], p[1], "330211", fmt.Sprintf("%09d", (i*7919+13)%999983))
	if err != nil {
		tb.Fatalf("MakeUSCC: %v", err)
	}
	return code
}

var (
	places     = []string{"宁波", "镇海", "蛟川", "骆驼", "庄市", "澥浦", "九龙湖"}
	trades     = []string{"石化", "港埠", "物流", "机械", "新材料", "电子", "化工", "贸易", "建设", "科技", "食品"}
	forms      = []string{"有限公司", "股份有限公司", "有限责任公司", "分公司"}
	industries = []string{"C2614", "C2511", "F5162", "G5942", "I6513", "L7212", "E4851", "C3311"}
	surnames   = []string{"王", "李", "张", "陈", "胡", "俞", "邬"}
	baseTime   = time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
)

// newEntity returns the i-th of a family of realistic, valid entities whose
// fields vary with i, with ties in establishment_date (every 45th) and
// update_time (every 30th) so that ordering must break ties by USCC. mutate
// runs last; a mutation that changes Type must also set a matching USCC
// (withType does both).
func newEntity(tb testing.TB, i int, mutate ...func(*legalentity.LegalEntity)) *legalentity.LegalEntity {
	tb.Helper()
	typ := legalentity.TypeEnterprise
	if i%6 == 5 {
		typ = legalentity.TypePublicInstitution
	}
	id, err := standard.MakeIDNumber("330211", time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), i%1000)
	if err != nil {
		tb.Fatalf("MakeIDNumber: %v", err)
	}
	established := time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i%45)*97)
	updated := baseTime.Add(time.Duration(i%30) * time.Minute)
	e := &legalentity.LegalEntity{
		USCC: usccFor(tb, typ, i),
		Name: places[i%len(places)] + trades[(i/len(places))%len(trades)] + forms[i%len(forms)],
		Type: typ,
		Representative: legalentity.Representative{
			Name:     surnames[i%len(surnames)] + "建国",
			IDNumber: id,
		},
		Capital:               legalentity.Money{Amount: fmt.Sprintf("%d.00", (i+1)*100000), Currency: "CNY"},
		EstablishedOn:         established.Format(time.DateOnly),
		RegistrationAuthority: "宁波市镇海区市场监督管理局",
		BusinessScope:         "一般项目：化工产品销售（不含许可类化工产品）；普通货物仓储服务。",
		IndustryCode:          industries[i%len(industries)],
		Address: legalentity.Address{
			Text:         fmt.Sprintf("浙江省宁波市镇海区%s路%d号", places[i%len(places)], 1+i),
			DivisionCode: standard.Zhenhai[3+i%7].Code,
		},
		Status: legalentity.StatusActive,
		// Created in a different order from updated, so that a store sorting
		// by the wrong timestamp is caught.
		CreateTime: baseTime.AddDate(0, 0, -1-i%17),
		UpdateTime: updated,
		Revision:   1,
	}
	if i%4 == 0 {
		e.FormerNames = []string{"镇海" + trades[i%len(trades)] + "厂"}
	}
	switch i % 10 {
	case 7:
		e.Status, e.StatusDate = legalentity.StatusSuspended, "2021-05-06"
	case 8:
		e.Status, e.StatusDate = legalentity.StatusRevoked, "2019-11-30"
	case 9:
		e.Status, e.StatusDate = legalentity.StatusDeregistered, "2022-08-15"
	}
	for _, m := range mutate {
		m(e)
	}
	return e
}

func withName(name string, former ...string) func(*legalentity.LegalEntity) {
	return func(e *legalentity.LegalEntity) { e.Name, e.FormerNames = name, former }
}

// withType sets the type and the USCC that type must carry; i keeps the
// code distinct.
func withType(tb testing.TB, typ legalentity.Type, i int) func(*legalentity.LegalEntity) {
	return func(e *legalentity.LegalEntity) { e.Type, e.USCC = typ, usccFor(tb, typ, i) }
}

// create records each entity in effect from its establishment date, as the
// Service does.
func create(tb testing.TB, s *sqlstore.Store, es ...*legalentity.LegalEntity) {
	tb.Helper()
	for _, e := range es {
		if err := s.Create(ctx, e, established(tb, e)); err != nil {
			tb.Fatalf("Create(%s %s): %v", e.USCC, e.Name, err)
		}
	}
}

func established(tb testing.TB, e *legalentity.LegalEntity) time.Time {
	tb.Helper()
	d, err := standard.ParseDate(e.EstablishedOn)
	if err != nil {
		tb.Fatalf("fixture: establishment date of %s: %v", e.USCC, err)
	}
	return d
}

func mustGet(tb testing.TB, s *sqlstore.Store, uscc string) *legalentity.LegalEntity {
	tb.Helper()
	return mustGetAt(tb, s, uscc, history.Point{})
}

func mustGetAt(tb testing.TB, s *sqlstore.Store, uscc string, at history.Point) *legalentity.LegalEntity {
	tb.Helper()
	e, err := s.Get(ctx, uscc, at)
	if err != nil {
		tb.Fatalf("Get(%s, %v): %v", uscc, at, err)
	}
	return e
}

// update changes the entity as a plain change in effect now.
func update(tb testing.TB, s *sqlstore.Store, uscc string, change func(*legalentity.LegalEntity)) *legalentity.LegalEntity {
	tb.Helper()
	e, err := s.Update(ctx, uscc, legalentity.WriteOptions{}, func(e *legalentity.LegalEntity) error {
		change(e)
		e.Revision++
		return nil
	})
	if err != nil {
		tb.Fatalf("Update(%s): %v", uscc, err)
	}
	return e
}

func clone(tb testing.TB, e *legalentity.LegalEntity) *legalentity.LegalEntity {
	tb.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	var c legalentity.LegalEntity
	if err := json.Unmarshal(b, &c); err != nil {
		tb.Fatal(err)
	}
	return &c
}

// assertSameEntity fails unless got holds want's document and reads the
// same way (retired, redirected), wherever its version sits in time: the
// history tests check versions.
func assertSameEntity(tb testing.TB, got, want *legalentity.LegalEntity) {
	tb.Helper()
	g, w := *got, *want
	g.Version, w.Version = history.Info{}, history.Info{}
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(got, "", "  ")
		wj, _ := json.MarshalIndent(want, "", "  ")
		tb.Fatalf("entity differs\n got: %s (retired=%v, redirected from %q)\nwant: %s (retired=%v, redirected from %q)",
			gj, got.Retired, got.RedirectedFrom, wj, want.Retired, want.RedirectedFrom)
	}
}

// violationField returns the field an errs.InvalidError names, failing when
// err is not one.
func violationField(tb testing.TB, err error) string {
	tb.Helper()
	var inv *errs.InvalidError
	if !errors.As(err, &inv) || len(inv.Violations) == 0 {
		tb.Fatalf("error %v is not an *errs.InvalidError with violations", err)
	}
	return inv.Violations[0].Field
}

func usccs(es []*legalentity.LegalEntity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.USCC
	}
	return out
}

func TestCreateAndGet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)

		t.Run("get returns every field exactly as created", func(t *testing.T) {
			e := newEntity(t, 1, func(e *legalentity.LegalEntity) {
				e.FormerNames = []string{"镇海港埠厂", "宁波港埠物流公司"}
				e.Status, e.StatusDate = legalentity.StatusMovedOut, "2023-04-01"
				// A pilot code stored in lenient mode keeps its flag.
				e.USCC = e.USCC[:17] + wrongCheckChar(e.USCC)
				e.CheckCharInvalid = true
				e.CreateTime = time.Date(2023, 12, 31, 23, 59, 58, 123456789, time.UTC)
				e.UpdateTime = time.Date(2024, 1, 2, 3, 4, 5, 987654000, time.UTC)
				e.Revision = 7
			})
			assertEveryFieldSet(t, e)
			want := clone(t, e)
			create(t, s, e)
			assertSameEntity(t, mustGet(t, s, want.USCC), want)
		})

		t.Run("creating a USCC that is taken is ErrAlreadyExists and keeps the first", func(t *testing.T) {
			first := newEntity(t, 2)
			create(t, s, first)
			second := newEntity(t, 2, withName("宁波冒名贸易有限公司"))
			err := s.Create(ctx, second, established(t, second))
			if !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("second Create = %v, want ErrAlreadyExists", err)
			}
			if !strings.Contains(err.Error(), legalentity.ResourceName(first.USCC)) {
				t.Errorf("error %q does not name %s", err, legalentity.ResourceName(first.USCC))
			}
			assertSameEntity(t, mustGet(t, s, first.USCC), first)
			if p := searchAll(t, s, legalentity.SearchQuery{Query: "冒名贸易"}); len(p) != 0 {
				t.Errorf("the refused entity's name was indexed: %d hits", len(p))
			}
		})

		t.Run("getting an unknown USCC is ErrNotFound", func(t *testing.T) {
			unknown := newEntity(t, 3).USCC
			_, err := s.Get(ctx, unknown, history.Point{})
			if !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Get(%s) = %v, want ErrNotFound", unknown, err)
			}
		})
	})
}

// wrongCheckChar returns a check character other than the right one.
func wrongCheckChar(uscc string) string {
	if uscc[17] == '0' {
		return "1"
	}
	return "0"
}

// assertEveryFieldSet guards the round-trip test against a fixture that
// leaves a field of the document at its zero value, which would make the
// test blind to that field being lost. What a read finds besides the
// document (json:"-") is not the fixture's to set.
func assertEveryFieldSet(tb testing.TB, e *legalentity.LegalEntity) {
	tb.Helper()
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		if v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(time.Time{}) {
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).Tag.Get("json") == "-" {
					continue
				}
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
			return
		}
		if v.IsZero() {
			tb.Fatalf("fixture leaves %s at its zero value", path)
		}
	}
	walk(reflect.ValueOf(*e), "LegalEntity")
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)

		t.Run("the changed entity is stored and returned, and List sees the change", func(t *testing.T) {
			e := newEntity(t, 10)
			// Updated after e was, but before this update of e.
			other := newEntity(t, 16)
			create(t, s, e, other)
			change := func(x *legalentity.LegalEntity) {
				x.Name = "宁波镇海新名称贸易有限公司"
				x.Type = legalentity.TypeOther
				x.Status, x.StatusDate = legalentity.StatusSuspended, "2024-02-02"
				x.IndustryCode = "I6513"
				x.Address.DivisionCode = "330211100000"
				x.EstablishedOn = "2001-02-03"
				x.UpdateTime = x.UpdateTime.Add(time.Hour)
				x.Revision++
			}
			got, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{}, func(cur *legalentity.LegalEntity) error {
				assertSameEntity(t, cur, e)
				change(cur)
				return nil
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			want := clone(t, e)
			change(want)
			assertSameEntity(t, got, want)
			assertSameEntity(t, mustGet(t, s, e.USCC), want)

			// The columns List filters and orders by follow the document.
			for _, tt := range []struct{ before, after string }{
				{`display_name = "` + e.Name + `"`, `display_name = "` + want.Name + `"`},
				{`entity_type = ` + string(e.Type), `entity_type = OTHER`},
				{`status = ACTIVE`, `status = SUSPENDED`},
				{`industry_code = "` + e.IndustryCode + `"`, `industry_code = I6513`},
				{`registered_address.division_code = "` + e.Address.DivisionCode + `"`, `registered_address.division_code = 330211100000`},
				{`establishment_date = ` + e.EstablishedOn, `establishment_date = 2001-02-03`},
			} {
				for f, n := range map[string]int{tt.before: 0, tt.after: 1} {
					l, err := s.List(ctx, legalentity.ListQuery{Filter: f + ` uscc = "` + e.USCC + `"`, PageSize: 10})
					if err != nil || len(l.Entities) != n {
						t.Errorf("after the update List(%s) = %d entities, %v; want %d", f, len(l.Entities), err, n)
					}
				}
			}
			l, err := s.List(ctx, legalentity.ListQuery{OrderBy: "update_time desc", PageSize: 1})
			if err != nil || len(l.Entities) != 1 || l.Entities[0].USCC != e.USCC {
				t.Errorf("List by update_time desc = %v, %v; want the updated entity first", usccs(l.Entities), err)
			}
		})

		t.Run("an error from change is returned as is and leaves the record untouched", func(t *testing.T) {
			e := newEntity(t, 11)
			create(t, s, e)
			boom := errors.New("boom")
			_, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{}, func(cur *legalentity.LegalEntity) error {
				cur.Name = "不应保存的名称有限公司"
				cur.Revision = 99
				return boom
			})
			if err != boom {
				t.Fatalf("Update = %v, want the change function's error itself", err)
			}
			assertSameEntity(t, mustGet(t, s, e.USCC), e)
			if hits := searchAll(t, s, legalentity.SearchQuery{Query: "不应保存"}); len(hits) != 0 {
				t.Errorf("the aborted name was indexed: %d hits", len(hits))
			}
			if hits := searchAll(t, s, legalentity.SearchQuery{Query: e.Name}); len(hits) == 0 || hits[0].Entity.USCC != e.USCC {
				t.Errorf("the kept name is no longer found")
			}
		})

		t.Run("change may not alter the USCC", func(t *testing.T) {
			e := newEntity(t, 12)
			create(t, s, e)
			_, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{}, func(cur *legalentity.LegalEntity) error {
				cur.USCC = newEntity(t, 13).USCC
				return nil
			})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update = %v, want ErrFailedPrecondition", err)
			}
			assertSameEntity(t, mustGet(t, s, e.USCC), e)
		})

		t.Run("updating an unknown USCC is ErrNotFound and never calls change", func(t *testing.T) {
			called := false
			_, err := s.Update(ctx, newEntity(t, 14).USCC, legalentity.WriteOptions{}, func(*legalentity.LegalEntity) error { called = true; return nil })
			if !errors.Is(err, errs.ErrNotFound) || called {
				t.Fatalf("Update = %v (change called: %v), want ErrNotFound without a call", err, called)
			}
		})

		t.Run("concurrent updates lose none", func(t *testing.T) {
			e := newEntity(t, 15, func(e *legalentity.LegalEntity) { e.BusinessScope = "" })
			create(t, s, e)
			const writers = 8
			var wg sync.WaitGroup
			errc := make(chan error, writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{}, func(cur *legalentity.LegalEntity) error {
						cur.BusinessScope += fmt.Sprintf("[%d]", w)
						cur.Revision++
						return nil
					})
					errc <- err
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Errorf("concurrent Update: %v", err)
				}
			}
			got := mustGet(t, s, e.USCC)
			if got.Revision != 1+writers {
				t.Errorf("revision = %d, want %d", got.Revision, 1+writers)
			}
			for w := range writers {
				if n := strings.Count(got.BusinessScope, fmt.Sprintf("[%d]", w)); n != 1 {
					t.Errorf("writer %d's change appears %d times in %q", w, n, got.BusinessScope)
				}
			}
		})
	})
}

// listAll pages through List, checking that every page but the last is full
// and that the loop ends.
func listAll(tb testing.TB, s *sqlstore.Store, q legalentity.ListQuery) []*legalentity.LegalEntity {
	tb.Helper()
	var out []*legalentity.LegalEntity
	for pages := 1; ; pages++ {
		if pages > 1000 {
			tb.Fatalf("List %+v did not end after 1000 pages", q)
		}
		p, err := s.List(ctx, q)
		if err != nil {
			tb.Fatalf("List %+v: %v", q, err)
		}
		if len(p.Entities) > q.PageSize || (p.NextPageToken != "" && len(p.Entities) != q.PageSize) {
			tb.Fatalf("page %d has %d entities for page size %d (next token %q)", pages, len(p.Entities), q.PageSize, p.NextPageToken)
		}
		out = append(out, p.Entities...)
		if p.NextPageToken == "" {
			return out
		}
		q.PageToken = p.NextPageToken
	}
}

const listed = 120

func TestList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		all := make([]*legalentity.LegalEntity, listed)
		for i := range all {
			all[i] = newEntity(t, i)
			create(t, s, clone(t, all[i]))
		}
		byUSCC := slices.Clone(all)
		slices.SortFunc(byUSCC, func(a, b *legalentity.LegalEntity) int { return strings.Compare(a.USCC, b.USCC) })

		t.Run("page_size 7 returns every record exactly once, in USCC order, in full pages", func(t *testing.T) {
			got := listAll(t, s, legalentity.ListQuery{PageSize: 7})
			if !slices.Equal(usccs(got), usccs(byUSCC)) {
				t.Fatalf("listed %d entities, want all %d in USCC order\n got %v\nwant %v", len(got), listed, usccs(got), usccs(byUSCC))
			}
			for i, e := range got {
				assertSameEntity(t, e, byUSCC[i])
			}
		})

		t.Run("a last page that is exactly full carries no next page token", func(t *testing.T) {
			q := legalentity.ListQuery{PageSize: 8} // 120 = 15 × 8
			pages := 0
			for {
				p, err := s.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if p.NextPageToken == "" {
					break
				}
				q.PageToken = p.NextPageToken
			}
			if pages != listed/8 {
				t.Fatalf("%d pages, want %d: an empty page was needed to learn the list had ended", pages, listed/8)
			}
		})

		filters := []struct {
			name   string
			filter string
			want   func(e *legalentity.LegalEntity) bool
		}{
			{"status by short name", `status = ACTIVE`,
				func(e *legalentity.LegalEntity) bool { return e.Status == legalentity.StatusActive }},
			{"status by full enum name", `status = ENTITY_STATUS_REVOKED`,
				func(e *legalentity.LegalEntity) bool { return e.Status == legalentity.StatusRevoked }},
			{"status inequality", `status != ACTIVE`,
				func(e *legalentity.LegalEntity) bool { return e.Status != legalentity.StatusActive }},
			{"entity_type", `entity_type = PUBLIC_INSTITUTION`,
				func(e *legalentity.LegalEntity) bool { return e.Type == legalentity.TypePublicInstitution }},
			{"industry_code section prefix", `industry_code = C*`,
				func(e *legalentity.LegalEntity) bool { return strings.HasPrefix(e.IndustryCode, "C") }},
			{"industry_code division prefix", `industry_code = C26*`,
				func(e *legalentity.LegalEntity) bool { return strings.HasPrefix(e.IndustryCode, "C26") }},
			{"industry_code exact", `industry_code = "F5162"`,
				func(e *legalentity.LegalEntity) bool { return e.IndustryCode == "F5162" }},
			{"division_code township prefix", `registered_address.division_code = 330211001*`,
				func(e *legalentity.LegalEntity) bool { return strings.HasPrefix(e.Address.DivisionCode, "330211001") }},
			{"establishment_date range", `establishment_date >= 2000-01-01 AND establishment_date < 2005-01-01`,
				func(e *legalentity.LegalEntity) bool {
					return e.EstablishedOn >= "2000-01-01" && e.EstablishedOn < "2005-01-01"
				}},
			{"display_name contains", `display_name : 石化`,
				func(e *legalentity.LegalEntity) bool { return strings.Contains(e.Name, "石化") }},
			{"AND of status and industry section", `status = ACTIVE AND industry_code = C*`,
				func(e *legalentity.LegalEntity) bool {
					return e.Status == legalentity.StatusActive && strings.HasPrefix(e.IndustryCode, "C")
				}},
			{"implicit AND by juxtaposition", `entity_type = ENTERPRISE registered_address.division_code = 330211100*`,
				func(e *legalentity.LegalEntity) bool {
					return e.Type == legalentity.TypeEnterprise && strings.HasPrefix(e.Address.DivisionCode, "330211100")
				}},
			{"OR of type and status", `entity_type = PUBLIC_INSTITUTION OR status = SUSPENDED`,
				func(e *legalentity.LegalEntity) bool {
					return e.Type == legalentity.TypePublicInstitution || e.Status == legalentity.StatusSuspended
				}},
			{"NOT of a prefix", `NOT industry_code = C*`,
				func(e *legalentity.LegalEntity) bool { return !strings.HasPrefix(e.IndustryCode, "C") }},
			{"minus of a comparison", `-status = ACTIVE`,
				func(e *legalentity.LegalEntity) bool { return e.Status != legalentity.StatusActive }},
			{"OR group ANDed with a NOT", `(status = REVOKED OR status = DEREGISTERED) AND NOT registered_address.division_code = 330211002*`,
				func(e *legalentity.LegalEntity) bool {
					return (e.Status == legalentity.StatusRevoked || e.Status == legalentity.StatusDeregistered) &&
						!strings.HasPrefix(e.Address.DivisionCode, "330211002")
				}},
		}
		for _, tt := range filters {
			t.Run("filter "+tt.name, func(t *testing.T) {
				var want []*legalentity.LegalEntity
				for _, e := range byUSCC {
					if tt.want(e) {
						want = append(want, e)
					}
				}
				if len(want) == 0 || len(want) == listed {
					t.Fatalf("fixture: %q should select some but not all of the %d entities, selects %d", tt.filter, listed, len(want))
				}
				got := listAll(t, s, legalentity.ListQuery{Filter: tt.filter, PageSize: 7})
				if !slices.Equal(usccs(got), usccs(want)) {
					t.Fatalf("List(%q) = %d entities, want %d\n got %v\nwant %v", tt.filter, len(got), len(want), usccs(got), usccs(want))
				}
			})
		}

		t.Run("a prefix filter is case-sensitive, like an exact one", func(t *testing.T) {
			for _, f := range []string{`industry_code = "c2614"`, `industry_code = c*`} {
				if got := listAll(t, s, legalentity.ListQuery{Filter: f, PageSize: 50}); len(got) != 0 {
					t.Errorf("List(%s) = %d entities, want none: codes are stored upper-case", f, len(got))
				}
			}
		})

		// The test database uses the C collation (see storetest), so the
		// backends order text as Go compares strings.
		keys := map[string]func(e *legalentity.LegalEntity) string{
			"uscc":               func(e *legalentity.LegalEntity) string { return e.USCC },
			"display_name":       func(e *legalentity.LegalEntity) string { return e.Name },
			"establishment_date": func(e *legalentity.LegalEntity) string { return e.EstablishedOn },
			"update_time":        func(e *legalentity.LegalEntity) string { return store.FormatTime(e.UpdateTime) },
		}
		for _, col := range []string{"uscc", "display_name", "establishment_date", "update_time"} {
			for _, dir := range []string{"", " asc", " desc", " DESC"} {
				orderBy := col + dir
				t.Run("order_by "+orderBy+" pages through every record in order", func(t *testing.T) {
					key := keys[col]
					desc := strings.EqualFold(strings.TrimSpace(dir), "desc")
					want := slices.Clone(all)
					slices.SortFunc(want, func(a, b *legalentity.LegalEntity) int {
						c := strings.Compare(key(a), key(b))
						if c == 0 {
							c = strings.Compare(a.USCC, b.USCC)
						}
						if desc {
							c = -c
						}
						return c
					})
					got := listAll(t, s, legalentity.ListQuery{OrderBy: orderBy, PageSize: 7})
					if !slices.Equal(usccs(got), usccs(want)) {
						t.Fatalf("List(order_by %q) order differs\n got %v\nwant %v", orderBy, usccs(got), usccs(want))
					}
				})
			}
		}

		t.Run("order_by with a filter pages through the filtered records in order", func(t *testing.T) {
			var want []*legalentity.LegalEntity
			for _, e := range all {
				if strings.HasPrefix(e.IndustryCode, "C") {
					want = append(want, e)
				}
			}
			slices.SortFunc(want, func(a, b *legalentity.LegalEntity) int {
				if c := strings.Compare(b.EstablishedOn, a.EstablishedOn); c != 0 {
					return c
				}
				return strings.Compare(b.USCC, a.USCC)
			})
			got := listAll(t, s, legalentity.ListQuery{Filter: "industry_code = C*", OrderBy: "establishment_date desc", PageSize: 7})
			if !slices.Equal(usccs(got), usccs(want)) {
				t.Fatalf("got %v\nwant %v", usccs(got), usccs(want))
			}
		})

		first, err := s.List(ctx, legalentity.ListQuery{Filter: "status = ACTIVE", PageSize: 7})
		if err != nil || first.NextPageToken == "" {
			t.Fatalf("first page = %v, %v; want a next page token", first, err)
		}
		refused := []struct {
			name  string
			q     legalentity.ListQuery
			field string
		}{
			{"a page token reused with a different filter", legalentity.ListQuery{Filter: "status = SUSPENDED", PageSize: 7, PageToken: first.NextPageToken}, "page_token"},
			{"a page token reused without the filter", legalentity.ListQuery{PageSize: 7, PageToken: first.NextPageToken}, "page_token"},
			{"a page token reused with a different order_by", legalentity.ListQuery{Filter: "status = ACTIVE", OrderBy: "display_name", PageSize: 7, PageToken: first.NextPageToken}, "page_token"},
			{"a page token that was never issued", legalentity.ListQuery{Filter: "status = ACTIVE", PageSize: 7, PageToken: "bm90LWEtdG9rZW4"}, "page_token"},
			{"order_by an unknown field", legalentity.ListQuery{OrderBy: "capital", PageSize: 7}, "order_by"},
			{"order_by with a bad direction", legalentity.ListQuery{OrderBy: "uscc sideways", PageSize: 7}, "order_by"},
			{"order_by with two fields", legalentity.ListQuery{OrderBy: "status, uscc", PageSize: 7}, "order_by"},
			{"filter on an unknown field", legalentity.ListQuery{Filter: "capital > 5", PageSize: 7}, "filter"},
			{"filter with an unknown status", legalentity.ListQuery{Filter: "status = DISSOLVED", PageSize: 7}, "filter"},
			{"filter with an impossible date", legalentity.ListQuery{Filter: "establishment_date > 2023-02-29", PageSize: 7}, "filter"},
		}
		for _, tt := range refused {
			t.Run(tt.name+" is refused as invalid, naming "+tt.field, func(t *testing.T) {
				p, err := s.List(ctx, tt.q)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("List = %d entities, %v; want ErrInvalid", len(p.Entities), err)
				}
				if f := violationField(t, err); f != tt.field {
					t.Errorf("violation names %q, want %q", f, tt.field)
				}
			})
		}
	})
}

// searchAll pages through Search.
func searchAll(tb testing.TB, s *sqlstore.Store, q legalentity.SearchQuery) []legalentity.SearchHit {
	tb.Helper()
	if q.PageSize == 0 {
		q.PageSize = 200
	}
	var out []legalentity.SearchHit
	for pages := 1; ; pages++ {
		if pages > 1000 {
			tb.Fatalf("Search %+v did not end after 1000 pages", q)
		}
		p, err := s.Search(ctx, q)
		if err != nil {
			tb.Fatalf("Search %+v: %v", q, err)
		}
		if len(p.Hits) > q.PageSize {
			tb.Fatalf("page %d has %d hits for page size %d", pages, len(p.Hits), q.PageSize)
		}
		out = append(out, p.Hits...)
		if p.NextPageToken == "" {
			return out
		}
		q.PageToken = p.NextPageToken
	}
}

func hitUSCCs(hits []legalentity.SearchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Entity.USCC
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// searched is the fixture of the search tests: names chosen so that each
// rule has entities that must match and entities that must not.
type searched struct {
	zhenhaiRefinery, lyondell, jianan, zone, jinhai, logistics, latin, port,
	lyondellBranch, lyondellProvince, fossil, institute, storage *legalentity.LegalEntity
	all []*legalentity.LegalEntity
}

func searchFixture(tb testing.TB) *searched {
	tb.Helper()
	n := 0
	next := func(mutate ...func(*legalentity.LegalEntity)) *legalentity.LegalEntity {
		n++
		e := newEntity(tb, 1000+n, append([]func(*legalentity.LegalEntity){withType(tb, legalentity.TypeEnterprise, 1000+n)}, mutate...)...)
		return e
	}
	f := &searched{
		zhenhaiRefinery:  next(withName("中国石化镇海炼化分公司", "镇海石油化工总厂", "镇海炼油厂")),
		lyondell:         next(withName("宁波镇海炼化利安德化学有限公司")),
		jianan:           next(withName("镇海石化建安工程股份有限公司")),
		zone:             next(withName("宁波石化经济技术开发区管理委员会"), withType(tb, legalentity.TypeGovernmentAgency, 2001)),
		jinhai:           next(withName("宁波金海晨光化工股份有限公司")),
		logistics:        next(withName("宁波镇海石化物流有限公司")),
		latin:            next(withName("Ningbo Zhenhai Refining Logistics Co., Ltd.")),
		port:             next(withName("宁波港镇海港埠分公司")),
		lyondellBranch:   next(withName("宁波镇海炼化利安德化学有限公司蛟川分公司")),
		lyondellProvince: next(withName("浙江省宁波镇海炼化利安德化学有限公司")),
		fossil:           next(withName("宁波化石科技有限公司")),
		institute:        next(withName("镇海区石化产业服务中心"), withType(tb, legalentity.TypePublicInstitution, 2002)),
		storage:          next(withName("宁波甬港储运有限公司", "镇海石化储运公司")),
	}
	f.all = []*legalentity.LegalEntity{f.zhenhaiRefinery, f.lyondell, f.jianan, f.zone, f.jinhai, f.logistics, f.latin,
		f.port, f.lyondellBranch, f.lyondellProvince, f.fossil, f.institute, f.storage}
	return f
}

// containing returns the USCCs of the entities a current or former name of
// which contains sub.
func (f *searched) containing(sub string) []string {
	var out []string
	for _, e := range f.all {
		if strings.Contains(e.Name, sub) || slices.ContainsFunc(e.FormerNames, func(n string) bool { return strings.Contains(n, sub) }) {
			out = append(out, e.USCC)
		}
	}
	return out
}

func TestSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		f := searchFixture(t)
		for _, e := range f.all {
			create(t, s, clone(t, e))
		}
		// Unrelated entities, so that a query matching everything would show.
		for i := range 20 {
			create(t, s, newEntity(t, i, withName(fmt.Sprintf("%s第%d贸易商行", places[i%len(places)], i))))
		}

		t.Run("an exact current name ranks first with score 1.0, then a prefix match, then a containing name", func(t *testing.T) {
			hits := searchAll(t, s, legalentity.SearchQuery{Query: f.lyondell.Name})
			want := []struct {
				e     *legalentity.LegalEntity
				score float64 // 0.8 for sharing every term, plus 0.2 exact or 0.1 prefix
			}{{f.lyondell, 1.0}, {f.lyondellBranch, 0.9}, {f.lyondellProvince, 0.8}}
			if len(hits) < len(want) {
				t.Fatalf("%d hits, want at least %d: %v", len(hits), len(want), hitUSCCs(hits))
			}
			for i, w := range want {
				if hits[i].Entity.USCC != w.e.USCC || !near(hits[i].Score, w.score) || hits[i].MatchedName != w.e.Name {
					t.Errorf("hit %d = %s %q score %v matched %q; want %s %q score %v",
						i, hits[i].Entity.USCC, hits[i].Entity.Name, hits[i].Score, hits[i].MatchedName, w.e.USCC, w.e.Name, w.score)
				}
			}
			for _, h := range hits[len(want):] {
				if h.Score >= want[len(want)-1].score {
					t.Errorf("a weaker match %q scores %v", h.Entity.Name, h.Score)
				}
			}
		})

		t.Run("a query sharing most but not all terms matches, scored by the share", func(t *testing.T) {
			// 9 bigrams; the name lacks only 流公, since it says 有限公司.
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "宁波镇海石化物流公司"})
			if len(hits) == 0 || hits[0].Entity.USCC != f.logistics.USCC {
				t.Fatalf("hits = %v, want %s first", hitUSCCs(hits), f.logistics.USCC)
			}
			if want := 0.8 * 8 / 9; !near(hits[0].Score, want) {
				t.Errorf("score = %v, want %v", hits[0].Score, want)
			}
		})

		t.Run("scores lie in (0, 1] and never increase down the ranking", func(t *testing.T) {
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "宁波镇海石化"})
			if len(hits) == 0 {
				t.Fatal("no hits")
			}
			for i, h := range hits {
				if h.Score <= 0 || h.Score > 1 || (i > 0 && h.Score > hits[i-1].Score) {
					t.Fatalf("hit %d %q scores %v after %v", i, h.Entity.Name, h.Score, hits[max(i-1, 0)].Score)
				}
			}
		})

		t.Run("a former name is found and reported as the matched name", func(t *testing.T) {
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "镇海石油化工总厂"})
			if len(hits) == 0 || hits[0].Entity.USCC != f.zhenhaiRefinery.USCC {
				t.Fatalf("hits = %v, want %s first", hitUSCCs(hits), f.zhenhaiRefinery.USCC)
			}
			if hits[0].MatchedName != "镇海石油化工总厂" {
				t.Errorf("MatchedName = %q, want the former name", hits[0].MatchedName)
			}
			if !near(hits[0].Score, 0.8) {
				t.Errorf("score = %v, want 0.8: every term, but no bonus for a former name", hits[0].Score)
			}
		})

		t.Run("a two-character Chinese query finds every current or former name containing it", func(t *testing.T) {
			want := f.containing("石化")
			if len(want) < 5 {
				t.Fatalf("fixture: only %d names contain 石化", len(want))
			}
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "石化"})
			if !sameSet(hitUSCCs(hits), want) {
				t.Fatalf("Search(石化) = %v, want %v (宁波化石 must not match: 石化 is a bigram, not two characters)", hitUSCCs(hits), want)
			}
			for _, h := range hits {
				if h.Entity.USCC == f.storage.USCC && h.MatchedName != "镇海石化储运公司" {
					t.Errorf("MatchedName of %s = %q, want its former name", h.Entity.USCC, h.MatchedName)
				}
			}
		})

		latin := []struct {
			name  string
			query string
		}{
			{"words in lower case", "zhenhai refining"},
			{"words in upper case", "ZHENHAI LOGISTICS"},
			{"a word prefix", "refin"},
			{"words with punctuation", "Ningbo, Zhenhai!"},
		}
		for _, tt := range latin {
			t.Run("a Latin query matches "+tt.name, func(t *testing.T) {
				hits := searchAll(t, s, legalentity.SearchQuery{Query: tt.query})
				if got := hitUSCCs(hits); !slices.Equal(got, []string{f.latin.USCC}) {
					t.Fatalf("Search(%q) = %v, want only %s", tt.query, got, f.latin.USCC)
				}
			})
		}

		bonuses := []struct {
			name  string
			query string
			score float64 // 0.8 for sharing every term, plus 0.2 exact or 0.1 prefix
		}{
			{"a prefix in the name's own case", "Ningbo Zhenhai", 0.9},
			{"a prefix in lower case", "ningbo zhenhai", 0.9},
			{"a prefix in upper case", "NINGBO ZHENHAI", 0.9},
			{"the exact name in lower case", "ningbo zhenhai refining logistics co., ltd.", 1.0},
			{"the exact name in upper case", "NINGBO ZHENHAI REFINING LOGISTICS CO., LTD.", 1.0},
			{"words inside the name", "Zhenhai Refining", 0.8},
		}
		for _, tt := range bonuses {
			t.Run("letter case does not change the bonus: "+tt.name+" scores "+fmt.Sprint(tt.score), func(t *testing.T) {
				hits := searchAll(t, s, legalentity.SearchQuery{Query: tt.query})
				if len(hits) != 1 || hits[0].Entity.USCC != f.latin.USCC {
					t.Fatalf("Search(%q) = %v, want only %s", tt.query, hitUSCCs(hits), f.latin.USCC)
				}
				if !near(hits[0].Score, tt.score) {
					t.Fatalf("Search(%q) scores %v, want %v", tt.query, hits[0].Score, tt.score)
				}
			})
		}

		t.Run("paging by offset returns the single-page ranking without duplicates", func(t *testing.T) {
			whole := searchAll(t, s, legalentity.SearchQuery{Query: "宁波", PageSize: 200})
			if len(whole) < 10 {
				t.Fatalf("fixture: only %d hits for 宁波", len(whole))
			}
			paged := searchAll(t, s, legalentity.SearchQuery{Query: "宁波", PageSize: 3})
			if !slices.Equal(hitUSCCs(paged), hitUSCCs(whole)) {
				t.Fatalf("paged ranking differs\n got %v\nwant %v", hitUSCCs(paged), hitUSCCs(whole))
			}
			seen := map[string]bool{}
			for _, u := range hitUSCCs(paged) {
				if seen[u] {
					t.Fatalf("%s returned twice", u)
				}
				seen[u] = true
			}
		})

		t.Run("a filter narrows the matches", func(t *testing.T) {
			var want []string
			for _, e := range f.all {
				if slices.Contains(f.containing("石化"), e.USCC) && e.Type == legalentity.TypeEnterprise {
					want = append(want, e.USCC)
				}
			}
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "石化", Filter: "entity_type = ENTERPRISE"})
			if !sameSet(hitUSCCs(hits), want) || len(want) == len(f.containing("石化")) {
				t.Fatalf("Search(石化, enterprises) = %v, want %v", hitUSCCs(hits), want)
			}
		})

		t.Run("a filter on uscc narrows the matches", func(t *testing.T) {
			hits := searchAll(t, s, legalentity.SearchQuery{Query: "石化", Filter: `uscc = "` + f.jianan.USCC + `"`})
			if got := hitUSCCs(hits); !slices.Equal(got, []string{f.jianan.USCC}) {
				t.Fatalf("Search = %v, want only %s", got, f.jianan.USCC)
			}
		})

		first, err := s.Search(ctx, legalentity.SearchQuery{Query: "宁波", PageSize: 5})
		if err != nil || first.NextPageToken == "" {
			t.Fatalf("first search page: %v, %v; want a next page token", first, err)
		}
		refused := []struct {
			name  string
			q     legalentity.SearchQuery
			field string
		}{
			{"a query without letters or digits", legalentity.SearchQuery{Query: "——！", PageSize: 5}, "query"},
			{"a bad filter", legalentity.SearchQuery{Query: "石化", Filter: "status = NOPE", PageSize: 5}, "filter"},
			{"a page token reused with another query", legalentity.SearchQuery{Query: "镇海", PageSize: 5, PageToken: first.NextPageToken}, "page_token"},
			{"a page token reused with a filter", legalentity.SearchQuery{Query: "宁波", Filter: "status = ACTIVE", PageSize: 5, PageToken: first.NextPageToken}, "page_token"},
		}
		for _, tt := range refused {
			t.Run(tt.name+" is refused as invalid, naming "+tt.field, func(t *testing.T) {
				_, err := s.Search(ctx, tt.q)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("Search = %v, want ErrInvalid", err)
				}
				if f := violationField(t, err); f != tt.field {
					t.Errorf("violation names %q, want %q", f, tt.field)
				}
			})
		}

		t.Run("search follows a rename, and finds the old name again once it is a former name", func(t *testing.T) {
			old := f.logistics.Name
			rename := func(change func(e *legalentity.LegalEntity)) {
				t.Helper()
				update(t, s, f.logistics.USCC, change)
			}
			found := func(q string) (legalentity.SearchHit, bool) {
				for _, h := range searchAll(t, s, legalentity.SearchQuery{Query: q}) {
					if h.Entity.USCC == f.logistics.USCC {
						return h, true
					}
				}
				return legalentity.SearchHit{}, false
			}
			if _, ok := found("石化物流"); !ok {
				t.Fatalf("fixture: %q is not found by 石化物流 before the rename", old)
			}

			rename(func(e *legalentity.LegalEntity) { e.Name = "宁波镇海港城物流有限公司" })
			if h, ok := found("石化物流"); ok {
				t.Errorf("after the rename 石化物流 still finds it (matched %q)", h.MatchedName)
			}
			if h, ok := found("港城物流"); !ok || h.MatchedName != "宁波镇海港城物流有限公司" {
				t.Errorf("after the rename 港城物流 = %+v, %v; want the new name matched", h, ok)
			}

			rename(func(e *legalentity.LegalEntity) { e.FormerNames = append(e.FormerNames, old) })
			h, ok := found("石化物流")
			if !ok || h.MatchedName != old {
				t.Fatalf("with the old name as a former name 石化物流 = %+v, %v; want matched %q", h, ok, old)
			}
			if h, ok := found(old); !ok || !near(h.Score, 0.8) {
				t.Errorf("the exact old name scores %v (found %v), want 0.8: it is no longer the current name", h.Score, ok)
			}
		})
	})
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// clocked opens the store with its record time at *now.
func clocked(tb testing.TB, db *store.DB, now *time.Time) *sqlstore.Store {
	tb.Helper()
	s := openStore(tb, db)
	s.Temporal().Now = func() time.Time { return *now }
	return s
}

func named(name string) func(*legalentity.LegalEntity) error {
	return func(e *legalentity.LegalEntity) error { e.Name = name; e.Revision++; return nil }
}

func TestHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var now time.Time
		s := clocked(t, db, &now)
		k1, k2, k3, k4 := day("2024-01-05"), day("2024-03-05"), day("2024-04-05"), day("2024-05-05")
		e := newEntity(t, 40, withName("宁波镇海一号有限公司"))

		now = k1
		if err := s.Create(ctx, e, day("2024-01-01")); err != nil {
			t.Fatal(err)
		}
		now = k2
		changed, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{EffectiveFrom: day("2024-03-01")}, named("宁波镇海二号有限公司"))
		if err != nil {
			t.Fatal(err)
		}
		now = k3
		corrected, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{EffectiveFrom: day("2024-02-01"), Correction: true},
			func(cur *legalentity.LegalEntity) error {
				if cur.Name != "宁波镇海一号有限公司" {
					t.Errorf("a correction of February amends %q, want the version in effect then", cur.Name)
				}
				return named("宁波镇海壹号有限公司")(cur)
			})
		if err != nil {
			t.Fatal(err)
		}
		now = k4
		retired, err := s.Update(ctx, e.USCC, legalentity.WriteOptions{EffectiveFrom: day("2024-05-01"), Retire: true},
			func(*legalentity.LegalEntity) error { return nil })
		if err != nil {
			t.Fatal(err)
		}

		t.Run("Update returns the current state after the write", func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				got     *legalentity.LegalEntity
				want    string
				retired bool
				action  history.Action
			}{
				{"a change returns the new version", changed, "宁波镇海二号有限公司", false, history.Updated},
				{"a correction of the past returns the current version, untouched", corrected, "宁波镇海二号有限公司", false, history.Updated},
				{"a retirement returns the tombstone", retired, "宁波镇海二号有限公司", true, history.Retired},
			} {
				if tt.got.Name != tt.want || tt.got.Retired != tt.retired || tt.got.Version.Action != tt.action {
					t.Errorf("%s: got %q retired=%v %s, want %q retired=%v %s", tt.name,
						tt.got.Name, tt.got.Retired, tt.got.Version.Action, tt.want, tt.retired, tt.action)
				}
			}
		})

		t.Run("Get at a point returns the version in effect and known then, with where it sits", func(t *testing.T) {
			// A period restated to end where a later one starts is written
			// by the later write (its sequence) but keeps the action it was
			// first recorded with, which its Info does not pin down: its
			// action is left out below (see the report).
			restated := history.Action("")
			for _, tt := range []struct {
				at   history.Point
				want history.Info
				name string
			}{
				{history.Point{ValidAt: day("2024-02-01"), KnownAt: k1},
					history.Info{Version: 1, ValidFrom: day("2024-01-01"), KnownFrom: k1, KnownTo: k2, Action: history.Created, Sequence: 1}, "宁波镇海一号有限公司"},
				{history.Point{ValidAt: day("2024-02-01"), KnownAt: k2},
					history.Info{Version: 2, ValidFrom: day("2024-01-01"), ValidTo: day("2024-03-01"), KnownFrom: k2, KnownTo: k3, Action: restated, Sequence: 2}, "宁波镇海一号有限公司"},
				{history.Point{ValidAt: day("2024-02-01")},
					history.Info{Version: 4, ValidFrom: day("2024-01-01"), ValidTo: day("2024-03-01"), KnownFrom: k3, Action: history.Corrected, Sequence: 3}, "宁波镇海壹号有限公司"},
				{history.Point{ValidAt: day("2024-04-01")},
					history.Info{Version: 5, ValidFrom: day("2024-03-01"), ValidTo: day("2024-05-01"), KnownFrom: k4, Action: restated, Sequence: 4}, "宁波镇海二号有限公司"},
				{history.Point{},
					history.Info{Version: 6, ValidFrom: day("2024-05-01"), KnownFrom: k4, Action: history.Retired, Sequence: 4}, "宁波镇海二号有限公司"},
			} {
				got := mustGetAt(t, s, e.USCC, tt.at)
				if tt.want.Action == restated {
					got.Version.Action = restated
				}
				if got.Name != tt.name || !reflect.DeepEqual(got.Version, tt.want) {
					t.Errorf("Get(%v) = %q %+v\nwant %q %+v", tt.at, got.Name, got.Version, tt.name, tt.want)
				}
			}
		})

		t.Run("History returns every version, oldest record time first", func(t *testing.T) {
			h, err := s.History(ctx, e.USCC)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, v := range h {
				got = append(got, v.Version.Version)
			}
			if want := []int64{1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
				t.Fatalf("History versions %v, want %v", got, want)
			}
			if _, err := s.History(ctx, newEntity(t, 41).USCC); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("History of an unknown USCC = %v, want ErrNotFound", err)
			}
		})

		refused := []struct {
			name string
			o    legalentity.WriteOptions
			err  error
		}{
			{"a change of a retired entity", legalentity.WriteOptions{}, errs.ErrFailedPrecondition},
			{"a retirement of a retired entity", legalentity.WriteOptions{Retire: true}, errs.ErrFailedPrecondition},
			{"a correction of a time before the entity existed", legalentity.WriteOptions{EffectiveFrom: day("2023-06-01"), Correction: true}, errs.ErrInvalid},
		}
		for _, tt := range refused {
			t.Run(tt.name+" is refused and writes nothing", func(t *testing.T) {
				_, err := s.Update(ctx, e.USCC, tt.o, named("不应保存有限公司"))
				if !errors.Is(err, tt.err) {
					t.Fatalf("Update(%+v) = %v, want %v", tt.o, err, tt.err)
				}
				if h, _ := s.History(ctx, e.USCC); len(h) != 6 {
					t.Fatalf("history has %d versions after a refused write", len(h))
				}
			})
		}

		t.Run("effect times in the future or before the latest change are invalid", func(t *testing.T) {
			live := newEntity(t, 42)
			now = day("2024-06-01")
			if err := s.Create(ctx, live, day("2024-06-02")); !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Create in effect tomorrow = %v, want ErrInvalid", err)
			}
			if err := s.Create(ctx, live, day("2024-05-01")); err != nil {
				t.Fatal(err)
			}
			for _, at := range []time.Time{day("2024-06-02"), day("2024-04-30")} {
				_, err := s.Update(ctx, live.USCC, legalentity.WriteOptions{EffectiveFrom: at}, named("不应保存有限公司"))
				if !errors.Is(err, errs.ErrInvalid) || violationField(t, err) != "effective_time" {
					t.Errorf("a change in effect from %v = %v, want effective_time refused", at, err)
				}
			}
		})
	})
}

func TestRenameRedirects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := day("2024-01-05")
		s := clocked(t, db, &now)
		a := newEntity(t, 50, withName("宁波镇海改码物流有限公司"))
		taken := newEntity(t, 51)
		create(t, s, a, taken)
		b, c := newEntity(t, 52).USCC, newEntity(t, 53).USCC
		to := func(uscc string) func(*legalentity.LegalEntity) error {
			return func(e *legalentity.LegalEntity) error { e.USCC = uscc; e.Revision++; return nil }
		}

		now = day("2024-03-05")
		got, err := s.Rename(ctx, a.USCC, b, day("2024-03-01"), to(b))
		if err != nil {
			t.Fatalf("Rename %s → %s: %v", a.USCC, b, err)
		}
		if got.USCC != b || got.Name != a.Name || got.Version.Action != history.Renamed || got.Version.Version != 1 || !got.Version.ValidFrom.Equal(day("2024-03-01")) {
			t.Fatalf("Rename returned %s %q %+v", got.USCC, got.Name, got.Version)
		}
		now = day("2024-04-05")
		if _, err := s.Rename(ctx, b, c, day("2024-04-01"), to(c)); err != nil {
			t.Fatalf("Rename %s → %s: %v", b, c, err)
		}

		for _, tt := range []struct {
			name       string
			uscc       string
			at         history.Point
			want, from string
		}{
			{"the first USCC follows both renames", a.USCC, history.Point{}, c, a.USCC},
			{"the second USCC follows one", b, history.Point{}, c, b},
			{"the first USCC in March reads the second record", a.USCC, history.Point{ValidAt: day("2024-03-15")}, b, a.USCC},
			{"the first USCC before any rename reads itself", a.USCC, history.Point{ValidAt: day("2024-02-01")}, a.USCC, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := mustGetAt(t, s, tt.uscc, tt.at)
				if e.USCC != tt.want || e.RedirectedFrom != tt.from || e.Retired || e.Name != a.Name {
					t.Fatalf("Get(%s, %v) = %s redirected from %q retired=%v; want %s redirected from %q",
						tt.uscc, tt.at, e.USCC, e.RedirectedFrom, e.Retired, tt.want, tt.from)
				}
			})
		}

		t.Run("List and Search show the current USCC, the old ones only among retired entities", func(t *testing.T) {
			for _, showRetired := range []bool{false, true} {
				want := []string{c}
				if showRetired {
					want = sorted(a.USCC, b, c)
				}
				var listed []string
				for _, e := range listAll(t, s, legalentity.ListQuery{PageSize: 10, ShowRetired: showRetired, Filter: `display_name = "` + a.Name + `"`}) {
					listed = append(listed, e.USCC)
				}
				found := hitUSCCs(searchAll(t, s, legalentity.SearchQuery{Query: "改码物流", ShowRetired: showRetired}))
				if !slices.Equal(listed, want) || !sameSet(found, want) {
					t.Errorf("show_retired=%v: List %v, Search %v; want %v", showRetired, listed, found, want)
				}
			}
		})

		refused := []struct {
			name     string
			from, to string
			change   func(*legalentity.LegalEntity) error
			err      error
		}{
			{"onto a USCC that is taken", c, taken.USCC, to(taken.USCC), errs.ErrAlreadyExists},
			{"onto a USCC renamed away from", c, a.USCC, to(a.USCC), errs.ErrAlreadyExists},
			{"of a USCC renamed away from", a.USCC, newEntity(t, 54).USCC, to(newEntity(t, 54).USCC), errs.ErrFailedPrecondition},
			{"of an unknown USCC", newEntity(t, 55).USCC, newEntity(t, 56).USCC, to(newEntity(t, 56).USCC), errs.ErrNotFound},
			{"whose change writes another USCC than the new one", c, newEntity(t, 57).USCC, to(newEntity(t, 58).USCC), errs.ErrFailedPrecondition},
		}
		for _, tt := range refused {
			t.Run("a rename "+tt.name+" is refused", func(t *testing.T) {
				_, before, err := s.Changes(ctx, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Rename(ctx, tt.from, tt.to, time.Time{}, tt.change); !errors.Is(err, tt.err) {
					t.Fatalf("Rename(%s → %s) = %v, want %v", tt.from, tt.to, err, tt.err)
				}
				if _, after, _ := s.Changes(ctx, 0, 1); after != before {
					t.Fatalf("the refused rename moved the head from %d to %d", before, after)
				}
			})
		}

		t.Run("a renamed-away USCC cannot be created again", func(t *testing.T) {
			if err := s.Create(ctx, newEntity(t, 50), time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("Create(%s) = %v, want ErrAlreadyExists", a.USCC, err)
			}
		})
	})
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := day("2024-01-05")
		s := clocked(t, db, &now)
		a, b := newEntity(t, 60), newEntity(t, 61)
		create(t, s, a, b) // 1, 2
		now = day("2024-02-05")
		if _, err := s.Update(ctx, a.USCC, legalentity.WriteOptions{}, named("宁波镇海新名有限公司")); err != nil { // 3
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, b.USCC, legalentity.WriteOptions{Retire: true}, func(*legalentity.LegalEntity) error { return nil }); err != nil { // 4
			t.Fatal(err)
		}

		t.Run("Changes carries the full entity after each change, unmasked, and the head", func(t *testing.T) {
			cs, head, err := s.Changes(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if head != 4 || len(cs) != 4 {
				t.Fatalf("Changes = %d changes, head %d; want 4 and 4", len(cs), head)
			}
			want := []struct {
				uscc    string
				action  history.Action
				name    string
				retired bool
			}{
				{a.USCC, history.Created, a.Name, false}, {b.USCC, history.Created, b.Name, false},
				{a.USCC, history.Updated, "宁波镇海新名有限公司", false}, {b.USCC, history.Retired, b.Name, true},
			}
			for i, c := range cs {
				w := want[i]
				if c.Sequence != int64(i+1) || c.USCC != w.uscc || c.Action != w.action || c.Entity.Name != w.name || c.Entity.Retired != w.retired ||
					c.Entity.USCC != w.uscc || c.Version.Sequence != c.Sequence || c.Version.Action != c.Action {
					t.Errorf("change %d = %d %s %s %q retired=%v %+v; want %s %s %q retired=%v",
						i, c.Sequence, c.USCC, c.Action, c.Entity.Name, c.Entity.Retired, c.Version, w.uscc, w.action, w.name, w.retired)
				}
			}
			if got := cs[0].Entity.Representative.IDNumber; got != a.Representative.IDNumber {
				t.Errorf("the store masked the ID number (%q): masking is the Service's", got)
			}
			if cs, head, err := s.Changes(ctx, 1, 2); err != nil || head != 4 || len(cs) != 2 || cs[0].Sequence != 2 || cs[1].Sequence != 3 {
				t.Fatalf("Changes(after 1, max 2) = %d changes, head %d, %v; want 2 and 3", len(cs), head, err)
			}
		})

		t.Run("Export at 0 uses the head and includes retired entities", func(t *testing.T) {
			got := map[string]*legalentity.LegalEntity{}
			seq, err := s.Export(ctx, 0, func(e *legalentity.LegalEntity) error { got[e.USCC] = e; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if seq != 4 || len(got) != 2 || got[a.USCC].Name != "宁波镇海新名有限公司" || got[a.USCC].Retired || !got[b.USCC].Retired {
				t.Fatalf("Export = sequence %d, %v", seq, got)
			}
			if got[a.USCC].Version.Sequence != 3 {
				t.Errorf("exported %s carries version %+v, want the one written at 3", a.USCC, got[a.USCC].Version)
			}
		})

		t.Run("an error from Export's fn ends it and is returned", func(t *testing.T) {
			boom := errors.New("boom")
			if _, err := s.Export(ctx, 0, func(*legalentity.LegalEntity) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("Export = %v, want the fn's error", err)
			}
		})

		t.Run("Delta up to 0 runs to the head, one change per entity", func(t *testing.T) {
			var got []int64
			if err := s.Delta(ctx, 0, 0, func(c legalentity.Change) error { got = append(got, c.Sequence); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []int64{3, 4}) {
				t.Fatalf("Delta(0, head) = sequences %v, want [3 4]", got)
			}
		})

		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan int64, 16)
			done := make(chan error, 1)
			go func() {
				done <- s.Watch(wctx, 2, func(cs []legalentity.Change) error {
					for _, c := range cs {
						got <- c.Sequence
					}
					return nil
				})
			}()
			next := func() int64 {
				t.Helper()
				select {
				case n := <-got:
					return n
				case <-wctx.Done():
					t.Fatal("Watch delivered nothing in time")
					return 0
				}
			}
			if n, m := next(), next(); n != 3 || m != 4 {
				t.Fatalf("replayed %d, %d; want 3, 4", n, m)
			}
			create(t, s, newEntity(t, 62))
			if n := next(); n != 5 {
				t.Fatalf("followed %d, want 5", n)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch ended with %v, want context.Canceled", err)
			}
		})
	})
}
