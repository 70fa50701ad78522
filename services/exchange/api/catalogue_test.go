package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange"
)

const (
	personEntry = "catalogueResources/population.Person"
	entityEntry = "catalogueResources/legalentity.LegalEntity"
)

// assignProvider makes department the provider of entry, as an admin.
func (e *env) assignProvider(t testing.TB, entry, department string) {
	t.Helper()
	if _, err := e.c.UpdateCatalogueResource(as(admin), &exchangev1.UpdateCatalogueResourceRequest{
		CatalogueResource: &exchangev1.CatalogueResource{Name: entry, ProviderDepartment: "departments/" + department},
		UpdateMask:        mask("provider_department"),
	}); err != nil {
		t.Fatalf("assign %s to %s: %v", department, entry, err)
	}
}

// classify sets the classes of items as caller.
func (e *env) classify(ctx context.Context, entry string, items ...*exchangev1.CatalogueItem) (*exchangev1.CatalogueResource, error) {
	return e.c.UpdateCatalogueResource(ctx, &exchangev1.UpdateCatalogueResourceRequest{
		CatalogueResource: &exchangev1.CatalogueResource{Name: entry, Items: items},
		UpdateMask:        mask("items"),
	})
}

func conditional(path, condition string) *exchangev1.CatalogueItem {
	return &exchangev1.CatalogueItem{Path: path, SharingClass: exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL, Condition: condition}
}

func unconditional(path string) *exchangev1.CatalogueItem {
	return &exchangev1.CatalogueItem{Path: path, SharingClass: exchangev1.SharingClass_SHARING_CLASS_UNCONDITIONAL}
}

func notShared(path, basis string) *exchangev1.CatalogueItem {
	return &exchangev1.CatalogueItem{Path: path, SharingClass: exchangev1.SharingClass_SHARING_CLASS_NOT_SHARED, LegalBasis: basis}
}

func itemPaths(r *exchangev1.CatalogueResource) []string {
	var out []string
	for _, it := range r.GetItems() {
		out = append(out, it.GetPath())
	}
	return out
}

