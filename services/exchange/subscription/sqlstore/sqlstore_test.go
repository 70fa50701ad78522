package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/exchange/subscription/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The store contract: every test runs once on SQLite and once on a fresh
// PostgreSQL schema.

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
)

func openStore(t testing.TB, db *store.DB) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Opening again (another replica starting) must be harmless.
	if _, err := sqlstore.Open(ctx, db); err != nil {
		t.Fatalf("second open: %v", err)
	}
	return st
}

func newSub(id, department string) *subscription.Subscription {
	return &subscription.Subscription{
		ID: id, Department: department, Registry: "legalentity",
		Records:     []string{"legalEntities/91330211MA2H4LQX0D"},
		CallbackURI: "https://apps.example.gov.cn/zhbase/events?token=a", Start: subscription.StartAfterSequence,
		Purpose: "企业变更提醒", CaseReference: "SC-2026-9",
		StartSequence: 10, State: subscription.StateActive, DeliveredSequence: 10,
		SealedSecret: []byte{1, 2, 3, 0, 255}, CreateTime: t0, UpdateTime: t0,
	}
}

func create(t testing.TB, st *sqlstore.Store, subs ...*subscription.Subscription) {
	t.Helper()
	for _, s := range subs {
		if err := st.Create(ctx, s); err != nil {
			t.Fatalf("create %s: %v", s.ID, err)
		}
	}
}

func get(t testing.TB, st *sqlstore.Store, id string) *subscription.Subscription {
	t.Helper()
	s, err := st.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return s
}

func claim(t testing.TB, st *sqlstore.Store, id, worker string, now time.Time) bool {
	t.Helper()
	held, err := st.Claim(ctx, id, worker, now, now.Add(30*time.Second))
	if err != nil {
		t.Fatalf("claim %s by %s: %v", id, worker, err)
	}
	return held
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)

		t.Run("a created subscription reads back as stored", func(t *testing.T) {
			in := newSub("s-roundtrip", "scjgj")
			in.EndTime = t0.Add(48 * time.Hour)
			create(t, st, in)
			if got := get(t, st, in.ID); !reflect.DeepEqual(got, in) {
				t.Fatalf("got  %+v\nwant %+v", got, in)
			}
		})
		t.Run("a subscription without records or end reads back so", func(t *testing.T) {
			in := newSub("s-bare", "scjgj")
			in.Records = nil
			create(t, st, in)
			got := get(t, st, in.ID)
			if len(got.Records) != 0 || !got.EndTime.IsZero() || !got.NextAttemptTime.IsZero() {
				t.Fatalf("got records %v, end %v, next %v", got.Records, got.EndTime, got.NextAttemptTime)
			}
		})
		t.Run("an unknown id is not found", func(t *testing.T) {
			if _, err := st.Get(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("err = %v, want not found", err)
			}
		})
		t.Run("a taken id is refused", func(t *testing.T) {
			create(t, st, newSub("s-dup", "scjgj"))
			if err := st.Create(ctx, newSub("s-dup", "gaj")); !errors.Is(err, errs.ErrAlreadyExists) {
				t.Fatalf("err = %v, want already exists", err)
			}
		})
	})
}

func TestListsAreOneDepartmentsOldestFirstPageByPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		var mine []string
		for i := 0; i < 7; i++ {
			id := fmt.Sprintf("s-%02d", i)
			dept := "scjgj"
			if i%3 == 2 {
				dept = "gaj"
			} else {
				mine = append(mine, id)
			}
			create(t, st, newSub(id, dept))
		}
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			subs, next, err := st.List(ctx, subscription.ListQuery{Department: "scjgj", PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range subs {
				got = append(got, s.ID)
			}
			if next == "" {
				break
			}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			token = next
		}
		if !reflect.DeepEqual(got, mine) {
			t.Fatalf("scjgj's subscriptions = %v, want %v", got, mine)
		}
		all, _, err := st.List(ctx, subscription.ListQuery{PageSize: 100})
		if err != nil || len(all) != 7 {
			t.Fatalf("every department's: %d, %v", len(all), err)
		}
		_, next, _ := st.List(ctx, subscription.ListQuery{Department: "scjgj", PageSize: 1})
		if _, _, err := st.List(ctx, subscription.ListQuery{Department: "gaj", PageSize: 1, PageToken: next}); !errors.Is(err, page.ErrInvalidToken) {
			t.Fatalf("a token of scjgj's list used for gaj's: %v, want refused", err)
		}
	})
}

