package legalentity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	. "github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
)

// These tests cover the Service's own logic — validation, update masks,
// etags, validate_only, name checks, page sizes — over the real SQL store
// on SQLite, with the clock fixed. service_ext_test.go and history_test.go
// run the Service on both backends.

var ctx = context.Background()

// testNow is the fixed clock: noon in Beijing on 15 June 2025.
var testNow = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

// fixture is a Service over the SQL store with one clock the test can move:
// it stamps the service's create and update times and is the store's record
// time, as the wall clock is for both in production.
type fixture struct {
	svc   *Service
	store *sqlstore.Store
	now   time.Time
}

// newFixture opens the fixture on a fresh SQLite database.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureOn(tb, storetest.OpenSQLite(tb))
}

// newFixtureOn opens the fixture on db, with the clock at testNow.
func newFixtureOn(tb testing.TB, db *store.DB) *fixture {
	tb.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	f := &fixture{store: st, now: testNow}
	f.svc = NewService(st)
	clock := func() time.Time { return f.now }
	SetClock(f.svc, clock)
	st.Temporal().Now = clock
	return f
}

// stored reads the entity as the store holds it now, bypassing the Service.
func (f *fixture) stored(tb testing.TB, uscc string) *LegalEntity {
	tb.Helper()
	e, err := f.store.Get(ctx, uscc, history.Point{})
	if err != nil {
		tb.Fatalf("stored %s: %v", uscc, err)
	}
	return e
}

// count is how many entities the registry holds, retired ones included.
func (f *fixture) count(tb testing.TB) int {
	tb.Helper()
	p, err := f.svc.List(ctx, ListQuery{ShowRetired: true, PageSize: MaxListPageSize})
	if err != nil {
		tb.Fatalf("List: %v", err)
	}
	if p.NextPageToken != "" {
		tb.Fatalf("count: more than %d entities", MaxListPageSize)
	}
	return len(p.Entities)
}

func (f *fixture) create(tb testing.TB, e *LegalEntity) *LegalEntity {
	tb.Helper()
	out, err := f.svc.Create(ctx, e, CreateOptions{})
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return copyEntity(out)
}

func copyEntity(e *LegalEntity) *LegalEntity {
	c := *e
	c.FormerNames = slices.Clone(e.FormerNames)
	return &c
}

func mustUSCC(tb testing.TB, prefix, orgCode string) string {
	tb.Helper()
	code, err := standard.MakeUSCC(prefix[0], prefix[1], "330211", orgCode)
	if err != nil {
		tb.Fatalf("MakeUSCC: %v", err)
	}
	return code
}

func mustIDNumber(tb testing.TB, birth string, seq int) string {
	tb.Helper()
	d, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		tb.Fatal(err)
	}
	id, err := standard.MakeIDNumber("330211", d, seq)
	if err != nil {
		tb.Fatalf("MakeIDNumber: %v", err)
	}
	return id
}

// withWrongCheckChar replaces the check character of an 18-character USCC
// or ID number by another digit, leaving a code whose only fault is its
// check character.
func withWrongCheckChar(code string) string {
	if code[17] == '0' {
		return code[:17] + "1"
	}
	return code[:17] + "0"
}

// validEntity returns an enterprise that passes every rule at testNow, with
// every optional field set; mutate runs last.
func validEntity(tb testing.TB, mutate ...func(*LegalEntity)) *LegalEntity {
	tb.Helper()
	e := &LegalEntity{
		USCC:        mustUSCC(tb, "91", "MA2AGH7K3"),
		Name:        "宁波镇海石化物流有限公司",
		FormerNames: []string{"镇海石化储运公司"},
		Type:        TypeEnterprise,
		Representative: Representative{
			Name:     "王建国",
			IDNumber: mustIDNumber(tb, "1968-03-12", 137),
		},
		Capital:               Money{Amount: "5000000.00", Currency: "CNY"},
		EstablishedOn:         "2003-07-18",
		RegistrationAuthority: "宁波市镇海区市场监督管理局",
		BusinessScope:         "一般项目：普通货物仓储服务；化工产品销售（不含许可类化工产品）。",
		IndustryCode:          "G5942",
		Address:               Address{Text: "浙江省宁波市镇海区蛟川街道俞范东路1188号", DivisionCode: "330211002000"},
		Status:                StatusActive,
	}
	for _, m := range mutate {
		m(e)
	}
	return e
}

// fields returns the sorted fields an *errs.InvalidError names, or nil for
// a nil error; any other error fails the test.
func fields(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) || !errors.Is(err, errs.ErrInvalid) {
		tb.Fatalf("error %v is not an *errs.InvalidError", err)
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return out
}

func reasons(err error) string {
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		return ""
	}
	var rs []string
	for _, v := range inv.Violations {
		rs = append(rs, v.Field+": "+v.Reason)
	}
	return strings.Join(rs, "; ")
}

// assertSame fails unless got and want are the same version of the same
// entity: the same document, read the same way, at the same place in time.
func assertSame(tb testing.TB, got, want *LegalEntity) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("entity differs\n got: %s\nwant: %s", describe(got), describe(want))
	}
}

