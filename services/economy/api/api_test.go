package api_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/services/economy"
	"github.com/zhbase/zhbase/services/economy/api"
	"github.com/zhbase/zhbase/services/economy/reportgen"
	"github.com/zhbase/zhbase/services/economy/sqlstore"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/refs"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/tools/demo"
)

// legalEntities stands in for the legal-entity registry: the Service gets a
// refs.Registry whose lookup reads this set, which each test controls. The
// cross-registry lookup itself (a gRPC Get through etcd) is exercised by
// the in-process cluster test.
type legalEntities struct {
	mu    sync.Mutex
	names map[string]bool
	down  bool
}

func (l *legalEntities) add(usccs ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range usccs {
		l.names[economy.LegalEntityName(u)] = true
	}
}

func (l *legalEntities) lookup(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.down:
		return errors.New("connection refused")
	case l.names[name]:
		return nil
	}
	return errs.NotFound(name)
}

type harness struct {
	c        economyv1.EconomyServiceClient
	conn     *grpc.ClientConn
	entities *legalEntities
	stop     func()
}

// newHarness serves the registry over bufconn with the production server
// (interceptors, validation, error mapping) on a fresh SQLite file.
func newHarness(t testing.TB) *harness {
	t.Helper()
	return serve(t, filepath.Join(t.TempDir(), "economy.db"), &legalEntities{names: map[string]bool{}})
}

// serve runs the registry on the SQLite file at path until stop is called
// (or the test ends).
func serve(t testing.TB, path string, entities *legalEntities) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "economy"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv, economy.NewService(st, refs.Registry{"legalEntities": entities.lookup}))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Shutdown(context.Background())
			db.Close()
		})
	}
	t.Cleanup(stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: api.ServiceName}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health of %s = %v, %v", api.ServiceName, resp.GetStatus(), err)
	}
	return &harness{c: economyv1.NewEconomyServiceClient(conn), conn: conn, entities: entities, stop: stop}
}

