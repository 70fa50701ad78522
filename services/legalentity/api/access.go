package api

import (
	"context"

	"google.golang.org/protobuf/proto"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
)

// Resources describes the registry's resource types for the catalogue and
// for item-level authorisation.
func Resources() []authz.Resource {
	return []authz.Resource{{
		Registry: "legalentity",
		Type:     "zhbase.legalentity.v1.LegalEntity",
		Title:    "法人基本信息",
		// The representative's name is printed on the business licence;
		// the ID number is personal.
		Split:    []string{"legal_representative", "registered_address"},
		Personal: []string{"legal_representative.id_number"},
		Searches: map[string][]string{"query": {"display_name", "former_names"}},
		Division: func(_ context.Context, m proto.Message) (string, error) {
			return m.(*legalentityv1.LegalEntity).GetRegisteredAddress().GetDivisionCode(), nil
		},
	}}
}
