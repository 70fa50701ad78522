package economy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/economy/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The Service's own logic — validation, the enterprise reference, update
// masks, etags, validate_only, totals, history — over the real SQL store,
// with the clock fixed. Tests that matter on both backends run through
// storetest.Run.

var ctx = context.Background()

// testNow is the fixed clock: noon in Beijing on 15 June 2025.
var testNow = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

// fixture is a Service over the SQL store with one clock the test can move
// (the service's stamps and the store's record time, as the wall clock is
// for both in production), and a legal-entity registry the test controls.
//
// The Service checks enterprises through a refs.Registry whose lookup reads
// the fixture's set of names; the cross-registry lookup itself (a gRPC Get
// of the legal-entity registry through etcd) is exercised by the in-process
// cluster test.
type fixture struct {
	svc   *Service
	store *sqlstore.Store
	now   time.Time

	mu      sync.Mutex
	known   map[string]bool // legalEntities/{uscc} that exist
	down    bool            // the legal-entity registry does not answer
	lookups int
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureOn(tb, storetest.OpenSQLite(tb))
}

func newFixtureOn(tb testing.TB, db *store.DB) *fixture {
	tb.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	f := &fixture{store: st, now: testNow, known: map[string]bool{}}
	f.svc = NewService(st, refs.Registry{"legalEntities": f.lookup})
	clock := func() time.Time { return f.now }
	SetClock(f.svc, clock)
	st.Temporal().Now = clock
	return f
}

func (f *fixture) lookup(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	switch {
	case f.down:
		return errors.New("connection refused")
	case f.known[name]:
		return nil
	}
	return errs.NotFound(name)
}

// register makes the enterprises exist in the legal-entity registry.
func (f *fixture) register(usccs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range usccs {
		f.known[LegalEntityName(u)] = true
	}
}

// create registers the report's enterprise and records the report,
// failing the test on any error.
func (f *fixture) create(tb testing.TB, r *Report) *Report {
	tb.Helper()
	f.register(r.USCC)
	out, err := f.svc.Create(ctx, r.USCC, r.Period, r, CreateOptions{})
	if err != nil {
		tb.Fatalf("Create(%s): %v", r.Key().Name(), err)
	}
	c := *out
	return &c
}

func uscc(tb testing.TB, orgCode string) string {
	tb.Helper()
	code, err := standard.MakeUSCC('9', '1', "330211", orgCode)
	if err != nil {
		tb.Fatalf("MakeUSCC: %v", err)
	}
	return code
}

// validReport returns a report of a manufacturer that passes every rule at
// testNow, with every optional figure set; mutate runs last.
func validReport(tb testing.TB, mutate ...func(*Report)) *Report {
	tb.Helper()
	r := &Report{
		USCC:                uscc(tb, "MA2AGH7K3"),
		Period:              "2024",
		IndustryCode:        "C2614",
		DivisionCode:        "330211002000",
		OutputValue:         "152300000.00",
		Revenue:             "148000000.00",
		Profit:              "9200000.00",
		TaxesPaid:           "5100000.00",
		Employees:           320,
		EnergyConsumption:   "18250.50",
		RDSpending:          "4400000.00",
		AboveDesignatedSize: true,
	}
	for _, m := range mutate {
		m(r)
	}
	return r
}

// fields returns the sorted fields an *errs.InvalidError names, or nil for
// a nil error; any other error fails the test.
func fields(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) || !errors.Is(err, errs.ErrInvalid) {
		tb.Fatalf("error %v is not an *errs.InvalidError", err)
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return out
}

func reasons(err error) string {
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		return ""
	}
	var rs []string
	for _, v := range inv.Violations {
		rs = append(rs, v.Field+": "+v.Reason)
	}
	return strings.Join(rs, "; ")
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
