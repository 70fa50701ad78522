package population_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	. "github.com/zhbase/zhbase/services/population"
)

// mergeFixture is two households: h1 (head 3, spouse 4) and h2 (head 5,
// son 6, and 7 who died), the clock an hour on.
type mergeFixture struct {
	*env
	head1, spouse1, head2, son2, dead2 *Person
}

func newMergeFixture(tb testing.TB, db *store.DB) *mergeFixture {
	tb.Helper()
	e := newEnvOn(tb, db)
	e.household(tb, "h1")
	e.household(tb, "h2")
	f := &mergeFixture{env: e}
	f.head1 = e.person(tb, 3, "h1", RelationHead)
	f.spouse1 = e.person(tb, 4, "h1", RelationSpouse)
	f.head2 = e.person(tb, 5, "h2", RelationHead)
	f.son2 = e.person(tb, 6, "h2", RelationSon)
	f.dead2 = e.person(tb, 7, "h2", RelationParent, func(p *Person) { p.Status, p.StatusDate = StatusDeceased, "2024-12-01" })
	e.tick(time.Hour)
	return f
}

func TestMergeHouseholds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newMergeFixture(t, db)
		before := f.now
		out, err := f.svc.MergeHouseholds(ctx, "h1", "h2", MergeOptions{Relations: map[string]Relation{PersonName(f.son2.IDNumber): RelationGrandchild}})
		if err != nil {
			t.Fatal(err)
		}
		if out.ID != "h1" || out.Retired || out.Head != f.head1.IDNumber {
			t.Fatalf("merge returned %+v", out)
		}
		t.Run("the active members moved, with the relation given or kept; the merged head became OTHER", func(t *testing.T) {
			got := map[string]*Person{}
			for _, p := range []*Person{f.head2, f.son2, f.dead2} {
				got[p.UID] = f.stored(t, p.IDNumber)
			}
			if p := got[f.head2.UID]; p.Household != "households/h1" || p.Relation != RelationOther {
				t.Errorf("merged head: %s %s", p.Household, p.Relation)
			}
			if p := got[f.son2.UID]; p.Household != "households/h1" || p.Relation != RelationGrandchild {
				t.Errorf("son: %s %s", p.Household, p.Relation)
			}
			if p := got[f.dead2.UID]; p.Household != "households/h2" {
				t.Errorf("a deceased member stays on the merged household's record, got %s", p.Household)
			}
		})
		t.Run("the merged household is retired and reading it redirects to the one it merged into", func(t *testing.T) {
			h, err := f.svc.GetHousehold(ctx, "h2", history.Point{})
			if err != nil {
				t.Fatal(err)
			}
			if h.ID != "h1" || h.RedirectedFrom != "h2" || h.Retired {
				t.Fatalf("Get(h2) = %s redirected from %q retired %v", h.ID, h.RedirectedFrom, h.Retired)
			}
			vs, _, err := f.svc.HouseholdVersions(ctx, "h2", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			last := vs[len(vs)-1]
			if !last.Retired || last.MergedInto != "households/h1" || last.Version.Action != history.Retired {
				t.Fatalf("the merged household's last version: %+v", last)
			}
		})
		t.Run("before the merge it reads as it was", func(t *testing.T) {
			h, err := f.svc.GetHousehold(ctx, "h2", history.Point{ValidAt: before.Add(-time.Minute)})
			if err != nil || h.ID != "h2" || h.Head != f.head2.IDNumber {
				t.Fatalf("Get(h2) before the merge = %+v, %v", h, err)
			}
		})
		t.Run("the merged household's members are listed by its new household", func(t *testing.T) {
			m, err := f.svc.ListHouseholdMembers(ctx, "h2", MembersOptions{})
			if err != nil || len(m.Persons) != 4 || m.Persons[0].UID != f.head1.UID {
				t.Fatalf("members of h2 = %d persons, %v", len(m.Persons), err)
			}
		})
		t.Run("repeating the merge returns its result and writes nothing", func(t *testing.T) {
			_, head, _ := f.svc.Changes(ctx, 0, 1)
			again, err := f.svc.MergeHouseholds(ctx, "h1", "h2", MergeOptions{})
			if err != nil || again.ID != "h1" {
				t.Fatalf("repeat = %v, %v", again, err)
			}
			if _, after, _ := f.svc.Changes(ctx, 0, 1); after != head {
				t.Fatalf("a repeated merge wrote %d changes", after-head)
			}
		})
		t.Run("the merge is in the feed: the moves, then the retirement", func(t *testing.T) {
			cs, _, err := f.svc.Changes(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var tail []string
			for _, c := range cs[len(cs)-3:] {
				tail = append(tail, string(c.Action)+" "+c.Name[:len("persons")])
			}
			want := []string{"UPDATED persons", "UPDATED persons", "RETIRED househo"}
			if !slices.Equal(tail, want) {
				t.Fatalf("last changes %v, want %v", tail, want)
			}
		})
	})
}

