package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/discovery"

	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/kit/telemetry"
	"github.com/zhbase/zhbase/tools/demo"
)

// syncBuffer is a log sink several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

func freeURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// baseConfig is a process of a test deployment whose processes share
// dataDir (and its cluster key); chain names the process's audit chain.
func baseConfig(dataDir, chain string, targets ...string) cluster.Config {
	return cluster.Config{
		Targets: targets, GRPCListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", DataDir: dataDir,
		EtcdLeaseTTL: 2 * time.Second, LogLevel: "info", LogFormat: "text", ShutdownTimeout: 5 * time.Second,
		ClusterKeyFile: filepath.Join(dataDir, "cluster.key"), GenerateClusterKey: true,
		AuditChain: chain, AuditRetention: 180 * 24 * time.Hour, AuditAnchorInterval: time.Second,
		RateLimit: 100, RateBurst: 200, // the production defaults
	}
}

// seed admits the demo departments and waits until p enforces their
// catalogue and grants; it returns their API keys.
func seed(t *testing.T, p *cluster.Process) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := demo.SeedExchange(ctx, p.Exchange())
	if err != nil {
		t.Fatalf("seed the exchange: %v", err)
	}
	waitPolicy(t, p)
	return keys
}

// waitPolicy waits until p enforces the exchange's latest policy.
func waitPolicy(t *testing.T, p *cluster.Process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rev, err := p.Exchange().PolicyRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitPolicy(ctx, rev); err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, cfg cluster.Config, tel *telemetry.Telemetry, logs io.Writer) *cluster.Process {
	t.Helper()
	p, err := cluster.Start(context.Background(), cfg, cluster.Options{
		Telemetry: tel, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatalf("start %v: %v", cfg.Targets, err)
	}
	return p
}

type restResult struct {
	code int
	body map[string]any
}

// caller is who a REST call is made as: an API key and, for personal
// data, a purpose and a case reference.
type caller []string

func as(key string) caller { return caller{"X-Api-Key", key} }

func (c caller) with(purpose, caseRef string) caller {
	return append(append(caller{}, c...), "Zhbase-Purpose", purpose, "Zhbase-Case-Reference", caseRef)
}

func (c caller) rest(t *testing.T, method, url, body string) restResult {
	t.Helper()
	return rest(t, method, url, body, c...)
}

func rest(t *testing.T, method, url, body string, header ...string) restResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %s", method, url, resp.StatusCode, raw)
	}
	return restResult{resp.StatusCode, out}
}

