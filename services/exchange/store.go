package exchange

import (
	"context"
	"time"
)

// Store keeps the exchange's records. Implementations live outside this
// package (sqlstore) and must pass the contract suite in sqlstore's tests.
//
// Every write to departments, the catalogue or grants increments the
// policy revision in the same transaction and returns the new revision;
// writes to credentials and signing keys do not, since the access policy
// does not contain them. Update methods load the record, let change modify
// it and store the result in one transaction; an error from change aborts
// the write and is returned as is. Missing records are errs.ErrNotFound,
// duplicates errs.ErrAlreadyExists.
type Store interface {
	// PolicyRevision returns the current policy revision (0 before any
	// change).
	PolicyRevision(ctx context.Context) (int64, error)
	// Snapshot reads the revision, then every department, every catalogue
	// entry and the grants approved and unexpired at now, consistently.
	Snapshot(ctx context.Context, now time.Time) (*Snapshot, error)

	CreateDepartment(ctx context.Context, d *Department) (int64, error)
	GetDepartment(ctx context.Context, code string) (*Department, error)
	ListDepartments(ctx context.Context, q ListQuery) (DepartmentPage, error)
	UpdateDepartment(ctx context.Context, code string, change func(*Department) error) (*Department, int64, error)

	CreateCredential(ctx context.Context, c *Credential) error
	GetCredential(ctx context.Context, department, id string) (*Credential, error)
	ListCredentials(ctx context.Context, department string, q ListQuery) (CredentialPage, error)
	UpdateCredential(ctx context.Context, department, id string, change func(*Credential) error) (*Credential, error)
	// LookupCredential returns a credential by id with its department, in
	// one indexed read: it is on the path of every authenticated call.
	LookupCredential(ctx context.Context, id string) (*Credential, *Department, error)

	// SigningKeys returns every signing key, newest first.
	SigningKeys(ctx context.Context) ([]*SigningKey, error)
	// AddSigningKey stores a key; with onlyIfNone it stores it only when
	// there is no key yet (the first start) and reports whether it did.
	AddSigningKey(ctx context.Context, k *SigningKey, onlyIfNone bool) (bool, error)
	DeleteSigningKey(ctx context.Context, id string) error

	// SyncCatalogue makes the catalogue describe want, the registries'
	// resources as this build knows them, without overwriting what people
	// catalogued: an entry or item missing is inserted as given; an item
	// present keeps its title, class, condition and legal basis, and only
	// its position, personal flag and obsolete flag (false) follow want;
	// an item of a known entry that want no longer has, and every item of
	// an entry want does not mention, is marked obsolete. It reports
	// whether anything changed, and the revision (incremented only then).
	SyncCatalogue(ctx context.Context, want []*CatalogueResource) (changed bool, revision int64, err error)
	GetCatalogueResource(ctx context.Context, code string) (*CatalogueResource, error)
	ListCatalogueResources(ctx context.Context, q ListQuery) (CataloguePage, error)
	// UpdateCatalogueResource stores the entry's own fields and each
	// item's title, class, condition and legal basis; items are matched by
	// path, and their paths, order, personal and obsolete flags are
	// SyncCatalogue's alone.
	UpdateCatalogueResource(ctx context.Context, code string, change func(*CatalogueResource) error) (*CatalogueResource, int64, error)

	// CreateGrant stores g after check has passed on the entry it asks for
	// and the applicant's department, read in the same transaction (nil
	// when missing).
	CreateGrant(ctx context.Context, g *Grant, check func(r *CatalogueResource, applicant *Department) error) (int64, error)
	GetGrant(ctx context.Context, id string) (*Grant, error)
	ListGrants(ctx context.Context, q GrantQuery) (GrantPage, error)
	// UpdateGrant lets change decide on the grant with its catalogue entry
	// as it is now; only the state and the decisions are stored.
	UpdateGrant(ctx context.Context, id string, change func(g *Grant, r *CatalogueResource) error) (*Grant, int64, error)
}

// ListQuery selects a page of a list. Filter uses the API's AIP-160
// syntax; the store reports errors in it as invalid arguments naming
// "filter". PageSize has been settled by the service.
type ListQuery struct {
	Filter    string
	PageSize  int
	PageToken string
}

// GrantQuery selects a page of grants.
type GrantQuery struct {
	ListQuery
	// VisibleTo limits the grants to those the department applied for or
	// provides the resource of; all when empty (admins).
	VisibleTo string
	// Now is the time against which state = EXPIRED and its opposites
	// are decided.
	Now time.Time
}

// DepartmentPage is one page of departments, by code.
type DepartmentPage struct {
	Departments   []*Department
	NextPageToken string
}

// CredentialPage is one page of a department's credentials, by id.
type CredentialPage struct {
	Credentials   []*Credential
	NextPageToken string
}

// CataloguePage is one page of the catalogue, by code.
type CataloguePage struct {
	Resources     []*CatalogueResource
	NextPageToken string
}

// GrantPage is one page of grants, newest first.
type GrantPage struct {
	Grants        []*Grant
	NextPageToken string
}
