package temporal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/kit/temporal"
)

// things is a minimal registry table: an id and one indexed label.
var thingsDDL = fstest.MapFS{
	"sqlite/0001_things.sql": {Data: []byte(`CREATE TABLE things (
		id TEXT NOT NULL, version INTEGER NOT NULL,
		valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, known_from TEXT NOT NULL, known_to TEXT NOT NULL,
		seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL, action TEXT NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
		label TEXT NOT NULL, PRIMARY KEY (id, version));`)},
	"postgres/0001_things.sql": {Data: []byte(`CREATE TABLE things (
		id TEXT NOT NULL, version BIGINT NOT NULL,
		valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, known_from TEXT NOT NULL, known_to TEXT NOT NULL,
		seq_from BIGINT NOT NULL, seq_to BIGINT NOT NULL, action TEXT NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
		label TEXT NOT NULL, PRIMARY KEY (id, version));`)},
}

type thing struct {
	Label string `json:"label"`
}

func doc(label string) []byte { b, _ := json.Marshal(thing{label}); return b }

func label(tb testing.TB, v *temporal.Version) string {
	tb.Helper()
	var t thing
	if err := json.Unmarshal(v.Doc, &t); err != nil {
		tb.Fatal(err)
	}
	return t.Label
}

func openThings(tb testing.TB, db *store.DB) *temporal.Store {
	tb.Helper()
	ctx := context.Background()
	feed, err := temporal.OpenFeed(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	if err := store.Migrate(ctx, db, "things", thingsDDL); err != nil {
		tb.Fatal(err)
	}
	return temporal.NewStore(feed, temporal.Table{
		Name: "things", Collection: "things", Key: "id", Columns: []string{"label"},
		Values: func(d []byte) ([]any, error) {
			var t thing
			err := json.Unmarshal(d, &t)
			return []any{t.Label}, err
		},
	})
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// clock is a record-time clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBitemporalHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := openThings(t, db)
		clk := &clock{}
		s.Now = clk.now
		k1, k2, k3, k4 := day("2024-01-05"), day("2024-03-05"), day("2024-04-05"), day("2024-05-05")

		clk.t = k1
		if _, err := s.Create(ctx, "A", doc("a1"), day("2024-01-01")); err != nil {
			t.Fatal(err)
		}
		clk.t = k2 // a change: a new effect period from 1 March
		if _, err := s.Update(ctx, "A", temporal.WriteOptions{EffectiveFrom: day("2024-03-01")}, func(*temporal.Version) ([]byte, error) { return doc("a2"), nil }); err != nil {
			t.Fatal(err)
		}
		clk.t = k3 // a correction of what was recorded for February
		if _, err := s.Update(ctx, "A", temporal.WriteOptions{EffectiveFrom: day("2024-02-01"), Correction: true}, func(v *temporal.Version) ([]byte, error) {
			if got := label(t, v); got != "a1" {
				t.Errorf("the correction amends %q, want the period in effect in February (a1)", got)
			}
			return doc("a1-corrected"), nil
		}); err != nil {
			t.Fatal(err)
		}
		clk.t = k4 // retired from 1 May
		if _, err := s.Update(ctx, "A", temporal.WriteOptions{EffectiveFrom: day("2024-05-01"), Retire: true}, func(v *temporal.Version) ([]byte, error) { return v.Doc, nil }); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			valid, known time.Time
			want         string // "" means not found
			deleted      bool
		}{
			{day("2024-02-01"), k1, "a1", false},
			{day("2024-02-01"), k2, "a1", false},
			{day("2024-02-01"), k3, "a1-corrected", false},
			{day("2024-02-01"), time.Time{}, "a1-corrected", false},
			{day("2024-04-01"), k1, "a1", false},
			{day("2024-04-01"), k2, "a2", false},
			{day("2024-04-01"), k4, "a2", false},
			{day("2024-05-02"), k3, "a2", false},
			{day("2024-05-02"), k4, "a2", true},
			{time.Time{}, time.Time{}, "a2", true},
			{day("2023-12-31"), time.Time{}, "", false},
			{day("2024-02-01"), day("2024-01-04"), "", false},
		}
		for _, tt := range tests {
			name := fmt.Sprintf("valid %s known %s", tt.valid.Format(time.DateOnly), tt.known.Format(time.DateOnly))
			t.Run(name, func(t *testing.T) {
				v, _, err := s.Get(ctx, "A", temporal.Point{ValidAt: tt.valid, KnownAt: tt.known})
				if tt.want == "" {
					if !errors.Is(err, errs.ErrNotFound) {
						t.Fatalf("got %v, %v; want not found", v, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if label(t, v) != tt.want || v.Deleted != tt.deleted {
					t.Fatalf("got %q deleted=%v, want %q deleted=%v", label(t, v), v.Deleted, tt.want, tt.deleted)
				}
			})
		}

		t.Run("the feed has one gap-free event per write", func(t *testing.T) {
			cs, err := s.Feed().Changes(ctx, 0, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			want := []temporal.Action{temporal.Created, temporal.Updated, temporal.Corrected, temporal.Retired}
			if len(cs) != len(want) {
				t.Fatalf("%d changes, want %d", len(cs), len(want))
			}
			for i, c := range cs {
				if c.Sequence != int64(i+1) || c.Action != want[i] {
					t.Errorf("change %d = seq %d %s, want seq %d %s", i, c.Sequence, c.Action, i+1, want[i])
				}
			}
			if !cs[3].Deleted {
				t.Errorf("the retirement event must carry the tombstone")
			}
		})

		t.Run("history keeps every version, nothing overwritten", func(t *testing.T) {
			h, err := s.History(ctx, "A")
			if err != nil {
				t.Fatal(err)
			}
			// create 1, change 2 (restated a1 + a2), correction 1, retire 2
			if len(h) != 6 {
				t.Fatalf("history has %d versions, want 6", len(h))
			}
		})

		t.Run("a retired record cannot be changed, only corrected", func(t *testing.T) {
			_, err := s.Update(ctx, "A", temporal.WriteOptions{}, func(v *temporal.Version) ([]byte, error) { return doc("x"), nil })
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("update of a retired record: %v", err)
			}
		})

		t.Run("a change before the latest one is refused", func(t *testing.T) {
			clk.t = day("2024-06-01")
			if _, err := s.Create(ctx, "B", doc("b1"), day("2024-05-01")); err != nil {
				t.Fatal(err)
			}
			_, err := s.Update(ctx, "B", temporal.WriteOptions{EffectiveFrom: day("2024-04-01")}, func(v *temporal.Version) ([]byte, error) { return doc("b0"), nil })
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("a change dated before the latest: %v", err)
			}
			_, err = s.Update(ctx, "B", temporal.WriteOptions{EffectiveFrom: day("2030-01-01")}, func(v *temporal.Version) ([]byte, error) { return doc("b9"), nil })
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("a change dated in the future: %v", err)
			}
		})
	})
}

