package subscription_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/exchange/subscription/sqlstore"
	"github.com/zhbase/zhbase/services/exchange/subscription/subscriptiontest"
	"github.com/zhbase/zhbase/services/exchange/webhook"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// sealingKey is the exchange's key in these tests; every Service on one
// database must share it.
var sealingKey = []byte("0123456789abcdef0123456789abcdef")

// asDepartment is a call by the market regulator's (市场监管局) watcher app.
var asDepartment = auth.NewContext(context.Background(), auth.Identity{Department: "scjgj", Application: "watcher"})

// fast are delivery options that make retries and polls quick enough for a
// test while keeping the lease well above the delivery timeout.
func fast(o *subscription.Options) {
	o.PollInterval = 10 * time.Millisecond
	o.BackoffBase = 5 * time.Millisecond
	o.BackoffCap = 50 * time.Millisecond
	o.DeliveryTimeout = 2 * time.Second
	o.LeaseDuration = 5 * time.Second
	o.MaxAttempts = 1000
}

func openStore(t testing.TB, db *store.DB) subscription.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newService(t testing.TB, st subscription.Store, feed subscription.Feed, worker string, opts ...func(*subscription.Options)) *subscription.Service {
	t.Helper()
	o := subscription.Options{
		Feed: feed, Registries: subscription.DefaultRegistries, SealingKey: sealingKey, WorkerID: worker,
	}
	fast(&o)
	for _, f := range opts {
		f(&o)
	}
	svc, err := subscription.New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// start runs svc's worker until stop or the end of the test.
func start(t testing.TB, svc *subscription.Service) (stop func()) {
	svc.Start()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("stop worker: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func subscribe(t testing.TB, svc *subscription.Service, rcv *subscriptiontest.Receiver, callback string, records ...string) *subscription.Subscription {
	t.Helper()
	sub, err := svc.Create(asDepartment, &subscription.Subscription{Registry: "legalentity", Records: records, CallbackURI: callback})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	rcv.Trust(subscription.ResourceName(sub.ID), sub.Secret)
	return sub
}

// waitCursor waits until the worker has recorded the delivery of seq: a
// receiver applies an event before the worker learns of its answer.
func waitCursor(t testing.TB, svc *subscription.Service, id string, seq int64) {
	t.Helper()
	subscriptiontest.Eventually(t, 10*time.Second, fmt.Sprintf("the cursor never reached %d", seq), func() bool {
		got, err := svc.Get(asDepartment, id)
		return err == nil && got.DeliveredSequence >= seq
	})
}

func sequences(events []webhook.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Sequence
	}
	return out
}

// TestEveryChangeToAFollowedRecordArrivesExactlyOnceAcrossRestarts is the
// delivery contract: with the receiver deduplicating on Zhbase-Delivery-Id,
// it applies every change to the records it follows exactly once, in
// sequence order, and nothing else — although the receiver goes down for a
// while, and the worker is stopped after the receiver applied an event but
// before the worker could record it, and a new worker on the same database
// takes over.
func TestEveryChangeToAFollowedRecordArrivesExactlyOnceAcrossRestarts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		reg := subscriptiontest.LegalEntityRegistry(t)
		entities := subscriptiontest.Entities(8)
		followed := map[string]bool{}
		var records []string
		for _, e := range entities[:3] {
			followed[subscriptiontest.Name(e)] = true
			records = append(records, subscriptiontest.Name(e))
		}

		rcv := subscriptiontest.NewReceiver()
		callback := rcv.Listen(t, "127.0.0.1:0")
		first := newService(t, openStore(t, db), reg.Feed, "exchange-a")
		sub := subscribe(t, first, rcv, callback+"/zhbase/events?token=abc", records...)
		if sub.StartSequence != 0 || sub.DeliveredSequence != 0 {
			t.Fatalf("a subscription from now on an empty registry starts at %d, cursor %d", sub.StartSequence, sub.DeliveredSequence)
		}
		stopFirst := start(t, first)

		var want []int64 // sequences of changes to followed records
		write := func(round int) {
			for i, e := range entities {
				var seq int64
				if round == 0 {
					seq = reg.Create(t, e)
				} else {
					seq = reg.Touch(t, subscriptiontest.Name(e), fmt.Sprintf("第%d轮变更 %d", round, i))
				}
				if followed[subscriptiontest.Name(e)] {
					want = append(want, seq)
				}
			}
		}

		// The receiver applies its fourth event and holds the answer; the
		// first worker is stopped meanwhile, so it never learns of the 2xx.
		held, release := rcv.HoldAt(4)
		write(0)
		write(1)
		var heldID string
		select {
		case heldID = <-held:
		case <-time.After(20 * time.Second):
			t.Fatal("the receiver never got its fourth event")
		}
		stopFirst()
		release()

		// The receiver goes down while changes keep coming; a new worker
		// on the same database retries against the closed port.
		rcv.Close()
		write(2)
		second := newService(t, openStore(t, db), reg.Feed, "exchange-b")
		start(t, second)
		write(3)
		subscriptiontest.Eventually(t, 10*time.Second, "the new worker never tried the closed receiver", func() bool {
			ds, _, err := second.Deliveries(asDepartment, sub.ID, 1, "")
			return err == nil && len(ds) == 1 && ds[0].State == subscription.DeliveryFailed && ds[0].LastStatusCode == 0
		})

		// Back on the same address; everything arrives.
		rcv.Listen(t, strings.TrimPrefix(callback, "http://"))
		write(4)
		subscriptiontest.Eventually(t, 20*time.Second, fmt.Sprintf("the receiver applied %d events, want %d", len(rcv.Events()), len(want)), func() bool {
			return len(rcv.Events()) >= len(want)
		})
		// Let anything wrongly pending surface before judging.
		time.Sleep(100 * time.Millisecond)

		events := rcv.Events()
		if got := sequences(events); !slices.Equal(got, want) {
			t.Fatalf("applied sequences %v,\nwant %v", got, want)
		}
		for _, e := range events {
			var change struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(e.Event, &change); err != nil {
				t.Fatalf("event %d is not the registry's change: %v", e.Sequence, err)
			}
			if !followed[change.Name] || e.Subscription != subscription.ResourceName(sub.ID) || e.Registry != "legalentity" {
				t.Fatalf("event %d concerns %s of %s in %s", e.Sequence, change.Name, e.Subscription, e.Registry)
			}
		}
		arrivals := rcv.Arrivals()
		redelivered := 0
		for i, a := range arrivals {
			if a.Verified && a.DeliveryID == heldID {
				redelivered++
			}
			if !a.Verified {
				t.Errorf("arrival %d (%s) failed verification", i, a.DeliveryID)
			}
			if i > 0 && a.Sequence < arrivals[i-1].Sequence {
				t.Errorf("sequence %d arrived after %d: order broken", a.Sequence, arrivals[i-1].Sequence)
			}
		}
		if redelivered < 2 {
			t.Errorf("the delivery held across the stop (%s) arrived %d times; it was never acknowledged, so it must come again", heldID, redelivered)
		}
		got, err := second.Get(asDepartment, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		head, _ := reg.Feed.Head(context.Background(), subscription.Reader{Department: "scjgj"}, "legalentity")
		subscriptiontest.Eventually(t, 5*time.Second, "the cursor never reached the head", func() bool {
			got, err = second.Get(asDepartment, sub.ID)
			return err == nil && got.DeliveredSequence == head
		})
		if got.State != subscription.StateActive {
			t.Errorf("state = %s, want ACTIVE", got.State)
		}
	})
}

