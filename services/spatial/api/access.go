package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/kit/authz"
)

// Resources describes the registry's resource types for the catalogue and
// for item-level authorisation.
func Resources() []authz.Resource {
	return []authz.Resource{
		{
			Registry: "spatial", Type: "zhbase.spatial.v1.Division", Title: "行政区划",
			Searches: map[string][]string{"query": {"display_name"}},
			Division: func(_ context.Context, m proto.Message) (string, error) {
				return m.(*spatialv1.Division).GetCode(), nil
			},
		},
		{
			Registry: "spatial", Type: "zhbase.spatial.v1.Address", Title: "标准地址",
			Searches: map[string][]string{"query": {"full_text"}, "prefix": {"full_text"}, "text": {"full_text"}},
			Division: func(_ context.Context, m proto.Message) (string, error) {
				return strings.TrimPrefix(m.(*spatialv1.Address).GetDivision(), "divisions/"), nil
			},
		},
		{
			Registry: "spatial", Type: "zhbase.spatial.v1.Feature", Title: "地理要素",
			Searches: map[string][]string{"query": {"display_name"}},
			Division: func(_ context.Context, m proto.Message) (string, error) {
				return strings.TrimPrefix(m.(*spatialv1.Feature).GetDivision(), "divisions/"), nil
			},
		},
	}
}
