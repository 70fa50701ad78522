package population

import (
	"context"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Store keeps persons and households with their full bitemporal history and
// the registry's one change feed. Implementations live outside this package
// (sqlstore) and must pass the contract suite in sqlstore's tests.
//
// Besides storing, a Store keeps three invariants inside every write's
// transaction, refusing a write that would break one with an error matching
// errs.ErrFailedPrecondition. The Service checks the same rules first, to
// name the offending field; the Store's check is what holds when two
// writers race.
//   - An active person (status ACTIVE, not retired) is registered in a
//     household that exists and is not retired.
//   - A household has at most one active person whose relation is HEAD.
//   - A retired household has no active person registered in it.
type Store interface {
	// CreatePerson records a new person, in effect from effectiveFrom;
	// errs.ErrAlreadyExists when the ID number has any history.
	CreatePerson(ctx context.Context, p *Person, effectiveFrom time.Time) error
	// GetPerson returns the person as in effect and known at the point,
	// following an ID number change to the new number; errs.ErrNotFound
	// when there is none.
	GetPerson(ctx context.Context, idNumber string, at history.Point) (*Person, error)
	// UpdatePerson loads the version the write amends (see WriteOptions),
	// lets change modify it, and records the result, all in one
	// transaction. An error from change aborts the update and is returned
	// as is. It returns the person's current state afterwards.
	UpdatePerson(ctx context.Context, idNumber string, o WriteOptions, change func(p *Person) error) (*Person, error)
	// RenamePerson moves the person to newIDNumber from effectiveFrom;
	// change gets the current state to turn into the new record.
	RenamePerson(ctx context.Context, idNumber, newIDNumber string, effectiveFrom time.Time, change func(p *Person) error) (*Person, error)
	// PersonHistory returns every version ever recorded, oldest record time
	// first.
	PersonHistory(ctx context.Context, idNumber string) ([]*Person, error)
	// ListPersons returns one page of persons.
	ListPersons(ctx context.Context, q ListQuery) (PersonPage, error)
	// SearchPersons returns one page of persons found by name (ranked),
	// address or household.
	SearchPersons(ctx context.Context, q SearchQuery) (SearchPage, error)
	// ListMembers returns one page of a household's members, the head
	// first, then by relation code and ID number.
	ListMembers(ctx context.Context, q MembersQuery) (PersonPage, error)

	// CreateHousehold records a new household; errs.ErrAlreadyExists when
	// its id has any history.
	CreateHousehold(ctx context.Context, h *Household, effectiveFrom time.Time) error
	// GetHousehold returns the household as in effect and known at the
	// point, with its head at that point. It does not follow a merge: a
	// merged household is returned as the tombstone it is.
	GetHousehold(ctx context.Context, id string, at history.Point) (*Household, error)
	// UpdateHousehold is UpdatePerson for households.
	UpdateHousehold(ctx context.Context, id string, o WriteOptions, change func(h *Household) error) (*Household, error)
	// HouseholdHistory returns every version ever recorded, oldest record
	// time first.
	HouseholdHistory(ctx context.Context, id string) ([]*Household, error)
	// ListHouseholds returns one page of households, each with its head at
	// the point read.
	ListHouseholds(ctx context.Context, q ListQuery) (HouseholdPage, error)

	// Changes returns up to max changes after a sequence, and the head.
	Changes(ctx context.Context, after int64, max int) ([]Change, int64, error)
	// Watch sends the changes after a sequence, then follows new ones.
	Watch(ctx context.Context, after int64, send func([]Change) error) error
	// Export calls fn with every household, then every person, as known at
	// sequence at (the head when 0), and returns the sequence used.
	Export(ctx context.Context, at int64, fn func(Record) error) (int64, error)
	// Delta calls fn with the last change of every record changed after
	// `after` up to upTo (the head when 0).
	Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error
}

// WriteOptions say what kind of write an update is.
type WriteOptions struct {
	// EffectiveFrom is when the change took effect; now when zero.
	EffectiveFrom time.Time
	// Correction amends what was recorded for the period in effect at
	// EffectiveFrom instead of recording a change.
	Correction bool
	// Retire ends the record's life in the registry.
	Retire bool
}

// Record is one record of an export: exactly one of its fields is set.
type Record struct {
	Household *Household
	Person    *Person
}

// Change is one event of the registry's feed: exactly one of Person and
// Household is set, the record's state after the change.
type Change struct {
	Sequence int64
	// Name is the resource name of the record changed.
	Name   string
	Action history.Action
	// Version describes the version the change wrote.
	Version   history.Info
	Person    *Person
	Household *Household
}

// ListQuery selects and orders records. Filter and OrderBy use the API's
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

// SearchQuery finds persons. At least one of Query, Address and Household
// is set; every set criterion must hold.
type SearchQuery struct {
	// Query is words of the current or former name; hits are ranked by it.
	Query string
	// BirthDate, YYYY-MM-DD, keeps persons born that day.
	BirthDate string
	// Address keeps persons whose registered or residence address it is.
	Address string
	// Household keeps persons registered in it.
	Household   string
	Filter      string
	PageSize    int
	PageToken   string
	At          history.Point
	ShowRetired bool
}

// MembersQuery lists a household's members.
type MembersQuery struct {
	// Household is the resource name households/{id}.
	Household string
	// IncludeFormer adds members who moved out or died.
	IncludeFormer bool
	PageSize      int
	PageToken     string
	At            history.Point
}

// PersonPage is one page of persons.
type PersonPage struct {
	Persons       []*Person
	NextPageToken string
}

// HouseholdPage is one page of households.
type HouseholdPage struct {
	Households    []*Household
	NextPageToken string
}

// SearchHit is one search result.
type SearchHit struct {
	Person *Person
	// Score is in (0, 1]; 1 is an exact match of the current name, and
	// every hit of a search without Query scores 1.
	Score float64
	// MatchedName is the current or former name that matched best; "" for
	// a search without Query.
	MatchedName string
}

// SearchPage is one page of search results.
type SearchPage struct {
	Hits          []SearchHit
	NextPageToken string
}
