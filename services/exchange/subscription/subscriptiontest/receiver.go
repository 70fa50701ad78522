package subscriptiontest

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange/webhook"
)

// Arrival is one POST the receiver got, duplicates included.
type Arrival struct {
	DeliveryID   string
	Subscription string
	Sequence     int64
	Verified     bool
}

// Receiver is a department's callback: it verifies each delivery with the
// subscription's secret, applies it once per Zhbase-Delivery-Id, and
// answers with the configured status. Its applied state outlives Close, as
// an application's database outlives a restart of its web server.
type Receiver struct {
	// Now is the clock deliveries are verified against; time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	secrets  map[string][]byte // by subscription name
	status   int
	delay    time.Duration
	applied  map[string]bool
	events   []webhook.Event
	arrivals []Arrival
	inflight map[string]int // by subscription name
	overlap  []string       // subscriptions that had two deliveries in flight at once
	hold     struct {
		at       int // hold the answer to the delivery that makes this many applied
		held     chan string
		released chan struct{}
	}
	srv *httptest.Server
}

// NewReceiver returns a receiver answering 204 that is not listening yet.
func NewReceiver() *Receiver {
	return &Receiver{secrets: map[string][]byte{}, status: http.StatusNoContent, applied: map[string]bool{}, inflight: map[string]int{}}
}

// Listen starts serving on addr ("127.0.0.1:0" for any port; an earlier
// URL's host to come back on the same address) and returns the URL.
func (r *Receiver) Listen(t testing.TB, addr string) string {
	t.Helper()
	var lis net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may take a moment to go
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(r)
	srv.Listener.Close()
	srv.Listener = lis
	srv.Start()
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	t.Cleanup(srv.Close)
	return srv.URL
}

// Close stops listening; deliveries fail until Listen is called again.
func (r *Receiver) Close() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Trust makes the receiver accept deliveries of the subscription named
// name signed with secret (replacing an earlier secret).
func (r *Receiver) Trust(name, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[name] = []byte(secret)
}

// Answer sets the status of later answers to verified deliveries.
func (r *Receiver) Answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// Delay makes the receiver take d over each delivery.
func (r *Receiver) Delay(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = d
}

// HoldAt makes the receiver apply the delivery that brings the number
// applied to n, then hold its answer: held receives its delivery id, and
// the answer goes out (if the sender still waits) once release is called.
// It is how a test puts a sender's crash between the receiver's apply and
// the sender's commit.
func (r *Receiver) HoldAt(n int) (held <-chan string, release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold.at = n
	r.hold.held = make(chan string, 1)
	r.hold.released = make(chan struct{})
	var once sync.Once
	released := r.hold.released
	return r.hold.held, func() { once.Do(func() { close(released) }) }
}

func (r *Receiver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// ServeHTTP is the callback.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var e webhook.Event
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	id := req.Header.Get(webhook.HeaderDeliveryID)
	r.mu.Lock()
	secret := r.secrets[e.Subscription]
	verr := webhook.Verify(secret, req.Header, body, r.now(), webhook.DefaultTolerance)
	if secret == nil {
		verr = errors.New("unknown subscription")
	}
	r.arrivals = append(r.arrivals, Arrival{DeliveryID: id, Subscription: e.Subscription, Sequence: e.Sequence, Verified: verr == nil})
	if verr != nil {
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.inflight[e.Subscription]++
	if r.inflight[e.Subscription] > 1 && !slices.Contains(r.overlap, e.Subscription) {
		r.overlap = append(r.overlap, e.Subscription)
	}
	delay, status := r.delay, r.status
	r.mu.Unlock()

	time.Sleep(delay)

	r.mu.Lock()
	r.inflight[e.Subscription]--
	var held chan string
	var released chan struct{}
	if status >= 200 && status < 300 && !r.applied[id] {
		r.applied[id] = true
		r.events = append(r.events, e)
		if r.hold.at > 0 && len(r.events) == r.hold.at {
			held, released = r.hold.held, r.hold.released
			r.hold.at = 0
		}
	}
	r.mu.Unlock()
	if held != nil {
		held <- id
		<-released
	}
	w.WriteHeader(status)
}

// Events returns the events applied, once each, in the order applied.
func (r *Receiver) Events() []webhook.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Arrivals returns every POST received, duplicates and refused ones
// included, in order.
func (r *Receiver) Arrivals() []Arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.arrivals)
}

// Overlaps lists the subscriptions that ever had two deliveries in flight
// at the receiver at once.
func (r *Receiver) Overlaps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.overlap)
}

// Eventually polls cond until it holds or timeout passes, then fails the
// test with what.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
