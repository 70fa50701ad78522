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
	"math"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/page"
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
		AfterWrite: writeTerms,
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

// writeTerms indexes the current and former names for Search, inside the
// writing transaction.
func writeTerms(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
	e, err := decode(cur.Doc)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM legal_entity_terms WHERE uscc = ?`, cur.Key); err != nil {
		return fmt.Errorf("clear search terms: %w", err)
	}
	type row struct{ term, field string }
	var rows []row
	seen := map[row]bool{}
	add := func(text, field string) {
		for _, t := range textsearch.Terms(text) {
			r := row{t, field}
			if !seen[r] {
				seen[r] = true
				rows = append(rows, r)
			}
		}
	}
	add(e.Name, "name")
	for _, n := range e.FormerNames {
		add(n, "former")
	}
	const batch = 200
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		args := make([]any, 0, 3*(end-start))
		for _, r := range rows[start:end] {
			args = append(args, r.term, cur.Key, r.field)
		}
		q := `INSERT INTO legal_entity_terms (term, uscc, field) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", end-start), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("index search terms: %w", err)
		}
	}
	return nil
}

// filterSchema maps the API's filter fields to columns.
var filterSchema = filter.Schema{
	"status":                           {Column: "status", Kind: filter.Enum, Enum: enumValues(legalentity.Statuses), Prefix: "ENTITY_STATUS_"},
	"entity_type":                      {Column: "entity_type", Kind: filter.Enum, Enum: enumValues(legalentity.Types), Prefix: "ENTITY_TYPE_"},
	"industry_code":                    {Column: "industry_code", Kind: filter.String},
	"registered_address.division_code": {Column: "division_code", Kind: filter.String},
	"establishment_date":               {Column: "establishment_date", Kind: filter.Date},
	"display_name":                     {Column: "display_name", Kind: filter.String},
	"uscc":                             {Column: "uscc", Kind: filter.String},
}

func enumValues[T ~string](vals []T) map[string]any {
	m := make(map[string]any, len(vals))
	for _, v := range vals {
		m[string(v)] = string(v)
	}
	return m
}

// orderColumns are the columns List may order by; each is NOT NULL, so the
// keyset (column, uscc) is total.
var orderColumns = map[string]string{
	"uscc":               "uscc",
	"display_name":       "display_name",
	"establishment_date": "establishment_date",
	"update_time":        "update_time",
}

func parseOrderBy(s string) (col string, desc bool, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return "uscc", false, nil
	}
	if len(f) > 2 || (len(f) == 2 && !strings.EqualFold(f[1], "desc") && !strings.EqualFold(f[1], "asc")) {
		return "", false, errs.Field("order_by", "must be one field optionally followed by asc or desc, e.g. \"establishment_date desc\"")
	}
	col, ok := orderColumns[f[0]]
	if !ok {
		return "", false, errs.Field("order_by", "cannot order by %q; use uscc, display_name, establishment_date or update_time", f[0])
	}
	return col, len(f) == 2 && strings.EqualFold(f[1], "desc"), nil
}

// conditions returns the WHERE conditions shared by List and Search: the
// point in time, retirement, and the filter (whose errors name "filter").
func conditions(at history.Point, showRetired bool, f string) ([]string, []any, error) {
	where, args := temporal.At(at)
	conds := []string{where}
	if !showRetired {
		conds = append(conds, "deleted = 0")
	}
	fw, fargs, err := filterSchema.Compile(f)
	if err != nil {
		return nil, nil, err
	}
	if fw != "" {
		conds = append(conds, "("+fw+")")
		args = append(args, fargs...)
	}
	return conds, args, nil
}

// binding identifies a query for its page tokens.
func binding(kind string, at history.Point, showRetired bool, parts ...string) string {
	return strings.Join(append([]string{kind, at.String(), fmt.Sprint(showRetired)}, parts...), "\x00")
}

