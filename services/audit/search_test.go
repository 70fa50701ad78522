package audit_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

const (
	getEntity    = "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity"
	getPerson    = "/zhbase.population.v1.PopulationService/GetPerson"
	listEntities = "/zhbase.legalentity.v1.LegalEntityService/ListLegalEntities"
)

// searchLog writes 120 calls over two chains, one a minute, from two
// departments, with a few resources shared among them, and returns every
// stored record newest first.
func searchLog(t *testing.T, st audit.Store, start time.Time) []audit.Record {
	c := &clock{t: start, step: 0}
	logs := []*audit.Log{
		openLog(t, st, audit.WithClock(audit.Options{Chain: newChain()}, c.now)),
		openLog(t, st, audit.WithClock(audit.Options{Chain: newChain()}, c.now)),
	}
	for i := range 120 {
		r := audit.Record{
			Department: []string{"scjgj", "gaj"}[i%2], Application: "app", Principal: "p",
			Method:    []string{getEntity, getPerson, listEntities}[i%3],
			Resources: []string{fmt.Sprintf("legalEntities/%d", i%7), fmt.Sprintf("persons/%d", i%5)},
			Result:    "OK",
		}
		if i%4 == 3 {
			r.Result, r.Detail = "PERMISSION_DENIED", "no grant"
		}
		c.set(start.Add(time.Duration(i) * time.Minute))
		if err := logs[i%2].Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var all []audit.Record
	for _, l := range logs {
		all = append(all, scanAll(t, st, l.Chain())...)
	}
	slices.SortFunc(all, func(a, b audit.Record) int { return b.Time.Compare(a.Time) })
	return all
}

func ids(recs []audit.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		start := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		all := searchLog(t, st, start)
		where := func(keep func(r audit.Record) bool) []audit.Record {
			var out []audit.Record
			for _, r := range all {
				if keep(r) {
					out = append(out, r)
				}
			}
			return out
		}
		// fetch reads every page of q, pageSize at a time.
		fetch := func(t *testing.T, q audit.Query) []audit.Record {
			var got []audit.Record
			for page := 0; ; page++ {
				recs, next, err := audit.Search(ctx, st, q)
				if err != nil {
					t.Fatalf("page %d: %v", page, err)
				}
				if q.PageSize > 0 && len(recs) > q.PageSize {
					t.Fatalf("page %d has %d records, more than %d", page, len(recs), q.PageSize)
				}
				got = append(got, recs...)
				if next == "" {
					return got
				}
				q.PageToken = next
			}
		}

		filters := []struct {
			name string
			q    audit.Query
			want []audit.Record
		}{
			{"no filter lists everything newest first", audit.Query{}, all},
			{"by department", audit.Query{Department: "gaj"}, where(func(r audit.Record) bool { return r.Department == "gaj" })},
			{"by resource, matched exactly among a record's resources", audit.Query{Resource: "persons/3"},
				where(func(r audit.Record) bool { return slices.Contains(r.Resources, "persons/3") })},
			{"a resource prefix is no match", audit.Query{Resource: "persons/"}, nil},
			{"by method", audit.Query{Method: getPerson}, where(func(r audit.Record) bool { return r.Method == getPerson })},
			{"by result: the refused calls", audit.Query{Result: "PERMISSION_DENIED"},
				where(func(r audit.Record) bool { return r.Result == "PERMISSION_DENIED" })},
			{"from is inclusive and to exclusive", audit.Query{From: start.Add(10 * time.Minute), To: start.Add(20 * time.Minute)},
				where(func(r audit.Record) bool {
					return !r.Time.Before(start.Add(10*time.Minute)) && r.Time.Before(start.Add(20*time.Minute))
				})},
			{"every filter at once", audit.Query{Department: "scjgj", Resource: "legalEntities/2", Result: "OK", From: start.Add(30 * time.Minute)},
				where(func(r audit.Record) bool {
					return r.Department == "scjgj" && slices.Contains(r.Resources, "legalEntities/2") && r.Result == "OK" && !r.Time.Before(start.Add(30*time.Minute))
				})},
			{"nothing matches", audit.Query{Department: "nobody"}, nil},
		}
		for _, tt := range filters {
			for _, size := range []int{0, 7} {
				t.Run(fmt.Sprintf("%s, page size %d", tt.name, size), func(t *testing.T) {
					q := tt.q
					q.PageSize = size
					if got := fetch(t, q); !slices.Equal(ids(got), ids(tt.want)) {
						t.Fatalf("got %d records, want %d (%v…)", len(got), len(tt.want), ids(got)[:min(3, len(got))])
					}
				})
			}
		}

		t.Run("records come back whole, resources included", func(t *testing.T) {
			recs, _, err := audit.Search(ctx, st, audit.Query{PageSize: 1})
			if err != nil || len(recs) != 1 {
				t.Fatal(err)
			}
			if r := recs[0]; r.ID != all[0].ID || !slices.Equal(r.Resources, all[0].Resources) || r.Hash != r.ComputeHash() {
				t.Fatalf("got %+v, want %+v", r, all[0])
			}
		})
		t.Run("the page size defaults to 50 and is capped at 500", func(t *testing.T) {
			for _, tt := range []struct{ ask, want int }{{0, 50}, {1000, len(all)}} {
				recs, _, err := audit.Search(ctx, st, audit.Query{PageSize: tt.ask})
				if err != nil || len(recs) != tt.want {
					t.Errorf("page size %d: %d records, %v; want %d", tt.ask, len(recs), err, tt.want)
				}
			}
		})

		bad := []struct {
			name  string
			q     func(token string) audit.Query
			field string
		}{
			{"a token with other filters is refused", func(tok string) audit.Query { return audit.Query{Department: "gaj", PageToken: tok} }, "page_token"},
			{"a token that is not one is refused", func(string) audit.Query { return audit.Query{PageToken: "garbage"} }, "page_token"},
			{"a negative page size is refused", func(string) audit.Query { return audit.Query{PageSize: -1} }, "page_size"},
			{"a result that is no gRPC code name is refused", func(string) audit.Query { return audit.Query{Result: "denied"} }, "result"},
			{"an end before the start is refused", func(string) audit.Query { return audit.Query{From: start.Add(time.Hour), To: start} }, "end_time"},
		}
		_, token, err := audit.Search(ctx, st, audit.Query{PageSize: 5})
		if err != nil || token == "" {
			t.Fatalf("first page: token %q, %v", token, err)
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := audit.Search(ctx, st, tt.q(token))
				var inv *errs.InvalidError
				if !errors.As(err, &inv) || inv.Violations[0].Field != tt.field {
					t.Fatalf("Search = %v, want a violation on %s", err, tt.field)
				}
			})
		}
	})
}
