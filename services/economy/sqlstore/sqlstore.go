// Package sqlstore keeps enterprise reports in SQLite or PostgreSQL, with
// their bitemporal history and the registry's change feed
// (services/kit/temporal). It implements economy.Store and nothing else: no
// validation, and no arithmetic — totals are the domain's, made exactly
// from the figures this store streams.
package sqlstore

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
)

//go:embed migrations
var migrations embed.FS

// Collection is the API collection reports are named under; with the key
// `{uscc}/reports/{period}` it spells the resource name in events and
// errors.
const Collection = "enterprises"

const table = "economy_reports"

// Store implements economy.Store.
type Store struct {
	db   *store.DB
	feed *temporal.Feed
	t    *temporal.Store
}

var _ economy.Store = (*Store)(nil)

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
	if err := store.Migrate(ctx, db, "economy", sub); err != nil {
		return nil, err
	}
	s := &Store{db: db, feed: feed}
	s.t = temporal.NewStore(feed, temporal.Table{
		Name: table, Collection: Collection, Key: "report_key",
		Columns: []string{"uscc", "period", "period_type", "industry_code", "division_code", "above_designated_size", "employees",
			"output_value", "revenue", "revenue_order", "profit", "taxes_paid", "energy_consumption", "rd_spending", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			r, err := decode(doc)
			if err != nil {
				return nil, err
			}
			return []any{r.USCC, r.Period, string(r.PeriodType()), r.IndustryCode, r.DivisionCode, r.AboveDesignatedSize, r.Employees,
				r.OutputValue, r.Revenue, orderKey(r.Revenue), r.Profit, r.TaxesPaid, r.EnergyConsumption, r.RDSpending,
				store.FormatTime(r.UpdateTime)}, nil
		},
	})
	return s, nil
}

// Temporal exposes the temporal store, for tests that set its clock.
func (s *Store) Temporal() *temporal.Store { return s.t }

// key is the temporal key of a report.
func key(k economy.Key) string { return k.USCC + "/reports/" + k.Period }

func parseKey(s string) economy.Key {
	uscc, period, _ := strings.Cut(s, "/reports/")
	return economy.Key{USCC: uscc, Period: period}
}

// orderKey writes a non-negative decimal figure as its hundredths,
// zero-padded to 21 digits, so that text order is numeric order. The kit's
// amounts have at most 18 integer digits, so 21 always suffice.
func orderKey(amount string) string {
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(amount, "-"), ".")
	frac += "00"[min(len(frac), 2):]
	d := intPart + frac
	if len(d) >= 21 {
		return d
	}
	return strings.Repeat("0", 21-len(d)) + d
}

func decode(doc []byte) (*economy.Report, error) {
	var r economy.Report
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("decode stored report: %w", err)
	}
	return &r, nil
}

func fromVersion(v *temporal.Version) (*economy.Report, error) {
	r, err := decode(v.Doc)
	if err != nil {
		return nil, err
	}
	r.Retired, r.Version = v.Deleted, v.Info
	return r, nil
}

func (s *Store) Create(ctx context.Context, r *economy.Report, effectiveFrom time.Time) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = s.t.Create(ctx, key(r.Key()), doc, effectiveFrom)
	return err
}

func (s *Store) Get(ctx context.Context, k economy.Key, at history.Point) (*economy.Report, error) {
	v, _, err := s.t.Get(ctx, key(k), at)
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) Update(ctx context.Context, k economy.Key, o economy.WriteOptions, change func(*economy.Report) error) (*economy.Report, error) {
	v, err := s.t.Update(ctx, key(k), temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire},
		func(v *temporal.Version) ([]byte, error) {
			r, err := fromVersion(v)
			if err != nil {
				return nil, err
			}
			if err := change(r); err != nil {
				return nil, err
			}
			if r.Key() != k {
				return nil, fmt.Errorf("a write of %s changed its key to %s: %w", k.Name(), r.Key().Name(), errs.ErrFailedPrecondition)
			}
			return json.Marshal(r)
		})
	if err != nil {
		return nil, err
	}
	return fromVersion(v)
}

