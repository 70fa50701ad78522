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
	"github.com/zhbase/zhbase/services/population/internal/fixture"
)

// History, retirement, identifier changes and the change feed, through the
// Service, on SQLite and PostgreSQL.

func actions(ps []*Person) []history.Action {
	var out []history.Action
	for _, p := range ps {
		out = append(out, p.Version.Action)
	}
	return out
}

func TestAChangeACorrectionAndARetirementAreEachReadAtTheirPoint(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnvOn(t, db)
		e.household(t, "h1")
		p := e.person(t, 3, "h1", RelationHead, func(p *Person) { p.Name = "王建国" })
		created := e.now

		e.tick(24 * time.Hour)
		changed := e.now
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Name: "王建华", FormerNames: []string{"王建国"}},
			[]string{"display_name", "former_names"}, UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.tick(24 * time.Hour)
		corrected := e.now
		// The residence recorded for the first period was wrong.
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{ResidenceAddress: fixture.Address(9)}, []string{"residence_address"},
			UpdateOptions{Correction: true, EffectiveFrom: created.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		e.tick(24 * time.Hour)
		retired := e.now
		out, err := e.svc.DeletePerson(ctx, p.IDNumber, DeleteOptions{})
		if err != nil || !out.Retired || out.Version.Action != history.Retired {
			t.Fatalf("retire = %+v, %v", out, err)
		}
		e.tick(time.Hour)

		read := func(t *testing.T, at history.Point) *Person {
			t.Helper()
			got, err := e.svc.GetPerson(ctx, p.IDNumber, at)
			if err != nil {
				t.Fatalf("Get at %v: %v", at, err)
			}
			return got
		}
		t.Run("the first period as known today carries the correction", func(t *testing.T) {
			got := read(t, history.Point{ValidAt: created.Add(time.Minute)})
			if got.Name != "王建国" || got.ResidenceAddress != fixture.Address(9) {
				t.Fatalf("got %s at %s", got.Name, got.ResidenceAddress)
			}
		})
		t.Run("the first period as known before the correction does not", func(t *testing.T) {
			got := read(t, history.Point{ValidAt: created.Add(time.Minute), KnownAt: corrected.Add(-time.Minute)})
			if got.ResidenceAddress != p.ResidenceAddress {
				t.Fatalf("got %s", got.ResidenceAddress)
			}
		})
		t.Run("the second period has the new name and the old residence", func(t *testing.T) {
			got := read(t, history.Point{ValidAt: changed.Add(time.Minute)})
			if got.Name != "王建华" || got.ResidenceAddress != p.ResidenceAddress || got.Version.Action != history.Updated {
				t.Fatalf("got %s at %s by %s", got.Name, got.ResidenceAddress, got.Version.Action)
			}
		})
		t.Run("a retired person resolves, marked retired, with its history", func(t *testing.T) {
			got := read(t, history.Point{})
			if !got.Retired || got.Name != "王建华" {
				t.Fatalf("got %+v", got)
			}
			vs, _, err := e.svc.PersonVersions(ctx, p.IDNumber, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			want := []history.Action{history.Created, history.Created, history.Updated, history.Corrected, history.Updated, history.Retired}
			if !slices.Equal(actions(vs), want) {
				t.Fatalf("versions %v, want %v", actions(vs), want)
			}
			if !read(t, history.Point{ValidAt: retired.Add(-time.Minute)}).Version.ValidTo.Equal(retired) {
				t.Fatal("the last living period does not end at the retirement")
			}
		})
		t.Run("Versions pages through the history", func(t *testing.T) {
			first, next, err := e.svc.PersonVersions(ctx, p.IDNumber, 4, "")
			if err != nil || len(first) != 4 || next == "" {
				t.Fatalf("first page %d, %q, %v", len(first), next, err)
			}
			rest, next, err := e.svc.PersonVersions(ctx, p.IDNumber, 4, next)
			if err != nil || len(rest) != 2 || next != "" {
				t.Fatalf("second page %d, %q, %v", len(rest), next, err)
			}
		})
		t.Run("List and Search leave it out unless asked to show retired persons", func(t *testing.T) {
			list, _ := e.svc.ListPersons(ctx, ListQuery{})
			all, _ := e.svc.ListPersons(ctx, ListQuery{ShowRetired: true})
			found, _ := e.svc.SearchPersons(ctx, SearchQuery{Query: "王建华"})
			foundAll, _ := e.svc.SearchPersons(ctx, SearchQuery{Query: "王建华", ShowRetired: true})
			if len(list.Persons) != 0 || len(all.Persons) != 1 || len(found.Hits) != 0 || len(foundAll.Hits) != 1 {
				t.Fatalf("list %d/%d search %d/%d", len(list.Persons), len(all.Persons), len(found.Hits), len(foundAll.Hits))
			}
		})
		t.Run("a search at a past point finds the name then", func(t *testing.T) {
			found, err := e.svc.SearchPersons(ctx, SearchQuery{Query: "王建国", At: history.Point{ValidAt: created.Add(time.Minute)}})
			if err != nil || len(found.Hits) != 1 || found.Hits[0].MatchedName != "王建国" {
				t.Fatalf("search at creation = %+v, %v", found.Hits, err)
			}
		})
		t.Run("a retired person can no longer be changed, only corrected", func(t *testing.T) {
			_, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900000000"}, []string{"phone"}, UpdateOptions{})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update = %v", err)
			}
			got, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13900000000"}, []string{"phone"}, UpdateOptions{Correction: true})
			if err != nil || !got.Retired || got.Phone != "13900000000" {
				t.Fatalf("correction = %+v, %v", got, err)
			}
		})
		t.Run("a retired person no longer counts as a member", func(t *testing.T) {
			h, _ := e.svc.GetHousehold(ctx, "h1", history.Point{})
			if h.Head != "" {
				t.Fatalf("head %q", h.Head)
			}
			if _, err := e.svc.DeleteHousehold(ctx, "h1", DeleteOptions{}); err != nil {
				t.Fatalf("retire the emptied household: %v", err)
			}
		})
	})
}

