package economy_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
)

func TestValidationRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Report)
		fields []string
		reason string // a fragment one of the reasons must contain
	}{
		{"a complete report is valid", func(*Report) {}, nil, ""},
		{"only the industry code, revenue and profit are required", func(r *Report) {
			r.DivisionCode, r.OutputValue, r.TaxesPaid, r.EnergyConsumption, r.RDSpending, r.Employees = "", "", "", "", "", 0
		}, nil, ""},
		{"a loss is a negative profit", func(r *Report) { r.Profit = "-3500000.00" }, nil, ""},
		{"zero revenue is a figure, not a missing one", func(r *Report) { r.Revenue = "0" }, nil, ""},
		{"the industry code is required", func(r *Report) { r.IndustryCode = "" }, []string{"report.industry_code"}, "is required"},
		{"the industry code names at least the division", func(r *Report) { r.IndustryCode = "C" }, []string{"report.industry_code"}, "at least the division"},
		{"the industry division belongs to its section", func(r *Report) { r.IndustryCode = "A26" }, []string{"report.industry_code"}, "belongs to section C"},
		{"the industry code follows GB/T 4754", func(r *Report) { r.IndustryCode = "Z99" }, []string{"report.industry_code"}, "between A and T"},
		{"the division code is a GB/T 2260 code", func(r *Report) { r.DivisionCode = "33021" }, []string{"report.division_code"}, "6 or 12 digits"},
		{"revenue is required", func(r *Report) { r.Revenue = "" }, []string{"report.revenue"}, "is required"},
		{"profit is required", func(r *Report) { r.Profit = "" }, []string{"report.profit"}, "is required"},
		{"revenue cannot be negative", func(r *Report) { r.Revenue = "-1.00" }, []string{"report.revenue"}, "must not be negative"},
		{"profit has at most one sign", func(r *Report) { r.Profit = "--5" }, []string{"report.profit"}, "at most one sign"},
		{"output value has at most two fraction digits", func(r *Report) { r.OutputValue = "1.005" }, []string{"report.output_value"}, "at most 2 digits"},
		{"taxes paid cannot be negative", func(r *Report) { r.TaxesPaid = "-10" }, []string{"report.taxes_paid"}, "must not be negative"},
		{"energy has no thousands separators", func(r *Report) { r.EnergyConsumption = "18,250.5" }, []string{"report.energy_consumption"}, "commas"},
		{"R&D spending is not in exponent notation", func(r *Report) { r.RDSpending = "4.4E+06" }, []string{"report.rd_spending"}, "exponent"},
		{"employees cannot be negative", func(r *Report) { r.Employees = -1 }, []string{"report.employees"}, "must not be negative"},
		{"employees are persons, not thousands of persons", func(r *Report) { r.Employees = MaxEmployees + 1 }, []string{"report.employees"}, "check the unit"},
		{"month 13 is refused naming the period", func(r *Report) { r.Period = "2024-13" }, []string{"period"}, "the month must be between 01 and 12, got 13"},
		{"a period in the future is refused", func(r *Report) { r.Period = "2025-07" }, []string{"period"}, "2025-07 is in the future"},
		{"a year before 1949 is refused", func(r *Report) { r.Period = "1948" }, []string{"period"}, "between 1949 and 2025"},
		{"the period is required", func(r *Report) { r.Period = "" }, []string{"period"}, "is required"},
		{"the period is a year or a month", func(r *Report) { r.Period = "2024-Q2" }, []string{"period"}, "YYYY-MM"},
		{"the parent's USCC passes its check character", func(r *Report) { r.USCC = r.USCC[:17] + wrongCheck(r.USCC[17]) }, []string{"parent"}, "check character"},
		{"the parent's USCC has 18 characters", func(r *Report) { r.USCC = "91330211" }, []string{"parent"}, "18 characters"},
		{"every broken rule is reported at once", func(r *Report) {
			r.Period, r.IndustryCode, r.Revenue, r.Profit, r.Employees = "2024-13", "", "-1", "x", -5
		}, []string{"period", "report.employees", "report.industry_code", "report.profit", "report.revenue"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := validReport(t, tt.mutate)
			f.register(r.USCC)
			_, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{ValidateOnly: true})
			if got := fields(t, err); !slices.Equal(got, tt.fields) {
				t.Fatalf("violations %v (%s), want %v", got, reasons(err), tt.fields)
			}
			if tt.reason != "" && !strings.Contains(reasons(err), tt.reason) {
				t.Fatalf("reasons %q do not say %q", reasons(err), tt.reason)
			}
		})
	}
}

func wrongCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestTheEnterpriseMustExistInTheLegalEntityRegistry(t *testing.T) {
	t.Run("an enterprise the registry does not hold is refused naming parent, and nothing is stored", func(t *testing.T) {
		f := newFixture(t)
		r := validReport(t)
		_, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{})
		if got := fields(t, err); !slices.Equal(got, []string{"parent"}) || !strings.Contains(reasons(err), "legalEntities/"+r.USCC+" does not exist") {
			t.Fatalf("Create = %v, want parent refused as missing", err)
		}
		if _, err := f.svc.Get(ctx, r.Key(), history.Point{}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("after the refusal Get = %v, want not found", err)
		}
	})
	t.Run("an unreachable registry fails the write as unavailable, never passes it", func(t *testing.T) {
		f := newFixture(t)
		r := validReport(t)
		f.register(r.USCC)
		f.down = true
		if _, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{}); !errors.Is(err, errs.ErrUnavailable) {
			t.Fatalf("Create = %v, want unavailable", err)
		}
		if _, err := f.svc.Get(ctx, r.Key(), history.Point{}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("after the failure Get = %v, want not found", err)
		}
	})
	t.Run("a request that breaks a local rule costs no lookup", func(t *testing.T) {
		f := newFixture(t)
		r := validReport(t, func(r *Report) { r.Revenue = "" })
		if _, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{}); err == nil || f.lookups != 0 {
			t.Fatalf("Create = %v after %d lookups, want refused after none", err, f.lookups)
		}
	})
	t.Run("validate_only checks the reference too", func(t *testing.T) {
		f := newFixture(t)
		r := validReport(t)
		if _, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{ValidateOnly: true}); !slices.Equal(fields(t, err), []string{"parent"}) {
			t.Fatalf("validate_only Create = %v, want parent refused", err)
		}
	})
}

func TestCreateStoresWhatAClerkTypedInItsCanonicalForm(t *testing.T) {
	f := newFixture(t)
	in := validReport(t, func(r *Report) {
		r.IndustryCode, r.DivisionCode = " c2614 ", " 330211002000 "
		r.Revenue, r.Profit, r.OutputValue, r.TaxesPaid, r.EnergyConsumption, r.RDSpending = "148000000", "-0", " 152300000.5 ", "5100000.1", "18250.5", "4400000"
	})
	got := f.create(t, in)
	want := validReport(t, func(r *Report) {
		r.Revenue, r.Profit, r.OutputValue, r.TaxesPaid, r.EnergyConsumption, r.RDSpending = "148000000.00", "0.00", "152300000.50", "5100000.10", "18250.50", "4400000.00"
	})
	got.CreateTime, got.UpdateTime, got.Revision, got.Version = time.Time{}, time.Time{}, 0, history.Info{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
}

func TestCreateReturnsTheFirstVersionInEffectFromThePeriodStart(t *testing.T) {
	f := newFixture(t)
	got := f.create(t, validReport(t, func(r *Report) { r.Period = "2024-03" }))
	if got.Revision != 1 || !got.CreateTime.Equal(testNow) || !got.UpdateTime.Equal(testNow) || got.Retired {
		t.Fatalf("created %+v", got)
	}
	v := got.Version
	if v.Version != 1 || v.Action != history.Created || v.Sequence != 1 || !v.KnownFrom.Equal(testNow) ||
		!v.ValidFrom.Equal(time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC)) || !v.ValidTo.IsZero() {
		t.Fatalf("version %+v: want version 1, created at sequence 1, in effect from midnight 1 March 2024 in Beijing", v)
	}
}

func TestCreateOfATakenKeyIsAlreadyExists(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, validReport(t))
	_, err := f.svc.Create(ctx, first.USCC, first.Period, validReport(t, func(r *Report) { r.Revenue = "1.00" }), CreateOptions{})
	if !errors.Is(err, errs.ErrAlreadyExists) {
		t.Fatalf("second Create = %v, want already exists", err)
	}
	if got, _ := f.svc.Get(ctx, first.Key(), history.Point{}); got.Revenue != first.Revenue {
		t.Fatalf("the first report was overwritten: revenue %s", got.Revenue)
	}
	// Another period of the same enterprise is another report.
	f.create(t, validReport(t, func(r *Report) { r.Period = "2024-06" }))
}

func TestCreateValidateOnlyStoresNothing(t *testing.T) {
	f := newFixture(t)
	r := validReport(t)
	f.register(r.USCC)
	out, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{ValidateOnly: true})
	if err != nil || out.Revision != 1 || out.Revenue != r.Revenue {
		t.Fatalf("validate_only Create = %+v, %v", out, err)
	}
	if _, err := f.svc.Get(ctx, r.Key(), history.Point{}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("after validate_only Get = %v, want not found", err)
	}
}

