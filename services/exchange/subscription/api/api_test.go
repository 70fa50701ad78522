package api_test

import (
	"context"
	"encoding/base64"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/exchange/subscription/api"
	"github.com/zhbase/zhbase/services/exchange/subscription/sqlstore"
	"github.com/zhbase/zhbase/services/exchange/subscription/subscriptiontest"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// callers are the identities the test's authentication stands in for: the
// kit's verifier would establish them from an API key or an assertion.
var callers = map[string]auth.Identity{
	"scjgj":   {Department: "scjgj", Application: "watcher"},
	"gaj":     {Department: "gaj", Application: "hukou"},
	"admin":   {Department: "dsjj", Application: "console", Admin: true},
	"service": {Service: "gateway"},
}

// identify puts the caller named by the x-api-key metadata into the
// context, as the authentication interceptor does; without a key the call
// has no identity.
func identify(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if keys := md.Get(auth.MDAPIKey); len(keys) == 1 {
		if id, ok := callers[keys[0]]; ok {
			ctx = auth.NewContext(ctx, id)
		}
	}
	return handler(ctx, req)
}

func as(caller string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), auth.MDAPIKey, caller)
}

type fixture struct {
	c   exchangev1.SubscriptionServiceClient
	reg *subscriptiontest.Registry
	svc *subscription.Service
}

// serve runs the subscription service with the production server over
// bufconn, reading a real legal-entity registry.
func serve(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	reg := subscriptiontest.LegalEntityRegistry(t)
	st, err := sqlstore.Open(ctx, storetest.OpenSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := subscription.New(st, subscription.Options{
		Feed: reg.Feed, Registries: subscription.DefaultRegistries, SealingKey: []byte("0123456789abcdef0123456789abcdef"),
		WorkerID: "exchange-test", PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Unary: []grpc.UnaryServerInterceptor{identify}})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, svc)
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
	})
	if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: api.ServiceName}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health of %s = %v, %v", api.ServiceName, resp.GetStatus(), err)
	}
	return &fixture{c: exchangev1.NewSubscriptionServiceClient(conn), reg: reg, svc: svc}
}

func (f *fixture) create(t *testing.T, caller string, s *exchangev1.Subscription) *exchangev1.Subscription {
	t.Helper()
	got, err := f.c.CreateSubscription(as(caller), &exchangev1.CreateSubscriptionRequest{Subscription: s})
	if err != nil {
		t.Fatalf("create as %s: %v", caller, err)
	}
	return got
}

func watch(callback string, records ...string) *exchangev1.Subscription {
	return &exchangev1.Subscription{Registry: "legalentity", CallbackUri: callback, Records: records}
}

// fieldViolations returns the BadRequest field names of a status error.
func fieldViolations(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func TestCreateReturnsTheSecretOnlyThere(t *testing.T) {
	f := serve(t)
	for _, e := range subscriptiontest.Entities(3) {
		f.reg.Create(t, e)
	}
	end := timestamppb.New(time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second))
	in := watch("https://apps.scjgj.example.gov.cn/zhbase/events", "legalEntities/"+subscriptiontest.Entities(1)[0].GetUscc())
	in.EndTime = end
	created := f.create(t, "scjgj", in)

	id, ok := strings.CutPrefix(created.GetName(), "subscriptions/")
	if !ok || id == "" {
		t.Fatalf("name = %q", created.GetName())
	}
	raw, err := base64.RawURLEncoding.DecodeString(created.GetSecret())
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q is not base64url of 32 bytes (%d, %v)", created.GetSecret(), len(raw), err)
	}
	want := &exchangev1.Subscription{
		Name: created.GetName(), Department: "departments/scjgj", Registry: "legalentity",
		Records: in.GetRecords(), CallbackUri: in.GetCallbackUri(), EndTime: end,
		Start: exchangev1.SubscriptionStart_SUBSCRIPTION_START_FROM_NOW, AfterSequence: 3,
		State: exchangev1.SubscriptionState_SUBSCRIPTION_STATE_ACTIVE, DeliveredSequence: 3,
		CreateTime: created.GetCreateTime(), UpdateTime: created.GetCreateTime(), Secret: created.GetSecret(),
	}
	if !proto.Equal(created, want) {
		t.Fatalf("created = %v\nwant      %v", created, want)
	}
	got, err := f.c.GetSubscription(as("scjgj"), &exchangev1.GetSubscriptionRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	want.Secret = ""
	if !proto.Equal(got, want) {
		t.Fatalf("Get = %v\nwant  %v", got, want)
	}
	list, err := f.c.ListSubscriptions(as("scjgj"), &exchangev1.ListSubscriptionsRequest{})
	if err != nil || len(list.GetSubscriptions()) != 1 || list.GetSubscriptions()[0].GetSecret() != "" {
		t.Fatalf("List = %v, %v", list, err)
	}

	replay := f.create(t, "scjgj", &exchangev1.Subscription{Registry: "legalentity", CallbackUri: "http://10.20.1.5:8080/hook",
		Start: exchangev1.SubscriptionStart_SUBSCRIPTION_START_AFTER_SEQUENCE, AfterSequence: 1})
	if replay.GetAfterSequence() != 1 || replay.GetDeliveredSequence() != 1 || replay.GetStart() != exchangev1.SubscriptionStart_SUBSCRIPTION_START_AFTER_SEQUENCE {
		t.Fatalf("a subscription starting after 1 = %v", replay)
	}
	if replay.GetSecret() == created.GetSecret() {
		t.Fatal("two subscriptions share a secret")
	}
}

