package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies the migrations in fsys that have not been applied yet.
// component names whose migrations they are ("legalentity", "temporal"),
// so that a service and the kit packages it uses keep separate version
// numbers in one database. fsys holds one folder per dialect, `sqlite/` and `postgres/`, each with
// files named `NNNN_what.sql`, applied in number order, each in its own
// transaction together with its bookkeeping row. Applied migrations are never
// edited: a change is a new file. Several replicas starting at once are safe:
// on PostgreSQL an advisory lock serialises them, on SQLite the immediate
// write lock does.
func Migrate(ctx context.Context, db *DB, component string, fsys fs.FS) error {
	dir := "sqlite"
	if db.dialect == Postgres {
		dir = "postgres"
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("read %s migrations of %s: %w", dir, db.name, err)
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return fmt.Errorf("migration %s/%s: name must start with a positive number and '_'", dir, e.Name())
		}
		ms = append(ms, migration{v, e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL,
		PRIMARY KEY (component, version)
	)`); err != nil {
		return fmt.Errorf("create schema_migrations for %s: %w", db.name, err)
	}
	for _, m := range ms {
		body, err := fs.ReadFile(fsys, path.Join(dir, m.name))
		if err != nil {
			return fmt.Errorf("read migration %s: %w", m.name, err)
		}
		err = db.InTx(ctx, func(ctx context.Context, tx *Tx) error {
			if db.dialect == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201932)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`, component, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				component, m.version, m.name, nowText())
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s/%s of %s: %w", component, m.name, db.name, err)
		}
	}
	return nil
}
