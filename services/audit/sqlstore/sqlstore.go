// Package sqlstore keeps the audit log in SQLite or PostgreSQL. It
// implements audit.Store and nothing else: numbering, hashing and deciding
// what may be pruned are the domain's. It never updates a record.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/store"
)

//go:embed migrations
var migrations embed.FS

// Component is the migration component name of the audit log.
const Component = "audit"

// Store implements audit.Store.
type Store struct {
	db *store.DB
}

var _ audit.Store = (*Store)(nil)

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, Component, sub); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

const recordColumns = `id, chain, seq, record_time, department, application, principal, purpose, case_reference,
	method, result, detail, request_hash, prev_hash, hash`

func (s *Store) OpenChain(ctx context.Context, chain string, now time.Time) (audit.Head, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_chains (chain, created, checkpoint_seq, checkpoint_hash, checkpoint_time)
		VALUES (?, ?, 0, ?, '') ON CONFLICT (chain) DO NOTHING`, chain, store.FormatTime(now), audit.ZeroHash)
	if err != nil {
		return audit.Head{}, fmt.Errorf("register audit chain %s: %w", chain, err)
	}
	return s.Head(ctx, chain)
}

func (s *Store) Head(ctx context.Context, chain string) (audit.Head, error) {
	var (
		h  audit.Head
		at string
	)
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash, record_time FROM audit_records WHERE chain = ? ORDER BY seq DESC LIMIT 1`, chain).
		Scan(&h.Seq, &h.Hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		cp, ok, err := s.checkpoint(ctx, s.db, chain)
		if err != nil || !ok {
			return audit.Head{Hash: audit.ZeroHash}, err
		}
		return audit.Head(cp), nil
	}
	if err != nil {
		return audit.Head{}, fmt.Errorf("read the head of audit chain %s: %w", chain, err)
	}
	if h.Time, err = store.ParseTime(at); err != nil {
		return audit.Head{}, fmt.Errorf("audit chain %s: bad stored time %q: %w", chain, at, err)
	}
	return h, nil
}

func (s *Store) checkpoint(ctx context.Context, q store.Querier, chain string) (audit.Checkpoint, bool, error) {
	var (
		cp audit.Checkpoint
		at string
	)
	err := q.QueryRowContext(ctx, `SELECT checkpoint_seq, checkpoint_hash, checkpoint_time FROM audit_chains WHERE chain = ?`, chain).
		Scan(&cp.Seq, &cp.Hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Checkpoint{Hash: audit.ZeroHash}, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("read the checkpoint of audit chain %s: %w", chain, err)
	}
	if cp.Time, err = parseOptionalTime(at); err != nil {
		return cp, false, fmt.Errorf("audit chain %s: bad checkpoint time %q: %w", chain, at, err)
	}
	return cp, true, nil
}

func parseOptionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return store.ParseTime(s)
}

func (s *Store) Append(ctx context.Context, records []audit.Record) error {
	rows := make([][]any, 0, len(records))
	var resources [][]any
	for _, r := range records {
		at := store.FormatTime(r.Time)
		rows = append(rows, []any{r.ID, r.Chain, r.Seq, at, r.Department, r.Application, r.Principal, r.Purpose,
			r.CaseReference, r.Method, r.Result, r.Detail, r.RequestHash, r.PrevHash, r.Hash})
		for i, name := range r.Resources {
			resources = append(resources, []any{r.ID, i, name, at})
		}
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := store.InsertRows(ctx, tx, `INSERT INTO audit_records (`+recordColumns+`) VALUES `, store.Placeholders(15), rows, ""); err != nil {
			return fmt.Errorf("insert audit records: %w", err)
		}
		if err := store.InsertRows(ctx, tx, `INSERT INTO audit_resources (record_id, pos, name, record_time) VALUES `, store.Placeholders(4), resources, ""); err != nil {
			return fmt.Errorf("insert audit record resources: %w", err)
		}
		return nil
	})
}

