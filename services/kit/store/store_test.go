package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

func TestRebindNumbersPlaceholdersOutsideLiterals(t *testing.T) {
	got := store.Postgres.Rebind(`SELECT a FROM t WHERE b = ? AND c LIKE '?%' AND d IN (?, ?)`)
	want := `SELECT a FROM t WHERE b = $1 AND c LIKE '?%' AND d IN ($2, $3)`
	if got != want {
		t.Fatalf("Rebind = %q, want %q", got, want)
	}
	if q := `SELECT ?`; store.SQLite.Rebind(q) != q {
		t.Fatalf("SQLite must keep ? placeholders")
	}
}

var migrations = fstest.MapFS{
	"sqlite/0001_init.sql":   {Data: []byte("CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL);\nCREATE INDEX things_n ON things (n);")},
	"sqlite/0002_more.sql":   {Data: []byte("ALTER TABLE things ADD COLUMN label TEXT NOT NULL DEFAULT '';")},
	"postgres/0001_init.sql": {Data: []byte("CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT NOT NULL);\nCREATE INDEX things_n ON things (n);")},
	"postgres/0002_more.sql": {Data: []byte("ALTER TABLE things ADD COLUMN label TEXT NOT NULL DEFAULT '';")},
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Run("migrations apply once and again is a no-op", func(t *testing.T) {
			for i := 0; i < 2; i++ {
				if err := store.Migrate(ctx, db, "test", migrations); err != nil {
					t.Fatalf("migrate run %d: %v", i+1, err)
				}
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("schema_migrations rows = %d, %v; want 2", n, err)
			}
		})
		t.Run("a failed transaction leaves nothing behind", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO things (id, n, label) VALUES (?, ?, ?)`, "a", 1, "x"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx error = %v, want boom", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("rows after rollback = %d, %v", n, err)
			}
		})
		t.Run("prepared statements serve concurrent reads and transactions alike", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `INSERT INTO things (id, n) VALUES (?, ?)`, "p1", 41); err != nil {
				t.Fatal(err)
			}
			const q = `SELECT n FROM things WHERE id = ?`
			errs := make(chan error, 32)
			for range 32 {
				go func() {
					var n int
					err := db.QueryRowContext(ctx, q, "p1").Scan(&n)
					if err == nil && n != 41 {
						err = errors.New("wrong row")
					}
					errs <- err
				}()
			}
			for range 32 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE things SET n = n + 1 WHERE id = ?`, "p1"); err != nil {
					return err
				}
				var n int
				if err := tx.QueryRowContext(ctx, q, "p1").Scan(&n); err != nil || n != 42 {
					return fmt.Errorf("read inside the transaction: %d, %v", n, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, q, "p1").Scan(&n); err != nil || n != 42 {
				t.Fatalf("after commit: %d, %v", n, err)
			}
		})
		t.Run("duplicate keys are reported as unique violations", func(t *testing.T) {
			ins := func() error {
				_, err := db.ExecContext(ctx, `INSERT INTO things (id, n) VALUES (?, ?)`, "dup", 1)
				return err
			}
			if err := ins(); err != nil {
				t.Fatal(err)
			}
			if err := ins(); !store.IsUniqueViolation(err) {
				t.Fatalf("second insert: %v, want a unique violation", err)
			}
		})
	})
}

func TestMigrateRefusesBadNames(t *testing.T) {
	db := storetest.OpenSQLite(t)
	bad := fstest.MapFS{"sqlite/init.sql": {Data: []byte("SELECT 1")}}
	if err := store.Migrate(context.Background(), db, "test", bad); err == nil {
		t.Fatal("a migration without a version number was accepted")
	}
}
