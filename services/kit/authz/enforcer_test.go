package authz_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
	populationapi "github.com/zhbase/zhbase/services/population/api"
	"github.com/zhbase/zhbase/tools/demo"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func populationResources() []authz.Resource {
	return populationapi.Resources(func(_ context.Context, address string) (string, error) {
		if strings.HasPrefix(address, "addresses/zbs-") {
			return zhaobao, nil
		}
		if strings.HasPrefix(address, "addresses/jc-") {
			return jiaochuan, nil
		}
		return "", errors.New("unknown address")
	})
}

func legalEntityResources() []authz.Resource { return legalentityapi.Resources() }

type staticPolicy struct{ p *authz.Policy }

// switchPolicy is a policy source a test changes, as the exchange does.
type switchPolicy struct{ p atomic.Pointer[authz.Policy] }

func (s *switchPolicy) Current() (*authz.Policy, error) { return s.p.Load(), nil }

func (s staticPolicy) Current() (*authz.Policy, error) {
	if s.p == nil {
		return nil, errors.New("not loaded")
	}
	return s.p, nil
}

// recorder keeps audit entries in memory: the rules' tests look at what
// the enforcer hands the audit log, not at how the log stores it.
type recorder struct {
	mu      sync.Mutex
	entries []authz.AuditEntry
}

func (r *recorder) Append(_ context.Context, e authz.AuditEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func (r *recorder) last() authz.AuditEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.entries[len(r.entries)-1]
}

