package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	populationv1 "github.com/zhbase/zhbase/proto/zhbase/population/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/mask"
	"github.com/zhbase/zhbase/services/population"
)

// AddressDivision tells the division code of an address of the spatial
// registry (addresses/{id}).
type AddressDivision func(ctx context.Context, address string) (string, error)

// Resources describes the registry's resource types for the catalogue and
// for item-level authorisation. Persons and households lie in the division
// of their registered address (户籍地), which the spatial registry knows.
func Resources(division AddressDivision) []authz.Resource {
	return []authz.Resource{
		{
			Registry: "population",
			Type:     "zhbase.population.v1.Person",
			Title:    "人口基本信息",
			Personal: []string{
				"id_number", "display_name", "former_names", "sex", "birth_date", "ethnicity",
				"household", "relation", "registered_address", "residence_address", "phone",
				"education", "marital_status", "status", "status_date",
			},
			Searches: map[string][]string{
				"query":      {"display_name", "former_names"},
				"birth_date": {"birth_date"},
				"address":    {"registered_address", "residence_address"},
				"household":  {"household"},
				// ListHouseholdMembers: who belongs to which household.
				"parent": {"household"},
			},
			NameReveals: "id_number",
			MaskName: func(name string) string {
				id := strings.TrimPrefix(name, population.PersonCollection+"/")
				if strings.Contains(id, "*") {
					return name // bulk reads mask it already
				}
				return population.PersonName(mask.IDNumber(id))
			},
			Division: func(ctx context.Context, m proto.Message) (string, error) {
				return division(ctx, m.(*populationv1.Person).GetRegisteredAddress())
			},
		},
		{
			Registry: "population",
			Type:     "zhbase.population.v1.Household",
			Title:    "户籍信息",
			Personal: []string{"household_number", "registered_address", "head"},
			Division: func(ctx context.Context, m proto.Message) (string, error) {
				return division(ctx, m.(*populationv1.Household).GetRegisteredAddress())
			},
		},
	}
}
