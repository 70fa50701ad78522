// Package sqlstore keeps the spatial registry in SQLite or PostgreSQL:
// divisions, addresses and features with their bitemporal history and the
// registry's one change feed (services/kit/temporal), and the spatial index
// over their current state — an R*Tree on SQLite, a GiST index of boxes on
// PostgreSQL, kept in step inside every writing transaction. It implements
// spatial.Store and nothing else: no validation, no geometry beyond
// bounding boxes.
package sqlstore

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/addrtext"
)

//go:embed migrations
var migrations embed.FS

// Store implements spatial.Store.
type Store struct {
	db        *store.DB
	feed      *temporal.Feed
	divisions *collection[spatial.Division, *spatial.Division]
	addresses *collection[spatial.Address, *spatial.Address]
	features  *collection[spatial.Feature, *spatial.Feature]
}

var _ spatial.Store = (*Store)(nil)

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
	if err := store.Migrate(ctx, db, "spatial", sub); err != nil {
		return nil, err
	}
	s := &Store{db: db, feed: feed}
	s.divisions = &collection[spatial.Division, *spatial.Division]{
		name: spatial.Divisions, key: func(d *spatial.Division) string { return d.Code },
		schema: filter.Schema{
			"code":         {Column: "code", Kind: filter.String},
			"display_name": {Column: "display_name", Kind: filter.String},
			"level":        {Column: "level", Kind: filter.Enum, Enum: levelValues(), Prefix: "DIVISION_LEVEL_"},
			"parent":       {Column: "parent", Kind: filter.String},
		},
		order:       map[string]string{"code": "code", "display_name": "display_name", "update_time": "update_time"},
		defaultSort: "code",
	}
	s.divisions.t = temporal.NewStore(feed, temporal.Table{
		Name: "divisions", Collection: spatial.Divisions, Key: "code",
		Columns: []string{"display_name", "search_name", "level", "parent", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			d, err := s.divisions.decode(doc)
			if err != nil {
				return nil, err
			}
			parent := ""
			if p := d.ParentCode(); p != "" {
				parent = spatial.DivisionName(p)
			}
			return []any{d.Name, textsearch.Normalize(d.Name), d.Level().String(), parent, store.FormatTime(d.UpdateTime)}, nil
		},
		Terms: func(doc []byte) (map[string][]string, error) {
			d, err := s.divisions.decode(doc)
			if err != nil {
				return nil, err
			}
			return map[string][]string{"name": {d.Name}}, nil
		},
		TermsTable: "division_terms",
		NameColumn: "search_name",
	})

	s.addresses = &collection[spatial.Address, *spatial.Address]{
		name: spatial.Addresses, key: func(a *spatial.Address) string { return a.ID },
		schema: filter.Schema{
			"id":           {Column: "id", Kind: filter.String},
			"division":     {Column: "division", Kind: filter.String},
			"road":         {Column: "road", Kind: filter.String},
			"house_number": {Column: "house_number", Kind: filter.String},
			"building":     {Column: "building", Kind: filter.String},
			"unit":         {Column: "unit", Kind: filter.String},
			"room":         {Column: "room", Kind: filter.String},
			"full_text":    {Column: "full_text", Kind: filter.String},
		},
		order:       map[string]string{"id": "id", "full_text": "full_text", "update_time": "update_time"},
		defaultSort: "id",
		duplicate:   s.duplicateAddress,
	}
	s.addresses.t = temporal.NewStore(feed, temporal.Table{
		Name: "addresses", Collection: spatial.Addresses, Key: "id",
		Columns: []string{"division", "road", "house_number", "building", "unit", "room", "full_text", "search_name",
			"complete_text", "address_key", "lon", "lat", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			a, err := s.addresses.decode(doc)
			if err != nil {
				return nil, err
			}
			return []any{spatial.DivisionName(a.DivisionCode), a.Road, a.HouseNumber, a.Building, a.Unit, a.Room, a.FullText,
				textsearch.Normalize(a.Locality + addrtext.Short(a.Parts())), completeText(a), addressKey(a),
				a.Location.Lon, a.Location.Lat, store.FormatTime(a.UpdateTime)}, nil
		},
		Terms: func(doc []byte) (map[string][]string, error) {
			a, err := s.addresses.decode(doc)
			if err != nil {
				return nil, err
			}
			return map[string][]string{"address": {a.Locality + addrtext.Short(a.Parts())}, "road": {a.Road}}, nil
		},
		TermsTable: "address_terms",
		NameColumn: "search_name",
		AfterWrite: func(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
			if cur.Deleted {
				return unindex(ctx, tx, "address", cur.Key)
			}
			a, err := s.addresses.decode(cur.Doc)
			if err != nil {
				return err
			}
			l := a.Location
			return index(ctx, tx, "address", cur.Key, spatial.Bound{MinLon: l.Lon, MinLat: l.Lat, MaxLon: l.Lon, MaxLat: l.Lat})
		},
	})

	s.features = &collection[spatial.Feature, *spatial.Feature]{
		name: spatial.Features, key: func(f *spatial.Feature) string { return f.ID },
		schema: filter.Schema{
			"id":           {Column: "id", Kind: filter.String},
			"kind":         {Column: "kind", Kind: filter.Enum, Enum: kindValues(), Prefix: "FEATURE_KIND_"},
			"display_name": {Column: "display_name", Kind: filter.String},
			"division":     {Column: "division", Kind: filter.String},
			"subject":      {Column: "subject", Kind: filter.String},
		},
		order:       map[string]string{"id": "id", "display_name": "display_name", "update_time": "update_time"},
		defaultSort: "id",
	}
	s.features.t = temporal.NewStore(feed, temporal.Table{
		Name: "features", Collection: spatial.Features, Key: "id",
		Columns: []string{"kind", "display_name", "search_name", "division", "subject", "min_lon", "max_lon", "min_lat", "max_lat", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			f, err := s.features.decode(doc)
			if err != nil {
				return nil, err
			}
			b := f.Bound
			return []any{string(f.Kind), f.Name, textsearch.Normalize(f.Name), spatial.DivisionName(f.DivisionCode), f.Subject,
				b.MinLon, b.MaxLon, b.MinLat, b.MaxLat, store.FormatTime(f.UpdateTime)}, nil
		},
		Terms: func(doc []byte) (map[string][]string, error) {
			f, err := s.features.decode(doc)
			if err != nil {
				return nil, err
			}
			return map[string][]string{"name": {f.Name}}, nil
		},
		TermsTable: "feature_terms",
		NameColumn: "search_name",
		AfterWrite: func(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
			if cur.Deleted {
				return unindex(ctx, tx, "feature", cur.Key)
			}
			f, err := s.features.decode(cur.Doc)
			if err != nil {
				return err
			}
			return index(ctx, tx, "feature", cur.Key, f.Bound)
		},
	})
	return s, nil
}

