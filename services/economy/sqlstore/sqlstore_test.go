package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/economy/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema (storetest.Run). The store does not validate, but the
// reports built here are valid anyway so that the suite describes what the
// registry really holds.

var ctx = context.Background()

var (
	industries = []string{"C2614", "C2511", "C3411", "G5532", "F5162", "C2651", "D4411"}
	baseTime   = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
)

func openStore(tb testing.TB, db *store.DB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	s.Temporal().Now = func() time.Time { return baseTime }
	return s
}

// usccFor returns the valid USCC of the i-th enterprise; the organisation
// code is a permutation of i, so that USCC order is not creation order.
func usccFor(tb testing.TB, i int) string {
	tb.Helper()
	code, err := standard.MakeUSCC('9', '1', "330211", fmt.Sprintf("%09d", (i*7919+13)%999983))
	if err != nil {
		tb.Fatalf("MakeUSCC: %v", err)
	}
	return code
}

var periods = []string{"2023", "2024", "2024-01", "2024-02"}

// newReport returns the i-th of a family of valid reports whose fields vary
// with i: enterprise i/4 and period i%4, revenue with ties every 9th and a
// different order from the keys, every third report above designated size,
// every fifth without optional figures. mutate runs last.
func newReport(tb testing.TB, i int, mutate ...func(*economy.Report)) *economy.Report {
	tb.Helper()
	r := &economy.Report{
		USCC:                usccFor(tb, i/4),
		Period:              periods[i%4],
		IndustryCode:        industries[i%len(industries)],
		DivisionCode:        standard.Zhenhai[3+i%7].Code,
		OutputValue:         fmt.Sprintf("%d.50", 1000+i*37),
		Revenue:             fmt.Sprintf("%d.00", 1000*((i*13)%9+1)),
		Profit:              fmt.Sprintf("%d.25", 50-i*3),
		TaxesPaid:           fmt.Sprintf("%d.00", 10+i),
		Employees:           int64(5 + i%11),
		EnergyConsumption:   fmt.Sprintf("%d.05", i),
		RDSpending:          fmt.Sprintf("%d.00", i*2),
		AboveDesignatedSize: i%3 == 0,
		CreateTime:          baseTime.Add(-time.Duration(i) * time.Hour),
		UpdateTime:          baseTime.Add(time.Duration(i%17) * time.Minute),
		Revision:            1,
	}
	if i%5 == 4 {
		r.OutputValue, r.TaxesPaid, r.EnergyConsumption, r.RDSpending, r.DivisionCode = "", "", "", "", ""
	}
	for _, m := range mutate {
		m(r)
	}
	return r
}

// start is when a report comes into effect, as the Service records it.
func start(tb testing.TB, r *economy.Report) time.Time {
	tb.Helper()
	p, err := economy.ParsePeriod(r.Period, baseTime)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Start()
}

func create(tb testing.TB, s *sqlstore.Store, rs ...*economy.Report) {
	tb.Helper()
	for _, r := range rs {
		if err := s.Create(ctx, r, start(tb, r)); err != nil {
			tb.Fatalf("Create(%s): %v", r.Key().Name(), err)
		}
	}
}

func names(rs []*economy.Report) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key().Name()
	}
	return out
}

// document drops what a read adds besides the stored document.
func document(r *economy.Report) economy.Report {
	c := *r
	c.Version, c.Retired = history.Info{}, false
	return c
}