func newEnforcer(t testing.TB, p *authz.Policy, rec *recorder, now time.Time) (*authz.Enforcer, *auth.Signer) {
	t.Helper()
	signer, err := auth.NewSigner(testKey)
	if err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(authz.Options{
		Verifier: &auth.Verifier{Signer: signer},
		Registries: map[string]string{
			"population":  "zhbase.population.v1.PopulationService",
			"legalentity": legalentityapi.ServiceName,
		},
		Resources:    append(populationResources(), legalEntityResources()...),
		Policy:       staticPolicy{p},
		Audit:        rec,
		DefaultRate:  1000,
		DefaultBurst: 1000,
		Now:          func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, signer
}

// incoming is the context of a call arriving with id's assertion.
func incoming(s *auth.Signer, id auth.Identity) context.Context {
	md := metadata.Pairs(auth.MDAssertion, s.Sign(id))
	if id.Purpose != "" {
		md.Set(auth.MDPurpose, auth.EncodeDeclaration(id.Purpose))
		md.Set(auth.MDCaseReference, auth.EncodeDeclaration(id.CaseReference))
	}
	return metadata.NewIncomingContext(context.Background(), md)
}

const getPerson = "/zhbase.population.v1.PopulationService/GetPerson"

func callGetPerson(e *authz.Enforcer, ctx context.Context, p *populationv1.Person) (*populationv1.Person, error) {
	resp, err := e.Unary()(ctx, &populationv1.GetPersonRequest{Name: p.GetName()}, &grpc.UnaryServerInfo{FullMethod: getPerson},
		func(ctx context.Context, req any) (any, error) { return mustClone(p), nil })
	if err != nil {
		return nil, err
	}
	return resp.(*populationv1.Person), nil
}

func TestReadFiltering(t *testing.T) {
	during := t0.Add(24 * time.Hour)
	rec := &recorder{}
	e, s := newEnforcer(t, testPolicy(), rec, during)
	purpose := func(dep string) auth.Identity {
		return auth.Identity{Department: dep, Purpose: "低保资格审核", CaseReference: "MZ-2026-0001"}
	}
	inZhaobao, inJiaochuan := samplePerson(), samplePerson()
	inJiaochuan.RegisteredAddress = "addresses/jc-1"

	t.Run("the provider sees every item", func(t *testing.T) {
		got, err := callGetPerson(e, incoming(s, purpose("gaj")), inZhaobao)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetPhone() == "" || got.GetIdNumber() == "" || got.GetName() != inZhaobao.GetName() {
			t.Fatalf("provider got %v", got)
		}
	})
	t.Run("a grant holder sees unconditional and granted items only", func(t *testing.T) {
		got, err := callGetPerson(e, incoming(s, purpose("mzj")), inZhaobao)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetDisplayName() != "张三" || got.GetBirthDate() == "" || got.GetStatus() == 0 {
			t.Errorf("granted or unconditional items missing: %v", got)
		}
		if got.GetPhone() != "" || got.GetIdNumber() != "" || got.GetResidenceAddress() != "" {
			t.Errorf("items without permission left: %v", got)
		}
		if strings.Contains(got.GetName(), "199001011234") || got.GetUid() != "u-1" {
			t.Errorf("name %q reveals the hidden ID number (or uid lost)", got.GetName())
		}
	})
	t.Run("a division-scoped grant opens items of its division's residents only", func(t *testing.T) {
		got, err := callGetPerson(e, incoming(s, purpose("zbs")), inZhaobao)
		if err != nil || got.GetDisplayName() == "" || got.GetResidenceAddress() == "" {
			t.Fatalf("own resident: %v, %v", got, err)
		}
		got, err = callGetPerson(e, incoming(s, purpose("zbs")), inJiaochuan)
		if err != nil || got.GetDisplayName() != "" || got.GetResidenceAddress() != "" || got.GetStatus() == 0 {
			t.Fatalf("another division's resident: %v, %v", got, err)
		}
	})
	t.Run("personal data needs a purpose and a case reference", func(t *testing.T) {
		_, err := callGetPerson(e, incoming(s, auth.Identity{Department: "mzj"}), inZhaobao)
		if server.CodeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "Zhbase-Purpose") {
			t.Fatalf("err = %v", err)
		}
		if got := rec.last(); got.Code != codes.PermissionDenied || got.Identity.Department != "mzj" || got.Method != getPerson {
			t.Fatalf("refusal audited as %+v", got)
		}
	})
	t.Run("the provider reads its own personal items without a purpose", func(t *testing.T) {
		got, err := callGetPerson(e, incoming(s, auth.Identity{Department: "gaj"}), inZhaobao)
		if err != nil || got.GetIdNumber() == "" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("a department seeing only non-personal items needs no purpose", func(t *testing.T) {
		got, err := callGetPerson(e, incoming(s, auth.Identity{Department: "tjj"}), inZhaobao)
		if err != nil || got.GetStatus() == 0 || got.GetDisplayName() != "" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("an inactive department is refused", func(t *testing.T) {
		_, err := callGetPerson(e, incoming(s, purpose("old")), inZhaobao)
		if server.CodeOf(err) != codes.PermissionDenied {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a call without identity is refused and audited", func(t *testing.T) {
		_, err := callGetPerson(e, context.Background(), inZhaobao)
		if server.CodeOf(err) != codes.Unauthenticated {
			t.Fatalf("err = %v", err)
		}
		if got := rec.last(); got.Code != codes.Unauthenticated || got.Identity.Department != "" {
			t.Fatalf("refusal audited as %+v", got)
		}
	})
	t.Run("a forged assertion is refused", func(t *testing.T) {
		other, _ := auth.NewSigner([]byte("another key, another deployment.."))
		_, err := callGetPerson(e, incoming(other, purpose("gaj")), inZhaobao)
		if server.CodeOf(err) != codes.Unauthenticated {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("audit records name the resource and hash the request", func(t *testing.T) {
		if _, err := callGetPerson(e, incoming(s, purpose("mzj")), inZhaobao); err != nil {
			t.Fatal(err)
		}
		got := rec.last()
		if got.Code != codes.OK || got.Identity.Purpose != "低保资格审核" || len(got.RequestHash) != 64 || len(got.Resources) == 0 || got.Resources[0] != inZhaobao.GetName() {
			t.Fatalf("audited %+v", got)
		}
	})
	t.Run("change events mask the resource name they repeat", func(t *testing.T) {
		resp, err := e.Unary()(incoming(s, purpose("mzj")), &populationv1.ListPopulationChangesRequest{},
			&grpc.UnaryServerInfo{FullMethod: "/zhbase.population.v1.PopulationService/ListPopulationChanges"},
			func(ctx context.Context, req any) (any, error) {
				return &populationv1.ListPopulationChangesResponse{Changes: []*populationv1.PopulationChange{{
					Sequence: 1, Name: inZhaobao.GetName(), Resource: &populationv1.PopulationChange_Person{Person: mustClone(inZhaobao)},
				}}}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		c := resp.(*populationv1.ListPopulationChangesResponse).GetChanges()[0]
		if strings.Contains(c.GetName(), "199001011234") || c.GetPerson().GetPhone() != "" || c.GetPerson().GetDisplayName() == "" {
			t.Fatalf("change = %v", c)
		}
	})
	t.Run("a renamed person's former name is masked like its name", func(t *testing.T) {
		renamed := samplePerson()
		renamed.RedirectedFrom = "persons/330211199001019999"
		got, err := callGetPerson(e, incoming(s, purpose("mzj")), renamed)
		if err != nil || strings.Contains(got.GetRedirectedFrom(), "199001019999") || got.GetRedirectedFrom() == "" {
			t.Fatalf("redirected_from = %q, %v", got.GetRedirectedFrom(), err)
		}
	})
	t.Run("a search parameter matching a hidden item is refused", func(t *testing.T) {
		search := func(req *populationv1.SearchPersonsRequest) error {
			_, err := e.Unary()(incoming(s, purpose("mzj")), req,
				&grpc.UnaryServerInfo{FullMethod: "/zhbase.population.v1.PopulationService/SearchPersons"},
				func(ctx context.Context, req any) (any, error) { return &populationv1.SearchPersonsResponse{}, nil })
			return err
		}
		if err := search(&populationv1.SearchPersonsRequest{Query: "张"}); err != nil {
			t.Fatalf("by a granted item: %v", err)
		}
		if err := search(&populationv1.SearchPersonsRequest{Address: "addresses/zbs-1"}); server.CodeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "address") {
			t.Fatalf("by a hidden item: %v", err)
		}
	})
	t.Run("a filter cannot hide a comparison in escaped quotes", func(t *testing.T) {
		_, err := e.Unary()(incoming(s, purpose("mzj")), &populationv1.ListPersonsRequest{Filter: `display_name = "\"" OR phone = 138* OR display_name = "\""`},
			&grpc.UnaryServerInfo{FullMethod: "/zhbase.population.v1.PopulationService/ListPersons"},
			func(ctx context.Context, req any) (any, error) { return &populationv1.ListPersonsResponse{}, nil })
		if server.CodeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "phone") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a record of a type the caller sees nothing of leaves nothing", func(t *testing.T) {
		resp, err := e.Unary()(incoming(s, auth.Identity{Department: "tjj"}), &populationv1.ListPopulationChangesRequest{},
			&grpc.UnaryServerInfo{FullMethod: "/zhbase.population.v1.PopulationService/ListPopulationChanges"},
			func(ctx context.Context, req any) (any, error) {
				return &populationv1.ListPopulationChangesResponse{Changes: []*populationv1.PopulationChange{{
					Sequence: 1, Name: "households/0010000002",
					Resource: &populationv1.PopulationChange_Household{Household: &populationv1.Household{Name: "households/0010000002", HouseholdNumber: "0010000002"}},
				}}}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		c := resp.(*populationv1.ListPopulationChangesResponse).GetChanges()[0]
		if c.GetName() != "" || c.GetHousehold().GetName() != "" || c.GetHousehold().GetHouseholdNumber() != "" || c.GetSequence() != 1 {
			t.Fatalf("change = %v", c)
		}
	})
	t.Run("a list filter on a hidden item is refused", func(t *testing.T) {
		_, err := e.Unary()(incoming(s, purpose("mzj")), &populationv1.ListPersonsRequest{Filter: `phone = "13812345678"`},
			&grpc.UnaryServerInfo{FullMethod: "/zhbase.population.v1.PopulationService/ListPersons"},
			func(ctx context.Context, req any) (any, error) { return &populationv1.ListPersonsResponse{}, nil })
		if server.CodeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "phone") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSplitItems(t *testing.T) {
	e, s := newEnforcer(t, testPolicy(), &recorder{}, t0.Add(time.Hour))
	resp, err := e.Unary()(incoming(s, auth.Identity{Department: "tjj"}), &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/x"},
		&grpc.UnaryServerInfo{FullMethod: "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity"},
		func(ctx context.Context, req any) (any, error) { return legalEntityWithRepresentative(), nil })
	if err != nil {
		t.Fatal(err)
	}
	got := resp.(*legalentityv1.LegalEntity)
	if got.GetLegalRepresentative().GetName() != "李四" || got.GetLegalRepresentative().GetIdNumber() != "" || got.GetRegisteredCapital() != nil || got.GetDisplayName() == "" {
		t.Fatalf("got %v", got)
	}
}

func TestRateLimit(t *testing.T) {
	p := testPolicy()
	d := p.Departments["tjj"]
	d.RatePerSecond, d.Burst = 1, 2
	p.Departments["tjj"] = d
	e, s := newEnforcer(t, p, &recorder{}, t0)
	ctx := incoming(s, auth.Identity{Department: "tjj"})
	for i := range 2 {
		if _, err := callGetPerson(e, ctx, samplePerson()); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := callGetPerson(e, ctx, samplePerson())
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("err = %v", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() < time.Second {
		t.Fatalf("no retry delay in %v", st.Details())
	}
	if _, err := callGetPerson(e, incoming(s, auth.Identity{Department: "gaj", Purpose: "p", CaseReference: "c"}), samplePerson()); err != nil {
		t.Fatalf("another department is limited too: %v", err)
	}
	t.Run("callers without a credential share one limit", func(t *testing.T) {
		limited := 0
		for range 2000 {
			if _, err := callGetPerson(e, context.Background(), samplePerson()); server.CodeOf(err) == codes.ResourceExhausted {
				limited++
			}
		}
		if limited == 0 {
			t.Fatal("2,000 anonymous calls at once were never limited")
		}
	})
}

// serveLegalEntities runs the real legal-entity registry over bufconn with
// the production server and the enforcer in front of it.
func serveLegalEntities(t *testing.T, e *authz.Enforcer) *grpc.ClientConn {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "le.db"), Name: "legalentity"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Unary: []grpc.UnaryServerInterceptor{e.Unary()}, Stream: []grpc.StreamServerInterceptor{e.Stream()}})
	if err != nil {
		t.Fatal(err)
	}
	legalentityapi.Register(srv, legalentity.NewService(st))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestRegistryBehindEnforcer(t *testing.T) {
	rec := &recorder{}
	e, s := newEnforcer(t, testPolicy(), rec, time.Now())
	c := legalentityv1.NewLegalEntityServiceClient(serveLegalEntities(t, e))
	as := func(id auth.Identity) context.Context { return auth.OutgoingContext(context.Background(), s, id) }
	entity := demo.LegalEntities(demo.DefaultSeed, 1)[0]

	t.Run("a department that does not provide the items may not create", func(t *testing.T) {
		_, err := c.CreateLegalEntity(as(auth.Identity{Department: "tjj"}), &legalentityv1.CreateLegalEntityRequest{LegalEntity: entity})
		if server.CodeOf(err) != codes.PermissionDenied {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an invalid request is refused before validation when unauthenticated", func(t *testing.T) {
		_, err := c.GetLegalEntity(context.Background(), &legalentityv1.GetLegalEntityRequest{})
		if server.CodeOf(err) != codes.Unauthenticated {
			t.Fatalf("err = %v", err)
		}
	})
	owner := as(auth.Identity{Department: "scjgj", Application: "registration", Purpose: "登记", CaseReference: "DJ-1"})
	created, err := c.CreateLegalEntity(owner, &legalentityv1.CreateLegalEntityRequest{LegalEntity: entity})
	if err != nil {
		t.Fatalf("the provider creates: %v", err)
	}
	t.Run("members read unconditional items, not the conditional ID number", func(t *testing.T) {
		got, err := c.GetLegalEntity(as(auth.Identity{Department: "tjj"}), &legalentityv1.GetLegalEntityRequest{Name: created.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetDisplayName() == "" || got.GetLegalRepresentative().GetIdNumber() != "" || got.GetRegisteredCapital() != nil {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("an update may only name owned items", func(t *testing.T) {
		_, err := c.UpdateLegalEntity(as(auth.Identity{Department: "tjj"}), &legalentityv1.UpdateLegalEntityRequest{
			LegalEntity: &legalentityv1.LegalEntity{Name: created.GetName(), DisplayName: "改名"},
			UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		})
		if server.CodeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "display_name") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("streams are filtered message by message", func(t *testing.T) {
		stream, err := c.WatchLegalEntityChanges(as(auth.Identity{Department: "tjj"}), &legalentityv1.WatchLegalEntityChangesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		change, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if le := change.GetLegalEntity(); le.GetDisplayName() == "" || le.GetLegalRepresentative().GetIdNumber() != "" {
			t.Fatalf("change = %v", change)
		}
		// The opening is on record before the stream ends.
		if got := rec.last(); got.Detail != "stream opened" || got.Identity.Department != "tjj" {
			t.Fatalf("last audit entry = %+v", got)
		}
	})
	t.Run("services read but never write in their own name", func(t *testing.T) {
		svc := as(auth.Identity{Service: "building"})
		if _, err := c.GetLegalEntity(svc, &legalentityv1.GetLegalEntityRequest{Name: created.GetName()}); err != nil {
			t.Fatalf("reference check: %v", err)
		}
		_, err := c.DeleteLegalEntity(svc, &legalentityv1.DeleteLegalEntityRequest{Name: created.GetName()})
		if server.CodeOf(err) != codes.PermissionDenied {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStreamsFollowPolicyChanges(t *testing.T) {
	granted := testPolicy()
	granted.Grants["tjj"] = []authz.Grant{{Name: "grants/9", Department: "tjj", Type: entityType, Items: []string{"legal_representative.id_number"}, Start: time.Now().Add(-time.Hour), Expire: time.Now().Add(time.Hour)}}
	src := &switchPolicy{}
	src.p.Store(granted)
	signer, _ := auth.NewSigner(testKey)
	e, err := authz.New(authz.Options{
		Verifier:   &auth.Verifier{Signer: signer},
		Registries: map[string]string{"legalentity": legalentityapi.ServiceName},
		Resources:  legalEntityResources(), Policy: src, DefaultRate: 1000, DefaultBurst: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := legalentityv1.NewLegalEntityServiceClient(serveLegalEntities(t, e))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	owner := auth.OutgoingContext(ctx, signer, auth.Identity{Department: "scjgj"})
	stream, err := c.WatchLegalEntityChanges(auth.OutgoingContext(ctx, signer, auth.Identity{Department: "tjj", Purpose: "核对", CaseReference: "T-1"}), &legalentityv1.WatchLegalEntityChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	entities := demo.LegalEntities(demo.DefaultSeed, 3)
	next := func(i int) (*legalentityv1.LegalEntityChange, error) {
		if _, err := c.CreateLegalEntity(owner, &legalentityv1.CreateLegalEntityRequest{LegalEntity: entities[i]}); err != nil {
			t.Fatal(err)
		}
		return stream.Recv()
	}
	if ch, err := next(0); err != nil || ch.GetLegalEntity().GetLegalRepresentative().GetIdNumber() == "" {
		t.Fatalf("while granted: %v, %v", ch, err)
	}
	revoked := testPolicy()
	revoked.Revision = 2
	src.p.Store(revoked)
	if ch, err := next(1); err != nil || ch.GetLegalEntity().GetLegalRepresentative().GetIdNumber() != "" || ch.GetLegalEntity().GetDisplayName() == "" {
		t.Fatalf("after the grant was revoked: %v, %v", ch, err)
	}
	suspended := testPolicy()
	suspended.Revision = 3
	suspended.Departments["tjj"] = authz.Department{Code: "tjj", Active: false}
	src.p.Store(suspended)
	if ch, err := next(2); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("after the department was suspended: %v, %v", ch, err)
	}
}
