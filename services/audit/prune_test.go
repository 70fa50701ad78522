package audit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

func TestPrune(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		// oldAndNew writes `old` records 400 days ago and `recent` ones 10
		// days ago, a second apart.
		oldAndNew := func(t *testing.T, old, recent int) *audit.Log {
			c := &clock{t: now.Add(-400 * 24 * time.Hour), step: time.Second}
			l := openLog(t, st, audit.WithClock(audit.Options{Chain: newChain()}, c.now))
			appendN(t, l, old)
			c.set(now.Add(-10 * 24 * time.Hour))
			appendN(t, l, recent)
			return l
		}
		checkpoint := func(t *testing.T, chain string) audit.Checkpoint {
			cs, err := st.Chains(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(cs, func(c audit.Chain) bool { return c.Name == chain })
			if i < 0 {
				t.Fatalf("chain %s not listed", chain)
			}
			return cs[i].Checkpoint
		}

		t.Run("records older than retention are removed, the checkpoint kept, and the chain still verifies", func(t *testing.T) {
			l := oldAndNew(t, 10, 5)
			before := scanAll(t, st, l.Chain())
			if _, err := l.Prune(ctx, now); err != nil {
				t.Fatal(err)
			}
			recs := scanAll(t, st, l.Chain())
			if len(recs) != 5 || recs[0].Seq != 11 {
				t.Fatalf("%d records left starting at seq %d, want 5 from seq 11", len(recs), recs[0].Seq)
			}
			cp := checkpoint(t, l.Chain())
			if cp.Seq != 10 || cp.Hash != before[9].Hash || !cp.Time.Equal(before[9].Time) {
				t.Errorf("checkpoint = %+v, want seq 10 with the hash and time of the record pruned there", cp)
			}
			if p := found(verify(t, st, nil), l.Chain()); len(p) != 0 {
				t.Errorf("problems after pruning: %v", p)
			}
			appendN(t, l, 1)
			if h := l.Head(); h.Seq != 16 {
				t.Errorf("the chain continues at seq %d, want 16", h.Seq)
			}
		})

		t.Run("records within retention are never removed, not even one at the cutoff", func(t *testing.T) {
			l := oldAndNew(t, 0, 3)
			first := scanAll(t, st, l.Chain())[0]
			n, err := l.Prune(ctx, first.Time.Add(audit.MinRetention))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(scanAll(t, st, l.Chain())); got != 3 {
				t.Fatalf("%d records left (pruned %d in all chains), want all 3", got, n)
			}
			if _, err := l.Prune(ctx, first.Time.Add(audit.MinRetention+time.Microsecond)); err != nil {
				t.Fatal(err)
			}
			if recs := scanAll(t, st, l.Chain()); len(recs) != 2 || recs[0].Seq != 2 {
				t.Fatalf("a microsecond later: %d records left, want the first gone", len(recs))
			}
		})

		t.Run("deleting the first retained record after pruning is REMOVED", func(t *testing.T) {
			l := oldAndNew(t, 10, 5)
			if _, err := l.Prune(ctx, now); err != nil {
				t.Fatal(err)
			}
			execSQL(t, db, `DELETE FROM audit_records WHERE chain = ? AND seq = 11`, l.Chain())
			if got := found(verify(t, st, nil), l.Chain()); !slices.Equal(got, []string{"REMOVED@11"}) {
				t.Fatalf("problems = %v, want REMOVED@11", got)
			}
		})

		t.Run("a chain pruned to its last record continues from the checkpoint after a restart", func(t *testing.T) {
			l := oldAndNew(t, 4, 0)
			last := l.Head()
			if _, err := l.Prune(ctx, now); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			again := openLog(t, st, audit.Options{Chain: l.Chain()})
			if h := again.Head(); h.Seq != 4 || h.Hash != last.Hash {
				t.Fatalf("reopened head = %+v, want the checkpoint at seq 4", h)
			}
			appendN(t, again, 1)
			recs := scanAll(t, st, l.Chain())
			if len(recs) != 1 || recs[0].Seq != 5 || recs[0].PrevHash != last.Hash {
				t.Fatalf("after restart: %+v", recs)
			}
			if p := found(verify(t, st, nil), l.Chain()); len(p) != 0 {
				t.Errorf("problems: %v", p)
			}
		})

		t.Run("pruning stops before a record that does not verify, keeping the evidence", func(t *testing.T) {
			l := oldAndNew(t, 10, 0)
			execSQL(t, db, `UPDATE audit_records SET purpose = 'x' WHERE chain = ? AND seq = 4`, l.Chain())
			if _, err := l.Prune(ctx, now); err != nil {
				t.Fatal(err)
			}
			if cp := checkpoint(t, l.Chain()); cp.Seq != 3 {
				t.Errorf("checkpoint at seq %d, want 3", cp.Seq)
			}
			if got := found(verify(t, st, nil), l.Chain()); !slices.Equal(got, []string{"CHANGED@4"}) {
				t.Fatalf("problems = %v, want CHANGED@4 still found", got)
			}
		})

		t.Run("every chain is pruned, also those of processes that are gone", func(t *testing.T) {
			gone := oldAndNew(t, 3, 0)
			if err := gone.Close(); err != nil {
				t.Fatal(err)
			}
			l := oldAndNew(t, 0, 1)
			if _, err := l.Prune(ctx, now); err != nil {
				t.Fatal(err)
			}
			if n := len(scanAll(t, st, gone.Chain())); n != 0 {
				t.Fatalf("%d records of the closed chain left", n)
			}
		})

		t.Run("a checkpoint moved over records within the minimum retention is REMOVED", func(t *testing.T) {
			l := oldAndNew(t, 0, 5)
			recs := scanAll(t, st, l.Chain())
			execSQL(t, db, `UPDATE audit_chains SET checkpoint_seq = 3, checkpoint_hash = ?, checkpoint_time = ? WHERE chain = ?`,
				recs[2].Hash, store.FormatTime(recs[2].Time), l.Chain())
			execSQL(t, db, `DELETE FROM audit_records WHERE chain = ? AND seq <= 3`, l.Chain())
			rep := verify(t, st, nil)
			if got := found(rep, l.Chain()); !slices.Equal(got, []string{"REMOVED@3"}) {
				t.Fatalf("problems = %v, want REMOVED@3", got)
			}
			if d := problemsOf(rep, l.Chain())[0].Detail; !strings.Contains(d, "minimum retention") {
				t.Errorf("detail = %q", d)
			}
		})
	})
}

