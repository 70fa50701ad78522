package subscription

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zhbase/zhbase/services/exchange/webhook"
)

const (
	// batchSize is how many changes one read of a feed asks for.
	batchSize = 100
	// maxResponseRead is how much of a callback's answer is read (and
	// discarded, so that the connection can be reused); an answer's body
	// means nothing to the sender.
	maxResponseRead = 64 << 10
	// maxErrorLen bounds a delivery's recorded error.
	maxErrorLen = 200
	// releaseTimeout bounds giving a lease back while stopping.
	releaseTimeout = 5 * time.Second
)

// Start runs the delivery worker in the background until Stop.
func (s *Service) Start() {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.cancel, s.done = cancel, done
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
}

// Stop stops the worker started by Start and waits, until ctx ends, for
// the attempts in flight to end and their leases to be given back.
func (s *Service) Stop(ctx context.Context) error {
	s.runMu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.runMu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop the subscription worker: %w", ctx.Err())
	}
}

// Run delivers until ctx ends: every PollInterval it ends what passed its
// end time, then claims due subscriptions (up to Concurrency at once) and
// works each until it is caught up or its delivery fails. It returns nil
// once ctx has ended and every subscription it held is given back.
func (s *Service) Run(ctx context.Context) error {
	w := &worker{s: s, slots: make(chan struct{}, s.o.Concurrency), busy: map[string]bool{}, wake: make(chan struct{}, 1)}
	defer w.wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-w.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		w.poll(ctx)
		timer.Reset(s.o.PollInterval)
	}
}

// worker is the state of one Run.
type worker struct {
	s     *Service
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	busy  map[string]bool // subscriptions this worker is delivering
	// wake asks for a poll before the interval is up: a slot came free.
	wake chan struct{}
}

func (w *worker) poll(ctx context.Context) {
	s := w.s
	now := s.now()
	if n, err := s.store.EndExpired(ctx, now); err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "end expired subscriptions", "error", err)
		}
	} else if n > 0 {
		s.log.InfoContext(ctx, "subscriptions ended", "count", n)
	}
	ids, err := s.store.Due(ctx, s.o.WorkerID, now, 2*s.o.Concurrency)
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "find due subscriptions", "error", err)
		}
		return
	}
	// Replicas see the same due list; starting at different places spreads
	// the claims instead of racing for the first row.
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids {
		w.mu.Lock()
		busy := w.busy[id]
		w.mu.Unlock()
		if busy {
			continue
		}
		select {
		case w.slots <- struct{}{}:
		default:
			return // every slot is delivering; the rest wait for the next poll
		}
		now := s.now()
		held, err := s.store.Claim(ctx, id, s.o.WorkerID, now, now.Add(s.o.LeaseDuration))
		if err != nil || !held {
			<-w.slots
			if err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "claim subscription", "subscription", id, "error", err)
			}
			continue
		}
		w.mu.Lock()
		w.busy[id] = true
		w.mu.Unlock()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() {
				w.mu.Lock()
				delete(w.busy, id)
				w.mu.Unlock()
				<-w.slots
				select {
				case w.wake <- struct{}{}:
				default:
				}
			}()
			s.work(ctx, id)
			// Give the lease back at once, stopping included, so that
			// another replica need not wait for it to run out. The
			// subscription just looked at goes to the back of the queue
			// for a poll interval, so that every subscription gets its
			// turn however many there are; stopping leaves it due, for
			// the replica taking over.
			var nextLook time.Time
			if ctx.Err() == nil {
				nextLook = s.now().Add(s.o.PollInterval)
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			defer cancel()
			if err := s.store.Release(rctx, id, s.o.WorkerID, nextLook); err != nil {
				s.log.WarnContext(ctx, "release subscription lease", "subscription", id, "error", err)
			}
		}()
	}
}

