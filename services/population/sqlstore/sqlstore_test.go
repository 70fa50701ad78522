package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/population"
	"github.com/zhbase/zhbase/services/population/internal/fixture"
	"github.com/zhbase/zhbase/services/population/sqlstore"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema (storetest.Run). The store does not validate, but the
// records built here are valid anyway, so that the suite describes what the
// registry really holds.

var ctx = context.Background()

var baseTime = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// clocked is a store whose record time the test moves.
type clocked struct {
	*sqlstore.Store
	now time.Time
}

func open(tb testing.TB, db *store.DB) *clocked {
	tb.Helper()
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	c := &clocked{Store: s, now: baseTime}
	s.SetClock(func() time.Time { return c.now })
	return c
}

func (c *clocked) tick(d time.Duration) { c.now = c.now.Add(d) }

func (c *clocked) household(tb testing.TB, id string, mutate ...func(*population.Household)) *population.Household {
	tb.Helper()
	h := fixture.Household(id, fixture.Address(len(id)%5))
	h.CreateTime, h.UpdateTime, h.Revision = c.now, c.now, 1
	for _, m := range mutate {
		m(h)
	}
	if err := c.CreateHousehold(ctx, h, time.Time{}); err != nil {
		tb.Fatalf("CreateHousehold(%s): %v", id, err)
	}
	return h
}

// person builds fixture person i of household id (not stored).
func person(tb testing.TB, i int, household string, r population.Relation, mutate ...func(*population.Person)) *population.Person {
	tb.Helper()
	p := fixture.Person(tb, i, population.HouseholdName(household), r)
	p.UID = fmt.Sprintf("uid-%03d", i)
	p.CreateTime, p.UpdateTime, p.Revision = baseTime, baseTime.Add(time.Duration(i%30)*time.Minute), 1
	for _, m := range mutate {
		m(p)
	}
	return p
}

func (c *clocked) create(tb testing.TB, ps ...*population.Person) {
	tb.Helper()
	for _, p := range ps {
		if err := c.CreatePerson(ctx, p, time.Time{}); err != nil {
			tb.Fatalf("CreatePerson(%s): %v", p.UID, err)
		}
	}
}

func (c *clocked) get(tb testing.TB, id string, at history.Point) *population.Person {
	tb.Helper()
	p, err := c.GetPerson(ctx, id, at)
	if err != nil {
		tb.Fatalf("GetPerson(%s, %v): %v", id, at, err)
	}
	return p
}

func (c *clocked) update(tb testing.TB, id string, change func(*population.Person)) *population.Person {
	tb.Helper()
	p, err := c.UpdatePerson(ctx, id, population.WriteOptions{}, func(p *population.Person) error {
		change(p)
		p.Revision++
		return nil
	})
	if err != nil {
		tb.Fatalf("UpdatePerson(%s): %v", id, err)
	}
	return p
}

// document is the stored part of a person: what a write must round-trip.
func document(tb testing.TB, p *population.Person) string {
	tb.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func uids(ps []*population.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.UID
	}
	return out
}

