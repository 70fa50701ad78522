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

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/tools/demo"
)

// comparable strips what differs between an export and an event for the
// same state: the version info (an event carries the written version's).
func comparable(e *legalentityv1.LegalEntity) *legalentityv1.LegalEntity {
	c := proto.Clone(e).(*legalentityv1.LegalEntity)
	c.Version = nil
	return c
}

func export(t *testing.T, c legalentityv1.LegalEntityServiceClient, at int64) (int64, map[string]*legalentityv1.LegalEntity) {
	t.Helper()
	stream, err := c.ExportLegalEntities(context.Background(), &legalentityv1.ExportLegalEntitiesRequest{AtSequence: at})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*legalentityv1.LegalEntity{}
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
		if e := m.GetLegalEntity(); e != nil {
			out[e.GetName()] = comparable(e)
		}
	}
}

// TestConsumerFollowsTheFeedOverGRPC is the replication contract as a
// department's consumer sees it: export at a sequence, then watch from
// there while writers keep writing; killed and restarted midway, it ends
// with exactly the registry's state, every sequence seen once, none missed.
func TestConsumerFollowsTheFeedOverGRPC(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	entities := demo.LegalEntities(demo.DefaultSeed, 40)
	for _, e := range entities[:30] {
		if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: e}); err != nil {
			t.Fatal(err)
		}
	}
	start, replica := export(t, c, 0)
	if start != 30 || len(replica) != 30 {
		t.Fatalf("export at the head: sequence %d with %d entities, want 30 and 30", start, len(replica))
	}

	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				name := "legalEntities/" + entities[(i*3+w)%30].GetUscc()
				var err error
				switch {
				case i == 24:
					_, err = c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: entities[30+w*5+i%5]})
				case i%11 == 10:
					_, err = c.DeleteLegalEntity(ctx, &legalentityv1.DeleteLegalEntityRequest{Name: name})
				default:
					_, err = c.UpdateLegalEntity(ctx, &legalentityv1.UpdateLegalEntityRequest{
						LegalEntity: &legalentityv1.LegalEntity{Name: name, BusinessScope: fmt.Sprintf("writer %d, write %d", w, i)},
						UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"business_scope"}},
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
		stream, err := c.WatchLegalEntityChanges(wctx, &legalentityv1.WatchLegalEntityChangesRequest{AfterSequence: last})
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			if (stopAfter > 0 && n >= stopAfter) || (until > 0 && last >= until) {
				return // the consumer dies here; nothing it did not apply is lost
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
			replica[ch.GetName()] = comparable(ch.GetLegalEntity())
		}
	}
	follow(20, 0)
	wg.Wait()
	head, err := c.ListLegalEntityChanges(ctx, &legalentityv1.ListLegalEntityChangesRequest{AfterSequence: last, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	follow(0, head.GetHeadSequence())

	_, want := export(t, c, 0)
	if len(replica) != len(want) {
		t.Fatalf("replica has %d entities, registry %d", len(replica), len(want))
	}
	for name, w := range want {
		if !proto.Equal(replica[name], w) {
			t.Fatalf("%s diverged:\n got %v\nwant %v", name, replica[name], w)
		}
	}
}

func TestTimeTravelRetirementAndRenameOverGRPC(t *testing.T) {
	c, ctx := newClient(t), context.Background()
	e := sample(0)
	created, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: e})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetName()
	beforeChange := timestamppb.Now()
	time.Sleep(2 * time.Millisecond)
	if _, err := c.UpdateLegalEntity(ctx, &legalentityv1.UpdateLegalEntityRequest{
		LegalEntity: &legalentityv1.LegalEntity{Name: name, BusinessScope: "软件开发"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"business_scope"}},
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("valid_at before a change reads the old state", func(t *testing.T) {
		old, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name, ValidAt: beforeChange})
		if err != nil || old.GetBusinessScope() != e.GetBusinessScope() {
			t.Fatalf("Get at %v = %q, %v; want %q", beforeChange.AsTime(), old.GetBusinessScope(), err, e.GetBusinessScope())
		}
		known, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name, KnownAt: beforeChange})
		if err != nil || known.GetBusinessScope() != e.GetBusinessScope() {
			t.Fatalf("Get known at %v = %q, %v", beforeChange.AsTime(), known.GetBusinessScope(), err)
		}
	})
	t.Run("current together with a point in time is refused", func(t *testing.T) {
		_, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name, ValidAt: beforeChange, Current: true})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v", err)
		}
		_, err = c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{KnownAt: beforeChange, Current: true})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("list err = %v", err)
		}
	})
	t.Run("a retired entity still resolves, with its history", func(t *testing.T) {
		retired, err := c.DeleteLegalEntity(ctx, &legalentityv1.DeleteLegalEntityRequest{Name: name})
		if err != nil || !retired.GetRetired() {
			t.Fatalf("delete = %v, %v", retired, err)
		}
		got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name})
		if err != nil || !got.GetRetired() || got.GetVersion().GetAction() != typev1.ChangeAction_CHANGE_ACTION_RETIRED {
			t.Fatalf("get retired = %v, %v", got, err)
		}
		vs, err := c.ListLegalEntityVersions(ctx, &legalentityv1.ListLegalEntityVersionsRequest{Name: name})
		if err != nil || len(vs.GetVersions()) < 3 {
			t.Fatalf("versions = %v, %v", vs, err)
		}
		list, err := c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{})
		if err != nil || len(list.GetLegalEntities()) != 0 {
			t.Fatalf("list without show_retired = %v, %v", list.GetLegalEntities(), err)
		}
		list, err = c.ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{ShowRetired: true})
		if err != nil || len(list.GetLegalEntities()) != 1 {
			t.Fatalf("list with show_retired = %v, %v", list.GetLegalEntities(), err)
		}
	})
	t.Run("an old identifier redirects to the new one", func(t *testing.T) {
		other := sample(1)
		if _, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: other}); err != nil {
			t.Fatal(err)
		}
		newUSCC := sample(2).GetUscc()
		renamed, err := c.RenameLegalEntity(ctx, &legalentityv1.RenameLegalEntityRequest{Name: "legalEntities/" + other.GetUscc(), NewUscc: newUSCC})
		if err != nil || renamed.GetUscc() != newUSCC {
			t.Fatalf("rename = %v, %v", renamed, err)
		}
		got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + other.GetUscc()})
		if err != nil || got.GetName() != "legalEntities/"+newUSCC || got.GetRedirectedFrom() != "legalEntities/"+other.GetUscc() {
			t.Fatalf("get by the old USCC = %v, %v", got, err)
		}
		cs, err := c.ListLegalEntityChanges(ctx, &legalentityv1.ListLegalEntityChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []typev1.ChangeAction
		for i, ch := range cs.GetChanges() {
			if ch.GetSequence() != int64(i+1) {
				t.Fatalf("sequence %d at position %d", ch.GetSequence(), i)
			}
			actions = append(actions, ch.GetAction())
		}
		want := []typev1.ChangeAction{typev1.ChangeAction_CHANGE_ACTION_CREATED, typev1.ChangeAction_CHANGE_ACTION_UPDATED,
			typev1.ChangeAction_CHANGE_ACTION_RETIRED, typev1.ChangeAction_CHANGE_ACTION_CREATED,
			typev1.ChangeAction_CHANGE_ACTION_RENAMED, typev1.ChangeAction_CHANGE_ACTION_RENAMED}
		if fmt.Sprint(actions) != fmt.Sprint(want) {
			t.Fatalf("actions = %v, want %v", actions, want)
		}
	})
}