func TestCreateAndGet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		full, sparse := newReport(t, 0), newReport(t, 4)
		create(t, s, full, sparse)

		t.Run("get returns every field exactly as created, with its first version", func(t *testing.T) {
			for _, want := range []*economy.Report{full, sparse} {
				got, err := s.Get(ctx, want.Key(), history.Point{})
				if err != nil {
					t.Fatal(err)
				}
				if document(got) != *want {
					t.Fatalf("Get = %+v\nwant  %+v", document(got), *want)
				}
				if v := got.Version; v.Version != 1 || v.Action != history.Created || !v.ValidFrom.Equal(start(t, want)) || !v.KnownFrom.Equal(baseTime) {
					t.Fatalf("version %+v", v)
				}
			}
		})
		t.Run("creating a key that is taken is ErrAlreadyExists and keeps the first", func(t *testing.T) {
			err := s.Create(ctx, newReport(t, 0, func(r *economy.Report) { r.Revenue = "1.00" }), start(t, full))
			if !errors.Is(err, errs.ErrAlreadyExists) || !strings.Contains(err.Error(), full.Key().Name()) {
				t.Fatalf("second Create = %v, want already exists naming %s", err, full.Key().Name())
			}
			if got, _ := s.Get(ctx, full.Key(), history.Point{}); got.Revenue != full.Revenue {
				t.Fatalf("the first report was overwritten")
			}
		})
		t.Run("getting an unknown key is ErrNotFound naming the report", func(t *testing.T) {
			k := economy.Key{USCC: full.USCC, Period: "2020"}
			if _, err := s.Get(ctx, k, history.Point{}); !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), k.Name()) {
				t.Fatalf("Get(%v) = %v", k, err)
			}
		})
	})
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		r := newReport(t, 1)
		create(t, s, r)
		t.Run("the changed report is stored, returned, and listed", func(t *testing.T) {
			got, err := s.Update(ctx, r.Key(), economy.WriteOptions{Correction: true}, func(cur *economy.Report) error {
				cur.Revenue, cur.Revision = "9999.00", cur.Revision+1
				return nil
			})
			if err != nil || got.Revenue != "9999.00" || got.Revision != 2 || got.Version.Action != history.Corrected {
				t.Fatalf("Update = %+v, %v", got, err)
			}
			p, err := s.List(ctx, economy.ListQuery{PageSize: 10, Filter: `period = "` + r.Period + `"`})
			if err != nil || len(p.Reports) != 1 || p.Reports[0].Revenue != "9999.00" {
				t.Fatalf("List after Update = %+v, %v", p.Reports, err)
			}
			// revenue_order moved with the revenue.
			p, err = s.List(ctx, economy.ListQuery{PageSize: 10, OrderBy: "revenue desc"})
			if err != nil || p.Reports[0].Key() != r.Key() {
				t.Fatalf("List by revenue after Update = %v, %v", names(p.Reports), err)
			}
		})
		t.Run("an error from change is returned as is and leaves the report untouched", func(t *testing.T) {
			boom := errors.New("boom")
			if _, err := s.Update(ctx, r.Key(), economy.WriteOptions{}, func(*economy.Report) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("Update = %v, want boom", err)
			}
			if got, _ := s.Get(ctx, r.Key(), history.Point{}); got.Revision != 2 {
				t.Fatalf("revision %d after an aborted update", got.Revision)
			}
		})
		t.Run("change may not alter the key", func(t *testing.T) {
			_, err := s.Update(ctx, r.Key(), economy.WriteOptions{}, func(cur *economy.Report) error {
				cur.Period = "2022"
				return nil
			})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update changing the period = %v", err)
			}
		})
		t.Run("concurrent updates lose none", func(t *testing.T) {
			before, err := s.Get(ctx, r.Key(), history.Point{})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errc := make(chan error, 40)
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						_, err := s.Update(ctx, r.Key(), economy.WriteOptions{Correction: true}, func(cur *economy.Report) error {
							cur.Employees++
							cur.Revision++
							return nil
						})
						errc <- err
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			after, err := s.Get(ctx, r.Key(), history.Point{})
			if err != nil || after.Employees != before.Employees+40 || after.Revision != before.Revision+40 {
				t.Fatalf("after 40 concurrent increments: employees %d → %d, revision %d → %d, %v",
					before.Employees, after.Employees, before.Revision, after.Revision, err)
			}
		})
		t.Run("updating an unknown key is ErrNotFound and never calls change", func(t *testing.T) {
			called := false
			_, err := s.Update(ctx, economy.Key{USCC: r.USCC, Period: "2020"}, economy.WriteOptions{}, func(*economy.Report) error {
				called = true
				return nil
			})
			if !errors.Is(err, errs.ErrNotFound) || called {
				t.Fatalf("Update = %v, change called %v", err, called)
			}
		})
	})
}