func levelValues() map[string]any {
	m := map[string]any{}
	for _, name := range spatial.Levels {
		m[name] = name
	}
	return m
}

func kindValues() map[string]any {
	m := map[string]any{}
	for _, k := range spatial.FeatureKinds {
		m[string(k)] = string(k)
	}
	return m
}

// completeText is the text autocompletion matches prefixes of.
func completeText(a *spatial.Address) string { return addrtext.Normalize(addrtext.Short(a.Parts())) }

// addressKey identifies an address by its components within its county,
// where road names are unique.
func addressKey(a *spatial.Address) string {
	county := a.DivisionCode
	if len(county) > 6 {
		county = county[:6]
	}
	return strings.Join([]string{county, a.Road, a.HouseNumber, a.Building, a.Unit, a.Room}, "|")
}

// duplicateAddress explains a unique violation of addresses_key.
func (s *Store) duplicateAddress(ctx context.Context, a *spatial.Address) error {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM addresses WHERE address_key = ? AND `+temporal.Current+` AND deleted = 0`, addressKey(a)).Scan(&id)
	if err != nil {
		return errs.AlreadyExists("an address with these components")
	}
	return fmt.Errorf("%s has the same division, road and numbers: %w", spatial.AddressName(id), errs.ErrAlreadyExists)
}

func (s *Store) Divisions() spatial.Records[*spatial.Division] { return s.divisions }
func (s *Store) Addresses() spatial.Records[*spatial.Address]  { return s.addresses }
func (s *Store) Features() spatial.Records[*spatial.Feature]   { return s.features }

func (s *Store) RenameDivision(ctx context.Context, code, newCode string, effectiveFrom time.Time, change func(*spatial.Division) error) (*spatial.Division, error) {
	c := s.divisions
	v, err := c.t.Rename(ctx, code, newCode, effectiveFrom, c.amend(newCode, change))
	if err != nil {
		return nil, err
	}
	return c.fromVersion(v)
}

func (s *Store) DivisionRevision(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq_from), 0) FROM divisions`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read division revision: %w", err)
	}
	return n, nil
}

