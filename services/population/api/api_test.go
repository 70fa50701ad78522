package api_test

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
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

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/population"
	"github.com/zhbase/zhbase/services/population/api"
	"github.com/zhbase/zhbase/services/population/demo"
	"github.com/zhbase/zhbase/services/population/internal/fixture"
	"github.com/zhbase/zhbase/services/population/sqlstore"
)

// The service over bufconn with the production server (interceptors,
// protovalidate, error mapping) on a fresh SQLite file. The spatial
// registry is a fixture.Addresses set the test controls; the gRPC lookup
// production wires in is exercised by the in-process cluster test.

var ctx = context.Background()

// demoAddresses are the addresses the demo population lives at; the
// stand-in spatial registry holds them and testAddresses.
var demoAddresses = []demo.Address{
	{Name: "addresses/zbs-1", DivisionCode: "330211001000"},
	{Name: "addresses/jc-7", DivisionCode: "330211002000"},
	{Name: "addresses/lt-3", DivisionCode: "330211003000"},
}

type env struct {
	c         populationv1.PopulationServiceClient
	addresses *fixture.Addresses
	stop      func()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return serve(t, filepath.Join(t.TempDir(), "population.db"), nil)
}

// serve runs the registry on the SQLite file at path until stop is called
// (or the test ends). addresses is the stand-in spatial registry; a new one
// holding the demo and test addresses when nil.
func serve(t testing.TB, path string, addresses *fixture.Addresses) *env {
	t.Helper()
	if addresses == nil {
		addresses = fixture.NewAddresses(fixture.AllAddresses(10)...)
		for _, a := range demoAddresses {
			addresses.Add(a.Name)
		}
	}
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "population"})
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
	api.Register(srv, population.NewService(st, addresses.Checker()))
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
	return &env{c: populationv1.NewPopulationServiceClient(conn), addresses: addresses, stop: stop}
}

// fieldViolations returns the BadRequest field names of a status error.
func fieldViolations(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	slices.Sort(fields)
	return slices.Compact(fields)
}

