package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/zhbase/zhbase/gateway"
	"github.com/zhbase/zhbase/services/audit"
	auditapi "github.com/zhbase/zhbase/services/audit/api"
	auditstore "github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/discovery"
	"github.com/zhbase/zhbase/services/kit/mtls"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/telemetry"
)

// Options are what a caller hands a process besides its Config.
type Options struct {
	Logger *slog.Logger
	// Telemetry is set up by the caller (once per OS process, since it
	// installs globals); Start sets it up when nil.
	Telemetry *telemetry.Telemetry
}

// Process is a running zhbase process.
type Process struct {
	cfg  Config
	log  *slog.Logger
	tel  *telemetry.Telemetry
	mgr  manager
	etcd *embed.Etcd
	cli  *clientv3.Client
	srv  *server.Server
	lis  net.Listener
	gw   *gateway.Gateway
	http *http.Server
	hlis net.Listener
	regs []*discovery.Registration
	refs refs.Checker

	signer    *auth.Signer
	tls       *mtls.Credentials
	resources []authz.Resource
	// conns are this process's connections to other services, by target.
	conns    map[string]*grpc.ClientConn
	policy   *policyWatcher
	authn    auth.Authenticator
	auditLog *audit.Log
	auditDB  *store.DB
	auditSt  *auditstore.Store
	exchange *exchange.Service
}

// Start brings up the modules the configured targets need and returns once
// every one serves.
func Start(ctx context.Context, cfg Config, o Options) (*Process, error) {
	p := &Process{cfg: cfg, log: o.Logger, tel: o.Telemetry}
	if p.log == nil {
		p.log = NewLogger(cfg.LogLevel, cfg.LogFormat)
	}
	targets := expand(cfg.Targets)
	var services []string
	gw := false
	for _, t := range targets {
		if t == GatewayTarget {
			gw = true
		} else {
			services = append(services, t)
		}
	}
	m := &p.mgr
	m.add("telemetry", nil, p.startTelemetry)
	m.add("auth", nil, p.startAuth)
	m.add("etcd", nil, p.startEmbeddedEtcd)
	m.add("etcd-client", []string{"etcd"}, p.startEtcdClient)
	m.add("connections", []string{"etcd-client", "auth"}, p.startConnections)
	m.add("references", []string{"connections"}, p.startReferences)
	m.add("policy", []string{"connections"}, p.startPolicy)
	m.add("audit-log", []string{"etcd-client"}, p.startAuditLog)
	m.add("grpc-server", []string{"telemetry", "auth", "policy", "audit-log", "references"}, p.startGRPCServer)
	for _, r := range registries {
		m.add(r.name, []string{"grpc-server", "references"}, p.startRegistry(r))
	}
	m.add(ExchangeTarget, []string{"grpc-server", "connections"}, p.startExchange)
	m.add(AuditTarget, []string{"grpc-server", "audit-log"}, p.startAuditService)
	m.add("grpc-serve", append([]string{"grpc-server", "etcd-client"}, services...), p.serveGRPC(services))
	m.add(GatewayTarget, []string{"etcd-client", "telemetry", "connections"}, p.startGateway)
	httpDeps := []string{"telemetry"}
	if gw {
		httpDeps = append(httpDeps, GatewayTarget)
	}
	if len(services) > 0 {
		httpDeps = append(httpDeps, "grpc-serve")
	}
	m.add("http", httpDeps, p.startHTTP)
	if err := m.startAll(ctx, []string{"http"}); err != nil {
		return nil, err
	}
	return p, nil
}

// Kill stops the process the way a crash would, for tests: listeners close
// and endpoints stop being kept alive, but nothing is deregistered, so etcd
// forgets the endpoints only when their leases expire.
func (p *Process) Kill() {
	for _, r := range p.regs {
		r.Abandon()
	}
	p.regs = nil
	if p.srv != nil {
		p.srv.GRPC().Stop()
	}
	if p.http != nil {
		_ = p.http.Close()
	}
}

// Stop shuts every module down in reverse start order.
func (p *Process) Stop(ctx context.Context) error { return p.mgr.stopAll(ctx) }