func (s *Store) List(ctx context.Context, q legalentity.ListQuery) (legalentity.Page, error) {
	col, desc, err := parseOrderBy(q.OrderBy)
	if err != nil {
		return legalentity.Page{}, err
	}
	conds, args, err := conditions(q.At, q.ShowRetired, q.Filter)
	if err != nil {
		return legalentity.Page{}, err
	}
	bind := binding("list", q.At, q.ShowRetired, q.Filter, q.OrderBy)
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return legalentity.Page{}, err
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	switch len(tok.After) {
	case 0:
	case 2:
		conds = append(conds, fmt.Sprintf("(%s, uscc) %s (?, ?)", col, cmp))
		args = append(args, tok.After[0], tok.After[1])
	default:
		return legalentity.Page{}, errs.Field("page_token", "is not a token of this list")
	}
	query := `SELECT ` + s.t.VersionColumns() + `, ` + col + ` FROM legal_entities WHERE ` + strings.Join(conds, " AND ") +
		fmt.Sprintf(` ORDER BY %s %s, uscc %s LIMIT ?`, col, dir, dir)
	args = append(args, q.PageSize+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return legalentity.Page{}, fmt.Errorf("select: %w", err)
	}
	defer rows.Close()
	var out legalentity.Page
	var lastKey string
	for rows.Next() {
		var key string
		v, err := temporal.ScanVersion(rows, &key)
		if err != nil {
			return legalentity.Page{}, fmt.Errorf("scan: %w", err)
		}
		if len(out.Entities) == q.PageSize {
			last := out.Entities[len(out.Entities)-1]
			out.NextPageToken = page.Encode(bind, page.Token{After: []string{lastKey, last.USCC}})
			break
		}
		e, err := fromVersion(v)
		if err != nil {
			return legalentity.Page{}, err
		}
		out.Entities = append(out.Entities, e)
		lastKey = key
	}
	return out, rows.Err()
}

func (s *Store) Search(ctx context.Context, q legalentity.SearchQuery) (legalentity.SearchPage, error) {
	terms := textsearch.QueryTerms(q.Query)
	if len(terms) == 0 {
		return legalentity.SearchPage{}, errs.Field("query", "has no searchable characters")
	}
	if len(terms) > 64 {
		terms = terms[:64]
	}
	conds, cargs, err := conditions(q.At, q.ShowRetired, q.Filter)
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	bind := binding("search", q.At, q.ShowRetired, q.Query, q.Filter)
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	// A match must share most of the query's terms; ranking then prefers
	// more shared terms, then an exact or prefix match of the current name
	// (compared normalised, so case and full-width forms do not matter),
	// then shorter names.
	need := int(math.Ceil(float64(len(terms)) * 2 / 3))
	norm := textsearch.Normalize(q.Query)
	args := []any{norm, likePrefix(norm)}
	for _, t := range terms {
		args = append(args, t)
	}
	args = append(args, need)
	args = append(args, cargs...)
	query := `SELECT ` + s.t.VersionColumns() + `, hits,
			CASE WHEN search_name = ? THEN 2 WHEN search_name LIKE ? ESCAPE '\' THEN 1 ELSE 0 END AS bonus
		FROM (
			SELECT e.*, m.hits FROM (
				SELECT uscc AS matched, MAX(hits) AS hits FROM (
					SELECT uscc, field, COUNT(DISTINCT term) AS hits FROM legal_entity_terms
					WHERE term IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(terms)), ", ") + `) GROUP BY uscc, field
				) x GROUP BY uscc HAVING MAX(hits) >= ?
			) m JOIN legal_entities e ON e.uscc = m.matched
		) r
		WHERE ` + strings.Join(conds, " AND ") + `
		ORDER BY hits DESC, bonus DESC, LENGTH(display_name), uscc LIMIT ? OFFSET ?`
	args = append(args, q.PageSize+1, tok.Offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return legalentity.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out legalentity.SearchPage
	for rows.Next() {
		var hits, bonus int
		v, err := temporal.ScanVersion(rows, &hits, &bonus)
		if err != nil {
			return legalentity.SearchPage{}, fmt.Errorf("scan: %w", err)
		}
		if len(out.Hits) == q.PageSize {
			out.NextPageToken = page.Encode(bind, page.Token{Offset: tok.Offset + q.PageSize})
			break
		}
		e, err := fromVersion(v)
		if err != nil {
			return legalentity.SearchPage{}, err
		}
		score := 0.8*float64(hits)/float64(len(terms)) + 0.1*float64(bonus)
		out.Hits = append(out.Hits, legalentity.SearchHit{Entity: e, Score: score, MatchedName: matchedName(e, terms)})
	}
	return out, rows.Err()
}

// matchedName picks the current or former name sharing most query terms.
func matchedName(e *legalentity.LegalEntity, terms []string) string {
	best, bestHits := e.Name, -1
	for _, n := range append([]string{e.Name}, e.FormerNames...) {
		have := map[string]bool{}
		for _, t := range textsearch.Terms(n) {
			have[t] = true
		}
		hits := 0
		for _, t := range terms {
			if have[t] {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = n, hits
		}
	}
	return best
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
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
