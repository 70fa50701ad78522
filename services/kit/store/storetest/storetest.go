// Package storetest gives store contract suites the backends to run on: a
// fresh SQLite file, and a fresh schema in the local PostgreSQL. Every
// service's contract suite runs against every backend returned here, so a
// store that passes on one and fails on the other is caught in `make test`.
//
// PostgreSQL is found through ZHBASE_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). When it cannot be
// reached the PostgreSQL backend is skipped, except with CI=true, where that
// is a failure: CI must never pass without having run the suite on both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/store"
)

// DefaultPostgresDSN is used when ZHBASE_TEST_POSTGRES is not set.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend opens an empty database of one dialect for one test.
type Backend struct {
	Name string
	// Open returns an empty, migrated-nothing database that is closed and
	// removed when the test ends.
	Open func(t testing.TB) *store.DB
}

// Backends lists SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Open: OpenSQLite},
		{Name: "postgres", Open: OpenPostgres},
	}
}

// Run runs fn once per backend as a subtest named after it.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// OpenSQLite opens a new SQLite file in the test's temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db"), Name: t.Name()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresDSN returns the DSN of the test server.
func PostgresDSN() string {
	if dsn := os.Getenv("ZHBASE_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// RequirePostgres skips the test when the server is unreachable, or fails it
// when CI=true.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		err = admin.PingContext(ctx)
		admin.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is unreachable and CI=true: the store suite must run on it: %v", redact(dsn), err)
		}
		t.Skipf("PostgreSQL at %s is unreachable (set ZHBASE_TEST_POSTGRES; with CI=true this fails): %v", redact(dsn), err)
	}
	return dsn
}

// OpenPostgres creates a schema of its own on the test server, returns a
// database whose search_path is that schema, and drops it afterwards.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := RequirePostgres(t)
	ctx := context.Background()
	schema := NewSchema(t, dsn)
	db, err := store.Open(ctx, store.Options{PostgresDSN: WithSearchPath(dsn, schema), Name: t.Name()})
	if err != nil {
		t.Fatalf("open postgres schema %s: %v", schema, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewSchema creates an empty schema that is dropped when the test ends.
func NewSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "zhbase_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return schema
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return dsn
}