func TestAFifteenDigitUpgradeRedirects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnvOn(t, db)
		e.household(t, "h1")
		full := id(t, "1965-11-08", 15)
		old := fixture.Legacy(t, full)
		p := fixture.Person(t, 3, "households/h1", RelationHead)
		p.IDNumber, p.Sex, p.BirthDate = old, "", ""
		if _, err := e.svc.CreatePerson(ctx, p, CreatePersonOptions{LegacyIDNumber: true}); err != nil {
			t.Fatal(err)
		}
		e.tick(time.Hour)
		upgraded := e.now
		if _, err := e.svc.RenamePerson(ctx, old, "", RenameOptions{}); err != nil {
			t.Fatal(err)
		}
		e.tick(time.Hour)
		got, err := e.svc.GetPerson(ctx, old, history.Point{})
		if err != nil || got.IDNumber != full || got.RedirectedFrom != old {
			t.Fatalf("Get(%s) = %+v, %v", old, got, err)
		}
		before, err := e.svc.GetPerson(ctx, old, history.Point{ValidAt: upgraded.Add(-time.Minute)})
		if err != nil || before.IDNumber != old || before.RedirectedFrom != "" {
			t.Fatalf("Get(%s) before the upgrade = %+v, %v", old, before, err)
		}
		h, _ := e.svc.GetHousehold(ctx, "h1", history.Point{})
		if h.Head != full {
			t.Fatalf("the head after the upgrade is %q", h.Head)
		}
		list, _ := e.svc.ListPersons(ctx, ListQuery{})
		if len(list.Persons) != 1 || list.Persons[0].IDNumber != maskedID(full) {
			t.Fatalf("List shows %v", list.Persons)
		}
	})
}

func TestChangeFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnvOn(t, db)
		e.household(t, "h1")                                                                 // 1
		p := e.person(t, 3, "h1", RelationHead, func(p *Person) { p.Phone = "13812345678" }) // 2
		e.tick(time.Hour)
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Name: "张伟"}, []string{"display_name"}, UpdateOptions{}); err != nil { // 3
			t.Fatal(err)
		}
		e.household(t, "h2") // 4
		e.tick(time.Hour)
		if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Household: "households/h2"}, []string{"household"}, UpdateOptions{}); err != nil { // 5
			t.Fatal(err)
		}
		if _, err := e.svc.DeleteHousehold(ctx, "h1", DeleteOptions{}); err != nil { // 6
			t.Fatal(err)
		}

		cs, head, err := e.svc.Changes(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("every write is in the feed in sequence order, gap-free, persons and households alike", func(t *testing.T) {
			if head != 6 || len(cs) != 6 {
				t.Fatalf("head %d with %d changes", head, len(cs))
			}
			var got []string
			for i, c := range cs {
				if c.Sequence != int64(i+1) {
					t.Fatalf("change %d has sequence %d", i, c.Sequence)
				}
				got = append(got, string(c.Action)+" "+c.Name)
			}
			// Unmasked: access rules decide per caller what leaves the registry.
			pn := PersonName(p.IDNumber)
			want := []string{"CREATED households/h1", "CREATED " + pn, "UPDATED " + pn, "CREATED households/h2", "UPDATED " + pn, "RETIRED households/h1"}
			if !slices.Equal(got, want) {
				t.Fatalf("changes %v\nwant %v", got, want)
			}
		})
		t.Run("a person's change carries the person after it, as stored", func(t *testing.T) {
			c := cs[2]
			if c.Person == nil || c.Person.Name != "张伟" || c.Person.IDNumber != p.IDNumber || c.Person.Phone != "13812345678" || c.Person.UID != p.UID {
				t.Fatalf("change 3 = %+v", c.Person)
			}
			if c.Household != nil || c.Version.Action != history.Updated || c.Version.Sequence != 3 {
				t.Fatalf("change 3 = %+v", c)
			}
		})
		t.Run("a household's retirement is a tombstone", func(t *testing.T) {
			if c := cs[5]; c.Household == nil || !c.Household.Retired {
				t.Fatalf("change 6 = %+v", c)
			}
		})
		t.Run("Changes pages from a sequence", func(t *testing.T) {
			page, h, err := e.svc.Changes(ctx, 2, 2)
			if err != nil || h != 6 || len(page) != 2 || page[0].Sequence != 3 {
				t.Fatalf("page after 2 = %d changes, head %d, %v", len(page), h, err)
			}
		})
		t.Run("Export lists households first, then persons, at a sequence", func(t *testing.T) {
			var got []string
			seq, err := e.svc.Export(ctx, 3, func(r Record) error {
				if r.Household != nil {
					got = append(got, HouseholdName(r.Household.ID))
				} else {
					got = append(got, r.Person.Name+" "+r.Person.IDNumber+" "+r.Person.Household)
				}
				return nil
			})
			want := []string{"households/h1", "张伟 " + p.IDNumber + " households/h1"}
			if err != nil || seq != 3 || !slices.Equal(got, want) {
				t.Fatalf("export at 3 = %v (seq %d, %v), want %v", got, seq, err, want)
			}
		})
		t.Run("Export at 0 uses the head and includes retired households", func(t *testing.T) {
			var n int
			seq, err := e.svc.Export(ctx, 0, func(r Record) error { n++; return nil })
			if err != nil || seq != 6 || n != 3 {
				t.Fatalf("export at the head: %d records at %d, %v", n, seq, err)
			}
		})
		t.Run("Delta gives each record's last change in the range", func(t *testing.T) {
			var got []string
			if err := e.svc.Delta(ctx, 1, 0, func(c Change) error {
				got = append(got, string(c.Action)+" "+c.Name)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := []string{"CREATED households/h2", "UPDATED " + PersonName(p.IDNumber), "RETIRED households/h1"}
			if !slices.Equal(got, want) {
				t.Fatalf("delta %v, want %v", got, want)
			}
			if err := e.svc.Delta(ctx, 4, 3, func(Change) error { return nil }); !slices.Equal(fields(t, err), []string{"up_to_sequence"}) {
				t.Fatalf("delta with up_to below after = %v", err)
			}
		})
		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan Change, 16)
			go func() {
				_ = e.svc.Watch(wctx, 4, func(cs []Change) error {
					for _, c := range cs {
						got <- c
					}
					return nil
				})
			}()
			for want := int64(5); want <= 6; want++ {
				if c := <-got; c.Sequence != want {
					t.Fatalf("replayed %d, want %d", c.Sequence, want)
				}
			}
			if _, err := e.svc.UpdatePerson(ctx, p.IDNumber, &Person{Phone: "13912345678"}, []string{"phone"}, UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-got:
				if c.Sequence != 7 || c.Person.Phone != "13912345678" {
					t.Fatalf("followed %d with phone %q", c.Sequence, c.Person.Phone)
				}
			case <-wctx.Done():
				t.Fatal("Watch did not deliver the new write")
			}
		})
	})
}