// collection stores one collection on its temporal table. P is the
// pointer type of the record, T the record.
type collection[T any, P interface {
	*T
	Metadata() *spatial.Meta
}] struct {
	t           *temporal.Store
	name        string
	key         func(P) string
	schema      filter.Schema
	order       map[string]string
	defaultSort string
	// duplicate, when set, explains a unique violation on create or
	// update (a second record with the same identifying components).
	duplicate func(ctx context.Context, rec P) error
}

func (c *collection[T, P]) decode(doc []byte) (P, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("decode stored %s: %w", c.name, err)
	}
	return &v, nil
}

func (c *collection[T, P]) fromVersion(v *temporal.Version) (P, error) {
	rec, err := c.decode(v.Doc)
	if err != nil {
		return nil, err
	}
	m := rec.Metadata()
	m.Retired, m.Version = v.Deleted, v.Info
	return rec, nil
}

// unique turns a unique violation into what it means.
func (c *collection[T, P]) unique(ctx context.Context, rec P, err error) error {
	if err != nil && c.duplicate != nil && rec != nil && store.IsUniqueViolation(err) {
		return c.duplicate(ctx, rec)
	}
	return err
}

func (c *collection[T, P]) Create(ctx context.Context, rec P, effectiveFrom time.Time) error {
	doc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = c.t.Create(ctx, c.key(rec), doc, effectiveFrom)
	return c.unique(ctx, rec, err)
}

func (c *collection[T, P]) Get(ctx context.Context, key string, at history.Point) (P, error) {
	v, from, err := c.t.Get(ctx, key, at)
	if err != nil {
		return nil, err
	}
	rec, err := c.fromVersion(v)
	if err != nil {
		return nil, err
	}
	rec.Metadata().RedirectedFrom = from
	return rec, nil
}

// amend turns a domain change into the temporal store's document change.
func (c *collection[T, P]) amend(key string, change func(P) error) func(*temporal.Version) ([]byte, error) {
	return func(v *temporal.Version) ([]byte, error) {
		rec, err := c.fromVersion(v)
		if err != nil {
			return nil, err
		}
		if err := change(rec); err != nil {
			return nil, err
		}
		if k := c.key(rec); k != key {
			return nil, fmt.Errorf("a write of %s/%s changed its key to %s: %w", c.name, v.Key, k, errs.ErrFailedPrecondition)
		}
		return json.Marshal(rec)
	}
}

func (c *collection[T, P]) Update(ctx context.Context, key string, o spatial.WriteOptions, change func(P) error) (P, error) {
	var changed P
	v, err := c.t.Update(ctx, key, temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire},
		c.amend(key, func(rec P) error {
			changed = rec
			return change(rec)
		}))
	if err != nil {
		return nil, c.unique(ctx, changed, err)
	}
	return c.fromVersion(v)
}

func (c *collection[T, P]) History(ctx context.Context, key string) ([]P, error) {
	vs, err := c.t.History(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]P, len(vs))
	for i, v := range vs {
		if out[i], err = c.fromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *collection[T, P]) parseOrderBy(s string) (col string, desc bool, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return c.defaultSort, false, nil
	}
	if len(f) > 2 || (len(f) == 2 && !strings.EqualFold(f[1], "desc") && !strings.EqualFold(f[1], "asc")) {
		return "", false, errs.Field("order_by", "must be one field optionally followed by asc or desc, e.g. \"update_time desc\"")
	}
	col, ok := c.order[f[0]]
	if !ok {
		names := make([]string, 0, len(c.order))
		for n := range c.order {
			names = append(names, n)
		}
		return "", false, errs.Field("order_by", "cannot order %s by %q; use %s", c.name, f[0], strings.Join(sorted(names), ", "))
	}
	return col, len(f) == 2 && strings.EqualFold(f[1], "desc"), nil
}

func (c *collection[T, P]) List(ctx context.Context, q spatial.ListQuery) ([]P, string, error) {
	col, desc, err := c.parseOrderBy(q.OrderBy)
	if err != nil {
		return nil, "", err
	}
	where, args, err := c.schema.Compile(q.Filter) // its errors name "filter"
	if err != nil {
		return nil, "", err
	}
	vs, next, err := c.t.List(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter + "\x00" + q.OrderBy,
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]P, 0, len(vs))
	for _, v := range vs {
		rec, err := c.fromVersion(v)
		if err != nil {
			return nil, "", err
		}
		out = append(out, rec)
	}
	return out, next, nil
}

