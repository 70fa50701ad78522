package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
)

// The REST routes as the gateway serves them: the generated handlers over
// a gRPC connection to the production server (never the in-process
// handler, which would skip the interceptors).
func restServer(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	// The gateway's marshalling: unset fields are left out.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}))
	if err := economyv1.RegisterEconomyServiceHandler(context.Background(), mux, h.conn); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestRESTRoutes(t *testing.T) {
	h := newHarness(t)
	srv := restServer(t, h)
	uscc := usccOf(t, "MA6000001")
	h.entities.add(uscc)
	base := srv.URL + "/v1/enterprises/" + uscc + "/reports"

	code, body := call(t, "POST", base+"?period=2024", `{"industryCode": "C2614", "revenue": "25000000", "profit": "-12.5", "employees": "40", "aboveDesignatedSize": true}`)
	if code != http.StatusOK || body["name"] != "enterprises/"+uscc+"/reports/2024" || body["revenue"] != "25000000.00" || body["profit"] != "-12.50" {
		t.Fatalf("POST %s → %d %v", base, code, body)
	}
	code, body = call(t, "POST", base+"?period=2024-13", `{"industryCode": "C2614", "revenue": "1", "profit": "1"}`)
	if code != http.StatusBadRequest || !strings.Contains(body["message"].(string), "period") {
		t.Fatalf("POST month 13 → %d %v; want 400 naming period", code, body)
	}
	code, body = call(t, "GET", base+"/2024?readMask=revenue", "")
	if code != http.StatusOK || body["revenue"] != "25000000.00" || body["profit"] != nil {
		t.Fatalf("GET → %d %v", code, body)
	}
	code, body = call(t, "PATCH", base+"/2024?updateMask=employees", `{"employees": "41"}`)
	if code != http.StatusOK || body["employees"] != "41" || body["etag"] != "2" {
		t.Fatalf("PATCH → %d %v", code, body)
	}
	code, body = call(t, "GET", srv.URL+"/v1/enterprises/-/reports?filter=above_designated_size%20%3D%20true", "")
	if code != http.StatusOK || len(body["reports"].([]any)) != 1 {
		t.Fatalf("GET list → %d %v", code, body)
	}
	code, body = call(t, "GET", srv.URL+"/v1/enterprises/-/reports:aggregate?groupBy=GROUP_BY_DIVISION&startPeriod=2024", "")
	if code != http.StatusOK || body["total"].(map[string]any)["totals"].(map[string]any)["revenue"] != "25000000.00" {
		t.Fatalf("GET aggregate → %d %v", code, body)
	}
	code, body = call(t, "GET", base+"/2024/versions", "")
	// Created, then the change: the first period restated as ended, and the new one.
	if code != http.StatusOK || len(body["versions"].([]any)) != 3 {
		t.Fatalf("GET versions → %d %v", code, body)
	}
	code, body = call(t, "GET", srv.URL+"/v1/economy/changes?afterSequence=1", "")
	if code != http.StatusOK || body["headSequence"] != "2" || len(body["changes"].([]any)) != 1 {
		t.Fatalf("GET changes → %d %v", code, body)
	}
	code, body = call(t, "DELETE", base+"/2024", "")
	if code != http.StatusOK || body["retired"] != true {
		t.Fatalf("DELETE → %d %v", code, body)
	}
	code, _ = call(t, "GET", base+"/2019", "")
	if code != http.StatusNotFound {
		t.Fatalf("GET a period not filed → %d, want 404", code)
	}
}
