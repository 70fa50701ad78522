package temporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
)

// Table describes a registry's temporal table.
type Table struct {
	// Name is the SQL table; Collection the API's collection name
	// (legalEntities), used in events and errors.
	Name, Collection string
	// Key is the column holding the record's identifier.
	Key string
	// Columns are the registry's own columns, filled from each version's
	// document by Values, in this order.
	Columns []string
	Values  func(doc []byte) ([]any, error)
	// AfterWrite, when set, runs inside every writing transaction with the
	// record's current version, to keep the registry's side tables in step.
	AfterWrite func(ctx context.Context, tx *store.Tx, cur *Version) error

	// Search (optional): Terms returns the texts to index per field name
	// (e.g. "name": the current name, "former": former names). The table
	// then has a column `terms_key TEXT NOT NULL` naming each version's set
	// of texts, and TermsTable (term TEXT, <Key> TEXT, terms_key TEXT, field
	// TEXT, PRIMARY KEY (term, <Key>, terms_key, field), with an index on
	// (<Key>, terms_key)) holds the terms of every set a record has had.
	// NameColumn is a column holding the main name normalised by
	// textsearch.Normalize, for ranking.
	Terms      func(doc []byte) (map[string][]string, error)
	TermsTable string
	NameColumn string
}

// Store reads and writes one temporal table.
type Store struct {
	feed *Feed
	db   *store.DB
	t    Table
	// Now is the clock of record time; tests may replace it.
	Now func() time.Time
}

// NewStore returns the store of t in feed's database.
func NewStore(feed *Feed, t Table) *Store {
	return &Store{feed: feed, db: feed.db, t: t, Now: time.Now}
}

// Feed is the feed the store writes to.
func (s *Store) Feed() *Feed { return s.feed }

func (s *Store) columns() string {
	cols := []string{s.t.Key, "version", "valid_from", "valid_to", "known_from", "known_to", "seq_from", "seq_to", "action", "deleted", "doc"}
	return strings.Join(append(cols, s.t.Columns...), ", ")
}

// baseColumns are the columns scanVersion reads.
func (s *Store) baseColumns() string { return s.VersionColumns() }

// VersionColumns lists, for a registry's own SELECT, the columns that
// ScanVersion reads, in its order.
func (s *Store) VersionColumns() string {
	return s.t.Key + ", version, valid_from, valid_to, known_from, known_to, seq_from, action, deleted, doc"
}

// ScanVersion reads a row selected with VersionColumns, followed by any
// extra columns the query added, into extra.
func ScanVersion(row interface{ Scan(...any) error }, extra ...any) (*Version, error) {
	return scanVersion(row, extra...)
}

func scanVersion(row interface{ Scan(...any) error }, extra ...any) (*Version, error) {
	var v Version
	var vf, vt, kf, kt, action, doc string
	var deleted int64
	if err := row.Scan(append([]any{&v.Key, &v.Version, &vf, &vt, &kf, &kt, &v.Sequence, &action, &deleted, &doc}, extra...)...); err != nil {
		return nil, err
	}
	v.Action, v.Deleted, v.Doc = Action(action), deleted != 0, []byte(doc)
	var err error
	for _, p := range []struct {
		dst *time.Time
		src string
	}{{&v.ValidFrom, vf}, {&v.ValidTo, vt}, {&v.KnownFrom, kf}, {&v.KnownTo, kt}} {
		if *p.dst, err = parseTime(p.src); err != nil {
			return nil, fmt.Errorf("version %d of %s: %w", v.Version, v.Key, err)
		}
	}
	return &v, nil
}

// At returns the SQL condition (and its arguments) selecting the rows in
// effect at p.ValidAt as known at p.KnownAt.
func At(p Point) (string, []any) {
	if p.IsNow() {
		return Current, nil
	}
	now := time.Now()
	va, ka := p.ValidAt, p.KnownAt
	if va.IsZero() {
		va = now
	}
	if ka.IsZero() {
		ka = now
	}
	vs, ks := store.FormatTime(va), store.FormatTime(ka)
	return "valid_from <= ? AND ? < valid_to AND known_from <= ? AND ? < known_to", []any{vs, vs, ks, ks}
}

