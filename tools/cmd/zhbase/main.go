// Command zhbase is the one binary of the platform. `zhbase serve
// --target=...` runs one or more targets against an external etcd (the
// distributed deployment); `zhbase up` runs everything on this machine with
// an embedded etcd, SQLite files and demo data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/kit/discovery"
	"github.com/zhbase/zhbase/tools/demo"
)

const usage = `zhbase — the base-data platform of Zhenhai District

Usage:
  zhbase up [flags]                 run the whole platform on this machine
  zhbase serve -target=LIST [flags] run targets against an external etcd
  zhbase -list-targets              list the targets

Run 'zhbase up -h' or 'zhbase serve -h' for the flags. Every flag can also
be set as ZHBASE_<FLAG> in the environment or in a YAML file (-config.file).
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "zhbase:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "-list-targets", "--list-targets", "list-targets":
		for _, t := range cluster.AllTargets() {
			fmt.Println(t)
		}
		fmt.Println("all")
		return nil
	case "serve":
		return serve(args[1:])
	case "up":
		return up(args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}

func serve(args []string) error {
	var cfg cluster.Config
	fs := cfg.FlagSet("zhbase serve")
	list := fs.Bool("list-targets", false, "list the targets and exit")
	err := cfg.Parse(fs, args, os.Getenv)
	if *list {
		return run([]string{"-list-targets"})
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := cluster.Start(ctx, cfg, cluster.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "zhbase serving %s (gRPC %s, HTTP %s)\n", strings.Join(cfg.Targets, ","), p.GRPCAddr(), p.HTTPAddr())
	<-ctx.Done()
	return shutdown(p, cfg)
}

func up(args []string) error {
	var cfg cluster.Config
	fs := cfg.FlagSet("zhbase up")
	etcdClient := fs.String("etcd.client-url", "http://127.0.0.1:2379", "client URL of the embedded etcd")
	etcdPeer := fs.String("etcd.peer-url", "http://127.0.0.1:2380", "peer URL of the embedded etcd")
	size := demo.SmallDistrict
	fs.IntVar(&size.Addresses, "demo.addresses", size.Addresses, "standard addresses in the demo district (0: no demo data)")
	fs.IntVar(&size.Persons, "demo.persons", size.Persons, "persons living in the demo district")
	fs.IntVar(&size.LegalEntities, "demo.legal-entities", size.LegalEntities, "legal entities registered in the demo district")
	fs.IntVar(&size.Buildings, "demo.buildings", size.Buildings, "buildings in the demo district")
	cfg.Targets = []string{"all"}
	if err := cfg.Parse(fs, args, os.Getenv); err != nil {
		return err
	}
	cfg.EmbeddedEtcd, cfg.EtcdClientURL, cfg.EtcdPeerURL = true, *etcdClient, *etcdPeer
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := cluster.Start(ctx, cfg, cluster.Options{})
	if err != nil {
		return err
	}
	if err := seedOnFirstStart(ctx, p, cfg, size); err != nil {
		_ = shutdown(p, cfg)
		return err
	}
	base := "http://" + p.HTTPAddr()
	fmt.Printf(`
zhbase is up.
  Browser (API docs): %[1]s/docs/
  REST:               %[1]s/v1/legalEntities  /v1/persons  /v1/addresses  /v1/buildings  /v1/enterprises/-/reports
  OpenAPI:            %[1]s/openapi.json
  Health:             %[1]s/healthz    Metrics: %[1]s/metrics
  gRPC (reflection):  grpcurl -plaintext %[2]s list
  etcd:               %[3]s
  Data:               %[4]s
  Credentials:        none yet; every caller is anonymous until departments and API keys arrive.
Press Ctrl-C to stop.
`, base, p.GRPCAddr(), *etcdClient, cfg.DataDir)
	<-ctx.Done()
	return shutdown(p, cfg)
}

// seedOnFirstStart loads the demo district through the registries' APIs
// once per data directory; a marker file remembers that it has.
func seedOnFirstStart(ctx context.Context, p *cluster.Process, cfg cluster.Config, size demo.Size) error {
	marker := filepath.Join(cfg.DataDir, ".demo-seeded")
	if _, err := os.Stat(marker); err == nil || size.Addresses == 0 {
		return nil
	}
	dial := func(service, protoService string) (*grpc.ClientConn, error) {
		return discovery.Dial(p.Etcd(), service, discovery.DialOptions{ProtoServices: []string{protoService}})
	}
	var c demo.Clients
	for _, d := range []struct {
		service, proto string
		set            func(*grpc.ClientConn)
	}{
		{"spatial", "zhbase.spatial.v1.SpatialService", func(cc *grpc.ClientConn) { c.Spatial = spatialv1.NewSpatialServiceClient(cc) }},
		{"population", "zhbase.population.v1.PopulationService", func(cc *grpc.ClientConn) { c.Population = populationv1.NewPopulationServiceClient(cc) }},
		{"legalentity", "zhbase.legalentity.v1.LegalEntityService", func(cc *grpc.ClientConn) { c.LegalEntity = legalentityv1.NewLegalEntityServiceClient(cc) }},
		{"building", "zhbase.building.v1.BuildingService", func(cc *grpc.ClientConn) { c.Building = buildingv1.NewBuildingServiceClient(cc) }},
		{"economy", "zhbase.economy.v1.EconomyService", func(cc *grpc.ClientConn) { c.Economy = economyv1.NewEconomyServiceClient(cc) }},
	} {
		conn, err := dial(d.service, d.proto)
		if err != nil {
			return err
		}
		defer conn.Close()
		d.set(conn)
	}
	sctx, cancel := context.WithTimeout(ctx, demo.LoadTimeout)
	defer cancel()
	start := time.Now()
	fmt.Fprintln(os.Stderr, "loading the demo district (first start only)...")
	n, err := demo.LoadDistrict(sctx, c, demo.DefaultSeed, size, func(s string) { fmt.Fprintln(os.Stderr, "  "+s) })
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	fmt.Fprintf(os.Stderr, "demo district loaded in %s: %d addresses, %d persons, %d legal entities, %d buildings, %d reports\n",
		time.Since(start).Round(time.Second), n.Addresses, n.Persons, n.LegalEntities, n.Buildings, n.Reports)
	return os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o640)
}

func shutdown(p *cluster.Process, cfg cluster.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+10*time.Second)
	defer cancel()
	return p.Stop(ctx)
}
