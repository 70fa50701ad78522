package population_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	. "github.com/zhbase/zhbase/services/population"
	"github.com/zhbase/zhbase/services/population/internal/fixture"
	"github.com/zhbase/zhbase/services/population/sqlstore"
)

// These tests cover the Service's own logic — validation, references,
// update masks, etags, 15-digit numbers, heads, merges, masking — over the
// real SQL store, with the clock fixed. Most run on SQLite; history_test.go
// runs the Service on both backends. The spatial registry is a
// fixture.Addresses set the test controls (the gRPC lookup production wires
// in is exercised by the in-process cluster test).

var ctx = context.Background()

// testNow is the fixed clock: noon in Beijing on 15 June 2025.
var testNow = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

// env is a Service over the SQL store with one clock the test can move,
// the service's and the store's record time alike.
type env struct {
	svc       *Service
	store     *sqlstore.Store
	addresses *fixture.Addresses
	now       time.Time
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvOn(tb, storetest.OpenSQLite(tb))
}

// newEnvOn opens the env on db, with the clock at testNow and the spatial
// registry holding fixture.Address(0) to (9).
func newEnvOn(tb testing.TB, db *store.DB) *env {
	tb.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	e := &env{store: st, addresses: fixture.NewAddresses(fixture.AllAddresses(10)...), now: testNow}
	e.svc = NewService(st, e.addresses.Checker())
	clock := func() time.Time { return e.now }
	SetClock(e.svc, clock)
	st.SetClock(clock)
	return e
}

// tick moves the clock on.
func (e *env) tick(d time.Duration) { e.now = e.now.Add(d) }

// household registers a family household at fixture.Address(0).
func (e *env) household(tb testing.TB, id string) *Household {
	tb.Helper()
	h, err := e.svc.CreateHousehold(ctx, fixture.Household(id, fixture.Address(0)), CreateHouseholdOptions{})
	if err != nil {
		tb.Fatalf("create household %s: %v", id, err)
	}
	return h
}

// person registers fixture person i in the household.
func (e *env) person(tb testing.TB, i int, household string, r Relation, mutate ...func(*Person)) *Person {
	tb.Helper()
	p := fixture.Person(tb, i, HouseholdName(household), r)
	for _, m := range mutate {
		m(p)
	}
	out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{})
	if err != nil {
		tb.Fatalf("create person %d: %v", i, err)
	}
	return out
}

// stored reads the person as the store holds them now, bypassing the
// Service.
func (e *env) stored(tb testing.TB, id string) *Person {
	tb.Helper()
	p, err := e.store.GetPerson(ctx, id, history.Point{})
	if err != nil {
		tb.Fatalf("stored %s: %v", id, err)
	}
	return p
}

// fields returns the sorted, distinct fields an InvalidError names; nil for
// no error, and a failure for any other error.
func fields(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		tb.Fatalf("error %v is not an InvalidError", err)
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reason returns the reason given for field, "" when none.
func reason(err error, field string) string {
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		for _, v := range inv.Violations {
			if v.Field == field {
				return v.Reason
			}
		}
	}
	return ""
}

func id(tb testing.TB, birth string, seq int) string { return fixture.IDNumber(tb, birth, seq) }