// violation returns the reason given for field.
func violation(err error, field string) string {
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return v.GetDescription()
				}
			}
		}
	}
	return ""
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// seed creates the first n demo persons with their households and returns
// the households.
func seed(t testing.TB, c populationv1.PopulationServiceClient, n int) []demo.Household {
	t.Helper()
	var hs []demo.Household
	if err := demo.Generate(demo.DefaultSeed, demoAddresses, n, func(h demo.Household) error {
		hs = append(hs, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	created, err := demo.Seed(ctx, c, demo.DefaultSeed, demoAddresses, n)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if created != n {
		t.Fatalf("seed created %d persons, want %d", created, n)
	}
	return hs
}

func TestSeedingTheDemoPopulationTwiceCreatesItOnce(t *testing.T) {
	e := newEnv(t)
	hs := seed(t, e.c, 120)
	again, err := demo.Seed(ctx, e.c, demo.DefaultSeed, demoAddresses, 120)
	if err != nil || again != 0 {
		t.Fatalf("second seed created %d, %v; want 0", again, err)
	}
	list, err := e.c.ListHouseholds(ctx, &populationv1.ListHouseholdsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetHouseholds()) != len(hs) {
		t.Fatalf("%d households listed, %d generated", len(list.GetHouseholds()), len(hs))
	}
	for _, h := range list.GetHouseholds() {
		if h.GetHead() == "" {
			t.Fatalf("%s has no head", h.GetName())
		}
	}
}

// household creates a household over the API.
func household(t testing.TB, c populationv1.PopulationServiceClient, id string) *populationv1.Household {
	t.Helper()
	h, err := c.CreateHousehold(ctx, &populationv1.CreateHouseholdRequest{HouseholdId: id, Household: &populationv1.Household{
		HouseholdNumber: id, HouseholdType: populationv1.HouseholdType_HOUSEHOLD_TYPE_FAMILY, RegisteredAddress: fixture.Address(0),
	}})
	if err != nil {
		t.Fatalf("create household %s: %v", id, err)
	}
	return h
}

// personIn returns a valid person of the household, the i-th of the
// fixture family, as an API message.
func personIn(t testing.TB, i int, household string, r populationv1.Relation) *populationv1.Person {
	t.Helper()
	p := fixture.Person(t, i, "households/"+household, "")
	sex := populationv1.Sex_SEX_FEMALE
	if p.Sex == population.SexMale {
		sex = populationv1.Sex_SEX_MALE
	}
	return &populationv1.Person{
		IdNumber: p.IDNumber, DisplayName: p.Name, Sex: sex, BirthDate: p.BirthDate, Ethnicity: p.Ethnicity,
		Household: p.Household, Relation: r, RegisteredAddress: p.RegisteredAddress, ResidenceAddress: p.ResidenceAddress,
		Phone: p.Phone, Education: populationv1.Education_EDUCATION_HIGH_SCHOOL, MaritalStatus: populationv1.MaritalStatus_MARITAL_STATUS_MARRIED,
	}
}

func create(t testing.TB, c populationv1.PopulationServiceClient, p *populationv1.Person) *populationv1.Person {
	t.Helper()
	out, err := c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: p})
	if err != nil {
		t.Fatalf("create person: %v", err)
	}
	return out
}

func masked(id string) string { return id[:6] + "********" + id[14:] }

func TestCreateThenGetReturnsThePersonInFull(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	in := personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD)
	created := create(t, e.c, in)
	if created.GetName() != "persons/"+in.GetIdNumber() || created.GetEtag() != "1" || created.GetUid() == "" ||
		created.GetStatus() != populationv1.PersonStatus_PERSON_STATUS_ACTIVE || created.GetVersion().GetVersion() != 1 {
		t.Fatalf("created = %v", created)
	}
	got, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, created) {
		t.Fatalf("Get = %v\nwant %v", got, created)
	}
	if got.GetIdNumber() != in.GetIdNumber() || got.GetPhone() != in.GetPhone() {
		t.Fatal("Get must return the full ID number and phone")
	}
	h, err := e.c.GetHousehold(ctx, &populationv1.GetHouseholdRequest{Name: "households/h1"})
	if err != nil || h.GetHead() != created.GetName() {
		t.Fatalf("household head = %q, %v", h.GetHead(), err)
	}
}