// Get returns the version of key in effect at p. When key was renamed by
// then, it follows the redirect and returns the new record, with the key it
// was asked for as redirectedFrom.
func (s *Store) Get(ctx context.Context, key string, p Point) (v *Version, redirectedFrom string, err error) {
	cur := key
	for hops := 0; hops < 10; hops++ {
		v, err = s.getAt(ctx, s.db, cur, p)
		if err != nil {
			return nil, "", err
		}
		if v.Action != Renamed || !v.Deleted {
			if cur != key {
				redirectedFrom = key
			}
			return v, redirectedFrom, nil
		}
		var next string
		if err := s.db.QueryRowContext(ctx, `SELECT new_key FROM redirects WHERE collection = ? AND old_key = ?`, s.t.Collection, cur).Scan(&next); err != nil {
			return nil, "", fmt.Errorf("follow redirect of %s: %w", cur, err)
		}
		cur = next
	}
	return nil, "", fmt.Errorf("%s/%s: redirects form a chain longer than 10: %w", s.t.Collection, key, errs.ErrFailedPrecondition)
}

func (s *Store) getAt(ctx context.Context, q store.Querier, key string, p Point) (*Version, error) {
	where, args := At(p)
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+s.baseColumns()+` FROM `+s.t.Name+
		` WHERE `+s.t.Key+` = ? AND `+where, append([]any{key}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		if !p.IsNow() {
			var n int
			if q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+s.t.Name+` WHERE `+s.t.Key+` = ?`, key).Scan(&n) == nil && n > 0 {
				return nil, fmt.Errorf("%s/%s has no version %s: %w", s.t.Collection, key, p, errs.ErrNotFound)
			}
		}
		return nil, errNotFound(s.t.Collection, key)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", s.t.Collection, key, err)
	}
	return v, nil
}

// History returns every version of key ever recorded, in record-time then
// effect-time order; errs.ErrNotFound when there is none.
func (s *Store) History(ctx context.Context, key string) ([]*Version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.baseColumns()+` FROM `+s.t.Name+` WHERE `+s.t.Key+` = ?
		ORDER BY known_from, valid_from, version`, key)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", key, err)
	}
	out, err := scanVersions(rows)
	if err == nil && len(out) == 0 {
		err = errNotFound(s.t.Collection, key)
	}
	return out, err
}