func TestCreateAndGet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		p := person(t, 7, "h1", population.RelationHead)
		s.create(t, p)
		t.Run("get returns every stored field exactly as created", func(t *testing.T) {
			got := s.get(t, p.IDNumber, history.Point{})
			if document(t, got) != document(t, p) {
				t.Fatalf("got  %s\nwant %s", document(t, got), document(t, p))
			}
			if got.Retired || got.RedirectedFrom != "" || got.Version.Version != 1 || got.Version.Action != history.Created || !got.Version.ValidFrom.Equal(baseTime) {
				t.Fatalf("read facts: %+v", got)
			}
		})
		t.Run("creating a number that is taken is ErrAlreadyExists and keeps the first", func(t *testing.T) {
			again := person(t, 7, "h1", population.RelationSon, func(p *population.Person) { p.Name = "别人" })
			if err := s.CreatePerson(ctx, again, time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("Create = %v", err)
			}
			if got := s.get(t, p.IDNumber, history.Point{}); got.Name != p.Name {
				t.Fatalf("the first record changed to %s", got.Name)
			}
		})
		t.Run("getting an unknown number is ErrNotFound", func(t *testing.T) {
			if _, err := s.GetPerson(ctx, fixture.IDNumber(t, "1999-09-09", 9), history.Point{}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Get = %v", err)
			}
		})
		t.Run("a household round-trips and carries its head", func(t *testing.T) {
			h, err := s.GetHousehold(ctx, "h1", history.Point{})
			if err != nil {
				t.Fatal(err)
			}
			if h.ID != "h1" || h.Type != population.HouseholdFamily || h.Head != p.IDNumber || h.Version.Action != history.Created {
				t.Fatalf("household %+v", h)
			}
			if err := s.CreateHousehold(ctx, fixture.Household("h1", fixture.Address(1)), time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("CreateHousehold of a taken id = %v", err)
			}
			if _, err := s.GetHousehold(ctx, "h9", history.Point{}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("GetHousehold of an unknown id = %v", err)
			}
		})
	})
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		p := person(t, 7, "h1", population.RelationHead)
		s.create(t, p)
		s.tick(time.Hour)
		t.Run("the changed person is stored and returned, and List sees the change", func(t *testing.T) {
			out := s.update(t, p.IDNumber, func(p *population.Person) { p.Name = "王小明" })
			if out.Name != "王小明" || out.Revision != 2 || out.Version.Action != history.Updated {
				t.Fatalf("update returned %+v", out)
			}
			list, err := s.ListPersons(ctx, population.ListQuery{PageSize: 10})
			if err != nil || len(list.Persons) != 1 || list.Persons[0].Name != "王小明" {
				t.Fatalf("List = %v, %v", list.Persons, err)
			}
		})
		t.Run("an error from change is returned as is and leaves the record untouched", func(t *testing.T) {
			boom := errors.New("boom")
			_, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{}, func(p *population.Person) error {
				p.Name = "不该存"
				return boom
			})
			if err != boom {
				t.Fatalf("Update = %v", err)
			}
			if s.get(t, p.IDNumber, history.Point{}).Name != "王小明" {
				t.Fatal("the failed change was stored")
			}
		})
		t.Run("change may not alter the ID number", func(t *testing.T) {
			_, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{}, func(p *population.Person) error {
				p.IDNumber = fixture.IDNumber(t, "1999-09-09", 9)
				return nil
			})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update = %v", err)
			}
		})
		t.Run("updating an unknown number is ErrNotFound and never calls change", func(t *testing.T) {
			_, err := s.UpdatePerson(ctx, fixture.IDNumber(t, "1999-09-09", 9), population.WriteOptions{}, func(*population.Person) error {
				t.Fatal("change called")
				return nil
			})
			if !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Update = %v", err)
			}
		})
		t.Run("concurrent updates lose none", func(t *testing.T) {
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 5; i++ {
						if _, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{}, func(p *population.Person) error {
							p.Revision++
							return nil
						}); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if got := s.get(t, p.IDNumber, history.Point{}).Revision; got != 42 {
				t.Fatalf("revision %d after 40 concurrent increments from 2", got)
			}
		})
	})
}

