package building

import (
	"context"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Store keeps buildings with their full bitemporal history, a spatial index
// of their current footprints and the registry's change feed.
// Implementations live outside this package (sqlstore) and must pass the
// contract suite in sqlstore's tests.
type Store interface {
	// Create records a new building, in effect from effectiveFrom (now
	// when zero); errs.ErrAlreadyExists when its id has any history.
	Create(ctx context.Context, b *Building, effectiveFrom time.Time) error
	// CreateMany records new buildings in one transaction, all or none,
	// each with its own change in the feed.
	CreateMany(ctx context.Context, bs []NewBuilding) error
	// Get returns the building as in effect and known at the point;
	// errs.ErrNotFound when there is none.
	Get(ctx context.Context, id string, at history.Point) (*Building, error)
	// Update loads the version the write amends (see WriteOptions), lets
	// change modify it, and records the result, all in one transaction. An
	// error from change aborts the update and is returned as is. It returns
	// the building's current state afterwards.
	Update(ctx context.Context, id string, o WriteOptions, change func(b *Building) error) (*Building, error)
	// History returns every version ever recorded, oldest record time first.
	History(ctx context.Context, id string) ([]*Building, error)
	// List returns one page of buildings.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Within returns one page of the buildings whose footprint matches an
	// area, in id order: prefiltered by a spatial index for the current
	// state, by a scan at other points in time, and tested exactly with
	// Area.Matches.
	Within(ctx context.Context, q WithinQuery) (Page, error)
	// Aggregate counts buildings and adds up their floor area per recorded
	// division code, in code order.
	Aggregate(ctx context.Context, q AggregateQuery) ([]DivisionTotal, error)
	// Search returns one page of buildings ranked by how well the name
	// matches.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
	// Changes returns up to max changes after a sequence, and the head.
	Changes(ctx context.Context, after int64, max int) ([]Change, int64, error)
	// Watch sends the changes after a sequence, then follows new ones.
	Watch(ctx context.Context, after int64, send func([]Change) error) error
	// Export calls fn with every building as known at sequence at (the
	// head when 0) and returns the sequence used.
	Export(ctx context.Context, at int64, fn func(*Building) error) (int64, error)
	// Delta calls fn with the last change of every building changed after
	// `after` up to upTo.
	Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error
}

// NewBuilding is one building of a CreateMany.
type NewBuilding struct {
	Building *Building
	// EffectiveFrom is when the building's record begins; now when zero.
	EffectiveFrom time.Time
}

// WriteOptions say what kind of write an update is.
type WriteOptions struct {
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends what was recorded for the period in effect at
	// EffectiveFrom instead of recording a change.
	Correction bool
	// Retire ends the building's life in the registry.
	Retire bool
}

// Change is one event of the registry's feed.
type Change struct {
	Sequence int64
	ID       string
	Action   history.Action
	// Version describes the version the change wrote.
	Version history.Info
	// Building is the building's current state after the change.
	Building *Building
}

// ListQuery selects and orders buildings. Filter and OrderBy use the API's
// syntax (AIP-160 and AIP-132); the store reports errors in them as invalid
// arguments naming "filter" or "order_by".
type ListQuery struct {
	Filter      string
	OrderBy     string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
	// Owner, when set, keeps the buildings one of whose owners it is.
	Owner string
}

// Page is one page of buildings.
type Page struct {
	Buildings     []*Building
	NextPageToken string
}

// WithinQuery selects buildings by where they stand.
type WithinQuery struct {
	Area        Area
	Relation    Relation
	Filter      string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// AggregateQuery selects the buildings to add up.
type AggregateQuery struct {
	Filter string
	At     history.Point
	// RollupLevel (1–5, see standard.DivisionLevel) rolls divisions up to
	// that level before adding; 0 keeps them as recorded. The Service does
	// the rolling up; stores ignore it.
	RollupLevel int
}

// DivisionTotal is what the buildings of one division add up to.
type DivisionTotal struct {
	DivisionCode string
	Count        int64
	// FloorAreaCenti is the floor area in hundredths of a square metre, an
	// integer so that sums are exact and equal on every backend.
	FloorAreaCenti int64
}

// FloorAreaM2 is the total floor area in square metres.
func (d DivisionTotal) FloorAreaM2() float64 { return float64(d.FloorAreaCenti) / 100 }

// SearchQuery finds buildings by name.
type SearchQuery struct {
	Query       string
	Filter      string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// SearchHit is one ranked search result.
type SearchHit struct {
	Building *Building
	// Score is in (0, 1]; 1 is an exact match of the name.
	Score float64
}

// SearchPage is one page of search results.
type SearchPage struct {
	Hits          []SearchHit
	NextPageToken string
}