// listAll pages through List with page size n and returns every report.
func listAll(t *testing.T, s *sqlstore.Store, q economy.ListQuery, n int) []*economy.Report {
	t.Helper()
	q.PageSize = n
	var out []*economy.Report
	for pages := 1; ; pages++ {
		if pages > 200 {
			t.Fatalf("List(%+v) did not end after 200 pages", q)
		}
		p, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		if len(p.Reports) > n || (p.NextPageToken != "" && len(p.Reports) != n) {
			t.Fatalf("page %d has %d reports for page size %d", pages, len(p.Reports), n)
		}
		out = append(out, p.Reports...)
		if p.NextPageToken == "" {
			return out
		}
		q.PageToken = p.NextPageToken
	}
}

func TestList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		var all []*economy.Report
		for i := 0; i < 60; i++ {
			all = append(all, newReport(t, i))
		}
		create(t, s, all...)
		// A retired report never shows without show_retired.
		retired := newReport(t, 60)
		create(t, s, retired)
		if _, err := s.Update(ctx, retired.Key(), economy.WriteOptions{Retire: true}, func(*economy.Report) error { return nil }); err != nil {
			t.Fatal(err)
		}
		byKey := slices.Clone(all)
		sort.Slice(byKey, func(i, j int) bool { return byKey[i].Key().Name() < byKey[j].Key().Name() })

		t.Run("page_size 7 returns every report exactly once, in name order, in full pages", func(t *testing.T) {
			if got := names(listAll(t, s, economy.ListQuery{}, 7)); !slices.Equal(got, names(byKey)) {
				t.Fatalf("List = %v\nwant %v", got, names(byKey))
			}
		})
		t.Run("a last page that is exactly full carries no next page token", func(t *testing.T) {
			if got := listAll(t, s, economy.ListQuery{}, 20); len(got) != 60 {
				t.Fatalf("got %d", len(got))
			}
		})
		t.Run("show_retired adds the retired report", func(t *testing.T) {
			got := listAll(t, s, economy.ListQuery{ShowRetired: true}, 50)
			if len(got) != 61 || !slices.ContainsFunc(got, func(r *economy.Report) bool { return r.Key() == retired.Key() && r.Retired }) {
				t.Fatalf("with show_retired: %d reports", len(got))
			}
		})
		t.Run("a parent lists its own reports only", func(t *testing.T) {
			got := listAll(t, s, economy.ListQuery{USCC: all[8].USCC}, 3)
			want := []string{all[8].Key().Name(), all[9].Key().Name(), all[10].Key().Name(), all[11].Key().Name()}
			slices.Sort(want)
			if !slices.Equal(names(got), want) {
				t.Fatalf("List(parent) = %v, want %v", names(got), want)
			}
		})

		filters := []struct {
			name, filter string
			want         func(r *economy.Report) bool
		}{
			{"on the period", `period = "2024"`, func(r *economy.Report) bool { return r.Period == "2024" }},
			{"on the period type", `period_type = MONTHLY`, func(r *economy.Report) bool { return r.PeriodType() == economy.Monthly }},
			{"on the period type's proto name", `period_type = PERIOD_TYPE_ANNUAL`, func(r *economy.Report) bool { return r.PeriodType() == economy.Annual }},
			{"on a period range", `period >= "2024-01" AND period <= "2024-12"`, func(r *economy.Report) bool { return strings.HasPrefix(r.Period, "2024-") }},
			{"on an industry prefix", `industry_code = "C2*"`, func(r *economy.Report) bool { return strings.HasPrefix(r.IndustryCode, "C2") }},
			{"on the division", `division_code = "330211002000"`, func(r *economy.Report) bool { return r.DivisionCode == "330211002000" }},
			{"on a missing division", `division_code = ""`, func(r *economy.Report) bool { return r.DivisionCode == "" }},
			{"on above designated size", `above_designated_size = true`, func(r *economy.Report) bool { return r.AboveDesignatedSize }},
			{"on not above designated size", `above_designated_size = false`, func(r *economy.Report) bool { return !r.AboveDesignatedSize }},
			{"on employees", `employees >= 12`, func(r *economy.Report) bool { return r.Employees >= 12 }},
			{"on the USCC", `uscc = "` + all[5].USCC + `"`, func(r *economy.Report) bool { return r.USCC == all[5].USCC }},
			{"combined with OR and NOT", `above_designated_size = true OR NOT industry_code = "C*"`, func(r *economy.Report) bool {
				return r.AboveDesignatedSize || !strings.HasPrefix(r.IndustryCode, "C")
			}},
		}
		for _, tt := range filters {
			t.Run("filter "+tt.name, func(t *testing.T) {
				var want []string
				for _, r := range byKey {
					if tt.want(r) {
						want = append(want, r.Key().Name())
					}
				}
				if len(want) == 0 || len(want) == len(byKey) {
					t.Fatalf("fixture: the filter selects %d of %d reports; it tests nothing", len(want), len(byKey))
				}
				if got := names(listAll(t, s, economy.ListQuery{Filter: tt.filter}, 6)); !slices.Equal(got, want) {
					t.Fatalf("filter %s = %v\nwant %v", tt.filter, got, want)
				}
			})
		}

		orders := []struct {
			orderBy string
			less    func(a, b *economy.Report) bool
		}{
			{"period", func(a, b *economy.Report) bool { return a.Period < b.Period }},
			{"industry_code", func(a, b *economy.Report) bool { return a.IndustryCode < b.IndustryCode }},
			{"revenue", func(a, b *economy.Report) bool { return revenue(t, a) < revenue(t, b) }},
			{"update_time", func(a, b *economy.Report) bool { return a.UpdateTime.Before(b.UpdateTime) }},
			{"name", func(a, b *economy.Report) bool { return false }},
		}
		for _, o := range orders {
			for _, desc := range []bool{false, true} {
				orderBy := o.orderBy
				if desc {
					orderBy += " desc"
				}
				t.Run("order_by "+orderBy+" pages through every report in order, ties by name", func(t *testing.T) {
					want := slices.Clone(byKey)
					sort.SliceStable(want, func(i, j int) bool {
						a, b := want[i], want[j]
						if desc {
							a, b = b, a
						}
						if o.less(a, b) != o.less(b, a) {
							return o.less(a, b)
						}
						return a.Key().Name() < b.Key().Name()
					})
					if got := names(listAll(t, s, economy.ListQuery{OrderBy: orderBy}, 7)); !slices.Equal(got, names(want)) {
						t.Fatalf("order_by %s = %v\nwant %v", orderBy, got, names(want))
					}
				})
			}
		}
		t.Run("revenue orders as numbers, not as text", func(t *testing.T) {
			got := listAll(t, s, economy.ListQuery{OrderBy: "revenue"}, 100)
			if first, last := got[0].Revenue, got[len(got)-1].Revenue; first != "1000.00" || last != "9000.00" {
				t.Fatalf("revenue from %s to %s", first, last)
			}
		})

		for _, tt := range []struct {
			name  string
			q     economy.ListQuery
			field string
		}{
			{"an unknown filter field", economy.ListQuery{Filter: "colour = red"}, "filter"},
			{"a bad boolean", economy.ListQuery{Filter: "above_designated_size = maybe"}, "filter"},
			{"an unknown period type", economy.ListQuery{Filter: "period_type = QUARTERLY"}, "filter"},
			{"an unknown order_by field", economy.ListQuery{OrderBy: "profit"}, "order_by"},
			{"a malformed order_by", economy.ListQuery{OrderBy: "period sideways"}, "order_by"},
			{"a token of another filter", economy.ListQuery{Filter: `period = "2024"`, PageToken: firstToken(t, s, economy.ListQuery{})}, "page_token"},
		} {
			t.Run(tt.name+" is refused as invalid, naming "+tt.field, func(t *testing.T) {
				tt.q.PageSize = 5
				_, err := s.List(ctx, tt.q)
				var inv *errs.InvalidError
				if !errors.As(err, &inv) || inv.Violations[0].Field != tt.field {
					t.Fatalf("List(%+v) = %v, want invalid %s", tt.q, err, tt.field)
				}
			})
		}
	})
}