func TestErrorsCarryTheRightCodeReasonAndField(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	good := create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	man := fixture.IDNumber(t, "1990-01-01", 11)
	with := func(mutate func(p *populationv1.Person)) *populationv1.Person {
		p := personIn(t, 5, "h1", populationv1.Relation_RELATION_SON)
		mutate(p)
		return p
	}
	createErr := func(p *populationv1.Person) func() error {
		return func() error {
			_, err := e.c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: p})
			return err
		}
	}
	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
		says   string // the reason given for fields[0], when set
	}{
		{"a wrong ID check digit is INVALID_ARGUMENT naming person.id_number",
			createErr(with(func(p *populationv1.Person) { p.IdNumber = fixture.WrongCheck(p.GetIdNumber()) })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.id_number"}, "check character"},
		{"a birth date that disagrees with the ID number names both dates",
			createErr(with(func(p *populationv1.Person) {
				p.IdNumber, p.Sex, p.BirthDate = man, populationv1.Sex_SEX_MALE, "1990-01-02"
			})),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.birth_date"}, "1990-01-02 disagrees with the ID number, which encodes 1990-01-01"},
		{"a sex that disagrees with the sequence digit's parity is refused",
			createErr(with(func(p *populationv1.Person) {
				p.IdNumber, p.Sex, p.BirthDate = man, populationv1.Sex_SEX_FEMALE, "1990-01-01"
			})),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.sex"}, "disagrees with the ID number"},
		{"a household that does not exist is refused",
			createErr(with(func(p *populationv1.Person) { p.Household = "households/nope" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.household"}, "households/nope does not exist"},
		{"an address that does not exist is refused",
			createErr(with(func(p *populationv1.Person) { p.ResidenceAddress = "addresses/404" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.residence_address"}, "addresses/404 does not exist"},
		{"all of them are reported at once",
			createErr(with(func(p *populationv1.Person) {
				p.IdNumber, p.Sex, p.BirthDate = man, populationv1.Sex_SEX_FEMALE, "1990-01-02"
				p.Household, p.ResidenceAddress = "households/nope", "addresses/404"
			})),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.birth_date", "person.household", "person.residence_address", "person.sex"}, ""},
		{"proto validation rules are enforced by the interceptor",
			createErr(with(func(p *populationv1.Person) { p.Ethnicity = "001" })),
			codes.InvalidArgument, "INVALID_ARGUMENT", []string{"person.ethnicity"}, ""},
		{"creating the same number twice is ALREADY_EXISTS",
			createErr(with(func(p *populationv1.Person) {
				p.IdNumber, p.Sex, p.BirthDate = good.GetIdNumber(), good.GetSex(), good.GetBirthDate()
			})),
			codes.AlreadyExists, "ALREADY_EXISTS", nil, ""},
		{"getting an unknown valid number is NOT_FOUND", func() error {
			_, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: "persons/" + man})
			return err
		}, codes.NotFound, "NOT_FOUND", nil, ""},
		{"getting a masked name is INVALID_ARGUMENT naming name", func() error {
			_, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: "persons/" + masked(good.GetIdNumber())})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}, "masked"},
		{"a name of another collection is INVALID_ARGUMENT", func() error {
			_, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: "households/h1"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"name"}, ""},
		{"an unknown read_mask path is INVALID_ARGUMENT", func() error {
			_, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: good.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"age"}}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"read_mask"}, ""},
		{"a stale etag is ABORTED", func() error {
			_, err := e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
				Person:     &populationv1.Person{Name: good.GetName(), Phone: "13900000000", Etag: "7"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}},
			})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", nil, ""},
		{"retiring a household with members is FAILED_PRECONDITION", func() error {
			_, err := e.c.DeleteHousehold(ctx, &populationv1.DeleteHouseholdRequest{Name: "households/h1"})
			return err
		}, codes.FailedPrecondition, "FAILED_PRECONDITION", nil, ""},
		{"a bad filter is INVALID_ARGUMENT naming filter", func() error {
			_, err := e.c.ListPersons(ctx, &populationv1.ListPersonsRequest{Filter: "status = ALIVE"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"filter"}, ""},
		{"a page size above the maximum is INVALID_ARGUMENT", func() error {
			_, err := e.c.ListPersons(ctx, &populationv1.ListPersonsRequest{PageSize: 5000})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_size"}, ""},
		{"a search with neither query, address nor household is INVALID_ARGUMENT", func() error {
			_, err := e.c.SearchPersons(ctx, &populationv1.SearchPersonsRequest{BirthDate: "1990-01-01"})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"query"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code || reason(err) != tt.reason {
				t.Fatalf("error = %v (reason %q), want %v / %s", err, reason(err), tt.code, tt.reason)
			}
			if got := fieldViolations(err); tt.fields != nil && !slices.Equal(got, tt.fields) {
				t.Fatalf("field violations %v, want %v", got, tt.fields)
			}
			if tt.says != "" && !strings.Contains(violation(err, tt.fields[0]), tt.says) {
				t.Fatalf("reason for %s = %q, want it to say %q", tt.fields[0], violation(err, tt.fields[0]), tt.says)
			}
		})
	}
	t.Run("an unreachable spatial registry is UNAVAILABLE, and stores nothing", func(t *testing.T) {
		e.addresses.SetDown(true)
		defer e.addresses.SetDown(false)
		p := personIn(t, 7, "h1", populationv1.Relation_RELATION_SON)
		_, err := e.c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: p})
		if status.Code(err) != codes.Unavailable || reason(err) != "UNAVAILABLE" {
			t.Fatalf("err = %v", err)
		}
		if _, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: "persons/" + p.GetIdNumber()}); status.Code(err) != codes.NotFound {
			t.Fatalf("stored anyway: %v", err)
		}
	})
}

func TestUpdateChangesOnlyMaskedFields(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	created := create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	upd, err := e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
		Person:     &populationv1.Person{Name: created.GetName(), Phone: "0574-86123456", DisplayName: "ignored", Etag: created.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetPhone() != "0574-86123456" || upd.GetDisplayName() != created.GetDisplayName() || upd.GetEtag() != "2" {
		t.Fatalf("update = %v", upd)
	}
	dead, err := e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
		Person:     &populationv1.Person{Name: created.GetName(), Status: populationv1.PersonStatus_PERSON_STATUS_DECEASED, StatusDate: "2025-01-02"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status", "statusDate"}},
	})
	if err != nil || dead.GetStatus() != populationv1.PersonStatus_PERSON_STATUS_DECEASED {
		t.Fatalf("death = %v, %v", dead, err)
	}
	_, err = e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
		Person: &populationv1.Person{Name: created.GetName(), Phone: "13900000000"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}},
	})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("an update of a deceased person = %v, want FAILED_PRECONDITION", err)
	}
	fixed, err := e.c.UpdatePerson(ctx, &populationv1.UpdatePersonRequest{
		Person: &populationv1.Person{Name: created.GetName(), StatusDate: "2025-01-01"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status_date"}},
		Correction: true,
	})
	if err != nil || fixed.GetStatusDate() != "2025-01-01" || fixed.GetVersion().GetAction() != typev1.ChangeAction_CHANGE_ACTION_CORRECTED {
		t.Fatalf("correction = %v, %v", fixed, err)
	}
}

func TestBulkReadsMaskTheIDNumberPhoneAndName(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	in := personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD)
	in.Phone = "13812345678"
	created := create(t, e.c, in)
	check := func(t *testing.T, what string, p *populationv1.Person) {
		t.Helper()
		id := in.GetIdNumber()
		if p.GetIdNumber() != masked(id) || p.GetName() != "persons/"+masked(id) || p.GetPhone() != "138****5678" {
			t.Fatalf("%s: %s %s %s", what, p.GetName(), p.GetIdNumber(), p.GetPhone())
		}
		if p.GetUid() != created.GetUid() {
			t.Fatalf("%s: uid %q, want %q", what, p.GetUid(), created.GetUid())
		}
	}
	list, err := e.c.ListPersons(ctx, &populationv1.ListPersonsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "List", list.GetPersons()[0])
	res, err := e.c.SearchPersons(ctx, &populationv1.SearchPersonsRequest{Query: in.GetDisplayName()})
	if err != nil || len(res.GetResults()) != 1 || res.GetResults()[0].GetScore() != 1 {
		t.Fatalf("search = %v, %v", res, err)
	}
	check(t, "Search", res.GetResults()[0].GetPerson())
	ms, err := e.c.ListHouseholdMembers(ctx, &populationv1.ListHouseholdMembersRequest{Parent: "households/h1"})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "ListHouseholdMembers", ms.GetMembers()[0])
	hs, err := e.c.ListHouseholds(ctx, &populationv1.ListHouseholdsRequest{})
	if err != nil || hs.GetHouseholds()[0].GetHead() != "persons/"+masked(in.GetIdNumber()) {
		t.Fatalf("ListHouseholds head = %v, %v", hs.GetHouseholds(), err)
	}
	t.Run("a read mask keeps the name and uid, so that a masked row stays identifiable", func(t *testing.T) {
		l, err := e.c.ListPersons(ctx, &populationv1.ListPersonsRequest{ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"birthDate"}}})
		if err != nil {
			t.Fatal(err)
		}
		want := &populationv1.Person{Name: "persons/" + masked(in.GetIdNumber()), BirthDate: in.GetBirthDate(), Uid: created.GetUid()}
		if !proto.Equal(l.GetPersons()[0], want) {
			t.Fatalf("masked row %v, want %v", l.GetPersons()[0], want)
		}
	})
}

