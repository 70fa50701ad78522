package economy_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// Totals are checked against sums worked out by hand from the reports
// below, on SQLite and PostgreSQL: the store selects, the domain adds.

// fig builds a report from its figures; empty strings are "not reported".
type fig struct {
	uscc, period, industry, division string
	revenue, profit                  string
	output, taxes                    string
	employees                        int64
	energy, rd                       string
	above                            bool
}

func (g fig) report() *Report {
	return &Report{USCC: g.uscc, Period: g.period, IndustryCode: g.industry, DivisionCode: g.division,
		Revenue: g.revenue, Profit: g.profit, OutputValue: g.output, TaxesPaid: g.taxes, Employees: g.employees,
		EnergyConsumption: g.energy, RDSpending: g.rd, AboveDesignatedSize: g.above}
}

func tot(reports, enterprises int64, output, revenue, profit, taxes string, employees int64, energy, rd string) Totals {
	return Totals{Reports: reports, Enterprises: enterprises, OutputValue: output, Revenue: revenue, Profit: profit,
		TaxesPaid: taxes, Employees: employees, EnergyConsumption: energy, RDSpending: rd}
}

func ptr(t Totals) *Totals { return &t }

func d(abs, pct string) Delta { return Delta{Absolute: abs, Percent: pct} }

// aggregationFixture holds enterprises A, B, C (manufacturers: C2614 and
// C2511 in 蛟川街道, C3411 in 骆驼街道) and D (a port, G5532, no division),
// with annual reports for 2022–2024, monthly ones for early 2023 and 2024,
// and reports that must never count: a retired one, and months among years.
type aggregationFixture struct {
	*fixture
	a, b, c, d, e string
}

func newAggregationFixture(t *testing.T, db *store.DB) *aggregationFixture {
	t.Helper()
	f := &aggregationFixture{fixture: newFixtureOn(t, db),
		a: uscc(t, "MA2000001"), b: uscc(t, "MA2000002"), c: uscc(t, "MA2000003"), d: uscc(t, "MA2000004"), e: uscc(t, "MA2000005")}
	const jiaochuan, luotuo = "330211002000", "330211003000"
	for _, g := range []fig{
		{f.a, "2022", "C2614", jiaochuan, "999.00", "9.00", "", "", 8, "", "", false},
		{f.a, "2023", "C2614", jiaochuan, "1000.00", "100.00", "1200.00", "50.00", 10, "12.50", "", true},
		{f.a, "2024", "C2614", jiaochuan, "1500.00", "-50.00", "1300.00", "60.00", 12, "10.25", "10.00", true},
		{f.b, "2023", "C2511", jiaochuan, "0.01", "0.00", "", "", 0, "", "", false},
		{f.b, "2024", "C2511", jiaochuan, "500.01", "25.00", "700.00", "", 5, "", "", false},
		{f.c, "2024", "C3411", luotuo, "200.00", "-300.00", "", "1.11", 7, "0.01", "5.55", true},
		{f.d, "2023", "G5532", "", "300.00", "30.00", "", "", 3, "", "", false},
		{f.e, "2024", "C2614", jiaochuan, "777.77", "7.00", "", "", 70, "", "", true}, // retired below
		{f.a, "2023-01", "C2614", jiaochuan, "80.00", "1.00", "", "", 9, "", "", true},
		{f.a, "2023-03", "C2614", jiaochuan, "0.00", "1.00", "", "", 9, "", "", true},
		{f.a, "2024-01", "C2614", jiaochuan, "100.00", "1.00", "", "", 10, "", "", true},
		{f.a, "2024-02", "C2614", jiaochuan, "50.00", "1.00", "", "", 11, "", "", true},
		{f.a, "2024-03", "C2614", jiaochuan, "1.00", "1.00", "", "", 12, "", "", true},
	} {
		f.create(t, g.report())
	}
	if _, err := f.svc.Delete(ctx, Key{f.e, "2024"}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *aggregationFixture) aggregate(t *testing.T, q AggregateQuery) Aggregation {
	t.Helper()
	a, err := f.svc.Aggregate(ctx, q)
	if err != nil {
		t.Fatalf("Aggregate(%+v): %v", q, err)
	}
	return a
}

func assertGroups(t *testing.T, got, want []Group) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("got %d groups, want %d", len(got), len(want))
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w any = "(none)", "(none)"
		if i < len(got) {
			g = describeGroup(got[i])
		}
		if i < len(want) {
			w = describeGroup(want[i])
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("group %d\n got: %v\nwant: %v", i, g, w)
		}
	}
	t.FailNow()
}

