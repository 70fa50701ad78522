package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
)

// comparable strips what differs between an export and an event for the
// same state: the version info (an event carries the written version's).
func comparable(r *economyv1.Report) *economyv1.Report {
	c := proto.Clone(r).(*economyv1.Report)
	c.Version = nil
	return c
}

func export(t *testing.T, c economyv1.EconomyServiceClient, at int64) (int64, map[string]*economyv1.Report) {
	t.Helper()
	stream, err := c.ExportReports(context.Background(), &economyv1.ExportReportsRequest{AtSequence: at})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*economyv1.Report{}
	var seq int64
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return seq, out
		}
		if err != nil {
			t.Fatal(err)
		}
		seq = m.GetSequence()
		if r := m.GetReport(); r != nil {
			out[r.GetName()] = comparable(r)
		}
	}
}

// TestConsumerFollowsTheFeedOverGRPC is the replication contract as a
// department's consumer sees it: export at a sequence, then watch from
// there while writers keep writing; stopped and restarted midway, it ends
// with exactly the registry's state, every sequence seen once, none missed.
func TestConsumerFollowsTheFeedOverGRPC(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	reqs := samples(t, 2)
	h.registered(reqs...)
	for _, r := range reqs[:30] {
		h.create(t, r)
	}
	start, replica := export(t, h.c, 0)
	if start != 30 || len(replica) != 30 {
		t.Fatalf("export at the head: sequence %d with %d reports, want 30 and 30", start, len(replica))
	}

	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				req := reqs[(i*3+w)%30]
				name := req.GetParent() + "/reports/" + req.GetPeriod()
				var err error
				switch {
				case i == 24:
					_, err = h.c.CreateReport(ctx, reqs[30+w*5+i%5])
				case i%11 == 10:
					_, err = h.c.DeleteReport(ctx, &economyv1.DeleteReportRequest{Name: name})
				default:
					_, err = h.c.UpdateReport(ctx, &economyv1.UpdateReportRequest{
						Report:     &economyv1.Report{Name: name, TaxesPaid: fmt.Sprintf("%d.%02d", w, i)},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"taxes_paid"}},
						Correction: true,
					})
				}
				if status.Code(err) == codes.FailedPrecondition {
					err = nil // retired by the other writer meanwhile
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}

	last := start
	seen := map[int64]bool{}
	follow := func(stopAfter int, until int64) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := h.c.WatchReportChanges(wctx, &economyv1.WatchReportChangesRequest{AfterSequence: last})
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			if (stopAfter > 0 && n >= stopAfter) || (until > 0 && last >= until) {
				return // the consumer stops here; nothing it did not apply is lost
			}
			ch, err := stream.Recv()
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			if seen[ch.GetSequence()] || ch.GetSequence() != last+1 {
				t.Fatalf("got sequence %d after %d (seen before: %v)", ch.GetSequence(), last, seen[ch.GetSequence()])
			}
			seen[ch.GetSequence()] = true
			last = ch.GetSequence()
			replica[ch.GetName()] = comparable(ch.GetReport())
		}
	}
	follow(20, 0)
	wg.Wait()
	head, err := h.c.ListReportChanges(ctx, &economyv1.ListReportChangesRequest{AfterSequence: last, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	follow(0, head.GetHeadSequence())

	_, want := export(t, h.c, 0)
	if len(replica) != len(want) {
		t.Fatalf("replica has %d reports, registry %d", len(replica), len(want))
	}
	for name, w := range want {
		if !proto.Equal(replica[name], w) {
			t.Fatalf("%s diverged:\n got %v\nwant %v", name, replica[name], w)
		}
	}

	t.Run("the delta from the export's sequence brings the export to the head", func(t *testing.T) {
		_, delta := export(t, h.c, start)
		stream, err := h.c.ExportReportDelta(ctx, &economyv1.ExportReportDeltaRequest{AfterSequence: start})
		if err != nil {
			t.Fatal(err)
		}
		for {
			ch, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			delta[ch.GetName()] = comparable(ch.GetReport())
		}
		if len(delta) != len(want) {
			t.Fatalf("export + delta has %d reports, the registry %d", len(delta), len(want))
		}
		for name, w := range want {
			if !proto.Equal(delta[name], w) {
				t.Fatalf("%s differs after the delta:\n got %v\nwant %v", name, delta[name], w)
			}
		}
	})
}

func TestTimeTravelAndRetirementOverGRPC(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	created := h.create(t, samples(t, 1)[0])
	name := created.GetName()
	beforeRevision := timestamppb.Now()
	time.Sleep(2 * time.Millisecond)
	if _, err := h.c.UpdateReport(ctx, &economyv1.UpdateReportRequest{
		Report:     &economyv1.Report{Name: name, Revenue: "1.00"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"revenue"}},
		Correction: true,
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("known_at before a revision reads the figures first filed", func(t *testing.T) {
		old, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: name, KnownAt: beforeRevision})
		if err != nil || old.GetRevenue() != created.GetRevenue() {
			t.Fatalf("Get known at %v = %q, %v; want %q", beforeRevision.AsTime(), old.GetRevenue(), err, created.GetRevenue())
		}
		list, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-", KnownAt: beforeRevision})
		if err != nil || len(list.GetReports()) != 1 || list.GetReports()[0].GetRevenue() != created.GetRevenue() {
			t.Fatalf("List known at %v = %v, %v", beforeRevision.AsTime(), list.GetReports(), err)
		}
		agg, err := h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{Parent: "enterprises/-", GroupBy: economyv1.GroupBy_GROUP_BY_PERIOD,
			StartPeriod: "2022", KnownAt: beforeRevision})
		if err != nil || agg.GetTotal().GetTotals().GetRevenue() != created.GetRevenue() {
			t.Fatalf("Aggregate known at %v = %v, %v", beforeRevision.AsTime(), agg.GetTotal(), err)
		}
	})
	t.Run("current together with a point in time is refused", func(t *testing.T) {
		_, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: name, KnownAt: beforeRevision, Current: true})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v", err)
		}
		_, err = h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{Parent: "enterprises/-", GroupBy: economyv1.GroupBy_GROUP_BY_PERIOD,
			StartPeriod: "2022", KnownAt: beforeRevision, Current: true})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("aggregate err = %v", err)
		}
	})
	t.Run("a retired report still resolves, with its history", func(t *testing.T) {
		retired, err := h.c.DeleteReport(ctx, &economyv1.DeleteReportRequest{Name: name, Etag: "2"})
		if err != nil || !retired.GetRetired() {
			t.Fatalf("delete = %v, %v", retired, err)
		}
		got, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: name})
		if err != nil || !got.GetRetired() || got.GetVersion().GetAction() != typev1.ChangeAction_CHANGE_ACTION_RETIRED {
			t.Fatalf("get retired = %v, %v", got, err)
		}
		vs, err := h.c.ListReportVersions(ctx, &economyv1.ListReportVersionsRequest{Name: name, PageSize: 2})
		if err != nil || len(vs.GetVersions()) != 2 || vs.GetNextPageToken() == "" {
			t.Fatalf("first page of versions = %v, %v", vs, err)
		}
		rest, err := h.c.ListReportVersions(ctx, &economyv1.ListReportVersionsRequest{Name: name, PageSize: 2, PageToken: vs.GetNextPageToken()})
		if err != nil || len(rest.GetVersions()) != 2 || rest.GetNextPageToken() != "" {
			t.Fatalf("second page of versions = %v, %v", rest, err)
		}
		list, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-"})
		if err != nil || len(list.GetReports()) != 0 {
			t.Fatalf("list without show_retired = %v, %v", list.GetReports(), err)
		}
		list, err = h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-", ShowRetired: true})
		if err != nil || len(list.GetReports()) != 1 {
			t.Fatalf("list with show_retired = %v, %v", list.GetReports(), err)
		}
		cs, err := h.c.ListReportChanges(ctx, &economyv1.ListReportChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []typev1.ChangeAction
		for _, ch := range cs.GetChanges() {
			actions = append(actions, ch.GetAction())
		}
		want := []typev1.ChangeAction{typev1.ChangeAction_CHANGE_ACTION_CREATED, typev1.ChangeAction_CHANGE_ACTION_CORRECTED, typev1.ChangeAction_CHANGE_ACTION_RETIRED}
		if fmt.Sprint(actions) != fmt.Sprint(want) {
			t.Fatalf("actions = %v, want %v", actions, want)
		}
	})
}
