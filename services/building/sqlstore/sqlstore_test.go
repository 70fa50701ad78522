package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/building/buildinggen"
	"github.com/zhbase/zhbase/services/building/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema (storetest.Run). The store does not validate, but the
// buildings here come from the generator, whose output passes every rule
// (buildinggen's and the Service's tests check that), so the suite
// describes what the registry really holds.

var ctx = context.Background()

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// clocked opens the store with its record time at *now.
func clocked(tb testing.TB, db *store.DB, now *time.Time) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	s.Temporal().Now = func() time.Time { return *now }
	return s
}

var (
	addresses = buildinggen.SyntheticAddresses(5, 40)
	owners    = buildinggen.SyntheticOwners(5, 60)
)

// generate returns n generated buildings with ids that do not follow
// creation order, stamped as the Service would.
func generate(seed uint64, n int) []*building.Building {
	bs := buildinggen.Generate(seed, addresses, owners, n)
	for i, b := range bs {
		b.ID = fmt.Sprintf("t%03d%012d", seed%1000, (i*7919+13)%1000003)
		b.Centroid = building.Centroid(b.Footprint)
		b.CreateTime, b.UpdateTime, b.Revision = t0.Add(-time.Hour), t0.Add(time.Duration(i%17)*time.Minute), 1
	}
	return bs
}

func create(tb testing.TB, s *sqlstore.Store, bs ...*building.Building) {
	tb.Helper()
	for _, b := range bs {
		if err := s.Create(ctx, b, time.Time{}); err != nil {
			tb.Fatalf("Create(%s): %v", b.ID, err)
		}
	}
}

func createMany(tb testing.TB, s *sqlstore.Store, bs []*building.Building) {
	tb.Helper()
	news := make([]building.NewBuilding, len(bs))
	for i, b := range bs {
		news[i] = building.NewBuilding{Building: b}
	}
	if err := s.CreateMany(ctx, news); err != nil {
		tb.Fatalf("CreateMany: %v", err)
	}
}

func mustGet(tb testing.TB, s *sqlstore.Store, id string, at history.Point) *building.Building {
	tb.Helper()
	b, err := s.Get(ctx, id, at)
	if err != nil {
		tb.Fatalf("Get(%s, %v): %v", id, at, err)
	}
	return b
}

// sameDocument fails unless got holds want's document, wherever its
// version sits in time.
func sameDocument(tb testing.TB, got, want *building.Building) {
	tb.Helper()
	g, w := *got, *want
	g.Version, w.Version = history.Info{}, history.Info{}
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if string(gj) != string(wj) || g.Retired != w.Retired {
		tb.Fatalf("building differs\n got: %s retired=%v\nwant: %s retired=%v", gj, g.Retired, wj, w.Retired)
	}
}

func ids(bs []*building.Building) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func TestCreateAndGet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		b := everyField(t)
		create(t, s, b)
		t.Run("get returns every field exactly as created", func(t *testing.T) {
			got := mustGet(t, s, b.ID, history.Point{})
			sameDocument(t, got, b)
			if got.Version.Version != 1 || got.Version.Action != history.Created || got.Version.Sequence != 1 {
				t.Fatalf("version %+v", got.Version)
			}
		})
		t.Run("creating an id with history is ErrAlreadyExists and keeps the first", func(t *testing.T) {
			other := generate(2, 1)[0]
			other.ID = b.ID
			if err := s.Create(ctx, other, time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("second Create = %v, want ErrAlreadyExists", err)
			}
			sameDocument(t, mustGet(t, s, b.ID, history.Point{}), b)
		})
		t.Run("getting an unknown id is ErrNotFound naming it", func(t *testing.T) {
			_, err := s.Get(ctx, "zzzzzzzzzzzzzzzz", history.Point{})
			if !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "buildings/zzzzzzzzzzzzzzzz") {
				t.Fatalf("Get = %v, want ErrNotFound naming buildings/zzzzzzzzzzzzzzzz", err)
			}
		})
	})
}

