package temporal

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/textsearch"
)

// NewRecord is one record of a bulk create.
type NewRecord struct {
	Key string
	Doc []byte
	// EffectiveFrom is when the record came into being; now when zero.
	EffectiveFrom time.Time
}

// CreateMany records new records in one transaction, all or none: the
// bulk-load path. For each it writes exactly what Create writes — version 1
// in effect from its EffectiveFrom and known from now, a CREATED change
// under its own gap-free sequence number taken first in the transaction, its
// search terms — but with multi-row statements and one commit for the
// batch, which on SQLite (one synced commit per transaction) is what makes
// a million-record load take minutes rather than hours. after, when set,
// runs in the same transaction with the versions written (instead of
// Table.AfterWrite per record), to fill the registry's side tables in bulk.
//
// It fails with errs.ErrAlreadyExists when a key has any history, and with
// an effective_time violation for an effect time in the future.
func (s *Store) CreateMany(ctx context.Context, recs []NewRecord, after func(ctx context.Context, tx *store.Tx, vs []*Version) error) ([]*Version, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	now := s.now()
	vs := make([]*Version, len(recs))
	for i, r := range recs {
		vf, err := effective(r.EffectiveFrom, now, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", s.t.Collection, r.Key, err)
		}
		vs[i] = &Version{Key: r.Key, Info: history.Info{Version: 1, ValidFrom: vf, KnownFrom: now, Action: Created}, Doc: r.Doc}
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		first, err := s.feed.take(ctx, tx, len(vs))
		if err != nil {
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
		rows := make([][]any, len(vs))
		changes := make([][]any, len(vs))
		var termRows [][]any
		for i, v := range vs {
			v.Sequence = first + int64(i)
			vals, err := s.t.Values(v.Doc)
			if err != nil {
				return fmt.Errorf("index columns of %s: %w", v.Key, err)
			}
			vf, known := formatTime(v.ValidFrom), formatTime(v.KnownFrom)
			rows[i] = append([]any{v.Key, v.Version, vf, OpenEnd, known, OpenEnd, v.Sequence, openSeq, string(Created), 0, string(v.Doc)}, vals...)
			changes[i] = []any{v.Sequence, s.t.Collection, v.Key, string(Created), v.Version, vf, OpenEnd, known, 0, string(v.Doc)}
			if s.t.Terms == nil {
				continue
			}
			fields, key, err := s.termsOf(v.Doc)
			if err != nil {
				return fmt.Errorf("search terms of %s: %w", v.Key, err)
			}
			rows[i] = append(rows[i], key)
			for field, texts := range fields {
				seen := map[string]bool{}
				for _, text := range texts {
					for _, t := range textsearch.Terms(text) {
						if !seen[t] {
							seen[t] = true
							termRows = append(termRows, []any{t, v.Key, key, field})
						}
					}
				}
			}
		}
		// In key order, each B-tree takes its new entries page by page
		// instead of at random, which is most of a bulk load's cost.
		slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
		slices.SortFunc(termRows, func(a, b []any) int {
			return cmp.Or(strings.Compare(a[0].(string), b[0].(string)), strings.Compare(a[1].(string), b[1].(string)))
		})
		cols := s.columns()
		if s.t.Terms != nil {
			cols += ", terms_key"
		}
		if err := store.InsertRows(ctx, tx, `INSERT INTO `+s.t.Name+` (`+cols+`) VALUES `, store.Placeholders(len(rows[0])), rows, ""); err != nil {
			if store.IsUniqueViolation(err) {
				return fmt.Errorf("a key of the batch has history already in %s: %w", s.t.Collection, errs.ErrAlreadyExists)
			}
			return fmt.Errorf("insert versions: %w", err)
		}
		if err := store.InsertRows(ctx, tx, `INSERT INTO changes (`+changeColumns+`) VALUES `, store.Placeholders(10), changes, ""); err != nil {
			return fmt.Errorf("record changes: %w", err)
		}
		if err := store.InsertRows(ctx, tx, `INSERT INTO `+s.t.TermsTable+` (term, `+s.t.Key+`, terms_key, field) VALUES `, "(?, ?, ?, ?)", termRows, ""); err != nil {
			return fmt.Errorf("index search terms: %w", err)
		}
		if after != nil {
			return after(ctx, tx, vs)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.feed.notify()
	return vs, nil
}