func describeGroup(g Group) string {
	prev := "nil"
	if g.PreviousYear != nil {
		prev = fmt.Sprintf("%+v", *g.PreviousYear)
	}
	return fmt.Sprintf("key=%q name=%q\n  totals=%+v\n  previous=%s\n  change=%+v", g.Key, g.DisplayName, g.Totals, prev, g.Change)
}

func TestAggregateTotalsAreExactOnBothBackends(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newAggregationFixture(t, db)
		// 2024 against 2023, annual reports only; E's retired report and
		// A's months never count.
		manufacturing2024 := tot(3, 3, "2000.00", "2200.01", "-325.00", "61.11", 24, "10.26", "15.55")
		manufacturing2023 := tot(2, 2, "1200.00", "1000.01", "100.00", "50.00", 10, "12.50", "")
		port2023 := tot(1, 1, "", "300.00", "30.00", "", 3, "", "")
		all2023 := tot(3, 3, "1200.00", "1300.01", "130.00", "50.00", 13, "12.50", "")

		t.Run("by industry section, with each change against the year before", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByIndustry, Start: "2024"})
			if a.Start != "2024" || a.End != "2024" || a.BaseStart != "2023" || a.BaseEnd != "2023" {
				t.Fatalf("range %s–%s, base %s–%s", a.Start, a.End, a.BaseStart, a.BaseEnd)
			}
			assertGroups(t, a.Groups, []Group{
				{Key: "C", DisplayName: "制造业", Totals: manufacturing2024, PreviousYear: ptr(manufacturing2023), Change: YearOverYear{
					OutputValue: d("800.00", "66.67"), Revenue: d("1200.00", "120.00"), Profit: d("-425.00", "-425.00"),
					TaxesPaid: d("11.11", "22.22"), Employees: d("14", "140.00"), EnergyConsumption: d("-2.24", "-17.92"),
					RDSpending:  d("", ""), // no base: B and A reported no R&D in 2023
					Enterprises: d("1", "50.00"),
				}},
				// The port reported in 2023 only: its group stays, at zero.
				{Key: "G", DisplayName: "交通运输、仓储和邮政业", Totals: tot(0, 0, "", "0.00", "0.00", "", 0, "", ""), PreviousYear: ptr(port2023), Change: YearOverYear{
					Revenue: d("-300.00", "-100.00"), Profit: d("-30.00", "-100.00"), Employees: d("-3", "-100.00"), Enterprises: d("-1", "-100.00"),
				}},
			})
			assertGroups(t, []Group{a.Total}, []Group{{Key: "", DisplayName: "合计", Totals: manufacturing2024, PreviousYear: ptr(all2023), Change: YearOverYear{
				OutputValue: d("800.00", "66.67"), Revenue: d("900.00", "69.23"), Profit: d("-455.00", "-350.00"),
				TaxesPaid: d("11.11", "22.22"), Employees: d("11", "84.62"), EnergyConsumption: d("-2.24", "-17.92"),
				Enterprises: d("0", "0.00"),
			}}})
		})

		t.Run("by industry division", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByIndustry, IndustryLevel: IndustryDivision, Start: "2024"})
			var keys []string
			for _, g := range a.Groups {
				keys = append(keys, g.Key)
			}
			if want := []string{"C25", "C26", "C34", "G55"}; !slices.Equal(keys, want) {
				t.Fatalf("division keys %v, want %v", keys, want)
			}
			c26 := a.Groups[1]
			if c26.Totals.Revenue != "1500.00" || c26.PreviousYear.Revenue != "1000.00" || c26.Change.Revenue != d("500.00", "50.00") {
				t.Fatalf("C26: %s", describeGroup(c26))
			}
			c25 := a.Groups[0] // 0.01 → 500.01
			if c25.Change.Revenue != d("500.00", "5000000.00") {
				t.Fatalf("C25: %s", describeGroup(c25))
			}
			if c34 := a.Groups[2]; c34.PreviousYear != nil || c34.Change != (YearOverYear{}) {
				t.Fatalf("C34 has no base, so no change: %s", describeGroup(c34))
			}
		})

		t.Run("by administrative division; reports without one form the empty key", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByDivision, Start: "2024"})
			assertGroups(t, a.Groups, []Group{
				{Key: "", Totals: tot(0, 0, "", "0.00", "0.00", "", 0, "", ""), PreviousYear: ptr(port2023), Change: YearOverYear{
					Revenue: d("-300.00", "-100.00"), Profit: d("-30.00", "-100.00"), Employees: d("-3", "-100.00"), Enterprises: d("-1", "-100.00"),
				}},
				{Key: "330211002000", DisplayName: "蛟川街道", Totals: tot(2, 2, "2000.00", "2000.01", "-25.00", "60.00", 17, "10.25", "10.00"),
					PreviousYear: ptr(manufacturing2023), Change: YearOverYear{
						OutputValue: d("800.00", "66.67"), Revenue: d("1000.00", "100.00"), Profit: d("-125.00", "-125.00"),
						TaxesPaid: d("10.00", "20.00"), Employees: d("7", "70.00"), EnergyConsumption: d("-2.25", "-18.00"),
						Enterprises: d("0", "0.00"),
					}},
				{Key: "330211003000", DisplayName: "骆驼街道", Totals: tot(1, 1, "", "200.00", "-300.00", "1.11", 7, "0.01", "5.55")},
			})
		})

		t.Run("a range of years longer than one overlaps its base", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByPeriod, Start: "2023", End: "2024"})
			if a.BaseStart != "2022" || a.BaseEnd != "2023" {
				t.Fatalf("base %s–%s, want 2022–2023", a.BaseStart, a.BaseEnd)
			}
			a2022 := tot(1, 1, "", "999.00", "9.00", "", 8, "", "")
			assertGroups(t, a.Groups, []Group{
				{Key: "2023", DisplayName: "2023年", Totals: all2023, PreviousYear: ptr(a2022), Change: YearOverYear{
					Revenue: d("301.01", "30.13"), Profit: d("121.00", "1344.44"), Employees: d("5", "62.50"), Enterprises: d("2", "200.00"),
				}},
				{Key: "2024", DisplayName: "2024年", Totals: manufacturing2024, PreviousYear: ptr(all2023), Change: YearOverYear{
					OutputValue: d("800.00", "66.67"), Revenue: d("900.00", "69.23"), Profit: d("-455.00", "-350.00"),
					TaxesPaid: d("11.11", "22.22"), Employees: d("11", "84.62"), EnergyConsumption: d("-2.24", "-17.92"),
					Enterprises: d("0", "0.00"),
				}},
			})
			// Persons employed are a stock: per enterprise, its latest year
			// in the range (A 12, B 5, C 7 in 2024; D 3 in 2023).
			if got := a.Total.Totals; got.Revenue != "3500.02" || got.Employees != 27 || got.Enterprises != 4 || got.Reports != 6 {
				t.Fatalf("total over 2023–2024: %+v", got)
			}
			if got := a.Total.PreviousYear; got.Revenue != "2299.01" || got.Employees != 13 || got.Enterprises != 3 || got.Reports != 4 {
				t.Fatalf("base total over 2022–2023: %+v", got)
			}
			if got := a.Total.Change.Revenue; got != d("1201.01", "52.24") {
				t.Fatalf("total revenue change %+v", got)
			}
		})

		t.Run("a range of months totals monthly reports; a zero base has no percent", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByPeriod, Start: "2024-01", End: "2024-03"})
			month := func(rev string, emp int64) Totals { return tot(1, 1, "", rev, "1.00", "", emp, "", "") }
			assertGroups(t, a.Groups, []Group{
				{Key: "2024-01", DisplayName: "2024年1月", Totals: month("100.00", 10), PreviousYear: ptr(month("80.00", 9)), Change: YearOverYear{
					Revenue: d("20.00", "25.00"), Profit: d("0.00", "0.00"), Employees: d("1", "11.11"), Enterprises: d("0", "0.00"),
				}},
				{Key: "2024-02", DisplayName: "2024年2月", Totals: month("50.00", 11)},
				{Key: "2024-03", DisplayName: "2024年3月", Totals: month("1.00", 12), PreviousYear: ptr(month("0.00", 9)), Change: YearOverYear{
					Revenue: d("1.00", ""), Profit: d("0.00", "0.00"), Employees: d("3", "33.33"), Enterprises: d("0", "0.00"),
				}},
			})
			// Three months of one enterprise: revenue adds up, persons
			// employed are March's, not the sum of three months.
			if got := a.Total.Totals; got != tot(3, 1, "", "151.00", "3.00", "", 12, "", "") {
				t.Fatalf("total of the months: %+v", got)
			}
			if got := a.Total.Change; got.Revenue != d("71.00", "88.75") || got.Employees != d("3", "33.33") {
				t.Fatalf("total change of the months: %+v", got)
			}
		})

		t.Run("the filter and the parent narrow what is totalled", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByIndustry, Start: "2024", Filter: "above_designated_size = true"})
			if len(a.Groups) != 1 || a.Groups[0].Totals != tot(2, 2, "1300.00", "1700.00", "-350.00", "61.11", 19, "10.26", "15.55") {
				t.Fatalf("above designated size: %+v", a.Groups)
			}
			if p := a.Groups[0].PreviousYear; p == nil || *p != tot(1, 1, "1200.00", "1000.00", "100.00", "50.00", 10, "12.50", "") {
				t.Fatalf("above designated size, 2023: %+v", p)
			}
			a = f.aggregate(t, AggregateQuery{USCC: f.c, GroupBy: ByPeriod, Start: "2022", End: "2024"})
			if len(a.Groups) != 1 || a.Groups[0].Key != "2024" || a.Total.Totals.Revenue != "200.00" {
				t.Fatalf("enterprise C alone: %+v", a.Groups)
			}
			a = f.aggregate(t, AggregateQuery{GroupBy: ByDivision, Start: "2024", Filter: `industry_code = "C26*"`})
			if a.Total.Totals.Revenue != "1500.00" || a.Total.PreviousYear.Revenue != "1000.00" {
				t.Fatalf("C26 only: %+v", a.Total)
			}
		})

		t.Run("a period without reports totals nothing", func(t *testing.T) {
			a := f.aggregate(t, AggregateQuery{GroupBy: ByIndustry, Start: "1990"})
			if len(a.Groups) != 0 || a.Total.Totals != tot(0, 0, "", "0.00", "0.00", "", 0, "", "") || a.Total.PreviousYear != nil {
				t.Fatalf("1990: %+v", a)
			}
		})
	})
}