// everyField returns a building with every stored field set, so that the
// round trip is blind to no field.
func everyField(tb testing.TB) *building.Building {
	tb.Helper()
	for _, b := range generate(1, 400) {
		if b.Name != "" && b.SafetyRating != "" && len(b.Owners) > 1 && b.FloorsBelow > 0 && b.StatusDate != "" && b.Structure != "" {
			b.Footprint = append(b.Footprint, courtyard(b.Footprint[0]))
			b.Centroid = building.Centroid(b.Footprint)
			if p := building.CheckPolygon(b.Footprint); len(p) > 0 {
				tb.Fatalf("fixture: %v", p)
			}
			v := reflect.ValueOf(*b)
			for i := 0; i < v.NumField(); i++ {
				if f := v.Type().Field(i); f.Tag.Get("json") != "-" && v.Field(i).IsZero() {
					tb.Fatalf("fixture leaves %s at its zero value", f.Name)
				}
			}
			return b
		}
	}
	tb.Fatal("the generator made no building with every field set")
	return nil
}

// courtyard is a small ring around the middle of a ring.
func courtyard(r orb.Ring) orb.Ring {
	c := r.Bound().Center()
	d := (r.Bound().Max[1] - r.Bound().Min[1]) / 10
	return orb.Ring{{c[0] - d, c[1] - d}, {c[0] - d, c[1] + d}, {c[0] + d, c[1] + d}, {c[0] + d, c[1] - d}, {c[0] - d, c[1] - d}}
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(3, 3)
		create(t, s, bs...)
		b := bs[0]
		t.Run("an update is stored, and the filter columns, owner and spatial indexes follow it", func(t *testing.T) {
			now = t0.Add(time.Hour)
			moved := orb.Polygon{{{121.51, 29.91}, {121.5102, 29.91}, {121.5102, 29.9102}, {121.51, 29.91}}}
			newOwner := owners[len(owners)-1].Name
			got, err := s.Update(ctx, b.ID, building.WriteOptions{}, func(cur *building.Building) error {
				sameDocument(t, cur, b)
				cur.Footprint, cur.Centroid = moved, building.Centroid(moved)
				cur.Use, cur.SafetyRating, cur.SafetyAssessedOn = building.UseMixed, building.RatingD, "2025-01-02"
				cur.Owners = []string{newOwner}
				cur.Revision++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Use != building.UseMixed || got.Revision != 2 || got.Version.Action != history.Updated {
				t.Fatalf("Update returned %+v", got)
			}
			l, err := s.List(ctx, building.ListQuery{Filter: "use = MIXED AND safety_rating = D", PageSize: 10})
			if err != nil || !slices.Contains(ids(l.Buildings), b.ID) {
				t.Errorf("List by the new use and rating = %v, %v", ids(l.Buildings), err)
			}
			l, err = s.List(ctx, building.ListQuery{Owner: newOwner, PageSize: 10})
			if err != nil || !slices.Equal(ids(l.Buildings), []string{b.ID}) {
				t.Errorf("List by the new owner = %v, %v", ids(l.Buildings), err)
			}
			if old := b.Owners[0]; old != newOwner {
				l, _ = s.List(ctx, building.ListQuery{Owner: old, PageSize: 10})
				if slices.Contains(ids(l.Buildings), b.ID) {
					t.Errorf("the former owner %s still lists the building", old)
				}
			}
			for _, tt := range []struct {
				area building.Area
				want bool
			}{{building.PolygonArea(moved), true}, {building.PolygonArea(b.Footprint), false}} {
				p, err := s.Within(ctx, building.WithinQuery{Area: tt.area, PageSize: 10})
				if err != nil || slices.Contains(ids(p.Buildings), b.ID) != tt.want {
					t.Errorf("Within %v = %v, %v; want the building %v", tt.area.Bound(), ids(p.Buildings), err, tt.want)
				}
			}
		})
		t.Run("an error from change is returned as is and leaves the building untouched", func(t *testing.T) {
			before := mustGet(t, s, bs[1].ID, history.Point{})
			boom := errors.New("boom")
			_, err := s.Update(ctx, bs[1].ID, building.WriteOptions{}, func(cur *building.Building) error {
				cur.Name, cur.Footprint = "不应保存", nil
				return boom
			})
			if err != boom {
				t.Fatalf("Update = %v, want the change function's error itself", err)
			}
			sameDocument(t, mustGet(t, s, bs[1].ID, history.Point{}), before)
		})
		t.Run("change may not alter the id", func(t *testing.T) {
			_, err := s.Update(ctx, bs[2].ID, building.WriteOptions{}, func(cur *building.Building) error { cur.ID = bs[1].ID; return nil })
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update = %v, want ErrFailedPrecondition", err)
			}
		})
		t.Run("updating an unknown id is ErrNotFound and never calls change", func(t *testing.T) {
			called := false
			_, err := s.Update(ctx, "zzzzzzzzzzzzzzzz", building.WriteOptions{}, func(*building.Building) error { called = true; return nil })
			if !errors.Is(err, errs.ErrNotFound) || called {
				t.Fatalf("Update = %v (called %v), want ErrNotFound without a call", err, called)
			}
		})
	})
}

func TestListFiltersOrderAndPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(4, 90)
		createMany(t, s, bs)
		filters := []struct {
			filter string
			keep   func(*building.Building) bool
		}{
			{"use = RESIDENTIAL", func(b *building.Building) bool { return b.Use == building.UseResidential }},
			{"use = BUILDING_USE_INDUSTRIAL OR use = COMMERCIAL", func(b *building.Building) bool {
				return b.Use == building.UseIndustrial || b.Use == building.UseCommercial
			}},
			{"safety_rating = D OR safety_rating = C", func(b *building.Building) bool { return b.SafetyRating == "D" || b.SafetyRating == "C" }},
			{"safety_rating = UNSPECIFIED", func(b *building.Building) bool { return b.SafetyRating == "" }},
			{"status != IN_USE", func(b *building.Building) bool { return b.Status != building.StatusInUse }},
			{"structure_type = STEEL", func(b *building.Building) bool { return b.Structure == building.StructureSteel }},
			{"division_code = 33021100*", func(b *building.Building) bool { return strings.HasPrefix(b.DivisionCode, "33021100") }},
			{`address = "` + bs[0].Address + `"`, func(b *building.Building) bool { return b.Address == bs[0].Address }},
			{"floors_above_ground >= 10 AND floors_below_ground > 0", func(b *building.Building) bool { return b.FloorsAbove >= 10 && b.FloorsBelow > 0 }},
			{"height_m < 12.5", func(b *building.Building) bool { return b.HeightM < 12.5 }},
			{"floor_area_m2 > 2000", func(b *building.Building) bool { return b.FloorAreaM2 > 2000 }},
			{"year_built >= 1990 AND year_built < 2000", func(b *building.Building) bool { return b.YearBuilt >= 1990 && b.YearBuilt < 2000 }},
			{"status_date >= 2020-01-01", func(b *building.Building) bool { return b.StatusDate >= "2020-01-01" }},
			{`display_name : "大厦"`, func(b *building.Building) bool { return strings.Contains(b.Name, "大厦") }},
		}
		for _, f := range filters {
			t.Run("filter "+f.filter, func(t *testing.T) {
				var want []string
				for _, b := range bs {
					if f.keep(b) {
						want = append(want, b.ID)
					}
				}
				slices.Sort(want)
				got := ids(listAll(t, s, building.ListQuery{Filter: f.filter, PageSize: 1000}))
				if !slices.Equal(got, want) {
					t.Fatalf("got %d buildings, want %d\n got %v\nwant %v", len(got), len(want), got, want)
				}
				if len(want) == 0 {
					t.Fatalf("the fixture leaves nothing for %q: a test that cannot fail", f.filter)
				}
			})
		}
		orders := []struct {
			by  string
			key func(*building.Building) string
		}{
			{"name", func(b *building.Building) string { return "" }},
			{"display_name", func(b *building.Building) string { return b.Name }},
			{"year_built", func(b *building.Building) string { return fmt.Sprintf("%08d", b.YearBuilt) }},
			{"height_m", func(b *building.Building) string { return fmt.Sprintf("%012.2f", b.HeightM) }},
			{"floor_area_m2", func(b *building.Building) string { return fmt.Sprintf("%015.2f", b.FloorAreaM2) }},
			{"floors_above_ground", func(b *building.Building) string { return fmt.Sprintf("%04d", b.FloorsAbove) }},
			{"update_time", func(b *building.Building) string { return b.UpdateTime.Format(time.RFC3339Nano) }},
		}
		for _, o := range orders {
			for _, desc := range []bool{false, true} {
				by := o.by
				if desc {
					by += " desc"
				}
				t.Run("order by "+by+" pages without overlap or gap", func(t *testing.T) {
					want := slices.Clone(bs)
					slices.SortFunc(want, func(a, b *building.Building) int {
						if c := strings.Compare(o.key(a), o.key(b)); c != 0 {
							return c
						}
						return strings.Compare(a.ID, b.ID)
					})
					if desc {
						slices.Reverse(want)
					}
					got := listAll(t, s, building.ListQuery{OrderBy: by, PageSize: 7})
					if !slices.Equal(ids(got), ids(want)) {
						t.Fatalf("order %s:\n got %v\nwant %v", by, ids(got), ids(want))
					}
				})
			}
		}
		for _, tt := range []struct {
			q     building.ListQuery
			field string
		}{
			{building.ListQuery{Filter: "colour = red", PageSize: 5}, "filter"},
			{building.ListQuery{Filter: "use = FARM", PageSize: 5}, "filter"},
			{building.ListQuery{OrderBy: "centroid", PageSize: 5}, "order_by"},
			{building.ListQuery{PageToken: "garbage", PageSize: 5}, "page_token"},
		} {
			t.Run("a bad "+tt.field+" is refused naming it", func(t *testing.T) {
				_, err := s.List(ctx, tt.q)
				var inv *errs.InvalidError
				if !errors.As(err, &inv) || inv.Violations[0].Field != tt.field {
					t.Fatalf("List = %v, want a violation of %s", err, tt.field)
				}
			})
		}
	})
}