func (s *Store) Chains(ctx context.Context) ([]audit.Chain, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT chain, checkpoint_seq, checkpoint_hash, checkpoint_time FROM audit_chains ORDER BY chain`)
	if err != nil {
		return nil, fmt.Errorf("list audit chains: %w", err)
	}
	defer rows.Close()
	var out []audit.Chain
	for rows.Next() {
		var (
			c  audit.Chain
			at string
		)
		if err := rows.Scan(&c.Name, &c.Checkpoint.Seq, &c.Checkpoint.Hash, &at); err != nil {
			return nil, fmt.Errorf("read audit chain: %w", err)
		}
		if c.Checkpoint.Time, err = parseOptionalTime(at); err != nil {
			return nil, fmt.Errorf("audit chain %s: bad checkpoint time %q: %w", c.Name, at, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) Scan(ctx context.Context, chain string, after int64, limit int) ([]audit.Record, error) {
	return s.query(ctx, `SELECT `+recordColumns+` FROM audit_records WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?`, chain, after, limit)
}

func (s *Store) Search(ctx context.Context, q audit.StoreQuery) ([]audit.Record, error) {
	// With a resource the index of audit_resources drives the query and
	// supplies the order; otherwise the records' own indexes do.
	from, timeCol, idCol := `audit_records r`, `r.record_time`, `r.id`
	var where []string
	var args []any
	if q.Resource != "" {
		from, timeCol, idCol = `audit_resources x JOIN audit_records r ON r.id = x.record_id`, `x.record_time`, `x.record_id`
		where, args = append(where, `x.name = ?`), append(args, q.Resource)
	}
	for _, f := range []struct{ col, val string }{{"r.department", q.Department}, {"r.method", q.Method}, {"r.result", q.Result}} {
		if f.val != "" {
			where, args = append(where, f.col+` = ?`), append(args, f.val)
		}
	}
	if !q.From.IsZero() {
		where, args = append(where, timeCol+` >= ?`), append(args, store.FormatTime(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, timeCol+` < ?`), append(args, store.FormatTime(q.To))
	}
	if q.After != nil {
		where, args = append(where, `(`+timeCol+`, `+idCol+`) < (?, ?)`), append(args, store.FormatTime(q.After.Time), q.After.ID)
	}
	stmt := `SELECT ` + prefixed("r.", recordColumns) + ` FROM ` + from
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, ` AND `)
	}
	stmt += ` ORDER BY ` + timeCol + ` DESC, ` + idCol + ` DESC LIMIT ?`
	return s.query(ctx, stmt, append(args, q.Limit)...)
}

func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// query reads records and then their resources, in one statement each.
func (s *Store) query(ctx context.Context, stmt string, args ...any) ([]audit.Record, error) {
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit records: %w", err)
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		var (
			r  audit.Record
			at string
		)
		if err := rows.Scan(&r.ID, &r.Chain, &r.Seq, &at, &r.Department, &r.Application, &r.Principal, &r.Purpose,
			&r.CaseReference, &r.Method, &r.Result, &r.Detail, &r.RequestHash, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("read audit record: %w", err)
		}
		if r.Time, err = store.ParseTime(at); err != nil {
			return nil, fmt.Errorf("audit record %s: bad stored time %q: %w", r.ID, at, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit records: %w", err)
	}
	rows.Close()
	if err := s.loadResources(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) loadResources(ctx context.Context, recs []audit.Record) error {
	if len(recs) == 0 {
		return nil
	}
	index := make(map[string]int, len(recs))
	args := make([]any, len(recs))
	for i, r := range recs {
		index[r.ID] = i
		args[i] = r.ID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT record_id, name FROM audit_resources WHERE record_id IN `+store.Placeholders(len(recs))+
		` ORDER BY record_id, pos`, args...)
	if err != nil {
		return fmt.Errorf("read audit record resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("read audit record resource: %w", err)
		}
		if i, ok := index[id]; ok {
			recs[i].Resources = append(recs[i].Resources, name)
		}
	}
	return rows.Err()
}

func (s *Store) Prune(ctx context.Context, chain string, cp audit.Checkpoint) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE audit_chains SET checkpoint_seq = ?, checkpoint_hash = ?, checkpoint_time = ?
			WHERE chain = ? AND checkpoint_seq < ?`, cp.Seq, cp.Hash, store.FormatTime(cp.Time), chain, cp.Seq)
		if err != nil {
			return fmt.Errorf("move the checkpoint of audit chain %s: %w", chain, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// Already pruned this far (another replica), or no such chain.
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_resources WHERE record_id IN
			(SELECT id FROM audit_records WHERE chain = ? AND seq <= ?)`, chain, cp.Seq); err != nil {
			return fmt.Errorf("prune audit record resources of chain %s: %w", chain, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_records WHERE chain = ? AND seq <= ?`, chain, cp.Seq); err != nil {
			return fmt.Errorf("prune audit records of chain %s: %w", chain, err)
		}
		return nil
	})
}