// scanVersions reads every row selected with VersionColumns and closes rows.
func scanVersions(rows *sql.Rows) ([]*Version, error) {
	defer rows.Close()
	var out []*Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Snapshot calls fn with every record's current version as known at
// sequence at (the head when at is zero), in key order, and returns the
// sequence it used. Rows written later carry higher sequences, so the export
// is consistent without holding a transaction open.
func (s *Store) Snapshot(ctx context.Context, at int64, fn func(*Version) error) (int64, error) {
	if at <= 0 {
		h, err := s.feed.Head(ctx)
		if err != nil {
			return 0, err
		}
		at = h
	}
	after := ""
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT `+s.baseColumns()+` FROM `+s.t.Name+`
			WHERE seq_from <= ? AND ? < seq_to AND valid_to = '`+OpenEnd+`' AND `+s.t.Key+` > ?
			ORDER BY `+s.t.Key+` LIMIT 1000`, at, at, after)
		if err != nil {
			return 0, fmt.Errorf("snapshot of %s: %w", s.t.Collection, err)
		}
		batch, err := scanVersions(rows)
		if err != nil {
			return 0, err
		}
		for _, v := range batch {
			if err := fn(v); err != nil {
				return 0, err
			}
		}
		if len(batch) < 1000 {
			return at, nil
		}
		after = batch[len(batch)-1].Key
	}
}

// WriteOptions say what kind of write an update is.
type WriteOptions struct {
	// EffectiveFrom is when the change took effect in the world; zero means
	// now. It may not lie in the future, nor before the record's latest
	// change (history is amended by corrections instead).
	EffectiveFrom time.Time
	// Correction replaces what was recorded for the period in effect at
	// EffectiveFrom (the latest period when zero) instead of starting a new
	// period.
	Correction bool
	// Retire ends the record: its new last period is a tombstone.
	Retire bool

	rename bool // the tombstone of a renamed record
}

// Create records a new record. It fails with errs.ErrAlreadyExists when the
// key has any history, retired or renamed ones included.
func (s *Store) Create(ctx context.Context, key string, doc []byte, effectiveFrom time.Time) (*Version, error) {
	var out *Version
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		seq, err := s.feed.next(ctx, tx)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+s.t.Name+` WHERE `+s.t.Key+` = ?`, key).Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", key, err)
		}
		if n > 0 {
			return errs.AlreadyExists(s.t.Collection + "/" + key)
		}
		now := s.now()
		vf, err := effective(effectiveFrom, now, time.Time{})
		if err != nil {
			return err
		}
		v := &Version{Key: key, Info: history.Info{Version: 1, ValidFrom: vf, KnownFrom: now, Action: Created, Sequence: seq}, Doc: doc}
		if err := s.insert(ctx, tx, v); err != nil {
			return err
		}
		out = v
		return s.record(ctx, tx, v, v)
	})
	if err != nil {
		return nil, err
	}
	s.feed.notify()
	return out, nil
}

// Update writes a new version of key. change receives the version the
// write amends (the latest, or for a correction the one in effect at
// EffectiveFrom) and returns the new document; an error from it aborts the
// write. It returns the record's current version afterwards.
func (s *Store) Update(ctx context.Context, key string, o WriteOptions, change func(*Version) ([]byte, error)) (*Version, error) {
	var out *Version
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		seq, err := s.feed.next(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := s.write(ctx, tx, key, seq, o, change)
		out = cur
		return err
	})
	if err != nil {
		return nil, err
	}
	s.feed.notify()
	return out, nil
}

// write is Update inside a transaction, with its sequence taken.
func (s *Store) write(ctx context.Context, tx *store.Tx, key string, seq int64, o WriteOptions, change func(*Version) ([]byte, error)) (*Version, error) {
	periods, err := s.currentKnowledge(ctx, tx, key)
	if err != nil {
		return nil, err
	}
	last := periods[len(periods)-1]
	now := s.now()
	for _, p := range periods {
		if !now.After(p.KnownFrom) {
			now = p.KnownFrom.Add(time.Microsecond)
		}
	}
	target := last
	correction := o.Correction
	var vf time.Time
	if correction {
		if !o.EffectiveFrom.IsZero() {
			if target = periodAt(periods, o.EffectiveFrom); target == nil {
				return nil, errs.Field("effective_time", "no version of %s/%s was in effect at %s", s.t.Collection, key, o.EffectiveFrom.Format(time.RFC3339))
			}
		}
		vf = target.ValidFrom
	} else {
		if last.Deleted {
			return nil, fmt.Errorf("%s/%s is retired; it can only be corrected: %w", s.t.Collection, key, errs.ErrFailedPrecondition)
		}
		if vf, err = effective(o.EffectiveFrom, now, last.ValidFrom); err != nil {
			return nil, err
		}
		// The same effect time as the latest period amends that period.
		correction = vf.Equal(last.ValidFrom)
	}
	doc, err := change(target)
	if err != nil {
		return nil, err
	}
	if err := s.close(ctx, tx, target, now, seq); err != nil {
		return nil, err
	}
	next := maxVersion(periods) + 1
	action := Updated
	switch {
	case o.rename:
		action = Renamed
	case o.Retire:
		action = Retired
	case correction:
		action = Corrected
	}
	written := &Version{Key: key, Info: history.Info{ValidFrom: vf, ValidTo: target.ValidTo, KnownFrom: now, Action: action, Sequence: seq},
		Doc: doc, Deleted: o.Retire || o.rename || (correction && target.Deleted)}
	if !correction {
		// The old period is restated as ending where the new one starts.
		restated := *target
		restated.Version, restated.ValidTo, restated.KnownFrom, restated.KnownTo, restated.Sequence = next, vf, now, time.Time{}, seq
		if err := s.insert(ctx, tx, &restated); err != nil {
			return nil, err
		}
		next++
	}
	written.Version = next
	if err := s.insert(ctx, tx, written); err != nil {
		return nil, err
	}
	current := written
	if !written.ValidTo.IsZero() {
		// A correction of a past period leaves the current state as it was.
		current = last
	}
	return current, s.record(ctx, tx, written, current)
}

// Rename moves a record to a new key from effectiveFrom (now when zero):
// the old key's last period becomes a tombstone that redirects to the new
// key, whose history starts there. newDoc receives the current version and
// returns the document under the new key. It returns the new record.
func (s *Store) Rename(ctx context.Context, oldKey, newKey string, effectiveFrom time.Time, newDoc func(*Version) ([]byte, error)) (*Version, error) {
	var out *Version
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		seq, err := s.feed.next(ctx, tx)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+s.t.Name+` WHERE `+s.t.Key+` = ?`, newKey).Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", newKey, err)
		}
		if n > 0 {
			return errs.AlreadyExists(s.t.Collection + "/" + newKey)
		}
		var doc []byte
		old, err := s.write(ctx, tx, oldKey, seq, WriteOptions{EffectiveFrom: effectiveFrom, rename: true}, func(cur *Version) ([]byte, error) {
			d, err := newDoc(cur)
			doc = d
			return cur.Doc, err
		})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO redirects (collection, old_key, new_key, sequence, valid_from) VALUES (?, ?, ?, ?, ?)`,
			s.t.Collection, oldKey, newKey, seq, store.FormatTime(old.ValidFrom)); err != nil {
			return fmt.Errorf("record redirect %s → %s: %w", oldKey, newKey, err)
		}
		seq2, err := s.feed.next(ctx, tx)
		if err != nil {
			return err
		}
		v := &Version{Key: newKey, Info: history.Info{Version: 1, ValidFrom: old.ValidFrom, KnownFrom: old.KnownFrom, Action: Renamed, Sequence: seq2}, Doc: doc}
		if err := s.insert(ctx, tx, v); err != nil {
			return err
		}
		out = v
		return s.record(ctx, tx, v, v)
	})
	if err != nil {
		return nil, err
	}
	s.feed.notify()
	return out, nil
}

