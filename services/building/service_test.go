package building_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	. "github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// These tests cover the Service's own logic — validation, lifecycle rules,
// reference checks, update masks, etags, validate_only, masking, rolling
// up — over the real SQL store with the clock fixed; on SQLite unless a
// test says otherwise.

var ctx = context.Background()

// testNow is the fixed clock: noon in Beijing on 15 June 2025.
var testNow = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

// registry answers reference checks from a set of names the test controls.
// The lookup of a real registry through etcd is exercised by the
// in-process cluster test; here only the Service's use of refs.Checker is
// under test.
type registry struct {
	mu    sync.Mutex
	names map[string]bool
	calls map[string]int
	down  bool
}

func newRegistry(names ...string) *registry {
	r := &registry{names: map[string]bool{}, calls: map[string]int{}}
	r.add(names...)
	return r
}

func (r *registry) add(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.names[n] = true
	}
}

func (r *registry) lookup(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[name]++
	switch {
	case r.down:
		return errors.New("connection refused")
	case !r.names[name]:
		return errs.NotFound(name)
	}
	return nil
}

func (r *registry) checker() refs.Checker {
	return refs.Registry{"addresses": r.lookup, "persons": r.lookup, "legalEntities": r.lookup}
}

type fixture struct {
	svc   *Service
	store *sqlstore.Store
	refs  *registry
	now   time.Time
}

func newFixture(tb testing.TB) *fixture { return newFixtureOn(tb, storetest.OpenSQLite(tb)) }

// newFixtureOn opens the fixture on db with the clock at testNow and every
// reference of validBuilding known.
func newFixtureOn(tb testing.TB, db *store.DB) *fixture {
	tb.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	f := &fixture{store: st, refs: newRegistry(), now: testNow}
	f.refs.add(addressName, personOwner(tb, 0), personOwner(tb, 1), entityOwner(tb, 0), entityOwner(tb, 1))
	f.svc = NewService(st, f.refs.checker())
	clock := func() time.Time { return f.now }
	SetClock(f.svc, clock)
	st.Temporal().Now = clock
	return f
}

const addressName = "addresses/a0001"

func personOwner(tb testing.TB, i int) string {
	tb.Helper()
	id, err := standard.MakeIDNumber("330211", time.Date(1960+i, 5, 17, 0, 0, 0, 0, time.UTC), 100+i)
	if err != nil {
		tb.Fatal(err)
	}
	return "persons/" + id
}

func entityOwner(tb testing.TB, i int) string {
	tb.Helper()
	uscc, err := standard.MakeUSCC('9', '1', "330211", fmt.Sprintf("MA2AGH%03d", i))
	if err != nil {
		tb.Fatal(err)
	}
	return "legalEntities/" + uscc
}

// lonLat is a spot in 招宝山街道.
var lonLat = orb.Point{121.7101, 29.9602}

// rect is a w × h metre rectangle with its south-west corner dx, dy metres
// from lonLat.
func rect(dx, dy, w, h float64) orb.Polygon {
	const mLat, mLon = 110540.0, 96600.0 // metres per degree near 30°N
	x0, y0 := lonLat[0]+dx/mLon, lonLat[1]+dy/mLat
	x1, y1 := x0+w/mLon, y0+h/mLat
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// validBuilding returns a building that passes every rule at testNow, with
// every optional field set; mutate runs last.
func validBuilding(tb testing.TB, mutate ...func(*Building)) *Building {
	tb.Helper()
	b := &Building{
		Name:             "招宝山大厦",
		Footprint:        rect(0, 0, 30, 20),
		Address:          addressName,
		DivisionCode:     "330211001000",
		Use:              UseCommercial,
		FloorsAbove:      18,
		FloorsBelow:      2,
		HeightM:          68.5,
		FloorAreaM2:      10800.25,
		YearBuilt:        1998,
		Structure:        StructureReinforcedConcrete,
		SafetyRating:     RatingB,
		SafetyAssessedOn: "2023-04-11",
		Owners:           []string{entityOwner(tb, 0), personOwner(tb, 0)},
		Status:           StatusInUse,
		StatusDate:       "1998-10-01",
	}
	for _, m := range mutate {
		m(b)
	}
	return b
}

func (f *fixture) create(tb testing.TB, b *Building) *Building {
	tb.Helper()
	out, err := f.svc.Create(ctx, b, CreateOptions{})
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return out.Clone()
}

// violations returns field → reasons of an invalid-argument error, failing
// when err is not one.
func violations(tb testing.TB, err error) map[string][]string {
	tb.Helper()
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		tb.Fatalf("error %v is not an *errs.InvalidError", err)
	}
	out := map[string][]string{}
	for _, v := range inv.Violations {
		out[v.Field] = append(out[v.Field], v.Reason)
	}
	return out
}