func listAll(tb testing.TB, s *sqlstore.Store, q building.ListQuery) []*building.Building {
	tb.Helper()
	var out []*building.Building
	for {
		p, err := s.List(ctx, q)
		if err != nil {
			tb.Fatalf("List(%+v): %v", q, err)
		}
		out = append(out, p.Buildings...)
		if p.NextPageToken == "" {
			return out
		}
		q.PageToken = p.NextPageToken
	}
}

func TestOwnersAndAddresses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(6, 60)
		createMany(t, s, bs)
		owner := bs[0].Owners[0]
		var want []string
		for _, b := range bs {
			if slices.Contains(b.Owners, owner) {
				want = append(want, b.ID)
			}
		}
		slices.Sort(want)
		t.Run("List by owner finds every building of the owner, and no other", func(t *testing.T) {
			if got := ids(listAll(t, s, building.ListQuery{Owner: owner, PageSize: 2})); !slices.Equal(got, want) {
				t.Fatalf("by owner %s: %v, want %v", owner, got, want)
			}
		})
		now = t0.Add(time.Hour)
		if _, err := s.Update(ctx, bs[0].ID, building.WriteOptions{}, func(b *building.Building) error { b.Owners = nil; return nil }); err != nil {
			t.Fatal(err)
		}
		t.Run("an owner query at a past moment sees the owners then", func(t *testing.T) {
			if got := ids(listAll(t, s, building.ListQuery{Owner: owner, PageSize: 10, At: history.Point{KnownAt: t0.Add(time.Minute)}})); !slices.Equal(got, want) {
				t.Fatalf("by owner as known before the sale: %v, want %v", got, want)
			}
			now := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == bs[0].ID })
			if got := ids(listAll(t, s, building.ListQuery{Owner: owner, PageSize: 10})); !slices.Equal(got, now) {
				t.Fatalf("by owner now: %v, want %v", got, now)
			}
		})
		t.Run("an owner query matches whole names only", func(t *testing.T) {
			prefix := owner[:len(owner)-3]
			for _, at := range []history.Point{{}, {KnownAt: t0.Add(time.Minute)}} {
				if got := listAll(t, s, building.ListQuery{Owner: prefix, PageSize: 10, At: at}); len(got) != 0 {
					t.Fatalf("a part of an owner's name matched %v", ids(got))
				}
			}
		})
	})
}

