// Package sqlstore keeps buildings in SQLite or PostgreSQL, with their
// bitemporal history and the registry's change feed (services/kit/temporal)
// and a spatial index of current footprints: an R*Tree on SQLite, a box
// column under a GiST index on PostgreSQL, both kept in step inside every
// writing transaction. It implements building.Store and nothing else: no
// validation, no masking.
package sqlstore

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
)

//go:embed migrations
var migrations embed.FS

// Store implements building.Store.
type Store struct {
	db   *store.DB
	feed *temporal.Feed
	t    *temporal.Store
}

var _ building.Store = (*Store)(nil)

// columns are the registry's own columns of the buildings table, in the
// order columnValues fills them.
var columns = []string{"display_name", "search_name", "address", "division_code", "building_use", "status", "structure_type",
	"safety_rating", "floors_above", "floors_below", "height_m", "floor_area_m2", "floor_area_centi", "year_built", "status_date",
	"safety_assessment_date", "update_time", "min_lon", "min_lat", "max_lon", "max_lat", "owners"}

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	feed, err := temporal.OpenFeed(ctx, db)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, "building", sub); err != nil {
		return nil, err
	}
	s := &Store{db: db, feed: feed}
	s.t = temporal.NewStore(feed, temporal.Table{
		Name: "buildings", Collection: building.Collection, Key: "id",
		Columns: columns,
		Values: func(doc []byte) ([]any, error) {
			b, err := decode(doc)
			if err != nil {
				return nil, err
			}
			return columnValues(b), nil
		},
		AfterWrite: func(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
			b, err := decode(cur.Doc)
			if err != nil {
				return err
			}
			return s.index(ctx, tx, []*building.Building{b}, false)
		},
		Terms: func(doc []byte) (map[string][]string, error) {
			b, err := decode(doc)
			if err != nil {
				return nil, err
			}
			return terms(b), nil
		},
		TermsTable: "building_terms",
		NameColumn: "search_name",
	})
	return s, nil
}

// Temporal exposes the temporal store, for tests that move its clock.
func (s *Store) Temporal() *temporal.Store { return s.t }

func columnValues(b *building.Building) []any {
	bd := b.Bound()
	owners := ""
	if len(b.Owners) > 0 {
		owners = "|" + strings.Join(b.Owners, "|") + "|"
	}
	return []any{b.Name, textsearch.Normalize(b.Name), b.Address, b.DivisionCode, string(b.Use), string(b.Status), string(b.Structure),
		string(b.SafetyRating), b.FloorsAbove, b.FloorsBelow, b.HeightM, b.FloorAreaM2, int64(math.Round(b.FloorAreaM2 * 100)), b.YearBuilt,
		b.StatusDate, b.SafetyAssessedOn, store.FormatTime(b.UpdateTime), bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1], owners}
}

func terms(b *building.Building) map[string][]string {
	if b.Name == "" {
		return nil
	}
	return map[string][]string{"name": {b.Name}}
}

func decode(doc []byte) (*building.Building, error) {
	var b building.Building
	if err := json.Unmarshal(doc, &b); err != nil {
		return nil, fmt.Errorf("decode stored building: %w", err)
	}
	return &b, nil
}

func fromVersion(v *temporal.Version) (*building.Building, error) {
	b, err := decode(v.Doc)
	if err != nil {
		return nil, err
	}
	b.Retired, b.Version = v.Deleted, v.Info
	return b, nil
}

func (s *Store) Create(ctx context.Context, b *building.Building, effectiveFrom time.Time) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	v, err := s.t.Create(ctx, b.ID, doc, effectiveFrom)
	if err != nil {
		return err
	}
	b.Version = v.Info
	return nil
}

