// Package gateway is zhbase's REST facade: grpc-gateway routes under /v1
// that dial the registries through etcd (so every call passes the services'
// own interceptors), the OpenAPI document at /openapi.json, its docs page at
// /docs/ from embedded assets, and /healthz reflecting the registries'
// health. It holds no business rules and never stores anything.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/swaggest/swgui/v5emb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/zhbase/zhbase/proto/openapi"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/discovery"
)

// Route is one registry the gateway fronts.
type Route struct {
	// Service is the etcd service name, ProtoService the gRPC service.
	Service, ProtoService string
	// Register is the generated Register<Service>Handler of its REST routes.
	Register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

// Options configures the gateway.
type Options struct {
	Etcd   *clientv3.Client
	Logger *slog.Logger
	Routes []Route
	// Authenticator checks the API keys and bearer tokens applications
	// present; Signer signs the identity forwarded to the services.
	Authenticator auth.Authenticator
	Signer        *auth.Signer
	// Dial adds options (transport credentials for mutual TLS) to every
	// connection to a service.
	Dial discovery.DialOptions
}

// Gateway is the REST facade.
type Gateway struct {
	handler http.Handler
	conns   []*grpc.ClientConn
	health  map[string]healthpb.HealthClient
	log     *slog.Logger
	authn   auth.Authenticator
	signer  *auth.Signer
}

// New dials every registry through etcd and builds the HTTP handler.
// Connections are lazy: a registry that is not running yet makes its routes
// answer 503 until it registers.
func New(ctx context.Context, o Options) (*Gateway, error) {
	if o.Authenticator == nil || o.Signer == nil {
		return nil, errors.New("gateway: an authenticator and the cluster key are required")
	}
	g := &Gateway{health: map[string]healthpb.HealthClient{}, log: o.Logger, authn: o.Authenticator, signer: o.Signer}
	mux := runtime.NewServeMux(
		// HttpBody responses (GeoJSON) go out as their own content type;
		// everything else is proto3 JSON.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{
			MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: false},
			// A misspelt field must be an error, not silently dropped data.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithMetadata(g.forwardIdentity),
		runtime.WithErrorHandler(errorHandler),
	)
	for _, r := range o.Routes {
		// No identity of the gateway's own rides on these connections: a
		// call carries its caller's, or nothing and is refused.
		dopts := o.Dial
		dopts.ProtoServices = []string{r.ProtoService}
		conn, err := discovery.Dial(o.Etcd, r.Service, dopts)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.conns = append(g.conns, conn)
		if err := r.Register(ctx, mux, conn); err != nil {
			g.Close()
			return nil, fmt.Errorf("register REST routes of %s: %w", r.Service, err)
		}
		g.health[r.ProtoService] = healthpb.NewHealthClient(conn)
	}
	h := http.NewServeMux()
	h.Handle("/v1/", g.authenticate(mux))
	h.HandleFunc("GET /openapi.json", serveOpenAPI)
	h.Handle("/docs/", v5emb.New("zhbase API", "/openapi.json", "/docs/"))
	h.HandleFunc("GET /healthz", g.serveHealth)
	h.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/", http.StatusFound)
	})
	g.handler = otelhttp.NewHandler(h, "gateway", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return r.Method + " " + r.URL.Path
	}))
	return g, nil
}

// Handler serves every gateway route.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close closes the connections to the registries.
func (g *Gateway) Close() error {
	var errs []error
	for _, c := range g.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// incomingHeader forwards the headers the services need and no others.
// Credentials stop here: services receive the verified identity instead.
func incomingHeader(key string) (string, bool) {
	k := strings.ToLower(key)
	// Neither directly nor as Grpc-Metadata-… may a caller set what only
	// the gateway sets after checking the credential.
	switch strings.TrimPrefix(k, strings.ToLower(runtime.MetadataHeaderPrefix)) {
	case "authorization", "x-api-key", auth.MDAssertion, auth.MDPurpose, auth.MDCaseReference:
		return "", false
	}
	switch k {
	case "x-request-id", "traceparent", "tracestate":
		return k, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeader turns the services' rate-limit metadata into the HTTP
// headers clients expect.
func outgoingHeader(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "retry-after":
		return "Retry-After", true
	case "x-ratelimit-limit":
		return "X-RateLimit-Limit", true
	}
	// grpc-gateway's default for the rest.
	return runtime.MetadataHeaderPrefix + key, true
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openapi.Document)
}

// serveHealth reports SERVING only when every registry answers its health
// check; the body lists each one.
func (g *Gateway) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	status := map[string]string{}
	ok := true
	for name, hc := range g.health {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			s := resp.GetStatus().String()
			if err != nil {
				s = "UNREACHABLE"
			}
			mu.Lock()
			defer mu.Unlock()
			status[name] = s
			if s != "SERVING" {
				ok = false
			}
		}()
	}
	wg.Wait()
	code, overall := http.StatusOK, "SERVING"
	if !ok {
		code, overall = http.StatusServiceUnavailable, "NOT_SERVING"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": overall, "services": status})
}