func firstToken(t *testing.T, s *sqlstore.Store, q economy.ListQuery) string {
	t.Helper()
	q.PageSize = 5
	p, err := s.List(ctx, q)
	if err != nil || p.NextPageToken == "" {
		t.Fatalf("first page: %v", err)
	}
	return p.NextPageToken
}

func revenue(t *testing.T, r *economy.Report) int64 {
	var yuan, fen int64
	if _, err := fmt.Sscanf(r.Revenue, "%d.%d", &yuan, &fen); err != nil {
		t.Fatalf("revenue %q: %v", r.Revenue, err)
	}
	return yuan*100 + fen
}

func TestHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		now := baseTime
		s.Temporal().Now = func() time.Time { return now }
		r := newReport(t, 1) // 2024
		create(t, s, r)
		setRevenue := func(rev string, o economy.WriteOptions) {
			t.Helper()
			if _, err := s.Update(ctx, r.Key(), o, func(cur *economy.Report) error {
				cur.Revenue = rev
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		now = baseTime.Add(24 * time.Hour)
		setRevenue("2000.00", economy.WriteOptions{Correction: true})
		now = baseTime.Add(48 * time.Hour)
		setRevenue("3000.00", economy.WriteOptions{EffectiveFrom: baseTime.Add(36 * time.Hour)})
		now = baseTime.Add(72 * time.Hour)
		if _, err := s.Update(ctx, r.Key(), economy.WriteOptions{Retire: true}, func(*economy.Report) error { return nil }); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			name    string
			at      history.Point
			revenue string
			retired bool
		}{
			{"known at creation", history.Point{KnownAt: baseTime.Add(time.Hour)}, r.Revenue, false},
			{"known after the correction", history.Point{KnownAt: baseTime.Add(25 * time.Hour)}, "2000.00", false},
			{"known after the change", history.Point{KnownAt: baseTime.Add(49 * time.Hour)}, "3000.00", false},
			{"valid before the change, known now", history.Point{ValidAt: baseTime.Add(30 * time.Hour)}, "2000.00", false},
			{"valid before the change, known at creation", history.Point{ValidAt: baseTime.Add(30 * time.Hour), KnownAt: baseTime.Add(time.Hour)}, r.Revenue, false},
			{"now", history.Point{}, "3000.00", true},
		} {
			t.Run("Get "+tt.name, func(t *testing.T) {
				got, err := s.Get(ctx, r.Key(), tt.at)
				if err != nil || got.Revenue != tt.revenue || got.Retired != tt.retired {
					t.Fatalf("Get at %v = %+v, %v; want revenue %s retired %v", tt.at, got, err, tt.revenue, tt.retired)
				}
			})
			t.Run("List "+tt.name, func(t *testing.T) {
				got := listAll(t, s, economy.ListQuery{At: tt.at, ShowRetired: true}, 10)
				if len(got) != 1 || got[0].Revenue != tt.revenue || got[0].Retired != tt.retired {
					t.Fatalf("List at %v = %v", tt.at, got)
				}
			})
		}
		t.Run("History returns every version, oldest record time first", func(t *testing.T) {
			vs, err := s.History(ctx, r.Key())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, fmt.Sprintf("%d %s %s", v.Version.Version, v.Version.Action, v.Revenue))
			}
			want := []string{"1 CREATED " + r.Revenue, "2 CORRECTED 2000.00", "3 CORRECTED 2000.00", "4 UPDATED 3000.00", "5 UPDATED 3000.00", "6 RETIRED 3000.00"}
			if !slices.Equal(got, want) {
				t.Fatalf("History = %v\nwant %v", got, want)
			}
			if _, err := s.History(ctx, economy.Key{USCC: r.USCC, Period: "2020"}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("History of an unknown key = %v", err)
			}
		})
	})
}

