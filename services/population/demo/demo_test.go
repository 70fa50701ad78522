package demo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/population"
	"github.com/zhbase/zhbase/services/population/demo"
	"github.com/zhbase/zhbase/services/population/internal/fixture"
	"github.com/zhbase/zhbase/services/population/sqlstore"
)

var addresses = []demo.Address{
	{Name: "addresses/zbs-1", DivisionCode: "330211001000"},
	{Name: "addresses/jc-7", DivisionCode: "330211002000"},
	{Name: "addresses/lt-3", DivisionCode: "330211003000"},
	{Name: "addresses/zh", DivisionCode: "330211"},
}

func generate(t testing.TB, seed uint64, n int) []demo.Household {
	t.Helper()
	var out []demo.Household
	if err := demo.Generate(seed, addresses, n, func(h demo.Household) error {
		out = append(out, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTheSameSeedGivesTheSamePopulation(t *testing.T) {
	a, b := generate(t, 7, 500), generate(t, 7, 500)
	if len(a) != len(b) {
		t.Fatalf("%d and %d households", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || !proto.Equal(a[i].Household, b[i].Household) || len(a[i].Members) != len(b[i].Members) {
			t.Fatalf("household %d differs", i)
		}
		for j := range a[i].Members {
			if !proto.Equal(a[i].Members[j], b[i].Members[j]) {
				t.Fatalf("member %d of household %d differs", j, i)
			}
		}
	}
	c := generate(t, 8, 500)
	if proto.Equal(a[0].Members[0], c[0].Members[0]) {
		t.Fatal("another seed gave the same first person")
	}
}

func TestGenerateMakesExactlyTheNumberAsked(t *testing.T) {
	for _, n := range []int{1, 2, 17, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got := 0
			for _, h := range generate(t, demo.DefaultSeed, n) {
				got += len(h.Members)
				if h.Members[0].GetRelation() != populationv1.Relation_RELATION_HEAD {
					t.Fatalf("%s does not begin with its head", h.ID)
				}
			}
			if got != n {
				t.Fatalf("%d persons", got)
			}
		})
	}
}

func TestGenerateStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := demo.Generate(1, addresses, 1000, func(demo.Household) error {
		calls++
		return boom
	})
	if err != boom || calls != 1 {
		t.Fatalf("Generate = %v after %d calls", err, calls)
	}
}

func TestNewRefusesBadAddresses(t *testing.T) {
	for _, tt := range []struct {
		name string
		as   []demo.Address
	}{
		{"no addresses", nil},
		{"a name that is no address", []demo.Address{{Name: "buildings/1", DivisionCode: "330211001000"}}},
		{"a bad division code", []demo.Address{{Name: "addresses/1", DivisionCode: "3302110010"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := demo.New(1, tt.as); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestEveryPersonIsConsistent checks what a validator would: valid and
// unique ID numbers of area 330211 whose birth date and sex the records
// repeat, valid phones, ages that fit the relation, one active head per
// household, households at the given addresses.
func TestEveryPersonIsConsistent(t *testing.T) {
	known := map[string]bool{}
	for _, a := range addresses {
		known[a.Name] = true
	}
	seen := map[string]bool{}
	relations := map[populationv1.Relation]int{}
	for _, h := range generate(t, demo.DefaultSeed, 20000) {
		if !known[h.Household.GetRegisteredAddress()] || h.Household.GetName() != "households/"+h.ID || population.CheckHouseholdID(h.ID) != nil {
			t.Fatalf("household %v", h.Household)
		}
		heads := 0
		for _, p := range h.Members {
			id := p.GetIdNumber()
			if seen[id] {
				t.Fatalf("%s issued twice", id)
			}
			seen[id] = true
			info, err := standard.ParseIDNumber(id)
			if err != nil || info.Area != demo.Area {
				t.Fatalf("%s: %v (area %s)", id, err, info.Area)
			}
			if info.Birth.Format(time.DateOnly) != p.GetBirthDate() || info.Male != (p.GetSex() == populationv1.Sex_SEX_MALE) {
				t.Fatalf("%s: born %s, sex %v", id, p.GetBirthDate(), p.GetSex())
			}
			if !info.Birth.Before(demo.ReferenceDate) {
				t.Fatalf("%s born on or after the reference date", id)
			}
			if p.GetPhone() != "" && population.CheckPhone(p.GetPhone()) != nil {
				t.Fatalf("%s: phone %q: %v", id, p.GetPhone(), population.CheckPhone(p.GetPhone()))
			}
			if _, ok := population.EthnicityName(p.GetEthnicity()); !ok {
				t.Fatalf("%s: ethnicity %q", id, p.GetEthnicity())
			}
			if !known[p.GetRegisteredAddress()] || !known[p.GetResidenceAddress()] || p.GetHousehold() != h.Household.GetName() {
				t.Fatalf("%s: addresses %s %s, household %s", id, p.GetRegisteredAddress(), p.GetResidenceAddress(), p.GetHousehold())
			}
			if n := len([]rune(p.GetDisplayName())); n < 2 || n > 4 {
				t.Fatalf("%s: name %q", id, p.GetDisplayName())
			}
			if p.GetStatus() != populationv1.PersonStatus_PERSON_STATUS_ACTIVE && (p.GetStatusDate() < p.GetBirthDate() || p.GetStatusDate() == "") {
				t.Fatalf("%s: status %v dated %q, born %s", id, p.GetStatus(), p.GetStatusDate(), p.GetBirthDate())
			}
			if p.GetRelation() == populationv1.Relation_RELATION_HEAD {
				heads++
				if p.GetStatus() != populationv1.PersonStatus_PERSON_STATUS_ACTIVE || info.Birth.After(demo.ReferenceDate.AddDate(-18, 0, 0)) {
					t.Fatalf("head %s: %v, born %s", id, p.GetStatus(), p.GetBirthDate())
				}
			}
			relations[p.GetRelation()]++
		}
		if heads != 1 {
			t.Fatalf("%s has %d heads", h.ID, heads)
		}
	}
	for _, r := range []populationv1.Relation{populationv1.Relation_RELATION_SPOUSE, populationv1.Relation_RELATION_SON,
		populationv1.Relation_RELATION_DAUGHTER, populationv1.Relation_RELATION_PARENT, populationv1.Relation_RELATION_GRANDCHILD,
		populationv1.Relation_RELATION_SIBLING, populationv1.Relation_RELATION_OTHER} {
		if relations[r] == 0 {
			t.Errorf("no %v among 20000 persons", r)
		}
	}
}

// TestTheRegistryAcceptsTheDemoPopulation stores a few hundred generated
// persons through the Service, which applies every rule.
func TestTheRegistryAcceptsTheDemoPopulation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, storetest.OpenSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range addresses {
		names = append(names, a.Name)
	}
	svc := population.NewService(st, fixture.NewAddresses(names...).Checker())
	stored := 0
	for _, h := range generate(t, demo.DefaultSeed, 400) {
		if _, err := svc.CreateHousehold(ctx, &population.Household{
			ID: h.ID, Number: h.Household.GetHouseholdNumber(), RegisteredAddress: h.Household.GetRegisteredAddress(),
			Type: population.HouseholdType(enum(h.Household.GetHouseholdType().String(), "HOUSEHOLD_TYPE_")),
		}, population.CreateHouseholdOptions{}); err != nil {
			t.Fatalf("household %s: %v", h.ID, err)
		}
		for _, m := range h.Members {
			if _, err := svc.CreatePerson(ctx, toDomain(m), population.CreatePersonOptions{}); err != nil {
				t.Fatalf("person %s of %s: %v", m.GetDisplayName(), h.ID, err)
			}
			stored++
		}
	}
	if stored != 400 {
		t.Fatalf("stored %d", stored)
	}
}

func enum(name, prefix string) string {
	if strings.HasSuffix(name, "_UNSPECIFIED") {
		return ""
	}
	return strings.TrimPrefix(name, prefix)
}

func toDomain(m *populationv1.Person) *population.Person {
	return &population.Person{
		IDNumber: m.GetIdNumber(), Name: m.GetDisplayName(), FormerNames: m.GetFormerNames(),
		Sex: population.Sex(enum(m.GetSex().String(), "SEX_")), BirthDate: m.GetBirthDate(), Ethnicity: m.GetEthnicity(),
		Household: m.GetHousehold(), Relation: population.Relation(enum(m.GetRelation().String(), "RELATION_")),
		RegisteredAddress: m.GetRegisteredAddress(), ResidenceAddress: m.GetResidenceAddress(), Phone: m.GetPhone(),
		Education:     population.Education(enum(m.GetEducation().String(), "EDUCATION_")),
		MaritalStatus: population.MaritalStatus(enum(m.GetMaritalStatus().String(), "MARITAL_STATUS_")),
		Status:        population.Status(enum(m.GetStatus().String(), "PERSON_STATUS_")), StatusDate: m.GetStatusDate(),
	}
}

// TestAMillionPersons is the integrator's load: one million persons,
// generated as a stream, with unique ID numbers, in well under a minute.
func TestAMillionPersons(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a million persons")
	}
	start := time.Now()
	seen := make(map[string]struct{}, 1_000_000)
	n := 0
	if err := demo.Generate(demo.DefaultSeed, addresses, 1_000_000, func(h demo.Household) error {
		for _, p := range h.Members {
			if _, dup := seen[p.GetIdNumber()]; dup {
				return fmt.Errorf("%s issued twice", p.GetIdNumber())
			}
			seen[p.GetIdNumber()] = struct{}{}
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("1,000,000 persons in %v", took)
	if n != 1_000_000 || took > 2*time.Minute {
		t.Fatalf("%d persons in %v", n, took)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := demo.Generate(demo.DefaultSeed, addresses, 10000, func(demo.Household) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