func TestValidationRules(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		rule   string
		mutate func(*Building)
		field  string
		reason string // substring
	}{
		{"a footprint is required", func(b *Building) { b.Footprint = nil }, "building.footprint", "is required"},
		{"a footprint must be GeoJSON of a Polygon", func(b *Building) { b.FootprintGeoJSON = []byte(`{"type":"Point","coordinates":[121.7,29.9]}`) },
			"building.footprint", `must be a GeoJSON Polygon, got type "Point"`},
		{"a footprint must close", func(b *Building) { b.Footprint[0] = b.Footprint[0][:4] }, "building.footprint", "ring 0 is not closed"},
		{"a footprint needs four points", func(b *Building) {
			r := b.Footprint[0]
			b.Footprint[0] = []orb.Point{r[0], r[1], r[0]}
		}, "building.footprint", "ring 0 has 3 points"},
		{"a footprint must not cross itself, and the message says where", func(b *Building) {
			b.FootprintGeoJSON = []byte(`{"type":"Polygon","coordinates":[[[121.70,29.960],[121.704,29.959],[121.707,29.961],[121.702,29.967],[121.706,29.967],[121.708,29.964],[121.699,29.964],[121.70,29.960]]]}`)
		}, "building.footprint", "ring 0 intersects itself between points 2 and 5"},
		{"a footprint spanning kilometres is refused", func(b *Building) { b.Footprint = rect(0, 0, 6000, 20) }, "building.footprint", "a building's footprint spans at most 5000 m"},
		{"a name is at most 200 characters", func(b *Building) { b.Name = strings.Repeat("楼", 201) }, "building.display_name", "at most 200"},
		{"a name has no control characters", func(b *Building) { b.Name = "招宝山\x07大厦" }, "building.display_name", "control character"},
		{"an address is an addresses/{id} name", func(b *Building) { b.Address = "浙江省宁波市镇海区车站路1号" }, "building.address", "addresses/{id}"},
		{"a division code is required", func(b *Building) { b.DivisionCode = "" }, "building.division_code", "is required"},
		{"a division code is checked with the standard", func(b *Building) { b.DivisionCode = "330211000000" }, "building.division_code", "write this unit's code as 330211"},
		{"a use is required", func(b *Building) { b.Use = "" }, "building.use", "is required"},
		{"a use must be known", func(b *Building) { b.Use = "FARM" }, "building.use", `unknown use "FARM"`},
		{"a building has a storey", func(b *Building) { b.FloorsAbove, b.FloorsBelow, b.HeightM = 0, 0, 0 }, "building.floors_above_ground", "at least one storey"},
		{"storeys above ground are bounded", func(b *Building) { b.FloorsAbove = 301 }, "building.floors_above_ground", "between 0 and 300"},
		{"storeys below ground are bounded", func(b *Building) { b.FloorsBelow = -1 }, "building.floors_below_ground", "between 0 and 30"},
		{"a height is at most 1000 m", func(b *Building) { b.HeightM = 6850 }, "building.height_m", "between 0 (unknown) and 1000"},
		{"a height fits the storeys", func(b *Building) { b.HeightM = 30 }, "building.height_m", "too low for 18 storeys"},
		{"a floor area is not negative", func(b *Building) { b.FloorAreaM2 = -1 }, "building.floor_area_m2", "between 0 (unknown)"},
		{"a year built is not in the future", func(b *Building) { b.YearBuilt, b.StatusDate = 2026, "" }, "building.year_built", "2026 is in the future"},
		{"a year built is plausible", func(b *Building) { b.YearBuilt, b.StatusDate = 199, "" }, "building.year_built", "between 1000 and 2025"},
		{"a planned building has no year built", func(b *Building) {
			b.Status, b.SafetyRating, b.SafetyAssessedOn = StatusPlanned, "", ""
		}, "building.year_built", "PLANNED has no year of completion"},
		{"a structure type must be known", func(b *Building) { b.Structure = "ADOBE" }, "building.structure_type", `unknown structure type "ADOBE"`},
		{"a safety rating must be known", func(b *Building) { b.SafetyRating = "E" }, "building.safety_rating", `unknown rating "E"`},
		{"a safety rating needs its survey date", func(b *Building) { b.SafetyAssessedOn = "" }, "building.safety_assessment_date", "is required with a safety rating"},
		{"a survey date needs its rating", func(b *Building) { b.SafetyRating = "" }, "building.safety_rating", "is required with a safety assessment date"},
		{"a survey is not before the building stood", func(b *Building) { b.SafetyAssessedOn = "1990-01-01" }, "building.safety_assessment_date", "before the year built (1998)"},
		{"a survey is not in the future", func(b *Building) { b.SafetyAssessedOn = "2025-06-16" }, "building.safety_assessment_date", "2025-06-16 is in the future"},
		{"a status must be known", func(b *Building) { b.Status = "RUINED" }, "building.status", `unknown status "RUINED"`},
		{"a demolition has its date", func(b *Building) { b.Status, b.StatusDate = StatusDemolished, "" }, "building.status_date", "is required when the status is DEMOLISHED"},
		{"a status date is a date", func(b *Building) { b.StatusDate = "1998-13-01" }, "building.status_date", "not a calendar date"},
		{"a building is in use only once it stands", func(b *Building) { b.StatusDate = "1997-12-31" }, "building.status_date", "before the year built (1998)"},
		{"an owner is a person or a legal entity", func(b *Building) { b.Owners[1] = "households/17" }, "building.owners[1]", "must be persons/{id_number} or legalEntities/{uscc}"},
		{"an owner's ID number is checked", func(b *Building) { b.Owners[1] = "persons/330211196005171230" }, "building.owners[1]", "persons/{id_number}"},
		{"an owner is named once", func(b *Building) { b.Owners = append(b.Owners, b.Owners[0]) }, "building.owners[2]", "repeats owners[0]"},
		{"an unknown address is refused by the reference check", func(b *Building) { b.Address = "addresses/nope" }, "building.address", "addresses/nope does not exist"},
		{"an unknown owner is refused by the reference check", func(b *Building) { b.Owners[0] = entityOwner(t, 9) }, "building.owners[0]", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			b := validBuilding(t, tt.mutate)
			_, err := f.svc.Create(ctx, b, CreateOptions{})
			if err == nil {
				t.Fatalf("Create accepted the building")
			}
			got := violations(t, err)
			reasons := got[tt.field]
			if !slices.ContainsFunc(reasons, func(r string) bool { return strings.Contains(r, tt.reason) }) {
				t.Fatalf("violations %v; want %s: …%s…", got, tt.field, tt.reason)
			}
		})
	}
	t.Run("the valid building passes, and nothing refused was stored", func(t *testing.T) {
		p, err := f.svc.List(ctx, ListQuery{ShowRetired: true})
		if err != nil || len(p.Buildings) != 0 {
			t.Fatalf("after refused creates List = %d buildings, %v", len(p.Buildings), err)
		}
		f.create(t, validBuilding(t))
	})
	t.Run("every broken rule is reported at once", func(t *testing.T) {
		b := validBuilding(t, func(b *Building) {
			b.Footprint, b.DivisionCode, b.Use, b.HeightM, b.Owners[0] = nil, "33", "", 5000, "persons/1"
		})
		_, err := f.svc.Create(ctx, b, CreateOptions{})
		got := violations(t, err)
		for _, field := range []string{"building.footprint", "building.division_code", "building.use", "building.height_m", "building.owners[0]"} {
			if _, ok := got[field]; !ok {
				t.Errorf("violations %v do not name %s", got, field)
			}
		}
	})
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	t.Run("the registry assigns the id and computes the centroid; input is tidied", func(t *testing.T) {
		in := validBuilding(t, func(b *Building) {
			b.ID = "chosenbyclient01"
			b.Name = "  招宝山大厦 "
			b.HeightM, b.FloorAreaM2 = 68.504, 10800.2549
			id := strings.TrimPrefix(b.Owners[1], "persons/")
			b.Owners[1] = " persons/" + id[:17] + strings.ToLower(id[17:]) + " "
		})
		got := f.create(t, in)
		if CheckID(got.ID) != nil || got.ID == "chosenbyclient01" {
			t.Fatalf("id %q is not a fresh registry id", got.ID)
		}
		want := validBuilding(t)
		if got.Name != want.Name || got.HeightM != 68.5 || got.FloorAreaM2 != 10800.25 || !slices.Equal(got.Owners, want.Owners) {
			t.Fatalf("stored %q h=%v a=%v owners=%v", got.Name, got.HeightM, got.FloorAreaM2, got.Owners)
		}
		if c := got.Centroid; !got.Bound().Contains(c) || c == (orb.Point{}) {
			t.Fatalf("centroid %v is not inside the footprint's box %v", c, got.Bound())
		}
		if got.Revision != 1 || !got.CreateTime.Equal(testNow) || got.Version.Version != 1 {
			t.Fatalf("created revision %d at %v, version %+v", got.Revision, got.CreateTime, got.Version)
		}
		stored, err := f.svc.Get(ctx, got.ID, history.Point{})
		if err != nil || stored.Name != got.Name || !stored.Footprint.Equal(got.Footprint) || stored.Centroid != got.Centroid {
			t.Fatalf("Get = %+v, %v", stored, err)
		}
	})
	t.Run("history starts on the status date, else the year built, else now", func(t *testing.T) {
		bj := time.FixedZone("CST", 8*3600)
		for _, tt := range []struct {
			name   string
			mutate func(*Building)
			want   time.Time
		}{
			{"status date", func(*Building) {}, time.Date(1998, 10, 1, 0, 0, 0, 0, bj)},
			{"year built", func(b *Building) { b.StatusDate = "" }, time.Date(1998, 1, 1, 0, 0, 0, 0, bj)},
			{"now", func(b *Building) { b.StatusDate, b.YearBuilt = "", 0 }, testNow},
			{"today's status date in Beijing, still yesterday in UTC", func(b *Building) {
				b.Status, b.StatusDate = StatusVacant, "2025-06-15"
			}, time.Date(2025, 6, 15, 0, 0, 0, 0, bj)},
		} {
			got := f.create(t, validBuilding(t, tt.mutate))
			if !got.Version.ValidFrom.Equal(tt.want) {
				t.Errorf("%s: valid from %v, want %v", tt.name, got.Version.ValidFrom, tt.want)
			}
		}
	})
	t.Run("validate_only checks references, stores nothing and assigns no id", func(t *testing.T) {
		before := f.count(t)
		got, err := f.svc.Create(ctx, validBuilding(t), CreateOptions{ValidateOnly: true})
		if err != nil || got.ID != "" {
			t.Fatalf("validate_only = %v, %v; want the building without an id", got, err)
		}
		_, err = f.svc.Create(ctx, validBuilding(t, func(b *Building) { b.Address = "addresses/nope" }), CreateOptions{ValidateOnly: true})
		if _, ok := violations(t, err)["building.address"]; !ok {
			t.Fatalf("validate_only with an unknown address = %v", err)
		}
		if n := f.count(t); n != before {
			t.Fatalf("validate_only stored something: %d → %d buildings", before, n)
		}
	})
	t.Run("a registry that cannot answer fails the write, which stores nothing", func(t *testing.T) {
		before := f.count(t)
		f.refs.down = true
		defer func() { f.refs.down = false }()
		_, err := f.svc.Create(ctx, validBuilding(t), CreateOptions{})
		if !errors.Is(err, errs.ErrUnavailable) {
			t.Fatalf("Create with the registry down = %v, want ErrUnavailable", err)
		}
		if n := f.count(t); n != before {
			t.Fatalf("a write with unchecked references stored something")
		}
	})
}

