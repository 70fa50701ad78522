package authz_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
)

const (
	personType = protoreflect.FullName("zhbase.population.v1.Person")
	entityType = protoreflect.FullName("zhbase.legalentity.v1.LegalEntity")
)

var (
	t0        = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	zhaobao   = "330211001000" // 招宝山街道
	jiaochuan = "330211002000" // 蛟川街道
)

// testPolicy: public security (gaj) provides persons, market regulation
// (scjgj) legal entities; civil affairs (mzj) holds a grant for two
// conditional person items; the 招宝山 subdistrict office (zbs) holds one
// limited to its own division.
func testPolicy() *authz.Policy {
	p := &authz.Policy{
		Revision: 1,
		Departments: map[string]authz.Department{
			"gaj": {Code: "gaj", Active: true}, "scjgj": {Code: "scjgj", Active: true},
			"mzj": {Code: "mzj", Active: true}, "zbs": {Code: "zbs", Active: true},
			"tjj": {Code: "tjj", Active: true}, "old": {Code: "old", Active: false},
		},
		Resources: map[protoreflect.FullName]authz.ResourcePolicy{},
		Grants:    map[string][]authz.Grant{},
	}
	person := authz.ResourcePolicy{Registry: "population", Type: personType, Provider: "gaj", Items: map[string]authz.ItemPolicy{}}
	for _, it := range populationResources()[0].Items() {
		person.Items[it.Path] = authz.ItemPolicy{Class: authz.Conditional, Personal: it.Personal, Owner: "gaj"}
	}
	person.Items["phone"] = authz.ItemPolicy{Class: authz.NotShared, Personal: true, Owner: "gaj"}
	person.Items["status"] = authz.ItemPolicy{Class: authz.Unconditional, Owner: "gaj"}
	p.Resources[personType] = person
	entity := authz.ResourcePolicy{Registry: "legalentity", Type: entityType, Provider: "scjgj", Items: map[string]authz.ItemPolicy{}}
	for _, it := range legalEntityResources()[0].Items() {
		entity.Items[it.Path] = authz.ItemPolicy{Class: authz.Unconditional, Personal: it.Personal, Owner: "scjgj"}
	}
	entity.Items["legal_representative.id_number"] = authz.ItemPolicy{Class: authz.Conditional, Personal: true, Owner: "scjgj"}
	entity.Items["registered_capital"] = authz.ItemPolicy{Class: authz.NotShared, Owner: "scjgj"}
	p.Resources[entityType] = entity
	p.Grants["mzj"] = []authz.Grant{{Name: "grants/1", Department: "mzj", Type: personType, Items: []string{"display_name", "former_names", "birth_date"}, Start: t0, Expire: t0.AddDate(1, 0, 0)}}
	p.Grants["zbs"] = []authz.Grant{{Name: "grants/2", Department: "zbs", Type: personType, Items: []string{"display_name", "residence_address"}, Divisions: []string{zhaobao}, Start: t0, Expire: t0.AddDate(1, 0, 0)}}
	return p
}

func TestAccessOf(t *testing.T) {
	p := testPolicy()
	during := t0.Add(24 * time.Hour)
	tests := []struct {
		rule       string
		department string
		at         time.Time
		item       string
		division   string
		visible    bool
	}{
		{"unconditional items are visible to every member", "tjj", during, "status", "", true},
		{"conditional items are hidden without a grant", "tjj", during, "display_name", "", false},
		{"a live grant opens its conditional items", "mzj", during, "display_name", "", true},
		{"a grant opens only the items it names", "mzj", during, "id_number", "", false},
		{"a grant is not live before its start", "mzj", t0.Add(-time.Second), "display_name", "", false},
		{"a grant is not live from its expiry on", "mzj", t0.AddDate(1, 0, 0), "display_name", "", false},
		{"not-shared items are visible to their owner", "gaj", during, "phone", "", true},
		{"not-shared items are hidden from everybody else", "mzj", during, "phone", "", false},
		{"a scoped grant opens items of objects in its division", "zbs", during, "display_name", zhaobao, true},
		{"a scoped grant covers the division's communities", "zbs", during, "display_name", "330211001001", true},
		{"a scoped grant does not open other divisions' objects", "zbs", during, "display_name", jiaochuan, false},
		{"a scoped grant does not open objects of unknown division", "zbs", during, "display_name", "", false},
		{"an inactive department sees nothing", "old", during, "status", "", false},
		{"an unknown department sees nothing", "nobody", during, "status", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			a := p.AccessOf(tt.department, personType, tt.at)
			if got := a.VisibleIn(tt.item, tt.division); got != tt.visible {
				t.Fatalf("%s sees %s (division %q) at %s: %v, want %v", tt.department, tt.item, tt.division, tt.at, got, tt.visible)
			}
		})
	}
	t.Run("only the owner owns items", func(t *testing.T) {
		if a := p.AccessOf("gaj", personType, during); !a.Owned["display_name"] {
			t.Fatal("the provider does not own its item")
		}
		if a := p.AccessOf("mzj", personType, during); len(a.Owned) != 0 {
			t.Fatalf("a grant holder owns %v", a.Owned)
		}
	})
	t.Run("a grant on an item reclassified as not shared opens nothing", func(t *testing.T) {
		p := testPolicy()
		it := p.Resources[personType].Items["birth_date"]
		it.Class = authz.NotShared
		p.Resources[personType].Items["birth_date"] = it
		if p.AccessOf("mzj", personType, during).VisibleIn("birth_date", "") {
			t.Fatal("a grant outlived the item's reclassification")
		}
	})
}

