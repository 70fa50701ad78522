// Package sqlstore keeps legal entities in SQLite or PostgreSQL, with their
// bitemporal history and the registry's change feed (services/kit/temporal).
// It implements legalentity.Store and nothing else: no validation, no
// masking.
package sqlstore

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
	"github.com/zhbase/zhbase/services/legalentity"
)

//go:embed migrations
var migrations embed.FS

// Collection is the API collection of legal entities.
const Collection = "legalEntities"

// Store implements legalentity.Store.
type Store struct {
	db   *store.DB
	feed *temporal.Feed
	t    *temporal.Store
}

var _ legalentity.Store = (*Store)(nil)

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
	if err := store.Migrate(ctx, db, "legalentity", sub); err != nil {
		return nil, err
	}
	s := &Store{db: db, feed: feed}
	s.t = temporal.NewStore(feed, temporal.Table{
		Name: "legal_entities", Collection: Collection, Key: "uscc",
		Columns: []string{"display_name", "search_name", "entity_type", "status", "industry_code", "division_code", "establishment_date", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			e, err := decode(doc)
			if err != nil {
				return nil, err
			}
			return []any{e.Name, textsearch.Normalize(e.Name), string(e.Type), string(e.Status), e.IndustryCode,
				e.Address.DivisionCode, e.EstablishedOn, store.FormatTime(e.UpdateTime)}, nil
		},
		Terms: func(doc []byte) (map[string][]string, error) {
			e, err := decode(doc)
			if err != nil {
				return nil, err
			}
			return map[string][]string{"name": {e.Name}, "former": e.FormerNames}, nil
		},
		TermsTable: "legal_entity_terms",
		NameColumn: "search_name",
	})
	return s, nil
}

// Temporal exposes the temporal store, for the kit-level contract tests.
func (s *Store) Temporal() *temporal.Store { return s.t }

func decode(doc []byte) (*legalentity.LegalEntity, error) {
	var e legalentity.LegalEntity
	if err := json.Unmarshal(doc, &e); err != nil {
		return nil, fmt.Errorf("decode stored entity: %w", err)
	}
	return &e, nil
}

func fromVersion(v *temporal.Version) (*legalentity.LegalEntity, error) {
	e, err := decode(v.Doc)
	if err != nil {
		return nil, err
	}
	e.Retired, e.Version = v.Deleted, v.Info
	return e, nil
}

func (s *Store) Create(ctx context.Context, e *legalentity.LegalEntity, effectiveFrom time.Time) error {
	doc, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = s.t.Create(ctx, e.USCC, doc, effectiveFrom)
	return err
}

func (s *Store) Get(ctx context.Context, uscc string, at history.Point) (*legalentity.LegalEntity, error) {
	v, from, err := s.t.Get(ctx, uscc, at)
	if err != nil {
		return nil, err
	}
	e, err := fromVersion(v)
	if err != nil {
		return nil, err
	}
	e.RedirectedFrom = from
	return e, nil
}

// amend turns a domain change into the temporal store's document change.
func amend(key string, change func(*legalentity.LegalEntity) error) func(*temporal.Version) ([]byte, error) {
	return func(v *temporal.Version) ([]byte, error) {
		e, err := fromVersion(v)
		if err != nil {
			return nil, err
		}
		if err := change(e); err != nil {
			return nil, err
		}
		if e.USCC != key {
			return nil, fmt.Errorf("a write of %s changed its USCC to %s; use Rename: %w", v.Key, e.USCC, errs.ErrFailedPrecondition)
		}
		return json.Marshal(e)
	}
}