// TestAFailingCallbackIsRetriedThenParkedAndResumed: a callback answering
// 500 gets the same delivery again and again, never a later one, until
// MaxAttempts park the subscription; resumed with a working callback, the
// parked event and the next arrive in order.
func TestAFailingCallbackIsRetriedThenParkedAndResumed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		reg := subscriptiontest.LegalEntityRegistry(t)
		rcv := subscriptiontest.NewReceiver()
		rcv.Answer(http.StatusInternalServerError)
		svc := newService(t, openStore(t, db), reg.Feed, "exchange-a", func(o *subscription.Options) { o.MaxAttempts = 4 })
		sub := subscribe(t, svc, rcv, rcv.Listen(t, "127.0.0.1:0"))
		start(t, svc)
		entities := subscriptiontest.Entities(2)
		firstSeq := reg.Create(t, entities[0])
		secondSeq := reg.Create(t, entities[1])

		subscriptiontest.Eventually(t, 10*time.Second, "the subscription was never parked", func() bool {
			got, err := svc.Get(asDepartment, sub.ID)
			return err == nil && got.State == subscription.StateParked
		})
		got, _ := svc.Get(asDepartment, sub.ID)
		if !strings.Contains(got.ParkedReason, fmt.Sprintf("sequence %d", firstSeq)) || !strings.Contains(got.ParkedReason, "HTTP 500") {
			t.Errorf("parked reason %q should name the delivery and its last answer", got.ParkedReason)
		}
		if got.DeliveredSequence != 0 {
			t.Errorf("cursor moved to %d past an undelivered event", got.DeliveredSequence)
		}
		ds, _, err := svc.Deliveries(asDepartment, sub.ID, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("deliveries = %d, want only the parked one: the next must wait", len(ds))
		}
		d := ds[0]
		if d.Sequence != firstSeq || d.State != subscription.DeliveryParked || d.Attempts != 4 || d.LastStatusCode != 500 ||
			d.LastError != "HTTP 500 Internal Server Error" || d.LastAttemptTime.IsZero() || !d.DeliveredTime.IsZero() {
			t.Errorf("parked delivery = %+v", d)
		}
		time.Sleep(50 * time.Millisecond) // a parked subscription gets nothing more
		arrivals := rcv.Arrivals()
		if len(arrivals) != 4 {
			t.Errorf("the callback got %d attempts, want 4", len(arrivals))
		}
		for _, a := range arrivals {
			if a.DeliveryID != webhook.DeliveryID(sub.ID, firstSeq) {
				t.Errorf("attempt carried %s, want every retry to carry %s", a.DeliveryID, webhook.DeliveryID(sub.ID, firstSeq))
			}
		}

		rcv.Answer(http.StatusOK)
		resumed, err := svc.Resume(asDepartment, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if resumed.State != subscription.StateActive || resumed.ParkedReason != "" {
			t.Fatalf("resumed = %s %q", resumed.State, resumed.ParkedReason)
		}
		subscriptiontest.Eventually(t, 10*time.Second, "the resumed subscription never caught up", func() bool {
			return len(rcv.Events()) == 2
		})
		waitCursor(t, svc, sub.ID, secondSeq)
		if got := sequences(rcv.Events()); !slices.Equal(got, []int64{firstSeq, secondSeq}) {
			t.Errorf("applied %v, want %v", got, []int64{firstSeq, secondSeq})
		}
		ds, _, _ = svc.Deliveries(asDepartment, sub.ID, 10, "")
		if len(ds) != 2 || ds[0].Sequence != secondSeq || ds[1].Sequence != firstSeq {
			t.Fatalf("deliveries, newest first = %+v", ds)
		}
		for _, d := range ds {
			if d.State != subscription.DeliveryDelivered || d.Attempts != 1 || d.LastStatusCode != 200 || d.LastError != "" || d.DeliveredTime.IsZero() {
				t.Errorf("delivery %d = %+v; want DELIVERED on the first attempt since the resume", d.Sequence, d)
			}
		}
	})
}