// GRPCAddr is the address the gRPC server listens on ("" without registries).
func (p *Process) GRPCAddr() string {
	if p.lis == nil {
		return ""
	}
	return p.lis.Addr().String()
}

// HTTPAddr is the address of the HTTP server.
func (p *Process) HTTPAddr() string { return p.hlis.Addr().String() }

// Etcd is the process's etcd client.
func (p *Process) Etcd() *clientv3.Client { return p.cli }

// NewLogger builds the process logger.
func NewLogger(level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func (p *Process) startTelemetry(ctx context.Context) (func(context.Context) error, error) {
	if p.tel != nil {
		return nil, nil
	}
	tel, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: "zhbase"})
	if err != nil {
		return nil, err
	}
	p.tel = tel
	return tel.Shutdown, nil
}

func (p *Process) startEmbeddedEtcd(ctx context.Context) (func(context.Context) error, error) {
	if !p.cfg.EmbeddedEtcd {
		return nil, nil
	}
	ecfg := embed.NewConfig()
	ecfg.Name = "zhbase"
	ecfg.Dir = filepath.Join(p.cfg.DataDir, "etcd")
	// etcd logs its own shutdown at error level; start-up failures are
	// returned by StartEtcd, so only fatal problems need its log.
	ecfg.LogLevel = "fatal"
	cu, err := url.Parse(p.cfg.EtcdClientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd client URL: %w", err)
	}
	pu, err := url.Parse(p.cfg.EtcdPeerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd peer URL: %w", err)
	}
	ecfg.ListenClientUrls, ecfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	ecfg.ListenPeerUrls, ecfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	ecfg.InitialCluster = ecfg.InitialClusterFromName(ecfg.Name)
	e, err := embed.StartEtcd(ecfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd did not become ready within 60s")
	}
	p.etcd = e
	p.cfg.EtcdEndpoints = []string{e.Clients[0].Addr().String()}
	return func(context.Context) error { e.Close(); return nil }, nil
}

func (p *Process) startEtcdClient(ctx context.Context) (func(context.Context) error, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: p.cfg.EtcdEndpoints, DialTimeout: 5 * time.Second, Context: context.Background()})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Status(sctx, p.cfg.EtcdEndpoints[0]); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcd at %v does not answer: %w", p.cfg.EtcdEndpoints, err)
	}
	p.cli = cli
	return func(context.Context) error { return cli.Close() }, nil
}

func (p *Process) startGRPCServer(ctx context.Context) (func(context.Context) error, error) {
	e, err := authz.New(authz.Options{
		Verifier:     &auth.Verifier{Signer: p.signer, Authenticator: p.authn},
		Registries:   registryServices(),
		Resources:    p.resources,
		Policy:       p.policy,
		Audit:        auditapi.Auditor{Log: p.auditLog},
		DefaultRate:  p.cfg.RateLimit,
		DefaultBurst: p.cfg.RateBurst,
		Logger:       p.log,
	})
	if err != nil {
		return nil, err
	}
	o := server.Options{Logger: p.log, Unary: []grpc.UnaryServerInterceptor{e.Unary()}, Stream: []grpc.StreamServerInterceptor{e.Stream()}}
	if p.tls != nil {
		o.Creds = p.tls.Server
	}
	srv, err := server.New(o)
	if err != nil {
		return nil, err
	}
	p.srv = srv
	return nil, nil
}

func (p *Process) startRegistry(r registry) func(ctx context.Context) (func(context.Context) error, error) {
	return func(ctx context.Context) (func(context.Context) error, error) {
		db, err := p.openDB(ctx, r.name)
		if err != nil {
			return nil, err
		}
		if err := r.open(ctx, db, p.srv, p.refs); err != nil {
			db.Close()
			return nil, err
		}
		p.log.Info("registry ready", "target", r.name, "store", db.Dialect().String())
		return func(context.Context) error { return db.Close() }, nil
	}
}

