package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Defaults and limits of a Log.
const (
	DefaultAnchorInterval = 10 * time.Second
	// MinRetention is how long records are kept at least, and by default.
	MinRetention = 180 * 24 * time.Hour

	// maxBatch bounds one group commit: large enough that a burst of calls
	// shares a transaction, small enough that one commit stays short.
	maxBatch      = 512
	queueLen      = 4 * maxBatch
	commitTimeout = 30 * time.Second
	anchorTimeout = 5 * time.Second
	pruneInterval = time.Hour
	pruneBatch    = 1000
)

// ErrClosed is returned by Append after Close.
var ErrClosed = fmt.Errorf("audit log is closed: %w", errs.ErrUnavailable)

// Options configure a Log.
type Options struct {
	// Chain names this process's chain; required, and unique among the
	// processes writing the same database (two writers of one chain would
	// collide on seq and fail). Keep it across restarts, e.g.
	// "legalentity@10.0.0.11:9090", so that the chain continues.
	Chain string
	// Anchor witnesses the chain's head; nil leaves the chain unanchored.
	Anchor Anchorer
	// AnchorInterval is the longest time new records stay unanchored;
	// DefaultAnchorInterval when zero.
	AnchorInterval time.Duration
	// Retention is how long records are kept; MinRetention when zero, and
	// never less.
	Retention time.Duration
	Logger    *slog.Logger

	// now is the clock; tests turn it back to write old records.
	now func() time.Time
}

