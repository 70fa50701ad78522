package subscription

import (
	"context"
	"errors"
	"time"
)

// Store keeps subscriptions, their deliveries and the workers' leases.
// Implementations live outside this package (sqlstore) and must pass the
// contract suite in sqlstore's tests.
//
// The worker methods take the worker's id and change nothing unless that
// worker holds the subscription's lease: a worker whose lease ran out (a
// long pause, a partition) can neither move the cursor nor record an
// outcome after another worker took over.
type Store interface {
	// Create stores a new subscription; errs.ErrAlreadyExists when its id
	// is taken.
	Create(ctx context.Context, s *Subscription) error
	// Get returns one subscription; errs.ErrNotFound when there is none.
	Get(ctx context.Context, id string) (*Subscription, error)
	// List returns one page of subscriptions, oldest first.
	List(ctx context.Context, q ListQuery) ([]*Subscription, string, error)
	// Update loads a subscription, lets change modify it and writes back
	// what a caller may change (State, ParkedReason, SealedSecret,
	// NextAttemptTime, UpdateTime), in one transaction. An error from
	// change aborts the update and is returned as is. Resuming, a change
	// from PARKED to ACTIVE, also re-arms the delivery that parked it: it
	// becomes PENDING with no attempts, due at once.
	Update(ctx context.Context, id string, change func(s *Subscription) error) (*Subscription, error)
	// Deliveries returns one page of a subscription's deliveries, the
	// newest event first.
	Deliveries(ctx context.Context, q DeliveryQuery) ([]*Delivery, string, error)

	// EndExpired marks ENDED every ACTIVE or PARKED subscription whose end
	// time is not after now, and returns how many it marked.
	EndExpired(ctx context.Context, now time.Time) (int, error)
	// Due returns up to limit ACTIVE subscriptions whose next attempt is
	// due at now and whose lease is free at now or held by worker.
	Due(ctx context.Context, worker string, now time.Time, limit int) ([]string, error)
	// Claim takes or renews the lease of an ACTIVE subscription for worker
	// until `until`, if it is free at now or already worker's; it reports
	// whether worker holds it.
	Claim(ctx context.Context, id, worker string, now, until time.Time) (bool, error)
	// Release gives up worker's lease, if it holds it, and makes the
	// subscription due no earlier than nextLook (zero: no later than it
	// was; a later next attempt, a backoff, stays).
	Release(ctx context.Context, id, worker string, nextLook time.Time) error
	// BeginAttempt renews worker's lease until `until` and records that the
	// delivery of sequence is being attempted (PENDING, unless a failed
	// attempt is already recorded), in one transaction. It returns the
	// subscription as it is now (its callback and secret may have changed)
	// and the delivery. ErrLeaseLost when worker does not hold the lease,
	// the subscription is no longer ACTIVE, its end time is not after now,
	// or sequence is not beyond its cursor.
	BeginAttempt(ctx context.Context, id, worker string, sequence int64, now, until time.Time) (*Subscription, *Delivery, error)
	// Advance moves the cursor forward to `to` over changes that were not
	// for the subscription; ErrLeaseLost when worker does not hold the lease.
	Advance(ctx context.Context, id, worker string, to int64) error
	// RecordAttempt records how an attempt ended, in one transaction with
	// what it does to the subscription: a DELIVERED attempt moves the
	// cursor to its sequence (and sets Records when given); a FAILED one
	// sets the subscription's next attempt; a PARKED one parks the
	// subscription with its reason. ErrLeaseLost when worker does not hold
	// the lease; nothing is recorded then.
	RecordAttempt(ctx context.Context, id, worker string, a Attempt) error
}

// ErrLeaseLost is returned by the worker methods of a Store when the worker
// no longer holds the subscription, or the subscription no longer wants
// deliveries: the worker must stop working it.
var ErrLeaseLost = errors.New("subscription lease lost, or subscription no longer active")

// ListQuery selects subscriptions.
type ListQuery struct {
	// Department selects one department's subscriptions; every
	// department's when empty.
	Department string
	PageSize   int
	PageToken  string
}

// DeliveryQuery selects a subscription's deliveries.
type DeliveryQuery struct {
	SubscriptionID string
	PageSize       int
	PageToken      string
}

// Attempt is how one delivery attempt ended.
type Attempt struct {
	Sequence int64
	// Outcome is DeliveryDelivered, DeliveryFailed or DeliveryParked.
	Outcome    DeliveryState
	StatusCode int
	Error      string
	// Started is when the attempt was made; Finished when it ended.
	Started  time.Time
	Finished time.Time
	// NextAttempt is when a FAILED delivery is tried again.
	NextAttempt time.Time
	// ParkedReason is the subscription's parked reason for a PARKED outcome.
	ParkedReason string
	// Records, for a DELIVERED outcome, are the subscription's records
	// afterwards when the event added names to them (a followed record was
	// renamed); nil leaves them alone.
	Records []string
}