func TestCreateRefusesBadInputNamingTheField(t *testing.T) {
	f := serve(t)
	f.reg.Create(t, subscriptiontest.Entities(1)[0])
	ok := func() *exchangev1.Subscription { return watch("https://apps.example.gov.cn/hook") }
	tests := []struct {
		rule   string
		sub    func() *exchangev1.Subscription
		field  string
		reason string
	}{
		{"the callback must be http or https", func() *exchangev1.Subscription {
			s := ok()
			s.CallbackUri = "ftp://apps.example.gov.cn/hook"
			return s
		}, "subscription.callback_uri", "http or https"},
		{"the callback must not carry credentials", func() *exchangev1.Subscription {
			s := ok()
			s.CallbackUri = "https://user:pass@apps.example.gov.cn/hook"
			return s
		}, "subscription.callback_uri", "user information"},
		{"the callback must name a host", func() *exchangev1.Subscription {
			s := ok()
			s.CallbackUri = "https:///hook"
			return s
		}, "subscription.callback_uri", "host"},
		{"the callback must be absolute", func() *exchangev1.Subscription {
			s := ok()
			s.CallbackUri = "/hook"
			return s
		}, "subscription.callback_uri", "http or https"},
		{"the callback is at most 2048 characters", func() *exchangev1.Subscription {
			s := ok()
			s.CallbackUri = "https://apps.example.gov.cn/" + strings.Repeat("a", 2030)
			return s
		}, "subscription.callback_uri", ""},
		{"the registry must have a feed", func() *exchangev1.Subscription {
			s := ok()
			s.Registry = "weather"
			return s
		}, "subscription.registry", "unknown registry"},
		{"records must be names of the registry's records", func() *exchangev1.Subscription {
			s := ok()
			s.Records = []string{"legalEntities/91330211MA2H4LQX0D", "persons/330211199001011234"}
			return s
		}, "subscription.records[1]", "not a resource name of the legalentity registry"},
		{"records must be whole names", func() *exchangev1.Subscription {
			s := ok()
			s.Records = []string{"legalEntities/"}
			return s
		}, "subscription.records[0]", "not a resource name"},
		{"the end must be in the future", func() *exchangev1.Subscription {
			s := ok()
			s.EndTime = timestamppb.New(time.Now().Add(-time.Minute))
			return s
		}, "subscription.end_time", "future"},
		{"a start sequence must exist in the feed", func() *exchangev1.Subscription {
			s := ok()
			s.Start, s.AfterSequence = exchangev1.SubscriptionStart_SUBSCRIPTION_START_AFTER_SEQUENCE, 2
			return s
		}, "subscription.after_sequence", "beyond"},
		{"a start sequence needs start AFTER_SEQUENCE", func() *exchangev1.Subscription {
			s := ok()
			s.AfterSequence = 1
			return s
		}, "subscription.after_sequence", "only allowed"},
		{"the start must be a defined value", func() *exchangev1.Subscription {
			s := ok()
			s.Start = 9
			return s
		}, "subscription.start", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := f.c.CreateSubscription(as("scjgj"), &exchangev1.CreateSubscriptionRequest{Subscription: tt.sub()})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
			if fields := fieldViolations(err); !slices.Contains(fields, tt.field) {
				t.Fatalf("violations %v, want one on %s (%v)", fields, tt.field, err)
			}
			if !strings.Contains(status.Convert(err).Message(), tt.reason) {
				t.Fatalf("message %q does not say %q", status.Convert(err).Message(), tt.reason)
			}
		})
	}
	t.Run("nothing was stored", func(t *testing.T) {
		list, err := f.c.ListSubscriptions(as("scjgj"), &exchangev1.ListSubscriptionsRequest{})
		if err != nil || len(list.GetSubscriptions()) != 0 {
			t.Fatalf("List = %v, %v", list, err)
		}
	})
}

