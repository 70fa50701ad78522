package economy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Page sizes of List, ListVersions and the change feed.
const (
	DefaultListPageSize     = 50
	MaxListPageSize         = 1000
	DefaultVersionsPageSize = 100
	MaxVersionsPageSize     = 1000
	DefaultChangesPageSize  = 100
	MaxChangesPageSize      = 1000
)

// Service is the registry's application logic: it validates, checks that
// each report's enterprise exists, applies update masks, totals reports,
// and delegates storage. Reports hold no personal data, so bulk reads
// have nothing to mask.
type Service struct {
	store Store
	refs  refs.Checker
	now   func() time.Time
}

// NewService returns a Service over store that checks enterprises through
// refs (which the process wires to the legal-entity registry).
func NewService(store Store, refs refs.Checker) *Service {
	return &Service{store: store, refs: refs, now: time.Now}
}

// CreateOptions modify Create.
type CreateOptions struct {
	// ValidateOnly returns the report as it would be stored, storing nothing.
	ValidateOnly bool
}

// Create validates and stores the report of the enterprise with uscc for
// period (the create request's parent and client-assigned id). The
// enterprise must exist in the legal-entity registry; that is asked only
// once every local rule holds, so a bad request costs no remote call. The
// report is in effect from the start of its period.
func (s *Service) Create(ctx context.Context, uscc, period string, r *Report, o CreateOptions) (*Report, error) {
	r.normalize()
	r.USCC, r.Period = uscc, period
	now := s.now().UTC()
	var v errs.Violations
	checkKey(&v, r.Key(), "parent", "period", now)
	r.check(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.refs.Check(ctx, "parent", LegalEntityName(uscc)); err != nil {
		return nil, err
	}
	r.CreateTime, r.UpdateTime, r.Revision = now, now, 1
	r.Retired, r.Version = false, history.Info{}
	if o.ValidateOnly {
		return r, nil
	}
	p, _ := ParsePeriod(period, now) // checked above
	if err := s.store.Create(ctx, r, p.Start()); err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	return s.store.Get(ctx, r.Key(), history.Point{})
}

// Get returns one report as in effect and known at the point. A name that
// cannot be a report's is refused as invalid rather than reported missing,
// so that a typo is told apart from a report the registry does not hold.
func (s *Service) Get(ctx context.Context, k Key, at history.Point) (*Report, error) {
	if err := validKey(k, "name", s.now()); err != nil {
		return nil, err
	}
	r, err := s.store.Get(ctx, k, at)
	if err != nil {
		return nil, fmt.Errorf("get report: %w", err)
	}
	return r, nil
}

// UpdateOptions modify Update.
type UpdateOptions struct {
	// Revision, when not zero, must equal the revision of the version the
	// update amends (the etag the caller read).
	Revision     int64
	ValidateOnly bool
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends the period in effect at EffectiveFrom.
	Correction bool
}

// Update copies the fields named by paths from in onto the stored report,
// validates the result and stores it as a change or a correction. paths use
// the API's field names; "*" means every writable field.
func (s *Service) Update(ctx context.Context, k Key, in *Report, paths []string, o UpdateOptions) (*Report, error) {
	if err := validKey(k, "report.name", s.now()); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		if _, ok := updatable[p]; !ok && p != "*" {
			if slices.Contains(immutable, p) {
				return nil, errs.Field("update_mask", "%q cannot be changed", p)
			}
			return nil, errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(updatableNames(), ", "))
		}
	}
	apply := func(cur *Report) error {
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
		}
		for _, p := range paths {
			if p == "*" {
				for _, set := range updatable {
					set(cur, in)
				}
				continue
			}
			updatable[p](cur, in)
		}
		cur.normalize()
		var v errs.Violations
		cur.check(&v)
		if err := v.Err(); err != nil {
			return err
		}
		cur.UpdateTime = s.now().UTC()
		cur.Revision++
		return nil
	}
	if o.ValidateOnly {
		cur, err := s.store.Get(ctx, k, history.Point{ValidAt: o.EffectiveFrom})
		if err != nil {
			return nil, fmt.Errorf("update report: %w", err)
		}
		if err := apply(cur); err != nil {
			return nil, err
		}
		return cur, nil
	}
	r, err := s.store.Update(ctx, k, WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction}, apply)
	if err != nil {
		return nil, fmt.Errorf("update report: %w", err)
	}
	return r, nil
}

func checkRevision(want int64, cur *Report) error {
	if want != 0 && want != cur.Revision {
		return fmt.Errorf("etag %d does not match the stored %d; read the report again: %w", want, cur.Revision, errs.ErrConflict)
	}
	return nil
}

// immutable fields are the identity and what the registry computes.
var immutable = []string{"name", "uscc", "legal_entity", "period", "period_type", "create_time", "update_time", "etag", "retired", "version"}