func TestALeaseIsHeldByOneWorkerAtATime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		create(t, st, newSub("s-1", "scjgj"))
		tests := []struct {
			rule   string
			worker string
			at     time.Time
			want   bool
		}{
			{"a free subscription is taken", "a", t0, true},
			{"another worker cannot take it while the lease runs", "b", t0.Add(29 * time.Second), false},
			{"its holder renews it", "a", t0.Add(20 * time.Second), true},
			{"the renewal counts from the renewal", "b", t0.Add(49 * time.Second), false},
			{"once it runs out another worker takes it", "b", t0.Add(51 * time.Second), true},
			{"and the first cannot take it back", "a", t0.Add(52 * time.Second), false},
		}
		for _, tt := range tests {
			t.Run(tt.rule, func(t *testing.T) {
				if got := claim(t, st, "s-1", tt.worker, tt.at); got != tt.want {
					t.Fatalf("claim by %s at %s = %v, want %v", tt.worker, tt.at.Sub(t0), got, tt.want)
				}
			})
		}
		t.Run("a released lease is free at once", func(t *testing.T) {
			if err := st.Release(ctx, "s-1", "a", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if claim(t, st, "s-1", "a", t0.Add(53*time.Second)) {
				t.Fatal("a release by a worker not holding the lease freed it")
			}
			if err := st.Release(ctx, "s-1", "b", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if !claim(t, st, "s-1", "a", t0.Add(53*time.Second)) {
				t.Fatal("the released lease could not be taken")
			}
		})
		t.Run("a release sets the next look, but never before a later backoff", func(t *testing.T) {
			if err := st.Release(ctx, "s-1", "a", t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := get(t, st, "s-1").NextAttemptTime; !got.Equal(t0.Add(time.Hour)) {
				t.Fatalf("next look = %v, want an hour on", got)
			}
			claim(t, st, "s-1", "a", t0.Add(54*time.Second))
			if err := st.Release(ctx, "s-1", "a", t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if got := get(t, st, "s-1").NextAttemptTime; !got.Equal(t0.Add(time.Hour)) {
				t.Fatalf("next look = %v: a release shortened the wait", got)
			}
			claim(t, st, "s-1", "a", t0.Add(55*time.Second))
			if err := st.Release(ctx, "s-1", "a", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if got := get(t, st, "s-1").NextAttemptTime; !got.Equal(t0.Add(time.Hour)) {
				t.Fatalf("next look = %v after a release without one", got)
			}
		})
		t.Run("only active subscriptions are leased", func(t *testing.T) {
			s := newSub("s-parked", "scjgj")
			s.State = subscription.StateParked
			create(t, st, s)
			if claim(t, st, "s-parked", "a", t0) {
				t.Fatal("a parked subscription was leased")
			}
		})
	})
}

func TestAWorkerWithoutTheLeaseChangesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		create(t, st, newSub("s-1", "scjgj"))
		claim(t, st, "s-1", "a", t0)
		if _, _, err := st.BeginAttempt(ctx, "s-1", "a", 11, t0, t0.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		// a stalls past its lease; b takes over.
		if !claim(t, st, "s-1", "b", t0.Add(31*time.Second)) {
			t.Fatal("b could not take the expired lease")
		}
		lost := map[string]error{}
		_, _, lost["begin an attempt"] = st.BeginAttempt(ctx, "s-1", "a", 11, t0.Add(32*time.Second), t0.Add(62*time.Second))
		lost["advance the cursor"] = st.Advance(ctx, "s-1", "a", 20)
		lost["record a delivery"] = st.RecordAttempt(ctx, "s-1", "a", subscription.Attempt{Sequence: 11, Outcome: subscription.DeliveryDelivered, StatusCode: 200, Started: t0, Finished: t0})
		lost["record a failure"] = st.RecordAttempt(ctx, "s-1", "a", subscription.Attempt{Sequence: 11, Outcome: subscription.DeliveryFailed, Started: t0, Finished: t0, NextAttempt: t0.Add(time.Hour)})
		lost["park"] = st.RecordAttempt(ctx, "s-1", "a", subscription.Attempt{Sequence: 11, Outcome: subscription.DeliveryParked, Started: t0, Finished: t0, ParkedReason: "x"})
		for what, err := range lost {
			if !errors.Is(err, subscription.ErrLeaseLost) {
				t.Errorf("%s without the lease: %v, want ErrLeaseLost", what, err)
			}
		}
		got := get(t, st, "s-1")
		if got.DeliveredSequence != 10 || got.State != subscription.StateActive || !got.NextAttemptTime.IsZero() {
			t.Fatalf("after the lost worker's writes: cursor %d, state %s, next %v", got.DeliveredSequence, got.State, got.NextAttemptTime)
		}
		ds, _, _ := st.Deliveries(ctx, subscription.DeliveryQuery{SubscriptionID: "s-1", PageSize: 10})
		if len(ds) != 1 || ds[0].State != subscription.DeliveryPending || ds[0].Attempts != 0 {
			t.Fatalf("deliveries after the lost worker's writes: %+v", ds)
		}
	})
}