func TestTheCatalogueDescribesEveryRegistryResource(t *testing.T) {
	e := newEnv(t)
	list, err := e.c.ListCatalogueResources(as(mzj), &exchangev1.ListCatalogueResourcesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*exchangev1.CatalogueResource{}
	for _, r := range list.GetCatalogueResources() {
		byName[r.GetName()] = r
	}
	for _, r := range resources() {
		entry := byName[exchange.CatalogueName(exchange.CatalogueCode(r))]
		if entry == nil {
			t.Fatalf("no catalogue entry for %s", r.Type)
		}
		var want []string
		for _, it := range r.Items() {
			want = append(want, it.Path)
		}
		if got := itemPaths(entry); !slices.Equal(got, want) {
			t.Errorf("%s items = %v, want %v", r.Type, got, want)
		}
	}
	t.Run("a new entry has the registry's title and no provider, and nothing is shared until catalogued", func(t *testing.T) {
		le := byName[entityEntry]
		if le.GetTitle() != "法人基本信息" || le.GetProviderDepartment() != "" || le.GetResourceType() != "zhbase.legalentity.v1.LegalEntity" || le.GetPublishTime() != nil {
			t.Fatalf("entry = %v", le)
		}
		for _, it := range le.GetItems() {
			if it.GetSharingClass() != exchangev1.SharingClass_SHARING_CLASS_NOT_SHARED || it.GetLegalBasis() != exchange.UncataloguedLegalBasis {
				t.Fatalf("uncatalogued item %v", it)
			}
		}
	})
	t.Run("split fields are catalogued one by one, and personal items are marked", func(t *testing.T) {
		le := byName[entityEntry]
		paths := itemPaths(le)
		if !slices.Contains(paths, "legal_representative.name") || slices.Contains(paths, "legal_representative") {
			t.Fatalf("items = %v", paths)
		}
		for _, it := range le.GetItems() {
			if it.GetPersonal() != (it.GetPath() == "legal_representative.id_number") {
				t.Fatalf("item %s personal = %v", it.GetPath(), it.GetPersonal())
			}
		}
	})
}

func TestCatalogueUpdateRules(t *testing.T) {
	e := newEnv(t)
	e.assignProvider(t, personEntry, "gaj")

	t.Run("assigning a provider publishes the entry", func(t *testing.T) {
		r, err := e.c.GetCatalogueResource(as(mzj), &exchangev1.GetCatalogueResourceRequest{Name: personEntry})
		if err != nil || r.GetProviderDepartment() != "departments/gaj" || r.GetPublishTime() == nil {
			t.Fatalf("entry = %v, %v", r, err)
		}
	})
	t.Run("the provider classifies its items by path; items not given are left alone", func(t *testing.T) {
		r, err := e.classify(as(gaj), personEntry,
			unconditional("display_name"),
			&exchangev1.CatalogueItem{Path: "phone", Title: "联系电话", SharingClass: exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL, Condition: "凭低保审核办件编号"},
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range r.GetItems() {
			switch it.GetPath() {
			case "display_name":
				if it.GetSharingClass() != exchangev1.SharingClass_SHARING_CLASS_UNCONDITIONAL || it.GetTitle() != "display_name" {
					t.Fatalf("display_name = %v (a missing title keeps the stored one)", it)
				}
			case "phone":
				if it.GetSharingClass() != exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL || it.GetTitle() != "联系电话" || it.GetLegalBasis() != "" {
					t.Fatalf("phone = %v", it)
				}
			case "id_number":
				if it.GetSharingClass() != exchangev1.SharingClass_SHARING_CLASS_NOT_SHARED || it.GetLegalBasis() != exchange.UncataloguedLegalBasis {
					t.Fatalf("untouched id_number = %v", it)
				}
			}
		}
	})
	t.Run("the provider updates the entry's own fields", func(t *testing.T) {
		r, err := e.c.UpdateCatalogueResource(as(gaj), &exchangev1.UpdateCatalogueResourceRequest{
			CatalogueResource: &exchangev1.CatalogueResource{Name: personEntry, Summary: "户籍人口基本信息", Format: "JSON",
				UpdateCycle: exchangev1.UpdateCycle_UPDATE_CYCLE_REAL_TIME, SharingMethod: exchangev1.SharingMethod_SHARING_METHOD_API},
			UpdateMask: mask("summary", "format", "updateCycle", "sharingMethod"),
		})
		if err != nil || r.GetSummary() != "户籍人口基本信息" || r.GetUpdateCycle() != exchangev1.UpdateCycle_UPDATE_CYCLE_REAL_TIME {
			t.Fatalf("update = %v, %v", r, err)
		}
	})

	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
	}{
		{"NOT_SHARED without a legal basis is refused naming the item's legal_basis", func() error {
			_, err := e.classify(as(gaj), personEntry, unconditional("sex"), notShared("phone", ""))
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"catalogue_resource.items[1].legal_basis"}},
		{"CONDITIONAL without a condition is refused naming the item's condition", func() error {
			_, err := e.classify(as(gaj), personEntry, conditional("phone", " "))
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"catalogue_resource.items[0].condition"}},
		{"an item without a class is refused by the request's rules", func() error {
			_, err := e.classify(as(gaj), personEntry, &exchangev1.CatalogueItem{Path: "phone"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"catalogue_resource.items[0].sharing_class"}},
		{"an unknown path is refused naming it", func() error {
			_, err := e.classify(as(gaj), personEntry, unconditional("sex"), unconditional("shoe_size"))
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"catalogue_resource.items[1].path"}},
		{"a department that does not provide the resource cannot change it", func() error {
			_, err := e.classify(as(mzj), personEntry, unconditional("phone"))
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"nobody but an admin changes an entry without a provider", func() error {
			_, err := e.classify(as(scjgj), entityEntry, unconditional("display_name"))
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"the provider cannot hand its resource to another department", func() error {
			_, err := e.c.UpdateCatalogueResource(as(gaj), &exchangev1.UpdateCatalogueResourceRequest{
				CatalogueResource: &exchangev1.CatalogueResource{Name: personEntry, ProviderDepartment: "departments/mzj"},
				UpdateMask:        mask("provider_department"),
			})
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"a provider that is not a department is refused naming the field", func() error {
			_, err := e.c.UpdateCatalogueResource(as(admin), &exchangev1.UpdateCatalogueResourceRequest{
				CatalogueResource: &exchangev1.CatalogueResource{Name: entityEntry, ProviderDepartment: "departments/nobody"},
				UpdateMask:        mask("provider_department"),
			})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"catalogue_resource.provider_department"}},
		{"the registry and resource type cannot be changed", func() error {
			_, err := e.c.UpdateCatalogueResource(as(admin), &exchangev1.UpdateCatalogueResourceRequest{
				CatalogueResource: &exchangev1.CatalogueResource{Name: personEntry, Registry: "economy"},
				UpdateMask:        mask("registry"),
			})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"update_mask"}},
		{"an unknown entry is NOT_FOUND", func() error {
			_, err := e.c.GetCatalogueResource(as(mzj), &exchangev1.GetCatalogueResourceRequest{Name: "catalogueResources/spatial.Nowhere"})
			return err
		}, codes.NotFound, "NOT_FOUND", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefusal(t, tt.call(), tt.code, tt.reason, tt.fields...) })
	}
	t.Run("a refused update changes nothing", func(t *testing.T) {
		r, err := e.c.GetCatalogueResource(as(mzj), &exchangev1.GetCatalogueResourceRequest{Name: personEntry})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range r.GetItems() {
			if it.GetPath() == "sex" && it.GetSharingClass() != exchangev1.SharingClass_SHARING_CLASS_NOT_SHARED {
				t.Fatalf("sex was classified by a refused update: %v", it)
			}
		}
	})
	t.Run("the refusal of an unknown path names the path in its reason", func(t *testing.T) {
		_, err := e.classify(as(gaj), personEntry, unconditional("shoe_size"))
		if !strings.Contains(status.Convert(err).Message(), "shoe_size is not a data item of population.Person") {
			t.Fatalf("message = %q", status.Convert(err).Message())
		}
	})
}

func TestExportCatalogue(t *testing.T) {
	e := newEnv(t)
	e.assignProvider(t, personEntry, "gaj")
	if _, err := e.classify(as(gaj), personEntry, conditional("phone", "=凭办件编号, 逐件审批")); err != nil {
		t.Fatal(err)
	}
	var items int
	for _, r := range resources() {
		items += len(r.Items())
	}

	t.Run("CSV has a byte order mark, a header and one row per item, and parses", func(t *testing.T) {
		body, err := e.c.ExportCatalogue(as(mzj), &exchangev1.ExportCatalogueRequest{Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		if body.GetContentType() != "text/csv; charset=utf-8" || !bytes.HasPrefix(body.GetData(), []byte("\uFEFF")) {
			t.Fatalf("content type %q, starts %q", body.GetContentType(), body.GetData()[:8])
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body.GetData(), []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatalf("the CSV does not parse: %v", err)
		}
		if !slices.Equal(rows[0], exchange.CatalogueCSVHeader) {
			t.Fatalf("header = %v", rows[0])
		}
		if len(rows)-1 != items {
			t.Fatalf("%d item rows, want %d (every item of every resource)", len(rows)-1, items)
		}
		col := func(name string) int { return slices.Index(rows[0], name) }
		seen := map[string]bool{}
		for _, row := range rows[1:] {
			seen[row[col("resource_code")]+" "+row[col("item_path")]] = true
			if row[col("resource_code")] == "population.Person" {
				if row[col("provider_department")] != "departments/gaj" || row[col("resource_title")] != "人口基本信息" {
					t.Fatalf("a person row lacks its resource's metadata: %v", row)
				}
				if row[col("item_path")] == "phone" && (row[col("sharing_class")] != "CONDITIONAL" || row[col("condition")] != "'=凭办件编号, 逐件审批") {
					t.Fatalf("phone row = %v (a formula-like condition must be defused)", row)
				}
			}
		}
		for _, r := range resources() {
			for _, it := range r.Items() {
				if !seen[exchange.CatalogueCode(r)+" "+it.Path] {
					t.Fatalf("no row for %s %s", exchange.CatalogueCode(r), it.Path)
				}
			}
		}
	})
	t.Run("JSON is the list of catalogue resources in the API's JSON", func(t *testing.T) {
		body, err := e.c.ExportCatalogue(as(mzj), &exchangev1.ExportCatalogueRequest{Format: "json"})
		if err != nil {
			t.Fatal(err)
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(body.GetData(), &raw); err != nil || body.GetContentType() != "application/json" {
			t.Fatalf("JSON export: %v (%s)", err, body.GetContentType())
		}
		if len(raw) != len(resources()) {
			t.Fatalf("%d entries, want %d", len(raw), len(resources()))
		}
		var first exchangev1.CatalogueResource
		if err := protojson.Unmarshal(raw[0], &first); err != nil || first.GetName() != entityEntry {
			t.Fatalf("first entry %s: %v", first.GetName(), err)
		}
	})
	t.Run("an unknown format is refused naming format", func(t *testing.T) {
		_, err := e.c.ExportCatalogue(as(mzj), &exchangev1.ExportCatalogueRequest{Format: "xlsx"})
		wantRefusal(t, err, codes.InvalidArgument, "INVALID_ARGUMENT", "format")
	})
	t.Run("over REST the CSV is served as text/csv", func(t *testing.T) {
		// The test identity travels as an HTTP header the mux forwards as
		// metadata, standing in for the gateway's authentication.
		forwardIdentity := func(key string) (string, bool) {
			if strings.EqualFold(key, identityKey) {
				return identityKey, true
			}
			return runtime.DefaultHeaderMatcher(key)
		}
		mux := runtime.NewServeMux(runtime.WithIncomingHeaderMatcher(forwardIdentity),
			runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{}}))
		if err := exchangev1.RegisterExchangeServiceHandler(ctx, mux, e.conn); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(mux)
		defer hs.Close()
		id, _ := json.Marshal(mzj)
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v1/catalogueResources:export?format=csv", nil)
		req.Header.Set(identityKey, base64.StdEncoding.EncodeToString(id)) // a -bin header is base64
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("GET export = %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
		if err != nil || len(rows)-1 != items {
			t.Fatalf("REST CSV: %d rows, %v", len(rows), err)
		}
	})
}