func TestSearchByName(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(7, 5)
		bs[0].Name, bs[1].Name, bs[2].Name = "招宝山大厦", "招宝山公寓3幢", ""
		create(t, s, bs[:3]...)
		createMany(t, s, bs[3:])
		p, err := s.Search(ctx, building.SearchQuery{Query: "招宝山大厦", PageSize: 10})
		if err != nil || len(p.Hits) == 0 || p.Hits[0].Building.ID != bs[0].ID || p.Hits[0].Score != 1 {
			t.Fatalf("Search exact = %+v, %v", p.Hits, err)
		}
		p, err = s.Search(ctx, building.SearchQuery{Query: "招宝山", PageSize: 10})
		if err != nil || len(p.Hits) < 2 {
			t.Fatalf("Search 招宝山 = %d hits, %v", len(p.Hits), err)
		}
		if bs[3].Name != "" {
			p, err = s.Search(ctx, building.SearchQuery{Query: bs[3].Name, PageSize: 10})
			if err != nil || len(p.Hits) == 0 || p.Hits[0].Building.ID != bs[3].ID {
				t.Fatalf("a building loaded in bulk is not found by its name %q: %v", bs[3].Name, err)
			}
		}
		now = t0.Add(time.Hour)
		if _, err := s.Update(ctx, bs[0].ID, building.WriteOptions{}, func(b *building.Building) error { b.Name = "甬江大厦"; return nil }); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Search(ctx, building.SearchQuery{Query: "招宝山大厦", PageSize: 10})
		if len(p.Hits) > 0 && p.Hits[0].Building.ID == bs[0].ID {
			t.Fatalf("the former name still ranks first now")
		}
		p, _ = s.Search(ctx, building.SearchQuery{Query: "招宝山大厦", PageSize: 10, At: history.Point{KnownAt: t0.Add(time.Minute)}})
		if len(p.Hits) == 0 || p.Hits[0].Building.ID != bs[0].ID {
			t.Fatalf("a search at a past moment does not find the name then")
		}
	})
}

