package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/tools/demo"
)

// fakeLister pages through n entities with offset tokens; it can repeat an
// entity or fail a call.
type fakeLister struct {
	n       int
	repeat  bool // the second page starts with the first page's last entity
	failAt  string
	mu      sync.Mutex
	calls   int
	filters map[string]bool
}

func (f *fakeLister) ListLegalEntities(_ context.Context, in *legalentityv1.ListLegalEntitiesRequest, _ ...grpc.CallOption) (*legalentityv1.ListLegalEntitiesResponse, error) {
	f.mu.Lock()
	f.calls++
	if f.filters == nil {
		f.filters = map[string]bool{}
	}
	f.filters[in.GetFilter()] = true
	f.mu.Unlock()
	if in.GetPageToken() == f.failAt && f.failAt != "" {
		return nil, errors.New("unavailable")
	}
	from := 0
	if in.GetPageToken() != "" {
		var err error
		if from, err = strconv.Atoi(in.GetPageToken()); err != nil {
			return nil, err
		}
		if f.repeat {
			from--
		}
	}
	to := min(from+int(in.GetPageSize()), f.n)
	resp := &legalentityv1.ListLegalEntitiesResponse{}
	for i := from; i < to; i++ {
		resp.LegalEntities = append(resp.LegalEntities, &legalentityv1.LegalEntity{Uscc: fmt.Sprintf("E%05d", i)})
	}
	if to < f.n {
		resp.NextPageToken = strconv.Itoa(to)
	}
	return resp, nil
}

func TestWalkList(t *testing.T) {
	ctx := context.Background()
	f := &fakeLister{n: 250}
	records, pages, err := WalkList(ctx, f, "status = ACTIVE", 100, 10)
	if err != nil || records != 250 || pages != 3 {
		t.Errorf("WalkList = %d records, %d pages, %v; want 250, 3", records, pages, err)
	}
	if !f.filters["status = ACTIVE"] {
		t.Errorf("filter not passed: %v", f.filters)
	}
	if records, pages, err := WalkList(ctx, &fakeLister{n: 0}, "", 100, 10); err != nil || records != 0 || pages != 1 {
		t.Errorf("empty: %d records, %d pages, %v", records, pages, err)
	}
	if _, _, err := WalkList(ctx, &fakeLister{n: 250}, "", 100, 2); err == nil || !strings.Contains(err.Error(), "after 2 pages") {
		t.Errorf("page bound: %v", err)
	}
	if _, _, err := WalkList(ctx, &fakeLister{n: 250, repeat: true}, "", 100, 10); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("repeated entity: %v", err)
	}
	if _, _, err := WalkList(ctx, &fakeLister{n: 250, failAt: "100"}, "", 100, 10); err == nil {
		t.Error("a failed page must fail the walk")
	}
}

func TestListPagerWalksEachWorkerThroughEveryPage(t *testing.T) {
	f := &fakeLister{n: 250}
	p := NewListPager(f, "", 100, 250)
	// Two workers, interleaved: each keeps its own token.
	for i := 0; i < 6; i++ {
		for w := range 2 {
			if err := p.Op(context.Background(), w, nil); err != nil {
				t.Fatalf("op %d of worker %d: %v", i, w, err)
			}
		}
	}
	// Six pages each: two whole walks of 100+100+50.
	if got := p.Records(); got != 2*2*250 {
		t.Errorf("Records = %d, want %d", got, 2*2*250)
	}

	// A walk that ends with another count than expected fails its last
	// page, and the worker starts over.
	short := NewListPager(&fakeLister{n: 250}, "", 100, 260)
	var errs []error
	for range 6 {
		errs = append(errs, short.Op(context.Background(), 0, nil))
	}
	for i, err := range errs {
		if last := i%3 == 2; (err != nil) != last {
			t.Errorf("page %d: %v", i, err)
		}
	}
	if short.Records() != 2*200 {
		t.Errorf("Records = %d, want only the successful pages' 400", short.Records())
	}

	// A failed call restarts the walk.
	flaky := NewListPager(&fakeLister{n: 250, failAt: "200"}, "", 100, 250)
	for i, wantErr := range []bool{false, false, true, false, false, true} {
		if err := flaky.Op(context.Background(), 0, nil); (err != nil) != wantErr {
			t.Errorf("page %d: %v", i, err)
		}
	}
}

func TestListPagerUnderRun(t *testing.T) {
	f := &fakeLister{n: 1234}
	p := NewListPager(f, "", 100, 1234)
	res := Run(context.Background(), 4, 50*time.Millisecond, p.Op)
	if res.Errors != 0 || res.Ops == 0 {
		t.Fatalf("Run: %d errors of %d (%s)", res.Errors, res.Ops, res.FirstError)
	}
	l := ListThroughput{PageSize: 100, Workers: 4, Expected: 1234, Walked: 1234, Pages: res, Records: p.Records()}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
	if l.RecordsPerSec() <= 0 || l.RecordsPerSec() > 100*res.OpsPerSec+1 {
		t.Errorf("%.0f records/s at %.0f pages/s of at most 100", l.RecordsPerSec(), res.OpsPerSec)
	}
	l.Walked = 1200
	if err := l.Check(); err == nil || !strings.Contains(err.Error(), "want 1234") {
		t.Errorf("Check with a short walk = %v", err)
	}
}

func TestCountSelected(t *testing.T) {
	es := demo.LegalEntities(demo.DefaultSeed, 500)
	got := CountSelected(es, legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE, "C")
	want := 0
	for _, e := range es {
		if e.GetStatus() == legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE && e.GetIndustryCode()[0] == 'C' {
			want++
		}
	}
	if got != want || got == 0 || got == len(es) {
		t.Errorf("CountSelected = %d, want %d (some but not all of %d)", got, want, len(es))
	}
	if n := CountSelected(es, legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE, ""); n <= got || n >= len(es) {
		t.Errorf("active entities: %d", n)
	}
}
