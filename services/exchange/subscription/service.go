package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// Page sizes of ListSubscriptions and ListDeliveries.
const (
	DefaultListPageSize = 50
	MaxListPageSize     = 1000
)

// Defaults of the delivery options.
const (
	DefaultMaxAttempts     = 10
	DefaultBackoffBase     = time.Second
	DefaultBackoffCap      = 5 * time.Minute
	DefaultDeliveryTimeout = 10 * time.Second
	DefaultLeaseDuration   = 30 * time.Second
	DefaultPollInterval    = time.Second
	DefaultConcurrency     = 16
)

// Options configure a Service. Feed, Registries, SealingKey and WorkerID
// are required; every other field has a default.
type Options struct {
	// Feed reads the registries' change feeds as a department.
	Feed Feed
	// Registries are the registries that have feeds.
	Registries []Registry
	// SealingKey (32 bytes) seals callback secrets at rest. Losing or
	// changing it makes every stored secret unusable: deliveries park until
	// their secrets are rotated.
	SealingKey []byte
	// HTTPClient posts the deliveries; its transport and timeouts are used,
	// its redirect policy is not (redirects are never followed). A client
	// with DeliveryTimeout as its timeout when nil.
	HTTPClient *http.Client
	// WorkerID names this process among the replicas sharing the database,
	// in leases; unique per running process.
	WorkerID string
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger

	// MaxAttempts is how many failed attempts park a subscription.
	MaxAttempts int
	// BackoffBase is the wait after the first failure; each further
	// failure doubles it, up to BackoffCap, with jitter.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// DeliveryTimeout bounds one POST, and one read of a feed.
	DeliveryTimeout time.Duration
	// LeaseDuration is how long a worker holds a subscription without
	// renewing; it must exceed twice DeliveryTimeout, so that a lease
	// renewed before an attempt outlives the attempt.
	LeaseDuration time.Duration
	// PollInterval is how often the worker looks for due subscriptions.
	PollInterval time.Duration
	// Concurrency bounds the subscriptions one worker delivers at once.
	Concurrency int
}

