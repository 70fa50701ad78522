package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/audittest"
	"github.com/zhbase/zhbase/services/audit/etcdanchor"
	"github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/kit/store"
)

// auditLog writes ten records to <dir>/audit.db under chain, anchored in
// anchors when it is not nil, and returns the database (still open, for
// tampering) and the stored records.
func auditLog(t *testing.T, dir, chain string, anchors audit.Anchorer) (*store.DB, []audit.Record) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "audit.db"), Name: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, st, audit.Options{Chain: chain, Anchor: anchors})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := l.Append(ctx, audit.Record{
			Department: "scjgj", Principal: "scjgj/licensing-app", Method: "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity",
			Resources: []string{fmt.Sprintf("legalEntities/%d", i)}, Result: "OK",
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Scan(ctx, chain, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return db, recs
}

func runAudit(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = auditCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func tamper(t *testing.T, db *store.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Run("an intact log exits 0 and says so", func(t *testing.T) {
		dir := t.TempDir()
		auditLog(t, dir, "legalentity@a:1", nil)
		code, out, errOut := runAudit("verify", "-data-dir", dir, "-no-anchors")
		if code != 0 || !strings.Contains(out, "audit log intact: 1 chains, 10 records checked") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		if !strings.Contains(errOut, "warning: verifying without anchors") {
			t.Errorf("no warning about the missing anchors: %s", errOut)
		}
	})

	t.Run("a tampered log exits 1 with one line per problem and a summary", func(t *testing.T) {
		dir := t.TempDir()
		db, recs := auditLog(t, dir, "legalentity@a:1", nil)
		tamper(t, db, `UPDATE audit_records SET department = 'gaj' WHERE seq = 5`)
		tamper(t, db, `DELETE FROM audit_records WHERE seq = 8`)
		code, out, errOut := runAudit("verify", "-data-dir", dir, "-no-anchors")
		want := []string{
			fmt.Sprintf("chain legalentity@a:1 seq 5 (record %s): CHANGED: ", recs[4].ID),
			fmt.Sprintf("chain legalentity@a:1 seq 8 (record %s): REMOVED: seq 8 is missing; the next stored record is seq 9", recs[8].ID),
			"audit log TAMPERED: 2 problems; 1 chains, 9 records checked",
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 1 || len(lines) != 3 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("line %d = %q\nwant it to start %q", i+1, lines[i], w)
			}
		}
	})

	t.Run("records removed from the end are found through the anchors in etcd", func(t *testing.T) {
		cli, endpoint := audittest.StartEtcd(t)
		dir := t.TempDir()
		db, _ := auditLog(t, dir, "legalentity@a:1", etcdanchor.New(cli))
		if code, out, errOut := runAudit("verify", "-data-dir", dir, "-etcd.endpoints", endpoint); code != 0 {
			t.Fatalf("before tampering: exit %d\n%s%s", code, out, errOut)
		}
		tamper(t, db, `DELETE FROM audit_records WHERE seq = 10`)
		code, out, errOut := runAudit("verify", "-data-dir", dir, "-etcd.endpoints", endpoint)
		if code != 1 || !strings.Contains(out, "chain legalentity@a:1 seq 10: REMOVED: the anchor") || !strings.Contains(out, "against their anchors") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	})

	failures := []struct {
		name string
		args func(dir string) []string
		want string
	}{
		{"no subcommand", func(string) []string { return nil }, "Usage"},
		{"an unknown subcommand", func(string) []string { return []string{"repair"} }, `unknown command "repair"`},
		{"an unknown flag", func(dir string) []string { return []string{"verify", "-data-dir", dir, "-fix"} }, "-fix"},
		{"a data directory without an audit log", func(string) []string { return []string{"verify", "-data-dir", t.TempDir(), "-no-anchors"} }, "no audit log at"},
		{"an etcd that does not answer", func(dir string) []string {
			return []string{"verify", "-data-dir", dir, "-etcd.endpoints", "127.0.0.1:1"}
		}, "use -no-anchors"},
	}
	defer func(d time.Duration) { anchorReadTimeout = d }(anchorReadTimeout)
	anchorReadTimeout = 300 * time.Millisecond
	for _, tt := range failures {
		t.Run(tt.name+" exits 2", func(t *testing.T) {
			dir := t.TempDir()
			auditLog(t, dir, "legalentity@a:1", nil)
			code, out, errOut := runAudit(tt.args(dir)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
}

func TestAuditSearchCommand(t *testing.T) {
	dir := t.TempDir()
	auditLog(t, dir, "legalentity@a:1", nil)
	code, out, errOut := runAudit("search", "-data-dir", dir, "-resource", "legalEntities/3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "legalentity@a:1:4") || !strings.Contains(lines[1], "legalEntities/3") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = runAudit("search", "-data-dir", dir, "-page-size", "3")
	if code != 0 || !strings.Contains(out, "more: -page-token=") || strings.Count(out, "legalentity@a:1:") != 3 {
		t.Fatalf("exit %d\nstdout: %s", code, out)
	}
	if code, _, errOut := runAudit("search", "-data-dir", dir, "-result", "denied"); code != 2 || !strings.Contains(errOut, "result") {
		t.Fatalf("a bad result: exit %d, %s", code, errOut)
	}
}
