package legalentity

import (
	"context"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Store keeps legal entities with their full bitemporal history and the
// registry's change feed. Implementations live outside this package
// (sqlstore) and must pass the contract suite in sqlstore's tests.
type Store interface {
	// Create records a new entity, in effect from effectiveFrom;
	// errs.ErrAlreadyExists when its USCC has any history.
	Create(ctx context.Context, e *LegalEntity, effectiveFrom time.Time) error
	// Get returns the entity as in effect and known at the point, following
	// a rename to the new USCC; errs.ErrNotFound when there is none.
	Get(ctx context.Context, uscc string, at history.Point) (*LegalEntity, error)
	// Update loads the version the write amends (see WriteOptions), lets
	// change modify it, and records the result, all in one transaction. An
	// error from change aborts the update and is returned as is. It returns
	// the entity's current state afterwards.
	Update(ctx context.Context, uscc string, o WriteOptions, change func(e *LegalEntity) error) (*LegalEntity, error)
	// Rename moves the entity to newUSCC from effectiveFrom; change gets the
	// current state to turn into the new record.
	Rename(ctx context.Context, uscc, newUSCC string, effectiveFrom time.Time, change func(e *LegalEntity) error) (*LegalEntity, error)
	// History returns every version ever recorded, oldest record time first.
	History(ctx context.Context, uscc string) ([]*LegalEntity, error)
	// List returns one page of entities.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Search returns one page of entities ranked by how well a name matches.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
	// Changes returns up to max changes after a sequence, and the head.
	Changes(ctx context.Context, after int64, max int) ([]Change, int64, error)
	// Watch sends the changes after a sequence, then follows new ones.
	Watch(ctx context.Context, after int64, send func([]Change) error) error
	// Export calls fn with every entity as known at sequence at (the head
	// when 0) and returns the sequence used.
	Export(ctx context.Context, at int64, fn func(*LegalEntity) error) (int64, error)
	// Delta calls fn with the last change of every entity changed after
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
	// Retire ends the entity's life in the registry.
	Retire bool
}

// Change is one event of the registry's feed.
type Change struct {
	Sequence int64
	USCC     string
	Action   history.Action
	// Version describes the version the change wrote.
	Version history.Info
	// Entity is the entity's current state after the change.
	Entity *LegalEntity
}

// ListQuery selects and orders entities. Filter and OrderBy use the API's
// syntax (AIP-160 and AIP-132); the store reports errors in them as invalid
// arguments naming "filter" or "order_by".
type ListQuery struct {
	Filter      string
	OrderBy     string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// Page is one page of a list.
type Page struct {
	Entities      []*LegalEntity
	NextPageToken string
}

// SearchQuery finds entities by name.
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
	Entity *LegalEntity
	// Score is in (0, 1]; 1 is an exact match of the current name.
	Score float64
	// MatchedName is the current or former name that matched best.
	MatchedName string
}

// SearchPage is one page of search results.
type SearchPage struct {
	Hits          []SearchHit
	NextPageToken string
}