// updatable maps each API field path to how it is copied.
var updatable = map[string]func(dst, src *Report){
	"industry_code":         func(d, s *Report) { d.IndustryCode = s.IndustryCode },
	"division_code":         func(d, s *Report) { d.DivisionCode = s.DivisionCode },
	"output_value":          func(d, s *Report) { d.OutputValue = s.OutputValue },
	"revenue":               func(d, s *Report) { d.Revenue = s.Revenue },
	"profit":                func(d, s *Report) { d.Profit = s.Profit },
	"taxes_paid":            func(d, s *Report) { d.TaxesPaid = s.TaxesPaid },
	"employees":             func(d, s *Report) { d.Employees = s.Employees },
	"energy_consumption":    func(d, s *Report) { d.EnergyConsumption = s.EnergyConsumption },
	"rd_spending":           func(d, s *Report) { d.RDSpending = s.RDSpending },
	"above_designated_size": func(d, s *Report) { d.AboveDesignatedSize = s.AboveDesignatedSize },
}

func updatableNames() []string {
	names := make([]string, 0, len(updatable))
	for n := range updatable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DeleteOptions modify Delete.
type DeleteOptions struct {
	Revision      int64
	EffectiveFrom time.Time
}

// Delete retires the report: it stays readable, marked retired, with its
// history.
func (s *Service) Delete(ctx context.Context, k Key, o DeleteOptions) (*Report, error) {
	if err := validKey(k, "name", s.now()); err != nil {
		return nil, err
	}
	r, err := s.store.Update(ctx, k, WriteOptions{EffectiveFrom: o.EffectiveFrom, Retire: true}, func(cur *Report) error {
		if err := checkRevision(o.Revision, cur); err != nil {
			return err
		}
		cur.UpdateTime = s.now().UTC()
		cur.Revision++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retire report: %w", err)
	}
	return r, nil
}

// Versions returns one page of the report's history.
func (s *Service) Versions(ctx context.Context, k Key, pageSize int, pageToken string) ([]*Report, string, error) {
	if err := validKey(k, "name", s.now()); err != nil {
		return nil, "", err
	}
	size, err := page.Size(int32(pageSize), DefaultVersionsPageSize, MaxVersionsPageSize)
	if err != nil {
		return nil, "", err
	}
	binding := "versions\x00" + k.Name()
	tok, err := page.Decode(binding, pageToken)
	if err != nil {
		return nil, "", err
	}
	all, err := s.store.History(ctx, k)
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	if tok.Offset >= len(all) {
		return nil, "", nil
	}
	end := min(tok.Offset+size, len(all))
	next := ""
	if end < len(all) {
		next = page.Encode(binding, page.Token{Offset: end})
	}
	return all[tok.Offset:end], next, nil
}

// checkParent checks the USCC of a collection parent (`enterprises/{uscc}`);
// empty stands for `enterprises/-`, every enterprise.
func checkParent(v *errs.Violations, uscc string) {
	if uscc == "" {
		return
	}
	if err := standard.CheckUSCC(uscc); err != nil {
		v.Add("parent", "must be enterprises/- or enterprises/{uscc} with a valid USCC: %v", err)
	}
}

// List returns a page of reports.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	var v errs.Violations
	if checkParent(&v, q.USCC); v.Err() != nil {
		return Page{}, v.Err()
	}
	size, err := page.Size(int32(q.PageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return Page{}, err
	}
	q.PageSize = size
	p, err := s.store.List(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("list reports: %w", err)
	}
	return p, nil
}

// Changes returns up to max changes after a sequence, and the head.
func (s *Service) Changes(ctx context.Context, after int64, max int) ([]Change, int64, error) {
	if after < 0 {
		return nil, 0, errs.Field("after_sequence", "must not be negative")
	}
	size, err := page.Size(int32(max), DefaultChangesPageSize, MaxChangesPageSize)
	if err != nil {
		return nil, 0, errs.Field("max", "must not be negative")
	}
	cs, head, err := s.store.Changes(ctx, after, size)
	if err != nil {
		return nil, 0, fmt.Errorf("read changes: %w", err)
	}
	return cs, head, nil
}

// Watch sends the changes after a sequence, then follows new ones.
func (s *Service) Watch(ctx context.Context, after int64, send func([]Change) error) error {
	if after < 0 {
		return errs.Field("after_sequence", "must not be negative")
	}
	return s.store.Watch(ctx, after, send)
}

// Export calls fn with every report as known at a sequence (the head when
// 0) and returns the sequence used.
func (s *Service) Export(ctx context.Context, at int64, fn func(*Report) error) (int64, error) {
	if at < 0 {
		return 0, errs.Field("at_sequence", "must not be negative")
	}
	return s.store.Export(ctx, at, fn)
}

// Delta calls fn with the net changes between two sequences.
func (s *Service) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	if after < 0 {
		return errs.Field("after_sequence", "must not be negative")
	}
	if upTo < 0 || (upTo != 0 && upTo < after) {
		return errs.Field("up_to_sequence", "must not be below after_sequence (%d)", after)
	}
	return s.store.Delta(ctx, after, upTo, fn)
}