func TestReadMaskReturnsOnlyTheNamedFields(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	created := create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	got, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: created.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "household"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := &populationv1.Person{Name: created.GetName(), DisplayName: created.GetDisplayName(), Household: "households/h1"}
	if !proto.Equal(got, want) {
		t.Fatalf("masked Get = %v, want %v", got, want)
	}
}

func TestFifteenDigitNumbersOverGRPC(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	full := fixture.IDNumber(t, "1966-06-06", 33)
	old := fixture.Legacy(t, full)
	in := personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD)
	in.IdNumber, in.Sex, in.BirthDate = old, populationv1.Sex_SEX_UNSPECIFIED, ""
	created := create(t, e.c, in)
	if created.GetName() != "persons/"+full || created.GetSex() != populationv1.Sex_SEX_MALE || created.GetBirthDate() != "1966-06-06" {
		t.Fatalf("created %s %v %s", created.GetName(), created.GetSex(), created.GetBirthDate())
	}
	got, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: "persons/" + old})
	if err != nil || got.GetName() != "persons/"+full || got.GetRedirectedFrom() != "persons/"+old {
		t.Fatalf("Get by the 15-digit name = %v, %v", got, err)
	}
	legacyFull := fixture.IDNumber(t, "1970-10-10", 44)
	legacy := personIn(t, 4, "h1", populationv1.Relation_RELATION_SPOUSE)
	legacy.IdNumber, legacy.Sex, legacy.BirthDate = fixture.Legacy(t, legacyFull), populationv1.Sex_SEX_UNSPECIFIED, ""
	kept, err := e.c.CreatePerson(ctx, &populationv1.CreatePersonRequest{Person: legacy, LegacyIdNumber: true})
	if err != nil || kept.GetIdNumber() != legacy.GetIdNumber() {
		t.Fatalf("legacy create = %v, %v", kept, err)
	}
	up, err := e.c.RenamePerson(ctx, &populationv1.RenamePersonRequest{Name: kept.GetName(), Etag: kept.GetEtag()})
	if err != nil || up.GetName() != "persons/"+legacyFull || up.GetUid() != kept.GetUid() {
		t.Fatalf("upgrade = %v, %v", up, err)
	}
	again, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: kept.GetName()})
	if err != nil || again.GetName() != up.GetName() || again.GetRedirectedFrom() != kept.GetName() {
		t.Fatalf("Get by the old name = %v, %v", again, err)
	}
}

