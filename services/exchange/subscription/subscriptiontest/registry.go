// Package subscriptiontest gives the subscription tests the real things to
// deliver between: a legal-entity registry on its own SQLite file served
// over gRPC with the production server, a Feed that reads its change feed
// through the generated client, and a receiver that verifies and
// deduplicates deliveries the way services/exchange/webhook tells a
// department's application to.
//
// It is for tests only and must never be imported by production code.
package subscriptiontest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/services/legalentity/api"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
	"github.com/zhbase/zhbase/tools/demo"
)

// RegistryName is the registry the Feed serves.
const RegistryName = "legalentity"

// Registry is a running legal-entity registry.
type Registry struct {
	Client legalentityv1.LegalEntityServiceClient
	// Feed reads the registry's change feed as the subscription service
	// does.
	Feed *Feed
}

// LegalEntityRegistry serves a fresh legal-entity registry over bufconn
// until the test ends.
func LegalEntityRegistry(t testing.TB) *Registry {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "legalentity.db"), Name: "legalentity"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// The registry's call log would drown the test's own output.
	srv, err := server.New(server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, legalentity.NewService(st))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Shutdown(context.Background())
		db.Close()
	})
	c := legalentityv1.NewLegalEntityServiceClient(conn)
	return &Registry{Client: c, Feed: &Feed{c: c}}
}

// Entities returns n valid legal entities (checked USCCs, real divisions),
// the same for the same n.
func Entities(n int) []*legalentityv1.LegalEntity { return demo.LegalEntities(demo.DefaultSeed, n) }

// Name is the resource name of e.
func Name(e *legalentityv1.LegalEntity) string { return "legalEntities/" + e.GetUscc() }

// Create registers e and returns the sequence of its change.
func (r *Registry) Create(t testing.TB, e *legalentityv1.LegalEntity) int64 {
	t.Helper()
	got, err := r.Client.CreateLegalEntity(context.Background(), &legalentityv1.CreateLegalEntityRequest{LegalEntity: e})
	if err != nil {
		t.Fatalf("create %s: %v", Name(e), err)
	}
	return got.GetVersion().GetSequence()
}

// Touch changes the business scope of the entity named name and returns
// the sequence of the change.
func (r *Registry) Touch(t testing.TB, name, scope string) int64 {
	t.Helper()
	got, err := r.Client.UpdateLegalEntity(context.Background(), &legalentityv1.UpdateLegalEntityRequest{
		LegalEntity: &legalentityv1.LegalEntity{Name: name, BusinessScope: scope},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"business_scope"}},
	})
	if err != nil {
		t.Fatalf("update %s: %v", name, err)
	}
	return got.GetVersion().GetSequence()
}

// Feed implements subscription.Feed over the registry's
// ListLegalEntityChanges. Every department sees the whole feed: the
// registry under test has no access control.
type Feed struct {
	c legalentityv1.LegalEntityServiceClient
}

var _ subscription.Feed = (*Feed)(nil)

func (f *Feed) check(registry string) error {
	if registry != RegistryName {
		return fmt.Errorf("this test cluster has no %s registry", registry)
	}
	return nil
}

// Head implements subscription.Feed.
func (f *Feed) Head(ctx context.Context, _ subscription.Reader, registry string) (int64, error) {
	if err := f.check(registry); err != nil {
		return 0, err
	}
	resp, err := f.c.ListLegalEntityChanges(ctx, &legalentityv1.ListLegalEntityChangesRequest{Max: 1})
	if err != nil {
		return 0, err
	}
	return resp.GetHeadSequence(), nil
}

// Changes implements subscription.Feed.
func (f *Feed) Changes(ctx context.Context, _ subscription.Reader, registry string, after int64, max int) ([]subscription.Change, error) {
	if err := f.check(registry); err != nil {
		return nil, err
	}
	resp, err := f.c.ListLegalEntityChanges(ctx, &legalentityv1.ListLegalEntityChangesRequest{AfterSequence: after, Max: int32(min(max, 1000))})
	if err != nil {
		return nil, err
	}
	out := make([]subscription.Change, 0, len(resp.GetChanges()))
	for _, c := range resp.GetChanges() {
		body, err := protojson.Marshal(c)
		if err != nil {
			return nil, err
		}
		out = append(out, subscription.Change{Sequence: c.GetSequence(), Names: []string{c.GetName()}, Body: body})
	}
	return out, nil
}
