package subscription_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/exchange/subscription/subscriptiontest"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

func TestBackoffDoublesFromTheBaseUpToTheCapWithJitter(t *testing.T) {
	svc := newService(t, openStore(t, storetest.OpenSQLite(t)), &subscriptiontest.Feed{}, "w", func(o *subscription.Options) {
		o.BackoffBase, o.BackoffCap = time.Second, 5*time.Minute
	})
	tests := []struct {
		failures int
		ceiling  time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second},
		{10, 5 * time.Minute}, {30, 5 * time.Minute}, {1000, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("after %d failures the wait is between half and all of %s", tt.failures, tt.ceiling), func(t *testing.T) {
			var seen []time.Duration
			for i := 0; i < 200; i++ {
				d := svc.Backoff(tt.failures)
				if d < tt.ceiling/2 || d > tt.ceiling {
					t.Fatalf("backoff(%d) = %s, want within [%s, %s]", tt.failures, d, tt.ceiling/2, tt.ceiling)
				}
				seen = append(seen, d)
			}
			if slices.Min(seen) == slices.Max(seen) {
				t.Fatalf("backoff(%d) is always %s: no jitter", tt.failures, seen[0])
			}
		})
	}
}

func TestADeliveredRenameKeepsTheRecordFollowed(t *testing.T) {
	const old, renamed, other = "legalEntities/91330211MA2H4LQX0D", "legalEntities/91330211MA2H4LQX1G", "legalEntities/91330211MA2H4LQX2B"
	tests := []struct {
		rule    string
		records map[string]bool
		names   []string
		want    []string
	}{
		{"a change under a followed name adds the other name it carries", map[string]bool{old: true, other: true}, []string{renamed, old}, []string{old, other, renamed}},
		{"a change naming only followed records adds nothing", map[string]bool{old: true}, []string{old}, nil},
		{"a subscription to every change follows no names", nil, []string{renamed, old}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := subscription.Followed(tt.records, tt.names); !slices.Equal(got, tt.want) {
				t.Fatalf("records afterwards = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSealedSecretsOpenOnlyForTheirSubscription(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	if got, err := subscription.SealAndOpen(key, "s-1", "s-1", "the secret"); err != nil || got != "the secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := subscription.SealAndOpen(key, "s-1", "s-2", "the secret"); err == nil {
		t.Fatal("a secret sealed for one subscription opened for another")
	}
	if _, err := subscription.SealAndOpen(key[:16], "s-1", "s-1", "the secret"); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	st := openStore(t, storetest.OpenSQLite(t))
	base := func() subscription.Options {
		return subscription.Options{Feed: &subscriptiontest.Feed{}, Registries: subscription.DefaultRegistries, SealingKey: sealingKey, WorkerID: "w"}
	}
	tests := []struct {
		rule   string
		mutate func(*subscription.Options)
	}{
		{"a feed is required", func(o *subscription.Options) { o.Feed = nil }},
		{"registries are required", func(o *subscription.Options) { o.Registries = nil }},
		{"a worker id is required", func(o *subscription.Options) { o.WorkerID = "" }},
		{"the sealing key is 32 bytes", func(o *subscription.Options) { o.SealingKey = sealingKey[:31] }},
		{"a lease must outlive two delivery timeouts", func(o *subscription.Options) {
			o.DeliveryTimeout, o.LeaseDuration = 10*time.Second, 20*time.Second
		}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			o := base()
			tt.mutate(&o)
			if _, err := subscription.New(st, o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := subscription.New(st, base()); err != nil {
		t.Fatalf("complete options refused: %v", err)
	}
}