// TestIntegrity is the registry's invariants as the store keeps them
// inside each write's transaction, whatever the caller checked before.
func TestIntegrity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		s.household(t, "h2")
		head := person(t, 1, "h1", population.RelationHead)
		s.create(t, head)
		refused := func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("err = %v, want ErrFailedPrecondition", err)
			}
		}
		t.Run("an active person in a household that does not exist is refused, and not stored", func(t *testing.T) {
			p := person(t, 2, "nope", population.RelationHead)
			refused(t, s.CreatePerson(ctx, p, time.Time{}))
			if _, err := s.GetPerson(ctx, p.IDNumber, history.Point{}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("stored anyway: %v", err)
			}
		})
		t.Run("a person who moved out may refer to any household", func(t *testing.T) {
			s.create(t, person(t, 3, "nope", population.RelationSon, func(p *population.Person) {
				p.Status, p.StatusDate = population.StatusMovedOut, "2020-01-01"
			}))
		})
		t.Run("a second active head is refused", func(t *testing.T) {
			refused(t, s.CreatePerson(ctx, person(t, 4, "h1", population.RelationHead), time.Time{}))
			spouse := person(t, 5, "h1", population.RelationSpouse)
			s.create(t, spouse)
			_, err := s.UpdatePerson(ctx, spouse.IDNumber, population.WriteOptions{}, func(p *population.Person) error {
				p.Relation = population.RelationHead
				return nil
			})
			refused(t, err)
		})
		t.Run("a head who died makes room for a new one", func(t *testing.T) {
			s.update(t, head.IDNumber, func(p *population.Person) { p.Status, p.StatusDate = population.StatusDeceased, "2025-02-01" })
			s.create(t, person(t, 6, "h1", population.RelationHead))
		})
		t.Run("of two concurrent heads of one household, exactly one is stored", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.CreatePerson(ctx, person(t, 10+i, "h2", population.RelationHead), time.Time{})
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("both or neither stored: %v, %v", errs[0], errs[1])
			}
		})
		t.Run("a household with an active member cannot be retired", func(t *testing.T) {
			_, err := s.UpdateHousehold(ctx, "h2", population.WriteOptions{Retire: true}, func(*population.Household) error { return nil })
			refused(t, err)
			if h, _ := s.GetHousehold(ctx, "h2", history.Point{}); h.Retired {
				t.Fatal("retired anyway")
			}
		})
		t.Run("once its members left it can, and nobody active can join it", func(t *testing.T) {
			ms, err := s.ListMembers(ctx, population.MembersQuery{Household: "households/h2", PageSize: 10})
			if err != nil || len(ms.Persons) != 1 {
				t.Fatalf("members %v, %v", ms.Persons, err)
			}
			s.update(t, ms.Persons[0].IDNumber, func(p *population.Person) { p.Household = "households/h1"; p.Relation = population.RelationOther })
			if _, err := s.UpdateHousehold(ctx, "h2", population.WriteOptions{Retire: true}, func(*population.Household) error { return nil }); err != nil {
				t.Fatal(err)
			}
			refused(t, s.CreatePerson(ctx, person(t, 20, "h2", population.RelationSon), time.Time{}))
		})
		t.Run("a former member of a retired household can still be written", func(t *testing.T) {
			s.household(t, "h3")
			p := person(t, 21, "h3", population.RelationHead)
			s.create(t, p)
			s.update(t, p.IDNumber, func(p *population.Person) { p.Status, p.StatusDate = population.StatusDeceased, "2025-02-01" })
			if _, err := s.UpdateHousehold(ctx, "h3", population.WriteOptions{Retire: true}, func(*population.Household) error { return nil }); err != nil {
				t.Fatal(err)
			}
			s.update(t, p.IDNumber, func(p *population.Person) { p.StatusDate = "2025-01-31" })
		})
	})
}

// listFixture stores 60 persons in households h0…h5 (i%6), with ties in
// birth date (every 40th) and update time (every 30th).
func listFixture(tb testing.TB, s *clocked) []*population.Person {
	tb.Helper()
	for h := 0; h < 6; h++ {
		s.household(tb, fmt.Sprintf("h%d", h), func(hh *population.Household) {
			if h == 5 {
				hh.Type = population.HouseholdCollective
			}
		})
	}
	var ps []*population.Person
	for i := 0; i < 60; i++ {
		r := population.RelationOther
		switch {
		case i < 6:
			r = population.RelationHead
		case i%5 == 1:
			r = population.RelationSpouse
		case i%5 == 2:
			r = population.RelationSon
		}
		p := person(tb, i, fmt.Sprintf("h%d", i%6), r, func(p *population.Person) {
			switch i % 10 {
			case 8:
				p.Status, p.StatusDate = population.StatusMovedOut, "2021-05-06"
			case 9:
				p.Status, p.StatusDate = population.StatusDeceased, "2022-08-15"
			}
			if i%3 == 0 {
				p.Education = population.EducationUndergraduate
			}
		})
		ps = append(ps, p)
	}
	s.create(tb, ps...)
	return ps
}

func listAll(tb testing.TB, s *clocked, q population.ListQuery) []*population.Person {
	tb.Helper()
	var out []*population.Person
	for pages := 0; ; pages++ {
		p, err := s.ListPersons(ctx, q)
		if err != nil {
			tb.Fatalf("List(%+v): %v", q, err)
		}
		if len(p.Persons) > q.PageSize {
			tb.Fatalf("page of %d, asked for %d", len(p.Persons), q.PageSize)
		}
		out = append(out, p.Persons...)
		if p.NextPageToken == "" {
			return out
		}
		if pages > 100 {
			tb.Fatal("endless pages")
		}
		q.PageToken = p.NextPageToken
	}
}

