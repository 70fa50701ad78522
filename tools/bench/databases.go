package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"github.com/zhbase/zhbase/services/kit/store"
)

// Databases opens a fresh, empty database per write target, all of one
// backend, and disposes of them on Close.
type Databases struct {
	// Backend is "sqlite" or "postgresql".
	Backend string
	// Where says where the databases live, for the report (a PostgreSQL
	// DSN without its password).
	Where string
	open  func(ctx context.Context, name string) (*store.DB, func() error, error)

	mu      sync.Mutex
	closers []func() error
}

// SQLiteDatabases opens each database as a new file dir/<name>.db, with the
// registry's SQLite settings (store.Open: WAL, synchronous FULL, immediate
// transactions).
func SQLiteDatabases(dir string) *Databases {
	return &Databases{Backend: store.SQLite.String(), Where: dir, open: func(ctx context.Context, name string) (*store.DB, func() error, error) {
		db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, name+".db"), Name: "zhbase-bench-" + name})
		if err != nil {
			return nil, nil, err
		}
		return db, db.Close, nil
	}}
}

// PostgresDatabases opens each database as a new schema
// zhbase_bench_<random>_<name> on the server of dsn, reached with its
// search_path set to that schema; Close drops the schemas.
func PostgresDatabases(dsn string) *Databases {
	return &Databases{Backend: store.Postgres.String(), Where: RedactDSN(dsn), open: func(ctx context.Context, name string) (*store.DB, func() error, error) {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		schema := "zhbase_bench_" + hex.EncodeToString(b) + "_" + name
		admin, err := store.Open(ctx, store.Options{PostgresDSN: dsn, Name: "zhbase-bench"})
		if err != nil {
			return nil, nil, err
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			admin.Close()
			return nil, nil, fmt.Errorf("create schema %s: %w", schema, err)
		}
		drop := func() error {
			_, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			return errors.Join(err, admin.Close())
		}
		db, err := store.Open(ctx, store.Options{PostgresDSN: WithSearchPath(dsn, schema), Name: "zhbase-bench-" + name})
		if err != nil {
			return nil, nil, errors.Join(err, drop())
		}
		return db, func() error { return errors.Join(db.Close(), drop()) }, nil
	}}
}

// Open returns a new, empty database named name (a short identifier).
func (d *Databases) Open(ctx context.Context, name string) (*store.DB, error) {
	db, closeDB, err := d.open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open %s database %s: %w", d.Backend, name, err)
	}
	d.mu.Lock()
	d.closers = append(d.closers, closeDB)
	d.mu.Unlock()
	return db, nil
}

// Close closes every database opened, last first, and drops PostgreSQL
// schemas.
func (d *Databases) Close() error {
	d.mu.Lock()
	closers := d.closers
	d.closers = nil
	d.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	return errors.Join(errs...)
}

// WithSearchPath returns dsn (a URL or keyword/value string) with its
// search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

// RedactDSN drops the password from a URL DSN; a keyword/value DSN is
// reduced to its host, port and database name.
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		return u.String()
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		k, _, _ := strings.Cut(f, "=")
		switch k {
		case "host", "port", "dbname", "user":
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}