// currentKnowledge returns the periods of key as known now, oldest first.
func (s *Store) currentKnowledge(ctx context.Context, tx *store.Tx, key string) ([]*Version, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+s.baseColumns()+` FROM `+s.t.Name+` WHERE `+s.t.Key+` = ? AND known_to = '`+OpenEnd+`'
		ORDER BY valid_from`, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errNotFound(s.t.Collection, key)
	}
	// Versions of superseded rows count too when numbering new ones.
	var max int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM `+s.t.Name+` WHERE `+s.t.Key+` = ?`, key).Scan(&max); err != nil {
		return nil, err
	}
	out[0].maxVersion = max
	return out, nil
}

func maxVersion(periods []*Version) int64 { return periods[0].maxVersion }

func periodAt(periods []*Version, t time.Time) *Version {
	for _, p := range periods {
		if !t.Before(p.ValidFrom) && (p.ValidTo.IsZero() || t.Before(p.ValidTo)) {
			return p
		}
	}
	return nil
}

// effective checks an effect time: not in the future, not before notBefore.
func effective(t, now, notBefore time.Time) (time.Time, error) {
	if t.IsZero() {
		t = now
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.After(now) {
		return time.Time{}, errs.Field("effective_time", "%s is in the future", t.Format(time.RFC3339))
	}
	if t.Before(notBefore) {
		return time.Time{}, errs.Field("effective_time", "%s is before the latest change (%s); amend history with a correction instead",
			t.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
	return t, nil
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func (s *Store) close(ctx context.Context, tx *store.Tx, v *Version, at time.Time, seq int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE `+s.t.Name+` SET known_to = ?, seq_to = ? WHERE `+s.t.Key+` = ? AND version = ?`,
		store.FormatTime(at), seq, v.Key, v.Version)
	if err != nil {
		return fmt.Errorf("supersede version %d of %s: %w", v.Version, v.Key, err)
	}
	return nil
}

func (s *Store) insert(ctx context.Context, tx *store.Tx, v *Version) error {
	vals, err := s.t.Values(v.Doc)
	if err != nil {
		return fmt.Errorf("index columns of %s: %w", v.Key, err)
	}
	args := []any{v.Key, v.Version, formatTime(v.ValidFrom), formatTime(v.ValidTo), formatTime(v.KnownFrom), formatTime(v.KnownTo),
		v.Sequence, openSeq, string(v.Action), boolInt(v.Deleted), string(v.Doc)}
	args = append(args, vals...)
	cols := s.columns()
	var fields map[string][]string
	var termsKey string
	if s.t.Terms != nil {
		if fields, termsKey, err = s.termsOf(v.Doc); err != nil {
			return fmt.Errorf("search terms of %s: %w", v.Key, err)
		}
		cols += ", terms_key"
		args = append(args, termsKey)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+s.t.Name+` (`+cols+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("insert version %d of %s: %w", v.Version, v.Key, err)
	}
	if s.t.Terms != nil {
		return s.writeTerms(ctx, tx, v.Key, termsKey, fields)
	}
	return nil
}

// record appends the change event for written and runs AfterWrite.
func (s *Store) record(ctx context.Context, tx *store.Tx, written, current *Version) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (`+changeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		written.Sequence, s.t.Collection, written.Key, string(written.Action), written.Version,
		formatTime(written.ValidFrom), formatTime(written.ValidTo), formatTime(written.KnownFrom),
		boolInt(current.Deleted), string(current.Doc))
	if err != nil {
		return fmt.Errorf("record change %d: %w", written.Sequence, err)
	}
	if s.t.AfterWrite != nil {
		return s.t.AfterWrite(ctx, tx, current)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
