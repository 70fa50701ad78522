package temporal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/textsearch"
)

// ListQuery selects one page of records at a point in time. The registry
// compiles its filter into Where (and Args) and chooses the order column;
// the store adds the time point, retirement and keyset pagination.
type ListQuery struct {
	At          Point
	ShowDeleted bool
	// Where is an extra SQL condition over the table's columns, or "".
	Where string
	Args  []any
	// OrderBy is a NOT NULL column of the table; the key when empty. Ties
	// are broken by the key, so pages never overlap or skip.
	OrderBy string
	Desc    bool
	// PageSize must be positive; PageToken is from a previous page.
	PageSize  int
	PageToken string
	// Binding identifies the request (filter, order, …) so that a page
	// token cannot be replayed against another query.
	Binding string
}

// conditions are the WHERE terms every read shares.
func conditions(at Point, showDeleted bool, where string, args []any) ([]string, []any) {
	w, a := At(at)
	conds := []string{w}
	if !showDeleted {
		conds = append(conds, "deleted = 0")
	}
	if where != "" {
		conds = append(conds, "("+where+")")
		a = append(a, args...)
	}
	return conds, a
}

func (s *Store) binding(kind, b string, at Point, showDeleted bool) string {
	return strings.Join([]string{kind, s.t.Name, b, at.String(), fmt.Sprint(showDeleted)}, "\x00")
}

// List returns one page of versions and the token of the next page ("" on
// the last).
func (s *Store) List(ctx context.Context, q ListQuery) ([]*Version, string, error) {
	col := q.OrderBy
	if col == "" {
		col = s.t.Key
	}
	conds, args := conditions(q.At, q.ShowDeleted, q.Where, q.Args)
	bind := s.binding("list", q.Binding+"\x00"+col+fmt.Sprint(q.Desc), q.At, q.ShowDeleted)
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	cmp, dir := ">", "ASC"
	if q.Desc {
		cmp, dir = "<", "DESC"
	}
	switch len(tok.After) {
	case 0:
	case 2:
		conds = append(conds, fmt.Sprintf("(%s, %s) %s (?, ?)", col, s.t.Key, cmp))
		args = append(args, tok.After[0], tok.After[1])
	default:
		return nil, "", errs.Field("page_token", "is not a token of this list")
	}
	query := `SELECT ` + s.VersionColumns() + `, ` + col + ` FROM ` + s.t.Name + ` WHERE ` + strings.Join(conds, " AND ") +
		fmt.Sprintf(` ORDER BY %s %s, %s %s LIMIT ?`, col, dir, s.t.Key, dir)
	args = append(args, q.PageSize+1)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", s.t.Collection, err)
	}
	defer rows.Close()
	var out []*Version
	var keys []string
	for rows.Next() {
		var key any
		v, err := scanVersion(rows, &key)
		if err != nil {
			return nil, "", fmt.Errorf("scan: %w", err)
		}
		out = append(out, v)
		keys = append(keys, fmt.Sprint(asText(key)))
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) <= q.PageSize {
		return out, "", nil
	}
	last := q.PageSize - 1
	return out[:q.PageSize], page.Encode(bind, page.Token{After: []string{keys[last], out[last].Key}}), nil
}

