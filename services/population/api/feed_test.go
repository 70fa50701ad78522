package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
)

// replica is what a department's consumer keeps: households by name, and
// persons by uid, since bulk reads mask the ID number and with it the
// person's name. A number change leaves a tombstone under the old number
// that carries the same uid; it is a redirect, not a person, and the
// consumer skips it.
type replica struct {
	households map[string]*populationv1.Household
	persons    map[string]*populationv1.Person
}

func newReplica() *replica {
	return &replica{households: map[string]*populationv1.Household{}, persons: map[string]*populationv1.Person{}}
}

// comparable strips what differs between an export and an event for the
// same state: the version info (an event carries the written version's).
func comparable[T proto.Message](m T) T {
	c := proto.Clone(m).(T)
	switch x := any(c).(type) {
	case *populationv1.Person:
		x.Version = nil
	case *populationv1.Household:
		x.Version = nil
	}
	return c
}

func isRedirect(p *populationv1.Person) bool {
	return p.GetRetired() && p.GetVersion().GetAction() == typev1.ChangeAction_CHANGE_ACTION_RENAMED
}

func (r *replica) applyPerson(p *populationv1.Person) {
	if !isRedirect(p) {
		r.persons[p.GetUid()] = comparable(p)
	}
}

func (r *replica) apply(c *populationv1.PopulationChange) {
	switch {
	case c.GetPerson() != nil:
		p := c.GetPerson()
		if c.GetAction() == typev1.ChangeAction_CHANGE_ACTION_RENAMED && p.GetRetired() {
			return // the redirect left under the old number
		}
		r.persons[p.GetUid()] = comparable(p)
	case c.GetHousehold() != nil:
		r.households[c.GetName()] = comparable(c.GetHousehold())
	}
}

func export(t *testing.T, c populationv1.PopulationServiceClient, at int64) (int64, *replica) {
	t.Helper()
	stream, err := c.ExportPopulation(ctx, &populationv1.ExportPopulationRequest{AtSequence: at})
	if err != nil {
		t.Fatal(err)
	}
	r := newReplica()
	var seq int64
	personsBegan := false
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return seq, r
		}
		if err != nil {
			t.Fatal(err)
		}
		seq = m.GetSequence()
		switch {
		case m.GetHousehold() != nil:
			if personsBegan {
				t.Fatal("a household came after persons: a replica could not load it in order")
			}
			r.households[m.GetHousehold().GetName()] = comparable(m.GetHousehold())
		case m.GetPerson() != nil:
			personsBegan = true
			r.applyPerson(m.GetPerson())
		}
	}
}

