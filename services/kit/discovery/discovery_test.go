package discovery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	_ "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1" // registers the service descriptor

	"github.com/zhbase/zhbase/services/kit/discovery"
	"github.com/zhbase/zhbase/services/kit/server"
)

func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// startEtcd runs a single-member etcd in the test's temporary directory.
func startEtcd(t testing.TB) *clientv3.Client {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "fatal"
	cu, pu := freeURL(t), freeURL(t)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		t.Fatal("etcd did not start")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{cu.Host}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func keys(t testing.TB, cli *clientv3.Client, service string) map[string]int64 {
	t.Helper()
	resp, err := cli.Get(context.Background(), discovery.Target(service)+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = kv.Lease
	}
	return out
}

func TestRegistrationComesBackAfterItsLeaseIsLost(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := discovery.Register(ctx, cli, "echo", "127.0.0.1:1111", 2*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	key := discovery.Key("echo", "127.0.0.1:1111")
	first := keys(t, cli, "echo")[key]
	if first == 0 {
		t.Fatalf("endpoint not registered under %s: %v", key, keys(t, cli, "echo"))
	}
	// Losing the lease (as after an etcd restart or a long partition) deletes the key.
	if _, err := cli.Revoke(ctx, clientv3.LeaseID(first)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		lease := keys(t, cli, "echo")[key]
		if lease != 0 && lease != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the endpoint was not registered again under a new lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := reg.Deregister(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(t, cli, "echo"); len(k) != 0 {
		t.Fatalf("keys after Deregister = %v", k)
	}
}

func TestDialBalancesAcrossRegisteredEndpoints(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var addrs []string
	for i := 0; i < 2; i++ {
		srv, err := server.New(server.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(func() { srv.Shutdown(ctx) })
		if _, err := discovery.Register(ctx, cli, "echo", lis.Addr().String(), 5*time.Second, log); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, lis.Addr().String())
	}
	conn, err := discovery.Dial(cli, "echo", discovery.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	seen := map[string]int{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < 2 && time.Now().Before(deadline) {
		var p peer.Peer
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
			t.Fatal(err)
		}
		seen[p.Addr.String()]++
	}
	for _, a := range addrs {
		if seen[a] == 0 {
			t.Fatalf("calls reached %v, never %s", seen, a)
		}
	}
}

func TestServiceConfigRetriesOnlyMethodsBoundToGet(t *testing.T) {
	sc, err := discovery.ServiceConfig([]string{"zhbase.legalentity.v1.LegalEntityService"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		LoadBalancingConfig []map[string]any `json:"loadBalancingConfig"`
		MethodConfig        []struct {
			Name []struct{ Method string } `json:"name"`
		} `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(sc), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.LoadBalancingConfig[0]["round_robin"]; !ok {
		t.Fatalf("not round-robin: %s", sc)
	}
	var retried []string
	for _, n := range cfg.MethodConfig[0].Name {
		retried = append(retried, n.Method)
	}
	sort.Strings(retried)
	want := []string{"GetLegalEntity", "ListLegalEntities", "ListLegalEntityChanges", "ListLegalEntityVersions", "SearchLegalEntities"}
	if !slices.Equal(retried, want) {
		t.Fatalf("retried methods = %v, want %v (never Create, Update or a stream)", retried, want)
	}
	if _, err := discovery.ServiceConfig([]string{"no.such.Service"}); err == nil {
		t.Fatal("an unknown service was accepted")
	}
}
