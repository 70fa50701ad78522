// Package sqlstore keeps legal entities in SQLite or PostgreSQL. It
// implements legalentity.Store and nothing else: no validation, no masking.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/textsearch"
	"github.com/zhbase/zhbase/services/legalentity"
)

//go:embed migrations
var migrations embed.FS

// Store implements legalentity.Store.
type Store struct {
	db *store.DB
}

var _ legalentity.Store = (*Store)(nil)

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, sub); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

func (s *Store) Create(ctx context.Context, e *legalentity.LegalEntity) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO legal_entities
			(uscc, display_name, entity_type, status, industry_code, division_code, establishment_date, create_time, update_time, revision, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.USCC, e.Name, string(e.Type), string(e.Status), e.IndustryCode, e.Address.DivisionCode, e.EstablishedOn,
			store.FormatTime(e.CreateTime), store.FormatTime(e.UpdateTime), e.Revision, string(doc))
		if store.IsUniqueViolation(err) {
			return errs.AlreadyExists(legalentity.ResourceName(e.USCC))
		}
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return writeTerms(ctx, tx, e)
	})
}

func (s *Store) Get(ctx context.Context, uscc string) (*legalentity.LegalEntity, error) {
	return get(ctx, s.db, uscc, false)
}

func get(ctx context.Context, q store.Querier, uscc string, forUpdate bool) (*legalentity.LegalEntity, error) {
	query := `SELECT doc FROM legal_entities WHERE uscc = ?`
	if forUpdate && q.Dialect() == store.Postgres {
		query += ` FOR UPDATE`
	}
	var doc string
	err := q.QueryRowContext(ctx, query, uscc).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound(legalentity.ResourceName(uscc))
	}
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	return decode(doc)
}

func decode(doc string) (*legalentity.LegalEntity, error) {
	var e legalentity.LegalEntity
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return nil, fmt.Errorf("decode stored entity: %w", err)
	}
	return &e, nil
}

func (s *Store) Update(ctx context.Context, uscc string, change func(*legalentity.LegalEntity) error) (*legalentity.LegalEntity, error) {
	var out *legalentity.LegalEntity
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		e, err := get(ctx, tx, uscc, true)
		if err != nil {
			return err
		}
		if err := change(e); err != nil {
			return err
		}
		if e.USCC != uscc {
			return fmt.Errorf("update of %s changed its USCC to %s: %w", uscc, e.USCC, errs.ErrFailedPrecondition)
		}
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE legal_entities SET display_name = ?, entity_type = ?, status = ?,
			industry_code = ?, division_code = ?, establishment_date = ?, update_time = ?, revision = ?, doc = ?
			WHERE uscc = ?`,
			e.Name, string(e.Type), string(e.Status), e.IndustryCode, e.Address.DivisionCode, e.EstablishedOn,
			store.FormatTime(e.UpdateTime), e.Revision, string(doc), uscc); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM legal_entity_terms WHERE uscc = ?`, uscc); err != nil {
			return fmt.Errorf("clear search terms: %w", err)
		}
		out = e
		return writeTerms(ctx, tx, e)
	})
	return out, err
}

// writeTerms indexes the current and former names for Search.
func writeTerms(ctx context.Context, tx *store.Tx, e *legalentity.LegalEntity) error {
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
		var b strings.Builder
		args := make([]any, 0, 3*(end-start))
		b.WriteString(`INSERT INTO legal_entity_terms (term, uscc, field) VALUES `)
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, r.term, e.USCC, r.field)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
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

func compileFilter(f string) (string, []any, error) {
	// Compile's errors already name the "filter" field.
	return filterSchema.Compile(f)
}

func (s *Store) List(ctx context.Context, q legalentity.ListQuery) (legalentity.Page, error) {
	col, desc, err := parseOrderBy(q.OrderBy)
	if err != nil {
		return legalentity.Page{}, err
	}
	where, args, err := compileFilter(q.Filter)
	if err != nil {
		return legalentity.Page{}, err
	}
	binding := "list\x00" + q.Filter + "\x00" + q.OrderBy
	tok, err := page.Decode(binding, q.PageToken)
	if err != nil {
		return legalentity.Page{}, err
	}
	var conds []string
	if where != "" {
		conds = append(conds, "("+where+")")
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	if len(tok.After) == 2 {
		conds = append(conds, fmt.Sprintf("(%s, uscc) %s (?, ?)", col, cmp))
		args = append(args, tok.After[0], tok.After[1])
	} else if len(tok.After) != 0 {
		return legalentity.Page{}, errs.Field("page_token", "is not a list token")
	}
	query := `SELECT doc, ` + col + ` FROM legal_entities`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, " AND ")
	}
	query += fmt.Sprintf(` ORDER BY %s %s, uscc %s LIMIT ?`, col, dir, dir)
	args = append(args, q.PageSize+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return legalentity.Page{}, fmt.Errorf("select: %w", err)
	}
	defer rows.Close()
	var out legalentity.Page
	var lastKey string
	for rows.Next() {
		var doc, key string
		if err := rows.Scan(&doc, &key); err != nil {
			return legalentity.Page{}, fmt.Errorf("scan: %w", err)
		}
		if len(out.Entities) == q.PageSize {
			last := out.Entities[len(out.Entities)-1]
			out.NextPageToken = page.Encode(binding, page.Token{After: []string{lastKey, last.USCC}})
			break
		}
		e, err := decode(doc)
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
	where, fargs, err := compileFilter(q.Filter)
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	binding := "search\x00" + q.Query + "\x00" + q.Filter
	tok, err := page.Decode(binding, q.PageToken)
	if err != nil {
		return legalentity.SearchPage{}, err
	}
	// A match must share most of the query's terms; ranking then prefers
	// more shared terms, then an exact or prefix match of the current name,
	// then shorter names.
	need := int(math.Ceil(float64(len(terms)) * 2 / 3))
	args := make([]any, 0, len(terms)+len(fargs)+6)
	for _, t := range terms {
		args = append(args, t)
	}
	args = append(args, need)
	query := `SELECT e.doc, m.hits,
			CASE WHEN e.display_name = ? THEN 2 WHEN e.display_name LIKE ? ESCAPE '\' THEN 1 ELSE 0 END
		FROM (
			SELECT uscc, MAX(hits) AS hits FROM (
				SELECT uscc, field, COUNT(DISTINCT term) AS hits FROM legal_entity_terms
				WHERE term IN (` + placeholders(len(terms)) + `) GROUP BY uscc, field
			) x GROUP BY uscc HAVING MAX(hits) >= ?
		) m JOIN legal_entities e ON e.uscc = m.uscc`
	args = append([]any{q.Query, likePrefix(q.Query)}, args...)
	if where != "" {
		query += ` WHERE ` + where
		args = append(args, fargs...)
	}
	query += ` ORDER BY m.hits DESC, 3 DESC, LENGTH(e.display_name), e.uscc LIMIT ? OFFSET ?`
	args = append(args, q.PageSize+1, tok.Offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return legalentity.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out legalentity.SearchPage
	for rows.Next() {
		var doc string
		var hits, bonus int
		if err := rows.Scan(&doc, &hits, &bonus); err != nil {
			return legalentity.SearchPage{}, fmt.Errorf("scan: %w", err)
		}
		if len(out.Hits) == q.PageSize {
			out.NextPageToken = page.Encode(binding, page.Token{Offset: tok.Offset + q.PageSize})
			break
		}
		e, err := decode(doc)
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

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