func TestCallersSeeAndChangeOnlyTheirOwn(t *testing.T) {
	f := serve(t)
	mine := f.create(t, "scjgj", watch("https://apps.scjgj.example.gov.cn/hook"))
	theirs := f.create(t, "gaj", watch("https://apps.gaj.example.gov.cn/hook"))
	name := &exchangev1.GetSubscriptionRequest{Name: mine.GetName()}

	calls := map[string]func(ctx context.Context) error{
		"create": func(ctx context.Context) error {
			_, err := f.c.CreateSubscription(ctx, &exchangev1.CreateSubscriptionRequest{Subscription: watch("https://x.example/hook")})
			return err
		},
		"get": func(ctx context.Context) error { _, err := f.c.GetSubscription(ctx, name); return err },
		"list": func(ctx context.Context) error {
			_, err := f.c.ListSubscriptions(ctx, &exchangev1.ListSubscriptionsRequest{})
			return err
		},
		"delete": func(ctx context.Context) error {
			_, err := f.c.DeleteSubscription(ctx, &exchangev1.DeleteSubscriptionRequest{Name: mine.GetName()})
			return err
		},
		"resume": func(ctx context.Context) error {
			_, err := f.c.ResumeSubscription(ctx, &exchangev1.ResumeSubscriptionRequest{Name: mine.GetName()})
			return err
		},
		"rotate": func(ctx context.Context) error {
			_, err := f.c.RotateSubscriptionSecret(ctx, &exchangev1.RotateSubscriptionSecretRequest{Name: mine.GetName()})
			return err
		},
		"deliveries": func(ctx context.Context) error {
			_, err := f.c.ListDeliveries(ctx, &exchangev1.ListDeliveriesRequest{Parent: mine.GetName()})
			return err
		},
	}
	for method, call := range calls {
		t.Run(method+" without a caller is unauthenticated", func(t *testing.T) {
			if err := call(context.Background()); status.Code(err) != codes.Unauthenticated {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run(method+" by a service principal is denied", func(t *testing.T) {
			if err := call(as("service")); status.Code(err) != codes.PermissionDenied {
				t.Fatalf("err = %v", err)
			}
		})
		if method != "create" && method != "list" {
			t.Run(method+" of another department's subscription finds nothing", func(t *testing.T) {
				if err := call(as("gaj")); status.Code(err) != codes.NotFound {
					t.Fatalf("err = %v", err)
				}
			})
		}
	}
	t.Run("a department lists its own", func(t *testing.T) {
		list, err := f.c.ListSubscriptions(as("gaj"), &exchangev1.ListSubscriptionsRequest{})
		if err != nil || len(list.GetSubscriptions()) != 1 || list.GetSubscriptions()[0].GetName() != theirs.GetName() {
			t.Fatalf("gaj's list = %v, %v", list, err)
		}
	})
	t.Run("the administering department sees every department's", func(t *testing.T) {
		list, err := f.c.ListSubscriptions(as("admin"), &exchangev1.ListSubscriptionsRequest{PageSize: 1})
		if err != nil || len(list.GetSubscriptions()) != 1 || list.GetNextPageToken() == "" {
			t.Fatalf("admin's first page = %v, %v", list, err)
		}
		rest, err := f.c.ListSubscriptions(as("admin"), &exchangev1.ListSubscriptionsRequest{PageSize: 1, PageToken: list.GetNextPageToken()})
		if err != nil || len(rest.GetSubscriptions()) != 1 || rest.GetNextPageToken() != "" {
			t.Fatalf("admin's second page = %v, %v", rest, err)
		}
		if _, err := f.c.GetSubscription(as("admin"), name); err != nil {
			t.Fatalf("admin's Get: %v", err)
		}
	})
	t.Run("a malformed name is invalid, naming the field", func(t *testing.T) {
		_, err := f.c.GetSubscription(as("scjgj"), &exchangev1.GetSubscriptionRequest{Name: "grants/1"})
		if status.Code(err) != codes.InvalidArgument || !slices.Contains(fieldViolations(err), "name") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCancelResumeAndRotate(t *testing.T) {
	f := serve(t)
	sub := f.create(t, "scjgj", watch("https://apps.scjgj.example.gov.cn/hook"))

	_, err := f.c.ResumeSubscription(as("scjgj"), &exchangev1.ResumeSubscriptionRequest{Name: sub.GetName()})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("resuming an active subscription: %v", err)
	}
	rotated, err := f.c.RotateSubscriptionSecret(as("scjgj"), &exchangev1.RotateSubscriptionSecretRequest{Name: sub.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if rotated.GetSecret() == "" || rotated.GetSecret() == sub.GetSecret() {
		t.Fatalf("rotated secret %q, was %q", rotated.GetSecret(), sub.GetSecret())
	}
	cancelled, err := f.c.DeleteSubscription(as("scjgj"), &exchangev1.DeleteSubscriptionRequest{Name: sub.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.GetState() != exchangev1.SubscriptionState_SUBSCRIPTION_STATE_CANCELLED || cancelled.GetSecret() != "" {
		t.Fatalf("cancelled = %v", cancelled)
	}
	again, err := f.c.DeleteSubscription(as("scjgj"), &exchangev1.DeleteSubscriptionRequest{Name: sub.GetName()})
	if err != nil || !proto.Equal(again, cancelled) {
		t.Fatalf("cancelling twice = %v, %v; want the same cancelled subscription", again, err)
	}
	for _, call := range []func() error{
		func() error {
			_, err := f.c.RotateSubscriptionSecret(as("scjgj"), &exchangev1.RotateSubscriptionSecretRequest{Name: sub.GetName()})
			return err
		},
		func() error {
			_, err := f.c.ResumeSubscription(as("scjgj"), &exchangev1.ResumeSubscriptionRequest{Name: sub.GetName()})
			return err
		},
	} {
		if err := call(); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("a change of a cancelled subscription: %v, want FailedPrecondition", err)
		}
	}
}

func TestListDeliveriesShowsEachEventsState(t *testing.T) {
	f := serve(t)
	rcv := subscriptiontest.NewReceiver()
	sub := f.create(t, "scjgj", watch(rcv.Listen(t, "127.0.0.1:0")))
	rcv.Trust(sub.GetName(), sub.GetSecret())
	f.svc.Start()
	t.Cleanup(func() { _ = f.svc.Stop(context.Background()) })
	first := f.reg.Create(t, subscriptiontest.Entities(2)[0])
	second := f.reg.Create(t, subscriptiontest.Entities(2)[1])
	// The receiver applies an event before the worker records its answer.
	subscriptiontest.Eventually(t, 10*time.Second, "the deliveries were never recorded", func() bool {
		got, err := f.c.GetSubscription(as("scjgj"), &exchangev1.GetSubscriptionRequest{Name: sub.GetName()})
		return err == nil && got.GetDeliveredSequence() == second
	})

	page1, err := f.c.ListDeliveries(as("scjgj"), &exchangev1.ListDeliveriesRequest{Parent: sub.GetName(), PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1.GetDeliveries()) != 1 || page1.GetNextPageToken() == "" {
		t.Fatalf("first page = %v", page1)
	}
	d := page1.GetDeliveries()[0]
	if d.GetName() != sub.GetName()+"/deliveries/"+strconv.FormatInt(second, 10) || d.GetSequence() != second ||
		d.GetState() != exchangev1.DeliveryState_DELIVERY_STATE_DELIVERED || d.GetAttempts() != 1 || d.GetLastStatusCode() != 204 ||
		d.GetLastError() != "" || d.GetLastAttemptTime() == nil || d.GetDeliveredTime() == nil || d.GetNextAttemptTime() != nil {
		t.Fatalf("newest delivery = %v", d)
	}
	page2, err := f.c.ListDeliveries(as("scjgj"), &exchangev1.ListDeliveriesRequest{Parent: sub.GetName(), PageSize: 1, PageToken: page1.GetNextPageToken()})
	if err != nil || len(page2.GetDeliveries()) != 1 || page2.GetDeliveries()[0].GetSequence() != first || page2.GetNextPageToken() != "" {
		t.Fatalf("second page = %v, %v", page2, err)
	}
	if n := len(rcv.Events()); n != 2 {
		t.Fatalf("the receiver applied %d events, want 2", n)
	}
}