// count is how many buildings the registry holds, retired ones included.
func (f *fixture) count(tb testing.TB) int {
	tb.Helper()
	n, tok := 0, ""
	for {
		p, err := f.svc.List(ctx, ListQuery{ShowRetired: true, PageSize: MaxListPageSize, PageToken: tok})
		if err != nil {
			tb.Fatalf("List: %v", err)
		}
		n += len(p.Buildings)
		if tok = p.NextPageToken; tok == "" {
			return n
		}
	}
}

func TestCreateMany(t *testing.T) {
	f := newFixture(t)
	t.Run("a batch is stored whole, each building with its own id and change", func(t *testing.T) {
		in := []*Building{validBuilding(t), validBuilding(t, func(b *Building) { b.Footprint = rect(50, 0, 20, 20) }), validBuilding(t, func(b *Building) { b.Name = "" })}
		got, err := f.svc.CreateMany(ctx, in, CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for i, b := range got {
			ids[b.ID] = true
			if b.Version.Sequence != int64(i+1) {
				t.Errorf("building %d written at sequence %d, want %d", i, b.Version.Sequence, i+1)
			}
			if _, err := f.svc.Get(ctx, b.ID, history.Point{}); err != nil {
				t.Errorf("Get(%s): %v", b.ID, err)
			}
		}
		if len(ids) != 3 {
			t.Fatalf("ids %v are not distinct", ids)
		}
	})
	t.Run("one invalid building refuses the batch, naming it by index", func(t *testing.T) {
		before := f.count(t)
		in := []*Building{validBuilding(t), validBuilding(t, func(b *Building) { b.Use = "" }), validBuilding(t, func(b *Building) { b.Address = "addresses/nope" })}
		_, err := f.svc.CreateMany(ctx, in, CreateOptions{})
		got := violations(t, err)
		if _, ok := got["requests[1].building.use"]; !ok {
			t.Errorf("violations %v do not name requests[1].building.use", got)
		}
		if _, ok := got["requests[2].building.address"]; !ok {
			t.Errorf("violations %v do not name requests[2].building.address", got)
		}
		if n := f.count(t); n != before {
			t.Fatalf("a refused batch stored %d buildings", n-before)
		}
	})
	t.Run("a reference shared by the batch is looked up once", func(t *testing.T) {
		f.refs.calls = map[string]int{}
		in := make([]*Building, 20)
		for i := range in {
			in[i] = validBuilding(t, func(b *Building) { b.Footprint = rect(float64(100+i*30), 0, 20, 20) })
		}
		if _, err := f.svc.CreateMany(ctx, in, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if n := f.refs.calls[addressName]; n != 1 {
			t.Fatalf("the shared address was looked up %d times, want once", n)
		}
	})
}