// countingStore counts the leases each worker takes, to show that both
// workers took part.
type countingStore struct {
	subscription.Store
	claims atomic.Int64
}

func (c *countingStore) Claim(ctx context.Context, id, worker string, now, until time.Time) (bool, error) {
	held, err := c.Store.Claim(ctx, id, worker, now, until)
	if held {
		c.claims.Add(1)
	}
	return held, err
}

// TestTwoWorkersNeverDeliverToOneSubscriptionAtOnce: two replicas polling
// one database share the subscriptions between them through the lease, and
// no subscription ever has two deliveries in flight.
func TestTwoWorkersNeverDeliverToOneSubscriptionAtOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		reg := subscriptiontest.LegalEntityRegistry(t)
		rcv := subscriptiontest.NewReceiver()
		rcv.Delay(15 * time.Millisecond)
		callback := rcv.Listen(t, "127.0.0.1:0")
		a := &countingStore{Store: openStore(t, db)}
		b := &countingStore{Store: openStore(t, db)}
		// Each worker delivers to two subscriptions at most at once, so
		// neither can hold all six: both must take part.
		busy := func(o *subscription.Options) { o.PollInterval, o.Concurrency = 3*time.Millisecond, 2 }
		svcA := newService(t, a, reg.Feed, "exchange-a", busy)
		svcB := newService(t, b, reg.Feed, "exchange-b", busy)
		var subs []*subscription.Subscription
		for i := 0; i < 6; i++ {
			subs = append(subs, subscribe(t, svcA, rcv, fmt.Sprintf("%s/hook/%d", callback, i)))
		}
		start(t, svcA)
		start(t, svcB)
		entities := subscriptiontest.Entities(24)
		var seqs []int64
		for _, e := range entities {
			seqs = append(seqs, reg.Create(t, e))
			time.Sleep(10 * time.Millisecond) // spread the changes, so that leases are taken again and again
		}
		want := len(entities) * len(subs)
		subscriptiontest.Eventually(t, 30*time.Second, "not every subscription got every event", func() bool { return len(rcv.Events()) == want })
		time.Sleep(50 * time.Millisecond)

		if o := rcv.Overlaps(); len(o) > 0 {
			t.Errorf("subscriptions with two deliveries in flight at once: %v", o)
		}
		perSub := map[string][]int64{}
		for _, a := range rcv.Arrivals() {
			perSub[a.Subscription] = append(perSub[a.Subscription], a.Sequence)
		}
		for _, sub := range subs {
			if got := perSub[subscription.ResourceName(sub.ID)]; !slices.Equal(got, seqs) {
				t.Errorf("%s received %v, want each of %v once, in order", sub.ID, got, seqs)
			}
		}
		if a.claims.Load() == 0 || b.claims.Load() == 0 {
			t.Errorf("leases taken: exchange-a %d, exchange-b %d; both replicas should have worked", a.claims.Load(), b.claims.Load())
		}
	})
}

