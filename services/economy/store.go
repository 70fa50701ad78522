package economy

import (
	"context"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Store keeps reports with their full bitemporal history and the registry's
// change feed. Implementations live outside this package (sqlstore) and
// must pass the contract suite in sqlstore's tests.
type Store interface {
	// Create records a new report, in effect from effectiveFrom;
	// errs.ErrAlreadyExists when its key has any history.
	Create(ctx context.Context, r *Report, effectiveFrom time.Time) error
	// Get returns the report as in effect and known at the point;
	// errs.ErrNotFound when there is none.
	Get(ctx context.Context, k Key, at history.Point) (*Report, error)
	// Update loads the version the write amends (see WriteOptions), lets
	// change modify it, and records the result, all in one transaction. An
	// error from change aborts the update and is returned as is. It returns
	// the report's current state afterwards.
	Update(ctx context.Context, k Key, o WriteOptions, change func(r *Report) error) (*Report, error)
	// History returns every version ever recorded, oldest record time first.
	History(ctx context.Context, k Key) ([]*Report, error)
	// List returns one page of reports.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Figures calls fn with every report that q selects, in key order,
	// holding its key, classification and figures only (no times, revision
	// or version): what totals are made of.
	Figures(ctx context.Context, q FigureQuery, fn func(*Report) error) error
	// Changes returns up to max changes after a sequence, and the head.
	Changes(ctx context.Context, after int64, max int) ([]Change, int64, error)
	// Watch sends the changes after a sequence, then follows new ones.
	Watch(ctx context.Context, after int64, send func([]Change) error) error
	// Export calls fn with every report as known at sequence at (the head
	// when 0) and returns the sequence used.
	Export(ctx context.Context, at int64, fn func(*Report) error) (int64, error)
	// Delta calls fn with the last change of every report changed after
	// `after` up to upTo.
	Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error
}

// WriteOptions say what kind of write an update is.
type WriteOptions struct {
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends what was recorded for the period in effect at
	// EffectiveFrom instead of recording a change.
	Correction bool
	// Retire ends the report's life in the registry.
	Retire bool
}

// Change is one event of the registry's feed.
type Change struct {
	Sequence int64
	Key      Key
	Action   history.Action
	// Version describes the version the change wrote.
	Version history.Info
	// Report is the report's current state after the change.
	Report *Report
}

// ListQuery selects and orders reports. Filter and OrderBy use the API's
// syntax (AIP-160 and AIP-132); the store reports errors in them as invalid
// arguments naming "filter" or "order_by".
type ListQuery struct {
	// USCC restricts the list to one enterprise's reports; empty for all.
	USCC        string
	Filter      string
	OrderBy     string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// Page is one page of a list.
type Page struct {
	Reports       []*Report
	NextPageToken string
}

// FigureQuery selects the live reports of one period type from From to To
// (inclusive, both of that type), as in effect and known at a point.
type FigureQuery struct {
	// USCC restricts the reports to one enterprise's; empty for all.
	USCC     string
	Filter   string
	Type     PeriodType
	From, To string
	At       history.Point
}