// serveGRPC listens, serves and registers every service in etcd. Its stop
// is the graceful sequence: NOT_SERVING, deregister, GracefulStop with a
// deadline, then Stop.
func (p *Process) serveGRPC(services []string) func(ctx context.Context) (func(context.Context) error, error) {
	return func(ctx context.Context) (func(context.Context) error, error) {
		if len(services) == 0 {
			return nil, nil
		}
		lis, err := net.Listen("tcp", p.cfg.GRPCListen)
		if err != nil {
			return nil, fmt.Errorf("listen for gRPC on %s: %w", p.cfg.GRPCListen, err)
		}
		p.lis = lis
		go func() {
			if err := p.srv.Serve(lis); err != nil {
				p.log.Error("gRPC server stopped", "error", err.Error())
			}
		}()
		addr := p.cfg.GRPCAdvertise
		if addr == "" {
			addr = lis.Addr().String()
		}
		for _, s := range services {
			reg, err := discovery.Register(ctx, p.cli, s, addr, p.cfg.EtcdLeaseTTL, p.log)
			if err != nil {
				p.stopGRPC(context.Background())
				return nil, err
			}
			p.regs = append(p.regs, reg)
			p.log.Info("registered", "service", s, "addr", addr)
		}
		return p.stopGRPC, nil
	}
}

func (p *Process) stopGRPC(ctx context.Context) error {
	p.srv.Drain()
	var errs []error
	for _, r := range p.regs {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		errs = append(errs, r.Deregister(dctx))
		cancel()
	}
	p.regs = nil
	sctx, cancel := context.WithTimeout(ctx, p.cfg.ShutdownTimeout)
	defer cancel()
	p.srv.Shutdown(sctx)
	return errors.Join(errs...)
}

// openDB opens a component's database.
func (p *Process) openDB(ctx context.Context, component string) (*store.DB, error) {
	return store.Open(ctx, DatabaseOptions(p.cfg.DataDir, component, p.cfg.PostgresDSN[component]))
}

// DatabaseOptions locates a component's database: PostgreSQL at dsn when
// it is set, otherwise the SQLite file <component>.db under dataDir. The
// processes and the commands that open a database directly agree on it.
func DatabaseOptions(dataDir, component, dsn string) store.Options {
	if dsn != "" {
		return store.Options{Name: component, PostgresDSN: dsn}
	}
	return store.Options{Name: component, SQLitePath: filepath.Join(dataDir, component+".db")}
}

func (p *Process) startGateway(ctx context.Context) (func(context.Context) error, error) {
	gw, err := gateway.New(ctx, gateway.Options{
		Etcd: p.cli, Logger: p.log, Routes: gatewayRoutes(),
		Authenticator: p.authn, Signer: p.signer, Dial: p.dialOptions(""),
	})
	if err != nil {
		return nil, err
	}
	p.gw = gw
	return func(context.Context) error { return gw.Close() }, nil
}

func (p *Process) startHTTP(ctx context.Context) (func(context.Context) error, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.tel.MetricsHandler())
	if p.gw != nil {
		mux.Handle("/", p.gw.Handler())
	} else {
		mux.HandleFunc("GET /healthz", p.localHealth)
	}
	lis, err := net.Listen("tcp", p.cfg.HTTPListen)
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w", p.cfg.HTTPListen, err)
	}
	p.hlis = lis
	p.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := p.http.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("HTTP server stopped", "error", err.Error())
		}
	}()
	return func(ctx context.Context) error {
		sctx, cancel := context.WithTimeout(ctx, p.cfg.ShutdownTimeout)
		defer cancel()
		return p.http.Shutdown(sctx)
	}, nil
}

// localHealth answers /healthz of a process without the gateway: whether
// its own gRPC server is serving.
func (p *Process) localHealth(w http.ResponseWriter, r *http.Request) {
	status := "SERVING"
	code := http.StatusOK
	if p.lis != nil {
		conn, err := discovery.DialTarget(p.lis.Addr().String(), p.dialOptions(""))
		if err == nil {
			defer conn.Close()
			resp, herr := healthpb.NewHealthClient(conn).Check(r.Context(), &healthpb.HealthCheckRequest{})
			if herr != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				status, code = "NOT_SERVING", http.StatusServiceUnavailable
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}