func (s *Store) Get(ctx context.Context, id string, at history.Point) (*building.Building, error) {
	v, _, err := s.t.Get(ctx, id, at)
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) Update(ctx context.Context, id string, o building.WriteOptions, change func(*building.Building) error) (*building.Building, error) {
	v, err := s.t.Update(ctx, id, temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire},
		func(v *temporal.Version) ([]byte, error) {
			b, err := fromVersion(v)
			if err != nil {
				return nil, err
			}
			if err := change(b); err != nil {
				return nil, err
			}
			if b.ID != id {
				return nil, fmt.Errorf("a write of %s changed its id to %s; building ids never change: %w", building.ResourceName(id), b.ID, errs.ErrFailedPrecondition)
			}
			return json.Marshal(b)
		})
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) History(ctx context.Context, id string) ([]*building.Building, error) {
	vs, err := s.t.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]*building.Building, len(vs))
	for i, v := range vs {
		if out[i], err = fromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filterSchema maps the API's filter fields to columns.
var filterSchema = filter.Schema{
	"use":                    {Column: "building_use", Kind: filter.Enum, Enum: filter.EnumValues(building.Uses), Prefix: "BUILDING_USE_"},
	"status":                 {Column: "status", Kind: filter.Enum, Enum: filter.EnumValues(building.Statuses), Prefix: "BUILDING_STATUS_"},
	"structure_type":         {Column: "structure_type", Kind: filter.Enum, Enum: withUnspecified(filter.EnumValues(building.Structures)), Prefix: "STRUCTURE_TYPE_"},
	"safety_rating":          {Column: "safety_rating", Kind: filter.Enum, Enum: withUnspecified(filter.EnumValues(building.Ratings)), Prefix: "SAFETY_RATING_"},
	"division_code":          {Column: "division_code", Kind: filter.String},
	"address":                {Column: "address", Kind: filter.String},
	"display_name":           {Column: "display_name", Kind: filter.String},
	"floors_above_ground":    {Column: "floors_above", Kind: filter.Int},
	"floors_below_ground":    {Column: "floors_below", Kind: filter.Int},
	"height_m":               {Column: "height_m", Kind: filter.Float},
	"floor_area_m2":          {Column: "floor_area_m2", Kind: filter.Float},
	"year_built":             {Column: "year_built", Kind: filter.Int},
	"status_date":            {Column: "status_date", Kind: filter.Date},
	"safety_assessment_date": {Column: "safety_assessment_date", Kind: filter.Date},
}

// withUnspecified lets a filter ask for the buildings without a value
// (safety_rating = UNSPECIFIED: never assessed).
func withUnspecified(m map[string]any) map[string]any {
	m["UNSPECIFIED"] = ""
	return m
}

// orderBy lists the columns List may order by; each is NOT NULL, so the
// keyset (column, id) is total.
var orderBy = filter.OrderBy{Default: "id", Columns: map[string]string{
	"name":                "id",
	"display_name":        "display_name",
	"year_built":          "year_built",
	"height_m":            "height_m",
	"floor_area_m2":       "floor_area_m2",
	"floors_above_ground": "floors_above",
	"update_time":         "update_time",
}}

// ownerCondition selects the buildings one of whose owners is owner: by the
// owner index for the current state, by the owners column at other moments
// (which scans, like every time-travel query without an index of its own).
func ownerCondition(owner string, at history.Point) (string, []any) {
	if at.IsNow() {
		return "id IN (SELECT id FROM building_owners WHERE owner = ?)", []any{owner}
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return `owners LIKE ? ESCAPE '\'`, []any{"%|" + r.Replace(owner) + "|%"}
}

func and(where string, args []any, cond string, cargs []any) (string, []any) {
	if where == "" {
		return cond, cargs
	}
	return "(" + where + ") AND " + cond, append(args, cargs...)
}

func (s *Store) List(ctx context.Context, q building.ListQuery) (building.Page, error) {
	col, desc, err := orderBy.Parse(q.OrderBy)
	if err != nil {
		return building.Page{}, err
	}
	where, args, err := filterSchema.Compile(q.Filter) // its errors name "filter"
	if err != nil {
		return building.Page{}, err
	}
	if q.Owner != "" {
		c, a := ownerCondition(q.Owner, q.At)
		where, args = and(where, args, c, a)
	}
	vs, next, err := s.t.List(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter + "\x00" + q.OrderBy + "\x00" + q.Owner,
	})
	if err != nil {
		return building.Page{}, err
	}
	return toPage(vs, next)
}

func toPage(vs []*temporal.Version, next string) (building.Page, error) {
	out := building.Page{NextPageToken: next}
	for _, v := range vs {
		b, err := fromVersion(v)
		if err != nil {
			return building.Page{}, err
		}
		out.Buildings = append(out.Buildings, b)
	}
	return out, nil
}

func (s *Store) Search(ctx context.Context, q building.SearchQuery) (building.SearchPage, error) {
	where, args, err := filterSchema.Compile(q.Filter)
	if err != nil {
		return building.SearchPage{}, err
	}
	hits, next, err := s.t.Search(ctx, temporal.SearchQuery{
		Query: q.Query, At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter,
	})
	if err != nil {
		return building.SearchPage{}, err
	}
	out := building.SearchPage{NextPageToken: next}
	for _, h := range hits {
		b, err := fromVersion(h.Version)
		if err != nil {
			return building.SearchPage{}, err
		}
		out.Hits = append(out.Hits, building.SearchHit{Building: b, Score: h.Score})
	}
	return out, nil
}

func (s *Store) Aggregate(ctx context.Context, q building.AggregateQuery) ([]building.DivisionTotal, error) {
	where, args, err := filterSchema.Compile(q.Filter)
	if err != nil {
		return nil, err
	}
	at, atArgs := temporal.At(q.At)
	cond := at + " AND deleted = 0"
	if where != "" {
		cond += " AND (" + where + ")"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT division_code, COUNT(*), COALESCE(SUM(floor_area_centi), 0) FROM buildings
		WHERE `+cond+` GROUP BY division_code ORDER BY division_code`, append(atArgs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("aggregate buildings: %w", err)
	}
	defer rows.Close()
	var out []building.DivisionTotal
	for rows.Next() {
		var t building.DivisionTotal
		if err := rows.Scan(&t.DivisionCode, &t.Count, &t.FloorAreaCenti); err != nil {
			return nil, fmt.Errorf("scan aggregate: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func toChange(c temporal.Change) (building.Change, error) {
	b, err := decode(c.Doc)
	if err != nil {
		return building.Change{}, fmt.Errorf("change %d: %w", c.Sequence, err)
	}
	b.Retired = c.Deleted
	return building.Change{
		Sequence: c.Sequence, ID: c.Key, Action: c.Action, Building: b,
		Version: history.Info{Version: c.Version, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, KnownFrom: c.KnownAt, Action: c.Action, Sequence: c.Sequence},
	}, nil
}

func toChanges(cs []temporal.Change) ([]building.Change, error) {
	out := make([]building.Change, 0, len(cs))
	for _, c := range cs {
		if c.Collection != building.Collection {
			continue
		}
		bc, err := toChange(c)
		if err != nil {
			return nil, err
		}
		out = append(out, bc)
	}
	return out, nil
}

func (s *Store) Changes(ctx context.Context, after int64, max int) ([]building.Change, int64, error) {
	head, err := s.feed.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	cs, err := s.feed.Changes(ctx, after, head, max)
	if err != nil {
		return nil, 0, err
	}
	out, err := toChanges(cs)
	return out, head, err
}

func (s *Store) Watch(ctx context.Context, after int64, send func([]building.Change) error) error {
	return s.feed.Watch(ctx, after, 500, func(cs []temporal.Change) error {
		out, err := toChanges(cs)
		if err != nil {
			return err
		}
		return send(out)
	})
}

func (s *Store) Export(ctx context.Context, at int64, fn func(*building.Building) error) (int64, error) {
	return s.t.Snapshot(ctx, at, func(v *temporal.Version) error {
		b, err := fromVersion(v)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

func (s *Store) Delta(ctx context.Context, after, upTo int64, fn func(building.Change) error) error {
	if upTo <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return err
		}
		upTo = head
	}
	return s.feed.Delta(ctx, after, upTo, func(c temporal.Change) error {
		if c.Collection != building.Collection {
			return nil
		}
		bc, err := toChange(c)
		if err != nil {
			return err
		}
		return fn(bc)
	})
}
