package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/tools/demo"
)

var benchT0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func cloneEntity(tb testing.TB, e *legalentity.LegalEntity) *legalentity.LegalEntity {
	tb.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := decodeEntity(b)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// The documents written are what the registry's service would store: they
// pass its validation unchanged, before and after a Mutate.
func TestDocumentsAreValidRegistryEntities(t *testing.T) {
	ctx := context.Background()
	es := LegalEntities(demo.DefaultSeed, 40, benchT0)
	if again := LegalEntities(demo.DefaultSeed, 40, benchT0); mustJSON(t, again) != mustJSON(t, es) {
		t.Fatal("LegalEntities is not deterministic for a seed")
	}
	p, err := OpenProductionStore(ctx, storetest.OpenSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Seed(ctx, es); err != nil {
		t.Fatal(err)
	}
	svc := legalentity.NewService(p.Store())
	rng := rand.New(rand.NewPCG(1, 2))
	for _, e := range es {
		in := cloneEntity(t, e)
		got, err := svc.Create(ctx, in, legalentity.CreateOptions{ValidateOnly: true})
		if err != nil {
			t.Fatalf("the service refuses %s: %v", e.USCC, err)
		}
		got.CreateTime, got.UpdateTime = e.CreateTime, e.UpdateTime
		if mustJSON(t, got) != mustJSON(t, e) {
			t.Errorf("the service normalises %s:\n got %s\nwant %s", e.USCC, mustJSON(t, got), mustJSON(t, e))
		}

		m := cloneEntity(t, e)
		field := Mutate(m, rng, benchT0.Add(time.Hour))
		if _, err := svc.Update(ctx, e.USCC, m, []string{"*"}, legalentity.UpdateOptions{ValidateOnly: true}); err != nil {
			t.Errorf("the service refuses %s after changing %s: %v", e.USCC, field, err)
		}
	}
}

func TestMutateChangesOneFieldAndStampsTheWrite(t *testing.T) {
	e := LegalEntities(demo.DefaultSeed, 1, benchT0)[0]
	rng := rand.New(rand.NewPCG(7, 7))
	seen := map[string]bool{}
	for i := range 200 {
		before := cloneEntity(t, e)
		now := benchT0.Add(time.Duration(i+1) * time.Minute)
		field := Mutate(e, rng, now)
		seen[field] = true
		if e.Revision != before.Revision+1 || !e.UpdateTime.Equal(now) {
			t.Fatalf("revision %d → %d, update time %v; want +1 and %v", before.Revision, e.Revision, e.UpdateTime, now)
		}
		// Undo the stamps and the named field: nothing else may differ.
		after := cloneEntity(t, e)
		after.Revision, after.UpdateTime = before.Revision, before.UpdateTime
		switch field {
		case "registered_capital.amount":
			after.Capital.Amount = before.Capital.Amount
		case "registered_address.text":
			if !strings.HasPrefix(e.Address.Text, "浙江省宁波市镇海区") || !strings.HasSuffix(e.Address.Text, "号") {
				t.Errorf("address %q", e.Address.Text)
			}
			after.Address.Text = before.Address.Text
		case "business_scope":
			after.BusinessScope = before.BusinessScope
		case "legal_representative.name":
			after.Representative.Name = before.Representative.Name
		default:
			t.Fatalf("Mutate changed unknown field %q", field)
		}
		if mustJSON(t, after) != mustJSON(t, before) {
			t.Fatalf("changing %s changed more:\n%s\n%s", field, mustJSON(t, after), mustJSON(t, before))
		}
	}
	if len(seen) != len(MutatedFields) {
		t.Errorf("200 mutations changed only %v", seen)
	}
}

// The baseline must write the index columns the registry writes: compare
// IndexValues with what sqlstore stored.
func TestIndexValuesAreTheRegistrysColumns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, err := OpenProductionStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		es := LegalEntities(demo.DefaultSeed, 5, benchT0)
		if err := p.Seed(ctx, es); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		for _, e := range es {
			if _, err := p.Update(ctx, e.USCC, func(e *legalentity.LegalEntity) { Mutate(e, rng, time.Now()) }); err != nil {
				t.Fatal(err)
			}
			dest := make([]any, len(IndexColumns)+1)
			var doc string
			stored := make([]string, len(IndexColumns))
			dest[0] = &doc
			for i := range stored {
				dest[i+1] = &stored[i]
			}
			if err := db.QueryRowContext(ctx, `SELECT doc, `+strings.Join(IndexColumns, ", ")+` FROM legal_entities WHERE uscc = ? AND `+temporal.Current, e.USCC).Scan(dest...); err != nil {
				t.Fatal(err)
			}
			vals, err := IndexValues([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if v != stored[i] {
					t.Errorf("%s: %s = %q stored by sqlstore, %q by IndexValues", e.USCC, IndexColumns[i], stored[i], v)
				}
			}
		}
	})
}

