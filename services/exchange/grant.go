package exchange

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// GrantState is where a grant is in its life.
type GrantState string

const (
	GrantPending  GrantState = "PENDING"
	GrantApproved GrantState = "APPROVED"
	GrantRejected GrantState = "REJECTED"
	GrantRevoked  GrantState = "REVOKED"
	// GrantExpired is never stored: a pending or approved grant reads as
	// expired once its expire time has passed, so that no background job
	// is needed for a grant to end on time.
	GrantExpired GrantState = "EXPIRED"
)

// GrantStates lists the states, for filters.
var GrantStates = []GrantState{GrantPending, GrantApproved, GrantRejected, GrantRevoked, GrantExpired}

// Grant (共享授权) lets a department read conditionally shared items of one
// catalogue resource, for a purpose, for a time.
type Grant struct {
	// ID names the grant, grants/{ID}; a UUIDv7, so ids sort by creation.
	ID string
	// Applicant is the applying department's code; ApplicantApplication the
	// application that applied.
	Applicant            string
	ApplicantApplication string
	// Resource is the catalogue entry's code.
	Resource string
	// Provider is the resource's provider department as it is now; filled
	// on read, never stored with the grant, since the provider decides.
	Provider   string
	Items      []string
	Purpose    string
	LegalBasis string
	// Divisions limits the grant to objects in these divisions; every
	// division when empty.
	Divisions  []string
	StartTime  time.Time
	ExpireTime time.Time
	// State is the stored state; Service methods return the state as of
	// now (StateAt), which may be GrantExpired.
	State GrantState
	// Decision is the approval or rejection; Revocation the withdrawal.
	Decision   Decision
	Revocation Decision
	CreateTime time.Time
}

// Decision records who decided on a grant, when, and why.
type Decision struct {
	Department string
	Principal  string
	Time       time.Time
	Reason     string
}

// GrantName is the resource name of a grant.
func GrantName(id string) string { return "grants/" + id }

// StateAt is the grant's state at now: a pending or approved grant whose
// expire time has passed is expired.
func (g *Grant) StateAt(now time.Time) GrantState {
	if (g.State == GrantPending || g.State == GrantApproved) && !now.Before(g.ExpireTime) {
		return GrantExpired
	}
	return g.State
}

// MaxGrantYears bounds a grant's life in years, so that every conditional
// access is looked at again at least that often.
const MaxGrantYears = 3

const maxPurpose = 1000

func newGrantID() (string, error) {
	u, err := uuid.NewV7FromReader(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("grant id: %w", err)
	}
	return u.String(), nil
}