func TestMergeOverGRPC(t *testing.T) {
	e := newEnv(t)
	household(t, e.c, "h1")
	household(t, e.c, "h2")
	head := create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	other := create(t, e.c, personIn(t, 5, "h2", populationv1.Relation_RELATION_HEAD))
	child := create(t, e.c, personIn(t, 6, "h2", populationv1.Relation_RELATION_DAUGHTER))
	merged, err := e.c.MergeHouseholds(ctx, &populationv1.MergeHouseholdsRequest{
		Name: "households/h1", MergedHousehold: "households/h2",
		Relations: map[string]populationv1.Relation{other.GetName(): populationv1.Relation_RELATION_SIBLING},
	})
	if err != nil || merged.GetName() != "households/h1" || merged.GetHead() != head.GetName() {
		t.Fatalf("merge = %v, %v", merged, err)
	}
	got, err := e.c.GetHousehold(ctx, &populationv1.GetHouseholdRequest{Name: "households/h2"})
	if err != nil || got.GetName() != "households/h1" || got.GetRedirectedFrom() != "households/h2" {
		t.Fatalf("Get(h2) = %v, %v", got, err)
	}
	for _, p := range []*populationv1.Person{other, child} {
		moved, err := e.c.GetPerson(ctx, &populationv1.GetPersonRequest{Name: p.GetName()})
		if err != nil || moved.GetHousehold() != "households/h1" {
			t.Fatalf("%s after the merge = %v, %v", p.GetDisplayName(), moved, err)
		}
	}
	vs, err := e.c.ListHouseholdVersions(ctx, &populationv1.ListHouseholdVersionsRequest{Name: "households/h2"})
	if err != nil {
		t.Fatal(err)
	}
	last := vs.GetVersions()[len(vs.GetVersions())-1]
	if !last.GetRetired() || last.GetMergedInto() != "households/h1" {
		t.Fatalf("last version of h2 = %v", last)
	}
	list, err := e.c.ListHouseholds(ctx, &populationv1.ListHouseholdsRequest{})
	if err != nil || len(list.GetHouseholds()) != 1 {
		t.Fatalf("households listed: %v, %v", list.GetHouseholds(), err)
	}
}

