package economy

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// GroupBy is what Aggregate groups reports by.
type GroupBy string

const (
	// ByIndustry groups by industry section or division (see IndustryLevel).
	ByIndustry GroupBy = "INDUSTRY"
	// ByDivision groups by the administrative division code reports carry.
	ByDivision GroupBy = "DIVISION"
	// ByPeriod groups by period.
	ByPeriod GroupBy = "PERIOD"
)

// IndustryLevel is how finely ByIndustry groups.
type IndustryLevel string

const (
	// IndustrySection groups by section letter (门类): C.
	IndustrySection IndustryLevel = "SECTION"
	// IndustryDivision groups by the letter and two digits (大类): C26.
	IndustryDivision IndustryLevel = "DIVISION"
)

// AggregateQuery asks for the totals of a period range.
type AggregateQuery struct {
	// USCC restricts the totals to one enterprise's reports; empty for all.
	USCC          string
	Filter        string
	GroupBy       GroupBy
	IndustryLevel IndustryLevel
	// Start and End bound the range, inclusive; End empty means Start.
	Start, End string
	At         history.Point
}

// Aggregation is the answer to an AggregateQuery.
type Aggregation struct {
	// Groups are in key order.
	Groups []Group
	// Total is every report of the range together.
	Total Group
	// Start, End and the base range the year-on-year change compares with.
	Start, End, BaseStart, BaseEnd string
}

// Group holds the totals of one key over the range and a year earlier.
type Group struct {
	Key         string
	DisplayName string
	Totals      Totals
	// PreviousYear is nil when the group had no reports in the base range.
	PreviousYear *Totals
	Change       YearOverYear
}

// Totals are sums over a set of reports. Money and energy are decimal
// strings with two fraction digits; an optional figure is "" when no
// report in the set carried it. Revenue and profit, which every report
// carries, are "0.00" for an empty set.
type Totals struct {
	Reports, Enterprises int64
	OutputValue          string
	Revenue              string
	Profit               string
	TaxesPaid            string
	// Employees sums, per enterprise, the figure of its latest period in
	// the set: persons employed is a stock, which adding months would
	// multiply.
	Employees         int64
	EnergyConsumption string
	RDSpending        string
}

// Delta is the change of one figure; "" stands for null.
type Delta struct {
	// Absolute is current − base in the figure's unit; "" when either side
	// is missing.
	Absolute string
	// Percent is (current − base) / |base| × 100 to two fraction digits;
	// "" when the base is zero or missing.
	Percent string
}

// YearOverYear is the change of every total against the base.
type YearOverYear struct {
	OutputValue, Revenue, Profit, TaxesPaid, Employees, EnergyConsumption, RDSpending, Enterprises Delta
}

