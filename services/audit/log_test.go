package audit_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

func TestAppend(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)

		t.Run("concurrent appends are all stored, numbered without gaps, and verify clean", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			const goroutines, each = 50, 20
			failures := make(chan error, goroutines*each)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						if err := l.Append(ctx, call(g*each+i)); err != nil {
							failures <- err
						}
					}
				})
			}
			wg.Wait()
			close(failures)
			for err := range failures {
				t.Fatalf("append: %v", err)
			}
			recs := scanAll(t, st, l.Chain())
			if len(recs) != goroutines*each {
				t.Fatalf("stored %d records, want %d", len(recs), goroutines*each)
			}
			cases := map[string]bool{}
			for i, r := range recs {
				if r.Seq != int64(i+1) {
					t.Fatalf("record %d has seq %d: seq is not contiguous", i, r.Seq)
				}
				if i > 0 && (r.PrevHash != recs[i-1].Hash || r.Time.Before(recs[i-1].Time)) {
					t.Fatalf("seq %d does not follow seq %d", r.Seq, recs[i-1].Seq)
				}
				cases[r.CaseReference] = true
			}
			if len(cases) != goroutines*each {
				t.Errorf("%d distinct calls stored, want %d", len(cases), goroutines*each)
			}
			if h := l.Head(); h.Seq != int64(len(recs)) || h.Hash != recs[len(recs)-1].Hash {
				t.Errorf("head = %d %s, want the last record", h.Seq, h.Hash)
			}
			if rep := verify(t, st, nil); !rep.Clean() || rep.Records < int64(len(recs)) {
				t.Errorf("verify: %d records, problems %v", rep.Records, rep.Problems)
			}
		})

		t.Run("a record is stored with its chain fields when Append returns", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			before := time.Now().UTC()
			in := call(3)
			in.ID, in.Seq, in.Hash = "forged", 99, "forged" // assigned by the Log, never by the caller
			if err := l.Append(ctx, in); err != nil {
				t.Fatal(err)
			}
			if err := l.Append(ctx, call(4)); err != nil {
				t.Fatal(err)
			}
			recs := scanAll(t, st, l.Chain())
			if len(recs) != 2 {
				t.Fatalf("stored %d records, want 2", len(recs))
			}
			r := recs[0]
			if _, err := uuid.Parse(r.ID); err != nil || r.Seq != 1 || r.Chain != l.Chain() || r.PrevHash != audit.ZeroHash || r.Hash != r.ComputeHash() {
				t.Errorf("first record: id %q seq %d chain %q prev %s hash %s", r.ID, r.Seq, r.Chain, r.PrevHash, r.Hash)
			}
			if r.Time.Before(before.Truncate(time.Microsecond)) || r.Time.After(time.Now()) || !r.Time.Equal(r.Time.Truncate(time.Microsecond)) || r.Time.Location() != time.UTC {
				t.Errorf("time = %v, want now in UTC to the microsecond", r.Time)
			}
			want := call(3)
			if r.Department != want.Department || r.Application != want.Application || r.Principal != want.Principal ||
				r.Purpose != want.Purpose || r.CaseReference != want.CaseReference || r.Method != want.Method ||
				!slices.Equal(r.Resources, want.Resources) || r.Result != want.Result || r.RequestHash != want.RequestHash {
				t.Errorf("stored %+v\nwant the call's fields %+v", r, want)
			}
			if recs[1].Seq != 2 || recs[1].PrevHash != r.Hash {
				t.Errorf("second record: seq %d prev %s, want 2 chained to %s", recs[1].Seq, recs[1].PrevHash, r.Hash)
			}
		})

		t.Run("a bad record is refused naming the field and the chain does not move", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			bad := call(1)
			bad.Result = "denied"
			err := l.Append(ctx, bad)
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "result" {
				t.Fatalf("Append = %v, want a violation on result", err)
			}
			if h := l.Head(); h.Seq != 0 {
				t.Errorf("head moved to %d", h.Seq)
			}
		})

		t.Run("text that PostgreSQL refuses is cleaned so a batch never fails", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			r := call(1)
			r.Purpose, r.Detail = "核查\x00\xff", strings.Repeat("原因", 1000)
			for i := range 150 {
				r.Resources = append(r.Resources, call(i).Resources[0])
			}
			if err := l.Append(ctx, r); err != nil {
				t.Fatalf("append: %v", err)
			}
			got := scanAll(t, st, l.Chain())[0]
			if got.Purpose != "核查\uFFFD\uFFFD" || len(got.Resources) != audit.MaxResources || len(got.Detail) > 500 || got.Hash != got.ComputeHash() {
				t.Errorf("stored purpose %q, %d resources, detail of %d bytes", got.Purpose, len(got.Resources), len(got.Detail))
			}
		})

		t.Run("Close commits everything queued and later appends fail", func(t *testing.T) {
			l := openLog(t, st, audit.Options{Chain: newChain()})
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				stored int
			)
			for i := range 200 {
				wg.Go(func() {
					err := l.Append(ctx, call(i))
					switch {
					case err == nil:
						mu.Lock()
						stored++
						mu.Unlock()
					case !errors.Is(err, audit.ErrClosed) || !errors.Is(err, errs.ErrUnavailable):
						t.Errorf("append during close: %v", err)
					}
				})
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			if n := len(scanAll(t, st, l.Chain())); n != stored {
				t.Errorf("%d appends succeeded but %d records are stored", stored, n)
			}
			if err := l.Append(ctx, call(1)); !errors.Is(err, audit.ErrClosed) {
				t.Errorf("append after close = %v, want ErrClosed", err)
			}
		})

		t.Run("a second writer of one chain collides instead of forking it", func(t *testing.T) {
			chain := newChain()
			a := openLog(t, st, audit.Options{Chain: chain})
			b := openLog(t, st, audit.Options{Chain: chain})
			if err := a.Append(ctx, call(1)); err != nil {
				t.Fatal(err)
			}
			if err := b.Append(ctx, call(2)); !errors.Is(err, errs.ErrUnavailable) {
				t.Fatalf("the second writer's append at a taken seq = %v, want unavailable", err)
			}
			// Both keep working from what is stored; the chain stays one.
			if err := b.Append(ctx, call(3)); err != nil {
				t.Fatalf("the second writer after reloading its head: %v", err)
			}
			if err := a.Append(ctx, call(4)); err == nil {
				t.Fatal("the first writer appended at a seq the second took")
			}
			if err := a.Append(ctx, call(5)); err != nil {
				t.Fatal(err)
			}
			recs := scanAll(t, st, chain)
			if got := []string{recs[0].CaseReference, recs[1].CaseReference, recs[2].CaseReference}; len(recs) != 3 ||
				!slices.Equal(got, []string{"ZH-2026-00001", "ZH-2026-00003", "ZH-2026-00005"}) {
				t.Errorf("stored %v", got)
			}
			if p := found(verify(t, st, nil), chain); len(p) != 0 {
				t.Errorf("problems: %v", p)
			}
		})
	})
}