// pruneOnList is the real store, except that the first listing of the
// chains also prunes chain up to seq `upTo` right after answering: the
// prune lands between Verify's listing and its walk.
type pruneOnList struct {
	audit.Store
	chain string
	upTo  int64
	once  sync.Once
}

func (s *pruneOnList) Chains(c context.Context) ([]audit.Chain, error) {
	cs, err := s.Store.Chains(c)
	s.once.Do(func() {
		recs, _ := s.Store.Scan(c, s.chain, 0, int(s.upTo))
		last := recs[len(recs)-1]
		err = errors.Join(err, s.Store.Prune(c, s.chain, audit.Checkpoint{Seq: last.Seq, Hash: last.Hash, Time: last.Time}))
	})
	return cs, err
}

func TestVerifyDuringAPruneFindsNothingRemoved(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		c := &clock{t: time.Now().Add(-400 * 24 * time.Hour), step: time.Second}
		l := openLog(t, st, audit.WithClock(audit.Options{Chain: newChain()}, c.now))
		appendN(t, l, 10)
		rep := verify(t, &pruneOnList{Store: st, chain: l.Chain(), upTo: 4}, nil)
		if p := found(rep, l.Chain()); len(p) != 0 {
			t.Fatalf("problems = %v", p)
		}
		if n := len(scanAll(t, st, l.Chain())); n != 6 {
			t.Fatalf("%d records left; the prune did not happen", n)
		}
	})
}