func etcdKeys(t *testing.T, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	resp, err := cli.Get(context.Background(), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCluster runs the platform in-process — embedded etcd, the
// legal-entity registry and the gateway on loopback — and drives it through
// REST, as a browser or app would.
func TestCluster(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.Setup(context.Background(), telemetry.Options{ServiceName: "zhbase-test", SpanProcessor: sdktrace.NewSimpleSpanProcessor(spans)})
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	cfg := baseConfig(dataDir, "a", "all")
	cfg.EmbeddedEtcd, cfg.EtcdClientURL, cfg.EtcdPeerURL = true, freeURL(t), freeURL(t)
	logsA := &syncBuffer{}
	a := start(t, cfg, tel, logsA)
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	base := "http://" + a.HTTPAddr()
	cli := a.Etcd()
	keys := seed(t, a)
	// The legal-entity registry's provider writes; any member reads.
	scjgj := as(keys["scjgj"])
	rest := scjgj.rest

	entity := demo.LegalEntities(demo.DefaultSeed, 1)[0]
	body, _ := protojson.Marshal(entity)
	name := "legalEntities/" + entity.GetUscc()

	t.Run("REST create, get, patch, list and search", func(t *testing.T) {
		if r := rest(t, "POST", base+"/v1/legalEntities", string(body)); r.code != 200 || r.body["name"] != name {
			t.Fatalf("create: %d %v", r.code, r.body)
		}
		if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 || r.body["displayName"] != entity.GetDisplayName() {
			t.Fatalf("get: %d %v", r.code, r.body)
		}
		if r := rest(t, "PATCH", base+"/v1/"+name, `{"businessScope":"软件开发"}`); r.code != 200 || r.body["businessScope"] != "软件开发" || r.body["displayName"] != entity.GetDisplayName() {
			t.Fatalf("patch: %d %v", r.code, r.body)
		}
		r := rest(t, "GET", base+"/v1/legalEntities?filter=status%3DACTIVE%20AND%20registered_address.division_code%3D%22330211*%22&order_by=establishment_date%20desc", "")
		if list, _ := r.body["legalEntities"].([]any); r.code != 200 || len(list) != 1 {
			t.Fatalf("list: %d %v", r.code, r.body)
		}
		r = rest(t, "GET", base+"/v1/legalEntities:search?query="+entity.GetDisplayName(), "")
		if results, _ := r.body["results"].([]any); r.code != 200 || len(results) != 1 {
			t.Fatalf("search: %d %v", r.code, r.body)
		}
	})

	t.Run("a wrong check character is 400 naming the field, an unknown code 404", func(t *testing.T) {
		bad := strings.Replace(string(body), entity.GetUscc(), entity.GetUscc()[:17]+flip(entity.GetUscc()[17]), 1)
		r := rest(t, "POST", base+"/v1/legalEntities", bad)
		if r.code != 400 || !strings.Contains(fmt.Sprint(r.body["details"]), "legal_entity.uscc") {
			t.Fatalf("create with a wrong check character: %d %v", r.code, r.body)
		}
		other := demo.LegalEntities(demo.DefaultSeed, 2)[1].GetUscc()
		if r := rest(t, "GET", base+"/v1/legalEntities/"+other, ""); r.code != 404 {
			t.Fatalf("get unknown: %d %v", r.code, r.body)
		}
	})

	t.Run("one trace spans gateway, service and store", func(t *testing.T) {
		spans.Reset()
		if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 {
			t.Fatalf("get: %d", r.code)
		}
		_ = tel.Shutdown // spans are exported synchronously by the simple processor
		var traceID trace.TraceID
		for _, s := range spans.GetSpans() {
			if s.Name == "GET /v1/"+name {
				traceID = s.SpanContext.TraceID()
			}
		}
		if !traceID.IsValid() {
			t.Fatalf("no gateway span among %d spans", len(spans.GetSpans()))
		}
		seen := map[string]bool{}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID() != traceID {
				continue
			}
			switch {
			case s.Name == "GET /v1/"+name:
				seen["gateway"] = true
			case s.Name == "zhbase.legalentity.v1.LegalEntityService/GetLegalEntity" && s.SpanKind == trace.SpanKindServer:
				seen["service"] = true
			case strings.HasPrefix(s.Name, "store."):
				seen["store"] = true
			}
		}
		for _, want := range []string{"gateway", "service", "store"} {
			if !seen[want] {
				t.Errorf("the trace has no %s span (saw %v)", want, seen)
			}
		}
	})

	t.Run("history and the change feed over REST", func(t *testing.T) {
		r := rest(t, "GET", base+"/v1/legalentity/changes?after_sequence=0&max=10", "")
		changes, _ := r.body["changes"].([]any)
		if r.code != 200 || len(changes) != 2 || r.body["headSequence"] != "2" {
			t.Fatalf("changes: %d %v", r.code, r.body)
		}
		if v := rest(t, "GET", base+"/v1/"+name+"/versions", ""); v.code != 200 || len(v.body["versions"].([]any)) != 3 {
			t.Fatalf("versions: %d %v", v.code, v.body)
		}
		first := changes[0].(map[string]any)["version"].(map[string]any)["knownFrom"].(string)
		if old := rest(t, "GET", base+"/v1/"+name+"?known_at="+first, ""); old.code != 200 || old.body["businessScope"] != entity.GetBusinessScope() {
			t.Fatalf("get known_at %s: %d %v", first, old.code, old.body)
		}

		// The watch stream is newline-delimited JSON: replay, then live.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/legalentity/changes:watch?after_sequence=1", nil)
		req.Header.Set("X-Api-Key", keys["scjgj"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		next := func() map[string]any {
			if !lines.Scan() {
				t.Fatalf("watch stream ended: %v", lines.Err())
			}
			var msg struct {
				Result map[string]any `json:"result"`
			}
			if err := json.Unmarshal(lines.Bytes(), &msg); err != nil {
				t.Fatalf("watch line %q: %v", lines.Text(), err)
			}
			return msg.Result
		}
		if ch := next(); ch["sequence"] != "2" {
			t.Fatalf("replayed change = %v", ch)
		}
		if r := rest(t, "DELETE", base+"/v1/"+name, ""); r.code != 200 || r.body["retired"] != true {
			t.Fatalf("delete: %d %v", r.code, r.body)
		}
		if ch := next(); ch["sequence"] != "3" || ch["action"] != "CHANGE_ACTION_RETIRED" {
			t.Fatalf("live change = %v", ch)
		}
		if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 || r.body["retired"] != true {
			t.Fatalf("get retired: %d %v", r.code, r.body)
		}
	})

	t.Run("healthz reports every service serving", func(t *testing.T) {
		r := rest(t, "GET", base+"/healthz", "")
		if services, _ := r.body["services"].(map[string]any); r.code != 200 || r.body["status"] != "SERVING" || len(services) != 8 {
			t.Fatalf("healthz: %d %v", r.code, r.body)
		}
	})

	t.Run("the five registries hold a district whose references resolve", func(t *testing.T) {
		clients, closeAll := registryClients(t, cli, a)
		defer closeAll()
		// Loading goes through every cross-registry check over etcd:
		// persons and households → addresses, buildings → addresses,
		// persons and legal entities, reports → legal entities.
		n, err := demo.LoadDistrict(context.Background(), clients, 7, demo.Size{Addresses: 30, Persons: 40, LegalEntities: 8, Buildings: 20, ReportYears: 1}, nil)
		if err != nil || n.Addresses != 30 || n.Persons != 40 || n.Buildings != 20 || n.Reports == 0 {
			t.Fatalf("load district: %+v, %v", n, err)
		}
		gaj := as(keys["gaj"]).with("户籍核查", "GA-1")
		hh := gaj.rest(t, "GET", base+"/v1/households?page_size=1", "")
		addr := hh.body["households"].([]any)[0].(map[string]any)["registeredAddress"].(string)
		if r := rest(t, "GET", base+"/v1/"+addr, ""); r.code != 200 {
			t.Fatalf("a household's address %s: %d %v", addr, r.code, r.body)
		}
		zjj := as(keys["zjj"])
		bs := zjj.rest(t, "GET", base+"/v1/buildings?page_size=20", "")
		var owned map[string]any
		for _, b := range bs.body["buildings"].([]any) {
			bm := b.(map[string]any)
			for _, o := range bm["owners"].([]any) {
				if strings.HasPrefix(o.(string), "legalEntities/") {
					owned = bm
				}
			}
			if r := rest(t, "GET", base+"/v1/"+bm["address"].(string), ""); r.code != 200 {
				t.Fatalf("a building's address %s: %d", bm["address"], r.code)
			}
		}
		if owned == nil {
			t.Fatal("no building owned by a legal entity")
		}
		for _, o := range owned["owners"].([]any) {
			if strings.HasPrefix(o.(string), "legalEntities/") {
				if r := rest(t, "GET", base+"/v1/"+o.(string), ""); r.code != 200 {
					t.Fatalf("a building's owner %s: %d", o, r.code)
				}
			}
		}
		missing := "legalEntities/" + demo.LegalEntities(99, 1)[0].GetUscc()
		r := zjj.rest(t, "PATCH", base+"/v1/"+owned["name"].(string)+"?update_mask=owners", `{"owners":["`+missing+`"]}`)
		if r.code != 400 || !strings.Contains(fmt.Sprint(r.body["details"]), "does not exist") {
			t.Fatalf("an owner that does not exist: %d %v", r.code, r.body)
		}
		r = zjj.rest(t, "PATCH", base+"/v1/"+owned["name"].(string)+"?update_mask=address", `{"address":"addresses/00000000-0000-4000-8000-000000000000"}`)
		if r.code != 400 || !strings.Contains(fmt.Sprint(r.body["details"]), "building.address") {
			t.Fatalf("an address that does not exist: %d %v", r.code, r.body)
		}
	})

	t.Run("access rules over the district", func(t *testing.T) { testAccess(t, base, keys, a) })

	t.Run("etcd holds one key per instance and balances round-robin", func(t *testing.T) {
		prefix := "zhbase/legalentity/"
		if keys := etcdKeys(t, cli, prefix); len(keys) != 1 {
			t.Fatalf("keys with one instance = %v", keys)
		}
		cfgB := baseConfig(dataDir, "b", "legalentity") // same SQLite file: replicas share a database
		cfgB.EtcdEndpoints = cli.Endpoints()
		logsB := &syncBuffer{}
		b := start(t, cfgB, tel, logsB)
		if keys := etcdKeys(t, cli, prefix); len(keys) != 2 {
			t.Fatalf("keys with two instances = %v", keys)
		}
		waitFor(t, "the gateway to use the second instance", 10*time.Second, func() bool {
			rest(t, "GET", base+"/v1/"+name, "")
			return logsB.count("GetLegalEntity") > 0
		})
		beforeA, beforeB := logsA.count("GetLegalEntity"), logsB.count("GetLegalEntity")
		for i := 0; i < 40; i++ {
			if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 {
				t.Fatalf("get %d: %d %v", i, r.code, r.body)
			}
		}
		gotA, gotB := logsA.count("GetLegalEntity")-beforeA, logsB.count("GetLegalEntity")-beforeB
		if gotA < 10 || gotB < 10 {
			t.Fatalf("40 calls split %d/%d between the instances; want round-robin", gotA, gotB)
		}

		if err := b.Stop(context.Background()); err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		if keys := etcdKeys(t, cli, prefix); len(keys) != 1 {
			t.Fatalf("keys right after a graceful stop = %v, want only the first instance", keys)
		}
		for i := 0; i < 10; i++ {
			if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 {
				t.Fatalf("get after the second instance stopped: %d %v", r.code, r.body)
			}
		}
	})

	t.Run("a killed instance drops out when its lease expires", func(t *testing.T) {
		prefix := "zhbase/legalentity/"
		cfgC := baseConfig(dataDir, "c", "legalentity")
		cfgC.EtcdEndpoints = cli.Endpoints()
		c := start(t, cfgC, tel, io.Discard)
		if keys := etcdKeys(t, cli, prefix); len(keys) != 2 {
			t.Fatalf("keys with two instances = %v", keys)
		}
		c.Kill()
		if keys := etcdKeys(t, cli, prefix); len(keys) != 2 {
			t.Fatalf("a killed instance must not deregister itself; keys = %v", keys)
		}
		waitFor(t, "the lease of the killed instance to expire", 10*time.Second, func() bool {
			return len(etcdKeys(t, cli, prefix)) == 1
		})
		_ = c.Stop(context.Background())
		for i := 0; i < 10; i++ {
			if r := rest(t, "GET", base+"/v1/"+name, ""); r.code != 200 {
				t.Fatalf("get after the killed instance expired: %d %v", r.code, r.body)
			}
		}
	})
}

// registryClients dials every registry through etcd, each as its provider
// department.
func registryClients(t *testing.T, cli *clientv3.Client, p *cluster.Process) (demo.Clients, func()) {
	t.Helper()
	var conns []*grpc.ClientConn
	dial := func(service, proto string) *grpc.ClientConn {
		provider := auth.Identity{Department: demo.Provider(service), Application: "loader", Purpose: "导入", CaseReference: "T-1"}
		conn, err := discovery.Dial(cli, service, discovery.DialOptions{
			ProtoServices: []string{proto},
			Extra:         []grpc.DialOption{grpc.WithPerRPCCredentials(auth.IdentityCredentials(p.Signer(), provider))},
		})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		return conn
	}
	c := demo.Clients{
		Spatial:     spatialv1.NewSpatialServiceClient(dial("spatial", "zhbase.spatial.v1.SpatialService")),
		Population:  populationv1.NewPopulationServiceClient(dial("population", "zhbase.population.v1.PopulationService")),
		LegalEntity: legalentityv1.NewLegalEntityServiceClient(dial("legalentity", "zhbase.legalentity.v1.LegalEntityService")),
		Building:    buildingv1.NewBuildingServiceClient(dial("building", "zhbase.building.v1.BuildingService")),
		Economy:     economyv1.NewEconomyServiceClient(dial("economy", "zhbase.economy.v1.EconomyService")),
	}
	return c, func() {
		for _, c := range conns {
			c.Close()
		}
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
