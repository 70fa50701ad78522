package reportgen_test

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	"github.com/zhbase/zhbase/services/economy/reportgen"
	"github.com/zhbase/zhbase/tools/demo"
)

// The registry accepting every generated report is tested in api's tests,
// which create them over gRPC.

func enterprises(n int) []reportgen.Enterprise {
	return reportgen.FromLegalEntities(demo.LegalEntities(demo.DefaultSeed, n))
}

func generate(t *testing.T, seed uint64, es []reportgen.Enterprise, o reportgen.Options) []*economyv1.CreateReportRequest {
	t.Helper()
	reqs, err := reportgen.Reports(seed, es, o)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// year is one enterprise's reports of one year.
type year struct {
	annual *economyv1.CreateReportRequest
	months []*economyv1.CreateReportRequest
}

// years groups reports by enterprise and year, checking that each year's
// annual report comes first and its months follow in order.
func years(t *testing.T, reqs []*economyv1.CreateReportRequest) []*year {
	t.Helper()
	var out []*year
	for _, r := range reqs {
		if len(r.GetPeriod()) == 4 {
			out = append(out, &year{annual: r})
			continue
		}
		y := out[len(out)-1]
		if r.GetParent() != y.annual.GetParent() || r.GetPeriod()[:4] != y.annual.GetPeriod() ||
			(len(y.months) > 0 && r.GetPeriod() <= y.months[len(y.months)-1].GetPeriod()) {
			t.Fatalf("%s/%s out of place after %s/%s", r.GetParent(), r.GetPeriod(), y.annual.GetParent(), y.annual.GetPeriod())
		}
		y.months = append(y.months, r)
	}
	return out
}

// of returns the reports of one enterprise.
func of(reqs []*economyv1.CreateReportRequest, uscc string) []*economyv1.CreateReportRequest {
	var out []*economyv1.CreateReportRequest
	for _, r := range reqs {
		if r.GetParent() == "enterprises/"+uscc {
			out = append(out, r)
		}
	}
	return out
}

func equal(a, b []*economyv1.CreateReportRequest) bool {
	return slices.EqualFunc(a, b, func(x, y *economyv1.CreateReportRequest) bool { return proto.Equal(x, y) })
}

func TestReportsAreDeterministic(t *testing.T) {
	es := enterprises(20)
	a := generate(t, 7, es, reportgen.Options{})
	if !equal(a, generate(t, 7, es, reportgen.Options{})) {
		t.Fatal("the same seed and enterprises gave different reports")
	}
	if equal(a, generate(t, 8, es, reportgen.Options{})) {
		t.Fatal("another seed gave the same reports")
	}
	// One enterprise's reports do not depend on the others generated with it.
	alone := generate(t, 7, es[3:4], reportgen.Options{})
	if len(alone) == 0 || !equal(alone, of(a, es[3].USCC)) {
		t.Fatal("an enterprise's reports changed with the enterprises around it")
	}
}

func TestReportsCoverEveryPeriodOf2022To2025(t *testing.T) {
	es := enterprises(3)
	for i := range es {
		es[i].EstablishedOn = "2001-05-20"
	}
	reqs := generate(t, 1, es, reportgen.Options{})
	if len(reqs) != 3*4*13 {
		t.Fatalf("%d reports, want 3 enterprises × 4 years × (1 + 12)", len(reqs))
	}
	var periods []string
	for _, r := range reqs[:52] {
		if r.GetParent() != "enterprises/"+es[0].USCC || r.GetReport().GetIndustryCode() != es[0].IndustryCode || r.GetReport().GetDivisionCode() != es[0].DivisionCode {
			t.Fatalf("report %s/%s does not belong to %+v", r.GetParent(), r.GetPeriod(), es[0])
		}
		periods = append(periods, r.GetPeriod())
	}
	if periods[0] != "2022" || periods[1] != "2022-01" || periods[12] != "2022-12" || periods[13] != "2023" || periods[51] != "2025-12" {
		t.Fatalf("periods %v", periods)
	}
	annual := generate(t, 1, es, reportgen.Options{FirstYear: 2024, LastYear: 2024, AnnualOnly: true})
	if len(annual) != 3 || annual[0].GetPeriod() != "2024" {
		t.Fatalf("annual-only 2024: %d reports", len(annual))
	}
	if _, err := reportgen.Reports(1, es, reportgen.Options{FirstYear: 2025, LastYear: 2024}); err == nil {
		t.Fatal("a range that ends before it starts must be refused")
	}
}

func TestNoReportPrecedesTheEnterprise(t *testing.T) {
	e := enterprises(1)[0]
	e.EstablishedOn = "2023-09-14"
	ys := years(t, generate(t, 1, []reportgen.Enterprise{e}, reportgen.Options{}))
	if len(ys) != 3 || ys[0].annual.GetPeriod() != "2023" {
		t.Fatalf("established in 2023: first year %s of %d", ys[0].annual.GetPeriod(), len(ys))
	}
	if first := ys[0].months[0].GetPeriod(); first != "2023-09" || len(ys[0].months) != 4 {
		t.Fatalf("established in September 2023: months from %s, %d of them", first, len(ys[0].months))
	}
	// A third of a year earns roughly a third of the next year's revenue.
	part, whole := fen(t, ys[0].annual.GetReport().GetRevenue()), fen(t, ys[1].annual.GetReport().GetRevenue())
	if r, _ := new(big.Rat).SetFrac(part, whole).Float64(); r < 0.15 || r > 0.6 {
		t.Fatalf("the partial first year earned %.2f of the next", r)
	}
	e.EstablishedOn = "2030-01-01"
	if reqs := generate(t, 1, []reportgen.Enterprise{e}, reportgen.Options{}); len(reqs) != 0 {
		t.Fatalf("an enterprise established after 2025 got %d reports", len(reqs))
	}
}

func fen(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(strings.Replace(s, ".", "", 1), 10)
	if !ok || !strings.Contains(s, ".") || len(s)-strings.Index(s, ".") != 3 {
		t.Fatalf("figure %q is not a decimal with two fraction digits", s)
	}
	return v
}

func TestMonthsAddUpToTheirYearExactly(t *testing.T) {
	figures := map[string]func(*economyv1.Report) string{
		"revenue":            (*economyv1.Report).GetRevenue,
		"profit":             (*economyv1.Report).GetProfit,
		"taxes_paid":         (*economyv1.Report).GetTaxesPaid,
		"energy_consumption": (*economyv1.Report).GetEnergyConsumption,
		"rd_spending":        (*economyv1.Report).GetRdSpending,
		"output_value":       (*economyv1.Report).GetOutputValue,
	}
	partial := 0
	for _, y := range years(t, generate(t, 3, enterprises(60), reportgen.Options{})) {
		if len(y.months) < 12 {
			partial++
		}
		annual := y.annual.GetReport()
		for name, get := range figures {
			if get(annual) == "" {
				for _, m := range y.months {
					if get(m.GetReport()) != "" {
						t.Fatalf("%s/%s: %s reported in a month but not in the year", m.GetParent(), m.GetPeriod(), name)
					}
				}
				continue
			}
			sum := new(big.Int)
			for _, m := range y.months {
				sum.Add(sum, fen(t, get(m.GetReport())))
			}
			if want := fen(t, get(annual)); sum.Cmp(want) != 0 {
				t.Fatalf("%s/%s: months of %s add up to %v, the year says %v", y.annual.GetParent(), y.annual.GetPeriod(), name, sum, want)
			}
		}
		if dec := y.months[len(y.months)-1]; dec.GetPeriod()[5:] != "12" || dec.GetReport().GetEmployees() != annual.GetEmployees() {
			t.Fatalf("%s: December (%s) employs %d, the year %d", y.annual.GetParent(), dec.GetPeriod(), dec.GetReport().GetEmployees(), annual.GetEmployees())
		}
	}
	if partial == 0 {
		t.Fatal("fixture: no enterprise was established within 2022–2025, so partial years went untested")
	}
}

func TestReportsArePlausible(t *testing.T) {
	es := enterprises(300)
	reqs := generate(t, demo.DefaultSeed, es, reportgen.Options{})
	threshold := big.NewInt(reportgen.AboveDesignatedSizeRevenue)
	var annual, losses, above int
	for _, y := range years(t, reqs) {
		r := y.annual.GetReport()
		annual++
		if r.GetProfit()[0] == '-' {
			losses++
		}
		isAbove := fen(t, r.GetRevenue()).Cmp(threshold) >= 0
		if r.GetAboveDesignatedSize() != isAbove {
			t.Fatalf("%s/%s: revenue %s but above_designated_size %v", y.annual.GetParent(), y.annual.GetPeriod(), r.GetRevenue(), r.GetAboveDesignatedSize())
		}
		if isAbove {
			above++
		}
		for _, m := range y.months {
			if m.GetReport().GetAboveDesignatedSize() != r.GetAboveDesignatedSize() {
				t.Fatalf("%s/%s does not carry its year's 规上 flag", m.GetParent(), m.GetPeriod())
			}
		}
		industrial := strings.ContainsAny(r.GetIndustryCode()[:1], "BCD")
		if (r.GetOutputValue() != "") != industrial {
			t.Fatalf("%s: industry %s with output value %q", y.annual.GetParent(), r.GetIndustryCode(), r.GetOutputValue())
		}
		if r.GetEmployees() < 3 {
			t.Fatalf("%s/%s employs %d", y.annual.GetParent(), y.annual.GetPeriod(), r.GetEmployees())
		}
	}
	// Growth over the full years 2023 to 2025 of enterprises that existed
	// throughout.
	grew, compared := 0, 0
	for _, e := range es {
		ys := years(t, of(reqs, e.USCC))
		if len(ys) < 3 || ys[len(ys)-3].annual.GetPeriod() != "2023" || len(ys[len(ys)-3].months) != 12 {
			continue
		}
		compared++
		if fen(t, ys[len(ys)-1].annual.GetReport().GetRevenue()).Cmp(fen(t, ys[len(ys)-3].annual.GetReport().GetRevenue())) > 0 {
			grew++
		}
	}
	share := func(n, of int) float64 { return float64(n) / float64(of) }
	t.Logf("of %d annual reports: %d loss-making, %d above designated size; %d of %d enterprises grew 2023–2025", annual, losses, above, grew, compared)
	if s := share(losses, annual); s < 0.05 || s > 0.3 {
		t.Errorf("%.0f%% of annual reports show a loss; want some, but not most", 100*s)
	}
	if s := share(above, annual); s < 0.2 || s > 0.9 {
		t.Errorf("%.0f%% of annual reports are above designated size", 100*s)
	}
	if s := share(grew, compared); compared < 200 || s < 0.55 {
		t.Errorf("only %d of %d enterprises grew over two years; the trend should be growth", grew, compared)
	}
}

func TestReportsRefuseEnterprisesARegistryWould(t *testing.T) {
	good := enterprises(1)[0]
	for _, tt := range []struct {
		name string
		e    reportgen.Enterprise
	}{
		{"an industry section without a division", reportgen.Enterprise{USCC: good.USCC, IndustryCode: "C"}},
		{"a malformed industry code", reportgen.Enterprise{USCC: good.USCC, IndustryCode: "X99"}},
		{"a USCC with a wrong check character", reportgen.Enterprise{USCC: good.USCC[:17] + fmt.Sprint((int(good.USCC[17])+1)%10), IndustryCode: "C2614"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.e.USCC == good.USCC && tt.e.IndustryCode == good.IndustryCode {
				t.Fatal("fixture")
			}
			if _, err := reportgen.Reports(1, []reportgen.Enterprise{good, tt.e}, reportgen.Options{}); err == nil {
				t.Fatalf("Reports accepted %+v", tt.e)
			}
		})
	}
}
