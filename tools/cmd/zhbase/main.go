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
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/discovery"
	"github.com/zhbase/zhbase/tools/demo"
)

const usage = `zhbase — the base-data platform of Zhenhai District

Usage:
  zhbase up [flags]                 run the whole platform on this machine
  zhbase serve -target=LIST [flags] run targets against an external etcd
  zhbase exchange bootstrap [flags] make a department the admin, print its API key
  zhbase audit verify [flags]       check the audit log's hash chains and anchors
  zhbase audit search [flags]       search the audit log
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
	case "audit":
		os.Exit(auditCommand(args[1:], os.Stdout, os.Stderr))
	case "exchange":
		os.Exit(exchangeCommand(args[1:], os.Stdout, os.Stderr))
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
	cfg.GenerateClusterKey = true
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
	keys, err := seedOnFirstStart(ctx, p, cfg, size)
	if err != nil {
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

Credentials (API keys of the demo departments' "demo" application; send one
as X-Api-Key over REST or x-api-key over gRPC, and for personal data also
Zhbase-Purpose and Zhbase-Case-Reference; kept in %[5]s):
%[6]s
  In the API docs page, press Authorize and paste a key.
Press Ctrl-C to stop.
`, base, p.GRPCAddr(), *etcdClient, cfg.DataDir, filepath.Join(cfg.DataDir, credentialsFile), keys)
	<-ctx.Done()
	return shutdown(p, cfg)
}

// credentialsFile keeps the demo departments' API keys (readable by the
// operator only), so that every start can print them again.
const credentialsFile = "demo-credentials.txt"

// seedOnFirstStart, once per data directory, admits the demo departments
// with their catalogue, grants and API keys, then loads the demo district
// through the registries' APIs, each registry written by its provider
// department. It returns the credentials table to print.
func seedOnFirstStart(ctx context.Context, p *cluster.Process, cfg cluster.Config, size demo.Size) (string, error) {
	credPath := filepath.Join(cfg.DataDir, credentialsFile)
	if _, err := os.Stat(credPath); err != nil {
		keys, err := demo.SeedExchange(ctx, p.Exchange())
		if err != nil {
			return "", fmt.Errorf("seed the exchange: %w", err)
		}
		var b strings.Builder
		for _, d := range demo.Departments {
			role := "member"
			switch {
			case d.Admin:
				role = "admin"
			case len(d.Provides) > 0:
				role = "provides " + strings.Join(d.Provides, ", ")
			case d.Division != "":
				role = "subdistrict office, division " + d.Division
			}
			fmt.Fprintf(&b, "  %-6s %-58s %s\n         %s\n", d.Code, keys[d.Code], d.Name, role)
		}
		if err := os.WriteFile(credPath, []byte(b.String()), 0o600); err != nil {
			return "", err
		}
	}
	table, err := os.ReadFile(credPath)
	if err != nil {
		return "", err
	}
	marker := filepath.Join(cfg.DataDir, ".demo-seeded")
	if _, err := os.Stat(marker); err == nil || size.Addresses == 0 {
		return string(table), nil
	}
	rev, err := p.Exchange().PolicyRevision(ctx)
	if err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.WaitPolicy(wctx, rev); err != nil {
		return "", err
	}
	dial := func(service, protoService string) (*grpc.ClientConn, error) {
		provider := auth.Identity{Department: demo.Provider(service), Application: "demo-loader", Purpose: "演示数据导入", CaseReference: "demo"}
		return discovery.Dial(p.Etcd(), service, discovery.DialOptions{
			ProtoServices: []string{protoService},
			Extra:         []grpc.DialOption{grpc.WithPerRPCCredentials(auth.IdentityCredentials(p.Signer(), provider))},
		})
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
			return "", err
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
		return "", fmt.Errorf("load demo data: %w", err)
	}
	fmt.Fprintf(os.Stderr, "demo district loaded in %s: %d addresses, %d persons, %d legal entities, %d buildings, %d reports\n",
		time.Since(start).Round(time.Second), n.Addresses, n.Persons, n.LegalEntities, n.Buildings, n.Reports)
	return string(table), os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o640)
}

func shutdown(p *cluster.Process, cfg cluster.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+10*time.Second)
	defer cancel()
	return p.Stop(ctx)
}
