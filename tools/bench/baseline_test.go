package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
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

func TestBareRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "legalentity.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dial := func(t *testing.T, b *Baseline) legalentityv1.LegalEntityServiceClient {
		t.Helper()
		conn, err := grpc.NewClient(b.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return legalentityv1.NewLegalEntityServiceClient(conn)
	}
	writer, err := StartBareRegistry(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	e := demo.LegalEntities(demo.DefaultSeed, 1)[0]
	if e.GetLegalRepresentative().GetIdNumber() == "" {
		t.Fatal("the demo entity has no representative ID number to show unfiltered reads with")
	}
	name := "legalEntities/" + e.GetUscc()

	t.Run("a caller without any identity is answered, writes included", func(t *testing.T) {
		if _, err := dial(t, writer).CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: e}); err != nil {
			t.Fatal(err)
		}
	})

	// A second server on the same file, as the bench points one at the
	// cluster's registry database.
	reader, err := StartBareRegistry(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	c := dial(t, reader)

	t.Run("it reads the records already in the file, every item unfiltered", func(t *testing.T) {
		got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetName() != name || got.GetDisplayName() != e.GetDisplayName() {
			t.Errorf("got %s %q, want %s %q", got.GetName(), got.GetDisplayName(), name, e.GetDisplayName())
		}
		if got.GetLegalRepresentative().GetIdNumber() != e.GetLegalRepresentative().GetIdNumber() {
			t.Errorf("representative ID number %q, want the stored %q: nothing filters items here",
				got.GetLegalRepresentative().GetIdNumber(), e.GetLegalRepresentative().GetIdNumber())
		}
	})

	t.Run("the kit's own interceptors still run: domain errors map to codes, invalid requests are refused", func(t *testing.T) {
		other := demo.LegalEntities(demo.DefaultSeed+1, 1)[0]
		if _, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/" + other.GetUscc()}); status.Code(err) != codes.NotFound {
			t.Errorf("an entity not in the file: %v, want NotFound", err)
		}
		if _, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("no name: %v, want InvalidArgument", err)
		}
	})

	t.Run("Close stops serving", func(t *testing.T) {
		reader.Close()
		sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
		defer scancel()
		if _, err := c.GetLegalEntity(sctx, &legalentityv1.GetLegalEntityRequest{Name: name}); err == nil {
			t.Error("a closed bare registry still answers")
		}
	})
}

func TestReportNamesEachComparisonsRatio(t *testing.T) {
	res := func(opsPerSec float64, p50 time.Duration) Result {
		return Result{Ops: 1000, OpsPerSec: opsPerSec, P50: p50, P99: 2 * p50}
	}
	r := Report{Comparisons: []Comparison{
		{Protocol: "grpc", Baseline: Measurement{Name: "baseline", Result: res(400, time.Millisecond)}, Real: Measurement{Name: "legalentity.Get", Result: res(100, 4*time.Millisecond)}},
		{
			Protocol:  "grpc authz+audit",
			Baseline:  Measurement{Name: "legalentity.Get without authz and audit", Result: res(200, time.Millisecond), CPU: time.Second},
			Real:      Measurement{Name: "legalentity.Get with authz and audit", Result: res(150, 2*time.Millisecond), CPU: 2 * time.Second},
			RatioName: "with/without authz+audit",
		},
	}}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^grpc +ratio real/baseline +0\.25 +p50 x4\.0$`,
		`(?m)^grpc authz\+audit +legalentity\.Get without authz and audit +200 ops/s`,
		`(?m)^grpc authz\+audit +ratio with/without authz\+audit +0\.75 +p50 x2\.0 +CPU/op x2\.0 \(2000µs vs 1000µs\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(table.String()) {
			t.Errorf("table has no line matching %s:\n%s", want, table.String())
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Protocol  string  `json:"protocol"`
			RatioName string  `json:"ratio_name"`
			Ratio     float64 `json:"ratio_real_baseline_ops_per_sec"`
			RatioP50  float64 `json:"ratio_real_baseline_p50"`
			RatioCPU  float64 `json:"ratio_real_baseline_cpu_per_op"`
			Real      struct {
				CPUPerOpUs float64 `json:"cpu_us_per_op"`
			} `json:"real"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results) != 2 {
		t.Fatalf("JSON %s: %v", b, err)
	}
	if got := doc.Results[0]; got.RatioName != "real/baseline" || got.Ratio != 0.25 || got.RatioCPU != 0 || got.Real.CPUPerOpUs != 0 {
		t.Errorf("unnamed ratio, no CPU taken: %+v", got)
	}
	if got := doc.Results[1]; got.Protocol != "grpc authz+audit" || got.RatioName != "with/without authz+audit" || got.Ratio != 0.75 || got.RatioP50 != 2 ||
		got.RatioCPU != 2 || got.Real.CPUPerOpUs != 2000 {
		t.Errorf("named ratio with CPU: %+v", got)
	}
}

func TestCPUPerOpCountsSuccessfulOperations(t *testing.T) {
	for _, c := range []struct {
		rule string
		m    Measurement
		want time.Duration
	}{
		{"CPU time is shared by the successful operations", Measurement{Result: Result{Ops: 110, Errors: 10}, CPU: 100 * time.Millisecond}, time.Millisecond},
		{"no CPU taken gives none", Measurement{Result: Result{Ops: 100}}, 0},
		{"nothing succeeded gives none", Measurement{Result: Result{Ops: 5, Errors: 5}, CPU: time.Second}, 0},
	} {
		t.Run(c.rule, func(t *testing.T) {
			if got := c.m.CPUPerOp(); got != c.want {
				t.Errorf("CPUPerOp() = %s, want %s", got, c.want)
			}
		})
	}
}

func TestAuditVerificationFailsTheRun(t *testing.T) {
	for _, c := range []struct {
		rule  string
		audit AuditVerification
		fails bool
	}{
		{"a clean log with a record per audited call passes", AuditVerification{Chains: 1, Records: 120, Audited: 100, AnchorsChecked: true}, false},
		{"unanchored newest records are no problem", AuditVerification{Chains: 1, Records: 100, Audited: 100, AnchorsChecked: true, Unanchored: []string{"host:1"}}, false},
		{"a problem fails", AuditVerification{Chains: 1, Records: 120, Audited: 100, Problems: []string{"chain c seq 7: CHANGED: hash"}}, true},
		{"fewer records than audited calls fails", AuditVerification{Chains: 1, Records: 99, Audited: 100}, true},
	} {
		t.Run(c.rule, func(t *testing.T) {
			err := Report{Audit: &c.audit}.Check()
			if (err != nil) != c.fails {
				t.Fatalf("Check() = %v, want failure %v", err, c.fails)
			}
			b, jerr := json.Marshal(Report{Audit: &c.audit})
			if jerr != nil {
				t.Fatal(jerr)
			}
			var doc struct {
				Audit struct {
					Records int64  `json:"records_verified"`
					Check   string `json:"check"`
				} `json:"audit_verification"`
			}
			want := map[bool]string{false: "ok", true: "failed"}[c.fails]
			if err := json.Unmarshal(b, &doc); err != nil || doc.Audit.Records != c.audit.Records || doc.Audit.Check != want {
				t.Errorf("JSON %s, want records_verified %d and check %q", b, c.audit.Records, want)
			}
			if note := c.audit.Note(); !strings.Contains(note, fmt.Sprintf("%d records", c.audit.Records)) {
				t.Errorf("note %q does not give the number of records verified", note)
			}
		})
	}
}
