package api

import (
	"context"
	"slices"
	"strings"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
)

func (h *Handler) ListMethods(ctx context.Context, _ *exchangev1.ListMethodsRequest) (*exchangev1.ListMethodsResponse, error) {
	ms, err := h.svc.ListMethods(ctx)
	if err != nil {
		return nil, err
	}
	out := &exchangev1.ListMethodsResponse{}
	for _, m := range ms {
		out.Methods = append(out.Methods, methodToProto(m))
	}
	return out, nil
}

func (h *Handler) AllowedMethods(ctx context.Context, req *exchangev1.AllowedMethodsRequest) (*exchangev1.AllowedMethodsResponse, error) {
	var code string
	if d := req.GetDepartment(); d != "" {
		var ok bool
		if code, ok = strings.CutPrefix(d, "departments/"); !ok || code == "" {
			return nil, errs.Field("department", "must be departments/{code}, got %q", d)
		}
	}
	dep, allowed, err := h.svc.AllowedMethods(ctx, code)
	if err != nil {
		return nil, err
	}
	out := &exchangev1.AllowedMethodsResponse{Department: exchange.DepartmentName(dep)}
	for _, a := range allowed {
		am := &exchangev1.AllowedMethod{Method: methodToProto(a.Method), PurposeRequired: a.PurposeRequired}
		for _, t := range a.Method.Types {
			acc, ok := a.Types[t]
			if !ok {
				continue
			}
			ra := &exchangev1.ResourceAccess{ResourceType: string(t), VisibleItems: sortedKeys(acc.Visible), WritableItems: sortedKeys(acc.Owned)}
			for _, path := range sortedKeys(acc.Scoped) {
				si := &exchangev1.ScopedItem{Path: path}
				for _, g := range acc.Scoped[path] {
					si.Divisions = append(si.Divisions, g.Divisions...)
				}
				slices.Sort(si.Divisions)
				si.Divisions = slices.Compact(si.Divisions)
				ra.ScopedItems = append(ra.ScopedItems, si)
			}
			am.Access = append(am.Access, ra)
		}
		out.Methods = append(out.Methods, am)
	}
	return out, nil
}

func methodToProto(m authz.Method) *exchangev1.Method {
	out := &exchangev1.Method{Name: m.FullMethod, Registry: m.Registry, HttpRule: m.HTTP, Kind: exchangev1.MethodKind_METHOD_KIND_READ}
	if m.Kind == authz.Write {
		out.Kind = exchangev1.MethodKind_METHOD_KIND_WRITE
	}
	for _, t := range m.Types {
		out.ResourceTypes = append(out.ResourceTypes, string(t))
	}
	slices.Sort(out.ResourceTypes)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