func TestMergeRules(t *testing.T) {
	f := newMergeFixture(t, storetest.OpenSQLite(t))
	f.household(t, "h3")
	tests := []struct {
		name       string
		into, from string
		o          MergeOptions
		want       error
		field      string
	}{
		{"a household cannot merge into itself", "h1", "h1", MergeOptions{}, errs.ErrInvalid, "merged_household"},
		{"the merged household must exist", "h1", "nope", MergeOptions{}, errs.ErrInvalid, "merged_household"},
		{"the staying household must exist", "nope", "h2", MergeOptions{}, errs.ErrNotFound, ""},
		{"a relation for a person who is no member is refused", "h1", "h2",
			MergeOptions{Relations: map[string]Relation{PersonName(f.spouse1.IDNumber): RelationOther}}, errs.ErrInvalid, "relations"},
		{"a deceased member is no active member", "h1", "h2",
			MergeOptions{Relations: map[string]Relation{PersonName(f.dead2.IDNumber): RelationOther}}, errs.ErrInvalid, "relations"},
		{"a moved member cannot become a second head", "h1", "h2",
			MergeOptions{Relations: map[string]Relation{PersonName(f.head2.IDNumber): RelationHead}}, errs.ErrInvalid, "relations"},
		{"an unknown relation is refused", "h1", "h2",
			MergeOptions{Relations: map[string]Relation{PersonName(f.son2.IDNumber): "COUSIN"}}, errs.ErrInvalid, "relations"},
		{"an effective time before a member's latest change is refused", "h1", "h2",
			MergeOptions{EffectiveFrom: testNow.Add(-time.Hour)}, errs.ErrInvalid, "effective_time"},
		{"an effective time in the future is refused", "h1", "h2",
			MergeOptions{EffectiveFrom: testNow.Add(24 * time.Hour)}, errs.ErrInvalid, "effective_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, head, _ := f.svc.Changes(ctx, 0, 1)
			_, err := f.svc.MergeHouseholds(ctx, tt.into, tt.from, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Merge = %v, want %v", err, tt.want)
			}
			if tt.field != "" && !slices.Equal(fields(t, err), []string{tt.field}) {
				t.Fatalf("refused %v, want %s", fields(t, err), tt.field)
			}
			if _, after, _ := f.svc.Changes(ctx, 0, 1); after != head {
				t.Fatalf("a refused merge wrote %d changes", after-head)
			}
		})
	}
	t.Run("a moved member may become the head of a household without one", func(t *testing.T) {
		out, err := f.svc.MergeHouseholds(ctx, "h3", "h2", MergeOptions{Relations: map[string]Relation{PersonName(f.head2.IDNumber): RelationHead}})
		if err != nil || out.Head != f.head2.IDNumber {
			t.Fatalf("Merge = %+v, %v", out, err)
		}
	})
	t.Run("a household merged elsewhere cannot be merged again", func(t *testing.T) {
		if _, err := f.svc.MergeHouseholds(ctx, "h1", "h2", MergeOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("Merge = %v", err)
		}
	})
	t.Run("nothing merges into a retired household", func(t *testing.T) {
		if _, err := f.svc.MergeHouseholds(ctx, "h2", "h1", MergeOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("Merge = %v", err)
		}
	})
	t.Run("a write to a merged household is refused, not redirected", func(t *testing.T) {
		_, err := f.svc.UpdateHousehold(ctx, "h2", &Household{Type: HouseholdCollective}, []string{"household_type"}, UpdateOptions{})
		if !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Fatalf("Update = %v", err)
		}
	})
}

// failingStore fails UpdatePerson after `left` successful calls, as a
// process killed midway through a merge would.
type failingStore struct {
	Store
	left int
}

func (s *failingStore) UpdatePerson(ctx context.Context, id string, o WriteOptions, change func(*Person) error) (*Person, error) {
	if s.left == 0 {
		return nil, errors.New("the process died")
	}
	s.left--
	return s.Store.UpdatePerson(ctx, id, o, change)
}

func TestAMergeCutOffMidwayIsFinishedByRepeatingIt(t *testing.T) {
	f := newMergeFixture(t, storetest.OpenSQLite(t))
	broken := NewService(&failingStore{Store: f.store, left: 1}, f.addresses.Checker())
	SetClock(broken, func() time.Time { return f.now })
	if _, err := broken.MergeHouseholds(ctx, "h1", "h2", MergeOptions{}); err == nil {
		t.Fatal("the broken merge succeeded")
	}
	t.Run("every state in between is valid: h2 still holds the members not yet moved", func(t *testing.T) {
		m1, _ := f.svc.ListHouseholdMembers(ctx, "h1", MembersOptions{})
		m2, _ := f.svc.ListHouseholdMembers(ctx, "h2", MembersOptions{})
		if len(m1.Persons) != 3 || len(m2.Persons) != 1 {
			t.Fatalf("after one move: h1 has %d members, h2 %d", len(m1.Persons), len(m2.Persons))
		}
		h2, err := f.svc.GetHousehold(ctx, "h2", history.Point{})
		if err != nil || h2.Retired {
			t.Fatalf("h2 = %+v, %v", h2, err)
		}
	})
	t.Run("the repeated merge moves the rest and retires h2", func(t *testing.T) {
		out, err := f.svc.MergeHouseholds(ctx, "h1", "h2", MergeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := f.svc.ListHouseholdMembers(ctx, out.ID, MembersOptions{})
		if len(m.Persons) != 4 {
			t.Fatalf("h1 has %d members", len(m.Persons))
		}
		if h, _ := f.svc.GetHousehold(ctx, "h2", history.Point{}); h.RedirectedFrom != "h2" {
			t.Fatalf("h2 does not redirect: %+v", h)
		}
	})
}
