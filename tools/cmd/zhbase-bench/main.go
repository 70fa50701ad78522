// Command zhbase-bench (make bench) measures zhbase against bare baselines
// in one process on loopback, under the same closed-loop load:
//
//   - gRPC: a plain grpc.NewServer() returning a canned legal entity, versus
//     LegalEntityService.GetLegalEntity through the whole stack (cluster
//     runner with the exchange and the audit log, embedded etcd, SQLite,
//     the kit's interceptors, the enforcer and tracing, a client dialled
//     through etcd discovery), read as a member department (财政局) that
//     does not provide legal entities;
//   - REST: a plain net/http handler writing the entity's canned JSON,
//     versus GET /v1/legalEntities/{uscc} through the gateway with that
//     department's API key;
//   - authorisation and audit: the same registry on the same SQLite file
//     served by a kit server without the enforcer, versus the cluster's
//     registry (identity, policy, item filter, rate limit, audit record
//     committed before the answer), both read with a plain client;
//   - writes on SQLite in a temporary directory (and on PostgreSQL with
//     -postgres DSN): updates of demo legal entities through
//     temporal.Store.Update (history and change feed) versus the same
//     writes to a plain table updated in place, and through the registry's
//     own store (sqlstore, which also keeps search terms);
//   - the change feed's delivery lag: a Feed.Watch watcher following the
//     temporal table while writers update it;
//   - List throughput: ListLegalEntities paged through the seeded entities
//     over the real cluster's client, all and with a filter;
//   - bounding-box queries on -buildings generated buildings (a million by
//     default) bulk-loaded into a fresh SQLite file: the same random boxes
//     through the building store's spatial index and through its full
//     scan, results compared box by box;
//   - reverse geocoding: spatial.Service.ReverseGeocode, in-process, over
//     -addresses demo addresses.
//
// It prints ops/s, p50 and p99 of each and the ratios, as a table or with
// -json as a JSON document, and exits non-zero when more than 1% of the
// operations of any target fail, when the feed does not deliver every
// committed write exactly once, when a List walk does not return the
// entities seeded, when the index and the scan disagree on a box, or when
// the read cluster's audit log, verified after the read measurements, shows
// a problem or holds fewer records than the calls it answered.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/telemetry"
	"github.com/zhbase/zhbase/tools/bench"
	"github.com/zhbase/zhbase/tools/demo"
)

