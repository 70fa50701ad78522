package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/etcdanchor"
	"github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/kit/store"
)

const auditUsage = `zhbase audit — check and read the audit log

Usage:
  zhbase audit verify [flags]   walk every chain, compare with the anchors in etcd, report tampering
  zhbase audit search [flags]   list audit records, newest first

Exit status of verify: 0 the log is intact, 1 problems were found, 2 the
check could not be made (bad flags, database or etcd unreachable).
Run 'zhbase audit verify -h' or 'zhbase audit search -h' for the flags;
each can also be set as ZHBASE_<FLAG> in the environment.
`

// auditCommand runs `zhbase audit ...` and returns the exit status.
func auditCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "verify":
		return auditVerify(args[1:], stdout, stderr)
	case "search":
		return auditSearch(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, auditUsage)
		return 0
	}
	fmt.Fprintf(stderr, "zhbase audit: unknown command %q\n\n%s", args[0], auditUsage)
	return 2
}

// auditDatabase is where the audit log is: the same flags as the process
// that writes it.
type auditDatabase struct {
	dataDir     string
	postgresDSN string
}

func (d *auditDatabase) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dataDir, "data-dir", "data", "directory of the SQLite databases; the audit log is audit.db in it")
	fs.StringVar(&d.postgresDSN, "audit.postgres-dsn", "", "PostgreSQL DSN of the audit log (instead of SQLite under -data-dir)")
}

func (d *auditDatabase) open(ctx context.Context) (*store.DB, audit.Store, error) {
	o := cluster.DatabaseOptions(d.dataDir, cluster.AuditTarget, d.postgresDSN)
	if o.PostgresDSN == "" {
		// Opening a missing file would create an empty log that verifies
		// clean: say it is missing instead.
		if _, err := os.Stat(o.SQLitePath); err != nil {
			return nil, nil, fmt.Errorf("no audit log at %s (set -data-dir or -audit.postgres-dsn): %w", o.SQLitePath, err)
		}
	}
	db, err := store.Open(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, st, nil
}

// parseCommandFlags parses the args of a subcommand (audit, exchange),
// then takes every flag not given from ZHBASE_<FLAG> in the environment,
// like `zhbase serve`.
func parseCommandFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := os.Getenv(cluster.EnvName(f.Name)); v != "" && !set[f.Name] {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", cluster.EnvName(f.Name), err))
			}
		}
	})
	return errors.Join(errs...)
}

func flagExit(err error, stderr io.Writer, name string) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 2
}

// anchorReadTimeout bounds the wait for etcd: an unreachable endpoint
// otherwise blocks the read forever.
var anchorReadTimeout = 10 * time.Second

func auditVerify(args []string, stdout, stderr io.Writer) int {
	const name = "zhbase audit verify"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src auditDatabase
	src.register(fs)
	endpoints := fs.String("etcd.endpoints", "127.0.0.1:2379", "comma-separated etcd endpoints holding the anchors")
	noAnchors := fs.Bool("no-anchors", false, "verify the chains alone, without the anchors in etcd")
	if err := parseCommandFlags(fs, args); err != nil {
		return flagExit(err, stderr, name)
	}
	ctx := context.Background()
	db, st, err := src.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	defer db.Close()

	var anchors audit.Anchorer
	if *noAnchors {
		fmt.Fprintln(stderr, "warning: verifying without anchors: removed last records and a chain rewritten and re-hashed to its end cannot be detected")
	} else {
		cli, err := clientv3.New(clientv3.Config{Endpoints: splitEndpoints(*endpoints), DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintf(stderr, "%s: etcd client: %v\n", name, err)
			return 2
		}
		defer cli.Close()
		// Read the anchors up front so that an unreachable etcd is an
		// error of its own, not a failed verification.
		a := etcdanchor.New(cli)
		actx, cancel := context.WithTimeout(ctx, anchorReadTimeout)
		_, err = a.List(actx)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "%s: cannot read the anchors from etcd at %s (use -no-anchors to verify the chains alone): %v\n", name, *endpoints, err)
			return 2
		}
		anchors = a
	}

	rep, err := audit.Verify(ctx, st, anchors)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, p.String())
	}
	for _, c := range rep.Unanchored {
		fmt.Fprintf(stderr, "warning: chain %s has no anchor: its last records could be removed without a trace\n", c)
	}
	summary := fmt.Sprintf("%d chains, %d records checked", rep.Chains, rep.Records)
	if rep.AnchorsChecked {
		summary += " against their anchors"
	}
	if rep.Clean() {
		fmt.Fprintf(stdout, "audit log intact: %s\n", summary)
		return 0
	}
	fmt.Fprintf(stdout, "audit log TAMPERED: %d problems; %s\n", len(rep.Problems), summary)
	return 1
}

func splitEndpoints(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func auditSearch(args []string, stdout, stderr io.Writer) int {
	const name = "zhbase audit search"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src auditDatabase
	src.register(fs)
	var q audit.Query
	fs.StringVar(&q.Department, "department", "", "only calls by this department code")
	fs.StringVar(&q.Resource, "resource", "", "only calls that touched this resource name, exactly")
	fs.StringVar(&q.Method, "method", "", "only calls of this full gRPC method")
	fs.StringVar(&q.Result, "result", "", "only calls that ended with this gRPC code name, e.g. PERMISSION_DENIED")
	from := fs.String("start-time", "", "only records at or after this time (RFC 3339)")
	to := fs.String("end-time", "", "only records before this time (RFC 3339)")
	fs.IntVar(&q.PageSize, "page-size", audit.DefaultPageSize, fmt.Sprintf("records to print, at most %d", audit.MaxPageSize))
	fs.StringVar(&q.PageToken, "page-token", "", "continue after a previous search")
	if err := parseCommandFlags(fs, args); err != nil {
		return flagExit(err, stderr, name)
	}
	for _, b := range []struct {
		flag, val string
		dst       *time.Time
	}{{"start-time", *from, &q.From}, {"end-time", *to, &q.To}} {
		if b.val == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, b.val)
		if err != nil {
			fmt.Fprintf(stderr, "%s: -%s: %v\n", name, b.flag, err)
			return 2
		}
		*b.dst = t
	}
	ctx := context.Background()
	db, st, err := src.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	defer db.Close()
	recs, next, err := audit.Search(ctx, st, q)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tCHAIN:SEQ\tPRINCIPAL\tMETHOD\tRESULT\tRESOURCES")
	for _, r := range recs {
		fmt.Fprintf(w, "%s\t%s:%d\t%s\t%s\t%s\t%s\n", r.Time.Format(time.RFC3339Nano), r.Chain, r.Seq, r.Principal, r.Method, r.Result, strings.Join(r.Resources, " "))
	}
	w.Flush()
	if next != "" {
		fmt.Fprintf(stdout, "more: -page-token=%s\n", next)
	}
	return 0
}
