package economy_test

import (
	"testing"

	. "github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/economy/reportgen"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/tools/demo"
)

// BenchmarkAggregate totals a year of monthly reports of the demo
// district's first 100 enterprises (1200 reports, against 1200 of the year
// before) on SQLite.
func BenchmarkAggregate(b *testing.B) {
	f := newFixtureOn(b, storetest.OpenSQLite(b))
	f.now = day("2026-06-01")
	es := reportgen.FromLegalEntities(demo.LegalEntities(demo.DefaultSeed, 100))
	for i := range es {
		es[i].EstablishedOn = "" // every enterprise reports every month
	}
	reqs, err := reportgen.Reports(demo.DefaultSeed, es, reportgen.Options{FirstYear: 2024, LastYear: 2025})
	if err != nil {
		b.Fatal(err)
	}
	for _, req := range reqs {
		m := req.GetReport()
		f.create(b, &Report{USCC: req.GetParent()[len("enterprises/"):], Period: req.GetPeriod(), IndustryCode: m.GetIndustryCode(),
			DivisionCode: m.GetDivisionCode(), OutputValue: m.GetOutputValue(), Revenue: m.GetRevenue(), Profit: m.GetProfit(),
			TaxesPaid: m.GetTaxesPaid(), Employees: m.GetEmployees(), EnergyConsumption: m.GetEnergyConsumption(),
			RDSpending: m.GetRdSpending(), AboveDesignatedSize: m.GetAboveDesignatedSize()})
	}
	for _, by := range []GroupBy{ByIndustry, ByDivision, ByPeriod} {
		b.Run(string(by), func(b *testing.B) {
			for b.Loop() {
				a, err := f.svc.Aggregate(ctx, AggregateQuery{GroupBy: by, Start: "2025-01", End: "2025-12"})
				if err != nil || a.Total.Totals.Reports != 1200 {
					b.Fatalf("%d reports, %v", a.Total.Totals.Reports, err)
				}
			}
		})
	}
}
