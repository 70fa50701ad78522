package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/tools/demo"
)

func TestBaselinesServeTheCannedEntity(t *testing.T) {
	e := demo.LegalEntities(demo.DefaultSeed, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	gb, err := StartGRPCBaseline(e)
	if err != nil {
		t.Fatal(err)
	}
	defer gb.Close()
	conn, err := grpc.NewClient(gb.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := legalentityv1.NewLegalEntityServiceClient(conn).GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + e.GetUscc()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, e) {
		t.Errorf("gRPC baseline returned %v, want %v", got, e)
	}

	hb, err := StartHTTPBaseline(e)
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	resp, err := http.Get("http://" + hb.Addr() + "/v1/legalEntities/" + e.GetUscc())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("HTTP baseline: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	var back legalentityv1.LegalEntity
	if err := protojson.Unmarshal(body, &back); err != nil || !proto.Equal(&back, e) {
		t.Errorf("HTTP baseline body %s does not decode to the entity: %v", body, err)
	}
}

func TestReportOutputs(t *testing.T) {
	r := Report{
		Workers: 16, Duration: 5 * time.Second, Warmup: time.Second, GOMAXPROCS: 2, NumCPU: 2, GoVersion: "go",
		Notes: []string{"a note"},
		Comparisons: []Comparison{{
			Protocol: "grpc",
			Baseline: Measurement{Name: "baseline", Result: Result{Ops: 1000, OpsPerSec: 200, P50: time.Millisecond, P99: 2 * time.Millisecond}},
			Real:     Measurement{Name: "legalentity.Get", Result: Result{Ops: 500, OpsPerSec: 50, P50: 4 * time.Millisecond, P99: 8 * time.Millisecond}},
		}},
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grpc", "baseline", "200 ops/s", "legalentity.Get", "p50 4.00ms", "ratio real/baseline", "0.25", "a note"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Ratio float64 `json:"ratio_real_baseline_ops_per_sec"`
			Real  struct {
				P50Ms float64 `json:"p50_ms"`
			} `json:"real"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results) != 1 || doc.Results[0].Ratio != 0.25 || doc.Results[0].Real.P50Ms != 4 {
		t.Errorf("JSON %s: %+v %v", b, doc, err)
	}
}
