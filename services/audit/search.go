package audit

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// Page sizes of Search.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Query selects audit records; every field that is set must match.
type Query struct {
	Department string
	// Resource is an exact resource name among the record's Resources.
	Resource string
	Method   string
	Result   string
	// From is inclusive, To exclusive; zero means unbounded.
	From, To  time.Time
	PageSize  int
	PageToken string
}

// key identifies everything that shapes the result set, to bind page
// tokens to it.
func (q Query) key() string {
	return fmt.Sprintf("auditRecords?department=%q&resource=%q&method=%q&result=%q&from=%s&to=%s",
		q.Department, q.Resource, q.Method, q.Result, formatBound(q.From), formatBound(q.To))
}

func formatBound(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// Search returns one page of the records matching q, newest first, and the
// token of the next page (empty on the last). It checks no permission: the
// Service does, for callers over the API.
func Search(ctx context.Context, st Store, q Query) ([]Record, string, error) {
	var v errs.Violations
	if q.Result != "" && !codeName.MatchString(q.Result) {
		v.Add("result", "must be a gRPC code name such as OK or PERMISSION_DENIED, got %q", clean(q.Result, 40))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		v.Add("end_time", "must be after start_time")
	}
	size, err := page.Size(int32(min(max(q.PageSize, math.MinInt32), math.MaxInt32)), DefaultPageSize, MaxPageSize)
	if err != nil {
		v.Check("page_size", err)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	key := q.key()
	tok, err := page.Decode(key, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	sq := StoreQuery{
		Department: q.Department, Resource: q.Resource, Method: q.Method, Result: q.Result,
		From: q.From.UTC(), To: q.To.UTC(), Limit: size + 1,
	}
	if len(tok.After) > 0 {
		c, err := parseCursor(tok.After)
		if err != nil {
			return nil, "", err
		}
		sq.After = &c
	}
	recs, err := st.Search(ctx, sq)
	if err != nil {
		return nil, "", fmt.Errorf("search audit records: %w", err)
	}
	if len(recs) <= size {
		return recs, "", nil
	}
	recs = recs[:size]
	last := recs[size-1]
	return recs, page.Encode(key, page.Token{After: []string{last.Time.UTC().Format(timeLayout), last.ID}}), nil
}

func parseCursor(after []string) (Cursor, error) {
	bad := errs.Field("page_token", "is not a page token of this list; start again without it")
	if len(after) != 2 || strings.TrimSpace(after[1]) == "" {
		return Cursor{}, bad
	}
	t, err := time.Parse(timeLayout, after[0])
	if err != nil {
		return Cursor{}, bad
	}
	return Cursor{Time: t, ID: after[1]}, nil
}