func TestListPersons(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		ps := listFixture(t, s)
		byID := slices.Clone(ps)
		slices.SortFunc(byID, func(a, b *population.Person) int { return cmpStr(a.IDNumber, b.IDNumber) })

		t.Run("page_size 7 returns every person exactly once, in ID number order", func(t *testing.T) {
			got := listAll(t, s, population.ListQuery{PageSize: 7})
			if !slices.Equal(uids(got), uids(byID)) {
				t.Fatalf("got %v\nwant %v", uids(got), uids(byID))
			}
		})
		where := func(keep func(*population.Person) bool) []string {
			var out []string
			for _, p := range byID {
				if keep(p) {
					out = append(out, p.UID)
				}
			}
			return out
		}
		filters := []struct {
			name, filter string
			keep         func(*population.Person) bool
		}{
			{"by status", "status = DECEASED", func(p *population.Person) bool { return p.Status == population.StatusDeceased }},
			{"by status in its proto spelling", "status = PERSON_STATUS_MOVED_OUT", func(p *population.Person) bool { return p.Status == population.StatusMovedOut }},
			{"by sex", "sex = MALE", func(p *population.Person) bool { return p.Sex == population.SexMale }},
			{"by household", `household = "households/h2"`, func(p *population.Person) bool { return p.Household == "households/h2" }},
			{"by relation", "relation = RELATION_SPOUSE", func(p *population.Person) bool { return p.Relation == population.RelationSpouse }},
			{"by registered address", `registered_address = "` + fixture.Address(3) + `"`, func(p *population.Person) bool { return p.RegisteredAddress == fixture.Address(3) }},
			{"by residence address", `residence_address = "` + fixture.Address(3) + `"`, func(p *population.Person) bool { return p.ResidenceAddress == fixture.Address(3) }},
			{"by either address", `registered_address = "` + fixture.Address(3) + `" OR residence_address = "` + fixture.Address(3) + `"`,
				func(p *population.Person) bool {
					return p.RegisteredAddress == fixture.Address(3) || p.ResidenceAddress == fixture.Address(3)
				}},
			{"by birth date range", `birth_date >= "1980-01-01" AND birth_date < "1990-01-01"`,
				func(p *population.Person) bool { return p.BirthDate >= "1980-01-01" && p.BirthDate < "1990-01-01" }},
			{"by education", "education = UNDERGRADUATE", func(p *population.Person) bool { return p.Education == population.EducationUndergraduate }},
			{"by ethnicity", `ethnicity = "01"`, func(p *population.Person) bool { return p.Ethnicity == "01" }},
			{"by ID number prefix", `id_number = "33021119*"`, func(p *population.Person) bool { return p.IDNumber[:8] == "33021119" }},
			{"by name prefix", `display_name = "王*"`, func(p *population.Person) bool { return []rune(p.Name)[0] == '王' }},
			{"by a negation", `NOT status = ACTIVE AND sex = FEMALE`, func(p *population.Person) bool {
				return p.Status != population.StatusActive && p.Sex == population.SexFemale
			}},
		}
		for _, tt := range filters {
			t.Run("filter "+tt.name, func(t *testing.T) {
				got := listAll(t, s, population.ListQuery{PageSize: 4, Filter: tt.filter})
				want := where(tt.keep)
				if len(want) == 0 {
					t.Fatal("the fixture has no match: the test cannot fail")
				}
				if !slices.Equal(uids(got), want) {
					t.Fatalf("got %v\nwant %v", uids(got), want)
				}
			})
		}
		for _, tt := range []struct{ name, filter string }{
			{"an unknown field", "age > 3"}, {"an unknown enum value", "sex = OTHER"}, {"a malformed date", `birth_date = "1990-1-1"`},
		} {
			t.Run("a filter on "+tt.name+" is refused naming filter", func(t *testing.T) {
				_, err := s.ListPersons(ctx, population.ListQuery{PageSize: 4, Filter: tt.filter})
				var inv *errs.InvalidError
				if !errors.As(err, &inv) || inv.Violations[0].Field != "filter" {
					t.Fatalf("err = %v", err)
				}
			})
		}
		orders := map[string]func(a, b *population.Person) int{
			"id_number":    func(a, b *population.Person) int { return cmpStr(a.IDNumber, b.IDNumber) },
			"display_name": func(a, b *population.Person) int { return cmpStr(a.Name, b.Name) },
			"birth_date":   func(a, b *population.Person) int { return cmpStr(a.BirthDate, b.BirthDate) },
			"update_time":  func(a, b *population.Person) int { return a.UpdateTime.Compare(b.UpdateTime) },
		}
		for col, cmp := range orders {
			for _, desc := range []bool{false, true} {
				orderBy := col
				if desc {
					orderBy += " desc"
				}
				t.Run("order_by "+orderBy+" pages through every person in order, ties by ID number", func(t *testing.T) {
					want := slices.Clone(ps)
					slices.SortFunc(want, func(a, b *population.Person) int {
						c := cmp(a, b)
						if c == 0 {
							c = cmpStr(a.IDNumber, b.IDNumber)
						}
						if desc {
							c = -c
						}
						return c
					})
					got := listAll(t, s, population.ListQuery{PageSize: 7, OrderBy: orderBy})
					if !slices.Equal(uids(got), uids(want)) {
						t.Fatalf("got %v\nwant %v", uids(got), uids(want))
					}
				})
			}
		}
		t.Run("order_by an unknown column is refused naming order_by", func(t *testing.T) {
			_, err := s.ListPersons(ctx, population.ListQuery{PageSize: 4, OrderBy: "phone"})
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "order_by" {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("a page token is bound to its filter", func(t *testing.T) {
			p, _ := s.ListPersons(ctx, population.ListQuery{PageSize: 4, Filter: "sex = MALE"})
			_, err := s.ListPersons(ctx, population.ListQuery{PageSize: 4, Filter: "sex = FEMALE", PageToken: p.NextPageToken})
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func searchAll(tb testing.TB, s *clocked, q population.SearchQuery) []population.SearchHit {
	tb.Helper()
	var out []population.SearchHit
	for pages := 0; ; pages++ {
		p, err := s.SearchPersons(ctx, q)
		if err != nil {
			tb.Fatalf("Search(%+v): %v", q, err)
		}
		out = append(out, p.Hits...)
		if p.NextPageToken == "" {
			return out
		}
		if pages > 100 {
			tb.Fatal("endless pages")
		}
		q.PageToken = p.NextPageToken
	}
}

func hitUIDs(hs []population.SearchHit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Person.UID
	}
	return out
}

func TestSearchPersons(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		s.household(t, "h2")
		named := func(i int, h string, name string, former ...string) *population.Person {
			return person(t, i, h, population.RelationOther, func(p *population.Person) { p.Name, p.FormerNames = name, former })
		}
		exact := named(1, "h1", "张伟")
		longer := named(2, "h1", "张伟明")
		former := named(3, "h2", "李明", "张伟")
		other := named(4, "h2", "王芳")
		sameDay := named(5, "h2", "张伟", func() []string { return nil }()...)
		sameDay.BirthDate, sameDay.IDNumber = exact.BirthDate, fixture.IDNumber(t, exact.BirthDate, 401)
		sameDay.Sex = population.SexMale
		s.create(t, exact, longer, former, other, sameDay)

		t.Run("an exact name ranks first with score 1, then a name starting with it", func(t *testing.T) {
			hits := searchAll(t, s, population.SearchQuery{Query: "张伟", PageSize: 10})
			if len(hits) != 4 {
				t.Fatalf("hits %v", hitUIDs(hits))
			}
			if hits[0].Score != 1 || hits[1].Score != 1 || hits[2].Person.UID != longer.UID {
				t.Fatalf("ranking %v with scores %v %v %v", hitUIDs(hits), hits[0].Score, hits[1].Score, hits[2].Score)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score || hits[i].Score <= 0 {
					t.Fatalf("scores do not fall: %v", hits)
				}
			}
		})
		t.Run("a former name matches and is reported as the matched name", func(t *testing.T) {
			hits := searchAll(t, s, population.SearchQuery{Query: "张伟", PageSize: 10})
			for _, h := range hits {
				if h.Person.UID == former.UID && h.MatchedName != "张伟" {
					t.Fatalf("matched %q", h.MatchedName)
				}
			}
		})
		t.Run("a birth date narrows the matches to those born that day", func(t *testing.T) {
			hits := searchAll(t, s, population.SearchQuery{Query: "张伟", BirthDate: exact.BirthDate, PageSize: 10})
			got := hitUIDs(hits)
			slices.Sort(got)
			if !slices.Equal(got, []string{exact.UID, sameDay.UID}) {
				t.Fatalf("hits %v", got)
			}
		})
		t.Run("an address finds those registered or living there, in ID order, all scoring 1", func(t *testing.T) {
			addr := fixture.Address(2)
			hits := searchAll(t, s, population.SearchQuery{Address: addr, PageSize: 1})
			var want []string
			all := []*population.Person{exact, longer, former, other, sameDay}
			slices.SortFunc(all, func(a, b *population.Person) int { return cmpStr(a.IDNumber, b.IDNumber) })
			for _, p := range all {
				if p.RegisteredAddress == addr || p.ResidenceAddress == addr {
					want = append(want, p.UID)
				}
			}
			if len(want) < 2 || !slices.Equal(hitUIDs(hits), want) {
				t.Fatalf("hits %v, want %v", hitUIDs(hits), want)
			}
			for _, h := range hits {
				if h.Score != 1 || h.MatchedName != "" {
					t.Fatalf("a hit without query: %+v", h)
				}
			}
		})
		t.Run("a household and a query together", func(t *testing.T) {
			hits := searchAll(t, s, population.SearchQuery{Query: "张伟", Household: "households/h2", PageSize: 10})
			got := hitUIDs(hits)
			slices.Sort(got)
			if !slices.Equal(got, []string{former.UID, sameDay.UID}) {
				t.Fatalf("hits %v", got)
			}
		})
		t.Run("paging by offset returns the single-page ranking", func(t *testing.T) {
			one := searchAll(t, s, population.SearchQuery{Query: "张伟", PageSize: 10})
			paged := searchAll(t, s, population.SearchQuery{Query: "张伟", PageSize: 1})
			if !slices.Equal(hitUIDs(one), hitUIDs(paged)) {
				t.Fatalf("paged %v, single page %v", hitUIDs(paged), hitUIDs(one))
			}
		})
		t.Run("a retired person is found only when asked for", func(t *testing.T) {
			if _, err := s.UpdatePerson(ctx, other.IDNumber, population.WriteOptions{Retire: true}, func(*population.Person) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if hits := searchAll(t, s, population.SearchQuery{Query: "王芳", PageSize: 10}); len(hits) != 0 {
				t.Fatalf("found %v", hitUIDs(hits))
			}
			if hits := searchAll(t, s, population.SearchQuery{Query: "王芳", PageSize: 10, ShowRetired: true}); len(hits) != 1 || !hits[0].Person.Retired {
				t.Fatalf("with retired: %v", hits)
			}
		})
	})
}

func TestMembersAndHeads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		ps := listFixture(t, s)
		members := func(h string, former bool) []string {
			var out []string
			q := population.MembersQuery{Household: population.HouseholdName(h), IncludeFormer: former, PageSize: 3}
			for {
				p, err := s.ListMembers(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, uids(p.Persons)...)
				if p.NextPageToken == "" {
					return out
				}
				q.PageToken = p.NextPageToken
			}
		}
		for _, former := range []bool{false, true} {
			t.Run(fmt.Sprintf("members (former too: %v) are listed head first, by relation code then ID number, across pages", former), func(t *testing.T) {
				var want []*population.Person
				for _, p := range ps {
					if p.Household == "households/h2" && (former || p.Status == population.StatusActive) {
						want = append(want, p)
					}
				}
				slices.SortFunc(want, func(a, b *population.Person) int {
					if c := cmpStr(population.RelationCode(a.Relation), population.RelationCode(b.Relation)); c != 0 {
						return c
					}
					return cmpStr(a.IDNumber, b.IDNumber)
				})
				if got := members("h2", former); !slices.Equal(got, uids(want)) || want[0].Relation != population.RelationHead {
					t.Fatalf("got %v\nwant %v", got, uids(want))
				}
			})
		}
		t.Run("List of households carries each head and filters by type", func(t *testing.T) {
			p, err := s.ListHouseholds(ctx, population.ListQuery{PageSize: 4, OrderBy: "household_id desc"})
			if err != nil || len(p.Households) != 4 || p.Households[0].ID != "h5" {
				t.Fatalf("page %v, %v", p.Households, err)
			}
			for _, h := range p.Households {
				if h.Head != ps[h.ID[1]-'0'].IDNumber {
					t.Fatalf("%s has head %q", h.ID, h.Head)
				}
			}
			c, err := s.ListHouseholds(ctx, population.ListQuery{PageSize: 10, Filter: "household_type = COLLECTIVE"})
			if err != nil || len(c.Households) != 1 || c.Households[0].ID != "h5" {
				t.Fatalf("collective %v, %v", c.Households, err)
			}
		})
		t.Run("the head of a household is read at the point asked", func(t *testing.T) {
			before := s.now
			s.tick(time.Hour)
			s.update(t, ps[0].IDNumber, func(p *population.Person) { p.Relation = population.RelationSpouse })
			s.tick(time.Hour)
			now, _ := s.GetHousehold(ctx, "h0", history.Point{})
			then, _ := s.GetHousehold(ctx, "h0", history.Point{ValidAt: before})
			if now.Head != "" || then.Head != ps[0].IDNumber {
				t.Fatalf("head now %q, before %q", now.Head, then.Head)
			}
		})
	})
}

func TestHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		p := person(t, 1, "h1", population.RelationHead)
		s.create(t, p)
		created := s.now
		s.tick(24 * time.Hour)
		changed := s.now
		s.update(t, p.IDNumber, func(p *population.Person) { p.Phone = "13900000001" })
		s.tick(24 * time.Hour)
		if _, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{Correction: true, EffectiveFrom: created.Add(time.Hour)}, func(p *population.Person) error {
			p.Name = "更正"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		corrected := s.now
		s.tick(24 * time.Hour)
		retired, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{Retire: true}, func(*population.Person) error { return nil })
		if err != nil || !retired.Retired {
			t.Fatalf("retire = %+v, %v", retired, err)
		}
		s.tick(time.Hour)

		tests := []struct {
			name      string
			at        history.Point
			wantName  string
			wantPhone string
			retired   bool
		}{
			{"now it is retired, as it was last", history.Point{}, p.Name, "13900000001", true},
			{"in the first period, as known now, it carries the correction", history.Point{ValidAt: created.Add(time.Minute)}, "更正", p.Phone, false},
			{"in the first period, as known before the correction, it does not", history.Point{ValidAt: created.Add(time.Minute), KnownAt: corrected.Add(-time.Minute)}, p.Name, p.Phone, false},
			{"in the second period it has the new phone", history.Point{ValidAt: changed.Add(time.Minute)}, p.Name, "13900000001", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := s.get(t, p.IDNumber, tt.at)
				if got.Name != tt.wantName || got.Phone != tt.wantPhone || got.Retired != tt.retired {
					t.Fatalf("got %s %s retired %v", got.Name, got.Phone, got.Retired)
				}
			})
		}
		t.Run("before the record existed there is no version", func(t *testing.T) {
			if _, err := s.GetPerson(ctx, p.IDNumber, history.Point{ValidAt: created.Add(-time.Hour)}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Get = %v", err)
			}
		})
		t.Run("History returns every version, oldest record time first", func(t *testing.T) {
			vs, err := s.PersonHistory(ctx, p.IDNumber)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(vs); i++ {
				if vs[i].Version.KnownFrom.Before(vs[i-1].Version.KnownFrom) {
					t.Fatalf("version %d known before version %d", i, i-1)
				}
			}
			if last := vs[len(vs)-1]; !last.Retired || last.Version.Action != history.Retired {
				t.Fatalf("last version %+v", last)
			}
		})
		t.Run("a retired person is listed only when asked for", func(t *testing.T) {
			l, _ := s.ListPersons(ctx, population.ListQuery{PageSize: 10})
			a, _ := s.ListPersons(ctx, population.ListQuery{PageSize: 10, ShowRetired: true})
			if len(l.Persons) != 0 || len(a.Persons) != 1 {
				t.Fatalf("listed %d, with retired %d", len(l.Persons), len(a.Persons))
			}
		})
		t.Run("a change to a retired person is refused; a correction is not", func(t *testing.T) {
			_, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{}, func(*population.Person) error { return nil })
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update = %v", err)
			}
			if _, err := s.UpdatePerson(ctx, p.IDNumber, population.WriteOptions{Correction: true}, func(p *population.Person) error {
				p.Phone = "13900000002"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("effect times in the future or before the latest change are invalid", func(t *testing.T) {
			s.household(t, "h2")
			q := person(t, 2, "h2", population.RelationHead)
			s.create(t, q)
			for _, at := range []time.Time{s.now.Add(time.Hour), s.now.Add(-48 * time.Hour)} {
				_, err := s.UpdatePerson(ctx, q.IDNumber, population.WriteOptions{EffectiveFrom: at}, func(*population.Person) error { return nil })
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("effective %v: %v", at, err)
				}
			}
		})
	})
}