func TestOpenRefusesBadOptions(t *testing.T) {
	st := openStore(t, storetest.OpenSQLite(t))
	tests := []struct {
		name  string
		opts  audit.Options
		field string
	}{
		{"a chain is required", audit.Options{}, "chain"},
		{"a chain name must fit an etcd key", audit.Options{Chain: "a/b"}, "chain"},
		{"retention below 180 days is refused", audit.Options{Chain: "c", Retention: 24 * time.Hour}, "retention"},
		{"a negative anchor interval is refused", audit.Options{Chain: "c", AnchorInterval: -time.Second}, "anchor_interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := audit.Open(ctx, st, tt.opts)
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != tt.field {
				t.Fatalf("Open = %v, want a violation on %s", err, tt.field)
			}
		})
	}
}

func TestRestartContinuesTheChain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		chain := newChain()
		first := openLog(t, st, audit.Options{Chain: chain})
		appendN(t, first, 30)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		second := openLog(t, st, audit.Options{Chain: chain})
		if h := second.Head(); h.Seq != 30 {
			t.Fatalf("reopened head at seq %d, want 30", h.Seq)
		}
		appendN(t, second, 20)
		recs := scanAll(t, st, chain)
		if len(recs) != 50 || recs[49].Seq != 50 || recs[30].Seq != 31 || recs[30].PrevHash != recs[29].Hash {
			t.Fatalf("after restart: %d records, seq 31 chained to %s, want %s", len(recs), recs[30].PrevHash, recs[29].Hash)
		}
		if p := found(verify(t, st, nil), chain); len(p) != 0 {
			t.Errorf("problems: %v", p)
		}
	})
}
