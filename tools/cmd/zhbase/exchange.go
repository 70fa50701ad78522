package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/exchange"
	exchangestore "github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/store"
)

const exchangeUsage = `zhbase exchange — administer the exchange's database directly

Usage:
  zhbase exchange bootstrap -admin CODE -name NAME [flags]
      make department CODE the platform's admin (creating it, or making it
      active and admin again) and issue its application an API key, printed
      once. The way in for a new deployment, and back in should every admin
      department have been suspended.

Run 'zhbase exchange bootstrap -h' for the flags; each can also be set as
ZHBASE_<FLAG> in the environment.
`

// exchangeCommand runs `zhbase exchange ...` and returns the exit status.
func exchangeCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, exchangeUsage)
		return 2
	}
	switch args[0] {
	case "bootstrap":
		return exchangeBootstrap(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, exchangeUsage)
		return 0
	}
	fmt.Fprintf(stderr, "zhbase exchange: unknown command %q\n\n%s", args[0], exchangeUsage)
	return 2
}

func exchangeBootstrap(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zhbase exchange bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "data", "directory of the SQLite databases; the exchange's is exchange.db in it")
	dsn := fs.String("exchange.postgres-dsn", "", "PostgreSQL DSN of the exchange (instead of SQLite under -data-dir)")
	code := fs.String("admin", "", "code of the admin department, e.g. dsjj")
	name := fs.String("name", "", "its name, e.g. 镇海区大数据发展管理局 (when it is created)")
	app := fs.String("application", "console", "the application the API key is issued to")
	if err := parseCommandFlags(fs, args); err != nil {
		return flagExit(err, stderr, "zhbase exchange bootstrap")
	}
	if err := auth.CheckDepartmentCode(*code); err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: -admin %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, cluster.DatabaseOptions(*dataDir, cluster.ExchangeTarget, *dsn))
	if err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: %v\n", err)
		return 2
	}
	defer db.Close()
	st, err := exchangestore.Open(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: %v\n", err)
		return 2
	}
	svc, err := exchange.New(ctx, st, exchange.Options{Resources: cluster.PlatformResources()})
	if err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: %v\n", err)
		return 2
	}
	if err := svc.EnsureAdmin(ctx, *code, *name); err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: %v\n", err)
		return 1
	}
	admin := auth.NewContext(ctx, auth.Identity{Department: *code, Admin: true})
	c, secret, err := svc.CreateCredential(admin, *code, &exchange.Credential{Application: *app, Kind: exchange.APIKey})
	if err != nil {
		fmt.Fprintf(stderr, "zhbase exchange bootstrap: issue the API key: %v\n", err)
		return 1
	}
	// Registries reload the policy within 30 s, or at once on the next
	// change the exchange service makes.
	fmt.Fprintf(stdout, "%s is the admin department; API key of %s (%s), shown once:\n%s\n", exchange.DepartmentName(*code), *app, c.Name(), secret)
	return 0
}