func TestFigures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		var all []*economy.Report
		for i := 0; i < 24; i++ {
			all = append(all, newReport(t, i))
		}
		create(t, s, all...)
		gone := all[1] // 2024, retired
		if _, err := s.Update(ctx, gone.Key(), economy.WriteOptions{Retire: true}, func(*economy.Report) error { return nil }); err != nil {
			t.Fatal(err)
		}
		figures := func(t *testing.T, q economy.FigureQuery) []*economy.Report {
			t.Helper()
			var out []*economy.Report
			if err := s.Figures(ctx, q, func(r *economy.Report) error {
				out = append(out, r)
				return nil
			}); err != nil {
				t.Fatalf("Figures(%+v): %v", q, err)
			}
			return out
		}
		// figuresOf is what Figures must carry of a report: no times,
		// revision or version.
		figuresOf := func(r *economy.Report) economy.Report {
			c := document(r)
			c.CreateTime, c.UpdateTime, c.Revision = time.Time{}, time.Time{}, 0
			return c
		}
		expect := func(keep func(r *economy.Report) bool) []economy.Report {
			var out []economy.Report
			for _, r := range all {
				if r != gone && keep(r) {
					out = append(out, figuresOf(r))
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Key().Name() < out[j].Key().Name() })
			return out
		}
		deref := func(rs []*economy.Report) []economy.Report {
			out := make([]economy.Report, len(rs))
			for i, r := range rs {
				out[i] = *r
			}
			return out
		}
		for _, tt := range []struct {
			name string
			q    economy.FigureQuery
			keep func(r *economy.Report) bool
		}{
			{"a range of years holds annual reports only, the retired one left out", economy.FigureQuery{Type: economy.Annual, From: "2023", To: "2024"},
				func(r *economy.Report) bool { return r.PeriodType() == economy.Annual }},
			{"a one-year range", economy.FigureQuery{Type: economy.Annual, From: "2024", To: "2024"},
				func(r *economy.Report) bool { return r.Period == "2024" }},
			{"a range of months holds monthly reports only", economy.FigureQuery{Type: economy.Monthly, From: "2023-12", To: "2024-01"},
				func(r *economy.Report) bool { return r.Period == "2024-01" }},
			{"a filter narrows", economy.FigureQuery{Type: economy.Annual, From: "2023", To: "2024", Filter: "above_designated_size = true"},
				func(r *economy.Report) bool { return r.PeriodType() == economy.Annual && r.AboveDesignatedSize }},
			{"a parent narrows", economy.FigureQuery{USCC: all[9].USCC, Type: economy.Annual, From: "2023", To: "2024"},
				func(r *economy.Report) bool { return r.PeriodType() == economy.Annual && r.USCC == all[9].USCC }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				want := expect(tt.keep)
				if len(want) == 0 {
					t.Fatal("fixture: nothing selected")
				}
				if got := deref(figures(t, tt.q)); !reflect.DeepEqual(got, want) {
					t.Fatalf("Figures = %+v\nwant %+v", got, want)
				}
			})
		}
		t.Run("a point in record time reads the figures known then", func(t *testing.T) {
			before := figures(t, economy.FigureQuery{Type: economy.Annual, From: "2024", To: "2024", At: history.Point{KnownAt: baseTime.Add(-time.Second)}})
			during := figures(t, economy.FigureQuery{Type: economy.Annual, From: "2024", To: "2024", At: history.Point{KnownAt: baseTime.Add(time.Second)}})
			// The retirement was recorded a microsecond after the creations
			// (the store's clock stood still), so it is known at +1s.
			if len(before) != 0 || len(during) != 5 {
				t.Fatalf("known before creation: %d reports; after: %d (want 0 and 5)", len(before), len(during))
			}
		})
		t.Run("a bad filter is refused naming filter", func(t *testing.T) {
			err := s.Figures(ctx, economy.FigureQuery{Type: economy.Annual, From: "2023", To: "2024", Filter: "x = 1"}, func(*economy.Report) error { return nil })
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "filter" {
				t.Fatalf("Figures = %v", err)
			}
		})
		t.Run("an error from fn ends the read and is returned", func(t *testing.T) {
			boom := errors.New("boom")
			if err := s.Figures(ctx, economy.FigureQuery{Type: economy.Annual, From: "2023", To: "2024"}, func(*economy.Report) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("Figures = %v", err)
			}
		})
	})
}

func TestFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := openStore(t, db)
		a, b := newReport(t, 0), newReport(t, 1)
		// Sequences 1 and 2 create, 3 corrects a, 4 retires b.
		create(t, s, a, b)
		if _, err := s.Update(ctx, a.Key(), economy.WriteOptions{Correction: true}, func(r *economy.Report) error {
			r.Profit = "-7.00"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, b.Key(), economy.WriteOptions{Retire: true}, func(*economy.Report) error { return nil }); err != nil {
			t.Fatal(err)
		}
		t.Run("Changes carries the full report after each change, and the head", func(t *testing.T) {
			cs, head, err := s.Changes(ctx, 0, 10)
			if err != nil || head != 4 || len(cs) != 4 {
				t.Fatalf("Changes = %d, head %d, %v", len(cs), head, err)
			}
			want := []struct {
				key     economy.Key
				action  history.Action
				profit  string
				retired bool
			}{{a.Key(), history.Created, a.Profit, false}, {b.Key(), history.Created, b.Profit, false}, {a.Key(), history.Corrected, "-7.00", false}, {b.Key(), history.Retired, b.Profit, true}}
			for i, c := range cs {
				w := want[i]
				if c.Sequence != int64(i+1) || c.Key != w.key || c.Action != w.action || c.Report.Profit != w.profit || c.Report.Retired != w.retired || c.Report.Key() != w.key {
					t.Fatalf("change %d = %+v (report %+v), want %+v", i, c, c.Report, w)
				}
			}
			if doc := document(cs[0].Report); doc != *a {
				t.Fatalf("the first change carries %+v, want %+v", doc, *a)
			}
		})
		t.Run("Export at 0 uses the head and includes retired reports", func(t *testing.T) {
			var got []string
			seq, err := s.Export(ctx, 0, func(r *economy.Report) error {
				got = append(got, fmt.Sprintf("%s %s %v", r.Key().Name(), r.Profit, r.Retired))
				return nil
			})
			want := []string{a.Key().Name() + " -7.00 false", b.Key().Name() + " " + b.Profit + " true"}
			slices.Sort(want)
			if err != nil || seq != 4 || !slices.Equal(got, want) {
				t.Fatalf("Export = %v at %d, %v; want %v", got, seq, err, want)
			}
		})
		t.Run("an error from Export's fn ends it and is returned", func(t *testing.T) {
			boom := errors.New("boom")
			if _, err := s.Export(ctx, 0, func(*economy.Report) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("Export = %v", err)
			}
		})
		t.Run("Delta up to 0 runs to the head, one change per report", func(t *testing.T) {
			var got []int64
			if err := s.Delta(ctx, 0, 0, func(c economy.Change) error {
				got = append(got, c.Sequence)
				return nil
			}); err != nil || !slices.Equal(got, []int64{3, 4}) {
				t.Fatalf("Delta = %v, %v", got, err)
			}
		})
		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			seen := make(chan int64, 10)
			go func() {
				_ = s.Watch(wctx, 3, func(cs []economy.Change) error {
					for _, c := range cs {
						seen <- c.Sequence
					}
					return nil
				})
			}()
			if got := <-seen; got != 4 {
				t.Fatalf("replayed %d, want 4", got)
			}
			create(t, s, newReport(t, 2))
			select {
			case got := <-seen:
				if got != 5 {
					t.Fatalf("followed %d, want 5", got)
				}
			case <-wctx.Done():
				t.Fatal("Watch did not follow the new write")
			}
		})
	})
}