func TestSearchOverGRPC(t *testing.T) {
	e := newEnv(t)
	hs := seed(t, e.c, 200)
	target := hs[3].Members[0]
	t.Run("by name and birth date", func(t *testing.T) {
		res, err := e.c.SearchPersons(ctx, &populationv1.SearchPersonsRequest{Query: target.GetDisplayName(), BirthDate: target.GetBirthDate()})
		if err != nil || len(res.GetResults()) != 1 || res.GetResults()[0].GetPerson().GetIdNumber() != masked(target.GetIdNumber()) {
			t.Fatalf("search = %v, %v", res.GetResults(), err)
		}
	})
	t.Run("by address: every person registered or living there", func(t *testing.T) {
		addr := demoAddresses[1].Name
		want := 0
		for _, h := range hs {
			for _, p := range h.Members {
				if p.GetRegisteredAddress() == addr || p.GetResidenceAddress() == addr {
					want++
				}
			}
		}
		got := 0
		req := &populationv1.SearchPersonsRequest{Address: addr, PageSize: 50}
		for {
			res, err := e.c.SearchPersons(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got += len(res.GetResults())
			if res.GetNextPageToken() == "" {
				break
			}
			req.PageToken = res.GetNextPageToken()
		}
		if got != want || want == 0 {
			t.Fatalf("found %d at %s, the demo has %d", got, addr, want)
		}
	})
	t.Run("by household", func(t *testing.T) {
		res, err := e.c.SearchPersons(ctx, &populationv1.SearchPersonsRequest{Household: hs[3].Household.GetName()})
		if err != nil || len(res.GetResults()) != len(hs[3].Members) {
			t.Fatalf("search = %d results, %v; the household has %d", len(res.GetResults()), err, len(hs[3].Members))
		}
	})
}

func TestFeedSequencesContinueAfterARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "population.db")
	e := serve(t, path, nil)
	household(t, e.c, "h1")
	create(t, e.c, personIn(t, 3, "h1", populationv1.Relation_RELATION_HEAD))
	e.stop()
	e = serve(t, path, e.addresses)
	create(t, e.c, personIn(t, 4, "h1", populationv1.Relation_RELATION_SPOUSE))
	resp, err := e.c.ListPopulationChanges(ctx, &populationv1.ListPopulationChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetHeadSequence() != 3 || len(resp.GetChanges()) != 3 {
		t.Fatalf("after a restart: head %d with %d changes, want 3 and 3", resp.GetHeadSequence(), len(resp.GetChanges()))
	}
	for i, ch := range resp.GetChanges() {
		if ch.GetSequence() != int64(i+1) {
			t.Fatalf("change %d has sequence %d", i, ch.GetSequence())
		}
	}
}