// samples are generated reports of the demo district's first enterprises,
// taken as established before 2022: per enterprise 52 (2022–2025, each
// year then its months).
func samples(t testing.TB, enterprises int) []*economyv1.CreateReportRequest {
	t.Helper()
	es := reportgen.FromLegalEntities(demo.LegalEntities(demo.DefaultSeed, enterprises))
	for i := range es {
		es[i].EstablishedOn = ""
	}
	reqs, err := reportgen.Reports(demo.DefaultSeed, es, reportgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// registered creates the request's enterprise in the stand-in registry.
func (h *harness) registered(reqs ...*economyv1.CreateReportRequest) {
	for _, r := range reqs {
		h.entities.add(r.GetParent()[len("enterprises/"):])
	}
}

func (h *harness) create(t testing.TB, req *economyv1.CreateReportRequest) *economyv1.Report {
	t.Helper()
	h.registered(req)
	r, err := h.c.CreateReport(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateReport(%s/reports/%s): %v", req.GetParent(), req.GetPeriod(), err)
	}
	return r
}

func usccOf(t testing.TB, orgCode string) string {
	t.Helper()
	u, err := standard.MakeUSCC('9', '1', "330211", orgCode)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func fieldViolations(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func TestCreateThenGetReturnsTheReportInFull(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	req := samples(t, 1)[0] // the annual report of 2022
	created := h.create(t, req)
	uscc := req.GetParent()[len("enterprises/"):]
	if created.GetName() != req.GetParent()+"/reports/2022" || created.GetUscc() != uscc || created.GetLegalEntity() != "legalEntities/"+uscc ||
		created.GetPeriod() != "2022" || created.GetPeriodType() != economyv1.PeriodType_PERIOD_TYPE_ANNUAL || created.GetEtag() != "1" ||
		created.GetCreateTime() == nil || created.GetVersion().GetAction() != typev1.ChangeAction_CHANGE_ACTION_CREATED {
		t.Fatalf("created = %v", created)
	}
	want := proto.Clone(req.GetReport()).(*economyv1.Report)
	got := proto.Clone(created).(*economyv1.Report)
	got.Name, got.Uscc, got.LegalEntity, got.Period, got.PeriodType, got.CreateTime, got.UpdateTime, got.Etag, got.Version = "", "", "", "", 0, nil, nil, "", nil
	if !proto.Equal(got, want) {
		t.Fatalf("figures = %v\nwant %v", got, want)
	}
	read, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: created.GetName()})
	if err != nil || !proto.Equal(read, created) {
		t.Fatalf("Get = %v, %v\nwant %v", read, err, created)
	}
}

func TestEveryGeneratedReportIsAccepted(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	reqs, err := reportgen.Reports(demo.DefaultSeed, reportgen.FromLegalEntities(demo.LegalEntities(demo.DefaultSeed, 6)), reportgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.registered(reqs...)
	created, err := reportgen.Seed(ctx, h.c, reqs)
	if err != nil || created != len(reqs) {
		t.Fatalf("Seed created %d of %d: %v", created, len(reqs), err)
	}
	again, err := reportgen.Seed(ctx, h.c, reqs)
	if err != nil || again != 0 {
		t.Fatalf("seeding twice created %d more: %v", again, err)
	}
}

func TestErrorsCarryTheRightCodeReasonAndField(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	good := samples(t, 2)
	first := h.create(t, good[0])
	unknown := good[52] // the second enterprise, not registered
	with := func(mutate func(*economyv1.CreateReportRequest)) *economyv1.CreateReportRequest {
		r := proto.Clone(good[1]).(*economyv1.CreateReportRequest)
		mutate(r)
		return r
	}
	create := func(req *economyv1.CreateReportRequest) func() error {
		return func() error { _, err := h.c.CreateReport(ctx, req); return err }
	}
	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
	}{
		{"month 13 is INVALID_ARGUMENT naming period", create(with(func(r *economyv1.CreateReportRequest) { r.Period = "2024-13" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"period"}},
		{"a negative revenue is INVALID_ARGUMENT naming report.revenue", create(with(func(r *economyv1.CreateReportRequest) { r.Report.Revenue = "-1" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"report.revenue"}},
		{"proto validation rules are enforced by the interceptor", create(with(func(r *economyv1.CreateReportRequest) { r.Report.IndustryCode = "C261499" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"report.industry_code"}},
		{"negative employees are refused by the interceptor", create(with(func(r *economyv1.CreateReportRequest) { r.Report.Employees = -1 })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"report.employees"}},
		{"a missing report is refused by the interceptor", create(with(func(r *economyv1.CreateReportRequest) { r.Report = nil })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"report"}},
		{"an enterprise the legal-entity registry does not hold is INVALID_ARGUMENT naming parent", create(unknown),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"parent"}},
		{"creating under enterprises/- is INVALID_ARGUMENT naming parent", create(with(func(r *economyv1.CreateReportRequest) { r.Parent = "enterprises/-" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"parent"}},
		{"a parent of another collection is INVALID_ARGUMENT naming parent", create(with(func(r *economyv1.CreateReportRequest) { r.Parent = "persons/1" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"parent"}},
		{"creating the same period twice is ALREADY_EXISTS", create(good[0]), codes.AlreadyExists, "ALREADY_EXISTS", nil},
		{"getting a period not filed is NOT_FOUND", func() error {
			_, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: good[0].GetParent() + "/reports/2019"})
			return err
		}, codes.NotFound, "NOT_FOUND", nil},
		{"getting month 13 is INVALID_ARGUMENT naming name", func() error {
			_, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: good[0].GetParent() + "/reports/2024-13"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}},
		{"a malformed resource name is INVALID_ARGUMENT naming name", func() error {
			_, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: "enterprises/x/reports"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}},
		{"an unknown read_mask path is INVALID_ARGUMENT", func() error {
			_, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: first.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"turnover"}}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"read_mask"}},
		{"a stale etag is ABORTED", func() error {
			_, err := h.c.UpdateReport(ctx, &economyv1.UpdateReportRequest{
				Report:     &economyv1.Report{Name: first.GetName(), Revenue: "1", Etag: "7"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"revenue"}},
			})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", nil},
		{"an update of the period is INVALID_ARGUMENT naming update_mask", func() error {
			_, err := h.c.UpdateReport(ctx, &economyv1.UpdateReportRequest{
				Report:     &economyv1.Report{Name: first.GetName(), Period: "2023"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"period"}},
			})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"update_mask"}},
		{"a bad filter is INVALID_ARGUMENT naming filter", func() error {
			_, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-", Filter: "period_type = WEEKLY"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"filter"}},
		{"a page size above the maximum is INVALID_ARGUMENT", func() error {
			_, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-", PageSize: 5000})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_size"}},
		{"listing without a parent is INVALID_ARGUMENT", func() error {
			_, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"parent"}},
		{"aggregating without a grouping is INVALID_ARGUMENT naming group_by", func() error {
			_, err := h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{Parent: "enterprises/-", StartPeriod: "2024"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"group_by"}},
		{"an undefined grouping is refused by the interceptor", func() error {
			_, err := h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{Parent: "enterprises/-", StartPeriod: "2024", GroupBy: 42})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"group_by"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code || reason(err) != tt.reason {
				t.Fatalf("error = %v (reason %q), want %v / %s", err, reason(err), tt.code, tt.reason)
			}
			got := fieldViolations(err)
			for _, f := range tt.fields {
				found := false
				for _, g := range got {
					found = found || g == f
				}
				if !found {
					t.Fatalf("field violations %v do not name %q", got, f)
				}
			}
		})
	}

	t.Run("an unreachable legal-entity registry is UNAVAILABLE and stores nothing", func(t *testing.T) {
		h.entities.mu.Lock()
		h.entities.down = true
		h.entities.mu.Unlock()
		defer func() {
			h.entities.mu.Lock()
			h.entities.down = false
			h.entities.mu.Unlock()
		}()
		_, err := h.c.CreateReport(ctx, good[2])
		if status.Code(err) != codes.Unavailable || reason(err) != "UNAVAILABLE" {
			t.Fatalf("error = %v, want UNAVAILABLE", err)
		}
		_, err = h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: good[2].GetParent() + "/reports/" + good[2].GetPeriod()})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("after the failure Get = %v, want NOT_FOUND", err)
		}
	})
}

func TestUpdateChangesOnlyMaskedFields(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	created := h.create(t, samples(t, 1)[0])
	upd, err := h.c.UpdateReport(ctx, &economyv1.UpdateReportRequest{
		Report:     &economyv1.Report{Name: created.GetName(), TaxesPaid: "12.5", Revenue: "1", Etag: created.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"taxesPaid"}}, // a REST client's JSON name
		Correction: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetTaxesPaid() != "12.50" || upd.GetRevenue() != created.GetRevenue() || upd.GetEtag() != "2" ||
		upd.GetVersion().GetAction() != typev1.ChangeAction_CHANGE_ACTION_CORRECTED {
		t.Fatalf("update = %v", upd)
	}
}

func TestReadMaskReturnsOnlyTheNamedFields(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	created := h.create(t, samples(t, 1)[0])
	mask := &fieldmaskpb.FieldMask{Paths: []string{"revenue", "profit"}}
	got, err := h.c.GetReport(ctx, &economyv1.GetReportRequest{Name: created.GetName(), ReadMask: mask})
	if err != nil {
		t.Fatal(err)
	}
	want := &economyv1.Report{Name: created.GetName(), Revenue: created.GetRevenue(), Profit: created.GetProfit()}
	if !proto.Equal(got, want) {
		t.Fatalf("masked Get = %v, want %v", got, want)
	}
	list, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: "enterprises/-", ReadMask: mask})
	if err != nil || len(list.GetReports()) != 1 || !proto.Equal(list.GetReports()[0], want) {
		t.Fatalf("masked List = %v, %v", list.GetReports(), err)
	}
}

func TestListByParentAcrossEnterprisesAndFiltered(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	reqs := samples(t, 3)
	for _, r := range reqs {
		if r.GetPeriod() >= "2024" { // 2024 and 2025, annual and monthly
			h.create(t, r)
		}
	}
	count := func(parent, filter string) int {
		t.Helper()
		n, token := 0, ""
		for {
			resp, err := h.c.ListReports(ctx, &economyv1.ListReportsRequest{Parent: parent, Filter: filter, PageSize: 10, PageToken: token})
			if err != nil {
				t.Fatalf("ListReports(%s, %q): %v", parent, filter, err)
			}
			n += len(resp.GetReports())
			if token = resp.GetNextPageToken(); token == "" {
				return n
			}
		}
	}
	if n := count("enterprises/-", ""); n != 3*26 {
		t.Fatalf("every enterprise: %d reports, want 78", n)
	}
	if n := count(reqs[0].GetParent(), ""); n != 26 {
		t.Fatalf("one enterprise: %d reports, want 26", n)
	}
	if n := count("enterprises/-", "period_type = ANNUAL"); n != 6 {
		t.Fatalf("annual reports: %d, want 6", n)
	}
	if n := count(reqs[0].GetParent(), `period >= "2025-01" AND period <= "2025-12"`); n != 12 {
		t.Fatalf("months of 2025: %d, want 12", n)
	}
}

func TestAggregateOverGRPC(t *testing.T) {
	h, ctx := newHarness(t), context.Background()
	mk := func(org, period, industry, revenue, profit string, above bool) *economyv1.CreateReportRequest {
		return &economyv1.CreateReportRequest{Parent: "enterprises/" + usccOf(t, org), Period: period, Report: &economyv1.Report{
			IndustryCode: industry, Revenue: revenue, Profit: profit, Employees: 10, AboveDesignatedSize: above}}
	}
	for _, r := range []*economyv1.CreateReportRequest{
		mk("MA5000001", "2023", "C2614", "100.00", "10.00", true),
		mk("MA5000001", "2024", "C2614", "150.00", "-5.00", true),
		mk("MA5000002", "2024", "G5532", "40.00", "4.00", false),
	} {
		h.create(t, r)
	}
	resp, err := h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{
		Parent: "enterprises/-", GroupBy: economyv1.GroupBy_GROUP_BY_INDUSTRY, StartPeriod: "2024",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetBaseStartPeriod() != "2023" || resp.GetBaseEndPeriod() != "2023" || len(resp.GetGroups()) != 2 {
		t.Fatalf("response %v", resp)
	}
	c := resp.GetGroups()[0]
	if c.GetKey() != "C" || c.GetDisplayName() != "制造业" || c.GetTotals().GetRevenue() != "150.00" || c.GetPreviousYear().GetRevenue() != "100.00" ||
		c.GetYearOverYear().GetRevenue().GetAbsolute() != "50.00" || c.GetYearOverYear().GetRevenue().GetPercent() != "50.00" ||
		c.GetYearOverYear().GetProfit().GetPercent() != "-150.00" {
		t.Fatalf("group C = %v", c)
	}
	// Output value was never reported: its change is null, not zero.
	if ov := c.GetYearOverYear().GetOutputValue(); ov.Absolute != nil || ov.Percent != nil || c.GetTotals().GetOutputValue() != "" {
		t.Fatalf("output value change = %v, totals %q; want unset", ov, c.GetTotals().GetOutputValue())
	}
	g := resp.GetGroups()[1]
	if g.GetKey() != "G" || g.GetPreviousYear() != nil || g.GetYearOverYear() != nil {
		t.Fatalf("group G has no base: %v", g)
	}
	if tot := resp.GetTotal(); tot.GetTotals().GetRevenue() != "190.00" || tot.GetTotals().GetEnterpriseCount() != 2 || tot.GetYearOverYear().GetRevenue().GetPercent() != "90.00" {
		t.Fatalf("total %v", tot)
	}
	div, err := h.c.AggregateReports(ctx, &economyv1.AggregateReportsRequest{
		Parent: "enterprises/" + usccOf(t, "MA5000001"), GroupBy: economyv1.GroupBy_GROUP_BY_INDUSTRY,
		IndustryLevel: economyv1.IndustryLevel_INDUSTRY_LEVEL_DIVISION, StartPeriod: "2023", EndPeriod: "2024", Filter: "above_designated_size = true",
	})
	if err != nil || len(div.GetGroups()) != 1 || div.GetGroups()[0].GetKey() != "C26" || div.GetTotal().GetTotals().GetRevenue() != "250.00" {
		t.Fatalf("one enterprise by division: %v, %v", div, err)
	}
}

func TestFeedSequencesContinueAfterARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "economy.db")
	entities := &legalEntities{names: map[string]bool{}}
	h := serve(t, path, entities)
	reqs := samples(t, 1)
	for _, r := range reqs[:3] {
		h.create(t, r)
	}
	h.stop()
	h = serve(t, path, entities)
	h.create(t, reqs[3])
	resp, err := h.c.ListReportChanges(ctx, &economyv1.ListReportChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetHeadSequence() != 4 || len(resp.GetChanges()) != 4 {
		t.Fatalf("after a restart: head %d with %d changes, want 4 and 4", resp.GetHeadSequence(), len(resp.GetChanges()))
	}
	for i, ch := range resp.GetChanges() {
		if ch.GetSequence() != int64(i+1) {
			t.Fatalf("change %d has sequence %d: a gap or a reuse", i, ch.GetSequence())
		}
	}
}