func (s *Store) Update(ctx context.Context, uscc string, o legalentity.WriteOptions, change func(*legalentity.LegalEntity) error) (*legalentity.LegalEntity, error) {
	v, err := s.t.Update(ctx, uscc, temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire}, amend(uscc, change))
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) Rename(ctx context.Context, uscc, newUSCC string, effectiveFrom time.Time, change func(*legalentity.LegalEntity) error) (*legalentity.LegalEntity, error) {
	v, err := s.t.Rename(ctx, uscc, newUSCC, effectiveFrom, amend(newUSCC, change))
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) History(ctx context.Context, uscc string) ([]*legalentity.LegalEntity, error) {
	vs, err := s.t.History(ctx, uscc)
	if err != nil {
		return nil, err
	}
	out := make([]*legalentity.LegalEntity, len(vs))
	for i, v := range vs {
		if out[i], err = fromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filterSchema maps the API's filter fields to columns.
var filterSchema = filter.Schema{
	"status":                           {Column: "status", Kind: filter.Enum, Enum: filter.EnumValues(legalentity.Statuses), Prefix: "ENTITY_STATUS_"},
	"entity_type":                      {Column: "entity_type", Kind: filter.Enum, Enum: filter.EnumValues(legalentity.Types), Prefix: "ENTITY_TYPE_"},
	"industry_code":                    {Column: "industry_code", Kind: filter.String},
	"registered_address.division_code": {Column: "division_code", Kind: filter.String},
	"establishment_date":               {Column: "establishment_date", Kind: filter.Date},
	"display_name":                     {Column: "display_name", Kind: filter.String},
	"uscc":                             {Column: "uscc", Kind: filter.String},
}

// orderBy lists the columns List may order by; each is NOT NULL, so the
// keyset (column, uscc) is total.
var orderBy = filter.OrderBy{Default: "uscc", Columns: map[string]string{
	"uscc":               "uscc",
	"display_name":       "display_name",
	"establishment_date": "establishment_date",
	"update_time":        "update_time",
}}

func (s *Store) List(ctx context.Context, q legalentity.ListQuery) (legalentity.Page, error) {
	col, desc, err := orderBy.Parse(q.OrderBy)
	if err != nil {
		return legalentity.Page{}, err
	}
	where, args, err := filterSchema.Compile(q.Filter) // its errors name "filter"
	if err != nil {
		return legalentity.Page{}, err
	}
	vs, next, err := s.t.List(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter + "\x00" + q.OrderBy,
	})
	if err != nil {
		return legalentity.Page{}, err
	}
	out := legalentity.Page{NextPageToken: next}
	for _, v := range vs {
		e, err := fromVersion(v)
		if err != nil {
			return legalentity.Page{}, err
		}
		out.Entities = append(out.Entities, e)
	}
	return out, nil
}

func (s *Store) Search(ctx context.Context, q legalentity.SearchQuery) (legalentity.SearchPage, error) {
	where, args, err := filterSchema.Compile(q.Filter)
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	hits, next, err := s.t.Search(ctx, temporal.SearchQuery{
		Query: q.Query, At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter,
	})
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	out := legalentity.SearchPage{NextPageToken: next}
	for _, h := range hits {
		e, err := fromVersion(h.Version)
		if err != nil {
			return legalentity.SearchPage{}, err
		}
		out.Hits = append(out.Hits, legalentity.SearchHit{Entity: e, Score: h.Score, MatchedName: textsearch.BestMatch(q.Query, append([]string{e.Name}, e.FormerNames...)...)})
	}
	return out, nil
}

func toChange(c temporal.Change) (legalentity.Change, error) {
	e, err := decode(c.Doc)
	if err != nil {
		return legalentity.Change{}, fmt.Errorf("change %d: %w", c.Sequence, err)
	}
	e.Retired = c.Deleted
	return legalentity.Change{
		Sequence: c.Sequence, USCC: c.Key, Action: c.Action, Entity: e,
		Version: history.Info{Version: c.Version, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, KnownFrom: c.KnownAt, Action: c.Action, Sequence: c.Sequence},
	}, nil
}

func toChanges(cs []temporal.Change) ([]legalentity.Change, error) {
	out := make([]legalentity.Change, 0, len(cs))
	for _, c := range cs {
		if c.Collection != Collection {
			continue
		}
		lc, err := toChange(c)
		if err != nil {
			return nil, err
		}
		out = append(out, lc)
	}
	return out, nil
}

func (s *Store) Changes(ctx context.Context, after int64, max int) ([]legalentity.Change, int64, error) {
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

func (s *Store) Watch(ctx context.Context, after int64, send func([]legalentity.Change) error) error {
	return s.feed.Watch(ctx, after, 500, func(cs []temporal.Change) error {
		out, err := toChanges(cs)
		if err != nil {
			return err
		}
		return send(out)
	})
}

func (s *Store) Export(ctx context.Context, at int64, fn func(*legalentity.LegalEntity) error) (int64, error) {
	return s.t.Snapshot(ctx, at, func(v *temporal.Version) error {
		e, err := fromVersion(v)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

func (s *Store) Delta(ctx context.Context, after, upTo int64, fn func(legalentity.Change) error) error {
	if upTo <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return err
		}
		upTo = head
	}
	return s.feed.Delta(ctx, after, upTo, func(c temporal.Change) error {
		if c.Collection != Collection {
			return nil
		}
		lc, err := toChange(c)
		if err != nil {
			return err
		}
		return fn(lc)
	})
}