func TestPersonRules(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	e.household(t, "h2")
	e.person(t, 1, "h2", RelationHead)
	retired := e.household(t, "gone")
	if _, err := e.svc.DeleteHousehold(ctx, retired.ID, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	man := id(t, "1990-01-01", 11) // odd sequence: male

	tests := []struct {
		name   string
		mutate func(*Person)
		want   []string // the fields refused, sorted
		reason string   // the reason given for want[0], when set
	}{
		{"a valid person passes", func(p *Person) {}, nil, ""},
		{"the ID number is required", func(p *Person) { p.IDNumber, p.Sex, p.BirthDate = "", SexMale, "1990-01-01" }, []string{"person.id_number"}, "is required"},
		{"a wrong ID check digit is refused", func(p *Person) { p.IDNumber = fixture.WrongCheck(man) },
			[]string{"person.id_number"}, ""},
		{"an ID number of 17 characters is refused", func(p *Person) { p.IDNumber = man[:17] }, []string{"person.id_number"}, "must be 18 characters, got 17"},
		{"an ID number with a letter inside is refused", func(p *Person) { p.IDNumber = man[:5] + "A" + man[6:] }, []string{"person.id_number"}, ""},
		{"a birth date that disagrees with the ID number is refused, naming both dates", func(p *Person) {
			p.IDNumber, p.Sex, p.BirthDate = man, SexMale, "1990-01-02"
		}, []string{"person.birth_date"}, "1990-01-02 disagrees with the ID number, which encodes 1990-01-01"},
		{"a sex that disagrees with the parity of the sequence digit is refused", func(p *Person) {
			p.IDNumber, p.Sex, p.BirthDate = man, SexFemale, "1990-01-01"
		}, []string{"person.sex"}, "FEMALE disagrees with the ID number, whose sequence number is odd, which is male"},
		{"an even sequence digit is a woman's", func(p *Person) {
			p.IDNumber, p.Sex, p.BirthDate = id(t, "1990-01-01", 12), SexMale, "1990-01-01"
		}, []string{"person.sex"}, "MALE disagrees with the ID number, whose sequence number is even, which is female"},
		{"a birth date that is no calendar date is refused", func(p *Person) { p.BirthDate = "1990-02-30" }, []string{"person.birth_date"}, ""},
		{"a household that does not exist is refused", func(p *Person) { p.Household = "households/nope" },
			[]string{"person.household"}, "households/nope does not exist"},
		{"a household reference must be a household's name", func(p *Person) { p.Household = "h1" },
			[]string{"person.household"}, `must look like households/{id}, got "h1"`},
		{"an active person cannot join a retired household", func(p *Person) { p.Household = "households/gone" },
			[]string{"person.household"}, "households/gone is retired"},
		{"a household is required", func(p *Person) { p.Household = "" }, []string{"person.household"}, ""},
		{"a registered address that does not exist is refused", func(p *Person) { p.RegisteredAddress = "addresses/404" },
			[]string{"person.registered_address"}, "addresses/404 does not exist"},
		{"a residence address that does not exist is refused", func(p *Person) { p.ResidenceAddress = "addresses/404" },
			[]string{"person.residence_address"}, "addresses/404 does not exist"},
		{"an address reference must be an address's name", func(p *Person) { p.ResidenceAddress = "buildings/1" },
			[]string{"person.residence_address"}, ""},
		{"the residence address is optional", func(p *Person) { p.ResidenceAddress = "" }, nil, ""},
		{"a second active head of a household is refused", func(p *Person) { p.Household = "households/h2" },
			[]string{"person.relation"}, ""},
		{"a relation is required", func(p *Person) { p.Relation = "" }, []string{"person.relation"}, ""},
		{"an unknown relation is refused", func(p *Person) { p.Relation = "COUSIN" }, []string{"person.relation"}, ""},
		{"an ethnicity is required", func(p *Person) { p.Ethnicity = "" }, []string{"person.ethnicity"}, ""},
		{"an ethnicity outside GB/T 3304 is refused", func(p *Person) { p.Ethnicity = "57" }, []string{"person.ethnicity"}, ""},
		{"ethnicity 98 (naturalised citizens) is accepted", func(p *Person) { p.Ethnicity = "98" }, nil, ""},
		{"a name is required", func(p *Person) { p.Name = " " }, []string{"person.display_name"}, "is required"},
		{"a name over 100 characters is refused", func(p *Person) { p.Name = strings.Repeat("张", 101) }, []string{"person.display_name"}, ""},
		{"a name with a control character is refused", func(p *Person) { p.Name = "张\x07三" }, []string{"person.display_name"}, ""},
		{"an empty former name is refused", func(p *Person) { p.FormerNames = []string{"张三", ""} }, []string{"person.former_names[1]"}, ""},
		{"a mobile number beginning 12 is refused", func(p *Person) { p.Phone = "12812345678" }, []string{"person.phone"}, ""},
		{"a landline with its area code is accepted", func(p *Person) { p.Phone = "0574-86123456" }, nil, ""},
		{"a landline without its area code is refused", func(p *Person) { p.Phone = "86123456" }, []string{"person.phone"}, ""},
		{"an unknown education level is refused", func(p *Person) { p.Education = "PHD" }, []string{"person.education"}, ""},
		{"an unknown marital status is refused", func(p *Person) { p.MaritalStatus = "ENGAGED" }, []string{"person.marital_status"}, ""},
		{"an unknown status is refused", func(p *Person) { p.Status = "MISSING" }, []string{"person.status"}, ""},
		{"a deceased person needs the date of death", func(p *Person) { p.Status = StatusDeceased }, []string{"person.status_date"},
			"is required when the status is DECEASED"},
		{"a person who moved out needs the date", func(p *Person) { p.Status = StatusMovedOut }, []string{"person.status_date"}, ""},
		{"a status dated before the birth is refused", func(p *Person) {
			p.IDNumber, p.Sex, p.BirthDate = man, SexMale, "1990-01-01"
			p.Status, p.StatusDate = StatusMovedOut, "1989-12-31"
		}, []string{"person.status_date"}, ""},
		{"a status dated tomorrow in Beijing is refused", func(p *Person) { p.Status, p.StatusDate = StatusMovedOut, "2025-06-16" },
			[]string{"person.status_date"}, ""},
		{"a status dated today in Beijing is accepted", func(p *Person) { p.Status, p.StatusDate = StatusMovedOut, "2025-06-15" }, nil, ""},
		{"every broken rule is reported at once", func(p *Person) {
			p.IDNumber, p.Sex, p.BirthDate = man, SexFemale, "1990-01-02"
			p.Household, p.RegisteredAddress, p.Phone, p.Ethnicity = "households/nope", "addresses/404", "123", "99"
		}, []string{"person.birth_date", "person.ethnicity", "person.household", "person.phone", "person.registered_address", "person.sex"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture.Person(t, 3, "households/h1", RelationHead)
			tt.mutate(p)
			_, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{ValidateOnly: true})
			got := fields(t, err)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("refused fields = %v, want %v (%v)", got, tt.want, err)
			}
			if tt.reason != "" && !strings.Contains(reason(err, tt.want[0]), tt.reason) {
				t.Fatalf("reason for %s = %q, want it to say %q", tt.want[0], reason(err, tt.want[0]), tt.reason)
			}
		})
	}
}

