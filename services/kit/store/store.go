package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL flavour of a database.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgresql"
	}
	return "sqlite"
}

// Options says which database to open. Exactly one of SQLitePath and
// PostgresDSN is used; PostgresDSN wins when both are set.
type Options struct {
	// SQLitePath is the database file; its directory is created.
	SQLitePath string
	// PostgresDSN is a pgx connection string or URL.
	PostgresDSN string
	// Name labels spans and errors, usually the service name.
	Name string
}

// DB is a service's database handle.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	name    string
	tracer  trace.Tracer
	// writer queues this process's SQLite transactions: SQLite admits one
	// writer at a time, and waiting in a Go mutex is first come, first
	// served, where waiting in SQLite's busy handler is a sleep-and-retry
	// lottery that stretches tail latency.
	writer sync.Mutex
	stmts  stmtCache
}

// Open connects to the database and checks that it answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	db := &DB{name: o.Name, tracer: otel.Tracer("github.com/zhbase/zhbase/services/kit/store")}
	var err error
	switch {
	case o.PostgresDSN != "":
		db.dialect = Postgres
		db.sql, err = sql.Open("pgx", o.PostgresDSN)
		if err != nil {
			return nil, fmt.Errorf("open postgresql for %s: %w", o.Name, err)
		}
		db.sql.SetMaxOpenConns(20)
		db.sql.SetMaxIdleConns(20)
		db.sql.SetConnMaxIdleTime(5 * time.Minute)
	case o.SQLitePath != "":
		db.dialect = SQLite
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o750); err != nil {
			return nil, fmt.Errorf("create data directory for %s: %w", o.Name, err)
		}
		// WAL lets readers run beside the one writer; synchronous FULL makes
		// an acknowledged write survive a power cut, not only a crash;
		// immediate transactions take the write lock up front so that two
		// writers queue on busy_timeout instead of failing to upgrade.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		// LIKE is case-sensitive on PostgreSQL; make SQLite agree, so that a
		// filter returns the same rows on both.
		q.Add("_pragma", "case_sensitive_like(1)")
		q.Set("_txlock", "immediate")
		db.sql, err = sql.Open("sqlite", "file:"+o.SQLitePath+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", o.SQLitePath, err)
		}
		db.sql.SetMaxOpenConns(8)
		db.sql.SetMaxIdleConns(8)
	default:
		return nil, fmt.Errorf("open store for %s: neither a SQLite path nor a PostgreSQL DSN is configured", o.Name)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.sql.PingContext(pctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to %s database of %s: %w", db.dialect, o.Name, err)
	}
	return db, nil
}

// Dialect reports the SQL flavour.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL exposes the pool for what the wrappers do not cover (stats, tests).
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the pool.
func (db *DB) Close() error {
	db.stmts.close()
	return db.sql.Close()
}

// Querier is what DB and Tx have in common, so that store code can run the
// same statement inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// Rebind rewrites `?` placeholders to `$1, $2, …` for PostgreSQL. A `?`
// inside a quoted literal is left alone.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, inQuote := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (db *DB) span(ctx context.Context, op, query string) (context.Context, trace.Span) {
	return startSpan(ctx, db.tracer, db.dialect, db.name, op, query)
}

func startSpan(ctx context.Context, tr trace.Tracer, d Dialect, name, op, query string) (context.Context, trace.Span) {
	// The statement text is safe to record: values travel as arguments,
	// which are never recorded.
	return tr.Start(ctx, "store."+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system", d.String()),
		attribute.String("db.namespace", name),
		attribute.String("db.query.text", firstLine(query)),
	))
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i > 0 {
		q = q[:i]
	}
	if len(q) > 200 {
		q = q[:200]
	}
	return q
}

func endSpan(span trace.Span, err error) {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "store error")
	}
	span.End()
}

func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, span := db.span(ctx, "exec", query)
	var r sql.Result
	var err error
	if st := db.stmts.get(ctx, db, query); st != nil {
		r, err = st.ExecContext(ctx, args...)
	} else {
		r, err = db.sql.ExecContext(ctx, db.dialect.Rebind(query), args...)
	}
	endSpan(span, err)
	return r, err
}

func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, span := db.span(ctx, "query", query)
	var r *sql.Rows
	var err error
	if st := db.stmts.get(ctx, db, query); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = db.sql.QueryContext(ctx, db.dialect.Rebind(query), args...)
	}
	endSpan(span, err)
	return r, err
}

func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, span := db.span(ctx, "query", query)
	var r *sql.Row
	if st := db.stmts.get(ctx, db, query); st != nil {
		r = st.QueryRowContext(ctx, args...)
	} else {
		r = db.sql.QueryRowContext(ctx, db.dialect.Rebind(query), args...)
	}
	endSpan(span, r.Err())
	return r
}

// Tx is a transaction; statements inside it are traced as children of the
// transaction's span.
type Tx struct {
	tx *sql.Tx
	db *DB
}

func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// stmt is the transaction's handle of a statement already cached, or nil.
// It never prepares: preparing takes a connection of its own, and a
// transaction waiting for one while holding another could wait forever
// once every connection is held that way.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := tx.db.stmts.cached(query); st != nil {
		// Closed with the transaction.
		return tx.tx.StmtContext(ctx, st)
	}
	return nil
}

func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, span := tx.db.span(ctx, "exec", query)
	var r sql.Result
	var err error
	if st := tx.stmt(ctx, query); st != nil {
		r, err = st.ExecContext(ctx, args...)
	} else {
		r, err = tx.tx.ExecContext(ctx, tx.db.dialect.Rebind(query), args...)
	}
	endSpan(span, err)
	return r, err
}

func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, span := tx.db.span(ctx, "query", query)
	var r *sql.Rows
	var err error
	if st := tx.stmt(ctx, query); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = tx.tx.QueryContext(ctx, tx.db.dialect.Rebind(query), args...)
	}
	endSpan(span, err)
	return r, err
}

func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, span := tx.db.span(ctx, "query", query)
	var r *sql.Row
	if st := tx.stmt(ctx, query); st != nil {
		r = st.QueryRowContext(ctx, args...)
	} else {
		r = tx.tx.QueryRowContext(ctx, tx.db.dialect.Rebind(query), args...)
	}
	endSpan(span, r.Err())
	return r
}

// InTx runs fn in a transaction and commits it when fn returns nil. A
// serialisation failure or deadlock on PostgreSQL, or a busy database on
// SQLite, is retried a few times: fn must therefore only touch the database
// and its own local state.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	ctx, span := db.tracer.Start(ctx, "store.tx", trace.WithAttributes(
		attribute.String("db.system", db.dialect.String()),
		attribute.String("db.namespace", db.name),
	))
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = db.runTx(ctx, fn); err == nil || !retryable(err) {
			break
		}
		span.AddEvent("retry", trace.WithAttributes(attribute.Int("attempt", attempt+1)))
		select {
		case <-ctx.Done():
			endSpan(span, ctx.Err())
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	endSpan(span, err)
	return err
}

func (db *DB) runTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (err error) {
	if db.dialect == SQLite {
		db.writer.Lock()
		defer db.writer.Unlock()
	}
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(ctx, &Tx{tx: stx, db: db}); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsUniqueViolation reports whether err is a primary-key or unique
// constraint failure, on either dialect.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}
