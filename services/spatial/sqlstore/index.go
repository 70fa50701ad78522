package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/spatial"
)

// The spatial index holds the bounding box of every current, unretired
// address and feature. prefix is "address" or "feature": the tables are
// <prefix>_rids and <prefix>_rtree on SQLite, <prefix>_geo on PostgreSQL.

// index puts (or moves) a record's box in the spatial index.
func index(ctx context.Context, tx *store.Tx, prefix, id string, b spatial.Bound) error {
	if tx.Dialect() == store.Postgres {
		_, err := tx.ExecContext(ctx, `INSERT INTO `+prefix+`_geo (record_id, area)
			VALUES (?, box(point(?::float8, ?::float8), point(?::float8, ?::float8)))
			ON CONFLICT (record_id) DO UPDATE SET area = EXCLUDED.area`, id, b.MinLon, b.MinLat, b.MaxLon, b.MaxLat)
		if err != nil {
			return fmt.Errorf("index %s %s: %w", prefix, id, err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+prefix+`_rids (record_id) VALUES (?) ON CONFLICT (record_id) DO NOTHING`, id); err != nil {
		return fmt.Errorf("index %s %s: %w", prefix, id, err)
	}
	var rid int64
	if err := tx.QueryRowContext(ctx, `SELECT rid FROM `+prefix+`_rids WHERE record_id = ?`, id).Scan(&rid); err != nil {
		return fmt.Errorf("index %s %s: %w", prefix, id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO `+prefix+`_rtree (rid, west, east, south, north) VALUES (?, ?, ?, ?, ?)`,
		rid, b.MinLon, b.MaxLon, b.MinLat, b.MaxLat); err != nil {
		return fmt.Errorf("index %s %s: %w", prefix, id, err)
	}
	return nil
}

// unindex takes a retired record out of the spatial index.
func unindex(ctx context.Context, tx *store.Tx, prefix, id string) error {
	if tx.Dialect() == store.Postgres {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+prefix+`_geo WHERE record_id = ?`, id); err != nil {
			return fmt.Errorf("unindex %s %s: %w", prefix, id, err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+prefix+`_rtree WHERE rid IN (SELECT rid FROM `+prefix+`_rids WHERE record_id = ?)`, id); err != nil {
		return fmt.Errorf("unindex %s %s: %w", prefix, id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+prefix+`_rids WHERE record_id = ?`, id); err != nil {
		return fmt.Errorf("unindex %s %s: %w", prefix, id, err)
	}
	return nil
}

// scanBatch is how many rows one query of a scan reads.
const scanBatch = 256

// scan reads the records of table t whose box meets q.Bound in id order,
// batch by batch, calling visit until it returns false. exact is the
// condition on the table's own columns that decides whether a box meets
// q.Bound; the index only narrows the rows it is tested on. At the
// current point the index is read; at any other point the temporal table
// is scanned.
// scanQuery builds the query of one batch of a scan; its last two
// arguments, the id to resume after and the batch size, are the caller's.
func scanQuery(dialect store.Dialect, columns, table, prefix string, q spatial.ScanQuery,
	exact string, exactArgs []any, where string, whereArgs []any) (string, []any) {
	b := q.Bound
	var from string
	var conds []string
	var args []any
	switch {
	case !q.At.IsNow():
		at, atArgs := temporal.At(q.At)
		from = table
		conds = append(conds, at)
		args = append(args, atArgs...)
	case dialect == store.Postgres:
		// The materialised CTE makes PostgreSQL start from the GiST index
		// whatever its statistics say, as CROSS JOIN does on SQLite below.
		from = `(WITH hits AS MATERIALIZED (SELECT record_id FROM ` + prefix + `_geo
			WHERE area && box(point(?::float8, ?::float8), point(?::float8, ?::float8)))
			SELECT t.* FROM hits JOIN ` + table + ` t ON t.id = hits.record_id) ` + table
		conds = append(conds, temporal.Current)
		args = append(args, b.MinLon, b.MinLat, b.MaxLon, b.MaxLat)
	default:
		// CROSS JOIN makes SQLite drive the join from the R*Tree; left to
		// itself it would walk the table in id order (to serve ORDER BY
		// and LIMIT) and probe the R*Tree per row, a full scan.
		from = prefix + `_rtree r CROSS JOIN ` + prefix + `_rids m CROSS JOIN ` + table
		conds = append(conds, `r.west <= ? AND r.east >= ? AND r.south <= ? AND r.north >= ?`, `m.rid = r.rid`, `id = m.record_id`, temporal.Current)
		args = append(args, b.MaxLon, b.MinLon, b.MaxLat, b.MinLat)
	}
	conds = append(conds, "deleted = 0", exact)
	args = append(args, exactArgs...)
	if where != "" {
		conds = append(conds, "("+where+")")
		args = append(args, whereArgs...)
	}
	if len(q.Kinds) > 0 {
		conds = append(conds, "kind IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.Kinds)), ", ")+")")
		for _, k := range q.Kinds {
			args = append(args, string(k))
		}
	}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE ` + strings.Join(conds, " AND ") + ` AND id > ? ORDER BY id LIMIT ?`
	return query, args
}

func (s *Store) scan(ctx context.Context, t *temporal.Store, table, prefix string, q spatial.ScanQuery,
	exact string, exactArgs []any, where string, whereArgs []any, visit func(*temporal.Version) (bool, error)) error {
	query, args := scanQuery(s.db.Dialect(), t.VersionColumns(), table, prefix, q, exact, exactArgs, where, whereArgs)
	after := q.After
	for {
		rows, err := s.db.QueryContext(ctx, query, append(args, after, scanBatch)...)
		if err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
		var batch []*temporal.Version
		for rows.Next() {
			v, err := temporal.ScanVersion(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("scan %s: %w", table, err)
			}
			batch = append(batch, v)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
		for _, v := range batch {
			more, err := visit(v)
			if err != nil || !more {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
		after = batch[len(batch)-1].Key
	}
}

func (s *Store) ScanAddresses(ctx context.Context, q spatial.ScanQuery, fn func(*spatial.Address) (bool, error)) error {
	where, args, err := s.addresses.schema.Compile(q.Filter)
	if err != nil {
		return err
	}
	if len(q.Kinds) > 0 {
		return fmt.Errorf("addresses have no kinds")
	}
	b := q.Bound
	return s.scan(ctx, s.addresses.t, "addresses", "address", q,
		`lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?`, []any{b.MinLon, b.MaxLon, b.MinLat, b.MaxLat},
		where, args, func(v *temporal.Version) (bool, error) {
			a, err := s.addresses.fromVersion(v)
			if err != nil {
				return false, err
			}
			return fn(a)
		})
}

func (s *Store) ScanFeatures(ctx context.Context, q spatial.ScanQuery, fn func(*spatial.Feature) (bool, error)) error {
	where, args, err := s.features.schema.Compile(q.Filter)
	if err != nil {
		return err
	}
	b := q.Bound
	return s.scan(ctx, s.features.t, "features", "feature", q,
		`max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?`, []any{b.MinLon, b.MaxLon, b.MinLat, b.MaxLat},
		where, args, func(v *temporal.Version) (bool, error) {
			f, err := s.features.fromVersion(v)
			if err != nil {
				return false, err
			}
			return fn(f)
		})
}

func (s *Store) CompleteAddresses(ctx context.Context, q spatial.CompleteQuery) ([]*spatial.Address, error) {
	conds := []string{temporal.Current, "deleted = 0"}
	var args []any
	if q.Prefix != "" {
		conds = append(conds, `complete_text LIKE ? ESCAPE '\'`)
		args = append(args, likePrefix(q.Prefix))
	}
	if len(q.DivisionPrefixes) > 0 {
		var ors []string
		for _, p := range q.DivisionPrefixes {
			ors = append(ors, `division LIKE ? ESCAPE '\'`)
			args = append(args, likePrefix(spatial.DivisionName(p)))
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.addresses.t.VersionColumns()+` FROM addresses WHERE `+strings.Join(conds, " AND ")+
		` ORDER BY complete_text, id LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("complete addresses: %w", err)
	}
	defer rows.Close()
	var out []*spatial.Address
	for rows.Next() {
		v, err := temporal.ScanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("complete addresses: %w", err)
		}
		a, err := s.addresses.fromVersion(v)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}