// The three targets apply the same logical writes: the same documents
// result, and the stores with a feed return the sequence each write took.
func TestTargetsApplyTheSameWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		es := LegalEntities(demo.DefaultSeed, 6, benchT0)
		open := func() *store.DB {
			if strings.HasSuffix(t.Name(), "postgres") {
				return storetest.OpenPostgres(t)
			}
			return storetest.OpenSQLite(t)
		}
		plain, err := OpenPlainTable(ctx, open())
		if err != nil {
			t.Fatal(err)
		}
		tt, err := OpenTemporalTable(ctx, open())
		if err != nil {
			t.Fatal(err)
		}
		prod, err := OpenProductionStore(ctx, open())
		if err != nil {
			t.Fatal(err)
		}
		read := map[string]func(uscc string) string{
			"plain": func(uscc string) string {
				var doc string
				if err := plain.db.QueryRowContext(ctx, `SELECT doc FROM `+PlainTableName+` WHERE uscc = ?`, uscc).Scan(&doc); err != nil {
					t.Fatal(err)
				}
				return doc
			},
			"temporal": func(uscc string) string {
				v, _, err := tt.Store().Get(ctx, uscc, history.Point{})
				if err != nil {
					t.Fatal(err)
				}
				return string(v.Doc)
			},
			"production": func(uscc string) string {
				v, _, err := prod.Store().Temporal().Get(ctx, uscc, history.Point{})
				if err != nil {
					t.Fatal(err)
				}
				return string(v.Doc)
			},
		}
		targets := map[string]WriteTarget{"plain": plain, "temporal": tt, "production": prod}
		feeds := map[string]*temporal.Feed{"temporal": tt.Feed(), "production": prod.Store().Temporal().Feed()}
		for name, target := range targets {
			if err := target.Seed(ctx, es); err != nil {
				t.Fatalf("seed %s: %v", name, err)
			}
		}
		for i := range 12 {
			e := es[i%len(es)]
			docs := map[string]string{}
			for name, target := range targets {
				rng := rand.New(rand.NewPCG(uint64(i), 9)) // the same change on every target
				now := benchT0.Add(time.Duration(i+1) * time.Second)
				seq, err := target.Update(ctx, e.USCC, func(e *legalentity.LegalEntity) { Mutate(e, rng, now) })
				if err != nil {
					t.Fatalf("%s: update %s: %v", name, e.USCC, err)
				}
				docs[name] = read[name](e.USCC)
				feed := feeds[name]
				if feed == nil {
					if seq != 0 {
						t.Errorf("%s returned sequence %d without a feed", name, seq)
					}
					continue
				}
				// Update returns the current version, which carries the
				// sequence of the write that made it: the head, whose change
				// names the entity.
				head, err := feed.Head(ctx)
				if err != nil {
					t.Fatal(err)
				}
				cs, err := feed.Changes(ctx, seq-1, seq, 1)
				if err != nil {
					t.Fatal(err)
				}
				if seq != head || len(cs) != 1 || cs[0].Key != e.USCC || cs[0].Action != temporal.Updated || string(cs[0].Doc) != docs[name] {
					t.Errorf("%s: Update returned sequence %d, head %d, change %+v", name, seq, head, cs)
				}
			}
			if docs["plain"] != docs["temporal"] || docs["plain"] != docs["production"] {
				t.Fatalf("write %d: the targets hold different documents:\n%v", i, docs)
			}
			var got legalentity.LegalEntity
			if err := json.Unmarshal([]byte(docs["plain"]), &got); err != nil || got.Revision < 2 {
				t.Errorf("write %d: document %s (%v)", i, docs["plain"], err)
			}
		}
	})
}

