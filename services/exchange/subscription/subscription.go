package subscription

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// State is where a subscription is in its life.
type State string

const (
	// StateActive subscriptions are delivered.
	StateActive State = "ACTIVE"
	// StateParked subscriptions failed too often; nothing is delivered until
	// the department resumes them.
	StateParked State = "PARKED"
	// StateEnded subscriptions passed their end time.
	StateEnded State = "ENDED"
	// StateCancelled subscriptions were cancelled by their department.
	StateCancelled State = "CANCELLED"
)

// Start is where a new subscription starts in its registry's feed.
type Start string

const (
	// StartFromNow starts after the registry's latest change.
	StartFromNow Start = "FROM_NOW"
	// StartAfterSequence starts after a sequence the department gives,
	// replaying what it missed.
	StartAfterSequence Start = "AFTER_SEQUENCE"
)

// Subscription is a department's standing order for a registry's changes.
type Subscription struct {
	ID string
	// Department is the code of the department holding it (the caller that
	// created it).
	Department string
	// Registry names the registry whose feed is followed.
	Registry string
	// Records are the resource names followed; every change when empty.
	Records []string
	// CallbackURI is where deliveries are POSTed.
	CallbackURI string
	// Purpose (事由) and CaseReference are what the creating caller declared;
	// every read of the feed for the subscription is made under them, so
	// that a registry's personal data follows a purpose its reader stated.
	Purpose       string
	CaseReference string
	// EndTime is when the subscription ends by itself; never when zero.
	EndTime time.Time
	Start   Start
	// StartSequence is the sequence the subscription started after.
	StartSequence int64
	State         State
	// DeliveredSequence is the cursor: every change up to it is handled
	// (delivered, or not for this subscription).
	DeliveredSequence int64
	// ParkedReason says which delivery parked the subscription and how it
	// last failed.
	ParkedReason string
	CreateTime   time.Time
	UpdateTime   time.Time
	// NextAttemptTime is when the worker next looks at the subscription: the
	// backoff of a failing delivery. Zero means at once.
	NextAttemptTime time.Time
	// SealedSecret is the callback secret sealed under the service's key.
	// It is what a Store keeps; the Service never returns it.
	SealedSecret []byte
	// Secret is the callback secret in clear. It is set only on what Create
	// and RotateSecret return, and never stored.
	Secret string
}

// ResourceName is the subscription's API name.
func ResourceName(id string) string { return "subscriptions/" + id }

// ended reports whether the end time has passed at now.
func (s *Subscription) ended(now time.Time) bool {
	return !s.EndTime.IsZero() && !now.Before(s.EndTime)
}

// effective returns s as a caller should see it at now: a live
// subscription whose end time passed is ENDED even before the worker has
// recorded it.
func (s *Subscription) effective(now time.Time) *Subscription {
	c := *s
	if (c.State == StateActive || c.State == StateParked) && c.ended(now) {
		c.State = StateEnded
	}
	c.SealedSecret = nil
	return &c
}

// DeliveryState is where one delivery stands.
type DeliveryState string

const (
	// DeliveryPending deliveries are being attempted, or wait for their
	// first attempt after a resume.
	DeliveryPending DeliveryState = "PENDING"
	// DeliveryDelivered deliveries were acknowledged with a 2xx.
	DeliveryDelivered DeliveryState = "DELIVERED"
	// DeliveryFailed deliveries failed their last attempt and wait for the
	// next one.
	DeliveryFailed DeliveryState = "FAILED"
	// DeliveryParked deliveries failed MaxAttempts times and parked their
	// subscription.
	DeliveryParked DeliveryState = "PARKED"
)

// Delivery is one matching change of a subscription and how its delivery
// went.
type Delivery struct {
	SubscriptionID string
	Sequence       int64
	State          DeliveryState
	// Attempts counts the attempts since the delivery was first tried, or
	// since its subscription was last resumed.
	Attempts int
	// LastStatusCode is the HTTP status of the last answer, 0 when there
	// was none.
	LastStatusCode int
	// LastError says briefly why the last attempt failed; never the
	// callback's body.
	LastError       string
	LastAttemptTime time.Time
	NextAttemptTime time.Time
	DeliveredTime   time.Time
}

// DeliveryName is the delivery's API name.
func DeliveryName(subscriptionID string, sequence int64) string {
	return ResourceName(subscriptionID) + "/deliveries/" + strconv.FormatInt(sequence, 10)
}

// Reader is who a feed is read for: the subscribing department, with the
// purpose and case reference it declared when it subscribed.
type Reader struct {
	Department    string
	Purpose       string
	CaseReference string
}

// Feed reads registries' change feeds on behalf of a department. The
// cluster's implementation calls the registry over gRPC as that department,
// so each event is already filtered to what the department may see.
type Feed interface {
	// Head is the registry's latest sequence (for subscriptions that start
	// "now").
	Head(ctx context.Context, r Reader, registry string) (int64, error)
	// Changes returns up to max changes with sequence > after, in order.
	Changes(ctx context.Context, r Reader, registry string, after int64, max int) ([]Change, error)
}

// Reader is who the subscription's feed is read for.
func (s *Subscription) Reader() Reader {
	return Reader{Department: s.Department, Purpose: s.Purpose, CaseReference: s.CaseReference}
}

// Change is one event of a registry's feed.
type Change struct {
	Sequence int64
	// Names are the resource names the change concerns: the record, and
	// the old name of a rename.
	Names []string
	// Body is the registry's change event as proto3 JSON.
	Body json.RawMessage
}

// Registry is a registry whose feed can be subscribed to.
type Registry struct {
	// Name is the registry's target name (legalentity).
	Name string
	// Collections are the patterns of the resource names in its feed, one
	// `*` per identifier segment: legalEntities/*, enterprises/*/reports/*.
	// A subscription's records must match one of them; nothing is checked
	// when there are none.
	Collections []string
}

// DefaultRegistries are the platform's five base registries and the
// resource names their feeds carry.
var DefaultRegistries = []Registry{
	{Name: "legalentity", Collections: []string{"legalEntities/*"}},
	{Name: "population", Collections: []string{"persons/*", "households/*"}},
	{Name: "spatial", Collections: []string{"divisions/*", "addresses/*", "features/*"}},
	{Name: "economy", Collections: []string{"enterprises/*/reports/*"}},
	{Name: "building", Collections: []string{"buildings/*"}},
}