func TestHistoryAndRetirement(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		b := generate(8, 1)[0]
		if err := s.Create(ctx, b, t0.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(time.Hour)
		if _, err := s.Update(ctx, b.ID, building.WriteOptions{}, func(c *building.Building) error {
			c.Status, c.StatusDate = building.StatusDemolished, "2025-03-01"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(2 * time.Hour)
		if _, err := s.Update(ctx, b.ID, building.WriteOptions{Retire: true}, func(*building.Building) error { return nil }); err != nil {
			t.Fatal(err)
		}
		t.Run("a demolished, retired building resolves with its history", func(t *testing.T) {
			got := mustGet(t, s, b.ID, history.Point{})
			if !got.Retired || got.Status != building.StatusDemolished {
				t.Fatalf("now: retired=%v status=%s", got.Retired, got.Status)
			}
			then := mustGet(t, s, b.ID, history.Point{ValidAt: t0.Add(-time.Hour), KnownAt: t0.Add(30 * time.Minute)})
			if then.Retired || then.Status != b.Status {
				t.Fatalf("before: retired=%v status=%s, want %s", then.Retired, then.Status, b.Status)
			}
			h, err := s.History(ctx, b.ID)
			if err != nil || len(h) < 3 {
				t.Fatalf("History = %d versions, %v", len(h), err)
			}
		})
		t.Run("retired buildings are left out of reads unless asked for", func(t *testing.T) {
			area := building.PolygonArea(b.Footprint)
			for _, show := range []bool{false, true} {
				l, err := s.List(ctx, building.ListQuery{PageSize: 10, ShowRetired: show})
				w, werr := s.Within(ctx, building.WithinQuery{Area: area, PageSize: 10, ShowRetired: show})
				ws, serr := s.WithinScan(ctx, building.WithinQuery{Area: area, PageSize: 10, ShowRetired: show})
				if err != nil || werr != nil || serr != nil || len(l.Buildings) != len(w.Buildings) || len(w.Buildings) != len(ws.Buildings) ||
					(len(l.Buildings) == 1) != show {
					t.Fatalf("show_retired=%v: List %d, Within %d, scan %d (%v %v %v)", show, len(l.Buildings), len(w.Buildings), len(ws.Buildings), err, werr, serr)
				}
			}
			ds, err := s.Aggregate(ctx, building.AggregateQuery{})
			if err != nil || len(ds) != 0 {
				t.Fatalf("Aggregate counts the retired building: %v, %v", ds, err)
			}
		})
	})
}

func TestFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(9, 4)
		create(t, s, bs[0])       // 1
		createMany(t, s, bs[1:3]) // 2, 3
		now = t0.Add(time.Hour)
		if _, err := s.Update(ctx, bs[0].ID, building.WriteOptions{}, func(b *building.Building) error { b.HeightM += 3; return nil }); err != nil { // 4
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, bs[1].ID, building.WriteOptions{Retire: true}, func(*building.Building) error { return nil }); err != nil { // 5
			t.Fatal(err)
		}
		t.Run("Changes carries each change with the building after it, unmasked, and the head", func(t *testing.T) {
			cs, head, err := s.Changes(ctx, 0, 10)
			if err != nil || head != 5 || len(cs) != 5 {
				t.Fatalf("Changes = %d, head %d, %v", len(cs), head, err)
			}
			want := []struct {
				id      string
				action  history.Action
				retired bool
			}{{bs[0].ID, history.Created, false}, {bs[1].ID, history.Created, false}, {bs[2].ID, history.Created, false},
				{bs[0].ID, history.Updated, false}, {bs[1].ID, history.Retired, true}}
			for i, c := range cs {
				if c.Sequence != int64(i+1) || c.ID != want[i].id || c.Action != want[i].action || c.Building.Retired != want[i].retired ||
					c.Building.ID != c.ID || c.Version.Sequence != c.Sequence {
					t.Errorf("change %d = %d %s %s retired=%v", i, c.Sequence, c.ID, c.Action, c.Building.Retired)
				}
			}
			if !slices.Equal(cs[1].Building.Owners, bs[1].Owners) {
				t.Errorf("the store masked owners: masking is the Service's")
			}
		})
		t.Run("Export at 0 uses the head and includes retired buildings", func(t *testing.T) {
			got := map[string]*building.Building{}
			seq, err := s.Export(ctx, 0, func(b *building.Building) error { got[b.ID] = b; return nil })
			if err != nil || seq != 5 || len(got) != 3 || !got[bs[1].ID].Retired || got[bs[0].ID].HeightM != bs[0].HeightM+3 {
				t.Fatalf("Export = %d, %d buildings, %v", seq, len(got), err)
			}
			seq, err = s.Export(ctx, 3, func(b *building.Building) error { got[b.ID] = b; return nil })
			if err != nil || seq != 3 || got[bs[0].ID].HeightM != bs[0].HeightM || got[bs[1].ID].Retired {
				t.Fatalf("Export at 3 does not show the state then")
			}
		})
		t.Run("Delta gives the last change of each building changed in the range", func(t *testing.T) {
			var got []int64
			if err := s.Delta(ctx, 1, 0, func(c building.Change) error { got = append(got, c.Sequence); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []int64{3, 4, 5}) {
				t.Fatalf("Delta(1, head) = %v, want [3 4 5]", got)
			}
		})
		t.Run("Watch replays, then follows writes, bulk ones included", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan int64, 16)
			done := make(chan error, 1)
			go func() {
				done <- s.Watch(wctx, 3, func(cs []building.Change) error {
					for _, c := range cs {
						got <- c.Sequence
					}
					return nil
				})
			}()
			next := func() int64 {
				select {
				case n := <-got:
					return n
				case <-wctx.Done():
					t.Fatal("Watch delivered nothing in time")
					return 0
				}
			}
			if a, b := next(), next(); a != 4 || b != 5 {
				t.Fatalf("replayed %d, %d; want 4, 5", a, b)
			}
			createMany(t, s, bs[3:4])
			if n := next(); n != 6 {
				t.Fatalf("followed %d, want 6", n)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch ended with %v", err)
			}
		})
	})
}

func TestCreateManyWritesWhatCreateWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		one, many := generate(10, 1)[0], generate(10, 1)[0]
		many.ID = "m" + one.ID[1:]
		from := t0.Add(-48 * time.Hour)
		if err := s.Create(ctx, one, from); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMany(ctx, []building.NewBuilding{{Building: many, EffectiveFrom: from}}); err != nil {
			t.Fatal(err)
		}
		t.Run("the same version, change and indexes", func(t *testing.T) {
			a, b := mustGet(t, s, one.ID, history.Point{}), mustGet(t, s, many.ID, history.Point{})
			b.ID = one.ID
			sameDocument(t, b, a)
			if a.Version.Sequence != 1 || b.Version.Sequence != 2 {
				t.Fatalf("sequences %d, %d", a.Version.Sequence, b.Version.Sequence)
			}
			a.Version.Sequence, b.Version.Sequence = 0, 0
			if a.Version != b.Version || many.Version.Sequence != 2 || many.Version.ValidFrom != from {
				t.Fatalf("versions differ: Create %+v, CreateMany %+v (returned %+v)", a.Version, b.Version, many.Version)
			}
			cs, _, _ := s.Changes(ctx, 0, 10)
			if len(cs) != 2 || cs[0].Version.ValidFrom != cs[1].Version.ValidFrom || cs[0].Action != cs[1].Action {
				t.Fatalf("changes differ: %+v", cs)
			}
			w, err := s.Within(ctx, building.WithinQuery{Area: building.PolygonArea(one.Footprint), PageSize: 10})
			if err != nil || len(w.Buildings) != 2 {
				t.Fatalf("Within finds %v, %v; want both", ids(w.Buildings), err)
			}
			if len(one.Owners) > 0 {
				l, _ := s.List(ctx, building.ListQuery{Owner: one.Owners[0], PageSize: 10})
				if len(l.Buildings) != 2 {
					t.Fatalf("List by owner finds %v, want both", ids(l.Buildings))
				}
			}
		})
		t.Run("a later update of a bulk-loaded building works as for any other", func(t *testing.T) {
			now = t0.Add(time.Hour)
			got, err := s.Update(ctx, many.ID, building.WriteOptions{}, func(b *building.Building) error { b.Name = "后改名"; return nil })
			if err != nil || got.Version.Version != 3 {
				t.Fatalf("Update = %+v, %v", got, err)
			}
		})
		t.Run("a batch holding a taken id stores nothing and takes no sequence", func(t *testing.T) {
			_, head, _ := s.Changes(ctx, 0, 1)
			fresh := generate(11, 3)
			fresh[2].ID = one.ID
			news := []building.NewBuilding{{Building: fresh[0]}, {Building: fresh[1]}, {Building: fresh[2]}}
			if err := s.CreateMany(ctx, news); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("CreateMany = %v, want ErrAlreadyExists", err)
			}
			if _, after, _ := s.Changes(ctx, 0, 1); after != head {
				t.Fatalf("the refused batch moved the head from %d to %d", head, after)
			}
			if _, err := s.Get(ctx, fresh[0].ID, history.Point{}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("a building of the refused batch was stored: %v", err)
			}
		})
		t.Run("an effect time in the future is refused", func(t *testing.T) {
			b := generate(12, 1)[0]
			err := s.CreateMany(ctx, []building.NewBuilding{{Building: b, EffectiveFrom: now.Add(time.Minute)}})
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "effective_time" {
				t.Fatalf("CreateMany in the future = %v", err)
			}
		})
	})
}

func TestAggregateIsExact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(13, 300)
		createMany(t, s, bs)
		want := map[string]building.DivisionTotal{}
		for _, b := range bs {
			if b.Use != building.UseResidential {
				continue
			}
			d := want[b.DivisionCode]
			d.DivisionCode = b.DivisionCode
			d.Count++
			d.FloorAreaCenti += int64(b.FloorAreaM2*100 + 0.5)
			want[b.DivisionCode] = d
		}
		got, err := s.Aggregate(ctx, building.AggregateQuery{Filter: "use = RESIDENTIAL"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) < 3 {
			t.Fatalf("Aggregate = %d divisions, want %d", len(got), len(want))
		}
		for i, d := range got {
			if d != want[d.DivisionCode] || (i > 0 && got[i-1].DivisionCode >= d.DivisionCode) {
				t.Fatalf("division %s = %+v, want %+v (in code order)", d.DivisionCode, d, want[d.DivisionCode])
			}
		}
	})
}

