package audit_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/audittest"
	"github.com/zhbase/zhbase/services/audit/etcdanchor"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The anchors are what catches an intruder who can write the database but
// not etcd: these attacks pass the chain walk alone (see
// TestVerifyFindsTampering).
func TestAnchorsCatchWhatTheChainAloneCannot(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		cli, _ := audittest.StartEtcd(t)
		anchors := etcdanchor.New(cli)
		st := openStore(t, db)
		// anchoredChain writes ten records and closes the Log, which
		// anchors its head.
		anchoredChain := func(t *testing.T) string {
			l := openLog(t, st, audit.Options{Chain: newChain(), Anchor: anchors})
			appendN(t, l, 10)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if a, ok, err := anchors.Get(ctx, l.Chain()); err != nil || !ok || a.Seq != 10 || a.Hash != l.Head().Hash {
				t.Fatalf("anchor after close = %+v, %v, %v; want seq 10 at the head", a, ok, err)
			}
			return l.Chain()
		}

		t.Run("an untouched anchored chain verifies clean", func(t *testing.T) {
			chain := anchoredChain(t)
			rep := verify(t, st, anchors)
			if p := found(rep, chain); len(p) != 0 || !rep.AnchorsChecked || slices.Contains(rep.Unanchored, chain) {
				t.Fatalf("problems %v, anchors checked %v, unanchored %v", p, rep.AnchorsChecked, rep.Unanchored)
			}
		})

		t.Run("deleted last records are REMOVED through the anchor", func(t *testing.T) {
			chain := anchoredChain(t)
			execSQL(t, db, `DELETE FROM audit_records WHERE chain = ? AND seq >= 9`, chain)
			rep := verify(t, st, anchors)
			if got := found(rep, chain); !slices.Equal(got, []string{"REMOVED@9"}) {
				t.Fatalf("problems = %v, want REMOVED@9\n%s", got, describe(problemsOf(rep, chain)))
			}
			if d := problemsOf(rep, chain)[0].Detail; !strings.Contains(d, "seq 10") || !strings.Contains(d, "last stored record is seq 8") {
				t.Errorf("detail = %q", d)
			}
		})

		t.Run("a chain rewritten and re-hashed to its end is ANCHOR_MISMATCH", func(t *testing.T) {
			chain := anchoredChain(t)
			rewrite(t, db, st, chain, 3, 10)
			rep := verify(t, st, anchors)
			if got := found(rep, chain); !slices.Equal(got, []string{"ANCHOR_MISMATCH@10"}) {
				t.Fatalf("problems = %v, want ANCHOR_MISMATCH@10\n%s", got, describe(problemsOf(rep, chain)))
			}
			if p := problemsOf(rep, chain)[0]; p.RecordID != scanAll(t, st, chain)[9].ID {
				t.Errorf("%s does not name the record at the anchor", p)
			}
		})

		t.Run("the last two swapped are both REORDERED, the anchor vouching for neither", func(t *testing.T) {
			chain := anchoredChain(t)
			swapSeq(t, db, chain, 9, 10)
			got := found(verify(t, st, anchors), chain)
			if !slices.Equal(got, []string{"REORDERED@9", "REORDERED@10", "ANCHOR_MISMATCH@10"}) {
				t.Fatalf("problems = %v", got)
			}
		})

		t.Run("an anchored chain missing from the database is REMOVED", func(t *testing.T) {
			chain := anchoredChain(t)
			execSQL(t, db, `DELETE FROM audit_records WHERE chain = ?`, chain)
			execSQL(t, db, `DELETE FROM audit_chains WHERE chain = ?`, chain)
			if got := found(verify(t, st, anchors), chain); !slices.Equal(got, []string{"REMOVED@1"}) {
				t.Fatalf("problems = %v, want REMOVED@1", got)
			}
		})

		t.Run("a chain with records but no anchor is listed as unanchored", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			appendN(t, l, 1)
			if rep := verify(t, st, anchors); !slices.Contains(rep.Unanchored, l.Chain()) {
				t.Fatalf("unanchored = %v, want it to list %s", rep.Unanchored, l.Chain())
			}
		})

		t.Run("the Log anchors its head every interval while it runs", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain(), Anchor: anchors, AnchorInterval: 20 * time.Millisecond})
			appendN(t, l, 5)
			deadline := time.Now().Add(5 * time.Second)
			for {
				a, ok, err := anchors.Get(ctx, l.Chain())
				if err != nil {
					t.Fatal(err)
				}
				if ok && a.Seq == 5 && a.Hash == l.Head().Hash {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("anchor = %+v, %v after 5s; want seq 5", a, ok)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})

		t.Run("Open refuses to continue a chain that lost anchored records", func(t *testing.T) {
			chain := anchoredChain(t)
			execSQL(t, db, `DELETE FROM audit_records WHERE chain = ? AND seq = 10`, chain)
			_, err := audit.Open(ctx, st, audit.Options{Chain: chain, Anchor: anchors})
			if !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "records were removed") {
				t.Fatalf("Open = %v, want a failed precondition naming the removal", err)
			}
		})

		t.Run("Open refuses to continue a rewritten chain", func(t *testing.T) {
			chain := anchoredChain(t)
			rewrite(t, db, st, chain, 2, 10)
			_, err := audit.Open(ctx, st, audit.Options{Chain: chain, Anchor: anchors})
			if !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "rewritten") {
				t.Fatalf("Open = %v, want a failed precondition naming the rewrite", err)
			}
		})
	})
}