func TestRenameRedirects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := openThings(t, db)
		clk := &clock{t: day("2024-01-05")}
		s.Now = clk.now
		if _, err := s.Create(ctx, "OLD", doc("x"), day("2024-01-01")); err != nil {
			t.Fatal(err)
		}
		clk.t = day("2024-03-05")
		if _, err := s.Rename(ctx, "OLD", "NEW", day("2024-03-01"), func(v *temporal.Version) ([]byte, error) { return doc("x-new"), nil }); err != nil {
			t.Fatal(err)
		}
		v, from, err := s.Get(ctx, "OLD", temporal.Point{})
		if err != nil || v.Key != "NEW" || from != "OLD" || label(t, v) != "x-new" {
			t.Fatalf("Get(OLD) = %+v, from %q, %v; want NEW redirected from OLD", v, from, err)
		}
		v, from, err = s.Get(ctx, "OLD", temporal.Point{ValidAt: day("2024-02-01")})
		if err != nil || v.Key != "OLD" || from != "" {
			t.Fatalf("Get(OLD) before the rename = %+v, %q, %v; want OLD itself", v, from, err)
		}
		if _, err := s.Create(ctx, "OLD", doc("again"), time.Time{}); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("reusing a renamed key: %v", err)
		}
		cs, err := s.Feed().Changes(ctx, 0, 0, 10)
		if err != nil || len(cs) != 3 || cs[1].Action != temporal.Renamed || !cs[1].Deleted || cs[2].Key != "NEW" {
			t.Fatalf("changes = %+v, %v", cs, err)
		}
	})
}

func TestSequencesContinueAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "things.db")
	ctx := context.Background()
	open := func() (*store.DB, *temporal.Store) {
		db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "things"})
		if err != nil {
			t.Fatal(err)
		}
		return db, openThings(t, db)
	}
	db, s := open()
	for i := 0; i < 3; i++ {
		if _, err := s.Create(ctx, fmt.Sprint("k", i), doc("x"), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, s = open()
	defer db.Close()
	if _, err := s.Create(ctx, "k3", doc("x"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Feed().Changes(ctx, 0, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		if c.Sequence != int64(i+1) {
			t.Fatalf("sequences after restart: %v", cs)
		}
	}
	if len(cs) != 4 {
		t.Fatalf("%d changes, want 4", len(cs))
	}
}

// TestConsumerReplicaConverges loads a snapshot, then follows the feed while
// writers keep writing, with the consumer killed and restarted midway; its
// replica must equal the registry, with no sequence missed or applied twice.
func TestConsumerReplicaConverges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := openThings(t, db)
		for i := 0; i < 20; i++ {
			if _, err := s.Create(ctx, fmt.Sprintf("r%02d", i), doc("0"), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		replica := map[string]string{}
		snapAt, err := s.Snapshot(ctx, 0, func(v *temporal.Version) error {
			replica[v.Key] = label(t, v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// Writers: 2 goroutines, 60 writes each, creates, updates and retirements.
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 60; i++ {
					key := fmt.Sprintf("r%02d", (i*7+w)%20)
					var err error
					switch {
					case i%15 == 14:
						_, err = s.Create(ctx, fmt.Sprintf("w%d-%d", w, i), doc("new"), time.Time{})
					default:
						_, err = s.Update(ctx, key, temporal.WriteOptions{Retire: i%29 == 28}, func(v *temporal.Version) ([]byte, error) {
							return doc(fmt.Sprintf("w%d-%d", w, i)), nil
						})
						if errors.Is(err, errs.ErrFailedPrecondition) {
							err = nil // retired meanwhile
						}
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}

		// The consumer: follows from the snapshot, is killed after some
		// events, and resumes from the last sequence it applied.
		applied := map[int64]bool{}
		last := snapAt
		follow := func(stopAfter int, until int64) {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			n := 0
			err := s.Feed().Watch(cctx, last, 7, func(cs []temporal.Change) error {
				for _, c := range cs {
					if applied[c.Sequence] {
						t.Errorf("sequence %d delivered twice", c.Sequence)
					}
					if c.Sequence != last+1 {
						t.Errorf("gap: got %d after %d", c.Sequence, last)
					}
					applied[c.Sequence] = true
					last = c.Sequence
					if c.Collection == "things" {
						var th thing
						_ = json.Unmarshal(c.Doc, &th)
						if c.Deleted {
							delete(replica, c.Key)
						} else {
							replica[c.Key] = th.Label
						}
					}
					n++
				}
				if (stopAfter > 0 && n >= stopAfter) || (until > 0 && last >= until) {
					cancel()
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		}
		follow(25, 0) // killed midway
		wg.Wait()
		head, err := s.Feed().Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		follow(0, head) // restarted, catches up to the end

		want := map[string]string{}
		if _, err := s.Snapshot(ctx, 0, func(v *temporal.Version) error {
			if !v.Deleted {
				want[v.Key] = label(t, v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(replica) != fmt.Sprint(want) {
			t.Fatalf("replica diverged:\n got %v\nwant %v", replica, want)
		}
		if last != head {
			t.Fatalf("consumer stopped at %d, head is %d", last, head)
		}
	})
}

func TestCreateManyWritesWhatCreateWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := openThings(t, db)
		if _, err := s.Create(ctx, "a", doc("one"), day("2024-01-01")); err != nil {
			t.Fatal(err)
		}
		vs, err := s.CreateMany(ctx, []temporal.NewRecord{{Key: "c", Doc: doc("three")}, {Key: "b", Doc: doc("two"), EffectiveFrom: day("2024-02-01")}}, nil)
		if err != nil || len(vs) != 2 || vs[0].Sequence != 2 || vs[1].Sequence != 3 {
			t.Fatalf("CreateMany = %+v, %v", vs, err)
		}
		v, _, err := s.Get(ctx, "b", temporal.Point{ValidAt: day("2024-03-01")})
		if err != nil || label(t, v) != "two" || v.Action != temporal.Created || v.Version != 1 {
			t.Fatalf("Get(b) = %+v, %v", v, err)
		}
		cs, err := s.Feed().Changes(ctx, 0, 0, 10)
		if err != nil || len(cs) != 3 || cs[1].Key != "c" || cs[2].Key != "b" {
			t.Fatalf("changes = %+v, %v", cs, err)
		}
		if _, err := s.CreateMany(ctx, []temporal.NewRecord{{Key: "d", Doc: doc("x")}, {Key: "a", Doc: doc("again")}}, nil); !errors.Is(err, errs.ErrAlreadyExists) {
			t.Fatalf("a batch with a taken key: %v", err)
		}
		if _, _, err := s.Get(ctx, "d", temporal.Point{}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("a refused batch left d behind: %v", err)
		}
		if h, _ := s.Feed().Head(ctx); h != 3 {
			t.Fatalf("a refused batch moved the feed head to %d", h)
		}
	})
}