// work delivers one claimed subscription's changes in order until it is
// caught up, a delivery fails, or the lease is lost.
func (s *Service) work(ctx context.Context, id string) {
	for ctx.Err() == nil {
		sub, err := s.store.Get(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "load subscription", "subscription", id, "error", err)
			}
			return
		}
		now := s.now()
		if sub.State != StateActive || sub.ended(now) || now.Before(sub.NextAttemptTime) {
			return
		}
		fctx, cancel := context.WithTimeout(ctx, s.o.DeliveryTimeout)
		changes, err := s.o.Feed.Changes(fctx, sub.Reader(), sub.Registry, sub.DeliveredSequence, batchSize)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				// The registry is down or refuses the department: nothing
				// to deliver is lost, the next poll reads again.
				s.log.WarnContext(ctx, "read change feed", "subscription", id, "registry", sub.Registry, "department", sub.Department, "error", err)
			}
			return
		}
		if len(changes) == 0 || !s.deliverBatch(ctx, sub, changes) {
			return
		}
		now = s.now()
		if held, err := s.store.Claim(ctx, id, s.o.WorkerID, now, now.Add(s.o.LeaseDuration)); err != nil || !held {
			return
		}
	}
}

// deliverBatch delivers the changes for sub in order and moves the cursor
// over the others. It reports whether the whole batch was handled.
func (s *Service) deliverBatch(ctx context.Context, sub *Subscription, changes []Change) bool {
	var records map[string]bool
	if len(sub.Records) > 0 {
		records = make(map[string]bool, len(sub.Records))
		for _, r := range sub.Records {
			records[r] = true
		}
	}
	committed, handled := sub.DeliveredSequence, sub.DeliveredSequence
	for _, c := range changes {
		if c.Sequence <= handled {
			continue // a feed returns only later changes; never go back
		}
		if !matches(records, c.Names) {
			handled = c.Sequence
			continue
		}
		if !s.deliver(ctx, sub, c, records) {
			return false
		}
		committed, handled = c.Sequence, c.Sequence
	}
	if handled > committed {
		if err := s.store.Advance(ctx, sub.ID, s.o.WorkerID, handled); err != nil {
			if !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "advance subscription cursor", "subscription", sub.ID, "error", err)
			}
			return false
		}
	}
	return true
}

// matches reports whether a change is for a subscription following
// records (every change when records is nil).
func matches(records map[string]bool, names []string) bool {
	if records == nil {
		return true
	}
	for _, n := range names {
		if records[n] {
			return true
		}
	}
	return false
}

// deliver makes one attempt to deliver c and records how it went. It
// reports whether c was delivered.
func (s *Service) deliver(ctx context.Context, sub *Subscription, c Change, records map[string]bool) bool {
	now := s.now()
	cur, d, err := s.store.BeginAttempt(ctx, sub.ID, s.o.WorkerID, c.Sequence, now, now.Add(s.o.LeaseDuration))
	if err != nil {
		if !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "begin delivery", "subscription", sub.ID, "sequence", c.Sequence, "error", err)
		}
		return false
	}
	a := Attempt{Sequence: c.Sequence, Started: now}
	secret, err := s.sealer.open(cur.ID, cur.SealedSecret)
	if err != nil {
		a.Error = err.Error()
		return s.park(ctx, cur, a, "its secret cannot be unsealed with this service's key: rotate the secret, then resume")
	}
	body, err := json.Marshal(webhook.Event{Subscription: ResourceName(cur.ID), Registry: cur.Registry, Sequence: c.Sequence, Event: c.Body})
	if err != nil {
		a.Error = "the registry's event is not valid JSON"
		return s.park(ctx, cur, a, "the registry's event is not valid JSON")
	}
	a.StatusCode, a.Error = s.post(ctx, cur.CallbackURI, webhook.DeliveryID(cur.ID, c.Sequence), secret, body, now)
	if ctx.Err() != nil {
		// Stopping is not the receiver's failure: record nothing; the
		// delivery is attempted again with the same id.
		return false
	}
	a.Finished = s.now()
	if a.Error == "" {
		a.Outcome = DeliveryDelivered
		a.Records = followed(records, c.Names)
		if err := s.store.RecordAttempt(ctx, cur.ID, s.o.WorkerID, a); err != nil {
			if !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "record delivery", "subscription", cur.ID, "sequence", c.Sequence, "error", err)
			}
			return false
		}
		for _, n := range a.Records {
			records[n] = true
		}
		return true
	}
	attempts := d.Attempts + 1
	if attempts >= s.o.MaxAttempts {
		return s.park(ctx, cur, a, fmt.Sprintf("failed %d times", attempts))
	}
	a.Outcome, a.NextAttempt = DeliveryFailed, a.Finished.Add(s.backoff(attempts))
	if err := s.store.RecordAttempt(ctx, cur.ID, s.o.WorkerID, a); err != nil && !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "record failed delivery", "subscription", cur.ID, "sequence", c.Sequence, "error", err)
	}
	return false
}