func (s *Store) History(ctx context.Context, k economy.Key) ([]*economy.Report, error) {
	vs, err := s.t.History(ctx, key(k))
	if err != nil {
		return nil, err
	}
	out := make([]*economy.Report, len(vs))
	for i, v := range vs {
		if out[i], err = fromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filterSchema maps the API's filter fields to columns.
var filterSchema = filter.Schema{
	"uscc":                  {Column: "uscc", Kind: filter.String},
	"period":                {Column: "period", Kind: filter.String},
	"period_type":           {Column: "period_type", Kind: filter.Enum, Enum: filter.EnumValues(economy.PeriodTypes), Prefix: "PERIOD_TYPE_"},
	"industry_code":         {Column: "industry_code", Kind: filter.String},
	"division_code":         {Column: "division_code", Kind: filter.String},
	"above_designated_size": {Column: "above_designated_size", Kind: filter.Bool},
	"employees":             {Column: "employees", Kind: filter.Int},
}

// orderBy lists the columns List may order by; each is NOT NULL, so the
// keyset (column, report_key) is total.
var orderBy = filter.OrderBy{Default: "report_key", Columns: map[string]string{
	"name":          "report_key",
	"period":        "period",
	"industry_code": "industry_code",
	"revenue":       "revenue_order",
	"update_time":   "update_time",
}}

// where compiles the filter and the parent into one condition.
func where(uscc, expr string) (string, []any, error) {
	w, args, err := filterSchema.Compile(expr) // its errors name "filter"
	if err != nil || uscc == "" {
		return w, args, err
	}
	if w == "" {
		return "uscc = ?", []any{uscc}, nil
	}
	return "uscc = ? AND " + w, append([]any{uscc}, args...), nil
}

func (s *Store) List(ctx context.Context, q economy.ListQuery) (economy.Page, error) {
	col, desc, err := orderBy.Parse(q.OrderBy)
	if err != nil {
		return economy.Page{}, err
	}
	w, args, err := where(q.USCC, q.Filter)
	if err != nil {
		return economy.Page{}, err
	}
	vs, next, err := s.t.List(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: w, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.USCC + "\x00" + q.Filter + "\x00" + q.OrderBy,
	})
	if err != nil {
		return economy.Page{}, err
	}
	out := economy.Page{NextPageToken: next}
	for _, v := range vs {
		r, err := fromVersion(v)
		if err != nil {
			return economy.Page{}, err
		}
		out.Reports = append(out.Reports, r)
	}
	return out, nil
}

// Figures reads the figure columns only, not the documents: totals over a
// district's monthly reports touch tens of thousands of rows.
func (s *Store) Figures(ctx context.Context, q economy.FigureQuery, fn func(*economy.Report) error) error {
	w, args, err := where(q.USCC, q.Filter)
	if err != nil {
		return err
	}
	at, atArgs := temporal.At(q.At)
	conds := []string{at, "deleted = 0", "period_type = ?", "period >= ?", "period <= ?"}
	all := append(atArgs, string(q.Type), q.From, q.To)
	if w != "" {
		conds = append(conds, "("+w+")")
		all = append(all, args...)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT uscc, period, industry_code, division_code, above_designated_size, employees,
			output_value, revenue, profit, taxes_paid, energy_consumption, rd_spending
		FROM `+table+` WHERE `+strings.Join(conds, " AND ")+` ORDER BY report_key`, all...)
	if err != nil {
		return fmt.Errorf("read figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r economy.Report
		if err := rows.Scan(&r.USCC, &r.Period, &r.IndustryCode, &r.DivisionCode, &r.AboveDesignatedSize, &r.Employees,
			&r.OutputValue, &r.Revenue, &r.Profit, &r.TaxesPaid, &r.EnergyConsumption, &r.RDSpending); err != nil {
			return fmt.Errorf("scan figures: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func toChange(c temporal.Change) (economy.Change, error) {
	r, err := decode(c.Doc)
	if err != nil {
		return economy.Change{}, fmt.Errorf("change %d: %w", c.Sequence, err)
	}
	r.Retired = c.Deleted
	return economy.Change{
		Sequence: c.Sequence, Key: parseKey(c.Key), Action: c.Action, Report: r,
		Version: history.Info{Version: c.Version, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, KnownFrom: c.KnownAt, Action: c.Action, Sequence: c.Sequence},
	}, nil
}

func toChanges(cs []temporal.Change) ([]economy.Change, error) {
	out := make([]economy.Change, 0, len(cs))
	for _, c := range cs {
		if c.Collection != Collection {
			continue
		}
		ec, err := toChange(c)
		if err != nil {
			return nil, err
		}
		out = append(out, ec)
	}
	return out, nil
}

func (s *Store) Changes(ctx context.Context, after int64, max int) ([]economy.Change, int64, error) {
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

func (s *Store) Watch(ctx context.Context, after int64, send func([]economy.Change) error) error {
	return s.feed.Watch(ctx, after, 500, func(cs []temporal.Change) error {
		out, err := toChanges(cs)
		if err != nil {
			return err
		}
		return send(out)
	})
}

func (s *Store) Export(ctx context.Context, at int64, fn func(*economy.Report) error) (int64, error) {
	return s.t.Snapshot(ctx, at, func(v *temporal.Version) error {
		r, err := fromVersion(v)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

func (s *Store) Delta(ctx context.Context, after, upTo int64, fn func(economy.Change) error) error {
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
		ec, err := toChange(c)
		if err != nil {
			return err
		}
		return fn(ec)
	})
}