// assertDocument fails unless got and want hold the same document, wherever
// their versions sit in time (the history tests check that).
func assertDocument(tb testing.TB, got, want *LegalEntity) {
	tb.Helper()
	g, w := *got, *want
	g.Version, w.Version = history.Info{}, history.Info{}
	assertSame(tb, &g, &w)
}

// describe renders the document and what the read found besides it.
func describe(e *LegalEntity) string {
	doc, _ := json.MarshalIndent(e, "", "  ")
	return fmt.Sprintf("%s\nretired=%v redirected_from=%q version=%+v", doc, e.Retired, e.RedirectedFrom, e.Version)
}

func TestValidationRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(e *LegalEntity)
		want   []string // the fields refused, nil when the entity is accepted
	}{
		{"a complete valid entity is accepted", func(e *LegalEntity) {}, nil},
		{"only the required fields are needed", func(e *LegalEntity) {
			*e = LegalEntity{USCC: e.USCC, Name: e.Name, Type: e.Type, Representative: Representative{Name: "王建国"}, EstablishedOn: e.EstablishedOn}
		}, nil},

		{"USCC is required", func(e *LegalEntity) { e.USCC = "" }, []string{"legal_entity.uscc"}},
		{"USCC must be 18 characters", func(e *LegalEntity) { e.USCC = e.USCC[:17] }, []string{"legal_entity.uscc"}},
		{"USCC must not be longer than 18 characters", func(e *LegalEntity) { e.USCC += "1" }, []string{"legal_entity.uscc"}},
		{"USCC must use the GB 32100 alphabet (no I, O, S, V, Z)", func(e *LegalEntity) { e.USCC = e.USCC[:10] + "I" + e.USCC[11:] },
			[]string{"legal_entity.uscc"}},
		{"USCC area code must be digits", func(e *LegalEntity) { e.USCC = e.USCC[:3] + "A" + e.USCC[4:] }, []string{"legal_entity.uscc"}},
		{"USCC with a wrong check character is refused", func(e *LegalEntity) { e.USCC = withWrongCheckChar(e.USCC) },
			[]string{"legal_entity.uscc"}},

		{"entity_type is required", func(e *LegalEntity) { e.Type = "" }, []string{"legal_entity.entity_type"}},
		{"entity_type must be known", func(e *LegalEntity) { e.Type = "LLC" }, []string{"legal_entity.entity_type"}},
		{"entity_type must match the USCC prefix", func(e *LegalEntity) { e.Type = TypePublicInstitution }, []string{"legal_entity.entity_type"}},
		{"an institution with a 12 code is accepted", func(e *LegalEntity) {
			e.Type, e.USCC = TypePublicInstitution, mustUSCC(t, "12", "MB0123456")
		}, nil},
		{"OTHER accepts any USCC prefix", func(e *LegalEntity) { e.Type = TypeOther }, nil},

		{"display_name is required", func(e *LegalEntity) { e.Name = "   " }, []string{"legal_entity.display_name"}},
		{"display_name is at most 200 characters", func(e *LegalEntity) { e.Name = strings.Repeat("镇", 201) },
			[]string{"legal_entity.display_name"}},
		{"display_name of exactly 200 characters is accepted", func(e *LegalEntity) { e.Name = strings.Repeat("镇", 200) }, nil},
		{"a blank former name is refused by index", func(e *LegalEntity) { e.FormerNames = []string{"镇海石化储运公司", " "} },
			[]string{"legal_entity.former_names[1]"}},

		{"representative name is required", func(e *LegalEntity) { e.Representative.Name = "" },
			[]string{"legal_entity.legal_representative.name"}},
		{"representative ID number with a bad check digit is refused", func(e *LegalEntity) {
			e.Representative.IDNumber = withWrongCheckChar(e.Representative.IDNumber)
		}, []string{"legal_entity.legal_representative.id_number"}},
		{"representative ID number of the old 15-digit format is refused", func(e *LegalEntity) {
			e.Representative.IDNumber = "330211680312137"
		}, []string{"legal_entity.legal_representative.id_number"}},

		{"establishment_date is required", func(e *LegalEntity) { e.EstablishedOn = "" }, []string{"legal_entity.establishment_date"}},
		{"establishment_date must be a calendar date", func(e *LegalEntity) { e.EstablishedOn = "2023-02-29" },
			[]string{"legal_entity.establishment_date"}},
		{"establishment_date must be written YYYY-MM-DD", func(e *LegalEntity) { e.EstablishedOn = "2003/07/18" },
			[]string{"legal_entity.establishment_date"}},
		{"establishment_date must not be in the future", func(e *LegalEntity) { e.EstablishedOn = "2025-06-16" },
			[]string{"legal_entity.establishment_date"}},
		{"establishment_date may be today", func(e *LegalEntity) { e.EstablishedOn = "2025-06-15" }, nil},
		{"a leap day is a calendar date", func(e *LegalEntity) { e.EstablishedOn = "2024-02-29" }, nil},

		{"status defaults to ACTIVE", func(e *LegalEntity) { e.Status = "" }, nil},
		{"status must be known", func(e *LegalEntity) { e.Status = "DISSOLVED" }, []string{"legal_entity.status"}},
		{"a status other than ACTIVE needs a status_date", func(e *LegalEntity) { e.Status = StatusRevoked },
			[]string{"legal_entity.status_date"}},
		{"a status other than ACTIVE with a status_date is accepted", func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusDeregistered, "2020-01-02"
		}, nil},
		{"status_date must not be before the establishment date", func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2003-07-17"
		}, []string{"legal_entity.status_date"}},
		{"status_date may be the establishment date", func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2003-07-18"
		}, nil},
		{"status_date must be a calendar date", func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2021-04-31"
		}, []string{"legal_entity.status_date"}},
		{"status_date must not be in the future", func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2025-07-01"
		}, []string{"legal_entity.status_date"}},

		{"industry_code division must belong to its section", func(e *LegalEntity) { e.IndustryCode = "A26" },
			[]string{"legal_entity.industry_code"}},
		{"industry_code division must exist", func(e *LegalEntity) { e.IndustryCode = "C99" }, []string{"legal_entity.industry_code"}},

		{"division code must be 6 or 12 digits", func(e *LegalEntity) { e.Address.DivisionCode = "3302110020" },
			[]string{"legal_entity.registered_address.division_code"}},
		{"division code must start with a province", func(e *LegalEntity) { e.Address.DivisionCode = "990211" },
			[]string{"legal_entity.registered_address.division_code"}},
		{"a county padded to 12 digits is refused", func(e *LegalEntity) { e.Address.DivisionCode = "330211000000" },
			[]string{"legal_entity.registered_address.division_code"}},

		{"capital amount has at most 2 decimals", func(e *LegalEntity) { e.Capital.Amount = "100.123" },
			[]string{"legal_entity.registered_capital.amount"}},
		{"capital amount must not be negative", func(e *LegalEntity) { e.Capital.Amount = "-5" },
			[]string{"legal_entity.registered_capital.amount"}},
		{"capital amount without decimals is accepted", func(e *LegalEntity) { e.Capital.Amount = "5000000" }, nil},
		{"capital currency must be 3 letters", func(e *LegalEntity) { e.Capital.Currency = "RMBY" },
			[]string{"legal_entity.registered_capital.currency"}},

		{"business_scope is at most 4000 characters", func(e *LegalEntity) { e.BusinessScope = strings.Repeat("营", 4001) },
			[]string{"legal_entity.business_scope"}},
		{"registration_authority must not contain control characters", func(e *LegalEntity) { e.RegistrationAuthority = "镇海\x00局" },
			[]string{"legal_entity.registration_authority"}},
		{"registered_address.text is at most 300 characters", func(e *LegalEntity) { e.Address.Text = strings.Repeat("路", 301) },
			[]string{"legal_entity.registered_address.text"}},

		{"every violation is reported at once", func(e *LegalEntity) {
			e.USCC = e.USCC[:17]
			e.Name = ""
			e.Type = "LLC"
			e.Representative.Name = ""
			e.Representative.IDNumber = withWrongCheckChar(e.Representative.IDNumber)
			e.Capital.Amount = "1.005"
			e.EstablishedOn = "2023-02-30"
			e.IndustryCode = "A26"
			e.Address.DivisionCode = "330211000000"
			e.Status = StatusRevoked
		}, []string{
			"legal_entity.display_name",
			"legal_entity.entity_type",
			"legal_entity.establishment_date",
			"legal_entity.industry_code",
			"legal_entity.legal_representative.id_number",
			"legal_entity.legal_representative.name",
			"legal_entity.registered_address.division_code",
			"legal_entity.registered_capital.amount",
			"legal_entity.status_date",
			"legal_entity.uscc",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			e := validEntity(t, tt.mutate)
			out, err := f.svc.Create(ctx, e, CreateOptions{})
			if got := fields(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("refused fields = %v, want %v\n(%s)", got, tt.want, reasons(err))
			}
			if err == nil && (out.Revision != 1 || !out.CreateTime.Equal(testNow) || !out.UpdateTime.Equal(testNow)) {
				t.Errorf("created revision %d at %v/%v, want revision 1 at %v", out.Revision, out.CreateTime, out.UpdateTime, testNow)
			}
			if n := f.count(t); (err == nil) != (n == 1) {
				t.Errorf("store holds %d entities after Create returned %v", n, err)
			}
		})
	}
}