// TestSpatialIndexAgreesWithBruteForce compares, on a few thousand
// generated buildings, the answers of the spatial index (R*Tree on SQLite,
// GiST on PostgreSQL) and of the store's full scan with an exact test of
// every building in Go, for random boxes and polygons, both relations,
// page by page — before and after footprints move and buildings retire,
// and at a past moment.
func TestSpatialIndexAgreesWithBruteForce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := t0
		s := clocked(t, db, &now)
		bs := generate(14, 3000)
		createMany(t, s, bs[:2000])
		create(t, s, bs[2000:2100]...) // the single-write path keeps the index too
		createMany(t, s, bs[2100:])
		original := cloneAll(bs)
		r := rand.New(rand.NewPCG(14, 14))
		check := func(t *testing.T, current []*building.Building, at history.Point, queries int) {
			t.Helper()
			nonEmpty := 0
			for q := 0; q < queries; q++ {
				area := randomArea(r, current)
				for _, rel := range []building.Relation{building.Intersects, building.Within} {
					for _, filter := range []string{"", "use = RESIDENTIAL"} {
						var want []string
						for _, b := range current {
							if !b.Retired && (filter == "" || b.Use == building.UseResidential) && area.Matches(b.Footprint, rel) {
								want = append(want, b.ID)
							}
						}
						slices.Sort(want)
						q := building.WithinQuery{Area: area, Relation: rel, Filter: filter, PageSize: 1 + r.IntN(9), At: at}
						indexed := withinAll(t, s.Within, q)
						scanned := withinAll(t, s.WithinScan, q)
						if !slices.Equal(indexed, want) || !slices.Equal(scanned, want) {
							t.Fatalf("%s %v (%s, filter %q):\nindexed %v\nscanned %v\n   want %v", rel, area.Bound(), kind(area), filter, indexed, scanned, want)
						}
						if len(want) > 0 {
							nonEmpty++
						}
					}
				}
			}
			if nonEmpty < queries/2 {
				t.Fatalf("only %d of %d queries found anything: the test is too weak to fail", nonEmpty, 4*queries)
			}
		}
		t.Run("as loaded", func(t *testing.T) { check(t, bs, history.Point{}, 40) })

		now = t0.Add(time.Hour)
		for i := 0; i < 300; i++ {
			b := bs[r.IntN(len(bs))]
			if b.Retired {
				continue
			}
			var err error
			if i%5 == 0 {
				_, err = s.Update(ctx, b.ID, building.WriteOptions{Retire: true}, func(*building.Building) error { return nil })
				b.Retired = true
			} else {
				moved := shift(b.Footprint, (r.Float64()-0.5)*0.002, (r.Float64()-0.5)*0.002)
				_, err = s.Update(ctx, b.ID, building.WriteOptions{}, func(c *building.Building) error {
					c.Footprint, c.Centroid = moved, building.Centroid(moved)
					return nil
				})
				b.Footprint = moved
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Run("after footprints moved and buildings retired", func(t *testing.T) { check(t, bs, history.Point{}, 40) })
		t.Run("at a past moment, by scan", func(t *testing.T) { check(t, original, history.Point{KnownAt: t0.Add(30 * time.Minute)}, 15) })
	})
}

func cloneAll(bs []*building.Building) []*building.Building {
	out := make([]*building.Building, len(bs))
	for i, b := range bs {
		out[i] = b.Clone()
	}
	return out
}

func shift(p orb.Polygon, dx, dy float64) orb.Polygon {
	out := p.Clone()
	for _, r := range out {
		for i := range r {
			r[i][0] += dx
			r[i][1] += dy
		}
	}
	return out
}

func kind(a building.Area) string {
	if len(a.Polygon[0]) == 5 {
		return "box or quadrilateral"
	}
	return "polygon"
}

// randomArea is a box or a star-shaped polygon (simple by construction)
// around a random building, from a few metres to a few hundred across.
func randomArea(r *rand.Rand, bs []*building.Building) building.Area {
	c := bs[r.IntN(len(bs))].Centroid
	size := 0.00005 + r.Float64()*0.004
	if r.IntN(2) == 0 {
		w, h := size*r.Float64(), size*r.Float64()
		x, y := c[0]-w*r.Float64(), c[1]-h*r.Float64()
		return building.BoxArea(orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}})
	}
	n := 3 + r.IntN(9)
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = r.Float64() * 2 * math.Pi
	}
	slices.Sort(angles)
	ring := make(orb.Ring, 0, n+1)
	for _, a := range angles {
		rad := size * (0.2 + r.Float64())
		ring = append(ring, orb.Point{c[0] + rad*math.Cos(a), c[1] + rad*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	p := orb.Polygon{ring}
	if len(building.CheckPolygon(p)) > 0 {
		return randomArea(r, bs)
	}
	return building.PolygonArea(p)
}

func withinAll(tb testing.TB, find func(context.Context, building.WithinQuery) (building.Page, error), q building.WithinQuery) []string {
	tb.Helper()
	var out []string
	for {
		p, err := find(ctx, q)
		if err != nil {
			tb.Fatalf("within: %v", err)
		}
		if len(p.Buildings) > q.PageSize {
			tb.Fatalf("a page of %d for page size %d", len(p.Buildings), q.PageSize)
		}
		out = append(out, ids(p.Buildings)...)
		if p.NextPageToken == "" {
			return out
		}
		q.PageToken = p.NextPageToken
	}
}
