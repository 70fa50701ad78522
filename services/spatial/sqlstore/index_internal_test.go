package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/spatial"
)

// TestCurrentScansAreDrivenByTheSpatialIndex reads the plan of the scan
// query: at the current point it must start from the spatial index (the
// R*Tree's box constraints on SQLite, the GiST index of boxes on
// PostgreSQL); a plan walking the table instead would answer right, but
// read every row.
func TestCurrentScansAreDrivenByTheSpatialIndex(t *testing.T) {
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, err := Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		q := spatial.ScanQuery{Bound: spatial.Bound{MinLon: 121.55, MinLat: 29.95, MaxLon: 121.56, MaxLat: 29.96}}
		for _, tt := range []struct {
			table, prefix, exact string
			cols                 string
		}{
			{"addresses", "address", "lon >= ?", s.addresses.t.VersionColumns()},
			{"features", "feature", "max_lon >= ?", s.features.t.VersionColumns()},
		} {
			query, args := scanQuery(db.Dialect(), tt.cols, tt.table, tt.prefix, q, tt.exact, []any{121.55}, "", nil)
			args = append(args, "", 256)
			var plan []string
			err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				explain := "EXPLAIN QUERY PLAN "
				if db.Dialect() == store.Postgres {
					// The tables are empty, so let the planner show which
					// index the query can use rather than what is cheapest.
					if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
						return err
					}
					explain = "EXPLAIN "
				}
				rows, err := tx.QueryContext(ctx, explain+query, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						return err
					}
					line := vals[len(vals)-1]
					if b, ok := line.([]byte); ok {
						line = string(b)
					}
					plan = append(plan, line.(string))
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "\n")
			want := "SCAN r VIRTUAL TABLE INDEX 2:"
			if db.Dialect() == store.Postgres {
				want = tt.prefix + "_geo_area"
			}
			if db.Dialect() == store.SQLite && !strings.HasPrefix(plan[0], want) || !strings.Contains(joined, want) {
				t.Fatalf("the %s scan does not start from the spatial index:\n%s", tt.table, joined)
			}
		}
		// At a point in time, the scan reads the history table instead.
		query, _ := scanQuery(db.Dialect(), s.addresses.t.VersionColumns(), "addresses", "address",
			spatial.ScanQuery{At: history.Point{KnownAt: time.Now()}}, "1 = 1", nil, "", nil)
		if strings.Contains(query, "_rtree") || strings.Contains(query, "_geo") {
			t.Fatalf("a time-travel scan uses the index of the current state: %s", query)
		}
	})
}
