package protomask

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/errs"
)

func sample() *legalentityv1.LegalEntity {
	return &legalentityv1.LegalEntity{
		Name: "legalEntities/X", Uscc: "X", DisplayName: "n",
		LegalRepresentative: &legalentityv1.LegalRepresentative{Name: "张三", IdNumber: "1"},
		RegisteredAddress:   &legalentityv1.Address{Text: "t", DivisionCode: "330211"},
	}
}

func TestApplyKeepsOnlyMaskedFields(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  *legalentityv1.LegalEntity
	}{
		{"empty mask keeps everything", nil, sample()},
		{"star keeps everything", []string{"*"}, sample()},
		{"top-level fields plus the always-kept name", []string{"display_name"},
			&legalentityv1.LegalEntity{Name: "legalEntities/X", DisplayName: "n"}},
		{"a sub-field keeps only that part of the message", []string{"legal_representative.name"},
			&legalentityv1.LegalEntity{Name: "legalEntities/X", LegalRepresentative: &legalentityv1.LegalRepresentative{Name: "张三"}}},
		{"a whole message wins over its sub-field", []string{"registered_address.text", "registered_address"},
			&legalentityv1.LegalEntity{Name: "legalEntities/X", RegisteredAddress: &legalentityv1.Address{Text: "t", DivisionCode: "330211"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample()
			Apply(m, tt.paths, "name")
			if !proto.Equal(m, tt.want) {
				t.Fatalf("got %v, want %v", m, tt.want)
			}
		})
	}
}

func TestCheckNamesUnknownPaths(t *testing.T) {
	if err := Check(sample(), []string{"display_name", "legal_representative.id_number"}, "read_mask"); err != nil {
		t.Fatalf("valid paths refused: %v", err)
	}
	for _, bad := range [][]string{{"nope"}, {"display_name.x"}, {"legal_representative.age"}, {"*", "uscc"}} {
		err := Check(sample(), bad, "read_mask")
		var inv *errs.InvalidError
		if !errors.As(err, &inv) || inv.Violations[0].Field != "read_mask" {
			t.Errorf("Check(%v) = %v, want a read_mask violation", bad, err)
		}
	}
}

func TestNormalizeAcceptsJSONNames(t *testing.T) {
	got := Normalize(sample(), []string{"displayName", "legalRepresentative.idNumber", "registered_address.text", "noSuchField"})
	want := []string{"display_name", "legal_representative.id_number", "registered_address.text", "noSuchField"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Normalize()[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}
