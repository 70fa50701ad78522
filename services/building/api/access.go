package api

import (
	"context"

	"google.golang.org/protobuf/proto"

	buildingv1 "github.com/zhbase/zhbase/proto/zhbase/building/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
)

// Resources describes the registry's resource types for the catalogue and
// for item-level authorisation.
func Resources() []authz.Resource {
	return []authz.Resource{{
		Registry: "building", Type: "zhbase.building.v1.Building", Title: "房屋建筑",
		// Owners who are persons are named by their ID number.
		Personal: []string{"owners"},
		Searches: map[string][]string{"query": {"display_name"}, "owner": {"owners"}},
		Division: func(_ context.Context, m proto.Message) (string, error) {
			return m.(*buildingv1.Building).GetDivisionCode(), nil
		},
	}}
}
