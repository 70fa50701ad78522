package temporal

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
)

// OpenEnd is the stored end of a period that has not ended. SQL that selects
// current rows compares with it as a literal, so that partial indexes
// (`WHERE known_to = '...' AND valid_to = '...'`) apply.
const OpenEnd = "9999-12-31T23:59:59.999999Z"

// openSeq is seq_to of a row not yet superseded.
const openSeq int64 = math.MaxInt64

// Current selects the rows valid now as known now: the last effect period
// of current knowledge (effect time never lies in the future).
const Current = "known_to = '" + OpenEnd + "' AND valid_to = '" + OpenEnd + "'"

// Action and the actions are history's, repeated here for brevity.
type Action = history.Action

const (
	Created   = history.Created
	Updated   = history.Updated
	Corrected = history.Corrected
	Retired   = history.Retired
	Renamed   = history.Renamed
)

// Point is a moment in effect and record time.
type Point = history.Point

// Version is one row of a record's history.
type Version struct {
	Key string
	history.Info
	Deleted bool
	Doc     []byte

	maxVersion int64 // highest version number of the key, set on reads for writing
}

// Change is one event of the feed.
type Change struct {
	Sequence   int64
	Collection string
	Key        string
	Action     Action
	// Version, ValidFrom and ValidTo describe the version the change wrote.
	Version            int64
	ValidFrom, ValidTo time.Time
	// KnownAt is the record time of the change.
	KnownAt time.Time
	// Deleted and Doc are the record's current state after the change, so
	// that a replica can apply events without knowing history.
	Deleted bool
	Doc     []byte
}

//go:embed migrations
var migrations embed.FS

// Feed is the change feed of one registry database, shared by every
// temporal table in it.
type Feed struct {
	db *store.DB
	// PollInterval bounds how late Watch sees writes made by other
	// processes sharing the database (its own are signalled at once).
	PollInterval time.Duration
	mu           sync.Mutex
	wake         chan struct{}
}

// OpenFeed migrates the feed's tables and returns the feed.
func OpenFeed(ctx context.Context, db *store.DB) (*Feed, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, "temporal", sub); err != nil {
		return nil, err
	}
	return &Feed{db: db, PollInterval: 250 * time.Millisecond, wake: make(chan struct{})}, nil
}

// DB is the feed's database.
func (f *Feed) DB() *store.DB { return f.db }

func (f *Feed) notify() {
	f.mu.Lock()
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

func (f *Feed) waiter() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wake
}

// next takes the next sequence number. It must be the first write of a
// transaction: on PostgreSQL the row lock it takes orders all writers, so
// that sequence order is commit order and the feed has no gaps.
func (f *Feed) next(ctx context.Context, tx *store.Tx) (int64, error) { return f.take(ctx, tx, 1) }

// take takes n consecutive sequence numbers and returns the first, under
// the same rule as next.
func (f *Feed) take(ctx context.Context, tx *store.Tx, n int) (int64, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE feed_head SET last_sequence = last_sequence + ? WHERE id = 1`, n); err != nil {
		return 0, fmt.Errorf("take %d sequences: %w", n, err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT last_sequence FROM feed_head WHERE id = 1`).Scan(&last); err != nil {
		return 0, fmt.Errorf("read sequence: %w", err)
	}
	return last - int64(n) + 1, nil
}

// Head is the last committed sequence.
func (f *Feed) Head(ctx context.Context) (int64, error) {
	var n int64
	if err := f.db.QueryRowContext(ctx, `SELECT last_sequence FROM feed_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read feed head: %w", err)
	}
	return n, nil
}

const changeColumns = `sequence, collection, record_key, action, version, valid_from, valid_to, known_at, deleted, doc`

// Changes returns up to max changes after the given sequence, in order.
// upTo, when positive, is the last sequence to include.
func (f *Feed) Changes(ctx context.Context, after, upTo int64, max int) ([]Change, error) {
	if upTo <= 0 {
		upTo = openSeq
	}
	rows, err := f.db.QueryContext(ctx, `SELECT `+changeColumns+` FROM changes
		WHERE sequence > ? AND sequence <= ? ORDER BY sequence LIMIT ?`, after, upTo, max)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	return scanChanges(rows)
}

// Delta returns, for every record changed after `after` up to `upTo`, its
// last change in that range: the net difference between the two states.
func (f *Feed) Delta(ctx context.Context, after, upTo int64, fn func(Change) error) error {
	rows, err := f.db.QueryContext(ctx, `SELECT `+prefixed("c.", changeColumns)+` FROM changes c JOIN (
			SELECT collection, record_key, MAX(sequence) AS last FROM changes
			WHERE sequence > ? AND sequence <= ? GROUP BY collection, record_key
		) x ON c.sequence = x.last ORDER BY c.sequence`, after, upTo)
	if err != nil {
		return fmt.Errorf("read delta: %w", err)
	}
	cs, err := scanChanges(rows)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// Watch sends every change after `after` in batches of at most batch,
// then follows the feed live until ctx ends or send fails.
func (f *Feed) Watch(ctx context.Context, after int64, batch int, send func([]Change) error) error {
	for {
		wake := f.waiter()
		cs, err := f.Changes(ctx, after, 0, batch)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			if err := send(cs); err != nil {
				return err
			}
			after = cs[len(cs)-1].Sequence
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(f.PollInterval):
		}
	}
}

func scanChanges(rows *sql.Rows) ([]Change, error) {
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var action, vf, vt, ka, doc string
		var deleted int64
		if err := rows.Scan(&c.Sequence, &c.Collection, &c.Key, &action, &c.Version, &vf, &vt, &ka, &deleted, &doc); err != nil {
			return nil, fmt.Errorf("scan change: %w", err)
		}
		c.Action, c.Deleted, c.Doc = Action(action), deleted != 0, []byte(doc)
		var err error
		if c.ValidFrom, err = parseTime(vf); err == nil {
			if c.ValidTo, err = parseTime(vt); err == nil {
				c.KnownAt, err = parseTime(ka)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// formatTime stores t; the zero time is the open end.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return OpenEnd
	}
	return store.FormatTime(t)
}

func parseTime(s string) (time.Time, error) {
	if s == OpenEnd {
		return time.Time{}, nil
	}
	return store.ParseTime(s)
}

// errNotFound reports a missing record, naming it.
func errNotFound(collection, key string) error {
	return errs.NotFound(collection + "/" + key)
}