type options struct {
	workers      int
	duration     time.Duration
	warmup       time.Duration
	entities     int
	json         bool
	writeWorkers int
	postgres     string
	buildings    int
	boxes        int
	scanBoxes    int
	addresses    int
	cpuProfile   string
	profileOf    string
	prof         *profiler
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "zhbase-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("zhbase-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.workers, "workers", 16, "concurrent closed-loop workers per target")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per target")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up per target, before -duration")
	fs.IntVar(&o.entities, "entities", 2000, "demo legal entities seeded and read at random")
	fs.BoolVar(&o.json, "json", false, "print a JSON document instead of the table")
	fs.IntVar(&o.writeWorkers, "write-workers", 4, "concurrent closed-loop writers per write target and for the feed-lag measurement")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL DSN: also measure writes there, each target in a schema of its own (created and dropped); SQLite only when empty")
	fs.IntVar(&o.buildings, "buildings", 1000000, "generated buildings bulk-loaded for the bounding-box queries (0 skips them; a million takes minutes)")
	fs.IntVar(&o.boxes, "boxes", 500, "random boxes run through the buildings' spatial index")
	fs.IntVar(&o.scanBoxes, "scan-boxes", 20, "of those, how many also run through the full scan (each reads every building)")
	fs.IntVar(&o.addresses, "addresses", 100000, "demo addresses loaded for reverse geocoding (0 skips it)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (go tool pprof), of the whole run or of -cpuprofile-target")
	fs.StringVar(&o.profileOf, "cpuprofile-target", "", `profile only the measured phase of the first read target whose name contains this, e.g. "with authz" (empty: the whole run)`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: zhbase-bench [flags]\n\nMeasures zhbase's gRPC and REST reads against bare baselines on loopback, the cost of\nauthorisation and audit on Get, List throughput,\nwrites with history and change feed against a plain table, the feed's delivery lag,\nbounding-box queries on generated buildings through the spatial index against a full\nscan, and reverse geocoding.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.workers < 1 || o.workers > 1024:
		return fmt.Errorf("-workers must be 1..1024, got %d", o.workers)
	case o.duration <= 0 || o.duration > 10*time.Minute:
		return fmt.Errorf("-duration must be in (0, 10m], got %s", o.duration)
	case o.warmup < 0 || o.warmup > time.Minute:
		return fmt.Errorf("-warmup must be in [0, 1m], got %s", o.warmup)
	case o.entities < 1 || o.entities > 100000:
		return fmt.Errorf("-entities must be 1..100000, got %d", o.entities)
	case o.writeWorkers < 1 || o.writeWorkers > 256:
		return fmt.Errorf("-write-workers must be 1..256, got %d", o.writeWorkers)
	case o.buildings < 0 || o.buildings > 5000000:
		return fmt.Errorf("-buildings must be 0..5000000, got %d", o.buildings)
	case o.boxes < 1 || o.boxes > 100000:
		return fmt.Errorf("-boxes must be 1..100000, got %d", o.boxes)
	case o.scanBoxes < 1 || o.scanBoxes > o.boxes || o.scanBoxes > 1000:
		return fmt.Errorf("-scan-boxes must be 1..min(-boxes, 1000), got %d", o.scanBoxes)
	case o.addresses < 0 || o.addresses > 1000000:
		return fmt.Errorf("-addresses must be 0..1000000, got %d", o.addresses)
	}

	// Everything stops by itself: set-up, four read targets, two authz
	// targets and two List targets, the audit log's verification, per
	// write backend three seeded write targets and the lag run, the
	// buildings' load and queries, the addresses' load and two geocoding
	// targets, shutdown.
	backends := time.Duration(1)
	if o.postgres != "" {
		backends = 2
	}
	budget := 5*time.Minute + 8*(o.warmup+o.duration)*2 + auditVerifyTimeout +
		backends*(5*time.Minute+(3*(o.warmup+o.duration)+o.duration+writeDrain)*2)
	if o.buildings > 0 {
		// A load of about 2,000 buildings/s given three times as long; a
		// full scan of a million buildings takes seconds, give each a minute
		// per million.
		perMillion := time.Duration(o.buildings) * time.Minute / 1000000
		budget += 5*time.Minute + time.Duration(o.buildings)*1500*time.Microsecond +
			time.Duration(o.scanBoxes+1)*max(perMillion, time.Second) + time.Duration(o.boxes)*time.Second
	}
	if o.addresses > 0 {
		budget += 5*time.Minute + time.Duration(o.addresses)*10*time.Millisecond + 2*(o.warmup+o.duration)*2
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	prof, err := newProfiler(o.cpuProfile, o.profileOf)
	if err != nil {
		return err
	}
	o.prof = prof
	if o.prof.wholeRun() {
		if err := o.prof.start(); err != nil {
			return err
		}
	}
	report, err := measure(ctx, o, stderr)
	if perr := o.prof.close(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	if o.json {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
			return err
		}
	} else if err := report.WriteTable(stdout); err != nil {
		return err
	}
	return report.Check()
}

// writeDrain bounds the wait for the feed watcher to catch up once the
// writers of the lag measurement have stopped.
const writeDrain = 10 * time.Second

type logFunc func(format string, args ...any)

func measure(ctx context.Context, o options, progress io.Writer) (rep bench.Report, err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "zhbase-bench: "+format+"\n", args...) }

	// Tracing as in production: spans are created for every call and every
	// statement; they are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is
	// set, as in production.
	tel, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: "zhbase"})
	if err != nil {
		return rep, err
	}
	defer func() { err = errors.Join(err, tel.Shutdown(context.Background())) }()

	dir, err := os.MkdirTemp("", "zhbase-bench-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)

	if o.postgres != "" {
		// Fail before the read measurements, not after them.
		pg, err := store.Open(ctx, store.Options{PostgresDSN: o.postgres, Name: "zhbase-bench"})
		if err != nil {
			return rep, fmt.Errorf("-postgres %s: %w", bench.RedactDSN(o.postgres), err)
		}
		pg.Close()
	}
	rep = bench.Report{
		Workers: o.workers, Duration: o.duration, Warmup: o.warmup, Entities: o.entities,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
	}
	// The cluster of the read measurements is stopped before the writes
	// start, so that they do not share the CPUs with it.
	if err := measureReads(ctx, o, filepath.Join(dir, "cluster"), tel, &rep, logf); err != nil {
		return rep, err
	}
	if err := measureWrites(ctx, o, filepath.Join(dir, "writes"), &rep, logf); err != nil {
		return rep, err
	}
	if o.buildings > 0 {
		if err := measureBuildings(ctx, o, filepath.Join(dir, "buildings"), &rep, logf); err != nil {
			return rep, err
		}
	} else {
		rep.Notes = append(rep.Notes, bench.BuildingsProtocol+": not measured (-buildings 0)")
	}
	if o.addresses > 0 {
		if err := measureGeocode(ctx, o, filepath.Join(dir, "spatial"), &rep, logf); err != nil {
			return rep, err
		}
	} else {
		rep.Notes = append(rep.Notes, bench.GeocodeProtocol+": not measured (-addresses 0)")
	}
	return rep, nil
}