func TestCreateStoresWhatAClerkTypedInItsCanonicalForm(t *testing.T) {
	tests := []struct {
		name  string
		typed func(e *LegalEntity)
		want  func(e *LegalEntity)
	}{
		{"USCC in lower case with blanks is upper-cased and trimmed",
			func(e *LegalEntity) { e.USCC = " " + strings.ToLower(e.USCC) + "\t" },
			func(e *LegalEntity) {}},
		{"names are trimmed",
			func(e *LegalEntity) {
				e.Name, e.FormerNames[0], e.Representative.Name = " "+e.Name+" ", e.FormerNames[0]+" ", " 王建国"
			},
			func(e *LegalEntity) {}},
		{"an amount gets two decimals",
			func(e *LegalEntity) { e.Capital.Amount = " 5000000 " },
			func(e *LegalEntity) {}},
		{"an amount without a currency is in CNY",
			func(e *LegalEntity) { e.Capital.Currency = "" },
			func(e *LegalEntity) {}},
		{"a currency is upper-cased",
			func(e *LegalEntity) { e.Capital.Currency = " usd " },
			func(e *LegalEntity) { e.Capital.Currency = "USD" }},
		{"no amount means no currency",
			func(e *LegalEntity) { e.Capital = Money{} },
			func(e *LegalEntity) { e.Capital = Money{} }},
		{"a missing status is ACTIVE",
			func(e *LegalEntity) { e.Status = "" },
			func(e *LegalEntity) {}},
		{"an industry code is upper-cased",
			func(e *LegalEntity) { e.IndustryCode = " g5942" },
			func(e *LegalEntity) {}},
		{"a lower-case x in an ID number is upper-cased",
			func(e *LegalEntity) { e.Representative.IDNumber = strings.ToLower(idEndingInX(t)) },
			func(e *LegalEntity) { e.Representative.IDNumber = idEndingInX(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			out, err := f.svc.Create(ctx, validEntity(t, tt.typed), CreateOptions{})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			want := validEntity(t, tt.want)
			want.CreateTime, want.UpdateTime, want.Revision = testNow, testNow, 1
			assertDocument(t, out, want)
			assertSame(t, f.stored(t, want.USCC), out)
		})
	}
}

// idEndingInX returns a valid ID number whose check character is X.
func idEndingInX(tb testing.TB) string {
	tb.Helper()
	for seq := 0; seq < 1000; seq++ {
		if id := mustIDNumber(tb, "1971-09-30", seq); id[17] == 'X' {
			return id
		}
	}
	tb.Fatal("no sequence number gives an X check character")
	return ""
}

func TestCreateReturnsTheFirstVersionAsStored(t *testing.T) {
	f := newFixture(t)
	out := f.create(t, validEntity(t, func(e *LegalEntity) { e.EstablishedOn = "2003-07-18" }))
	assertSame(t, f.stored(t, out.USCC), out)
	v := out.Version
	if v.Version != 1 || v.Action != history.Created || v.Sequence != 1 || !v.KnownFrom.Equal(testNow) || !v.ValidTo.IsZero() || !v.KnownTo.IsZero() {
		t.Fatalf("version = %+v; want version 1, CREATED at sequence 1, known from %v, open in both times", v, testNow)
	}
	if out.Retired || out.RedirectedFrom != "" {
		t.Fatalf("a new entity reads as retired=%v, redirected from %q", out.Retired, out.RedirectedFrom)
	}

	// Its history starts on the establishment date, not when it was recorded.
	for _, tt := range []struct {
		validAt time.Time
		found   bool
	}{
		{time.Date(2003, 7, 18, 12, 0, 0, 0, time.UTC), true},
		{time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2003, 7, 16, 12, 0, 0, 0, time.UTC), false},
	} {
		_, err := f.svc.Get(ctx, out.USCC, history.Point{ValidAt: tt.validAt})
		if tt.found != (err == nil) || (!tt.found && !errors.Is(err, errs.ErrNotFound)) {
			t.Errorf("Get valid at %v = %v; want found %v", tt.validAt, err, tt.found)
		}
	}
}

