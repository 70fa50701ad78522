package api

import (
	"context"

	"google.golang.org/protobuf/proto"

	economyv1 "github.com/zhbase/zhbase/proto/zhbase/economy/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
)

// Resources describes the registry's resource types for the catalogue and
// for item-level authorisation.
func Resources() []authz.Resource {
	return []authz.Resource{{
		Registry: "economy", Type: "zhbase.economy.v1.Report", Title: "企业经营报表",
		Division: func(_ context.Context, m proto.Message) (string, error) {
			return m.(*economyv1.Report).GetDivisionCode(), nil
		},
	}}
}