// Log appends records to one chain. Appends from many goroutines are
// committed together (group commit): one writer goroutine numbers and hashes
// everything queued, stores it in one transaction and then wakes every
// caller, so the cost of a durable commit is shared by the whole burst.
type Log struct {
	store Store
	opts  Options
	log   *slog.Logger
	now   func() time.Time

	// mu guards closed against Append sending on a closed queue.
	mu     sync.RWMutex
	closed bool
	queue  chan *pending

	// headMu guards head and anchored, which the anchor loop reads.
	headMu   sync.Mutex
	head     Head
	anchored int64
	// headStale is set when a commit failed and the head may not be what
	// the store holds; only the writer goroutine touches it.
	headStale bool

	writerDone chan struct{}
	stop       chan struct{}
	bg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

type pending struct {
	rec  Record
	done chan error
}

// Open continues the chain opts.Chain from its last stored record (or
// starts it) and starts the writer, the anchoring and the hourly pruning.
// It refuses to continue a chain whose anchor vouches for records the store
// no longer holds, or holds with another hash: continuing would bury the
// evidence under new records.
func Open(ctx context.Context, st Store, opts Options) (*Log, error) {
	var v errs.Violations
	v.Check("chain", CheckChain(opts.Chain))
	switch {
	case opts.AnchorInterval < 0:
		v.Add("anchor_interval", "must not be negative, got %s", opts.AnchorInterval)
	case opts.AnchorInterval == 0:
		opts.AnchorInterval = DefaultAnchorInterval
	}
	switch {
	case opts.Retention == 0:
		opts.Retention = MinRetention
	case opts.Retention < MinRetention:
		v.Add("retention", "must be at least %s (180 days), got %s", MinRetention, opts.Retention)
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	l := &Log{
		store: st, opts: opts, log: opts.Logger, now: opts.now,
		queue: make(chan *pending, queueLen), writerDone: make(chan struct{}), stop: make(chan struct{}),
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	head, err := st.OpenChain(ctx, opts.Chain, l.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("open audit chain %s: %w", opts.Chain, err)
	}
	l.head = head
	if opts.Anchor != nil {
		a, ok, err := opts.Anchor.Get(ctx, opts.Chain)
		if err != nil {
			return nil, fmt.Errorf("read the anchor of audit chain %s: %w", opts.Chain, err)
		}
		if ok {
			if err := checkHeadAgainstAnchor(ctx, st, opts.Chain, head, a); err != nil {
				return nil, err
			}
			l.anchored = a.Seq
		}
	}
	go l.write()
	l.bg.Add(2)
	go l.anchorLoop()
	go l.pruneLoop()
	return l, nil
}

func checkHeadAgainstAnchor(ctx context.Context, st Store, chain string, head Head, a Anchor) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("audit chain %s: %s; run `zhbase audit verify` and continue under a new chain name: %w",
			chain, fmt.Sprintf(format, args...), errs.ErrFailedPrecondition)
	}
	switch {
	case a.Seq > head.Seq:
		return refuse("the store ends at seq %d but the anchor vouches for seq %d: records were removed", head.Seq, a.Seq)
	case a.Seq == head.Seq:
		if a.Hash != head.Hash {
			return refuse("seq %d has hash %s but the anchor says %s: the chain was rewritten", a.Seq, head.Hash, a.Hash)
		}
	default:
		recs, err := st.Scan(ctx, chain, a.Seq-1, 1)
		if err != nil {
			return fmt.Errorf("read audit chain %s at its anchor: %w", chain, err)
		}
		if len(recs) == 1 && recs[0].Seq == a.Seq && recs[0].Hash != a.Hash {
			return refuse("seq %d has hash %s but the anchor says %s: the chain was rewritten", a.Seq, recs[0].Hash, a.Hash)
		}
	}
	return nil
}

// Chain is the name of the chain the Log appends to.
func (l *Log) Chain() string { return l.opts.Chain }

// Head returns the last committed record's seq, hash and time.
func (l *Log) Head() Head {
	l.headMu.Lock()
	defer l.headMu.Unlock()
	return l.head
}

// Append records r and returns once it is durably committed, or with the
// reason it is not: a registry must not answer a call it could not audit.
// The Log assigns ID, Chain, Seq, Time, PrevHash and Hash.
func (l *Log) Append(ctx context.Context, r Record) error {
	if err := r.prepare(); err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	p := &pending{rec: r, done: make(chan error, 1)}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.queue <- p:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return fmt.Errorf("queue audit record: %w", ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The record may still be committed: evidence of a call that was
		// then refused for lack of time does no harm.
		return fmt.Errorf("wait for audit record to commit: %w", ctx.Err())
	}
}

// write is the one writer goroutine: it takes whatever is queued, up to
// maxBatch, commits it as one transaction and reports to every caller.
func (l *Log) write() {
	defer close(l.writerDone)
	batch := make([]*pending, 0, maxBatch)
	for p := range l.queue {
		batch = append(batch[:0], p)
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-l.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		err := l.commit(batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

func (l *Log) commit(batch []*pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	chain := l.opts.Chain
	if l.headStale {
		h, err := l.store.Head(ctx, chain)
		if err != nil {
			return fmt.Errorf("reload the head of audit chain %s: %w", chain, errors.Join(errs.ErrUnavailable, err))
		}
		l.setHead(h)
		l.headStale = false
	}
	prev := l.Head()
	recs := make([]Record, len(batch))
	for i, p := range batch {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("audit record id: %w", errors.Join(errs.ErrUnavailable, err))
		}
		r := p.rec
		r.ID, r.Chain, r.Seq, r.PrevHash = id.String(), chain, prev.Seq+1, prev.Hash
		if prev.Seq == 0 && prev.Hash == "" {
			r.PrevHash = ZeroHash
		}
		r.Time = l.now().UTC().Truncate(time.Microsecond)
		if r.Time.Before(prev.Time) {
			r.Time = prev.Time
		}
		r.Hash = r.ComputeHash()
		recs[i] = r
		prev = Head{Seq: r.Seq, Hash: r.Hash, Time: r.Time}
	}
	if err := l.store.Append(ctx, recs); err != nil {
		// The commit may have happened all the same (a lost connection
		// during COMMIT); the next batch starts from what the store holds.
		l.headStale = true
		return fmt.Errorf("store %d audit records of chain %s: %w", len(recs), chain, errors.Join(errs.ErrUnavailable, err))
	}
	l.setHead(prev)
	return nil
}

func (l *Log) setHead(h Head) {
	l.headMu.Lock()
	l.head = h
	l.headMu.Unlock()
}

func (l *Log) anchorLoop() {
	defer l.bg.Done()
	if l.opts.Anchor == nil {
		return
	}
	t := time.NewTicker(l.opts.AnchorInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), anchorTimeout)
			if err := l.Anchor(ctx); err != nil {
				l.log.Warn("audit anchor not updated", "chain", l.opts.Chain, "error", err.Error())
			}
			cancel()
		}
	}
}