// clock is a test clock running with real time from an offset that the
// test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// TestNothingIsDeliveredAfterTheEndTime: a subscription ends at its end
// time; changes after it are never delivered and the subscription reads
// ENDED.
func TestNothingIsDeliveredAfterTheEndTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		reg := subscriptiontest.LegalEntityRegistry(t)
		var clk clock
		rcv := subscriptiontest.NewReceiver()
		rcv.Now = clk.Now
		svc := newService(t, openStore(t, db), reg.Feed, "exchange-a", func(o *subscription.Options) { o.Now = clk.Now })
		sub, err := svc.Create(asDepartment, &subscription.Subscription{
			Registry: "legalentity", CallbackURI: rcv.Listen(t, "127.0.0.1:0"), EndTime: clk.Now().Add(time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		rcv.Trust(subscription.ResourceName(sub.ID), sub.Secret)
		start(t, svc)
		entities := subscriptiontest.Entities(4)
		before := []int64{reg.Create(t, entities[0]), reg.Create(t, entities[1])}
		subscriptiontest.Eventually(t, 10*time.Second, "changes before the end time were not delivered", func() bool { return len(rcv.Events()) == 2 })
		waitCursor(t, svc, sub.ID, before[1])

		clk.Advance(2 * time.Hour)
		reg.Create(t, entities[2])
		reg.Create(t, entities[3])
		subscriptiontest.Eventually(t, 5*time.Second, "the subscription never ended", func() bool {
			got, err := svc.Get(asDepartment, sub.ID)
			return err == nil && got.State == subscription.StateEnded
		})
		time.Sleep(200 * time.Millisecond) // twenty polls
		if got := sequences(rcv.Events()); !slices.Equal(got, before) {
			t.Fatalf("applied %v, want only %v from before the end", got, before)
		}
		if n := len(rcv.Arrivals()); n != 2 {
			t.Fatalf("%d POSTs, want 2: nothing may be attempted after the end", n)
		}
		if _, err := svc.Resume(asDepartment, sub.ID); err == nil {
			t.Fatal("an ended subscription was resumed")
		}
	})
}