// asText turns a scanned column value into the text the keyset compares.
func asText(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// SearchQuery finds records by the terms of their names (see Table.Terms).
type SearchQuery struct {
	Query       string
	At          Point
	ShowDeleted bool
	Where       string
	Args        []any
	PageSize    int
	PageToken   string
	Binding     string
}

// Hit is one ranked search result.
type Hit struct {
	*Version
	// Score is in (0, 1]: the share of the query's terms a name holds
	// (0.8 at most), plus 0.2 when the record's main name equals the query
	// or 0.1 when it starts with it (compared normalised).
	Score float64
}

// Search ranks records whose names share most of the query's terms. It
// needs Table.Terms, Table.TermsTable and Table.NameColumn.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]Hit, string, error) {
	if s.t.TermsTable == "" || s.t.NameColumn == "" {
		return nil, "", fmt.Errorf("%s is not searchable: %w", s.t.Collection, errs.ErrFailedPrecondition)
	}
	terms := textsearch.QueryTerms(q.Query)
	if len(terms) == 0 {
		return nil, "", errs.Field("query", "has no searchable characters")
	}
	if len(terms) > 64 {
		terms = terms[:64]
	}
	conds, cargs := conditions(q.At, q.ShowDeleted, q.Where, q.Args)
	bind := s.binding("search", q.Binding+"\x00"+q.Query, q.At, q.ShowDeleted)
	tok, err := page.Decode(bind, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	need := int(math.Ceil(float64(len(terms)) * 2 / 3))
	norm := textsearch.Normalize(q.Query)
	args := []any{norm, likePrefix(norm)}
	for _, t := range terms {
		args = append(args, t)
	}
	args = append(args, need)
	args = append(args, cargs...)
	k := s.t.Key
	query := `SELECT ` + s.VersionColumns() + `, hits,
			CASE WHEN ` + s.t.NameColumn + ` = ? THEN 2 WHEN ` + s.t.NameColumn + ` LIKE ? ESCAPE '\' THEN 1 ELSE 0 END AS bonus
		FROM (
			SELECT t.*, m.hits FROM (
				SELECT ` + k + ` AS matched, terms_key AS matched_terms, MAX(hits) AS hits FROM (
					SELECT ` + k + `, terms_key, field, COUNT(DISTINCT term) AS hits FROM ` + s.t.TermsTable + `
					WHERE term IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(terms)), ", ") + `) GROUP BY ` + k + `, terms_key, field
				) x GROUP BY ` + k + `, terms_key HAVING MAX(hits) >= ?
			) m JOIN ` + s.t.Name + ` t ON t.` + k + ` = m.matched AND t.terms_key = m.matched_terms
		) r
		WHERE ` + strings.Join(conds, " AND ") + `
		ORDER BY hits DESC, bonus DESC, LENGTH(` + s.t.NameColumn + `), ` + k + ` LIMIT ? OFFSET ?`
	args = append(args, q.PageSize+1, tok.Offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("search %s: %w", s.t.Collection, err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var hits, bonus int
		v, err := scanVersion(rows, &hits, &bonus)
		if err != nil {
			return nil, "", fmt.Errorf("scan: %w", err)
		}
		// Rounding can lift an exact match a hair above 1; the score is
		// documented to lie in (0, 1].
		score := min(1, 0.8*float64(hits)/float64(len(terms))+0.1*float64(bonus))
		out = append(out, Hit{Version: v, Score: score})
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) <= q.PageSize {
		return out, "", nil
	}
	return out[:q.PageSize], page.Encode(bind, page.Token{Offset: tok.Offset + q.PageSize}), nil
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// termsOf returns the texts Table.Terms names in doc, and a key that is the
// same for every version with the same texts: versions share their terms, so
// a write that changes no name writes no terms.
func (s *Store) termsOf(doc []byte) (map[string][]string, string, error) {
	fields, err := s.t.Terms(doc)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, f := range names {
		for _, text := range fields[f] {
			fmt.Fprintf(h, "%s\x00%s\x00", f, text)
		}
	}
	return fields, hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// writeTerms indexes one set of names of a record inside the writing
// transaction, unless a version with the same names did already. Terms are
// kept for every set of names a record has had, so that a search at a past
// point matches the names the record had then.
func (s *Store) writeTerms(ctx context.Context, tx *store.Tx, key, termsKey string, fields map[string][]string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+s.t.TermsTable+` WHERE `+s.t.Key+` = ? AND terms_key = ?`, key, termsKey).Scan(&n); err != nil {
		return fmt.Errorf("look up search terms: %w", err)
	}
	if n > 0 {
		return nil
	}
	type row struct{ term, field string }
	var rows []row
	seen := map[row]bool{}
	for field, texts := range fields {
		for _, text := range texts {
			for _, t := range textsearch.Terms(text) {
				if r := (row{t, field}); !seen[r] {
					seen[r] = true
					rows = append(rows, r)
				}
			}
		}
	}
	const batch = 200
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		args := make([]any, 0, 4*(end-start))
		for _, r := range rows[start:end] {
			args = append(args, r.term, key, termsKey, r.field)
		}
		q := `INSERT INTO ` + s.t.TermsTable + ` (term, ` + s.t.Key + `, terms_key, field) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", end-start), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("index search terms: %w", err)
		}
	}
	return nil
}
