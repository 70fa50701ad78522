package sqlstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
)

// openSeq is seq_to of a row not yet superseded, as services/kit/temporal
// writes it.
const openSeq int64 = math.MaxInt64

// versionColumns are the temporal columns of every version row, followed
// by the registry's own.
var versionColumns = "id, version, valid_from, valid_to, known_from, known_to, seq_from, seq_to, action, deleted, doc, " +
	strings.Join(columns, ", ") + ", terms_key"

// termsKey names a set of search texts exactly as temporal.Store does
// (termsOf), so that versions written here and there share their terms.
func termsKey(fields map[string][]string) string {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, f := range names {
		for _, text := range fields[f] {
			fmt.Fprintf(h, "%s\x00%s\x00", f, text)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// CreateMany records new buildings in one transaction, all or none: the
// bulk-load path. It writes exactly what temporal.Store.Create writes for
// each building — version 1 in effect from its EffectiveFrom and known from
// now, a CREATED change under its own gap-free sequence number taken first
// in the transaction, its search terms — and indexes their owners and
// footprints, but with multi-row statements and one commit for the batch,
// which on SQLite (one synced commit per transaction) is what makes a
// million-building load take minutes rather than hours.
//
// It fails with errs.ErrAlreadyExists when an id has any history, and
// with an effective_time violation for an effect time in the future. On
// success each building carries its version information. Watchers in this
// process see a batch at their next poll (temporal.Feed.PollInterval)
// rather than at once: the feed's wake-up is the temporal package's own.
func (s *Store) CreateMany(ctx context.Context, news []building.NewBuilding) error {
	if len(news) == 0 {
		return nil
	}
	now := s.t.Now().UTC().Truncate(time.Microsecond)
	docs := make([][]byte, len(news))
	from := make([]time.Time, len(news))
	bs := make([]*building.Building, len(news))
	for i, n := range news {
		vf := n.EffectiveFrom
		if vf.IsZero() {
			vf = now
		}
		vf = vf.UTC().Truncate(time.Microsecond)
		if vf.After(now) {
			return errs.Field("effective_time", "%s (of %s) is in the future", vf.Format(time.RFC3339), building.ResourceName(n.Building.ID))
		}
		doc, err := json.Marshal(n.Building)
		if err != nil {
			return fmt.Errorf("encode %s: %w", n.Building.ID, err)
		}
		docs[i], from[i], bs[i] = doc, vf, n.Building
	}
	known := store.FormatTime(now)
	var first int64
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if first, err = takeSequences(ctx, tx, len(bs)); err != nil {
			return err
		}
		if tx.Dialect() == store.SQLite {
			// A batch touches more index pages than SQLite's default 2 MB
			// cache holds; give this connection room while it loads, and
			// hand it back to the pool as it was.
			var was int64
			if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
				return fmt.Errorf("read cache size: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -131072`); err != nil {
				return fmt.Errorf("grow cache: %w", err)
			}
			defer func() { _, _ = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, was)) }()
		}
		versions := make([][]any, len(bs))
		changes := make([][]any, len(bs))
		var termRows [][]any
		for i, b := range bs {
			seq, vf := first+int64(i), store.FormatTime(from[i])
			fields := terms(b)
			key := termsKey(fields)
			versions[i] = append(append([]any{b.ID, 1, vf, temporal.OpenEnd, known, temporal.OpenEnd, seq, openSeq, string(history.Created), 0, string(docs[i])},
				columnValues(b)...), key)
			changes[i] = []any{seq, building.Collection, b.ID, string(history.Created), 1, vf, temporal.OpenEnd, known, 0, string(docs[i])}
			for field, texts := range fields {
				seen := map[string]bool{}
				for _, text := range texts {
					for _, t := range textsearch.Terms(text) {
						if !seen[t] {
							seen[t] = true
							termRows = append(termRows, []any{t, b.ID, key, field})
						}
					}
				}
			}
		}
		// In key order, each B-tree takes its new entries page by page
		// instead of at random, which is most of a bulk load's cost.
		slices.SortFunc(versions, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
		slices.SortFunc(termRows, func(a, b []any) int {
			return cmp.Or(strings.Compare(a[0].(string), b[0].(string)), strings.Compare(a[1].(string), b[1].(string)))
		})
		if err := insertRows(ctx, tx, `INSERT INTO buildings (`+versionColumns+`) VALUES `, placeholders(len(versions[0])), versions, ""); err != nil {
			return fmt.Errorf("insert versions: %w", err)
		}
		if err := insertRows(ctx, tx, `INSERT INTO changes (sequence, collection, record_key, action, version, valid_from, valid_to, known_at, deleted, doc) VALUES `,
			placeholders(10), changes, ""); err != nil {
			return fmt.Errorf("record changes: %w", err)
		}
		if err := insertRows(ctx, tx, `INSERT INTO building_terms (term, id, terms_key, field) VALUES `, "(?, ?, ?, ?)", termRows, ""); err != nil {
			return fmt.Errorf("index search terms: %w", err)
		}
		return s.index(ctx, tx, bs, true)
	})
	if err != nil {
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("a building id of the batch has history already: %w", errs.ErrAlreadyExists)
		}
		return err
	}
	for i, b := range bs {
		b.Version = history.Info{Version: 1, ValidFrom: from[i], KnownFrom: now, Action: history.Created, Sequence: first + int64(i)}
	}
	return nil
}

// takeSequences takes n numbers of the feed's gap-free sequence and returns
// the first. Like temporal's own, it must be the transaction's first write:
// on PostgreSQL the row lock orders writers, so sequence order is commit
// order.
func takeSequences(ctx context.Context, tx *store.Tx, n int) (int64, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE feed_head SET last_sequence = last_sequence + ? WHERE id = 1`, n); err != nil {
		return 0, fmt.Errorf("take %d sequences: %w", n, err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT last_sequence FROM feed_head WHERE id = 1`).Scan(&last); err != nil {
		return 0, fmt.Errorf("read sequence: %w", err)
	}
	return last - int64(n) + 1, nil
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