func (c *collection[T, P]) Search(ctx context.Context, q spatial.SearchQuery) ([]spatial.Hit[P], string, error) {
	where, args, err := c.schema.Compile(q.Filter)
	if err != nil {
		return nil, "", err
	}
	hits, next, err := c.t.Search(ctx, temporal.SearchQuery{
		Query: q.Query, At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter,
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]spatial.Hit[P], 0, len(hits))
	for _, h := range hits {
		rec, err := c.fromVersion(h.Version)
		if err != nil {
			return nil, "", err
		}
		// The kit's score is a sum of fractions that may round a hair
		// above 1; the domain promises (0, 1].
		out = append(out, spatial.Hit[P]{Record: rec, Score: h.Score})
	}
	return out, next, nil
}

func sorted(ss []string) []string {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j] < ss[j-1]; j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	return ss
}

// ——— The change feed ———

// decodeRecord decodes a document of any collection.
func (s *Store) decodeRecord(collection string, doc []byte, deleted bool) (spatial.Record, error) {
	var r spatial.Record
	var err error
	switch collection {
	case spatial.Divisions:
		r.Division, err = s.divisions.decode(doc)
		if err == nil {
			r.Division.Retired = deleted
		}
	case spatial.Addresses:
		r.Address, err = s.addresses.decode(doc)
		if err == nil {
			r.Address.Retired = deleted
		}
	case spatial.Features:
		r.Feature, err = s.features.decode(doc)
		if err == nil {
			r.Feature.Retired = deleted
		}
	default:
		err = fmt.Errorf("unknown collection %q in the feed", collection)
	}
	return r, err
}

func (s *Store) toChange(c temporal.Change) (spatial.Change, error) {
	r, err := s.decodeRecord(c.Collection, c.Doc, c.Deleted)
	if err != nil {
		return spatial.Change{}, fmt.Errorf("change %d: %w", c.Sequence, err)
	}
	return spatial.Change{
		Sequence: c.Sequence, Collection: c.Collection, Key: c.Key, Action: c.Action, Record: r,
		Version: history.Info{Version: c.Version, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, KnownFrom: c.KnownAt, Action: c.Action, Sequence: c.Sequence},
	}, nil
}

func (s *Store) toChanges(cs []temporal.Change) ([]spatial.Change, error) {
	out := make([]spatial.Change, 0, len(cs))
	for _, c := range cs {
		sc, err := s.toChange(c)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

func (s *Store) Changes(ctx context.Context, after int64, max int) ([]spatial.Change, int64, error) {
	head, err := s.feed.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	cs, err := s.feed.Changes(ctx, after, head, max)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.toChanges(cs)
	return out, head, err
}

func (s *Store) Watch(ctx context.Context, after int64, send func([]spatial.Change) error) error {
	return s.feed.Watch(ctx, after, 500, func(cs []temporal.Change) error {
		out, err := s.toChanges(cs)
		if err != nil {
			return err
		}
		return send(out)
	})
}

func (s *Store) Export(ctx context.Context, at int64, fn func(spatial.Record) error) (int64, error) {
	if at <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return 0, err
		}
		at = head
	}
	for _, t := range []struct {
		name string
		t    *temporal.Store
	}{{spatial.Divisions, s.divisions.t}, {spatial.Addresses, s.addresses.t}, {spatial.Features, s.features.t}} {
		_, err := t.t.Snapshot(ctx, at, func(v *temporal.Version) error {
			r, err := s.decodeRecord(t.name, v.Doc, v.Deleted)
			if err != nil {
				return err
			}
			setVersion(r, v.Info)
			return fn(r)
		})
		if err != nil {
			return 0, err
		}
	}
	return at, nil
}

func setVersion(r spatial.Record, info history.Info) {
	switch {
	case r.Division != nil:
		r.Division.Version = info
	case r.Address != nil:
		r.Address.Version = info
	case r.Feature != nil:
		r.Feature.Version = info
	}
}

func (s *Store) Delta(ctx context.Context, after, upTo int64, fn func(spatial.Change) error) error {
	if upTo <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return err
		}
		upTo = head
	}
	return s.feed.Delta(ctx, after, upTo, func(c temporal.Change) error {
		sc, err := s.toChange(c)
		if err != nil {
			return err
		}
		return fn(sc)
	})
}
