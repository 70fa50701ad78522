package audit_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// Each case writes a chain of ten records, tampers with the database
// directly in SQL, and states what Verify, without anchors, must report.
func TestVerifyFindsTampering(t *testing.T) {
	type env struct {
		db    *store.DB
		st    audit.Store
		chain string
		recs  []audit.Record // as written
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, e env)
		want   []string
		// named lists the seqs whose problems must name the record there.
		named []int64
	}{
		{"an untouched log verifies clean", func(*testing.T, env) {}, nil, nil},
		{"a changed field is CHANGED at its seq", func(t *testing.T, e env) {
			execSQL(t, e.db, `UPDATE audit_records SET department = 'gaj' WHERE chain = ? AND seq = 5`, e.chain)
		}, []string{"CHANGED@5"}, []int64{5}},
		{"a changed time is CHANGED", func(t *testing.T, e env) {
			execSQL(t, e.db, `UPDATE audit_records SET record_time = '2020-01-01T00:00:00.000000Z' WHERE chain = ? AND seq = 2`, e.chain)
		}, []string{"CHANGED@2"}, []int64{2}},
		{"a changed result of a refused call is CHANGED", func(t *testing.T, e env) {
			execSQL(t, e.db, `UPDATE audit_records SET result = 'OK', detail = '' WHERE chain = ? AND seq = 10`, e.chain)
		}, []string{"CHANGED@10"}, []int64{10}},
		{"a resource name removed from a record is CHANGED", func(t *testing.T, e env) {
			execSQL(t, e.db, `DELETE FROM audit_resources WHERE record_id = ?`, e.recs[3].ID)
		}, []string{"CHANGED@4"}, []int64{4}},
		{"a deleted middle record is REMOVED at the gap", func(t *testing.T, e env) {
			execSQL(t, e.db, `DELETE FROM audit_records WHERE chain = ? AND seq = 5`, e.chain)
		}, []string{"REMOVED@5"}, []int64{5}},
		{"several deleted records are one REMOVED at the first missing seq", func(t *testing.T, e env) {
			execSQL(t, e.db, `DELETE FROM audit_records WHERE chain = ? AND seq BETWEEN 4 AND 7`, e.chain)
		}, []string{"REMOVED@4"}, nil},
		{"two swapped neighbours are both REORDERED", func(t *testing.T, e env) {
			swapSeq(t, e.db, e.chain, 5, 6)
		}, []string{"REORDERED@5", "REORDERED@6"}, []int64{5, 6}},
		{"two records swapped far apart are both REORDERED", func(t *testing.T, e env) {
			swapSeq(t, e.db, e.chain, 3, 8)
		}, []string{"REORDERED@3", "REORDERED@8"}, []int64{3, 8}},
		{"the first two swapped are both REORDERED", func(t *testing.T, e env) {
			swapSeq(t, e.db, e.chain, 1, 2)
		}, []string{"REORDERED@1", "REORDERED@2"}, []int64{1, 2}},
		{"the last two swapped are both REORDERED", func(t *testing.T, e env) {
			swapSeq(t, e.db, e.chain, 9, 10)
		}, []string{"REORDERED@9", "REORDERED@10"}, []int64{9, 10}},
		{"a record moved to the end is REORDERED and leaves a gap", func(t *testing.T, e env) {
			execSQL(t, e.db, `UPDATE audit_records SET seq = 11 WHERE chain = ? AND seq = 4`, e.chain)
		}, []string{"REMOVED@4", "REORDERED@11"}, []int64{11}},
		{"a record altered and re-hashed alone is CHANGED: its successor still holds the old hash", func(t *testing.T, e env) {
			rewrite(t, e.db, e.st, e.chain, 6, 0)
		}, []string{"CHANGED@6"}, []int64{6}},
		{"the first records deleted and the rest renumbered are REMOVED", func(t *testing.T, e env) {
			execSQL(t, e.db, `DELETE FROM audit_records WHERE chain = ? AND seq <= 2`, e.chain)
			execSQL(t, e.db, `UPDATE audit_records SET seq = seq - 2 WHERE chain = ?`, e.chain)
		}, []string{"REMOVED@1"}, []int64{1}},
		// Without an anchor nothing vouches for the end of the chain: the
		// anchor tests show the same attacks found.
		{"deleted last records go unnoticed without an anchor", func(t *testing.T, e env) {
			execSQL(t, e.db, `DELETE FROM audit_records WHERE chain = ? AND seq >= 9`, e.chain)
		}, nil, nil},
		{"a chain rewritten and re-hashed to its end goes unnoticed without an anchor", func(t *testing.T, e env) {
			rewrite(t, e.db, e.st, e.chain, 3, 10)
		}, nil, nil},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		st := openStore(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := openLog(t, st, audit.Options{Chain: newChain()})
				appendN(t, l, 10)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				e := env{db: db, st: st, chain: l.Chain(), recs: scanAll(t, st, l.Chain())}
				tt.tamper(t, e)
				rep := verify(t, st, nil)
				if got := found(rep, e.chain); !slices.Equal(got, tt.want) {
					t.Fatalf("problems = %v, want %v\n%s", got, tt.want, describe(problemsOf(rep, e.chain)))
				}
				stored := scanAll(t, st, e.chain)
				for _, p := range problemsOf(rep, e.chain) {
					if !slices.Contains(tt.named, p.Seq) {
						continue
					}
					i := slices.IndexFunc(stored, func(r audit.Record) bool { return r.Seq >= p.Seq })
					if i < 0 || p.RecordID != stored[i].ID {
						t.Errorf("%s names record %q, want the record stored at (or after) seq %d", p, p.RecordID, p.Seq)
					}
					if !strings.HasPrefix(p.String(), "chain "+e.chain+" seq ") || p.Detail == "" {
						t.Errorf("problem reads %q", p)
					}
				}
			})
		}
	})
}

func describe(ps []audit.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