// park stops a subscription's deliveries on a's delivery until the
// department resumes it.
func (s *Service) park(ctx context.Context, sub *Subscription, a Attempt, why string) bool {
	if a.Finished.IsZero() {
		a.Finished = s.now()
	}
	a.Outcome = DeliveryParked
	a.ParkedReason = fmt.Sprintf("delivery of sequence %d %s; last error: %s", a.Sequence, why, a.Error)
	if err := s.store.RecordAttempt(ctx, sub.ID, s.o.WorkerID, a); err != nil {
		if !errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "park subscription", "subscription", sub.ID, "error", err)
		}
		return false
	}
	s.log.WarnContext(ctx, "subscription parked", "subscription", sub.ID, "department", sub.Department, "sequence", a.Sequence, "reason", a.ParkedReason)
	return false
}

// followed returns the records after a delivered change: a change naming
// a followed record under another name too (a rename) adds that name, so
// that the subscription keeps following the record. Nil when nothing is
// added.
func followed(records map[string]bool, names []string) []string {
	if records == nil {
		return nil
	}
	var added []string
	for _, n := range names {
		if n != "" && !records[n] {
			added = append(added, n)
		}
	}
	if len(added) == 0 || len(records)+len(added) > MaxRecords {
		return nil
	}
	out := make([]string, 0, len(records)+len(added))
	for r := range records {
		out = append(out, r)
	}
	slices.Sort(out)
	return append(out, added...)
}

// post sends one signed delivery. It returns the answer's status code (0
// without an answer) and, when it failed, a short reason that never
// echoes the answer's body nor the callback's query string.
func (s *Service) post(ctx context.Context, uri, deliveryID string, secret, body []byte, at time.Time) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, s.o.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		return 0, "the callback URI cannot be requested"
	}
	webhook.SetHeaders(req.Header, secret, deliveryID, at, body)
	req.Header.Set("User-Agent", "zhbase-exchange")
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, describe(err, s.o.DeliveryTimeout)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return code, ""
	case code >= 300 && code < 400:
		return code, fmt.Sprintf("HTTP %d %s: redirects are not followed; register the final address", code, http.StatusText(code))
	}
	return code, fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
}

// describe words a failed request without its URL, which may carry a
// token in its query.
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	msg := err.Error()
	if len(msg) > maxErrorLen {
		msg = strings.ToValidUTF8(msg[:maxErrorLen], "")
	}
	return msg
}

// backoff is the wait after the n-th failed attempt: BackoffBase doubled
// per earlier failure, at most BackoffCap, of which a random half is
// dropped so that subscriptions failing together do not retry together.
func (s *Service) backoff(n int) time.Duration {
	d := s.o.BackoffBase
	for i := 1; i < n && d < s.o.BackoffCap; i++ {
		d *= 2
	}
	d = min(d, s.o.BackoffCap)
	return d/2 + rand.N(d/2+1)
}