func TestHouseholdRules(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		id     string
		mutate func(*Household)
		want   []string
	}{
		{"a valid household passes", "h1", func(h *Household) {}, nil},
		{"the id defaults to the household number in lower case", "", func(h *Household) { h.Number = "AB123" }, nil},
		{"an id with upper-case letters is refused", "H1", func(h *Household) {}, []string{"household_id"}},
		{"an id ending in a hyphen is refused", "h1-", func(h *Household) {}, []string{"household_id"}},
		{"an id of 64 characters is refused", strings.Repeat("a", 64), func(h *Household) {}, []string{"household_id"}},
		{"a household number is required", "h1", func(h *Household) { h.Number = "" }, []string{"household.household_number"}},
		{"a household number of letters and digits only", "h1", func(h *Household) { h.Number = "12-34" }, []string{"household.household_number"}},
		{"a household number of 21 characters is refused", "h1", func(h *Household) { h.Number = strings.Repeat("1", 21) }, []string{"household.household_number"}},
		{"a type is required", "h1", func(h *Household) { h.Type = "" }, []string{"household.household_type"}},
		{"an unknown type is refused", "h1", func(h *Household) { h.Type = "CLAN" }, []string{"household.household_type"}},
		{"a registered address is required", "h1", func(h *Household) { h.RegisteredAddress = "" }, []string{"household.registered_address"}},
		{"a registered address that does not exist is refused", "h1", func(h *Household) { h.RegisteredAddress = "addresses/404" },
			[]string{"household.registered_address"}},
		{"every broken rule is reported at once", "H1", func(h *Household) { h.Number, h.Type, h.RegisteredAddress = "", "", "x" },
			[]string{"household.household_number", "household.household_type", "household.registered_address", "household_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fixture.Household("0574001", fixture.Address(1))
			h.ID = tt.id
			tt.mutate(h)
			out, err := e.svc.CreateHousehold(ctx, h, CreateHouseholdOptions{ValidateOnly: true})
			if got := fields(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("refused fields = %v, want %v (%v)", got, tt.want, err)
			}
			if tt.id == "" && err == nil && out.ID != strings.ToLower(h.Number) {
				t.Fatalf("id = %q, want the number in lower case", out.ID)
			}
		})
	}
}

func TestReferencesAreCheckedWhenWritten(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead)

	t.Run("an unreachable spatial registry fails the write as unavailable and stores nothing", func(t *testing.T) {
		e.addresses.SetDown(true)
		defer e.addresses.SetDown(false)
		_, err := e.svc.CreatePerson(ctx, fixture.Person(t, 5, "households/h1", RelationSon), CreatePersonOptions{})
		if !errors.Is(err, errs.ErrUnavailable) {
			t.Fatalf("Create = %v, want ErrUnavailable", err)
		}
		if _, err := e.store.GetPerson(ctx, fixture.Person(t, 5, "", "").IDNumber, history.Point{}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("the person was stored: %v", err)
		}
	})
	t.Run("an update that does not touch the addresses does not ask the spatial registry", func(t *testing.T) {
		e.addresses.SetDown(true)
		defer e.addresses.SetDown(false)
		asked := e.addresses.Asked()
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900000000"}, []string{"phone"}, UpdateOptions{}); err != nil {
			t.Fatalf("Update = %v", err)
		}
		if e.addresses.Asked() != asked {
			t.Fatalf("the spatial registry was asked %d times", e.addresses.Asked()-asked)
		}
	})
	t.Run("an address retired after it was written does not block other changes", func(t *testing.T) {
		e.addresses.Remove(p.ResidenceAddress)
		defer e.addresses.Add(p.ResidenceAddress)
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Name: "俞建国", ResidenceAddress: p.ResidenceAddress},
			[]string{"display_name", "residence_address"}, UpdateOptions{}); err != nil {
			t.Fatalf("Update = %v", err)
		}
	})
	t.Run("a new address is checked", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{ResidenceAddress: "addresses/404"}, []string{"residence_address"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"person.residence_address"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	t.Run("moving into a household that does not exist is refused", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Household: "households/nope"}, []string{"household"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"person.household"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
}

func TestCreateStoresWhatAClerkTypedInItsCanonicalForm(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	x := idEndingInX(t)
	full := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r + 0xFEE0
		}
		return r
	}, strings.ToLower(x))
	in := &Person{
		IDNumber: " " + full + " ", Name: " 王 建国 ", Ethnicity: "01", Household: "households/h1", Relation: RelationHead,
		Phone: "+86 138 1234 5678", ResidenceAddress: fixture.Address(3),
	}
	out, err := e.svc.CreatePerson(ctx, in, CreatePersonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := mustParse(t, x)
	want := map[string][2]string{
		"id_number":                            {out.IDNumber, x},
		"display_name":                         {out.Name, "王 建国"},
		"phone":                                {out.Phone, "13812345678"},
		"sex (from the ID)":                    {string(out.Sex), info.sex},
		"birth (from the ID)":                  {out.BirthDate, info.birth},
		"registered_address (the household's)": {out.RegisteredAddress, fixture.Address(0)},
		"status":                               {string(out.Status), "ACTIVE"},
	}
	for what, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", what, v[0], v[1])
		}
	}
	if len(out.UID) != 36 || out.UID[14] != '4' || out.Revision != 1 || !out.CreateTime.Equal(testNow) {
		t.Errorf("uid %q, revision %d, created %v", out.UID, out.Revision, out.CreateTime)
	}
	if out.Version.Version != 1 || out.Version.Action != history.Created || !out.Version.ValidFrom.Equal(testNow) {
		t.Errorf("version = %+v; history starts at the registration, now", out.Version)
	}
}

type idInfo struct{ sex, birth string }

func mustParse(tb testing.TB, id string) idInfo {
	tb.Helper()
	sex := "FEMALE"
	if (id[16]-'0')%2 == 1 {
		sex = "MALE"
	}
	return idInfo{sex, id[6:10] + "-" + id[10:12] + "-" + id[12:14]}
}

// idEndingInX finds a valid number whose check character is X.
func idEndingInX(tb testing.TB) string {
	tb.Helper()
	for seq := 1; seq < 1000; seq += 2 {
		if n := id(tb, "1985-07-21", seq); n[17] == 'X' {
			return n
		}
	}
	tb.Fatal("no number ending in X")
	return ""
}

