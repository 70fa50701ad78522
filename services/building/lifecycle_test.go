package building_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
)

// atStatus returns a valid building with the given status (and what that
// status needs: no year for an unbuilt one, a date for a demolished one).
func atStatus(tb testing.TB, s Status) *Building {
	return validBuilding(tb, func(b *Building) {
		b.Status, b.StatusDate = s, "2020-03-01"
		if s == StatusPlanned || s == StatusUnderConstruction {
			b.YearBuilt, b.SafetyRating, b.SafetyAssessedOn = 0, "", ""
		}
	})
}

// moveTo returns the fields a status change to s sends.
func moveTo(s Status) *Building {
	b := &Building{Status: s, StatusDate: "2024-05-01"}
	if s != StatusPlanned && s != StatusUnderConstruction {
		b.YearBuilt = 2021
	}
	return b
}

func TestLifecycleTransitions(t *testing.T) {
	f := newFixture(t)
	allowed := map[[2]Status]bool{}
	for _, p := range [][2]Status{
		{StatusPlanned, StatusUnderConstruction},
		{StatusUnderConstruction, StatusInUse}, {StatusUnderConstruction, StatusVacant}, {StatusUnderConstruction, StatusDemolished},
		{StatusInUse, StatusUnderRenovation}, {StatusInUse, StatusVacant}, {StatusInUse, StatusDemolished},
		{StatusUnderRenovation, StatusInUse}, {StatusUnderRenovation, StatusVacant}, {StatusUnderRenovation, StatusDemolished},
		{StatusVacant, StatusInUse}, {StatusVacant, StatusUnderRenovation}, {StatusVacant, StatusDemolished},
	} {
		allowed[p] = true
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			if from == to {
				continue
			}
			verb := "is refused"
			if allowed[[2]Status{from, to}] {
				verb = "is recorded"
			}
			t.Run(fmt.Sprintf("a change from %s to %s %s", from, to, verb), func(t *testing.T) {
				b := f.create(t, atStatus(t, from))
				paths := []string{"status", "status_date", "year_built"}
				_, err := f.svc.Update(ctx, b.ID, moveTo(to), paths, UpdateOptions{})
				switch {
				case allowed[[2]Status{from, to}] && err != nil:
					t.Fatalf("Update = %v, want the change recorded", err)
				case !allowed[[2]Status{from, to}] && from == StatusDemolished:
					if !errors.Is(err, errs.ErrFailedPrecondition) {
						t.Fatalf("Update = %v, want FAILED_PRECONDITION: demolished is final", err)
					}
				case !allowed[[2]Status{from, to}]:
					if rs := violations(t, err)["building.status"]; len(rs) == 0 || !strings.Contains(rs[0], "cannot change from "+string(from)) {
						t.Fatalf("violations %v; want building.status refused", violations(t, err))
					}
				}
			})
		}
	}
}