func TestAnAttemptBeginsOnlyWhenTheSubscriptionWantsIt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		ended := newSub("s-ended", "scjgj")
		ended.EndTime = t0.Add(time.Minute)
		cancelled := newSub("s-cancelled", "scjgj")
		create(t, st, newSub("s-active", "scjgj"), ended, cancelled)
		for _, id := range []string{"s-active", "s-ended", "s-cancelled"} {
			claim(t, st, id, "a", t0)
		}
		if _, err := st.Update(ctx, "s-cancelled", func(s *subscription.Subscription) error {
			s.State = subscription.StateCancelled
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			rule string
			id   string
			seq  int64
			at   time.Time
			ok   bool
		}{
			{"beyond the cursor of an active subscription", "s-active", 11, t0, true},
			{"not at or before the cursor", "s-active", 10, t0, false},
			{"not once its end time has come", "s-ended", 11, t0.Add(time.Minute), false},
			{"before its end time", "s-ended", 11, t0.Add(59 * time.Second), true},
			{"not once it is cancelled", "s-cancelled", 11, t0, false},
		}
		for _, tt := range tests {
			t.Run(tt.rule, func(t *testing.T) {
				sub, d, err := st.BeginAttempt(ctx, tt.id, "a", tt.seq, tt.at, tt.at.Add(30*time.Second))
				if !tt.ok {
					if !errors.Is(err, subscription.ErrLeaseLost) {
						t.Fatalf("err = %v, want ErrLeaseLost", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if sub.ID != tt.id || d.Sequence != tt.seq || d.State != subscription.DeliveryPending || d.Attempts != 0 {
					t.Fatalf("began %s, %+v", sub.ID, d)
				}
			})
		}
		t.Run("beginning renews the lease", func(t *testing.T) {
			if _, _, err := st.BeginAttempt(ctx, "s-active", "a", 11, t0.Add(25*time.Second), t0.Add(55*time.Second)); err != nil {
				t.Fatal(err)
			}
			if claim(t, st, "s-active", "b", t0.Add(40*time.Second)) {
				t.Fatal("the lease ran out at its old end despite the renewal")
			}
		})
	})
}

func TestAttemptsMoveTheCursorScheduleRetriesAndPark(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		create(t, st, newSub("s-1", "scjgj"))
		claim(t, st, "s-1", "a", t0)
		begin := func(seq int64) *subscription.Delivery {
			t.Helper()
			_, d, err := st.BeginAttempt(ctx, "s-1", "a", seq, t0, t0.Add(30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		record := func(a subscription.Attempt) {
			t.Helper()
			if err := st.RecordAttempt(ctx, "s-1", "a", a); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("a failure is counted and schedules the subscription's next attempt", func(t *testing.T) {
			begin(11)
			next := t0.Add(2 * time.Second)
			record(subscription.Attempt{Sequence: 11, Outcome: subscription.DeliveryFailed, StatusCode: 503, Error: "HTTP 503 Service Unavailable", Started: t0, Finished: t0, NextAttempt: next})
			if d := begin(11); d.State != subscription.DeliveryFailed || d.Attempts != 1 || d.LastStatusCode != 503 || !d.NextAttemptTime.Equal(next) {
				t.Fatalf("delivery after a failure = %+v", d)
			}
			if got := get(t, st, "s-1"); !got.NextAttemptTime.Equal(next) || got.DeliveredSequence != 10 {
				t.Fatalf("subscription after a failure: next %v, cursor %d", got.NextAttemptTime, got.DeliveredSequence)
			}
		})
		t.Run("a delivery moves the cursor and clears the retry", func(t *testing.T) {
			record(subscription.Attempt{Sequence: 11, Outcome: subscription.DeliveryDelivered, StatusCode: 204, Started: t0.Add(3 * time.Second), Finished: t0.Add(4 * time.Second),
				Records: []string{"legalEntities/91330211MA2H4LQX0D", "legalEntities/91330211MA2H4LQX1G"}})
			got := get(t, st, "s-1")
			if got.DeliveredSequence != 11 || !got.NextAttemptTime.IsZero() {
				t.Fatalf("cursor %d, next %v", got.DeliveredSequence, got.NextAttemptTime)
			}
			if len(got.Records) != 2 {
				t.Fatalf("records after following a rename: %v", got.Records)
			}
			ds, _, _ := st.Deliveries(ctx, subscription.DeliveryQuery{SubscriptionID: "s-1", PageSize: 1})
			d := ds[0]
			if d.State != subscription.DeliveryDelivered || d.Attempts != 2 || d.LastStatusCode != 204 || d.LastError != "" ||
				!d.DeliveredTime.Equal(t0.Add(4*time.Second)) || !d.LastAttemptTime.Equal(t0.Add(3*time.Second)) || !d.NextAttemptTime.IsZero() {
				t.Fatalf("delivered = %+v", d)
			}
		})
		t.Run("the cursor skips changes that are not for the subscription", func(t *testing.T) {
			if err := st.Advance(ctx, "s-1", "a", 15); err != nil {
				t.Fatal(err)
			}
			if err := st.Advance(ctx, "s-1", "a", 14); !errors.Is(err, subscription.ErrLeaseLost) {
				t.Fatalf("moving the cursor back: %v, want refused", err)
			}
			if got := get(t, st, "s-1"); got.DeliveredSequence != 15 {
				t.Fatalf("cursor = %d, want 15", got.DeliveredSequence)
			}
		})
		t.Run("parking stops the subscription with its reason", func(t *testing.T) {
			begin(16)
			record(subscription.Attempt{Sequence: 16, Outcome: subscription.DeliveryParked, Error: "no answer within 10s", Started: t0, Finished: t0.Add(time.Minute), ParkedReason: "delivery of sequence 16 failed 10 times"})
			got := get(t, st, "s-1")
			if got.State != subscription.StateParked || got.ParkedReason != "delivery of sequence 16 failed 10 times" || !got.UpdateTime.Equal(t0.Add(time.Minute)) {
				t.Fatalf("parked = %s %q %v", got.State, got.ParkedReason, got.UpdateTime)
			}
			if claim(t, st, "s-1", "a", t0.Add(time.Minute)) {
				t.Fatal("a parked subscription is still leased")
			}
		})
		t.Run("resuming re-arms the parked delivery", func(t *testing.T) {
			resumed, err := st.Update(ctx, "s-1", func(s *subscription.Subscription) error {
				s.State, s.ParkedReason, s.UpdateTime = subscription.StateActive, "", t0.Add(2*time.Minute)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if resumed.State != subscription.StateActive || get(t, st, "s-1").ParkedReason != "" {
				t.Fatalf("resumed = %+v", resumed)
			}
			ds, _, _ := st.Deliveries(ctx, subscription.DeliveryQuery{SubscriptionID: "s-1", PageSize: 1})
			if d := ds[0]; d.Sequence != 16 || d.State != subscription.DeliveryPending || d.Attempts != 0 || d.LastError != "no answer within 10s" {
				t.Fatalf("re-armed delivery = %+v", d)
			}
		})
	})
}

func TestUpdatesChangeOnlyWhatACallerMayChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		create(t, st, newSub("s-1", "scjgj"))
		boom := errors.New("refused")
		if _, err := st.Update(ctx, "s-1", func(s *subscription.Subscription) error {
			s.State = subscription.StateCancelled
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the change's own error", err)
		}
		if got := get(t, st, "s-1"); got.State != subscription.StateActive {
			t.Fatal("a refused change was written")
		}
		if _, err := st.Update(ctx, "nope", func(*subscription.Subscription) error { return nil }); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update of a missing subscription: %v", err)
		}
		_, err := st.Update(ctx, "s-1", func(s *subscription.Subscription) error {
			s.SealedSecret = []byte("new sealed")
			s.UpdateTime = t0.Add(time.Hour)
			s.CallbackURI, s.Department, s.DeliveredSequence, s.Records = "http://evil.example", "gaj", 99, nil
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, st, "s-1")
		want := newSub("s-1", "scjgj")
		want.SealedSecret, want.UpdateTime = []byte("new sealed"), t0.Add(time.Hour)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
}

func TestDeliveriesListNewestFirst(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		create(t, st, newSub("s-1", "scjgj"), newSub("s-2", "scjgj"))
		for _, id := range []string{"s-1", "s-2"} {
			claim(t, st, id, "a", t0)
			for seq := int64(11); seq <= 15; seq++ {
				if _, _, err := st.BeginAttempt(ctx, id, "a", seq, t0, t0.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if err := st.RecordAttempt(ctx, id, "a", subscription.Attempt{Sequence: seq, Outcome: subscription.DeliveryDelivered, StatusCode: 200, Started: t0, Finished: t0}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var got []int64
		token := ""
		for {
			ds, next, err := st.Deliveries(ctx, subscription.DeliveryQuery{SubscriptionID: "s-1", PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.SubscriptionID != "s-1" {
					t.Fatalf("s-1's deliveries include %s's", d.SubscriptionID)
				}
				got = append(got, d.Sequence)
			}
			if token = next; token == "" {
				break
			}
		}
		if want := []int64{15, 14, 13, 12, 11}; !reflect.DeepEqual(got, want) {
			t.Fatalf("sequences = %v, want %v", got, want)
		}
	})
}

func TestDueSubscriptionsAndTheEndOfExpiredOnes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		backingOff := newSub("s-backoff", "scjgj")
		backingOff.NextAttemptTime = t0.Add(time.Minute)
		expiring := newSub("s-expiring", "scjgj")
		expiring.EndTime = t0.Add(-time.Second)
		parkedExpiring := newSub("s-parked-expiring", "scjgj")
		parkedExpiring.State, parkedExpiring.EndTime = subscription.StateParked, t0
		cancelled := newSub("s-cancelled", "scjgj")
		cancelled.State, cancelled.EndTime = subscription.StateCancelled, t0.Add(-time.Hour)
		later := newSub("s-later", "scjgj")
		later.EndTime = t0.Add(time.Hour)
		create(t, st, newSub("s-free", "scjgj"), newSub("s-leased", "scjgj"), backingOff, expiring, parkedExpiring, cancelled, later)
		claim(t, st, "s-leased", "b", t0)

		due, err := st.Due(ctx, "a", t0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"s-free", "s-later"}; !reflect.DeepEqual(due, want) {
			t.Fatalf("due for a = %v, want %v", due, want)
		}
		if due, _ := st.Due(ctx, "b", t0, 100); len(due) != 3 {
			t.Fatalf("due for b = %v: its own lease must be listed", due)
		}
		if due, _ := st.Due(ctx, "a", t0.Add(2*time.Minute), 100); len(due) != 4 {
			t.Fatalf("due for a once the lease and backoff ran out = %v", due)
		}

		n, err := st.EndExpired(ctx, t0)
		if err != nil || n != 2 {
			t.Fatalf("ended %d, %v; want the active and the parked one past their end", n, err)
		}
		for id, want := range map[string]subscription.State{
			"s-expiring": subscription.StateEnded, "s-parked-expiring": subscription.StateEnded,
			"s-cancelled": subscription.StateCancelled, "s-later": subscription.StateActive,
		} {
			if got := get(t, st, id).State; got != want {
				t.Errorf("%s = %s, want %s", id, got, want)
			}
		}
	})
}