func TestAggregateAddsBeyondWhatFloatsHold(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		const most = "999999999999999999.99" // the largest figure the kit accepts
		for _, g := range []fig{
			{uscc(t, "MA3000001"), "2024", "C2511", "", most, most, most, "0.10", 1, "0.10", "", true},
			{uscc(t, "MA3000002"), "2024", "C2511", "", most, "-" + most, most, "0.20", 2, "0.20", "", true},
			{uscc(t, "MA3000003"), "2024", "C2511", "", "0.01", "0.01", "0.01", "0.01", 3, "0.01", "", false},
		} {
			f.create(t, g.report())
		}
		a, err := f.svc.Aggregate(ctx, AggregateQuery{GroupBy: ByIndustry, Start: "2024"})
		if err != nil {
			t.Fatal(err)
		}
		// 2 × 999999999999999999.99 + 0.01 needs 21 significant digits; the
		// profits cancel but for a fen; 0.10 + 0.20 + 0.01 is 0.31, not
		// 0.31000000000000005.
		want := tot(3, 3, "1999999999999999999.99", "1999999999999999999.99", "0.01", "0.31", 6, "0.31", "")
		if got := a.Total.Totals; got != want {
			t.Fatalf("totals %+v\nwant   %+v", got, want)
		}
	})
}

func TestAggregateReadsAtAPointInTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2025-02-01")
		a := f.create(t, fig{uscc(t, "MA4000001"), "2024", "C2614", "", "100.00", "10.00", "", "", 1, "", "", false}.report())
		f.create(t, fig{uscc(t, "MA4000002"), "2024", "C2614", "", "50.00", "5.00", "", "", 1, "", "", false}.report())
		f.now = day("2025-03-01")
		if _, err := f.svc.Update(ctx, a.Key(), &Report{Revenue: "120.00"}, []string{"revenue"}, UpdateOptions{Correction: true}); err != nil {
			t.Fatal(err)
		}
		f.now = day("2025-04-01")
		if _, err := f.svc.Delete(ctx, Key{uscc(t, "MA4000002"), "2024"}, DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			at   history.Point
			want string
		}{
			{"now: the corrected figure, the retired report left out", history.Point{}, "120.00"},
			{"as known before the correction", history.Point{KnownAt: day("2025-02-15")}, "150.00"},
			{"as known after the correction, before the retirement", history.Point{KnownAt: day("2025-03-15")}, "170.00"},
			{"as known before either report was recorded", history.Point{KnownAt: day("2025-01-15")}, "0.00"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.svc.Aggregate(ctx, AggregateQuery{GroupBy: ByIndustry, Start: "2024", At: tt.at})
				if err != nil || got.Total.Totals.Revenue != tt.want {
					t.Fatalf("revenue %q, %v; want %s", got.Total.Totals.Revenue, err, tt.want)
				}
			})
		}
	})
}