// Anchor puts the chain's head to the anchorer now, if it moved since the
// last anchor. The Log does this every AnchorInterval and on Close.
func (l *Log) Anchor(ctx context.Context) error {
	if l.opts.Anchor == nil {
		return nil
	}
	l.headMu.Lock()
	h, last := l.head, l.anchored
	l.headMu.Unlock()
	if h.Seq <= last {
		return nil
	}
	if err := l.opts.Anchor.Put(ctx, l.opts.Chain, Anchor{Seq: h.Seq, Hash: h.Hash, Time: l.now().UTC()}); err != nil {
		return fmt.Errorf("anchor audit chain %s at seq %d: %w", l.opts.Chain, h.Seq, err)
	}
	l.headMu.Lock()
	l.anchored = max(l.anchored, h.Seq)
	l.headMu.Unlock()
	return nil
}

func (l *Log) pruneLoop() {
	defer l.bg.Done()
	// A first pass soon after start: a process restarted more often than
	// hourly would otherwise never prune.
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), pruneInterval/2)
			if n, err := l.Prune(ctx, l.now()); err != nil {
				l.log.Error("audit log not pruned", "error", err.Error())
			} else if n > 0 {
				l.log.Info("audit log pruned", "records", n, "retention", l.opts.Retention.String())
			}
			cancel()
			t.Reset(pruneInterval)
		}
	}
}

// Prune removes, chain by chain, the records stored before now minus the
// retention period, oldest first, and keeps the last removed record's seq
// and hash as the chain's checkpoint in the same transaction. It stops
// before the first record that is within retention or does not verify, so
// that it never erases evidence of tampering. It returns how many records
// it removed.
func (l *Log) Prune(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.Add(-l.opts.Retention)
	chains, err := l.store.Chains(ctx)
	if err != nil {
		return 0, fmt.Errorf("list audit chains: %w", err)
	}
	var total int64
	for _, c := range chains {
		n, err := l.pruneChain(ctx, c, cutoff)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (l *Log) pruneChain(ctx context.Context, c Chain, cutoff time.Time) (int64, error) {
	cp, refreshed := c.Checkpoint, false
	var total int64
	for {
		recs, err := l.store.Scan(ctx, c.Name, cp.Seq, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("read audit chain %s to prune: %w", c.Name, err)
		}
		if len(recs) > 0 && recs[0].Seq != cp.Seq+1 && !refreshed {
			// Another replica may have pruned since the chains were listed.
			if cp, err = currentCheckpoint(ctx, l.store, c); err != nil {
				return total, err
			}
			refreshed = true
			continue
		}
		var last *Record
		done := len(recs) < pruneBatch
		prev, want := cp.Hash, cp.Seq+1
		for i := range recs {
			r := &recs[i]
			if !r.Time.Before(cutoff) {
				done = true
				break
			}
			if r.Seq != want || r.PrevHash != prev || r.ComputeHash() != r.Hash {
				l.log.Error("audit chain does not verify; pruning stops before the record", "chain", c.Name, "seq", r.Seq)
				done = true
				break
			}
			last, prev, want = r, r.Hash, r.Seq+1
		}
		if last == nil {
			return total, nil
		}
		next := Checkpoint{Seq: last.Seq, Hash: last.Hash, Time: last.Time}
		if err := l.store.Prune(ctx, c.Name, next); err != nil {
			return total, fmt.Errorf("prune audit chain %s up to seq %d: %w", c.Name, next.Seq, err)
		}
		total += next.Seq - cp.Seq
		cp = next
		if done {
			return total, nil
		}
	}
}

// Close stops taking records, commits everything queued, stops the
// background work and anchors the final head. It returns the anchoring
// error, if any; calling it again returns the same.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.queue)
		l.mu.Unlock()
		<-l.writerDone
		close(l.stop)
		l.bg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), anchorTimeout)
		defer cancel()
		l.closeErr = l.Anchor(ctx)
	})
	return l.closeErr
}