func TestWrongCheckCharacterReasonNamesTheLenientOption(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Create(ctx, validEntity(t, func(e *LegalEntity) { e.USCC = withWrongCheckChar(e.USCC) }), CreateOptions{})
	if !strings.Contains(reasons(err), "lenient_check_character") {
		t.Fatalf("reason %q does not tell the clerk about lenient_check_character", reasons(err))
	}
}

func TestLenientCheckCharacter(t *testing.T) {
	tests := []struct {
		name     string
		uscc     func(string) string
		accepted bool
		flagged  bool
	}{
		{"a code failing only its check character is accepted and flagged", withWrongCheckChar, true, true},
		{"a valid code is accepted and not flagged", func(s string) string { return s }, true, false},
		{"a code of the wrong length is still refused", func(s string) string { return s[:17] }, false, false},
		{"a code outside the alphabet is still refused", func(s string) string { return s[:16] + "O" + s[17:] }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			e := validEntity(t, func(e *LegalEntity) { e.USCC = tt.uscc(e.USCC) })
			out, err := f.svc.Create(ctx, e, CreateOptions{LenientCheckCharacter: true})
			if !tt.accepted {
				if got := fields(t, err); !slices.Equal(got, []string{"legal_entity.uscc"}) {
					t.Fatalf("refused fields = %v (%v), want only uscc", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if out.CheckCharInvalid != tt.flagged || f.stored(t, e.USCC).CheckCharInvalid != tt.flagged {
				t.Fatalf("CheckCharInvalid returned %v, stored %v; want %v", out.CheckCharInvalid, f.stored(t, e.USCC).CheckCharInvalid, tt.flagged)
			}
		})
	}
}

func TestCallerCannotFlagAValidCode(t *testing.T) {
	f := newFixture(t)
	out, err := f.svc.Create(ctx, validEntity(t, func(e *LegalEntity) { e.CheckCharInvalid = true }), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.CheckCharInvalid {
		t.Fatal("CheckCharInvalid is computed by the registry, yet the caller's true was kept")
	}
}

func TestCreateValidateOnlyStoresNothing(t *testing.T) {
	f := newFixture(t)
	e := validEntity(t, func(e *LegalEntity) { e.Capital.Amount = "300" })
	out, err := f.svc.Create(ctx, e, CreateOptions{ValidateOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.Revision != 1 || out.Capital.Amount != "300.00" || !out.CreateTime.Equal(testNow) {
		t.Errorf("validate_only returned %+v, want the entity as it would be stored", out)
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("validate_only stored %d entities", n)
	}
}

func TestCreateOfATakenUSCCIsAlreadyExists(t *testing.T) {
	f := newFixture(t)
	f.create(t, validEntity(t))
	_, err := f.svc.Create(ctx, validEntity(t, func(e *LegalEntity) { e.Name = "另一家公司" }), CreateOptions{})
	if !errors.Is(err, errs.ErrAlreadyExists) {
		t.Fatalf("Create = %v, want ErrAlreadyExists", err)
	}
}

// A Zhenhai registration date is a Beijing date. Between 00:00 and 08:00
// Beijing time the UTC date is still yesterday: an entity registered today
// must not be refused as established in the future, and from 16:00 UTC it
// is already tomorrow in Ningbo.
func TestDatesAreJudgedByTheBeijingCalendar(t *testing.T) {
	early := time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC) // 2025-06-15 04:00 in Beijing
	late := time.Date(2025, 6, 15, 17, 0, 0, 0, time.UTC)  // 2025-06-16 01:00 in Beijing
	established := func(d string) func(*LegalEntity) { return func(e *LegalEntity) { e.EstablishedOn = d } }
	tests := []struct {
		name   string
		now    time.Time
		mutate func(*LegalEntity)
		want   []string // the fields refused
	}{
		{"established today in Beijing while still yesterday in UTC is accepted", early, established("2025-06-15"), nil},
		{"established tomorrow in Beijing is in the future", early, established("2025-06-16"), []string{"legal_entity.establishment_date"}},
		{"a status dated today in Beijing is accepted", early, func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2025-06-15"
		}, nil},
		{"a status dated tomorrow in Beijing is in the future", early, func(e *LegalEntity) {
			e.Status, e.StatusDate = StatusSuspended, "2025-06-16"
		}, []string{"legal_entity.status_date"}},
		{"late in the UTC day it is already the next day in Beijing", late, established("2025-06-16"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.now = tt.now
			_, err := f.svc.Create(ctx, validEntity(t, tt.mutate), CreateOptions{ValidateOnly: true})
			if got := fields(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("refused fields = %v, want %v\n(%s)", got, tt.want, reasons(err))
			}
		})
	}

	t.Run("an entity established today in Beijing is stored", func(t *testing.T) {
		f := newFixture(t)
		f.now = early
		out, err := f.svc.Create(ctx, validEntity(t, established("2025-06-15")), CreateOptions{})
		if err != nil {
			t.Fatalf("Create of an entity established today (Beijing) = %v", err)
		}
		if _, err := f.svc.Get(ctx, out.USCC, history.Point{}); err != nil {
			t.Fatalf("Get after Create: %v", err)
		}
	})
}

func TestUpdateMask(t *testing.T) {
	tests := []struct {
		name   string
		paths  []string
		reason string // a part of the reason the clerk reads
	}{
		{"the mask is required", nil, "is required"},
		{"an empty mask is refused", []string{}, "is required"},
		{"an unknown path is named, with the updatable fields", []string{"nickname"}, `unknown field "nickname"; updatable fields are business_scope, display_name`},
		{"uscc is immutable", []string{"uscc"}, `"uscc" cannot be changed`},
		{"name is immutable", []string{"name"}, `"name" cannot be changed`},
		{"create_time is immutable", []string{"create_time"}, `"create_time" cannot be changed`},
		{"etag is immutable", []string{"etag"}, `"etag" cannot be changed`},
		{"check_character_invalid is immutable", []string{"check_character_invalid"}, `"check_character_invalid" cannot be changed`},
		{"an immutable path is refused beside valid ones", []string{"display_name", "uscc"}, `"uscc" cannot be changed`},
		{"a sub-path of a leaf is unknown", []string{"display_name.text"}, `unknown field "display_name.text"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			orig := f.create(t, validEntity(t))
			in := validEntity(t, func(e *LegalEntity) { e.Name, e.USCC = "新名称有限公司", mustUSCC(t, "91", "MA2000001") })
			_, err := f.svc.Update(ctx, orig.USCC, in, tt.paths, UpdateOptions{})
			if got := fields(t, err); !slices.Equal(got, []string{"update_mask"}) {
				t.Fatalf("refused fields = %v (%v), want update_mask", got, err)
			}
			if !strings.Contains(reasons(err), tt.reason) {
				t.Errorf("reason %q does not contain %q", reasons(err), tt.reason)
			}
			assertSame(t, f.stored(t, orig.USCC), orig)
		})
	}
}

func TestUpdateChangesOnlyTheMaskedFields(t *testing.T) {
	later := testNow.Add(3 * time.Hour)
	tests := []struct {
		name  string
		paths []string
		in    func(in *LegalEntity) // what the request carries; the rest is zero
		want  func(e *LegalEntity)  // the change expected on the stored entity
	}{
		{"display_name changes only the name",
			[]string{"display_name"},
			func(in *LegalEntity) { in.Name, in.BusinessScope = "宁波镇海港城物流有限公司", "ignored" },
			func(e *LegalEntity) { e.Name = "宁波镇海港城物流有限公司" }},
		{"legal_representative.name leaves id_number alone",
			[]string{"legal_representative.name"},
			func(in *LegalEntity) { in.Representative.Name = "李红" },
			func(e *LegalEntity) { e.Representative.Name = "李红" }},
		{"legal_representative.id_number leaves name alone",
			[]string{"legal_representative.id_number"},
			func(in *LegalEntity) {
				in.Representative = Representative{Name: "ignored", IDNumber: mustIDNumber(t, "1980-01-02", 12)}
			},
			func(e *LegalEntity) { e.Representative.IDNumber = mustIDNumber(t, "1980-01-02", 12) }},
		{"legal_representative replaces both parts, clearing an empty id_number",
			[]string{"legal_representative"},
			func(in *LegalEntity) { in.Representative.Name = "李红" },
			func(e *LegalEntity) { e.Representative = Representative{Name: "李红"} }},
		{"registered_address.division_code leaves the text alone",
			[]string{"registered_address.division_code"},
			func(in *LegalEntity) { in.Address = Address{Text: "ignored", DivisionCode: "330211100000"} },
			func(e *LegalEntity) { e.Address.DivisionCode = "330211100000" }},
		{"registered_capital.amount is normalized and keeps the currency",
			[]string{"registered_capital.amount"},
			func(in *LegalEntity) { in.Capital.Amount = "800" },
			func(e *LegalEntity) { e.Capital.Amount = "800.00" }},
		{"former_names replaces the list",
			[]string{"former_names"},
			func(in *LegalEntity) { in.FormerNames = []string{"甲", "乙"} },
			func(e *LegalEntity) { e.FormerNames = []string{"甲", "乙"} }},
		{"business_scope given empty is cleared",
			[]string{"business_scope"},
			func(in *LegalEntity) {},
			func(e *LegalEntity) { e.BusinessScope = "" }},
		{"status and status_date change together",
			[]string{"status", "status_date"},
			func(in *LegalEntity) { in.Status, in.StatusDate = StatusSuspended, "2025-06-01" },
			func(e *LegalEntity) { e.Status, e.StatusDate = StatusSuspended, "2025-06-01" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			orig := f.create(t, validEntity(t))
			f.now = later
			in := &LegalEntity{}
			tt.in(in)
			got, err := f.svc.Update(ctx, orig.USCC, in, tt.paths, UpdateOptions{})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			want := copyEntity(orig)
			tt.want(want)
			want.UpdateTime, want.Revision = later, 2
			assertDocument(t, got, want)
			assertSame(t, f.stored(t, orig.USCC), got)
		})
	}
}

func TestUpdateStarReplacesEveryWritableField(t *testing.T) {
	f := newFixture(t)
	orig := f.create(t, validEntity(t))
	f.now = testNow.Add(time.Hour)
	in := &LegalEntity{
		// Identity and computed fields in the request are ignored.
		USCC:        mustUSCC(t, "91", "MA2000001"),
		Name:        "宁波镇海港城物流有限公司",
		FormerNames: []string{"宁波镇海石化物流有限公司", "镇海石化储运公司"},
		Type:        TypeOther,
		Representative: Representative{
			Name:     "李红",
			IDNumber: mustIDNumber(t, "1980-01-02", 12),
		},
		Capital:               Money{Amount: "12345.60", Currency: "USD"},
		EstablishedOn:         "2004-01-05",
		RegistrationAuthority: "宁波市市场监督管理局",
		IndustryCode:          "C2614",
		Address:               Address{Text: "浙江省宁波市镇海区澥浦镇岚山路1号", DivisionCode: "330211100000"},
		Status:                StatusSuspended,
		StatusDate:            "2025-06-01",
		CheckCharInvalid:      true,
		CreateTime:            time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdateTime:            time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Revision:              42,
		// BusinessScope is left empty: "*" replaces, so it is cleared.
	}
	got, err := f.svc.Update(ctx, orig.USCC, in, []string{"*"}, UpdateOptions{})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := copyEntity(in)
	want.USCC, want.CheckCharInvalid, want.CreateTime = orig.USCC, false, orig.CreateTime
	want.UpdateTime, want.Revision = f.now, 2
	assertDocument(t, got, want)
	assertSame(t, f.stored(t, orig.USCC), got)
}

func TestUpdateKeepsALenientCodeAcceptable(t *testing.T) {
	f := newFixture(t)
	pilot := validEntity(t, func(e *LegalEntity) { e.USCC = withWrongCheckChar(e.USCC) })
	if _, err := f.svc.Create(ctx, pilot, CreateOptions{LenientCheckCharacter: true}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Update(ctx, pilot.USCC, &LegalEntity{BusinessScope: "仓储"}, []string{"business_scope"}, UpdateOptions{})
	if err != nil {
		t.Fatalf("Update of a pilot code: %v", err)
	}
	if !got.CheckCharInvalid {
		t.Fatal("the pilot code lost its CheckCharInvalid flag")
	}
}

func TestUpdateThatBreaksARuleStoresNothing(t *testing.T) {
	f := newFixture(t)
	orig := f.create(t, validEntity(t))
	_, err := f.svc.Update(ctx, orig.USCC, &LegalEntity{Status: StatusRevoked}, []string{"status"}, UpdateOptions{})
	if got := fields(t, err); !slices.Equal(got, []string{"legal_entity.status_date"}) {
		t.Fatalf("refused fields = %v (%v), want status_date", got, err)
	}
	assertSame(t, f.stored(t, orig.USCC), orig)
}

func TestUpdateEtag(t *testing.T) {
	tests := []struct {
		name     string
		revision int64
		conflict bool
	}{
		{"no etag updates unconditionally", 0, false},
		{"the current etag updates", 1, false},
		{"a stale etag is a conflict", 5, true},
	}
	for _, tt := range tests {
		for _, validateOnly := range []bool{false, true} {
			name := tt.name
			if validateOnly {
				name += " (validate_only)"
			}
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				orig := f.create(t, validEntity(t))
				got, err := f.svc.Update(ctx, orig.USCC, &LegalEntity{Name: "新名称有限公司"}, []string{"display_name"},
					UpdateOptions{Revision: tt.revision, ValidateOnly: validateOnly})
				if tt.conflict {
					if !errors.Is(err, errs.ErrConflict) {
						t.Fatalf("Update = %v, want ErrConflict", err)
					}
					assertSame(t, f.stored(t, orig.USCC), orig)
					return
				}
				if err != nil || got.Revision != 2 {
					t.Fatalf("Update = %+v, %v; want revision 2", got, err)
				}
			})
		}
	}
}

func TestUpdateValidateOnlyStoresNothing(t *testing.T) {
	f := newFixture(t)
	orig := f.create(t, validEntity(t))
	f.now = testNow.Add(time.Minute)
	got, err := f.svc.Update(ctx, orig.USCC, &LegalEntity{Name: "新名称有限公司"}, []string{"display_name"}, UpdateOptions{ValidateOnly: true})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := copyEntity(orig)
	want.Name, want.UpdateTime, want.Revision = "新名称有限公司", f.now, 2
	assertDocument(t, got, want)
	assertSame(t, f.stored(t, orig.USCC), orig)

	_, err = f.svc.Update(ctx, orig.USCC, &LegalEntity{}, []string{"display_name"}, UpdateOptions{ValidateOnly: true})
	if got := fields(t, err); !slices.Equal(got, []string{"legal_entity.display_name"}) {
		t.Fatalf("validate_only of an invalid change: refused fields = %v (%v), want display_name", got, err)
	}
}

func TestUpdateOfAnUnknownEntityIsNotFound(t *testing.T) {
	for _, validateOnly := range []bool{false, true} {
		f := newFixture(t)
		_, err := f.svc.Update(ctx, validEntity(t).USCC, &LegalEntity{Name: "x"}, []string{"display_name"}, UpdateOptions{ValidateOnly: validateOnly})
		if !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("Update (validate_only %v) = %v, want ErrNotFound", validateOnly, err)
		}
	}
}

func TestGet(t *testing.T) {
	f := newFixture(t)
	stored := f.create(t, validEntity(t))
	pilot := validEntity(t, func(e *LegalEntity) { e.USCC = withWrongCheckChar(mustUSCC(t, "91", "MA2P1L0T1")) })
	if _, err := f.svc.Create(ctx, pilot, CreateOptions{LenientCheckCharacter: true}); err != nil {
		t.Fatal(err)
	}
	unknown := mustUSCC(t, "91", "MA2000002")

	tests := []struct {
		name    string
		uscc    string
		want    *LegalEntity
		wantErr error
	}{
		{"a stored entity is returned in full, ID number included", stored.USCC, stored, nil},
		{"a stored pilot code failing only its check character is found", pilot.USCC, nil, nil},
		{"an unknown valid code is not found", unknown, nil, errs.ErrNotFound},
		{"an unknown code failing only its check character is an invalid name", withWrongCheckChar(unknown), nil, errs.ErrInvalid},
		{"a code of the wrong length is an invalid name", stored.USCC[:16], nil, errs.ErrInvalid},
		{"a code with lower-case letters is an invalid name", strings.ToLower(stored.USCC), nil, errs.ErrInvalid},
		{"an empty name is invalid", "", nil, errs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.Get(ctx, tt.uscc, history.Point{})
			switch {
			case tt.wantErr == errs.ErrInvalid:
				if fs := fields(t, err); !slices.Equal(fs, []string{"name"}) {
					t.Fatalf("Get(%q) refused fields %v, want name", tt.uscc, fs)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("Get(%q) = %v, want %v", tt.uscc, err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("Get(%q): %v", tt.uscc, err)
			case tt.want != nil:
				assertSame(t, got, tt.want)
			case got.USCC != tt.uscc:
				t.Fatalf("Get(%q) returned %s", tt.uscc, got.USCC)
			}
		})
	}
}

func TestListAndSearchMaskTheIDNumberButGetDoesNot(t *testing.T) {
	f := newFixture(t)
	e := f.create(t, validEntity(t))
	noID := f.create(t, validEntity(t, func(e *LegalEntity) {
		e.USCC, e.Name, e.Representative.IDNumber = mustUSCC(t, "91", "MA2000003"), "宁波镇海石化贸易有限公司", ""
	}))
	full := e.Representative.IDNumber
	masked := full[:6] + "********" + full[14:]

	l, err := f.svc.List(ctx, ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.svc.Search(ctx, SearchQuery{Query: "石化"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entities) != 2 || len(s.Hits) != 2 {
		t.Fatalf("List returned %d, Search %d; want both entities", len(l.Entities), len(s.Hits))
	}
	got := map[string][]string{}
	for _, x := range l.Entities {
		got[x.USCC] = append(got[x.USCC], x.Representative.IDNumber)
	}
	for _, h := range s.Hits {
		got[h.Entity.USCC] = append(got[h.Entity.USCC], h.Entity.Representative.IDNumber)
	}
	if w := []string{masked, masked}; !slices.Equal(got[e.USCC], w) {
		t.Errorf("List, Search id_number = %q, want %q", got[e.USCC], w)
	}
	if w := []string{"", ""}; !slices.Equal(got[noID.USCC], w) {
		t.Errorf("an absent id_number became %q", got[noID.USCC])
	}
	g, err := f.svc.Get(ctx, e.USCC, history.Point{})
	if err != nil || g.Representative.IDNumber != full {
		t.Fatalf("Get id_number = %q, %v; want the full number", g.Representative.IDNumber, err)
	}
}

func TestPageSizes(t *testing.T) {
	// More entities than the largest page, all found by one search, so that
	// the number returned is the page size the Service asked the store for.
	f := newFixture(t)
	const n = MaxListPageSize + 1
	for i := range n {
		f.create(t, validEntity(t, func(e *LegalEntity) { e.USCC = mustUSCC(t, "91", fmt.Sprintf("MA%07d", i)) }))
	}
	tests := []struct {
		name                 string
		requested            int
		wantList, wantSearch int
	}{
		{"zero asks for the default", 0, DefaultListPageSize, DefaultSearchPageSize},
		{"a size within the maximum is kept", 7, 7, 7},
		{"the maximum is kept", MaxSearchPageSize, MaxSearchPageSize, MaxSearchPageSize},
		{"a size above the maximum is capped", 5000, MaxListPageSize, MaxSearchPageSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := f.svc.List(ctx, ListQuery{PageSize: tt.requested})
			if err != nil {
				t.Fatal(err)
			}
			s, err := f.svc.Search(ctx, SearchQuery{Query: "石化", PageSize: tt.requested})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Entities) != tt.wantList || len(s.Hits) != tt.wantSearch {
				t.Fatalf("pages of %d (list), %d (search); want %d, %d", len(l.Entities), len(s.Hits), tt.wantList, tt.wantSearch)
			}
			if l.NextPageToken == "" || s.NextPageToken == "" {
				t.Fatalf("a page short of all %d entities carries no next page token", n)
			}
		})
	}
	t.Run("a negative size is refused", func(t *testing.T) {
		_, lerr := f.svc.List(ctx, ListQuery{PageSize: -1})
		_, serr := f.svc.Search(ctx, SearchQuery{Query: "石化", PageSize: -1})
		if !slices.Equal(fields(t, lerr), []string{"page_size"}) || !slices.Equal(fields(t, serr), []string{"page_size"}) {
			t.Fatalf("List = %v, Search = %v; want page_size refused", lerr, serr)
		}
	})
}

func TestSearchQuery(t *testing.T) {
	t.Run("an empty or blank query is refused", func(t *testing.T) {
		for _, q := range []string{"", " \t "} {
			_, err := newFixture(t).svc.Search(ctx, SearchQuery{Query: q})
			if !slices.Equal(fields(t, err), []string{"query"}) {
				t.Errorf("Search(%q) = %v, want query refused", q, err)
			}
		}
	})
	t.Run("blanks around the query are trimmed: its page tokens serve the trimmed query", func(t *testing.T) {
		f := newFixture(t)
		for i := range 2 {
			f.create(t, validEntity(t, func(e *LegalEntity) { e.USCC = mustUSCC(t, "91", fmt.Sprintf("MA%07d", i)) }))
		}
		first, err := f.svc.Search(ctx, SearchQuery{Query: "  石化 ", PageSize: 1})
		if err != nil || len(first.Hits) != 1 || first.NextPageToken == "" {
			t.Fatalf("first page = %+v, %v; want one hit and a next page token", first, err)
		}
		second, err := f.svc.Search(ctx, SearchQuery{Query: "石化", PageSize: 1, PageToken: first.NextPageToken})
		if err != nil {
			t.Fatalf("the trimmed query refused the token of the padded one: %v", err)
		}
		if len(second.Hits) != 1 || second.Hits[0].Entity.USCC == first.Hits[0].Entity.USCC {
			t.Fatalf("second page = %+v; want the other entity", second.Hits)
		}
	})
}