func TestAggregateQueryRules(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		q      AggregateQuery
		fields []string
		reason string
	}{
		{"a grouping is required", AggregateQuery{Start: "2024"}, []string{"group_by"}, "is required"},
		{"an unknown grouping is refused", AggregateQuery{GroupBy: "COLOUR", Start: "2024"}, []string{"group_by"}, "unknown"},
		{"an unknown industry level is refused", AggregateQuery{GroupBy: ByIndustry, IndustryLevel: "CLASS", Start: "2024"}, []string{"industry_level"}, "unknown"},
		{"the start period is required", AggregateQuery{GroupBy: ByPeriod}, []string{"start_period"}, "is required"},
		{"month 13 is refused naming the start period", AggregateQuery{GroupBy: ByPeriod, Start: "2024-13"}, []string{"start_period"}, "the month must be between 01 and 12"},
		{"a future end is refused", AggregateQuery{GroupBy: ByPeriod, Start: "2024", End: "2030"}, []string{"end_period"}, "in the future"},
		{"years and months are not mixed", AggregateQuery{GroupBy: ByPeriod, Start: "2024", End: "2024-06"}, []string{"end_period"}, "same kind"},
		{"the end is not before the start", AggregateQuery{GroupBy: ByPeriod, Start: "2024-06", End: "2024-05"}, []string{"end_period"}, "before start_period"},
		{"the parent must be a valid USCC", AggregateQuery{USCC: "x", GroupBy: ByPeriod, Start: "2024"}, []string{"parent"}, "valid USCC"},
		{"a bad filter is refused naming filter", AggregateQuery{GroupBy: ByPeriod, Start: "2024", Filter: "colour = red"}, []string{"filter"}, "unknown field"},
		{"every broken rule at once", AggregateQuery{USCC: "x", Start: "2024-13", End: "2024-14"}, []string{"end_period", "group_by", "parent", "start_period"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Aggregate(ctx, tt.q)
			if got := fields(t, err); !slices.Equal(got, tt.fields) || !strings.Contains(reasons(err), tt.reason) {
				t.Fatalf("Aggregate(%+v) = %v; want %v with %q", tt.q, err, tt.fields, tt.reason)
			}
		})
	}
	// An end equal to the start is a one-period range.
	if a, err := f.svc.Aggregate(ctx, AggregateQuery{GroupBy: ByPeriod, Start: "2024-06", End: "2024-06"}); err != nil || a.End != "2024-06" {
		t.Fatalf("one-month range: %+v, %v", a, err)
	}
}
