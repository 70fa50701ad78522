package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/exchange/webhook"
	"github.com/zhbase/zhbase/services/kit/discovery"
	popdemo "github.com/zhbase/zhbase/services/population/demo"
)

// field reads a dotted proto3-JSON path of a REST result ("" when absent).
func field(body map[string]any, path string) string {
	var cur any = body
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	if cur == nil {
		return ""
	}
	return fmt.Sprint(cur)
}

// members are the demo departments the matrix reads as.
var members = []string{"dsjj", "scjgj", "gaj", "zrzyj", "tjj", "zjj", "czj", "sthjj", "zbsjd", "jcjd"}

// testAccess runs the access rules over a loaded district through REST,
// as departments' applications call the platform.
func testAccess(t *testing.T, base string, keys map[string]string, p *cluster.Process) {
	purpose := func(dep string) caller { return as(keys[dep]).with("辖区走访核查", "ZH-2026-001") }
	clients, closeAll := registryClients(t, p.Etcd(), p)
	defer closeAll()

	// Two households: one in 招宝山街道, one in 蛟川街道.
	var addrs []popdemo.Address
	seen := map[string]bool{}
	for _, a := range purpose("scjgj").rest(t, "GET", base+"/v1/addresses?page_size=200", "").body["addresses"].([]any) {
		am := a.(map[string]any)
		township := strings.TrimPrefix(am["division"].(string), "divisions/")[:9] + "000"
		if (township == "330211001000" || township == "330211002000") && !seen[township] {
			seen[township] = true
			addrs = append(addrs, popdemo.Address{Name: am["name"].(string), DivisionCode: township})
		}
	}
	if len(addrs) != 2 {
		t.Fatalf("the district has no address in both subdistricts: %v", addrs)
	}
	personIn := map[string]string{}
	if _, err := popdemo.Seed(context.Background(), clients.Population, 4242, addrs, 12); err != nil {
		t.Fatal(err)
	}
	_ = popdemo.Generate(4242, addrs, 12, func(h popdemo.Household) error {
		for _, a := range addrs {
			for _, m := range h.Members {
				if m.GetRegisteredAddress() == a.Name && m.GetPhone() != "" {
					personIn[a.DivisionCode] = "persons/" + m.GetIdNumber()
				}
			}
		}
		return nil
	})
	zb, jc := personIn["330211001000"], personIn["330211002000"]
	if zb == "" || jc == "" {
		t.Fatalf("no person with a phone in each subdistrict: %v", personIn)
	}
	first := func(dep, collection, list string) string {
		r := purpose(dep).rest(t, "GET", base+"/v1/"+collection+"?page_size=1", "")
		items, _ := r.body[list].([]any)
		if len(items) == 0 {
			t.Fatalf("%s lists no %s: %d %v", dep, collection, r.code, r.body)
		}
		return items[0].(map[string]any)["name"].(string)
	}
	le := first("scjgj", "legalEntities", "legalEntities")
	report := first("tjj", "enterprises/-/reports", "reports")
	var building string
	for _, b := range purpose("zjj").rest(t, "GET", base+"/v1/buildings?page_size=100", "").body["buildings"].([]any) {
		if bm := b.(map[string]any); field(bm, "safetyRating") != "" && field(bm, "safetyAssessmentDate") != "" {
			building = bm["name"].(string)
		}
	}
	if building == "" {
		t.Fatal("no building with a safety assessment")
	}

	type item struct {
		object, field string
		// visible lists who sees the item; "*" is every member.
		visible []string
		// denied lists who may not call the method at all.
		denied []string
	}
	everyone := []string{"*"}
	noPersons := []string{"dsjj", "zrzyj", "tjj", "czj", "sthjj"}
	matrix := []struct {
		rule string
		item
	}{
		{"unconditional legal-entity items are visible to every member", item{le, "displayName", everyone, nil}},
		{"a conditional legal-entity item needs a grant", item{le, "legalRepresentative.idNumber", []string{"scjgj", "tjj"}, nil}},
		{"conditional person items need a grant, scoped ones only in their division (招宝山)", item{zb, "displayName", []string{"gaj", "scjgj", "zjj", "zbsjd"}, noPersons}},
		{"conditional person items need a grant, scoped ones only in their division (蛟川)", item{jc, "displayName", []string{"gaj", "scjgj", "zjj", "jcjd"}, noPersons}},
		{"a scoped grant's items only", item{zb, "residenceAddress", []string{"gaj", "zbsjd"}, noPersons}},
		{"a conditional item no grant names stays with the provider", item{zb, "idNumber", []string{"gaj"}, noPersons}},
		{"not-shared person items are the provider's alone", item{zb, "phone", []string{"gaj"}, noPersons}},
		{"unconditional report items are visible to every member", item{report, "industryCode", everyone, nil}},
		{"conditional report items per grant (finance)", item{report, "revenue", []string{"tjj", "czj"}, nil}},
		{"conditional report items per grant (environment)", item{report, "energyConsumption", []string{"tjj", "sthjj"}, nil}},
		{"not-shared report items are the provider's alone", item{report, "taxesPaid", []string{"tjj"}, nil}},
		{"unconditional building items are visible to every member", item{building, "use", everyone, nil}},
		{"a pending application opens nothing", item{building, "safetyRating", []string{"zjj"}, nil}},
		{"unconditional address items are visible to every member", item{addrs[0].Name, "fullText", everyone, nil}},
	}
	for _, m := range matrix {
		t.Run(m.rule, func(t *testing.T) {
			for _, dep := range members {
				r := purpose(dep).rest(t, "GET", base+"/v1/"+m.object, "")
				denied := false
				for _, d := range m.denied {
					denied = denied || d == dep
				}
				if denied {
					if r.code != 403 {
						t.Errorf("%s reads %s: %d, want 403", dep, m.object, r.code)
					}
					continue
				}
				if r.code != 200 {
					t.Errorf("%s reads %s: %d %v", dep, m.object, r.code, r.body)
					continue
				}
				want := false
				for _, v := range m.visible {
					want = want || v == "*" || v == dep
				}
				if got := field(r.body, m.field) != ""; got != want {
					t.Errorf("%s sees %s of %s: %v, want %v", dep, m.field, m.object, got, want)
				}
			}
		})
	}

	t.Run("the metaservices list every method and what a department may call", func(t *testing.T) {
		all := purpose("czj").rest(t, "GET", base+"/v1/methods", "")
		methods, _ := all.body["methods"].([]any)
		if all.code != 200 || len(methods) < 50 {
			t.Fatalf("ListMethods: %d, %d methods", all.code, len(methods))
		}
		allowed := func(dep string) map[string]map[string]any {
			r := purpose(dep).rest(t, "GET", base+"/v1/methods:allowed", "")
			if r.code != 200 {
				t.Fatalf("AllowedMethods as %s: %d %v", dep, r.code, r.body)
			}
			out := map[string]map[string]any{}
			for _, m := range r.body["methods"].([]any) {
				mm := m.(map[string]any)
				name := field(mm, "method.name")
				out[name[strings.LastIndexByte(name, '/')+1:]] = mm
			}
			return out
		}
		zbs := allowed("zbsjd")
		if m, ok := zbs["GetPerson"]; !ok || m["purposeRequired"] != true || !strings.Contains(fmt.Sprint(m["access"]), "330211001000") {
			t.Errorf("GetPerson for the 招宝山 office: %v", m)
		}
		if _, ok := zbs["CreatePerson"]; ok {
			t.Error("the 招宝山 office may create persons")
		}
		czj := allowed("czj")
		if _, ok := czj["GetPerson"]; ok {
			t.Error("finance may read persons")
		}
		if m, ok := czj["GetReport"]; !ok || !strings.Contains(fmt.Sprint(m["access"]), "revenue") || strings.Contains(fmt.Sprint(m["access"]), "taxes_paid") {
			t.Errorf("GetReport for finance: %v", m)
		}
		if _, ok := allowed("gaj")["CreatePerson"]; !ok {
			t.Error("the provider may not create persons")
		}
		if r := purpose("czj").rest(t, "GET", base+"/v1/methods:allowed?department=departments/gaj", ""); r.code != 403 {
			t.Errorf("a department asks about another: %d", r.code)
		}
	})

	t.Run("totals and searches need the items they compute over or match", func(t *testing.T) {
		for _, c := range []struct {
			dep, url string
			want     int
		}{
			{"tjj", "/v1/enterprises/-/reports:aggregate?group_by=GROUP_BY_INDUSTRY&start_period=2020&end_period=2025", 200},
			{"czj", "/v1/enterprises/-/reports:aggregate?group_by=GROUP_BY_INDUSTRY&start_period=2020&end_period=2025", 403}, // sums items it was not granted
			{"scjgj", "/v1/persons:search?query=%E5%BC%A0", 200},                                                             // display_name granted everywhere
			{"zbsjd", "/v1/persons:search?query=%E5%BC%A0", 403},                                                             // only in its own division
			{"scjgj", "/v1/persons:search?birth_date=1990-01-01", 403},                                                       // birth_date not granted
			{"czj", "/v1/legalEntities:search?query=%E5%AE%81%E6%B3%A2", 200},                                                // names are unconditional
		} {
			if r := purpose(c.dep).rest(t, "GET", base+c.url, ""); r.code != c.want {
				t.Errorf("%s GET %s: %d, want %d (%v)", c.dep, c.url, r.code, c.want, r.body["message"])
			}
		}
	})

	t.Run("unauthenticated and unknown callers are refused through REST", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/v1/"+le, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no key: %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if r := as("zk_0000000000000000_forged").rest(t, "GET", base+"/v1/"+le, ""); r.code != 401 {
			t.Fatalf("unknown key: %d", r.code)
		}
	})

	t.Run("unauthenticated calls are refused through gRPC; an API key is accepted", func(t *testing.T) {
		conn, err := discovery.Dial(p.Etcd(), "legalentity", discovery.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := legalentityv1.NewLegalEntityServiceClient(conn)
		_, err = c.GetLegalEntity(context.Background(), &legalentityv1.GetLegalEntityRequest{Name: le})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("no key: %v", err)
		}
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-api-key", keys["czj"])
		got, err := c.GetLegalEntity(ctx, &legalentityv1.GetLegalEntityRequest{Name: le})
		if err != nil || got.GetDisplayName() == "" || got.GetLegalRepresentative().GetIdNumber() != "" {
			t.Fatalf("with a key: %v, %v", got, err)
		}
	})

	t.Run("a department's new key works, and stops working once revoked", func(t *testing.T) {
		r := as(keys["sthjj"]).rest(t, "POST", base+"/v1/departments/sthjj/credentials", `{"application":"monitoring","kind":"CREDENTIAL_KIND_API_KEY"}`)
		if r.code != 200 {
			t.Fatalf("issue: %d %v", r.code, r.body)
		}
		key, name := r.body["secret"].(string), field(r.body, "credential.name")
		if r := as(key).rest(t, "GET", base+"/v1/"+le, ""); r.code != 200 {
			t.Fatalf("the new key: %d %v", r.code, r.body)
		}
		if r := as(keys["sthjj"]).rest(t, "POST", base+"/v1/"+name+":revoke", `{}`); r.code != 200 {
			t.Fatalf("revoke: %d %v", r.code, r.body)
		}
		waitFor(t, "the revoked key to be refused", 15*time.Second, func() bool {
			return as(key).rest(t, "GET", base+"/v1/"+le, "").code == 401
		})
	})

	t.Run("a department writes only the items it provides", func(t *testing.T) {
		if r := purpose("czj").rest(t, "PATCH", base+"/v1/"+le+"?update_mask=business_scope", `{"businessScope":"改"}`); r.code != 403 {
			t.Fatalf("another department's write: %d %v", r.code, r.body)
		}
		if r := purpose("scjgj").rest(t, "PATCH", base+"/v1/"+le+"?update_mask=business_scope", `{"businessScope":"软件开发"}`); r.code != 200 {
			t.Fatalf("the provider's write: %d %v", r.code, r.body)
		}
	})

	sees := func(dep, object, f string) bool {
		r := purpose(dep).rest(t, "GET", base+"/v1/"+object, "")
		return r.code == 200 && field(r.body, f) != ""
	}
	t.Run("a grant opens its items once approved, and closes on revocation", func(t *testing.T) {
		r := purpose("zjj").rest(t, "GET", base+`/v1/grants?filter=state%3DPENDING`, "")
		grants, _ := r.body["grants"].([]any)
		if r.code != 200 || len(grants) != 1 {
			t.Fatalf("pending grants the provider sees: %d %v", r.code, r.body)
		}
		g := grants[0].(map[string]any)["name"].(string)
		if sees("sthjj", building, "safetyRating") {
			t.Fatal("visible before approval")
		}
		if r := purpose("zjj").rest(t, "POST", base+"/v1/"+g+":approve", `{}`); r.code != 200 {
			t.Fatalf("approve: %d %v", r.code, r.body)
		}
		waitFor(t, "the approved grant to open safetyRating", 10*time.Second, func() bool { return sees("sthjj", building, "safetyRating") })
		if r := purpose("zjj").rest(t, "POST", base+"/v1/"+g+":revoke", `{"reason":"评估结束"}`); r.code != 200 {
			t.Fatalf("revoke: %d %v", r.code, r.body)
		}
		waitFor(t, "the revoked grant to close safetyRating", 10*time.Second, func() bool { return !sees("sthjj", building, "safetyRating") })
	})

	t.Run("a grant closes when it expires", func(t *testing.T) {
		expire := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
		r := purpose("czj").rest(t, "POST", base+"/v1/grants", `{"catalogueResource":"catalogueResources/building.Building","items":["safety_assessment_date"],"purpose":"专项资金复核","expireTime":"`+expire+`"}`)
		if r.code != 200 {
			t.Fatalf("apply: %d %v", r.code, r.body)
		}
		if r := purpose("zjj").rest(t, "POST", base+"/v1/"+r.body["name"].(string)+":approve", `{}`); r.code != 200 {
			t.Fatalf("approve: %d %v", r.code, r.body)
		}
		waitFor(t, "the approved grant to open safetyAssessmentDate", 10*time.Second, func() bool { return sees("czj", building, "safetyAssessmentDate") })
		waitFor(t, "the grant to expire", 10*time.Second, func() bool { return !sees("czj", building, "safetyAssessmentDate") })
	})

	t.Run("refused calls are in the audit log, which verifies", func(t *testing.T) {
		admin := as(keys["dsjj"])
		r := admin.rest(t, "GET", base+"/v1/auditRecords?department=czj&result=PERMISSION_DENIED", "")
		records, _ := r.body["auditRecords"].([]any)
		if r.code != 200 || len(records) == 0 {
			t.Fatalf("refusals of czj: %d %v", r.code, r.body)
		}
		r = admin.rest(t, "GET", base+"/v1/auditRecords?result=UNAUTHENTICATED", "")
		if records, _ := r.body["auditRecords"].([]any); r.code != 200 || len(records) == 0 {
			t.Fatalf("REST calls without a valid key are not in the audit log: %d %v", r.code, r.body)
		}
		if r := as(keys["czj"]).rest(t, "GET", base+"/v1/auditRecords", ""); r.code != 403 {
			t.Fatalf("a non-admin searches the audit log: %d", r.code)
		}
		if r := admin.rest(t, "POST", base+"/v1/auditRecords:verify", `{}`); r.code != 200 || r.body["problems"] != nil {
			t.Fatalf("verify: %d %v", r.code, r.body)
		}
	})

	t.Run("a department over its rate limit gets 429 with Retry-After", func(t *testing.T) {
		admin := as(keys["dsjj"])
		if r := admin.rest(t, "PATCH", base+"/v1/departments/jcjd?update_mask=rate_limit", `{"rateLimit":{"requestsPerSecond":1,"burst":1}}`); r.code != 200 {
			t.Fatalf("set the limit: %d %v", r.code, r.body)
		}
		waitPolicy(t, p)
		var last *http.Response
		for range 3 {
			req, _ := http.NewRequest("GET", base+"/v1/"+le, nil)
			req.Header.Set("X-Api-Key", keys["jcjd"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			last = resp
		}
		if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
		}
		if r := admin.rest(t, "PATCH", base+"/v1/departments/jcjd?update_mask=rate_limit", `{"rateLimit":{}}`); r.code != 200 {
			t.Fatalf("lift the limit: %d %v", r.code, r.body)
		}
	})

	t.Run("a subscription delivers changes signed with its secret", func(t *testing.T) {
		var mu sync.Mutex
		var got []map[string]any
		var secret []byte
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhook.Verify(secret, r.Header, body, time.Now(), time.Minute); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			var d map[string]any
			_ = json.Unmarshal(body, &d)
			got = append(got, d)
		}))
		defer receiver.Close()
		r := purpose("sthjj").rest(t, "POST", base+"/v1/subscriptions",
			`{"registry":"building","records":["`+building+`"],"callbackUri":"`+receiver.URL+`"}`)
		if r.code != 200 {
			t.Fatalf("subscribe: %d %v", r.code, r.body)
		}
		mu.Lock()
		secret = []byte(r.body["secret"].(string))
		mu.Unlock()
		if r := purpose("zjj").rest(t, "PATCH", base+"/v1/"+building+"?update_mask=display_name", `{"displayName":"镇海区档案馆"}`); r.code != 200 {
			t.Fatalf("change the building: %d %v", r.code, r.body)
		}
		waitFor(t, "the change to be delivered", 15*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) > 0
		})
		mu.Lock()
		defer mu.Unlock()
		if field(got[0], "event.building.displayName") != "镇海区档案馆" || field(got[0], "event.building.safetyRating") != "" {
			t.Fatalf("delivered %v", got[0])
		}
		// The feed was read as the subscriber, under what it declared.
		r = as(keys["dsjj"]).rest(t, "GET", base+"/v1/auditRecords?department=sthjj&method=/zhbase.building.v1.BuildingService/ListBuildingChanges", "")
		reads, _ := r.body["auditRecords"].([]any)
		if r.code != 200 || len(reads) == 0 || field(reads[0].(map[string]any), "purpose") != "辖区走访核查" {
			t.Fatalf("the delivery's reads in the audit log: %d %v", r.code, r.body)
		}
	})
}
