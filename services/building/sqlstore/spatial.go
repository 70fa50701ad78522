package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
)

// index keeps the side tables of the current state in step with bs, inside
// the writing transaction: the owner index and the spatial index (the
// current footprint's bounding box; a retired building keeps its last one,
// so that show_retired queries find it). fresh says the buildings are new,
// so there is nothing of theirs to replace.
func (s *Store) index(ctx context.Context, tx *store.Tx, bs []*building.Building, fresh bool) error {
	if !fresh {
		for _, b := range bs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM building_owners WHERE id = ?`, b.ID); err != nil {
				return fmt.Errorf("clear owners of %s: %w", b.ID, err)
			}
		}
	}
	var owners [][]any
	for _, b := range bs {
		for _, o := range b.Owners {
			owners = append(owners, []any{o, b.ID})
		}
	}
	slices.SortFunc(owners, func(a, b []any) int {
		return cmp.Or(strings.Compare(a[0].(string), b[0].(string)), strings.Compare(a[1].(string), b[1].(string)))
	})
	if err := store.InsertRows(ctx, tx, `INSERT INTO building_owners (owner, id) VALUES `, "(?, ?)", owners, ""); err != nil {
		return fmt.Errorf("index owners: %w", err)
	}
	if tx.Dialect() == store.Postgres {
		boxes := make([][]any, len(bs))
		for i, b := range bs {
			bd := b.Bound()
			boxes[i] = []any{b.ID, bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]}
		}
		err := store.InsertRows(ctx, tx, `INSERT INTO building_boxes (id, box) VALUES `, "(?, box(point(?, ?), point(?, ?)))", boxes,
			` ON CONFLICT (id) DO UPDATE SET box = EXCLUDED.box`)
		if err != nil {
			return fmt.Errorf("index footprints: %w", err)
		}
		return nil
	}
	rids, err := s.rowIDs(ctx, tx, bs, fresh)
	if err != nil {
		return err
	}
	boxes := make([][]any, len(bs))
	for i, b := range bs {
		bd := b.Bound()
		boxes[i] = []any{rids[i], bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]}
	}
	if err := store.InsertRows(ctx, tx, `INSERT OR REPLACE INTO building_rtree (rid, min_lon, max_lon, min_lat, max_lat) VALUES `, "(?, ?, ?, ?, ?)", boxes, ""); err != nil {
		return fmt.Errorf("index footprints: %w", err)
	}
	return nil
}

// rowIDs returns the R*Tree id of each building, allocating one for a
// building the index has not seen. An id is never reused: SQLite allocates
// above the largest, and rows are never deleted.
func (s *Store) rowIDs(ctx context.Context, tx *store.Tx, bs []*building.Building, fresh bool) ([]int64, error) {
	rids := make([]int64, len(bs))
	if fresh {
		var max int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rid), 0) FROM building_spatial_ids`).Scan(&max); err != nil {
			return nil, fmt.Errorf("allocate spatial ids: %w", err)
		}
		rows := make([][]any, len(bs))
		for i, b := range bs {
			rids[i] = max + 1 + int64(i)
			rows[i] = []any{rids[i], b.ID}
		}
		if err := store.InsertRows(ctx, tx, `INSERT INTO building_spatial_ids (rid, id) VALUES `, "(?, ?)", rows, ""); err != nil {
			return nil, fmt.Errorf("allocate spatial ids: %w", err)
		}
		return rids, nil
	}
	for i, b := range bs {
		err := tx.QueryRowContext(ctx, `SELECT rid FROM building_spatial_ids WHERE id = ?`, b.ID).Scan(&rids[i])
		if errors.Is(err, sql.ErrNoRows) {
			var res sql.Result
			if res, err = tx.ExecContext(ctx, `INSERT INTO building_spatial_ids (id) VALUES (?)`, b.ID); err == nil {
				rids[i], err = res.LastInsertId()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("spatial id of %s: %w", b.ID, err)
		}
	}
	return rids, nil
}

// Within returns the buildings matching the area: through the spatial
// index when it asks for the current state, by a scan at other moments
// (the index holds current footprints only).
func (s *Store) Within(ctx context.Context, q building.WithinQuery) (building.Page, error) {
	return s.within(ctx, q, !q.At.IsNow())
}

// WithinScan answers exactly as Within does, page tokens included, without
// the spatial index: it scans the buildings in id order, comparing the
// bounding-box columns of each. It is the baseline that benchmarks and the
// index's tests compare with.
func (s *Store) WithinScan(ctx context.Context, q building.WithinQuery) (building.Page, error) {
	return s.within(ctx, q, true)
}