func TestCreateEffectiveTime(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := fixture.Person(t, 3, "households/h1", RelationHead)
	t.Run("a registration effective before the birth is refused", func(t *testing.T) {
		_, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{EffectiveFrom: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)})
		if got := fields(t, err); !slices.Equal(got, []string{"effective_time"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	t.Run("a registration effective in the future is refused", func(t *testing.T) {
		_, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{EffectiveFrom: testNow.Add(time.Hour)})
		if got := fields(t, err); !slices.Equal(got, []string{"effective_time"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	t.Run("a registration of a past date starts the history then", func(t *testing.T) {
		from := time.Date(2010, 3, 1, 0, 0, 0, 0, time.UTC)
		out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{EffectiveFrom: from})
		if err != nil {
			t.Fatal(err)
		}
		if !out.Version.ValidFrom.Equal(from) {
			t.Fatalf("valid from %v, want %v", out.Version.ValidFrom, from)
		}
		if _, err := e.svc.GetPerson(ctx, out.IDNumber, history.Point{ValidAt: from.AddDate(0, 0, -1)}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("Get before the registration = %v, want not found", err)
		}
	})
}

func TestCreateValidateOnlyStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := fixture.Person(t, 3, "households/h1", RelationHead)
	out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{ValidateOnly: true})
	if err != nil || out.IDNumber != p.IDNumber {
		t.Fatalf("validate_only = %v, %v", out, err)
	}
	if _, err := e.store.GetPerson(ctx, p.IDNumber, history.Point{}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("after validate_only the person exists: %v", err)
	}
}

func TestCreateOfATakenNumberIsAlreadyExists(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	first := e.person(t, 3, "h1", RelationHead)
	again := fixture.Person(t, 3, "households/h1", RelationSon)
	again.Name = "另一个人"
	_, err := e.svc.CreatePerson(ctx, again, CreatePersonOptions{})
	if !errors.Is(err, errs.ErrAlreadyExists) {
		t.Fatalf("Create = %v, want ErrAlreadyExists", err)
	}
	if got := e.stored(t, first.IDNumber); got.Name != first.Name {
		t.Fatalf("the first record changed: %s", got.Name)
	}
}

func TestFifteenDigitNumbers(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	full := id(t, "1968-09-30", 37)
	old := fixture.Legacy(t, full)

	t.Run("creating with a 15-digit number stores the 18-digit one", func(t *testing.T) {
		p := fixture.Person(t, 3, "households/h1", RelationHead)
		p.IDNumber, p.Sex, p.BirthDate = old, "", ""
		out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out.IDNumber != full || out.BirthDate != "1968-09-30" || out.Sex != SexMale {
			t.Fatalf("stored %s born %s %s, want %s born 1968-09-30 MALE", out.IDNumber, out.BirthDate, out.Sex, full)
		}
	})
	t.Run("reading the 15-digit name resolves to the upgraded record", func(t *testing.T) {
		got, err := e.svc.GetPerson(ctx, old, history.Point{})
		if err != nil {
			t.Fatal(err)
		}
		if got.IDNumber != full || got.RedirectedFrom != old {
			t.Fatalf("Get(%s) = %s redirected from %q", old, got.IDNumber, got.RedirectedFrom)
		}
		vs, _, err := e.svc.PersonVersions(ctx, old, 0, "")
		if err != nil || len(vs) != 1 || vs[0].IDNumber != full {
			t.Fatalf("versions by the 15-digit name = %v, %v", vs, err)
		}
	})
	t.Run("an update by the 15-digit name changes the upgraded record", func(t *testing.T) {
		out, err := e.svc.UpdatePerson(ctx, old, &Person{Phone: "0574-86000000"}, []string{"phone"}, UpdateOptions{})
		if err != nil || out.IDNumber != full || out.Phone != "0574-86000000" {
			t.Fatalf("Update = %v, %v", out, err)
		}
	})
	t.Run("creating the 15-digit form of a registered number is refused", func(t *testing.T) {
		p := fixture.Person(t, 3, "households/h1", RelationSon)
		p.IDNumber, p.Sex, p.BirthDate = old, "", ""
		if _, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{LegacyIDNumber: true}); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("legacy Create of a registered number = %v, want ErrAlreadyExists", err)
		}
	})

	otherFull := id(t, "1972-02-29", 40)
	otherOld := fixture.Legacy(t, otherFull)
	t.Run("a legacy record keeps its 15-digit number", func(t *testing.T) {
		p := fixture.Person(t, 4, "households/h1", RelationSpouse)
		p.IDNumber, p.Sex, p.BirthDate = otherOld, "", ""
		out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{LegacyIDNumber: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.IDNumber != otherOld || out.BirthDate != "1972-02-29" || out.Sex != SexFemale {
			t.Fatalf("stored %s born %s %s", out.IDNumber, out.BirthDate, out.Sex)
		}
		got, err := e.svc.GetPerson(ctx, otherOld, history.Point{})
		if err != nil || got.RedirectedFrom != "" {
			t.Fatalf("Get of a legacy record = %v, %v", got, err)
		}
	})
	t.Run("a legacy record blocks registering its 18-digit form", func(t *testing.T) {
		p := fixture.Person(t, 4, "households/h1", RelationSpouse)
		p.IDNumber, p.Sex, p.BirthDate = otherFull, "", ""
		if _, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{}); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("Create of the 18-digit form = %v, want ErrAlreadyExists", err)
		}
	})
	t.Run("a legacy record with a wrong birth date is refused", func(t *testing.T) {
		p := fixture.Person(t, 5, "households/h1", RelationSon)
		p.IDNumber, p.Sex, p.BirthDate = fixture.Legacy(t, id(t, "1971-03-03", 41)), SexMale, "1971-03-04"
		_, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{LegacyIDNumber: true, ValidateOnly: true})
		if r := reason(err, "person.birth_date"); r != "1971-03-04 disagrees with the ID number, which encodes 1971-03-03" {
			t.Fatalf("reason = %q (%v)", r, err)
		}
	})
	t.Run("upgrading a legacy record renames it, and its old number redirects", func(t *testing.T) {
		out, err := e.svc.RenamePerson(ctx, otherOld, "", RenameOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out.IDNumber != otherFull || out.Version.Action != history.Renamed {
			t.Fatalf("renamed to %s by %s", out.IDNumber, out.Version.Action)
		}
		got, err := e.svc.GetPerson(ctx, otherOld, history.Point{})
		if err != nil || got.IDNumber != otherFull || got.RedirectedFrom != otherOld {
			t.Fatalf("Get(old) = %v, %v", got, err)
		}
		if got.UID != out.UID {
			t.Fatalf("the uid changed across the upgrade")
		}
	})
	t.Run("an 18-digit number has nothing to upgrade", func(t *testing.T) {
		_, err := e.svc.RenamePerson(ctx, full, "", RenameOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"new_id_number"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	t.Run("a 15-digit name that cannot be upgraded is invalid, not missing", func(t *testing.T) {
		_, err := e.svc.GetPerson(ctx, "990211681301234", history.Point{})
		if got := fields(t, err); !slices.Equal(got, []string{"name"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
}

func TestRenameToAReissuedNumber(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead)
	corrected := id(t, "1953-04-05", 21) // the birth date was recorded wrong
	out, err := e.svc.RenamePerson(ctx, p.IDNumber, corrected, RenameOptions{Revision: p.Revision})
	if err != nil {
		t.Fatal(err)
	}
	if out.IDNumber != corrected || out.BirthDate != "1953-04-05" || out.Sex != SexMale {
		t.Fatalf("renamed = %s born %s %s; birth date and sex come from the new number", out.IDNumber, out.BirthDate, out.Sex)
	}
	t.Run("a wrong new number is refused naming new_id_number", func(t *testing.T) {
		_, err := e.svc.RenamePerson(ctx, corrected, fixture.WrongCheck(id(t, "1960-01-01", 3)), RenameOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"new_id_number"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	t.Run("a number held by another person is refused", func(t *testing.T) {
		other := e.person(t, 6, "h1", RelationSon)
		if _, err := e.svc.RenamePerson(ctx, corrected, other.IDNumber, RenameOptions{}); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("Rename = %v", err)
		}
	})
	t.Run("a stale etag is a conflict", func(t *testing.T) {
		if _, err := e.svc.RenamePerson(ctx, corrected, id(t, "1953-04-05", 23), RenameOptions{Revision: 1}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("Rename = %v", err)
		}
	})
}

func TestUpdatePerson(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	e.household(t, "h2")
	p := e.person(t, 3, "h1", RelationHead)

	t.Run("only the masked fields change", func(t *testing.T) {
		e.tick(time.Hour)
		out, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Name: "ignored", Phone: "13900001111"}, []string{"phone"}, UpdateOptions{Revision: 1})
		if err != nil {
			t.Fatal(err)
		}
		if out.Phone != "13900001111" || out.Name != p.Name || out.Revision != 2 || !out.UpdateTime.Equal(e.now) {
			t.Fatalf("update = %+v", out)
		}
	})
	t.Run("moving to another household is an update of household and relation", func(t *testing.T) {
		out, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Household: "households/h2", Relation: RelationHead},
			[]string{"household", "relation"}, UpdateOptions{})
		if err != nil || out.Household != "households/h2" {
			t.Fatalf("move = %v, %v", out, err)
		}
	})
	for _, tt := range []struct {
		name  string
		paths []string
	}{
		{"an empty mask is refused", nil},
		{"the ID number is changed by RenamePerson, not by update", []string{"id_number"}},
		{"the uid cannot be changed", []string{"uid"}},
		{"an unknown field is refused", []string{"age"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{}, tt.paths, UpdateOptions{})
			if got := fields(t, err); !slices.Equal(got, []string{"update_mask"}) {
				t.Fatalf("refused = %v (%v)", got, err)
			}
		})
	}
	t.Run("a stale etag is a conflict and changes nothing", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900002222"}, []string{"phone"}, UpdateOptions{Revision: 1})
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("Update = %v", err)
		}
		if e.stored(t, p.IDNumber).Phone != "13900001111" {
			t.Fatal("the stale update was stored")
		}
	})
	t.Run("a change that breaks a rule stores nothing", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{BirthDate: "1999-09-09"}, []string{"birth_date"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"person.birth_date"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
		if e.stored(t, p.IDNumber).BirthDate != p.BirthDate {
			t.Fatal("the birth date changed")
		}
	})
	t.Run("validate_only returns the update and stores nothing", func(t *testing.T) {
		before := e.stored(t, p.IDNumber)
		out, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900003333"}, []string{"phone"}, UpdateOptions{ValidateOnly: true})
		if err != nil || out.Phone != "13900003333" || out.Revision != before.Revision+1 {
			t.Fatalf("validate_only = %v, %v", out, err)
		}
		if after := e.stored(t, p.IDNumber); after.Phone != before.Phone || after.Version.Sequence != before.Version.Sequence {
			t.Fatal("validate_only stored the change")
		}
	})
	t.Run("validate_only judges the etag like the write", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900003333"}, []string{"phone"}, UpdateOptions{ValidateOnly: true, Revision: 1})
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("validate_only with a stale etag = %v", err)
		}
	})
	t.Run("updating an unknown person is not found", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, id(t, "1977-07-07", 7), &Person{Phone: "13900003333"}, []string{"phone"}, UpdateOptions{})
		if !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("Update = %v", err)
		}
	})
}

