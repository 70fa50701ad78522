package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/kit/store"
)

var ctx = context.Background()

var chains atomic.Int64

// newChain returns a chain name no other test uses, so that tests can
// share a database and an etcd.
func newChain() string { return fmt.Sprintf("test-%d@127.0.0.1:9090", chains.Add(1)) }

func openStore(tb testing.TB, db *store.DB) *sqlstore.Store {
	tb.Helper()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		tb.Fatalf("open audit store: %v", err)
	}
	return st
}

func openLog(tb testing.TB, st audit.Store, o audit.Options) *audit.Log {
	tb.Helper()
	l, err := audit.Open(ctx, st, o)
	if err != nil {
		tb.Fatalf("open audit log: %v", err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

// call is the record of the i-th call of a licensing clerk; every tenth
// is refused.
func call(i int) audit.Record {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	r := audit.Record{
		Department: "scjgj", Application: "licensing-app", Principal: "scjgj/licensing-app",
		Purpose: "企业登记核查", CaseReference: fmt.Sprintf("ZH-2026-%05d", i),
		Method:      "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity",
		Resources:   []string{fmt.Sprintf("legalEntities/9133021100000%05d", i)},
		Result:      "OK",
		RequestHash: hex.EncodeToString(sum[:]),
	}
	if i%10 == 9 {
		r.Result, r.Detail = "PERMISSION_DENIED", "no grant covers this purpose"
	}
	return r
}

func appendN(tb testing.TB, l *audit.Log, n int) {
	tb.Helper()
	for i := range n {
		if err := l.Append(ctx, call(i)); err != nil {
			tb.Fatalf("append record %d: %v", i, err)
		}
	}
}

// scanAll returns every stored record of chain in seq order.
func scanAll(tb testing.TB, st audit.Store, chain string) []audit.Record {
	tb.Helper()
	var out []audit.Record
	for after := int64(0); ; {
		recs, err := st.Scan(ctx, chain, after, 100)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, recs...)
		if len(recs) < 100 {
			return out
		}
		after = recs[len(recs)-1].Seq
	}
}

func verify(tb testing.TB, st audit.Store, anchors audit.Anchorer) audit.Report {
	tb.Helper()
	rep, err := audit.Verify(ctx, st, anchors)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	return rep
}

// found lists the problems of chain as KIND@seq, in report order.
func found(rep audit.Report, chain string) []string {
	var out []string
	for _, p := range rep.Problems {
		if p.Chain == chain {
			out = append(out, fmt.Sprintf("%s@%d", p.Kind, p.Seq))
		}
	}
	return out
}

func problemsOf(rep audit.Report, chain string) []audit.Problem {
	var out []audit.Problem
	for _, p := range rep.Problems {
		if p.Chain == chain {
			out = append(out, p)
		}
	}
	return out
}

func execSQL(tb testing.TB, db *store.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// swapSeq swaps the seq values of two records of chain, as an intruder
// with write access to the database would.
func swapSeq(tb testing.TB, db *store.DB, chain string, a, b int64) {
	tb.Helper()
	execSQL(tb, db, `UPDATE audit_records SET seq = -1 WHERE chain = ? AND seq = ?`, chain, a)
	execSQL(tb, db, `UPDATE audit_records SET seq = ? WHERE chain = ? AND seq = ?`, a, chain, b)
	execSQL(tb, db, `UPDATE audit_records SET seq = ? WHERE chain = ? AND seq = -1`, b, chain)
}

// rewrite changes the purpose of the record at seq and re-hashes it and
// the next `later` records with correct links, as an intruder who knows
// the published algorithm would.
func rewrite(tb testing.TB, db *store.DB, st audit.Store, chain string, seq int64, later int) {
	tb.Helper()
	recs := scanAll(tb, st, chain)
	i := slices.IndexFunc(recs, func(r audit.Record) bool { return r.Seq == seq })
	if i < 0 {
		tb.Fatalf("no record at seq %d", seq)
	}
	recs[i].Purpose = "（已改写）"
	for j := i; j <= i+later && j < len(recs); j++ {
		if j > i {
			recs[j].PrevHash = recs[j-1].Hash
		}
		recs[j].Hash = recs[j].ComputeHash()
		execSQL(tb, db, `UPDATE audit_records SET purpose = ?, prev_hash = ?, hash = ? WHERE id = ?`,
			recs[j].Purpose, recs[j].PrevHash, recs[j].Hash, recs[j].ID)
	}
}

// clock is a test clock that moves on by step at every reading.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
