package spatial

import (
	"context"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Store keeps the registry's divisions, addresses and features with their
// full bitemporal history, the spatial index over their current state and
// the registry's one change feed. Implementations live outside this
// package (sqlstore) and must pass the contract suite in sqlstore's tests.
type Store interface {
	Divisions() Records[*Division]
	Addresses() Records[*Address]
	Features() Records[*Feature]

	// RenameDivision moves a division to newCode from effectiveFrom;
	// change gets the current state to turn into the new record.
	RenameDivision(ctx context.Context, code, newCode string, effectiveFrom time.Time, change func(*Division) error) (*Division, error)
	// DivisionRevision changes whenever any division is written, so that
	// a cache of the divisions knows when it is stale.
	DivisionRevision(ctx context.Context) (int64, error)

	// ScanAddresses calls fn with every address located in q.Bound (edges
	// included) that q selects, in id order, until fn returns false. The
	// current state is read through the spatial index; a point in time
	// scans the history.
	ScanAddresses(ctx context.Context, q ScanQuery, fn func(*Address) (bool, error)) error
	// ScanFeatures calls fn, in id order, with every feature whose bounding
	// box meets q.Bound that q selects, until fn returns false. Whether the
	// geometry itself meets the area is the caller's to decide.
	ScanFeatures(ctx context.Context, q ScanQuery, fn func(*Feature) (bool, error)) error
	// CompleteAddresses returns current addresses whose road-and-numbers
	// text (addrtext.Short, normalized) starts with q.Prefix, in the order
	// of that text.
	CompleteAddresses(ctx context.Context, q CompleteQuery) ([]*Address, error)

	// Changes returns up to max changes after a sequence, and the head.
	Changes(ctx context.Context, after int64, max int) ([]Change, int64, error)
	// Watch sends the changes after a sequence, then follows new ones.
	Watch(ctx context.Context, after int64, send func([]Change) error) error
	// Export calls fn with every record as known at sequence at (the head
	// when 0) — divisions, then addresses, then features — and returns the
	// sequence used.
	Export(ctx context.Context, at int64, fn func(Record) error) (int64, error)
	// Delta calls fn with the last change of every record changed after
	// `after` up to upTo (the head when 0).
	Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error
}

// Records is the store of one collection. Keys are division codes and
// address and feature ids.
type Records[T any] interface {
	// Create records a new record in effect from effectiveFrom;
	// errs.ErrAlreadyExists when its key has any history (or, for an
	// address, when a current address has the same components).
	Create(ctx context.Context, rec T, effectiveFrom time.Time) error
	// Get returns the record as in effect and known at the point,
	// following renames; errs.ErrNotFound when there is none.
	Get(ctx context.Context, key string, at history.Point) (T, error)
	// Update loads the version the write amends, lets change modify it and
	// records the result, in one transaction; an error from change aborts
	// it and is returned as is. It returns the current state afterwards.
	Update(ctx context.Context, key string, o WriteOptions, change func(T) error) (T, error)
	// History returns every version ever recorded, oldest record time first.
	History(ctx context.Context, key string) ([]T, error)
	// List returns one page of records.
	List(ctx context.Context, q ListQuery) ([]T, string, error)
	// Search returns one page of records ranked by how well their names
	// (for addresses: their text) match.
	Search(ctx context.Context, q SearchQuery) ([]Hit[T], string, error)
}

// WriteOptions say what kind of write an update is.
type WriteOptions struct {
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends the period in effect at EffectiveFrom.
	Correction bool
	// Retire ends the record's life in the registry.
	Retire bool
}

// ListQuery selects and orders records. Filter and OrderBy use the API's
// syntax (AIP-160, AIP-132); the store reports errors in them as invalid
// arguments naming "filter" or "order_by".
type ListQuery struct {
	Filter      string
	OrderBy     string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// SearchQuery finds records by name or text.
type SearchQuery struct {
	Query       string
	Filter      string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// Hit is one ranked search result.
type Hit[T any] struct {
	Record T
	// Score is in (0, 1]; 1 is an exact match of the name.
	Score float64
}

// ScanQuery selects records in an area for the spatial queries.
type ScanQuery struct {
	Bound Bound
	// Filter is the collection's List filter.
	Filter string
	// Kinds restricts features to these kinds; all when empty.
	Kinds []FeatureKind
	// After resumes the scan after this id.
	After string
	At    history.Point
}

// CompleteQuery selects addresses for autocompletion.
type CompleteQuery struct {
	// Prefix of the normalized road-and-numbers text.
	Prefix string
	// DivisionPrefixes, when set, restrict the addresses to divisions whose
	// codes start with one of them.
	DivisionPrefixes []string
	Limit            int
}
