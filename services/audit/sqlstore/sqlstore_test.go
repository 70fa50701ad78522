package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// The store contract, on SQLite and PostgreSQL. The Log's behaviour over
// this store is tested in package audit.

var ctx = context.Background()

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// records makes n linked records of chain from seq `from`, after prev.
func records(chain string, from int64, n int, prev string) []audit.Record {
	var out []audit.Record
	for i := range n {
		r := audit.Record{
			ID: fmt.Sprintf("%s-%d", chain, from+int64(i)), Chain: chain, Seq: from + int64(i),
			Time:   t0.Add(time.Duration(from+int64(i)) * time.Second),
			Method: "/m", Result: "OK", Resources: []string{"b/2", "a/1", "c/3"}, PrevHash: prev,
		}
		r.Hash = r.ComputeHash()
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st, err := sqlstore.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a new chain starts at seq 0 with the zero hash, and opening it again keeps it", func(t *testing.T) {
			for range 2 {
				h, err := st.OpenChain(ctx, "new", t0)
				if err != nil || h.Seq != 0 || h.Hash != audit.ZeroHash {
					t.Fatalf("OpenChain = %+v, %v", h, err)
				}
			}
			cs, err := st.Chains(ctx)
			if err != nil || len(cs) != 1 || cs[0].Name != "new" || cs[0].Checkpoint.Seq != 0 || cs[0].Checkpoint.Hash != audit.ZeroHash {
				t.Fatalf("Chains = %+v, %v", cs, err)
			}
		})
		t.Run("appended records come back whole in seq order, resources in their order", func(t *testing.T) {
			if _, err := st.OpenChain(ctx, "a", t0); err != nil {
				t.Fatal(err)
			}
			in := records("a", 1, 5, audit.ZeroHash)
			if err := st.Append(ctx, in); err != nil {
				t.Fatal(err)
			}
			got, err := st.Scan(ctx, "a", 1, 3)
			if err != nil || len(got) != 3 || got[0].Seq != 2 || got[2].Seq != 4 {
				t.Fatalf("Scan after 1, 3 = %d records, %v", len(got), err)
			}
			for i, r := range got {
				want := in[i+1]
				if r.ID != want.ID || !r.Time.Equal(want.Time) || !slices.Equal(r.Resources, want.Resources) || r.Hash != want.Hash || r.ComputeHash() != r.Hash {
					t.Errorf("record %d = %+v, want %+v", i, r, want)
				}
			}
			if h, err := st.Head(ctx, "a"); err != nil || h.Seq != 5 || h.Hash != in[4].Hash || !h.Time.Equal(in[4].Time) {
				t.Errorf("Head = %+v, %v", h, err)
			}
		})
		t.Run("a taken seq fails the whole batch and stores none of it", func(t *testing.T) {
			head, _ := st.Head(ctx, "a")
			batch := records("a", 6, 3, head.Hash)
			batch[2].Seq, batch[2].ID = 5, "dup"
			if err := st.Append(ctx, batch); err == nil || !store.IsUniqueViolation(err) {
				t.Fatalf("Append = %v, want a unique violation", err)
			}
			if h, _ := st.Head(ctx, "a"); h.Seq != 5 {
				t.Fatalf("head moved to %d", h.Seq)
			}
		})
		t.Run("prune removes a prefix with its resources and never moves the checkpoint back", func(t *testing.T) {
			in, _ := st.Scan(ctx, "a", 0, 10)
			if err := st.Prune(ctx, "a", audit.Checkpoint{Seq: 3, Hash: in[2].Hash, Time: in[2].Time}); err != nil {
				t.Fatal(err)
			}
			if err := st.Prune(ctx, "a", audit.Checkpoint{Seq: 1, Hash: in[0].Hash, Time: in[0].Time}); err != nil {
				t.Fatal(err)
			}
			cs, _ := st.Chains(ctx)
			i := slices.IndexFunc(cs, func(c audit.Chain) bool { return c.Name == "a" })
			if cp := cs[i].Checkpoint; cp.Seq != 3 || cp.Hash != in[2].Hash || !cp.Time.Equal(in[2].Time) {
				t.Fatalf("checkpoint = %+v, want seq 3", cp)
			}
			left, _ := st.Scan(ctx, "a", 0, 10)
			if len(left) != 2 || left[0].Seq != 4 {
				t.Fatalf("left %d records from seq %d", len(left), left[0].Seq)
			}
			var orphans int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_resources WHERE record_id IN (?, ?, ?)`, in[0].ID, in[1].ID, in[2].ID).Scan(&orphans); err != nil || orphans != 0 {
				t.Fatalf("%d resources of pruned records left, %v", orphans, err)
			}
		})
		t.Run("a chain whose records are all pruned has its checkpoint as head", func(t *testing.T) {
			in, _ := st.Scan(ctx, "a", 0, 10)
			last := in[len(in)-1]
			if err := st.Prune(ctx, "a", audit.Checkpoint{Seq: last.Seq, Hash: last.Hash, Time: last.Time}); err != nil {
				t.Fatal(err)
			}
			if h, err := st.Head(ctx, "a"); err != nil || h.Seq != 5 || h.Hash != last.Hash {
				t.Fatalf("Head = %+v, %v; want the checkpoint at seq 5", h, err)
			}
		})
		t.Run("search by resource reads newest first, after the cursor", func(t *testing.T) {
			if _, err := st.OpenChain(ctx, "s", t0); err != nil {
				t.Fatal(err)
			}
			in := records("s", 1, 4, audit.ZeroHash)
			in[1].Resources = []string{"z/9"}
			for i := range in {
				if i > 0 {
					in[i].PrevHash = in[i-1].Hash
				}
				in[i].Hash = in[i].ComputeHash()
			}
			if err := st.Append(ctx, in); err != nil {
				t.Fatal(err)
			}
			got, err := st.Search(ctx, audit.StoreQuery{Resource: "a/1", Limit: 10, After: &audit.Cursor{Time: in[3].Time, ID: in[3].ID}})
			if err != nil {
				t.Fatal(err)
			}
			var seqs []string
			for _, r := range got {
				if r.Chain == "s" {
					seqs = append(seqs, fmt.Sprint(r.Seq))
				}
			}
			if strings.Join(seqs, ",") != "3,1" {
				t.Fatalf("records of s with a/1 before seq 4, newest first = %v, want 3,1", seqs)
			}
		})
	})
}
