package economy_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	. "github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The registry's history as its clients see it through the Service, on
// SQLite and PostgreSQL: changes, corrections (revised figures),
// retirement, time travel and the change feed. The fixture's clock is
// record time; every effective time is at or before it.

func (f *fixture) mustGet(tb testing.TB, k Key, at history.Point) *Report {
	tb.Helper()
	r, err := f.svc.Get(ctx, k, at)
	if err != nil {
		tb.Fatalf("Get(%v, %v): %v", k, at, err)
	}
	return r
}

func (f *fixture) mustUpdate(tb testing.TB, k Key, in *Report, paths []string, o UpdateOptions) *Report {
	tb.Helper()
	r, err := f.svc.Update(ctx, k, in, paths, o)
	if err != nil {
		tb.Fatalf("Update(%v, %v): %v", k, paths, err)
	}
	return r
}

// versions pages through Service.Versions two at a time.
func (f *fixture) versions(tb testing.TB, k Key) []*Report {
	tb.Helper()
	var out []*Report
	token := ""
	for pages := 1; ; pages++ {
		if pages > 100 {
			tb.Fatalf("Versions(%v) did not end after 100 pages", k)
		}
		vs, next, err := f.svc.Versions(ctx, k, 2, token)
		if err != nil {
			tb.Fatalf("Versions(%v): %v", k, err)
		}
		if len(vs) > 2 || (next != "" && len(vs) != 2) {
			tb.Fatalf("Versions page %d has %d versions for page size 2", pages, len(vs))
		}
		out = append(out, vs...)
		if next == "" {
			return out
		}
		token = next
	}
}

func TestHistoryOfAReport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2025-01-20")
		r := f.create(t, validReport(t, func(r *Report) { r.Period, r.Revenue, r.Employees = "2024", "100.00", 10 })) // preliminary
		k := r.Key()
		f.now = day("2025-03-10")
		f.mustUpdate(t, k, &Report{Revenue: "110.00"}, []string{"revenue"}, UpdateOptions{Correction: true}) // revised figures
		f.now = day("2025-04-10")
		f.mustUpdate(t, k, &Report{DivisionCode: "330211003000"}, []string{"division_code"}, UpdateOptions{EffectiveFrom: day("2025-04-01")}) // moved
		f.now = day("2025-05-10")
		if _, err := f.svc.Delete(ctx, k, DeleteOptions{}); err != nil {
			t.Fatal(err)
		}

		t.Run("each write is read at its point in record time", func(t *testing.T) {
			tests := []struct {
				name     string
				at       history.Point
				revenue  string
				division string
				retired  bool
			}{
				{"as first filed", history.Point{KnownAt: day("2025-02-01")}, "100.00", "330211002000", false},
				{"after the revision", history.Point{KnownAt: day("2025-03-20")}, "110.00", "330211002000", false},
				{"after the move", history.Point{KnownAt: day("2025-04-20")}, "110.00", "330211003000", false},
				{"now, retired", history.Point{}, "110.00", "330211003000", true},
				{"in effect before the move, as known now", history.Point{ValidAt: day("2025-03-01")}, "110.00", "330211002000", false},
				{"in effect before the move, as first filed", history.Point{ValidAt: day("2025-03-01"), KnownAt: day("2025-02-01")}, "100.00", "330211002000", false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := f.mustGet(t, k, tt.at)
					if got.Revenue != tt.revenue || got.DivisionCode != tt.division || got.Retired != tt.retired {
						t.Fatalf("at %v: revenue %s division %s retired %v; want %s %s %v", tt.at, got.Revenue, got.DivisionCode, got.Retired, tt.revenue, tt.division, tt.retired)
					}
				})
			}
		})

		t.Run("before the period began there is no version", func(t *testing.T) {
			_, err := f.svc.Get(ctx, k, history.Point{ValidAt: day("2023-06-01")})
			if !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Get before 2024 began = %v, want not found", err)
			}
		})

		t.Run("Versions lists every version, oldest record time first", func(t *testing.T) {
			vs := f.versions(t, k)
			var actions []history.Action
			for _, v := range vs {
				actions = append(actions, v.Version.Action)
			}
			// Created; the revision replaces it (corrected); the move closes
			// the revised period and opens a new one (updated); retiring
			// does the same with a tombstone.
			want := []history.Action{history.Created, history.Corrected, history.Corrected, history.Updated, history.Updated, history.Retired}
			if !slices.Equal(actions, want) {
				t.Fatalf("actions %v, want %v", actions, want)
			}
			if last := vs[len(vs)-1]; !last.Retired || last.Version.Sequence != 4 {
				t.Fatalf("last version %+v", last.Version)
			}
		})

		t.Run("a retired report cannot be changed, recreated or listed without show_retired", func(t *testing.T) {
			if _, err := f.svc.Update(ctx, k, &Report{Revenue: "1"}, []string{"revenue"}, UpdateOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update of a retired report = %v, want failed precondition", err)
			}
			if _, err := f.svc.Create(ctx, k.USCC, k.Period, validReport(t), CreateOptions{}); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("Create over a retired report = %v, want already exists", err)
			}
			if p, _ := f.svc.List(ctx, ListQuery{}); len(p.Reports) != 0 {
				t.Fatalf("List shows %d retired reports", len(p.Reports))
			}
			if p, _ := f.svc.List(ctx, ListQuery{ShowRetired: true}); len(p.Reports) != 1 || !p.Reports[0].Retired {
				t.Fatalf("List with show_retired = %+v", p.Reports)
			}
		})
	})
}

func TestChangeFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2025-01-10")
		a := f.create(t, validReport(t, func(r *Report) { r.Period = "2024" }))    // 1
		b := f.create(t, validReport(t, func(r *Report) { r.Period = "2024-12" })) // 2
		f.now = day("2025-02-10")
		f.mustUpdate(t, a.Key(), &Report{Profit: "-1"}, []string{"profit"}, UpdateOptions{Correction: true}) // 3
		f.now = day("2025-03-10")
		if _, err := f.svc.Delete(ctx, b.Key(), DeleteOptions{}); err != nil { // 4
			t.Fatal(err)
		}
		type event struct {
			seq     int64
			name    string
			action  history.Action
			retired bool
			profit  string
		}
		all := []event{
			{1, a.Key().Name(), history.Created, false, a.Profit},
			{2, b.Key().Name(), history.Created, false, b.Profit},
			{3, a.Key().Name(), history.Corrected, false, "-1.00"},
			{4, b.Key().Name(), history.Retired, true, b.Profit},
		}
		events := func(cs []Change) []event {
			out := make([]event, len(cs))
			for i, c := range cs {
				out[i] = event{c.Sequence, c.Key.Name(), c.Action, c.Report.Retired, c.Report.Profit}
			}
			return out
		}

		t.Run("Changes returns every write in sequence order with the head", func(t *testing.T) {
			cs, head, err := f.svc.Changes(ctx, 0, 0)
			if err != nil || head != 4 || !slices.Equal(events(cs), all) {
				t.Fatalf("Changes = %v, head %d, %v\nwant %v", events(cs), head, err, all)
			}
			for _, c := range cs {
				if c.Version.Sequence != c.Sequence || c.Version.Action != c.Action {
					t.Errorf("change %d describes version %+v", c.Sequence, c.Version)
				}
			}
			cs, _, err = f.svc.Changes(ctx, 1, 2)
			if err != nil || !slices.Equal(events(cs), all[1:3]) {
				t.Fatalf("Changes(after 1, max 2) = %v, %v", events(cs), err)
			}
			if _, _, err := f.svc.Changes(ctx, 0, -1); !slices.Equal(fields(t, err), []string{"max"}) {
				t.Fatalf("Changes(max -1) = %v", err)
			}
		})

		t.Run("Export at a sequence is the state then; at 0 the head, retired included", func(t *testing.T) {
			for _, tt := range []struct {
				at, want int64
				state    map[string]string // name → profit, with " retired"
			}{
				{2, 2, map[string]string{a.Key().Name(): a.Profit, b.Key().Name(): b.Profit}},
				{3, 3, map[string]string{a.Key().Name(): "-1.00", b.Key().Name(): b.Profit}},
				{0, 4, map[string]string{a.Key().Name(): "-1.00", b.Key().Name(): b.Profit + " retired"}},
			} {
				got := map[string]string{}
				seq, err := f.svc.Export(ctx, tt.at, func(r *Report) error {
					got[r.Key().Name()] = r.Profit
					if r.Retired {
						got[r.Key().Name()] += " retired"
					}
					return nil
				})
				if err != nil || seq != tt.want || len(got) != len(tt.state) {
					t.Fatalf("Export(%d) = %v at %d, %v; want %v at %d", tt.at, got, seq, err, tt.state, tt.want)
				}
				for n, p := range tt.state {
					if got[n] != p {
						t.Fatalf("Export(%d)[%s] = %q, want %q", tt.at, n, got[n], p)
					}
				}
			}
		})

		t.Run("Delta gives each report's last change in the range", func(t *testing.T) {
			var got []event
			if err := f.svc.Delta(ctx, 1, 0, func(c Change) error {
				got = append(got, events([]Change{c})...)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if want := []event{all[2], all[3]}; !slices.Equal(got, want) {
				t.Fatalf("Delta(1, head) = %v, want %v", got, want)
			}
			if err := f.svc.Delta(ctx, 3, 2, func(Change) error { return nil }); !slices.Equal(fields(t, err), []string{"up_to_sequence"}) {
				t.Fatalf("Delta(3, 2) = %v", err)
			}
		})

		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan Change, 10)
			done := make(chan error, 1)
			go func() {
				done <- f.svc.Watch(wctx, 2, func(cs []Change) error {
					for _, c := range cs {
						got <- c
					}
					return nil
				})
			}()
			for _, want := range all[2:] {
				if c := <-got; c.Sequence != want.seq {
					t.Fatalf("replayed %d, want %d", c.Sequence, want.seq)
				}
			}
			f.now = day("2025-04-10")
			c2 := f.create(t, validReport(t, func(r *Report) { r.Period = "2023" })) // 5
			select {
			case c := <-got:
				if c.Sequence != 5 || c.Key != c2.Key() || c.Action != history.Created {
					t.Fatalf("followed %+v, want the creation of %v at 5", c, c2.Key())
				}
			case <-wctx.Done():
				t.Fatal("Watch did not deliver a new write")
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch ended with %v, want the cancellation", err)
			}
		})
	})
}