// The read cluster's callers. The reader is a member department that
// provides no legal entities: it sees their unconditional items but holds
// no grant for the representative's ID number, so every answer it gets
// passes through the item filter, as most departments' reads do.
const (
	readerDepartment = "czj" // 镇海区财政局
	benchApplication = "zhbase-bench"
)

// measureFunc measures one target after its warm-up.
type measureFunc func(protocol, name string, op bench.Op) bench.Measurement

// measureReads runs the read comparisons against a cluster of its own in
// dir, adding them and their notes to rep, and verifies the cluster's
// audit log once they are done.
func measureReads(ctx context.Context, o options, dir string, tel *telemetry.Telemetry, rep *bench.Report, logf logFunc) (err error) {
	// The real stack: the legal-entity registry, the exchange (credentials
	// and the access policy), the audit service and the gateway in this
	// process, an embedded etcd, SQLite in the temporary directory, every
	// address on loopback.
	var cfg cluster.Config
	fs := cfg.FlagSet("zhbase-bench")
	// As zhbase up does: a cluster key created under -data-dir signs the
	// identities that travel between the gateway and the registries.
	cfg.GenerateClusterKey = true
	if err := cfg.Parse(fs, []string{
		"-target=legalentity,exchange,audit,gateway",
		"-grpc.listen-address=127.0.0.1:0",
		"-http.listen-address=127.0.0.1:0",
		"-data-dir=" + dir,
		"-log.level=warn",
		// Far above what the bench can send: the limiter is consulted on
		// every call, as in production, but never refuses one.
		"-ratelimit.default-rps=" + strconv.Itoa(benchRateLimit),
		"-ratelimit.default-burst=" + strconv.Itoa(benchRateLimit),
	}, func(string) string { return "" }); err != nil {
		return fmt.Errorf("cluster config: %w", err)
	}
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return err
	}
	cfg.EmbeddedEtcd, cfg.EtcdClientURL, cfg.EtcdPeerURL = true, clientURL, peerURL
	logf("starting legalentity+exchange+audit+gateway with an embedded etcd in %s", dir)
	logger := cluster.NewLogger("warn", "text")
	proc, err := cluster.Start(ctx, cfg, cluster.Options{Logger: logger, Telemetry: tel})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, proc.Stop(sctx))
	}()

	keys, err := seedAccess(ctx, proc)
	if err != nil {
		return err
	}
	readerKey := keys[readerDepartment]
	if readerKey == "" || demo.Provider("legalentity") == readerDepartment {
		return fmt.Errorf("the demo exchange has no member %s that reads legal entities without providing them", readerDepartment)
	}
	logf("exchange seeded with the demo departments; the registry enforces their policy")

	// The entities are written by their provider, as the demo loader does.
	provider := auth.Identity{Department: demo.Provider("legalentity"), Application: benchApplication}
	pconn, err := dialRegistryAs(proc, provider)
	if err != nil {
		return err
	}
	defer pconn.Close()
	t0 := time.Now()
	sctx, scancel := context.WithTimeout(ctx, 3*time.Minute)
	created, err := demo.SeedLegalEntities(sctx, legalentityv1.NewLegalEntityServiceClient(pconn), demo.DefaultSeed, o.entities)
	scancel()
	if err != nil {
		return err
	}
	logf("seeded %d legal entities as %s in %s", created, provider.Department, time.Since(t0).Round(time.Millisecond))
	entities := demo.LegalEntities(demo.DefaultSeed, o.entities)
	names := make([]string, len(entities))
	for i, e := range entities {
		names[i] = "legalEntities/" + e.GetUscc()
	}

	// Every measured read is the reader's, over gRPC with its identity
	// signed as the gateway forwards a caller's.
	reader := auth.Identity{Department: readerDepartment, Application: benchApplication}
	conn, err := dialRegistryAs(proc, reader)
	if err != nil {
		return err
	}
	defer conn.Close()
	registry := legalentityv1.NewLegalEntityServiceClient(conn)

	// The baselines answer with a stored demo entity, as the registry
	// returns it to the reader (name, timestamps and etag included, the
	// items the reader may not see left out), so both sides send a message
	// of the same size.
	canned, err := registry.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: names[0]})
	if err != nil {
		return fmt.Errorf("read back %s as %s: %w", names[0], readerDepartment, err)
	}
	cannedJSON, err := protojson.Marshal(canned)
	if err != nil {
		return err
	}

	gb, err := bench.StartGRPCBaseline(canned)
	if err != nil {
		return err
	}
	defer gb.Close()
	bconn, err := grpc.NewClient(gb.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer bconn.Close()
	baseline := legalentityv1.NewLegalEntityServiceClient(bconn)

	hb, err := bench.StartHTTPBaseline(canned)
	if err != nil {
		return err
	}
	defer hb.Close()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // loopback only
	transport.MaxIdleConns = 4 * o.workers
	transport.MaxIdleConnsPerHost = 2 * o.workers
	httpc := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	defer transport.CloseIdleConnections()

	// Both REST sides get the reader's key; the baseline ignores it.
	restGet := func(base string) bench.Op {
		urls := make([]string, len(entities))
		for i, e := range entities {
			urls[i] = base + "/v1/legalEntities/" + e.GetUscc()
		}
		return func(ctx context.Context, _ int, rng *rand.Rand) error {
			_, err := httpBody(ctx, httpc, urls[rng.IntN(len(urls))], readerKey)
			return err
		}
	}
	gatewayBase := "http://" + proc.HTTPAddr()
	sample, err := httpBody(ctx, httpc, gatewayBase+"/v1/legalEntities/"+entities[0].GetUscc(), readerKey)
	if err != nil {
		return fmt.Errorf("gateway read of %s as %s: %w", names[0], readerDepartment, err)
	}

	measureOne := func(protocol, name string, op bench.Op) bench.Measurement {
		if o.warmup > 0 {
			logf("%s %s: warming up for %s", protocol, name, o.warmup)
			if w := bench.Run(ctx, o.workers, o.warmup, op); w.Errors > 0 {
				logf("%s %s: %d of %d warm-up operations failed (first: %s)", protocol, name, w.Errors, w.Ops, w.FirstError)
			}
		}
		logf("%s %s: measuring for %s with %d workers", protocol, name, o.duration, o.workers)
		m := bench.Measurement{Name: name}
		if err := o.prof.around(protocol+" "+name, func() {
			cpu := bench.ProcessCPU()
			m.Result = bench.Run(ctx, o.workers, o.duration, op)
			m.CPU = bench.ProcessCPU() - cpu
		}); err != nil {
			logf("%s %s: no CPU profile: %v", protocol, name, err)
		}
		return m
	}
	// answered counts the measured calls the cluster's enforcer answered:
	// each must have left an audit record.
	answered := 0
	grpcCmp := bench.Comparison{
		Protocol: "grpc",
		Baseline: measureOne("grpc", "baseline", getOp(baseline, names)),
		Real:     measureOne("grpc", "legalentity.Get", getOp(registry, names)),
	}
	rep.Comparisons = append(rep.Comparisons, grpcCmp)
	answered += succeeded(grpcCmp.Real.Result)
	if err := ctx.Err(); err != nil {
		return err
	}
	restCmp := bench.Comparison{
		Protocol: "rest",
		Baseline: measureOne("rest", "baseline", restGet("http://"+hb.Addr())),
		Real:     measureOne("rest", "gateway GET /v1/legalEntities/{uscc}", restGet(gatewayBase)),
	}
	rep.Comparisons = append(rep.Comparisons, restCmp)
	answered += succeeded(restCmp.Real.Result)
	if err := ctx.Err(); err != nil {
		return err
	}
	authzCmp, authzNote, err := measureAuthz(ctx, proc, filepath.Join(dir, "legalentity.db"), names, reader, measureOne, logger)
	if err != nil {
		return err
	}
	rep.Comparisons = append(rep.Comparisons, authzCmp)
	answered += succeeded(authzCmp.Real.Result)
	if err := ctx.Err(); err != nil {
		return err
	}

	exporter := "no exporter configured, so spans are created but not exported (production's default)"
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exporter = "spans exported over OTLP (OTEL_EXPORTER_OTLP_*ENDPOINT is set)"
	}
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("real stack: cluster.Start with targets legalentity+exchange+audit+gateway, embedded etcd, SQLite in a temporary directory; the exchange seeded with the demo departments, catalogue and grants (demo.SeedExchange); %d demo entities written by their provider %s; each op reads a random one as %s (财政局), a member that does not provide them", o.entities, provider.Department, readerDepartment),
		fmt.Sprintf("every call to the cluster's registry passes its enforcer: signed identity checked, %s's rate limit consulted (raised to %d/s so that it refuses nothing), method and items authorised against the exchange's policy, the answer filtered to %s's items, an audit record committed before the answer", readerDepartment, benchRateLimit, readerDepartment),
		fmt.Sprintf("real gRPC client: discovery.Dial (etcd resolver, round robin, otel, deadline interceptor) carrying %s's signed identity (auth.IdentityCredentials, as the gateway forwards a caller's); baseline client: plain grpc.NewClient to a plain grpc.NewServer()", readerDepartment),
		fmt.Sprintf("REST: one shared http.Client for both, %d idle connections per host, X-Api-Key of %s's demo application on every request (the baseline ignores it; the gateway checks it with the exchange, cached for 5s, and forwards %s's signed identity)", transport.MaxIdleConnsPerHost, readerDepartment, readerDepartment),
		fmt.Sprintf("response: the same stored entity as %s sees it, %d bytes protobuf; JSON %d bytes canned (baseline), %d bytes from the gateway", readerDepartment, proto.Size(canned), len(cannedJSON), len(sample)),
		authzNote,
		"request logging: the cluster logger is at slog level warn during the bench, so successful calls write no log line (production's info level writes one per call)",
		"tracing: telemetry.Setup as in production; "+exporter,
		fmt.Sprintf("load generator, clients and servers share one process and its %d CPUs; ops/s counts successful operations, latencies are those of successful operations", runtime.NumCPU()),
		"CPU/op (ratio rows of the read comparisons): the process's CPU time (getrusage, user+system) during the measured phase over its successful operations: client, server and whatever else the process runs meanwhile; unlike ops/s it does not move with other load on the machine",
		fmt.Sprintf("a target fails the run when more than %.0f%% of its operations fail", 100*bench.MaxErrorRate),
	)
	if err := measureList(ctx, o, registry, rep, logf); err != nil {
		return err
	}
	for _, l := range rep.Lists {
		answered += succeeded(l.Pages)
	}
	logf("verifying the audit log")
	v, err := verifyAudit(ctx, proc, keys[demo.AdminDepartment], answered)
	if err != nil {
		return err
	}
	rep.Audit = v
	rep.Notes = append(rep.Notes, v.Note())
	return nil
}

// benchRateLimit is the departments' rate limit on the read cluster.
const benchRateLimit = 1000000

// getOp reads a random one of names.
func getOp(c legalentityv1.LegalEntityServiceClient, names []string) bench.Op {
	return func(ctx context.Context, _ int, rng *rand.Rand) error {
		e, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: names[rng.IntN(len(names))]})
		if err == nil && e.GetUscc() == "" {
			err = errors.New("empty entity")
		}
		return err
	}
}

// succeeded is how many of a measurement's operations succeeded.
func succeeded(r bench.Result) int { return r.Ops - r.Errors }

// httpBody reads url to the end, sending apiKey as X-Api-Key, and fails on
// any status but 200.
func httpBody(ctx context.Context, c *http.Client, url, apiKey string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Api-Key", apiKey)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.300s", req.URL.Path, resp.Status, body)
	}
	return body, nil
}

// freeLoopbackURL returns an http URL on a loopback port that was free a
// moment ago, for the embedded etcd's listeners.
func freeLoopbackURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}