func TestADeceasedPersonCanOnlyBeCorrected(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead)
	e.tick(24 * time.Hour)
	dead, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Status: StatusDeceased, StatusDate: "2025-06-15"}, []string{"status", "status_date"}, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.tick(time.Hour)
	t.Run("a change is refused as a failed precondition", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900000000"}, []string{"phone"}, UpdateOptions{})
		if !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("Update of a deceased person = %v", err)
		}
	})
	t.Run("validate_only refuses it too", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900000000"}, []string{"phone"}, UpdateOptions{ValidateOnly: true})
		if !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("validate_only = %v", err)
		}
	})
	t.Run("a correction of the date of death is accepted", func(t *testing.T) {
		out, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{StatusDate: "2025-06-14"}, []string{"status_date"}, UpdateOptions{Correction: true})
		if err != nil || out.StatusDate != "2025-06-14" || out.Status != StatusDeceased || out.Version.Action != history.Corrected {
			t.Fatalf("correction = %+v, %v", out, err)
		}
		if out.Version.ValidFrom != dead.Version.ValidFrom {
			t.Fatal("a correction must amend the period, not start one")
		}
	})
	t.Run("the deceased head no longer counts as the household's head", func(t *testing.T) {
		h, err := e.svc.GetHousehold(ctx, "h1", history.Point{})
		if err != nil || h.Head != "" {
			t.Fatalf("head = %q, %v", h.Head, err)
		}
		e.person(t, 6, "h1", RelationHead)
	})
}