// withinBatch is how many candidates one round trip examines.
const withinBatch = 256

func (s *Store) within(ctx context.Context, q building.WithinQuery, scan bool) (building.Page, error) {
	if q.PageSize <= 0 {
		return building.Page{}, fmt.Errorf("within: page size %d: %w", q.PageSize, errs.ErrInvalid)
	}
	where, args, err := filterSchema.Compile(q.Filter)
	if err != nil {
		return building.Page{}, err
	}
	at, cargs := temporal.At(q.At)
	conds := []string{at}
	if !q.ShowRetired {
		conds = append(conds, "deleted = 0")
	}
	if where != "" {
		conds = append(conds, "("+where+")")
		cargs = append(cargs, args...)
	}
	bind := strings.Join([]string{"within", q.Area.Key(), q.Relation.String(), q.Filter, q.At.String(), fmt.Sprint(q.ShowRetired)}, "\x00")
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return building.Page{}, err
	}
	after := ""
	switch len(tok.After) {
	case 0:
	case 1:
		after = tok.After[0]
	default:
		return building.Page{}, errs.Field("page_token", "is not a token of this query")
	}
	bd := q.Area.Bound()
	var out []*building.Building
	for len(out) <= q.PageSize {
		var vs []*temporal.Version
		var last string
		var done bool
		if scan {
			vs, err = s.scanBatch(ctx, conds, cargs, bd, after)
			done = len(vs) < withinBatch
			if len(vs) > 0 {
				last = vs[len(vs)-1].Key
			}
		} else {
			var ids []string
			if ids, err = s.candidates(ctx, bd, after); err == nil && len(ids) > 0 {
				last = ids[len(ids)-1]
				vs, err = s.fetch(ctx, conds, cargs, ids)
			}
			done = len(ids) < withinBatch
		}
		if err != nil {
			return building.Page{}, fmt.Errorf("find buildings in %v: %w", bd, err)
		}
		for _, v := range vs {
			b, err := fromVersion(v)
			if err != nil {
				return building.Page{}, err
			}
			if q.Area.Matches(b.Footprint, q.Relation) {
				out = append(out, b)
				if len(out) > q.PageSize {
					break
				}
			}
		}
		if done {
			break
		}
		after = last
	}
	if len(out) <= q.PageSize {
		return building.Page{Buildings: out}, nil
	}
	out = out[:q.PageSize]
	return building.Page{Buildings: out, NextPageToken: page.Encode(bind, page.Token{After: []string{out[len(out)-1].ID}})}, nil
}

// candidates returns, in id order, up to withinBatch ids after `after`
// whose indexed bounding box meets bd.
func (s *Store) candidates(ctx context.Context, bd orb.Bound, after string) ([]string, error) {
	var q string
	var args []any
	if s.db.Dialect() == store.Postgres {
		q = `SELECT id FROM building_boxes WHERE box && box(point(?, ?), point(?, ?)) AND id > ? ORDER BY id LIMIT ?`
		args = []any{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1], after, withinBatch}
	} else {
		q = `SELECT m.id FROM building_rtree r JOIN building_spatial_ids m ON m.rid = r.rid
			WHERE r.min_lon <= ? AND r.max_lon >= ? AND r.min_lat <= ? AND r.max_lat >= ? AND m.id > ? ORDER BY m.id LIMIT ?`
		args = []any{bd.Max[0], bd.Min[0], bd.Max[1], bd.Min[1], after, withinBatch}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query spatial index: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// fetch reads the versions of ids that meet the query's conditions.
func (s *Store) fetch(ctx context.Context, conds []string, cargs []any, ids []string) ([]*temporal.Version, error) {
	args := append([]any(nil), cargs...)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.t.VersionColumns()+` FROM buildings WHERE `+strings.Join(conds, " AND ")+
		` AND id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return scanVersions(rows)
}

// scanBatch reads, in id order, up to withinBatch versions after `after`
// meeting the conditions whose bounding box meets bd.
func (s *Store) scanBatch(ctx context.Context, conds []string, cargs []any, bd orb.Bound, after string) ([]*temporal.Version, error) {
	args := append(append([]any(nil), cargs...), bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1], after, withinBatch)
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.t.VersionColumns()+` FROM buildings WHERE `+strings.Join(conds, " AND ")+
		` AND max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ? AND id > ? ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	return scanVersions(rows)
}

func scanVersions(rows *sql.Rows) ([]*temporal.Version, error) {
	defer rows.Close()
	var out []*temporal.Version
	for rows.Next() {
		v, err := temporal.ScanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