func TestRenameRedirects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1")
		full := fixture.IDNumber(t, "1961-01-31", 17)
		old := fixture.Legacy(t, full)
		p := person(t, 1, "h1", population.RelationHead, func(p *population.Person) { p.IDNumber = old })
		s.create(t, p)
		s.tick(time.Hour)
		out, err := s.RenamePerson(ctx, old, full, time.Time{}, func(p *population.Person) error {
			p.IDNumber = full
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.IDNumber != full || out.Version.Action != history.Renamed || out.UID != p.UID {
			t.Fatalf("renamed %+v", out)
		}
		t.Run("the 15-digit number redirects to the upgraded record", func(t *testing.T) {
			got := s.get(t, old, history.Point{})
			if got.IDNumber != full || got.RedirectedFrom != old {
				t.Fatalf("Get(old) = %s from %q", got.IDNumber, got.RedirectedFrom)
			}
		})
		t.Run("List shows the new number, the old one only among retired persons", func(t *testing.T) {
			l, _ := s.ListPersons(ctx, population.ListQuery{PageSize: 10})
			a, _ := s.ListPersons(ctx, population.ListQuery{PageSize: 10, ShowRetired: true})
			if len(l.Persons) != 1 || l.Persons[0].IDNumber != full || len(a.Persons) != 2 {
				t.Fatalf("list %v, with retired %d", l.Persons, len(a.Persons))
			}
		})
		t.Run("the household's head follows", func(t *testing.T) {
			h, _ := s.GetHousehold(ctx, "h1", history.Point{})
			if h.Head != full {
				t.Fatalf("head %q", h.Head)
			}
		})
		t.Run("a renamed-away number cannot be created again", func(t *testing.T) {
			if err := s.CreatePerson(ctx, p, time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("Create = %v", err)
			}
		})
		t.Run("a rename to a number that is taken is refused", func(t *testing.T) {
			q := person(t, 2, "h1", population.RelationSon)
			s.create(t, q)
			_, err := s.RenamePerson(ctx, q.IDNumber, full, time.Time{}, func(p *population.Person) error {
				p.IDNumber = full
				return nil
			})
			if !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("Rename = %v", err)
			}
		})
	})
}

func TestFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := open(t, db)
		s.household(t, "h1") // 1
		p := person(t, 1, "h1", population.RelationHead)
		s.create(t, p) // 2
		s.tick(time.Hour)
		s.update(t, p.IDNumber, func(p *population.Person) { p.Name = "新名" }) // 3
		s.household(t, "h2")                                                  // 4
		t.Run("Changes carries the full record after each change, unmasked, and the head", func(t *testing.T) {
			cs, head, err := s.Changes(ctx, 0, 10)
			if err != nil || head != 4 || len(cs) != 4 {
				t.Fatalf("%d changes, head %d, %v", len(cs), head, err)
			}
			if c := cs[2]; c.Name != population.PersonName(p.IDNumber) || c.Person.IDNumber != p.IDNumber || c.Person.Name != "新名" || c.Person.Phone != p.Phone {
				t.Fatalf("change 3 = %+v", c)
			}
			if c := cs[3]; c.Name != "households/h2" || c.Household == nil || c.Household.ID != "h2" || c.Action != history.Created {
				t.Fatalf("change 4 = %+v", c)
			}
		})
		t.Run("Export at a sequence is what was known then, households first", func(t *testing.T) {
			var got []string
			seq, err := s.Export(ctx, 2, func(r population.Record) error {
				if r.Household != nil {
					got = append(got, r.Household.ID)
				} else {
					got = append(got, r.Person.Name)
				}
				return nil
			})
			if err != nil || seq != 2 || !reflect.DeepEqual(got, []string{"h1", p.Name}) {
				t.Fatalf("export at 2 = %v at %d, %v", got, seq, err)
			}
		})
		t.Run("an error from Export's fn ends it and is returned", func(t *testing.T) {
			boom := errors.New("boom")
			if _, err := s.Export(ctx, 0, func(population.Record) error { return boom }); err != boom {
				t.Fatalf("Export = %v", err)
			}
		})
		t.Run("Delta up to 0 runs to the head, one change per record", func(t *testing.T) {
			var got []int64
			if err := s.Delta(ctx, 0, 0, func(c population.Change) error {
				got = append(got, c.Sequence)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []int64{1, 3, 4}) {
				t.Fatalf("delta %v", got)
			}
		})
		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan int64, 10)
			go func() {
				_ = s.Watch(wctx, 3, func(cs []population.Change) error {
					for _, c := range cs {
						got <- c.Sequence
					}
					return nil
				})
			}()
			if n := <-got; n != 4 {
				t.Fatalf("replayed %d", n)
			}
			s.update(t, p.IDNumber, func(p *population.Person) { p.Phone = "13900000009" })
			select {
			case n := <-got:
				if n != 5 {
					t.Fatalf("followed %d", n)
				}
			case <-wctx.Done():
				t.Fatal("no new change followed")
			}
		})
	})
}
