package legalentity

import "context"

// Store keeps legal entities. Implementations live outside this package
// (sqlstore) and must pass the contract suite in sqlstore's tests.
type Store interface {
	// Create stores a new entity; errs.ErrAlreadyExists when its USCC is taken.
	Create(ctx context.Context, e *LegalEntity) error
	// Get returns one entity; errs.ErrNotFound when there is none.
	Get(ctx context.Context, uscc string) (*LegalEntity, error)
	// Update loads the entity, lets change modify it, and stores the result,
	// all in one transaction, so that concurrent updates cannot interleave.
	// An error from change aborts the update and is returned as is.
	Update(ctx context.Context, uscc string, change func(e *LegalEntity) error) (*LegalEntity, error)
	// List returns one page of entities.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Search returns one page of entities ranked by how well a name matches.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
}

// ListQuery selects and orders entities. Filter and OrderBy use the API's
// syntax (AIP-160 and AIP-132); the store reports errors in them as invalid
// arguments naming "filter" or "order_by".
type ListQuery struct {
	Filter    string
	OrderBy   string
	PageSize  int
	PageToken string
}

// Page is one page of a list.
type Page struct {
	Entities      []*LegalEntity
	NextPageToken string
}

// SearchQuery finds entities by name.
type SearchQuery struct {
	Query     string
	Filter    string
	PageSize  int
	PageToken string
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