// TestCancelledSubscriptionsGetNothingMore: after DeleteSubscription no
// delivery starts.
func TestCancelledSubscriptionsGetNothingMore(t *testing.T) {
	db := storetest.OpenSQLite(t)
	reg := subscriptiontest.LegalEntityRegistry(t)
	rcv := subscriptiontest.NewReceiver()
	svc := newService(t, openStore(t, db), reg.Feed, "exchange-a")
	sub := subscribe(t, svc, rcv, rcv.Listen(t, "127.0.0.1:0"))
	start(t, svc)
	entities := subscriptiontest.Entities(3)
	firstSeq := reg.Create(t, entities[0])
	subscriptiontest.Eventually(t, 10*time.Second, "the first change was not delivered", func() bool { return len(rcv.Events()) == 1 })
	waitCursor(t, svc, sub.ID, firstSeq)
	cancelled, err := svc.Cancel(asDepartment, sub.ID)
	if err != nil || cancelled.State != subscription.StateCancelled {
		t.Fatalf("cancel = %v, %v", cancelled, err)
	}
	reg.Create(t, entities[1])
	reg.Create(t, entities[2])
	time.Sleep(200 * time.Millisecond)
	if n := len(rcv.Arrivals()); n != 1 {
		t.Fatalf("%d POSTs after cancelling, want the 1 from before", n)
	}
}

// TestRotatedSecretsSignEveryLaterDelivery: after a rotation the old secret
// no longer verifies, the new one does.
func TestRotatedSecretsSignEveryLaterDelivery(t *testing.T) {
	db := storetest.OpenSQLite(t)
	reg := subscriptiontest.LegalEntityRegistry(t)
	rcv := subscriptiontest.NewReceiver()
	svc := newService(t, openStore(t, db), reg.Feed, "exchange-a")
	sub := subscribe(t, svc, rcv, rcv.Listen(t, "127.0.0.1:0"))
	rotated, err := svc.RotateSecret(asDepartment, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == "" || rotated.Secret == sub.Secret {
		t.Fatalf("rotation returned secret %q (old %q)", rotated.Secret, sub.Secret)
	}
	if again, _ := svc.Get(asDepartment, sub.ID); again.Secret != "" {
		t.Fatal("Get returned the secret")
	}
	start(t, svc)
	reg.Create(t, subscriptiontest.Entities(1)[0])
	subscriptiontest.Eventually(t, 10*time.Second, "no delivery was refused with the old secret", func() bool { return len(rcv.Arrivals()) >= 2 })
	if rcv.Arrivals()[0].Verified {
		t.Fatal("a delivery verified with the secret from before the rotation")
	}
	rcv.Trust(subscription.ResourceName(sub.ID), rotated.Secret)
	subscriptiontest.Eventually(t, 10*time.Second, "the delivery never verified with the new secret", func() bool { return len(rcv.Events()) == 1 })
}

// TestRedirectsAreNotFollowed: a 3xx is a failed attempt, and the address
// it points to never gets the event.
func TestRedirectsAreNotFollowed(t *testing.T) {
	db := storetest.OpenSQLite(t)
	reg := subscriptiontest.LegalEntityRegistry(t)
	elsewhere := subscriptiontest.NewReceiver()
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.Listen(t, "127.0.0.1:0"), http.StatusFound))
	t.Cleanup(redirector.Close)
	svc := newService(t, openStore(t, db), reg.Feed, "exchange-a")
	sub := subscribe(t, svc, elsewhere, redirector.URL)
	start(t, svc)
	reg.Create(t, subscriptiontest.Entities(1)[0])
	subscriptiontest.Eventually(t, 10*time.Second, "the redirect was never recorded", func() bool {
		ds, _, err := svc.Deliveries(asDepartment, sub.ID, 1, "")
		return err == nil && len(ds) == 1 && ds[0].LastStatusCode == http.StatusFound
	})
	ds, _, _ := svc.Deliveries(asDepartment, sub.ID, 1, "")
	if !strings.Contains(ds[0].LastError, "redirects are not followed") || ds[0].State != subscription.DeliveryFailed {
		t.Errorf("delivery after a redirect = %+v", ds[0])
	}
	if n := len(elsewhere.Arrivals()); n != 0 {
		t.Errorf("the redirect target got %d POSTs", n)
	}
}