func (o *Options) defaults() error {
	switch {
	case o.Feed == nil:
		return errors.New("subscription: a Feed is required")
	case len(o.Registries) == 0:
		return errors.New("subscription: at least one registry is required")
	case o.WorkerID == "":
		return errors.New("subscription: a worker id is required")
	}
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.BackoffBase, DefaultBackoffBase)
	set(&o.BackoffCap, DefaultBackoffCap)
	set(&o.DeliveryTimeout, DefaultDeliveryTimeout)
	set(&o.LeaseDuration, DefaultLeaseDuration)
	set(&o.PollInterval, DefaultPollInterval)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.LeaseDuration <= 2*o.DeliveryTimeout {
		return fmt.Errorf("subscription: the lease (%s) must exceed twice the delivery timeout (%s)", o.LeaseDuration, o.DeliveryTimeout)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Service is the subscription application: the calls departments make, and
// the delivery worker (Run, or Start and Stop).
type Service struct {
	store      Store
	o          Options
	registries map[string]Registry
	sealer     *sealer
	http       *http.Client
	log        *slog.Logger

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Service over store.
func New(store Store, o Options) (*Service, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	sl, err := newSealer(o.SealingKey)
	if err != nil {
		return nil, fmt.Errorf("subscription: %w", err)
	}
	s := &Service{store: store, o: o, sealer: sl, log: o.Logger.With("component", "subscription", "worker", o.WorkerID),
		registries: make(map[string]Registry, len(o.Registries))}
	for _, r := range o.Registries {
		s.registries[r.Name] = r
	}
	c := &http.Client{Timeout: o.DeliveryTimeout}
	if o.HTTPClient != nil {
		copied := *o.HTTPClient
		c = &copied
	}
	// A redirect is answered as a failure: following it would send a
	// signed event to an address the department never registered.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.http = c
	return s, nil
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// caller is the department acting, refusing calls no department makes.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, fmt.Errorf("subscriptions need a verified caller: %w", errs.ErrUnauthenticated)
	}
	if id.IsService() {
		return auth.Identity{}, fmt.Errorf("subscriptions belong to departments; service %s cannot hold or manage them: %w", id.Service, errs.ErrPermissionDenied)
	}
	if id.Department == "" {
		return auth.Identity{}, fmt.Errorf("subscriptions belong to departments; the caller has none: %w", errs.ErrPermissionDenied)
	}
	return id, nil
}

// mayUse reports whether the caller may see and change sub. Another
// department's subscription is reported as missing, so that its existence
// is not revealed either.
func mayUse(id auth.Identity, sub *Subscription) bool {
	return id.Admin || sub.Department == id.Department
}

// Create validates a new subscription for the calling department, fixes
// where it starts, seals a new secret and stores it. The result carries the
// secret in clear; nothing else ever does but RotateSecret.
func (s *Service) Create(ctx context.Context, in *Subscription) (*Subscription, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sub := &Subscription{
		Department: id.Department, Registry: in.Registry, Records: in.Records, CallbackURI: in.CallbackURI,
		Purpose: id.Purpose, CaseReference: id.CaseReference,
		EndTime: in.EndTime.UTC().Truncate(time.Microsecond), Start: in.Start, StartSequence: in.StartSequence,
	}
	sub.normalize()
	if err := sub.validate(s.registries, now); err != nil {
		return nil, err
	}
	head, err := s.o.Feed.Head(ctx, sub.Reader(), sub.Registry)
	if err != nil {
		return nil, fmt.Errorf("read the head of the %s feed: %w", sub.Registry, err)
	}
	switch sub.Start {
	case StartFromNow:
		sub.StartSequence = head
	case StartAfterSequence:
		if sub.StartSequence > head {
			return nil, errs.Field(fieldPrefix+"after_sequence", "%d is beyond the %s registry's latest sequence %d", sub.StartSequence, sub.Registry, head)
		}
	}
	u, err := uuid.NewV7() // time-ordered: listing by id lists oldest first
	if err != nil {
		return nil, fmt.Errorf("new subscription id: %w", err)
	}
	sub.ID = u.String()
	secret := newSecret()
	sub.SealedSecret = s.sealer.seal(sub.ID, []byte(secret))
	sub.State, sub.DeliveredSequence = StateActive, sub.StartSequence
	sub.CreateTime, sub.UpdateTime = now, now
	if err := s.store.Create(ctx, sub); err != nil {
		return nil, fmt.Errorf("create subscription: %w", err)
	}
	out := sub.effective(now)
	out.Secret = secret
	return out, nil
}

// Get returns one of the caller's subscriptions.
func (s *Service) Get(ctx context.Context, subscriptionID string) (*Subscription, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sub, err := s.store.Get(ctx, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("get subscription: %w", err)
	}
	if !mayUse(id, sub) {
		return nil, errs.NotFound(ResourceName(subscriptionID))
	}
	return sub.effective(s.now()), nil
}

// List returns a page of the caller's subscriptions, or of every
// department's for the administering department.
func (s *Service) List(ctx context.Context, pageSize int, pageToken string) ([]*Subscription, string, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	size, err := page.Size(int32(pageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return nil, "", err
	}
	q := ListQuery{Department: id.Department, PageSize: size, PageToken: pageToken}
	if id.Admin {
		q.Department = ""
	}
	subs, next, err := s.store.List(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list subscriptions: %w", err)
	}
	now := s.now()
	for i, sub := range subs {
		subs[i] = sub.effective(now)
	}
	return subs, next, nil
}

// update runs change on one of the caller's subscriptions, as it is in
// effect now.
func (s *Service) update(ctx context.Context, subscriptionID, what string, change func(sub *Subscription, now time.Time) error) (*Subscription, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sub, err := s.store.Update(ctx, subscriptionID, func(cur *Subscription) error {
		if !mayUse(id, cur) {
			return errs.NotFound(ResourceName(subscriptionID))
		}
		if e := cur.effective(now); e.State != cur.State {
			cur.State, cur.UpdateTime = e.State, now
		}
		return change(cur, now)
	})
	if err != nil {
		return nil, fmt.Errorf("%s subscription: %w", what, err)
	}
	return sub.effective(now), nil
}

// Cancel stops a subscription for good: no delivery starts after it.
// Cancelling a cancelled subscription changes nothing.
func (s *Service) Cancel(ctx context.Context, subscriptionID string) (*Subscription, error) {
	return s.update(ctx, subscriptionID, "cancel", func(sub *Subscription, now time.Time) error {
		if sub.State != StateCancelled {
			sub.State, sub.NextAttemptTime, sub.UpdateTime = StateCancelled, time.Time{}, now
		}
		return nil
	})
}

// Resume makes a PARKED subscription ACTIVE: the delivery that parked it
// is tried again at once, counting its attempts afresh.
func (s *Service) Resume(ctx context.Context, subscriptionID string) (*Subscription, error) {
	return s.update(ctx, subscriptionID, "resume", func(sub *Subscription, now time.Time) error {
		if sub.State != StateParked {
			return fmt.Errorf("%s is %s; only a PARKED subscription can be resumed: %w", ResourceName(sub.ID), sub.State, errs.ErrFailedPrecondition)
		}
		sub.State, sub.ParkedReason, sub.NextAttemptTime, sub.UpdateTime = StateActive, "", time.Time{}, now
		return nil
	})
}

// RotateSecret gives a subscription a new secret and returns it in clear.
// Every delivery from then on is signed with it, retries included.
func (s *Service) RotateSecret(ctx context.Context, subscriptionID string) (*Subscription, error) {
	secret := newSecret()
	sub, err := s.update(ctx, subscriptionID, "rotate the secret of", func(sub *Subscription, now time.Time) error {
		if sub.State == StateCancelled || sub.State == StateEnded {
			return fmt.Errorf("%s is %s and delivers nothing any more: %w", ResourceName(sub.ID), sub.State, errs.ErrFailedPrecondition)
		}
		sub.SealedSecret, sub.UpdateTime = s.sealer.seal(sub.ID, []byte(secret)), now
		return nil
	})
	if err != nil {
		return nil, err
	}
	sub.Secret = secret
	return sub, nil
}

// Deliveries returns a page of the deliveries of one of the caller's
// subscriptions, the newest event first.
func (s *Service) Deliveries(ctx context.Context, subscriptionID string, pageSize int, pageToken string) ([]*Delivery, string, error) {
	if _, err := s.Get(ctx, subscriptionID); err != nil {
		return nil, "", err
	}
	size, err := page.Size(int32(pageSize), DefaultListPageSize, MaxListPageSize)
	if err != nil {
		return nil, "", err
	}
	ds, next, err := s.store.Deliveries(ctx, DeliveryQuery{SubscriptionID: subscriptionID, PageSize: size, PageToken: pageToken})
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	return ds, next, nil
}