func TestItems(t *testing.T) {
	items := map[string]authz.Item{}
	for _, it := range legalEntityResources()[0].Items() {
		items[it.Path] = it
	}
	for _, want := range []string{"display_name", "legal_representative.name", "legal_representative.id_number", "registered_address.division_code"} {
		if _, ok := items[want]; !ok {
			t.Errorf("item %s missing from %v", want, items)
		}
	}
	for _, metadata := range []string{"name", "etag", "version", "legal_representative"} {
		if _, ok := items[metadata]; ok {
			t.Errorf("%s listed as a data item", metadata)
		}
	}
	if !items["legal_representative.id_number"].Personal || items["legal_representative.name"].Personal {
		t.Error("personal flags wrong")
	}
}

func samplePerson() *populationv1.Person {
	return &populationv1.Person{
		Name: "persons/330211199001011234", IdNumber: "330211199001011234", DisplayName: "张三",
		Phone: "13812345678", Status: populationv1.PersonStatus_PERSON_STATUS_ACTIVE, Uid: "u-1",
		RegisteredAddress: "addresses/zbs-1", ResidenceAddress: "addresses/zbs-2", BirthDate: "1990-01-01",
	}
}

func legalEntityWithRepresentative() *legalentityv1.LegalEntity {
	return &legalentityv1.LegalEntity{
		Name: "legalEntities/91330211MA2AB3C4X1", DisplayName: "宁波某某有限公司",
		LegalRepresentative: &legalentityv1.LegalRepresentative{Name: "李四", IdNumber: "330211198001011234"},
		RegisteredCapital:   &legalentityv1.Money{},
	}
}

func mustClone[T proto.Message](m T) T { return proto.Clone(m).(T) }

func TestAllowed(t *testing.T) {
	p := testPolicy()
	methods, err := authz.Methods(map[string]string{
		"population":  "zhbase.population.v1.PopulationService",
		"legalentity": "zhbase.legalentity.v1.LegalEntityService",
	}, append(populationResources(), legalEntityResources()...))
	if err != nil {
		t.Fatal(err)
	}
	allowed := func(dep string) map[string]authz.Allowance {
		out := map[string]authz.Allowance{}
		for _, a := range p.Allowed(dep, methods, t0.Add(time.Hour)) {
			out[a.Method.FullMethod[strings.LastIndexByte(a.Method.FullMethod, '/')+1:]] = a
		}
		return out
	}
	t.Run("the provider may write its resources, others may not", func(t *testing.T) {
		if _, ok := allowed("gaj")["CreatePerson"]; !ok {
			t.Error("provider may not create")
		}
		if _, ok := allowed("mzj")["CreatePerson"]; ok {
			t.Error("a grant holder may create")
		}
	})
	t.Run("a grant holder may read and must declare a purpose", func(t *testing.T) {
		a, ok := allowed("mzj")["GetPerson"]
		if !ok || !a.PurposeRequired || !a.Types[personType].Visible["display_name"] || a.Types[personType].Visible["phone"] {
			t.Fatalf("GetPerson for mzj: %v %+v", ok, a)
		}
	})
	t.Run("a department with no item of a resource may not read it", func(t *testing.T) {
		p.Resources[personType].Items["status"] = authz.ItemPolicy{Class: authz.Conditional, Owner: "gaj"}
		if _, ok := allowed("tjj")["GetPerson"]; ok {
			t.Error("GetPerson allowed without any item")
		}
		if _, ok := allowed("tjj")["GetLegalEntity"]; !ok {
			t.Error("GetLegalEntity refused despite unconditional items")
		}
	})
	t.Run("methods carry their REST binding", func(t *testing.T) {
		if got := allowed("gaj")["GetPerson"].Method.HTTP; got != "GET /v1/{name=persons/*}" {
			t.Errorf("HTTP = %q", got)
		}
	})
}
