package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/spatial"
	spatialdemo "github.com/zhbase/zhbase/services/spatial/demo"
	spatialsql "github.com/zhbase/zhbase/services/spatial/sqlstore"
)

func TestRandomPointStaysInsideTheExtent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		p := RandomPoint(rng, zhenhai)
		if !zhenhai.Contains(p.Point()) {
			t.Fatalf("%v is outside %v", p, zhenhai)
		}
	}
}

func TestLoadSpatialDemoAndReverseGeocode(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "s.db"), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := spatialsql.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := spatial.NewService(st, refs.Registry{})
	base := spatialdemo.New(spatialdemo.Options{Addresses: 300})
	divisions, addresses, extent, err := LoadSpatialDemo(ctx, svc, base, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if divisions != len(base.Divisions) || addresses != 300 {
		t.Errorf("loaded %d divisions and %d addresses, want %d and 300", divisions, addresses, len(base.Divisions))
	}
	for a := range base.Addresses() {
		if !extent.Contains(a.Location.Point()) {
			t.Fatalf("extent %v lacks address %s at %v", extent, a.ID, a.Location)
		}
		if _, err := svc.GetAddress(ctx, a.ID, history.Point{}); err != nil {
			t.Fatalf("address %s was not loaded: %v", a.ID, err)
		}
	}

	var c GeocodeCounter
	res := Run(ctx, 2, 100*time.Millisecond, ReverseGeocodeOp(svc, extent, 5, &c))
	if res.Errors != 0 || res.Ops == 0 {
		t.Fatalf("%d of %d queries failed: %s", res.Errors, res.Ops, res.FirstError)
	}
	answers, full, empty := c.Counts()
	if answers != int64(res.Ops) || full+empty > answers {
		t.Errorf("counted %d answers (%d full, %d empty) of %d ops", answers, full, empty, res.Ops)
	}
	// At an address itself, that address comes first.
	var first *spatial.Address
	for a := range base.Addresses() {
		first = a
		break
	}
	found, err := svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: first.Location, MaxResults: 5})
	if err != nil || len(found) == 0 || found[0].Distance != 0 {
		t.Errorf("at an address: %v, %v", found, err)
	}

	g := GeocodeLatency{Addresses: addresses, Divisions: divisions, LoadWorkers: 3, Load: time.Second, Extent: extent, K: 5,
		MaxDistanceM: 1000, Single: res, Concurrent: res, Workers: 2, Answers: answers, Full: full, Empty: empty}
	if err := g.Check(); err != nil {
		t.Error(err)
	}
	rep := Report{Geocode: &g}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{GeocodeProtocol, "ReverseGeocode k=5, 300 addresses, 1 caller", "2 callers"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Geocode struct {
			InProcess bool `json:"in_process_no_grpc"`
			K         int  `json:"k"`
			Single    struct {
				Ops int `json:"ops"`
			} `json:"one_caller"`
			Check string `json:"check"`
		} `json:"reverse_geocode"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || !doc.Geocode.InProcess || doc.Geocode.K != 5 || doc.Geocode.Single.Ops != res.Ops || doc.Geocode.Check != "ok" {
		t.Errorf("JSON %s: %v", b, err)
	}
}