func TestOneHeadPerHousehold(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	head := e.person(t, 3, "h1", RelationHead)
	spouse := e.person(t, 4, "h1", RelationSpouse)
	t.Run("the household's head is its active member with relation HEAD", func(t *testing.T) {
		h, err := e.svc.GetHousehold(ctx, "h1", history.Point{})
		if err != nil || h.Head != head.IDNumber {
			t.Fatalf("head = %q, %v", h.Head, err)
		}
	})
	t.Run("making a second member head is refused, naming relation and the head masked", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, spouse.IDNumber, &Person{Relation: RelationHead}, []string{"relation"}, UpdateOptions{})
		r := reason(err, "person.relation")
		if !strings.Contains(r, "households/h1 already has a head, persons/"+head.IDNumber[:6]+"********"+head.IDNumber[14:]) {
			t.Fatalf("reason = %q (%v)", r, err)
		}
	})
	t.Run("the head changes by demoting the old head first", func(t *testing.T) {
		if _, err := e.svc.UpdatePerson(ctx, head.IDNumber, &Person{Relation: RelationSpouse}, []string{"relation"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdatePerson(ctx, spouse.IDNumber, &Person{Relation: RelationHead}, []string{"relation"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		h, _ := e.svc.GetHousehold(ctx, "h1", history.Point{})
		if h.Head != spouse.IDNumber {
			t.Fatalf("head = %q", h.Head)
		}
	})
	t.Run("a head may update themselves", func(t *testing.T) {
		if _, err := e.svc.UpdatePerson(ctx, spouse.IDNumber, &Person{Phone: "13911112222"}, []string{"phone"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGetPerson(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead)
	tests := []struct {
		name, id string
		want     error
	}{
		{"a registered number is found in full", p.IDNumber, nil},
		{"an unknown valid number is not found", id(t, "1977-07-07", 7), errs.ErrNotFound},
		{"a number with a wrong check character is invalid", fixture.WrongCheck(p.IDNumber), errs.ErrInvalid},
		{"a masked number, as bulk reads return it, is invalid", p.IDNumber[:6] + "********" + p.IDNumber[14:], errs.ErrInvalid},
		{"a number of 16 digits is invalid", p.IDNumber[:16], errs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.GetPerson(ctx, tt.id, history.Point{})
			if tt.want == nil {
				if err != nil || got.IDNumber != p.IDNumber || got.Phone != p.Phone {
					t.Fatalf("Get = %v, %v", got, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get(%s) = %v, want %v", tt.id, err, tt.want)
			}
			if tt.want == errs.ErrInvalid && !slices.Equal(fields(t, err), []string{"name"}) {
				t.Fatalf("refused %v", fields(t, err))
			}
		})
	}
}

func maskedID(id string) string { return id[:6] + "********" + id[14:] }

func TestBulkReadsMaskTheIDNumberAndPhoneButGetDoesNot(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead, func(p *Person) { p.Phone = "13812345678" })
	check := func(t *testing.T, what string, got *Person) {
		t.Helper()
		if got.IDNumber != maskedID(p.IDNumber) || got.Phone != "138****5678" {
			t.Fatalf("%s: id %q phone %q, want %q and 138****5678", what, got.IDNumber, got.Phone, maskedID(p.IDNumber))
		}
		if got.UID != p.UID {
			t.Fatalf("%s: uid %q, want the unmasked %q", what, got.UID, p.UID)
		}
	}
	list, err := e.svc.ListPersons(ctx, ListQuery{})
	if err != nil || len(list.Persons) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	check(t, "List", list.Persons[0])
	found, err := e.svc.SearchPersons(ctx, SearchQuery{Query: p.Name})
	if err != nil || len(found.Hits) != 1 {
		t.Fatalf("Search = %v, %v", found, err)
	}
	check(t, "Search", found.Hits[0].Person)
	members, err := e.svc.ListHouseholdMembers(ctx, "h1", MembersOptions{})
	if err != nil || len(members.Persons) != 1 {
		t.Fatalf("Members = %v, %v", members, err)
	}
	check(t, "ListHouseholdMembers", members.Persons[0])
	hs, err := e.svc.ListHouseholds(ctx, ListQuery{})
	if err != nil || hs.Households[0].Head != maskedID(p.IDNumber) {
		t.Fatalf("ListHouseholds head = %v, %v", hs.Households, err)
	}
	got, err := e.svc.GetPerson(ctx, p.IDNumber, history.Point{})
	if err != nil || got.IDNumber != p.IDNumber || got.Phone != "13812345678" {
		t.Fatalf("Get = %v, %v; it returns full values", got, err)
	}
	h, err := e.svc.GetHousehold(ctx, "h1", history.Point{})
	if err != nil || h.Head != p.IDNumber {
		t.Fatalf("GetHousehold head = %q, %v", h.Head, err)
	}
}

func TestSearchPersons(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	e.household(t, "h2")
	zhang := e.person(t, 3, "h1", RelationHead, func(p *Person) { p.Name, p.FormerNames = "张伟", []string{"张小伟"} })
	zhang2 := e.person(t, 43, "h2", RelationHead, func(p *Person) {
		p.Name, p.RegisteredAddress, p.ResidenceAddress = "张伟", fixture.Address(7), fixture.Address(8)
	})
	li := e.person(t, 4, "h1", RelationSpouse, func(p *Person) {
		p.Name, p.RegisteredAddress, p.ResidenceAddress = "李娜", fixture.Address(8), fixture.Address(9)
	})
	ids := func(p SearchPage) []string {
		var out []string
		for _, h := range p.Hits {
			out = append(out, h.Person.UID)
		}
		slices.Sort(out)
		return out
	}
	uids := func(ps ...*Person) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.UID)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		q    SearchQuery
		want []string
	}{
		{"by name finds every person of that name", SearchQuery{Query: "张伟"}, uids(zhang, zhang2)},
		{"by name and birth date finds the one born that day", SearchQuery{Query: "张伟", BirthDate: zhang2.BirthDate}, uids(zhang2)},
		{"by a former name", SearchQuery{Query: "张小伟"}, uids(zhang)},
		{"by address finds those registered there and those living there", SearchQuery{Address: fixture.Address(8)}, uids(zhang2, li)},
		{"by address and name", SearchQuery{Address: fixture.Address(8), Query: "李娜"}, uids(li)},
		{"by household", SearchQuery{Household: "households/h1"}, uids(zhang, li)},
		{"by household and a filter", SearchQuery{Household: "households/h1", Filter: "relation = SPOUSE"}, uids(li)},
		{"nobody matches an unknown name", SearchQuery{Query: "欧阳修"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.SearchPersons(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Fatalf("found %v, want %v", ids(got), tt.want)
			}
		})
	}
	t.Run("a former name is reported as the matched name", func(t *testing.T) {
		got, _ := e.svc.SearchPersons(ctx, SearchQuery{Query: "张小伟"})
		if got.Hits[0].MatchedName != "张小伟" {
			t.Fatalf("matched %q", got.Hits[0].MatchedName)
		}
	})
	t.Run("an exact name scores 1", func(t *testing.T) {
		got, _ := e.svc.SearchPersons(ctx, SearchQuery{Query: "李娜"})
		if len(got.Hits) != 1 || got.Hits[0].Score != 1 {
			t.Fatalf("hits %+v", got.Hits)
		}
	})
	for _, tt := range []struct {
		name  string
		q     SearchQuery
		field string
	}{
		{"a search with no query, address or household is refused", SearchQuery{BirthDate: "1990-01-01"}, "query"},
		{"a birth date that is no date is refused", SearchQuery{Query: "张伟", BirthDate: "1990-13-01"}, "birth_date"},
		{"an address that is no address name is refused", SearchQuery{Address: "households/h1"}, "address"},
		{"a household that is no household name is refused", SearchQuery{Household: "h1"}, "household"},
		{"a bad filter is refused", SearchQuery{Household: "households/h1", Filter: "age > 3"}, "filter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.SearchPersons(ctx, tt.q)
			if got := fields(t, err); !slices.Equal(got, []string{tt.field}) {
				t.Fatalf("refused = %v (%v)", got, err)
			}
		})
	}
}

func TestHouseholds(t *testing.T) {
	e := newEnv(t)
	t.Run("create returns the household as stored", func(t *testing.T) {
		h, err := e.svc.CreateHousehold(ctx, &Household{Number: "AB0574", Type: HouseholdCollective, RegisteredAddress: fixture.Address(2)}, CreateHouseholdOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h.ID != "ab0574" || h.Revision != 1 || h.Version.Action != history.Created || h.Head != "" {
			t.Fatalf("created %+v", h)
		}
	})
	t.Run("an id that is taken is already exists", func(t *testing.T) {
		_, err := e.svc.CreateHousehold(ctx, fixture.Household("ab0574", fixture.Address(1)), CreateHouseholdOptions{})
		if !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("Create = %v", err)
		}
	})
	t.Run("update changes the masked fields, checking a new address", func(t *testing.T) {
		out, err := e.svc.UpdateHousehold(ctx, "ab0574", &Household{Type: HouseholdFamily, Number: "ignored"}, []string{"household_type"}, UpdateOptions{Revision: 1})
		if err != nil || out.Type != HouseholdFamily || out.Number != "AB0574" || out.Revision != 2 {
			t.Fatalf("update = %+v, %v", out, err)
		}
		_, err = e.svc.UpdateHousehold(ctx, "ab0574", &Household{RegisteredAddress: "addresses/404"}, []string{"registered_address"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"household.registered_address"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
		_, err = e.svc.UpdateHousehold(ctx, "ab0574", &Household{}, []string{"head"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"update_mask"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
	e.household(t, "h1")
	p := e.person(t, 3, "h1", RelationHead)
	t.Run("a household with an active member cannot be retired", func(t *testing.T) {
		_, err := e.svc.DeleteHousehold(ctx, "h1", DeleteOptions{})
		if !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("Delete = %v", err)
		}
	})
	t.Run("once its members moved out it can", func(t *testing.T) {
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Status: StatusMovedOut, StatusDate: "2025-06-15"}, []string{"status", "status_date"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		h, err := e.svc.DeleteHousehold(ctx, "h1", DeleteOptions{})
		if err != nil || !h.Retired {
			t.Fatalf("Delete = %v, %v", h, err)
		}
	})
	t.Run("a retired household is left out of lists unless asked for", func(t *testing.T) {
		list, _ := e.svc.ListHouseholds(ctx, ListQuery{})
		all, _ := e.svc.ListHouseholds(ctx, ListQuery{ShowRetired: true})
		if len(list.Households) != 1 || len(all.Households) != 2 {
			t.Fatalf("listed %d, with retired %d", len(list.Households), len(all.Households))
		}
	})
	t.Run("a person who moved out of a retired household can still be corrected", func(t *testing.T) {
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Name: "俞建华"}, []string{"display_name"}, UpdateOptions{Correction: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("but cannot become active in it again", func(t *testing.T) {
		_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Status: StatusActive}, []string{"status", "status_date"}, UpdateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"person.household"}) {
			t.Fatalf("refused = %v (%v)", got, err)
		}
	})
}

func TestHouseholdMembersListTheHeadFirst(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	son := e.person(t, 5, "h1", RelationSon)
	head := e.person(t, 3, "h1", RelationHead)
	mother := e.person(t, 8, "h1", RelationParent)
	spouse := e.person(t, 4, "h1", RelationSpouse)
	gone := e.person(t, 7, "h1", RelationDaughter, func(p *Person) { p.Status, p.StatusDate = StatusMovedOut, "2020-01-01" })
	uidsOf := func(ps []*Person) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.UID)
		}
		return out
	}
	got, err := e.svc.ListHouseholdMembers(ctx, "h1", MembersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{head.UID, spouse.UID, son.UID, mother.UID}; !slices.Equal(uidsOf(got.Persons), want) {
		t.Fatalf("members %v, want head, spouse, son, parent %v", uidsOf(got.Persons), want)
	}
	all, err := e.svc.ListHouseholdMembers(ctx, "h1", MembersOptions{IncludeFormer: true, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	listed := uidsOf(all.Persons)
	for tok := all.NextPageToken; tok != ""; {
		p, err := e.svc.ListHouseholdMembers(ctx, "h1", MembersOptions{IncludeFormer: true, PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, uidsOf(p.Persons)...)
		tok = p.NextPageToken
	}
	if want := []string{head.UID, spouse.UID, son.UID, gone.UID, mother.UID}; !slices.Equal(listed, want) {
		t.Fatalf("with former members, paged by 2: %v, want %v", listed, want)
	}
	if _, err := e.svc.ListHouseholdMembers(ctx, "nope", MembersOptions{}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("members of an unknown household = %v", err)
	}
}

func TestPageSizes(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	for i := 0; i < 3; i++ {
		e.person(t, 10+i, "h1", RelationOther)
	}
	p, err := e.svc.ListPersons(ctx, ListQuery{PageSize: 2})
	if err != nil || len(p.Persons) != 2 || p.NextPageToken == "" {
		t.Fatalf("page of 2 = %d, %q, %v", len(p.Persons), p.NextPageToken, err)
	}
	if _, err := e.svc.ListPersons(ctx, ListQuery{PageSize: -1}); !slices.Equal(fields(t, err), []string{"page_size"}) {
		t.Fatalf("negative page size = %v", err)
	}
	big, err := e.svc.ListPersons(ctx, ListQuery{PageSize: 5000})
	if err != nil || len(big.Persons) != 3 {
		t.Fatalf("page size above the maximum = %d, %v", len(big.Persons), err)
	}
	if _, err := e.svc.ListPersons(ctx, ListQuery{PageToken: p.NextPageToken, Filter: "sex = MALE"}); !slices.Equal(fields(t, err), []string{"page_token"}) {
		t.Fatalf("a token of another query = %v", err)
	}
}

func TestAChildBornTodayInBeijingIsRegistered(t *testing.T) {
	e := newEnv(t)
	e.household(t, "h1")
	e.now = time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC) // 2025-06-15 04:00 in Beijing
	p := fixture.Person(t, 3, "households/h1", RelationSon)
	p.IDNumber, p.Sex, p.BirthDate, p.MaritalStatus, p.Education, p.Phone = id(t, "2025-06-15", 5), "", "", "", "", ""
	out, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{})
	if err != nil {
		t.Fatalf("Create of a child born today in Beijing = %v", err)
	}
	if out.BirthDate != "2025-06-15" {
		t.Fatalf("born %s", out.BirthDate)
	}
	tomorrow := fixture.Person(t, 4, "households/h1", RelationSon)
	tomorrow.IDNumber, tomorrow.Sex, tomorrow.BirthDate = fmt.Sprintf("%s", p.IDNumber[:12]+"16"+p.IDNumber[14:]), "", ""
	if _, err := e.svc.CreatePerson(ctx, tomorrow, CreatePersonOptions{ValidateOnly: true}); err == nil {
		t.Fatal("a child born tomorrow in Beijing was accepted")
	}
}
