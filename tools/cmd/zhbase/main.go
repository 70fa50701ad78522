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

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
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
	demoSize := fs.Int("demo.legal-entities", 300, "legal entities in the demo district (0: none)")
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
	if err := seedOnFirstStart(ctx, p, cfg, *demoSize); err != nil {
		_ = shutdown(p, cfg)
		return err
	}
	base := "http://" + p.HTTPAddr()
	fmt.Printf(`
zhbase is up.
  Browser (API docs): %[1]s/docs/
  REST:               %[1]s/v1/legalEntities
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

// seedOnFirstStart loads the demo district through the public API once per
// data directory; a marker file remembers that it has.
func seedOnFirstStart(ctx context.Context, p *cluster.Process, cfg cluster.Config, n int) error {
	marker := filepath.Join(cfg.DataDir, ".demo-seeded")
	if _, err := os.Stat(marker); err == nil || n == 0 {
		return nil
	}
	conn, err := discovery.Dial(p.Etcd(), "legalentity", discovery.DialOptions{ProtoServices: []string{"zhbase.legalentity.v1.LegalEntityService"}})
	if err != nil {
		return err
	}
	defer conn.Close()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	created, err := demo.SeedLegalEntities(sctx, legalentityv1.NewLegalEntityServiceClient(conn), demo.DefaultSeed, n)
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	fmt.Fprintf(os.Stderr, "demo data: %d legal entities created\n", created)
	return os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o640)
}

func shutdown(p *cluster.Process, cfg cluster.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+10*time.Second)
	defer cancel()
	return p.Stop(ctx)
}
