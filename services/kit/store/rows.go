package store

import (
	"context"
	"strings"
)

// maxParams bounds the placeholders of one statement, below both SQLite's
// limit (32766) and PostgreSQL's (65535).
const maxParams = 30000

// InsertRows inserts rows with as few statements as the placeholder limit
// allows: head (e.g. `INSERT INTO t (a, b) VALUES `), then row (e.g.
// `(?, ?)`) once per row, then tail (e.g. an ON CONFLICT clause). Every row
// must have as many values as row has placeholders.
func InsertRows(ctx context.Context, q Querier, head, row string, rows [][]any, tail string) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, maxParams/len(rows[0]))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		args := make([]any, 0, (end-start)*len(rows[0]))
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		stmt := head + strings.TrimSuffix(strings.Repeat(row+", ", end-start), ", ") + tail
		if _, err := q.ExecContext(ctx, stmt, args...); err != nil {
			return err
		}
	}
	return nil
}

// Placeholders is a row of n `?` placeholders, `(?, ?, …)`.
func Placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