func TestLifecycleRules(t *testing.T) {
	f := newFixture(t)
	t.Run("a demolished building keeps resolving with its history, and only a correction changes it", func(t *testing.T) {
		b := f.create(t, validBuilding(t))
		f.now = testNow.Add(time.Hour)
		gone, err := f.svc.Update(ctx, b.ID, &Building{Status: StatusDemolished, StatusDate: "2025-06-14"}, []string{"status", "status_date"}, UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if gone.Status != StatusDemolished || gone.Retired {
			t.Fatalf("after demolition: %s retired=%v", gone.Status, gone.Retired)
		}
		f.now = testNow.Add(2 * time.Hour)
		if _, err := f.svc.Update(ctx, b.ID, &Building{Name: "新名称"}, []string{"display_name"}, UpdateOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("a change of a demolished building = %v, want FAILED_PRECONDITION", err)
		}
		fixed, err := f.svc.Update(ctx, b.ID, &Building{Status: StatusInUse}, []string{"status", "status_date"}, UpdateOptions{Correction: true})
		if err != nil {
			t.Fatalf("a correction of a demolition recorded by mistake = %v", err)
		}
		if fixed.Status != StatusInUse {
			t.Fatalf("after the correction the status is %s", fixed.Status)
		}
		got, err := f.svc.Get(ctx, b.ID, history.Point{KnownAt: testNow.Add(90 * time.Minute)})
		if err != nil || got.Status != StatusDemolished {
			t.Fatalf("as known before the correction: %v, %v; want DEMOLISHED", got, err)
		}
		vs, _, err := f.svc.Versions(ctx, b.ID, 0, "")
		if err != nil || len(vs) < 3 {
			t.Fatalf("versions = %d, %v", len(vs), err)
		}
	})
	t.Run("a status date does not go back on a change of status", func(t *testing.T) {
		b := f.create(t, atStatus(t, StatusInUse))
		_, err := f.svc.Update(ctx, b.ID, &Building{Status: StatusVacant, StatusDate: "2019-01-01"}, []string{"status", "status_date"}, UpdateOptions{})
		if rs := violations(t, err)["building.status_date"]; len(rs) == 0 || !strings.Contains(rs[0], "before 2020-03-01") {
			t.Fatalf("violations = %v", violations(t, err))
		}
	})
	t.Run("a demolished building may be retired, and keeps resolving", func(t *testing.T) {
		b := f.create(t, atStatus(t, StatusDemolished))
		if _, err := f.svc.Delete(ctx, b.ID, DeleteOptions{}); err != nil {
			t.Fatalf("retiring a demolished building = %v", err)
		}
		got, err := f.svc.Get(ctx, b.ID, history.Point{})
		if err != nil || !got.Retired || got.Status != StatusDemolished {
			t.Fatalf("Get of a retired building = %v, %v; want it, retired", got, err)
		}
	})
	t.Run("a retired building is refused changes; corrections still amend what was recorded", func(t *testing.T) {
		b := f.create(t, atStatus(t, StatusInUse))
		if _, err := f.svc.Delete(ctx, b.ID, DeleteOptions{Revision: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Update(ctx, b.ID, &Building{Name: "x"}, []string{"display_name"}, UpdateOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("a change of a retired building = %v, want FAILED_PRECONDITION", err)
		}
		got, err := f.svc.Update(ctx, b.ID, &Building{Name: "更正"}, []string{"display_name"}, UpdateOptions{Correction: true})
		if err != nil || got.Name != "更正" || !got.Retired {
			t.Fatalf("a correction of a retired building = %v, %v; want it corrected and still retired", got, err)
		}
	})
}

func TestUpdate(t *testing.T) {
	f := newFixture(t)
	b := f.create(t, validBuilding(t))
	t.Run("only the masked fields change, and the centroid follows the footprint", func(t *testing.T) {
		in := &Building{Name: "ignored", Footprint: rect(100, 100, 10, 10), HeightM: 70}
		got, err := f.svc.Update(ctx, b.ID, in, []string{"footprint", "height_m"}, UpdateOptions{Revision: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != b.Name || got.HeightM != 70 || !got.Footprint.Equal(in.Footprint) || got.Revision != 2 {
			t.Fatalf("update = %q h=%v rev=%d", got.Name, got.HeightM, got.Revision)
		}
		if !got.Bound().Contains(got.Centroid) || got.Centroid == b.Centroid {
			t.Fatalf("centroid %v did not follow the footprint %v", got.Centroid, got.Bound())
		}
	})
	tests := []struct {
		name  string
		paths []string
		in    *Building
		o     UpdateOptions
		field string
		err   error
	}{
		{"an empty mask is refused", nil, &Building{}, UpdateOptions{}, "update_mask", errs.ErrInvalid},
		{"an unknown path is refused", []string{"colour"}, &Building{}, UpdateOptions{}, "update_mask", errs.ErrInvalid},
		{"a computed field cannot be set", []string{"centroid"}, &Building{}, UpdateOptions{}, "update_mask", errs.ErrInvalid},
		{"a stale etag is a conflict", []string{"display_name"}, &Building{Name: "x"}, UpdateOptions{Revision: 1}, "", errs.ErrConflict},
		{"an invalid value is refused naming the field", []string{"use"}, &Building{Use: "FARM"}, UpdateOptions{}, "building.use", errs.ErrInvalid},
		{"an added owner is checked", []string{"owners"}, &Building{Owners: []string{entityOwner(t, 7)}}, UpdateOptions{}, "building.owners[0]", errs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Update(ctx, b.ID, tt.in, tt.paths, tt.o)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Update = %v, want %v", err, tt.err)
			}
			if tt.field != "" {
				if _, ok := violations(t, err)[tt.field]; !ok {
					t.Fatalf("violations %v do not name %s", violations(t, err), tt.field)
				}
			}
		})
	}
	t.Run("references already held are not looked up again", func(t *testing.T) {
		f.refs.calls = map[string]int{}
		cur, _ := f.svc.Get(ctx, b.ID, history.Point{})
		owners := append(slices.Clone(cur.Owners), personOwner(t, 1))
		if _, err := f.svc.Update(ctx, b.ID, &Building{Owners: owners}, []string{"owners"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(f.refs.calls) != 1 || f.refs.calls[personOwner(t, 1)] != 1 {
			t.Fatalf("lookups %v, want only the added owner", f.refs.calls)
		}
		f.refs.down = true
		defer func() { f.refs.down = false }()
		if _, err := f.svc.Update(ctx, b.ID, &Building{HeightM: 72}, []string{"height_m"}, UpdateOptions{}); err != nil {
			t.Fatalf("an update adding no reference needs no registry, but failed: %v", err)
		}
	})
	t.Run("validate_only runs every rule and stores nothing", func(t *testing.T) {
		before, _ := f.svc.Get(ctx, b.ID, history.Point{})
		got, err := f.svc.Update(ctx, b.ID, &Building{Name: "试算"}, []string{"display_name"}, UpdateOptions{ValidateOnly: true})
		if err != nil || got.Name != "试算" {
			t.Fatalf("validate_only = %v, %v", got, err)
		}
		_, err = f.svc.Update(ctx, b.ID, &Building{Name: "试算"}, []string{"display_name"}, UpdateOptions{ValidateOnly: true, EffectiveFrom: testNow.Add(time.Hour)})
		if _, ok := violations(t, err)["effective_time"]; !ok {
			t.Fatalf("validate_only in the future = %v, want effective_time refused by the real write's rules", err)
		}
		after, _ := f.svc.Get(ctx, b.ID, history.Point{})
		if after.Name != before.Name || after.Revision != before.Revision {
			t.Fatalf("validate_only stored %q rev %d", after.Name, after.Revision)
		}
	})
}

func TestBulkReadsMaskOwnersIDNumbers(t *testing.T) {
	f := newFixture(t)
	b := f.create(t, validBuilding(t))
	full := personOwner(t, 0)
	id := strings.TrimPrefix(full, "persons/")
	want := "persons/" + id[:6] + "********" + id[14:]
	check := func(what string, got *Building) {
		t.Helper()
		if !slices.Contains(got.Owners, want) || slices.Contains(got.Owners, full) || !slices.Contains(got.Owners, entityOwner(t, 0)) {
			t.Errorf("%s owners = %v, want %s masked and the entity's code kept", what, got.Owners, full)
		}
	}
	got, err := f.svc.Get(ctx, b.ID, history.Point{})
	if err != nil || !slices.Contains(got.Owners, full) {
		t.Fatalf("Get owners = %v, %v; want the full ID number", got.Owners, err)
	}
	l, err := f.svc.List(ctx, ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	check("List", l.Buildings[0])
	w, err := f.svc.Within(ctx, WithinQuery{Area: BoxArea(b.Bound())})
	if err != nil || len(w.Buildings) != 1 {
		t.Fatalf("Within = %v, %v", w, err)
	}
	check("Within", w.Buildings[0])
	s, err := f.svc.Search(ctx, SearchQuery{Query: "招宝山"})
	if err != nil || len(s.Hits) != 1 {
		t.Fatalf("Search = %v, %v", s, err)
	}
	check("Search", s.Hits[0].Building)
	cs, _, err := f.svc.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("Changes", cs[0].Building)
	if _, err := f.svc.Export(ctx, 0, func(e *Building) error { check("Export", e); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delta(ctx, 0, 0, func(c Change) error { check("Delta", c.Building); return nil }); err != nil {
		t.Fatal(err)
	}
	byOwner, err := f.svc.List(ctx, ListQuery{Owner: full})
	if err != nil || len(byOwner.Buildings) != 1 {
		t.Fatalf("List by the owner's full name = %v, %v", byOwner, err)
	}
}

func TestAggregateRollsDivisionsUp(t *testing.T) {
	f := newFixture(t)
	for i, tt := range []struct {
		division string
		area     float64
	}{{"330211001000", 100.25}, {"330211001000", 50.5}, {"330211001001", 10}, {"330211002000", 7}, {"330211", 3}} {
		f.create(t, validBuilding(t, func(b *Building) {
			b.DivisionCode, b.FloorAreaM2, b.Footprint = tt.division, tt.area, rect(float64(i*50), 0, 20, 20)
		}))
	}
	for _, tt := range []struct {
		level int
		want  string
	}{
		{0, "330211:1:3 330211001000:2:150.75 330211001001:1:10 330211002000:1:7"},
		{4, "330211:1:3 330211001000:3:160.75 330211002000:1:7"},
		{3, "330211:5:170.75"},
		{1, "330000:5:170.75"},
	} {
		t.Run(fmt.Sprintf("rolled up to level %d", tt.level), func(t *testing.T) {
			ds, all, err := f.svc.Aggregate(ctx, AggregateQuery{RollupLevel: tt.level})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%s:%d:%v", d.DivisionCode, d.Count, d.FloorAreaM2()))
			}
			if strings.Join(got, " ") != tt.want || all.Count != 5 || all.FloorAreaM2() != 170.75 {
				t.Fatalf("Aggregate = %v, total %d / %v; want %s", got, all.Count, all.FloorAreaM2(), tt.want)
			}
		})
	}
	if _, _, err := f.svc.Aggregate(ctx, AggregateQuery{RollupLevel: 6}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("rollup level 6 = %v, want invalid", err)
	}
	ds, _, err := f.svc.Aggregate(ctx, AggregateQuery{Filter: "floor_area_m2 > 20"})
	if err != nil || len(ds) != 1 || ds[0].Count != 2 {
		t.Fatalf("filtered Aggregate = %v, %v", ds, err)
	}
}
