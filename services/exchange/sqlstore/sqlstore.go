// Package sqlstore keeps the exchange's departments, credentials, signing
// keys, catalogue and grants in SQLite or PostgreSQL, with the access
// policy's revision counter. It implements exchange.Store and nothing else:
// no validation and no access rules. It never sees a credential's secret,
// only its digest.
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

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
)

//go:embed migrations
var migrations embed.FS

// Store implements exchange.Store.
type Store struct {
	db *store.DB
}

var _ exchange.Store = (*Store)(nil)

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, "exchange", sub); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// bump increments the policy revision inside tx and returns it.
func bump(ctx context.Context, tx *store.Tx) (int64, error) {
	var rev int64
	if err := tx.QueryRowContext(ctx, `UPDATE policy_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("increment policy revision: %w", err)
	}
	return rev, nil
}

func revision(ctx context.Context, q store.Querier) (int64, error) {
	var rev int64
	if err := q.QueryRowContext(ctx, `SELECT revision FROM policy_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read policy revision: %w", err)
	}
	return rev, nil
}

func (s *Store) PolicyRevision(ctx context.Context) (int64, error) { return revision(ctx, s.db) }

// forUpdate locks the rows a read-modify-write reads on PostgreSQL; SQLite
// transactions here take the database's write lock up front.
func forUpdate(q store.Querier) string {
	if q.Dialect() == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// timeText stores a time; the zero time (unset) is ”.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

// timeParser reads stored times, keeping the first error.
type timeParser struct{ err error }

func (p *timeParser) parse(s string) time.Time {
	if s == "" || p.err != nil {
		return time.Time{}
	}
	t, err := store.ParseTime(s)
	if err != nil {
		p.err = fmt.Errorf("stored time %q: %w", s, err)
	}
	return t
}

type scanner interface{ Scan(dest ...any) error }

// listing is one keyset page of a list: what binds its token, the token,
// the page size, and the unique key column it is ordered by.
type listing struct {
	binding string
	token   string
	size    int
	key     string // the key column, unique and NOT NULL
	desc    bool
}

// where adds the page token's keyset condition to conds.
func (l listing) where(conds []string, args []any) ([]string, []any, error) {
	tok, err := page.Decode(l.binding, l.token)
	if err != nil {
		return nil, nil, err
	}
	if len(tok.After) == 1 {
		op := " > ?"
		if l.desc {
			op = " < ?"
		}
		conds = append(conds, l.key+op)
		args = append(args, tok.After[0])
	}
	return conds, args, nil
}

// tail orders and limits the query, reading one row more than the page to
// know whether another page follows.
func (l listing) tail() string {
	dir := ""
	if l.desc {
		dir = " DESC"
	}
	return fmt.Sprintf(" ORDER BY %s%s LIMIT %d", l.key, dir, l.size+1)
}

// next returns the next page token when the query returned more than a
// page, given the key of the page's last row.
func (l listing) next(n int, lastKey func() string) string {
	if n <= l.size {
		return ""
	}
	return page.Encode(l.binding, page.Token{After: []string{lastKey()}})
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// addFilter compiles an API filter into conds; its errors name "filter".
func addFilter(schema filter.Schema, expr string, conds []string, args []any) ([]string, []any, error) {
	w, fargs, err := schema.Compile(expr)
	if err != nil {
		return nil, nil, err
	}
	if w != "" {
		conds = append(conds, "("+w+")")
		args = append(args, fargs...)
	}
	return conds, args, nil
}

func notFound(err error, name string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound(name)
	}
	return err
}