// TestConsumerFollowsTheFeedOverGRPC is the replication contract as a
// department's consumer sees it: export at a sequence, then watch from
// there while writers keep writing (updates, retirements, a merge, a
// number upgrade); killed and restarted midway, it ends with exactly the
// registry's state, every sequence seen once, none missed.
func TestConsumerFollowsTheFeedOverGRPC(t *testing.T) {
	e := newEnv(t)
	hs := seed(t, e.c, 60)
	start, r := export(t, e.c, 0)
	if len(r.persons) != 60 || len(r.households) != len(hs) {
		t.Fatalf("export at the head: %d persons, %d households", len(r.persons), len(hs))
	}

	newcomer := personIn(t, 3, "new1", populationv1.Relation_RELATION_HEAD)
	legacyNumber := newcomer.GetIdNumber()[:6] + newcomer.GetIdNumber()[8:17]
	newcomer.IdNumber, newcomer.Sex, newcomer.BirthDate = legacyNumber, populationv1.Sex_SEX_UNSPECIFIED, ""

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // updates and retirements of persons
		defer wg.Done()
		for i := 0; i < 20; i++ {
			p := hs[i%len(hs)].Members[0]
			var err error
			if i == 19 {
				_, err = e.c.DeletePerson(ctx, &populationv1.DeletePersonRequest{Name: "persons/" + hs[5].Members[len(hs[5].Members)-1].GetIdNumber()})
			} else {
				_, err = e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
					Person:     &populationv1.Person{Name: "persons/" + p.GetIdNumber(), Phone: fmt.Sprintf("139%08d", i)},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}},
				})
			}
			if status.Code(err) == codes.FailedPrecondition {
				err = nil // moved, retired or deceased meanwhile
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() { // households: a new one, a merge, and a legacy record upgraded
		defer wg.Done()
		if _, err := e.c.CreateHousehold(ctx, &populationv1.CreateHouseholdRequest{Household: &populationv1.Household{
			HouseholdNumber: "NEW1", HouseholdType: populationv1.HouseholdType_HOUSEHOLD_TYPE_FAMILY, RegisteredAddress: demoAddresses[0].Name,
		}}); err != nil {
			t.Error(err)
			return
		}
		if _, err := e.c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: newcomer, LegacyIdNumber: true}); err != nil {
			t.Error(err)
			return
		}
		if _, err := e.c.MergeHouseholds(ctx, &populationv1.MergeHouseholdsRequest{Name: hs[1].Household.GetName(), MergedHousehold: hs[2].Household.GetName()}); err != nil {
			t.Error(err)
			return
		}
		if _, err := e.c.RenamePerson(ctx, &populationv1.RenamePersonRequest{Name: "persons/" + legacyNumber}); err != nil {
			t.Error(err)
		}
	}()

	last := start
	follow := func(stopAfter int, until int64) {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := e.c.WatchPopulationChanges(wctx, &populationv1.WatchPopulationChangesRequest{AfterSequence: last})
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
			if ch.GetSequence() != last+1 {
				t.Fatalf("got sequence %d after %d", ch.GetSequence(), last)
			}
			last = ch.GetSequence()
			r.apply(ch)
		}
	}
	follow(15, 0)
	wg.Wait()
	head, err := e.c.ListPopulationChanges(ctx, &populationv1.ListPopulationChangesRequest{AfterSequence: last, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	follow(0, head.GetHeadSequence())

	_, want := export(t, e.c, 0)
	if len(r.persons) != len(want.persons) || len(r.households) != len(want.households) {
		t.Fatalf("replica has %d persons and %d households, registry %d and %d", len(r.persons), len(r.households), len(want.persons), len(want.households))
	}
	for uid, w := range want.persons {
		if !proto.Equal(r.persons[uid], w) {
			t.Fatalf("person %s diverged:\n got %v\nwant %v", uid, r.persons[uid], w)
		}
	}
	for name, w := range want.households {
		if !proto.Equal(r.households[name], w) {
			t.Fatalf("%s diverged:\n got %v\nwant %v", name, r.households[name], w)
		}
	}
	if !want.households[hs[2].Household.GetName()].GetRetired() {
		t.Fatal("the merged household is not retired in the export")
	}
}

// The feed carries persons as stored; what each department may see of them
// is the enforcer's to decide (services/kit/authz, tested there and in the
// cluster test).
func TestAPersonsChangeAppearsInTheFeedAsStored(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	p := create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	if _, err := e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
		Person: &populationv1.Person{Name: p.GetName(), Phone: "13912345678"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := e.c.ListPopulationChanges(ctx, &populationv1.ListPopulationChangesRequest{AfterSequence: 2})
	if err != nil || len(resp.GetChanges()) != 1 {
		t.Fatalf("changes = %v, %v", resp, err)
	}
	c := resp.GetChanges()[0]
	id := p.GetIdNumber()
	if c.GetName() != "persons/"+id || c.GetAction() != typev1.ChangeAction_CHANGE_ACTION_UPDATED ||
		c.GetPerson().GetPhone() != "13912345678" || c.GetPerson().GetIdNumber() != id || c.GetPerson().GetUid() != p.GetUid() {
		t.Fatalf("change = %v", c)
	}
	stream, err := e.c.ExportPopulationDelta(ctx, &populationv1.ExportPopulationDeltaRequest{AfterSequence: 0})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, fmt.Sprintf("%d %s", m.GetSequence(), m.GetName()))
	}
	if want := fmt.Sprint([]string{"1 households/h1", "3 persons/" + id}); fmt.Sprint(names) != want {
		t.Fatalf("delta = %v, want %v", names, want)
	}
}