// TestSecretsAreNotStoredInClear: the database never holds the secret.
func TestSecretsAreNotStoredInClear(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		reg := subscriptiontest.LegalEntityRegistry(t)
		svc := newService(t, openStore(t, db), reg.Feed, "exchange-a")
		sub := subscribe(t, svc, subscriptiontest.NewReceiver(), "https://apps.scjgj.example.gov.cn/hook")
		rotated, err := svc.RotateSecret(asDepartment, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{sub.Secret, rotated.Secret} {
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM subscriptions WHERE sealed_secret LIKE ? OR records LIKE ?`,
				"%"+secret+"%", "%"+secret+"%").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("secret %q found in clear", secret)
			}
		}
		// A service with another key cannot sign: the subscription parks
		// with a reason instead of sending unsigned or wrongly signed events.
		other := newService(t, openStore(t, db), reg.Feed, "exchange-b", func(o *subscription.Options) {
			o.SealingKey = []byte("fedcba9876543210fedcba9876543210")
		})
		start(t, other)
		reg.Create(t, subscriptiontest.Entities(1)[0])
		subscriptiontest.Eventually(t, 10*time.Second, "a secret sealed under another key did not park the subscription", func() bool {
			got, err := other.Get(asDepartment, sub.ID)
			return err == nil && got.State == subscription.StateParked && strings.Contains(got.ParkedReason, "unsealed")
		})
	})
}

// TestEverySubscriptionIsServedWhenThereAreMoreThanAWorkerTakesAtOnce: a
// worker looks at a few subscriptions per poll; the ones it has just
// looked at go to the back of the queue, so none is starved.
func TestEverySubscriptionIsServedWhenThereAreMoreThanAWorkerTakesAtOnce(t *testing.T) {
	db := storetest.OpenSQLite(t)
	reg := subscriptiontest.LegalEntityRegistry(t)
	rcv := subscriptiontest.NewReceiver()
	callback := rcv.Listen(t, "127.0.0.1:0")
	svc := newService(t, openStore(t, db), reg.Feed, "exchange-a", func(o *subscription.Options) { o.Concurrency = 1 })
	var subs []*subscription.Subscription
	for i := 0; i < 7; i++ {
		subs = append(subs, subscribe(t, svc, rcv, fmt.Sprintf("%s/hook/%d", callback, i)))
	}
	start(t, svc)
	time.Sleep(50 * time.Millisecond) // every subscription idle, the first ones looked at again and again
	seq := reg.Create(t, subscriptiontest.Entities(1)[0])
	for _, sub := range subs {
		waitCursor(t, svc, sub.ID, seq)
	}
	if n := len(rcv.Events()); n != len(subs) {
		t.Fatalf("%d events applied, want one per subscription", n)
	}
}