// Aggregate totals the live reports of a period range by group, with each
// group's change against the same periods a year earlier. A range of years
// totals annual reports, a range of months monthly ones; the two are never
// mixed, since a year's report already contains its months.
func (s *Service) Aggregate(ctx context.Context, q AggregateQuery) (Aggregation, error) {
	now := s.now()
	var v errs.Violations
	checkParent(&v, q.USCC)
	switch q.GroupBy {
	case ByIndustry:
		if q.IndustryLevel == "" {
			q.IndustryLevel = IndustrySection
		}
		if q.IndustryLevel != IndustrySection && q.IndustryLevel != IndustryDivision {
			v.Add("industry_level", "unknown level %q", q.IndustryLevel)
		}
	case ByDivision, ByPeriod:
	case "":
		v.Add("group_by", "is required: INDUSTRY, DIVISION or PERIOD")
	default:
		v.Add("group_by", "unknown grouping %q", q.GroupBy)
	}
	if q.End == "" {
		q.End = q.Start
	}
	var start, end Period
	var startErr, endErr error
	if q.Start == "" {
		v.Add("start_period", "is required")
		startErr = errs.ErrInvalid
	} else if start, startErr = ParsePeriod(q.Start, now); startErr != nil {
		v.Check("start_period", startErr)
	}
	if end, endErr = ParsePeriod(q.End, now); endErr != nil && q.End != q.Start {
		v.Check("end_period", endErr)
	}
	if startErr == nil && endErr == nil {
		switch {
		case start.Type() != end.Type():
			v.Add("end_period", "must be of the same kind as start_period: both years (2024) or both months (2024-06)")
		case end.Before(start):
			v.Add("end_period", "%s is before start_period %s", end, start)
		}
	}
	if err := v.Err(); err != nil {
		return Aggregation{}, err
	}

	baseStart, baseEnd := start.AddYears(-1), end.AddYears(-1)
	in := func(p, from, to Period) bool { return !p.Before(from) && !to.Before(p) }
	cur, base := map[string]*accumulator{}, map[string]*accumulator{}
	total := [2]*accumulator{newAccumulator(), newAccumulator()}
	err := s.store.Figures(ctx, FigureQuery{
		USCC: q.USCC, Filter: q.Filter, Type: start.Type(), From: baseStart.String(), To: end.String(), At: q.At,
	}, func(r *Report) error {
		p, err := ParsePeriod(r.Period, maxTime)
		if err != nil {
			return fmt.Errorf("stored report %s: %w", r.Key().Name(), err)
		}
		// A range longer than a year overlaps its base: a report may count
		// in both.
		if in(p, start, end) {
			if err := add(cur, groupKey(q, r, p), r, p); err != nil {
				return err
			}
			if err := total[0].add(r, p); err != nil {
				return err
			}
		}
		if in(p, baseStart, baseEnd) {
			if err := add(base, groupKey(q, r, p.AddYears(1)), r, p); err != nil {
				return err
			}
			if err := total[1].add(r, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Aggregation{}, fmt.Errorf("aggregate reports: %w", err)
	}

	out := Aggregation{Start: start.String(), End: end.String(), BaseStart: baseStart.String(), BaseEnd: baseEnd.String()}
	keys := make([]string, 0, len(cur)+len(base))
	for k := range cur {
		keys = append(keys, k)
	}
	for k := range base {
		if cur[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Groups = append(out.Groups, group(k, displayName(q, k), cur[k], base[k]))
	}
	out.Total = group("", "合计", total[0], total[1])
	return out, nil
}

func add(groups map[string]*accumulator, key string, r *Report, p Period) error {
	a := groups[key]
	if a == nil {
		a = newAccumulator()
		groups[key] = a
	}
	return a.add(r, p)
}

// groupKey is the group of report r counted as in period p (its own
// period, or a year later when it is a base of comparison).
func groupKey(q AggregateQuery, r *Report, p Period) string {
	switch q.GroupBy {
	case ByIndustry:
		if q.IndustryLevel == IndustryDivision {
			return r.IndustryCode[:min(3, len(r.IndustryCode))]
		}
		return r.IndustryCode[:min(1, len(r.IndustryCode))]
	case ByDivision:
		return r.DivisionCode
	}
	return p.String()
}

func displayName(q AggregateQuery, key string) string {
	switch q.GroupBy {
	case ByIndustry:
		if q.IndustryLevel == IndustrySection && len(key) == 1 {
			for _, s := range standard.IndustrySections {
				if s.Letter == key[0] {
					return s.Name
				}
			}
		}
	case ByDivision:
		for _, d := range standard.Zhenhai {
			if d.Code == key {
				return d.Name
			}
		}
	case ByPeriod:
		if p, err := ParsePeriod(key, maxTime); err == nil {
			return p.Label()
		}
	}
	return ""
}

// group turns the accumulators of one key into its totals and change; a
// nil accumulator is a side without reports.
func group(key, name string, cur, base *accumulator) Group {
	if cur == nil {
		cur = newAccumulator()
	}
	g := Group{Key: key, DisplayName: name, Totals: cur.totals()}
	if base == nil || base.reports == 0 {
		return g
	}
	prev := base.totals()
	g.PreviousYear = &prev
	g.Change = YearOverYear{
		OutputValue:       change(cur.output, base.output, 2),
		Revenue:           change(cur.revenue, base.revenue, 2),
		Profit:            change(cur.profit, base.profit, 2),
		TaxesPaid:         change(cur.taxes, base.taxes, 2),
		Employees:         change(cur.employees(), base.employees(), 0),
		EnergyConsumption: change(cur.energy, base.energy, 2),
		RDSpending:        change(cur.rd, base.rd, 2),
		Enterprises:       change(cur.enterprisesSum(), base.enterprisesSum(), 0),
	}
	return g
}

func change(cur, base sum, scale int) Delta {
	if !cur.reported || !base.reported {
		return Delta{}
	}
	c, b := cur.value(), base.value()
	d := Delta{Absolute: formatScaled(new(big.Int).Sub(c, b), scale)}
	d.Percent, _ = percentChange(c, b)
	return d
}

// sum is a running exact total of hundredths; reported is whether any
// report carried the figure. It adds in int64 while the total fits, which
// every real district does, and in big.Int from the first overflow on.
type sum struct {
	small    int64
	big      *big.Int // non-nil once small overflowed; then the total
	reported bool
}

func (s *sum) add(h int64) {
	if s.big == nil {
		if r := s.small + h; (h >= 0) == (r >= s.small) {
			s.small = r
			return
		}
		s.big = big.NewInt(s.small)
	}
	s.big.Add(s.big, big.NewInt(h))
}

func (s *sum) addBig(h *big.Int) {
	if s.big == nil {
		s.big = big.NewInt(s.small)
	}
	s.big.Add(s.big, h)
}

func (s *sum) addFigure(fig string) error {
	if fig == "" {
		return nil
	}
	s.reported = true
	if h, ok := smallHundredths(fig); ok {
		s.add(h)
		return nil
	}
	h, err := hundredths(fig)
	if err != nil {
		return err
	}
	s.addBig(h)
	return nil
}

func (s *sum) value() *big.Int {
	if s.big != nil {
		return s.big
	}
	return big.NewInt(s.small)
}

func (s *sum) format(scale int) string {
	if !s.reported {
		return ""
	}
	return formatScaled(s.value(), scale)
}

// latest is an enterprise's employee count in its latest period so far.
type latest struct {
	period    Period
	employees int64
}

type accumulator struct {
	reports                                    int64
	enterprises                                map[string]latest
	output, revenue, profit, taxes, energy, rd sum
}

func newAccumulator() *accumulator {
	a := &accumulator{enterprises: map[string]latest{}}
	// Every report carries revenue and profit: an empty set totals zero.
	a.revenue.reported, a.profit.reported = true, true
	return a
}

// add counts report r of period p.
func (a *accumulator) add(r *Report, p Period) error {
	a.reports++
	if l, seen := a.enterprises[r.USCC]; !seen || l.period.Before(p) {
		a.enterprises[r.USCC] = latest{p, r.Employees}
	}
	for _, f := range []struct {
		s   *sum
		fig string
	}{{&a.output, r.OutputValue}, {&a.revenue, r.Revenue}, {&a.profit, r.Profit}, {&a.taxes, r.TaxesPaid}, {&a.energy, r.EnergyConsumption}, {&a.rd, r.RDSpending}} {
		if err := f.s.addFigure(f.fig); err != nil {
			return fmt.Errorf("stored report %s: %w", r.Key().Name(), err)
		}
	}
	return nil
}

func (a *accumulator) employees() sum {
	s := sum{reported: true}
	for _, l := range a.enterprises {
		s.add(l.employees)
	}
	return s
}

func (a *accumulator) enterprisesSum() sum {
	return sum{small: int64(len(a.enterprises)), reported: true}
}

func (a *accumulator) totals() Totals {
	emp := a.employees()
	return Totals{
		Reports:           a.reports,
		Enterprises:       int64(len(a.enterprises)),
		OutputValue:       a.output.format(2),
		Revenue:           a.revenue.format(2),
		Profit:            a.profit.format(2),
		TaxesPaid:         a.taxes.format(2),
		Employees:         emp.value().Int64(), // at most MaxEmployees per report
		EnergyConsumption: a.energy.format(2),
		RDSpending:        a.rd.format(2),
	}
}