func TestMeasureFeedLagDeliversEveryWriteOnce(t *testing.T) {
	ctx := context.Background()
	tt, err := OpenTemporalTable(ctx, storetest.OpenSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	es := LegalEntities(demo.DefaultSeed, 20, time.Now())
	if err := tt.Seed(ctx, es); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.USCC
	}
	writes, lag, err := MeasureFeedLag(ctx, tt.Feed(), 3, 200*time.Millisecond, 5*time.Second, UpdateRandom(tt, keys))
	if err != nil {
		t.Fatal(err)
	}
	if writes.Errors != 0 || writes.Ops == 0 {
		t.Fatalf("writes %+v", writes)
	}
	if err := lag.Check(); err != nil {
		t.Fatal(err)
	}
	if lag.Committed != writes.Ops || lag.Delivered != writes.Ops {
		t.Errorf("%d writes, %d committed, %d delivered", writes.Ops, lag.Committed, lag.Delivered)
	}
	if lag.Max < lag.P99 || lag.P99 < lag.P50 || lag.Max > 5*time.Second {
		t.Errorf("lags p50 %v p99 %v max %v", lag.P50, lag.P99, lag.Max)
	}

	// A write the watcher was not told about by the writers is reported.
	writes, lag, err = MeasureFeedLag(ctx, tt.Feed(), 1, 50*time.Millisecond, time.Second, func(ctx context.Context, w int, rng *rand.Rand) (int64, error) {
		seq, err := UpdateRandom(tt, keys)(ctx, w, rng)
		return seq + 1_000_000, err // a wrong sequence: the real one goes unclaimed
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := lag.Check(); err == nil || lag.Missing != writes.Ops || lag.Unexpected != writes.Ops {
		t.Errorf("wrong sequences went unnoticed: %+v, %v", lag, err)
	}
}

func TestWriteBenchReport(t *testing.T) {
	ctx := context.Background()
	backends := []*Databases{SQLiteDatabases(t.TempDir())}
	if !testing.Short() {
		if dsn := storetest.PostgresDSN(); postgresReachable(dsn) {
			backends = append(backends, PostgresDatabases(dsn))
		}
	}
	var rep Report
	for _, dbs := range backends {
		var logs []string
		b := WriteBench{Databases: dbs, Entities: 30, Seed: demo.DefaultSeed, Workers: 2, Duration: 150 * time.Millisecond,
			Warmup: 20 * time.Millisecond, Drain: 5 * time.Second, Logf: func(f string, args ...any) { logs = append(logs, f) }}
		cmp, lag, err := b.Run(ctx)
		if err := errors.Join(err, dbs.Close()); err != nil {
			t.Fatalf("%s: %v", dbs.Backend, err)
		}
		if len(logs) == 0 {
			t.Error("no progress logged")
		}
		rep.Writes = append(rep.Writes, cmp)
		rep.FeedLags = append(rep.FeedLags, lag)
		if cmp.Ratio() <= 0 || cmp.ProductionRatio() <= 0 || lag.PollInterval != 250*time.Millisecond {
			t.Errorf("%s: ratios %v %v, poll interval %v", dbs.Backend, cmp.Ratio(), cmp.ProductionRatio(), lag.PollInterval)
		}
	}
	if err := rep.Check(); err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"write/sqlite", PlainTargetName, TemporalTargetName, ProductionTargetName,
		"ratio with/without history+feed", "ratio sqlstore/plain", "feed/sqlite", "Feed.Watch lag", "delivered once", "max "} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Writes []struct {
			Backend string  `json:"backend"`
			Ratio   float64 `json:"ratio_with_without_ops_per_sec"`
			With    struct {
				OpsPerSec float64 `json:"ops_per_sec"`
			} `json:"with_history_feed"`
		} `json:"writes"`
		FeedLag []struct {
			Delivered int     `json:"delivered"`
			Committed int     `json:"committed"`
			MaxMs     float64 `json:"lag_max_ms"`
			Check     string  `json:"exactly_once_check"`
		} `json:"feed_lag"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Writes) != len(backends) || len(doc.FeedLag) != len(backends) {
		t.Fatalf("JSON %s: %v", b, err)
	}
	for i, w := range doc.Writes {
		if w.Ratio != rep.Writes[i].Ratio() || w.With.OpsPerSec == 0 || doc.FeedLag[i].Check != "ok" ||
			doc.FeedLag[i].Delivered != doc.FeedLag[i].Committed {
			t.Errorf("JSON %s", b)
		}
	}

	// A feed that lost a write fails the report.
	rep.FeedLags[0].Lag.Missing = 1
	if err := rep.Check(); err == nil || !strings.Contains(err.Error(), "exactly once") {
		t.Errorf("Check() = %v with a missing change", err)
	}
}

func TestDSNHelpers(t *testing.T) {
	for _, tc := range []struct{ dsn, path, redacted string }{
		{"postgres://u:secret@db:5432/zh?sslmode=disable", "postgres://u:secret@db:5432/zh?search_path=s1&sslmode=disable", "postgres://u@db:5432/zh?sslmode=disable"},
		{"host=db user=u password=secret dbname=zh", "host=db user=u password=secret dbname=zh search_path=s1", "host=db user=u dbname=zh"},
	} {
		if got := WithSearchPath(tc.dsn, "s1"); got != tc.path {
			t.Errorf("WithSearchPath(%q) = %q, want %q", tc.dsn, got, tc.path)
		}
		if got := RedactDSN(tc.dsn); got != tc.redacted || strings.Contains(got, "secret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.dsn, got, tc.redacted)
		}
	}
}

func TestSQLiteDatabasesAreSeparateFiles(t *testing.T) {
	dir := t.TempDir()
	d := SQLiteDatabases(dir)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		db, err := d.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `CREATE TABLE x (id INTEGER)`); err != nil {
			t.Fatalf("%s: %v (not a fresh database?)", name, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.db"))
	slices.Sort(files)
	if len(files) != 2 || filepath.Base(files[0]) != "a.db" {
		t.Errorf("files %v", files)
	}
}

func postgresReachable(dsn string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	db, err := store.Open(ctx, store.Options{PostgresDSN: dsn, Name: "probe"})
	if err != nil {
		return false
	}
	db.Close()
	return true
}

func TestPostgresDatabasesDropTheirSchemas(t *testing.T) {
	dsn := storetest.RequirePostgres(t)
	ctx := context.Background()
	d := PostgresDatabases(dsn)
	if strings.Contains(d.Where, "secret") {
		t.Errorf("Where %q", d.Where)
	}
	db, err := d.Open(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil || !strings.HasPrefix(schema, "zhbase_bench_") {
		t.Fatalf("current schema %q (%v)", schema, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE x (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	admin, err := store.Open(ctx, store.Options{PostgresDSN: dsn, Name: "check"})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?`, schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema %s left behind (%d, %v)", schema, n, err)
	}
}
