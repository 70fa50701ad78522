package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
)

// ListProtocol labels the List rows.
const ListProtocol = "list/grpc"

// ListThroughput is one List measurement: callers paging through the
// entities a filter selects.
type ListThroughput struct {
	// Filter is the List filter, "" for every entity.
	Filter   string
	PageSize int
	Workers  int
	// Expected is how many entities the filter selects among those seeded;
	// Walked how many a full walk returned before the measurement.
	Expected, Walked int
	// Pages has one op per page.
	Pages Result
	// Records counts the entities of the measured pages that succeeded.
	Records int64
}

// RecordsPerSec is the rate of entities received.
func (l ListThroughput) RecordsPerSec() float64 {
	if l.Pages.Elapsed <= 0 {
		return 0
	}
	return float64(l.Records) / l.Pages.Elapsed.Seconds()
}

// Name describes the measurement in the table.
func (l ListThroughput) Name() string {
	f := "all entities"
	if l.Filter != "" {
		f = "filter " + l.Filter
	}
	return fmt.Sprintf("ListLegalEntities page_size %d, %s (%d), %s", l.PageSize, f, l.Expected, callers(l.Workers))
}

// Check fails when the walk before the measurement did not return the
// entities expected, or when more than MaxErrorRate of the pages failed.
func (l ListThroughput) Check() error {
	if l.Walked != l.Expected {
		return fmt.Errorf("%s %s: a full walk returned %d entities, want %d", ListProtocol, l.Name(), l.Walked, l.Expected)
	}
	return checkResult(ListProtocol, Measurement{Name: l.Name(), Result: l.Pages})
}

// LegalEntityLister is the List call of the registry's gRPC client.
type LegalEntityLister interface {
	ListLegalEntities(ctx context.Context, in *legalentityv1.ListLegalEntitiesRequest, opts ...grpc.CallOption) (*legalentityv1.ListLegalEntitiesResponse, error)
}

// WalkList pages through everything filter selects, following
// next_page_token, and returns how many entities and pages it got. It
// fails on a repeated entity or a walk of more than maxPages pages.
func WalkList(ctx context.Context, c LegalEntityLister, filter string, pageSize, maxPages int) (records, pages int, err error) {
	seen := map[string]bool{}
	token := ""
	for {
		if pages >= maxPages {
			return records, pages, fmt.Errorf("list %q: still a next page after %d pages", filter, pages)
		}
		resp, err := c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{PageSize: int32(pageSize), PageToken: token, Filter: filter})
		if err != nil {
			return records, pages, err
		}
		pages++
		for _, e := range resp.GetLegalEntities() {
			if seen[e.GetUscc()] {
				return records, pages, fmt.Errorf("list %q: %s returned twice", filter, e.GetUscc())
			}
			seen[e.GetUscc()] = true
		}
		records += len(resp.GetLegalEntities())
		if token = resp.GetNextPageToken(); token == "" {
			return records, pages, nil
		}
	}
}

// ListPager makes the ops of a List measurement: each op fetches the next
// page of its worker's own walk through what the filter selects, starting
// over after the last page. A walk that ends with another count than
// expected fails its last page.
type ListPager struct {
	c                  LegalEntityLister
	filter             string
	pageSize, expected int

	mu    sync.Mutex
	walks map[int]*walk
	// records counts the entities of successful pages.
	records atomic.Int64
}

type walk struct {
	token string
	got   int
}

// NewListPager returns a pager over c.
func NewListPager(c LegalEntityLister, filter string, pageSize, expected int) *ListPager {
	return &ListPager{c: c, filter: filter, pageSize: pageSize, expected: expected, walks: map[int]*walk{}}
}

// Records is the number of entities the successful pages carried.
func (p *ListPager) Records() int64 { return p.records.Load() }

// Op is the measured operation: one page.
func (p *ListPager) Op(ctx context.Context, worker int, _ *rand.Rand) error {
	p.mu.Lock()
	w := p.walks[worker]
	if w == nil {
		w = &walk{}
		p.walks[worker] = w
	}
	p.mu.Unlock()
	// A worker's walk is its own: no other goroutine touches w.
	resp, err := p.c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{PageSize: int32(p.pageSize), PageToken: w.token, Filter: p.filter})
	if err != nil {
		*w = walk{} // start over
		return err
	}
	n := len(resp.GetLegalEntities())
	if n > p.pageSize {
		*w = walk{}
		return fmt.Errorf("list: a page of %d entities, page_size %d", n, p.pageSize)
	}
	w.got += n
	w.token = resp.GetNextPageToken()
	if w.token == "" {
		got := w.got
		*w = walk{}
		if got != p.expected {
			return fmt.Errorf("list %q: a walk returned %d entities, want %d", p.filter, got, p.expected)
		}
	}
	p.records.Add(int64(n))
	return nil
}

// CountSelected counts the entities with the given status whose industry
// code starts with prefix, as the filter
// `status = S AND industry_code = "P*"` selects them.
func CountSelected(entities []*legalentityv1.LegalEntity, status legalentityv1.EntityStatus, prefix string) int {
	n := 0
	for _, e := range entities {
		if e.GetStatus() == status && strings.HasPrefix(e.GetIndustryCode(), prefix) {
			n++
		}
	}
	return n
}