func TestGetRefusesNamesThatCannotBeReports(t *testing.T) {
	f := newFixture(t)
	stored := f.create(t, validReport(t))
	tests := []struct {
		name string
		key  Key
		want error
	}{
		{"a stored report is found", stored.Key(), nil},
		{"another period of the enterprise is not found", Key{stored.USCC, "2023"}, errs.ErrNotFound},
		{"a USCC with a wrong check character is invalid", Key{stored.USCC[:17] + wrongCheck(stored.USCC[17]), "2024"}, errs.ErrInvalid},
		{"month 13 is invalid", Key{stored.USCC, "2024-13"}, errs.ErrInvalid},
		{"a future period is invalid: it can never be stored", Key{stored.USCC, "2030"}, errs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Get(ctx, tt.key, history.Point{})
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Get(%v) = %v, want %v", tt.key, err, tt.want)
			}
			if errors.Is(tt.want, errs.ErrInvalid) && !slices.Equal(fields(t, err), []string{"name"}) {
				t.Fatalf("violations %v, want name", fields(t, err))
			}
		})
	}
}

func TestUpdateMask(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, validReport(t))
	tests := []struct {
		name   string
		paths  []string
		reason string
	}{
		{"an empty mask is refused", nil, "is required"},
		{"an unknown field is refused, listing the updatable ones", []string{"turnover"}, "updatable fields are above_designated_size, division_code"},
		{"the period is part of the name and cannot change", []string{"period"}, `"period" cannot be changed`},
		{"the enterprise cannot change", []string{"uscc"}, `"uscc" cannot be changed`},
		{"the etag is computed", []string{"etag"}, `"etag" cannot be changed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Update(ctx, r.Key(), &Report{}, tt.paths, UpdateOptions{})
			if !slices.Equal(fields(t, err), []string{"update_mask"}) || !strings.Contains(reasons(err), tt.reason) {
				t.Fatalf("Update(%v) = %v, want update_mask refused with %q", tt.paths, err, tt.reason)
			}
		})
	}
}

func TestUpdateChangesOnlyTheMaskedFields(t *testing.T) {
	f := newFixture(t)
	before := f.create(t, validReport(t))
	f.now = testNow.Add(time.Hour)
	in := &Report{Revenue: "150000000", Profit: "-1", Employees: 999, IndustryCode: "C2511"}
	got, err := f.svc.Update(ctx, before.Key(), in, []string{"revenue", "profit"}, UpdateOptions{Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := *before
	want.Revenue, want.Profit, want.UpdateTime, want.Revision = "150000000.00", "-1.00", f.now, 2
	got.Version, want.Version = history.Info{}, history.Info{}
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("updated %+v\nwant    %+v", got, &want)
	}
}

func TestUpdateStarReplacesEveryWritableField(t *testing.T) {
	f := newFixture(t)
	before := f.create(t, validReport(t))
	in := &Report{IndustryCode: "C2511", Revenue: "10", Profit: "1"}
	got, err := f.svc.Update(ctx, before.Key(), in, []string{"*"}, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.IndustryCode != "C2511" || got.Revenue != "10.00" || got.DivisionCode != "" || got.OutputValue != "" || got.Employees != 0 ||
		got.AboveDesignatedSize || got.USCC != before.USCC || got.Period != before.Period || !got.CreateTime.Equal(before.CreateTime) {
		t.Fatalf("after *: %+v", got)
	}
}

func TestAnUpdateThatBreaksARuleStoresNothing(t *testing.T) {
	f := newFixture(t)
	before := f.create(t, validReport(t))
	_, err := f.svc.Update(ctx, before.Key(), &Report{Revenue: "-5", Employees: -1}, []string{"revenue", "employees"}, UpdateOptions{})
	if got := fields(t, err); !slices.Equal(got, []string{"report.employees", "report.revenue"}) {
		t.Fatalf("Update = %v, want revenue and employees refused", err)
	}
	if got, _ := f.svc.Get(ctx, before.Key(), history.Point{}); got.Revision != 1 || got.Revenue != before.Revenue {
		t.Fatalf("after a refused update: %+v", got)
	}
}

func TestUpdateEtagValidateOnlyAndMissingReports(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, validReport(t))
	t.Run("a stale etag is a conflict and stores nothing", func(t *testing.T) {
		_, err := f.svc.Update(ctx, r.Key(), &Report{Revenue: "1"}, []string{"revenue"}, UpdateOptions{Revision: 7})
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("Update with etag 7 = %v, want conflict", err)
		}
	})
	t.Run("validate_only returns the result and stores nothing", func(t *testing.T) {
		got, err := f.svc.Update(ctx, r.Key(), &Report{Revenue: "1"}, []string{"revenue"}, UpdateOptions{ValidateOnly: true})
		if err != nil || got.Revenue != "1.00" || got.Revision != 2 {
			t.Fatalf("validate_only Update = %+v, %v", got, err)
		}
		if stored, _ := f.svc.Get(ctx, r.Key(), history.Point{}); stored.Revenue != r.Revenue || stored.Revision != 1 {
			t.Fatalf("validate_only stored %+v", stored)
		}
	})
	t.Run("updating a report the registry does not hold is not found", func(t *testing.T) {
		_, err := f.svc.Update(ctx, Key{r.USCC, "2023"}, &Report{Revenue: "1"}, []string{"revenue"}, UpdateOptions{})
		if !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("Update = %v, want not found", err)
		}
	})
	t.Run("a name that cannot be a report's is invalid, naming report.name", func(t *testing.T) {
		_, err := f.svc.Update(ctx, Key{r.USCC, "2024-13"}, &Report{Revenue: "1"}, []string{"revenue"}, UpdateOptions{})
		if !slices.Equal(fields(t, err), []string{"report.name"}) || !strings.Contains(reasons(err), "the period 2024-13: the month must be between 01 and 12") {
			t.Fatalf("Update = %v, want report.name refused", err)
		}
	})
}

func TestListByParentAndPageSizes(t *testing.T) {
	f := newFixture(t)
	a, b := uscc(t, "MA2000001"), uscc(t, "MA2000002")
	for _, u := range []string{a, b} {
		for _, p := range []string{"2023", "2024", "2024-01"} {
			f.create(t, validReport(t, func(r *Report) { r.USCC, r.Period = u, p }))
		}
	}
	keys := func(p Page) []string {
		var out []string
		for _, r := range p.Reports {
			out = append(out, r.Key().Name())
		}
		return out
	}
	t.Run("a parent lists its own reports only", func(t *testing.T) {
		p, err := f.svc.List(ctx, ListQuery{USCC: a})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"enterprises/" + a + "/reports/2023", "enterprises/" + a + "/reports/2024", "enterprises/" + a + "/reports/2024-01"}
		if got := keys(p); !slices.Equal(got, want) {
			t.Fatalf("List(%s) = %v, want %v", a, got, want)
		}
	})
	t.Run("no parent lists every enterprise's reports", func(t *testing.T) {
		p, err := f.svc.List(ctx, ListQuery{})
		if err != nil || len(p.Reports) != 6 {
			t.Fatalf("List(-) = %v, %v; want 6 reports", keys(p), err)
		}
	})
	t.Run("a parent that is not a valid USCC is refused naming parent", func(t *testing.T) {
		if _, err := f.svc.List(ctx, ListQuery{USCC: "nope"}); !slices.Equal(fields(t, err), []string{"parent"}) {
			t.Fatalf("List(nope) = %v", err)
		}
	})
	t.Run("a negative page size is refused; one above the maximum is capped", func(t *testing.T) {
		if _, err := f.svc.List(ctx, ListQuery{PageSize: -1}); !slices.Equal(fields(t, err), []string{"page_size"}) {
			t.Fatalf("List(page_size -1) = %v", err)
		}
		if p, err := f.svc.List(ctx, ListQuery{PageSize: MaxListPageSize + 1}); err != nil || len(p.Reports) != 6 {
			t.Fatalf("List(page_size max+1) = %d reports, %v", len(p.Reports), err)
		}
	})
	t.Run("a page size of 4 leaves a second page of 2", func(t *testing.T) {
		p1, err := f.svc.List(ctx, ListQuery{PageSize: 4})
		if err != nil || len(p1.Reports) != 4 || p1.NextPageToken == "" {
			t.Fatalf("first page: %v, %v", keys(p1), err)
		}
		p2, err := f.svc.List(ctx, ListQuery{PageSize: 4, PageToken: p1.NextPageToken})
		if err != nil || len(p2.Reports) != 2 || p2.NextPageToken != "" {
			t.Fatalf("second page: %v, %v", keys(p2), err)
		}
		if _, err := f.svc.List(ctx, ListQuery{PageSize: 4, PageToken: p1.NextPageToken, USCC: a}); !slices.Equal(fields(t, err), []string{"page_token"}) {
			t.Fatalf("a token replayed against another parent = %v, want page_token refused", err)
		}
	})
}
