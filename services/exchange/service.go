package exchange

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// Page sizes of every List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Options configure the Service.
type Options struct {
	// Resources are every registry's resource types; the catalogue has an
	// entry for each, and an item for each of their data items.
	Resources []authz.Resource
	// OnPolicyChange, when set, is called with the new revision after
	// every committed change to departments, the catalogue or grants (on
	// the calling goroutine, after the commit).
	OnPolicyChange func(revision int64)
	// Methods are every registry method, for the metaservices.
	Methods []authz.Method
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service is the exchange's application logic. Every method but EnsureAdmin
// and PolicyRevision acts for the caller that auth.FromContext(ctx)
// returns and refuses a call without one as errs.ErrUnauthenticated, and a
// call the caller may not make as errs.ErrPermissionDenied naming the rule.
type Service struct {
	store    Store
	now      func() time.Time
	onChange func(int64)
	keys     *keyRing
	methods  []authz.Method
}

// New returns the Service over st after bringing the catalogue in line
// with o.Resources (see Store.SyncCatalogue) and making the first signing
// key if there is none.
func New(ctx context.Context, st Store, o Options) (*Service, error) {
	s := &Service{store: st, now: o.Now, onChange: o.OnPolicyChange, methods: o.Methods}
	slices.SortFunc(s.methods, func(a, b authz.Method) int { return strings.Compare(a.FullMethod, b.FullMethod) })
	if s.now == nil {
		s.now = time.Now
	}
	s.keys = &keyRing{load: st.SigningKeys}
	want := make([]*CatalogueResource, 0, len(o.Resources))
	seen := map[string]bool{}
	for _, r := range o.Resources {
		e := catalogueEntry(r)
		if seen[e.Code] {
			return nil, fmt.Errorf("exchange: resource %s is described twice", e.Code)
		}
		seen[e.Code] = true
		if e.Title == "" {
			e.Title = string(r.Type.Name())
		}
		want = append(want, e)
	}
	changed, rev, err := st.SyncCatalogue(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("sync catalogue: %w", err)
	}
	if changed {
		s.notify(rev)
	}
	k, err := newSigningKey(s.now())
	if err != nil {
		return nil, err
	}
	if _, err := st.AddSigningKey(ctx, k, true); err != nil {
		return nil, fmt.Errorf("make the first signing key: %w", err)
	}
	return s, nil
}

func (s *Service) notify(revision int64) {
	if s.onChange != nil && revision > 0 {
		s.onChange(revision)
	}
}

// ——— Who may do what ———

func callerOf(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, fmt.Errorf("the call carries no verified caller; present a credential: %w", errs.ErrUnauthenticated)
	}
	return id, nil
}

func denied(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errs.ErrPermissionDenied)
}

func requireAdmin(ctx context.Context, what string) (auth.Identity, error) {
	id, err := callerOf(ctx)
	if err == nil && !id.Admin {
		err = denied("only an admin department may %s", what)
	}
	return id, err
}

func requireService(ctx context.Context, what string) (auth.Identity, error) {
	id, err := callerOf(ctx)
	if err == nil && !id.IsService() {
		err = denied("only zhbase services may %s", what)
	}
	return id, err
}

// requireDepartmentOrAdmin lets through admins and callers of department.
func requireDepartmentOrAdmin(ctx context.Context, department, what string) (auth.Identity, error) {
	id, err := callerOf(ctx)
	if err == nil && !id.Admin && (id.Department == "" || id.Department != department) {
		err = denied("only department %s itself or an admin department may %s", department, what)
	}
	return id, err
}

// checkMask refuses update mask paths that are not updatable, naming them.
func checkMask(paths []string, updatable func(string) bool, names []string, immutable ...string) error {
	if len(paths) == 0 {
		return errs.Field("update_mask", "is required: name the fields to change, or \"*\" for all")
	}
	for _, p := range paths {
		switch {
		case p == "*" || updatable(p):
		case slices.Contains(immutable, p):
			return errs.Field("update_mask", "%q cannot be changed", p)
		default:
			return errs.Field("update_mask", "unknown field %q; updatable fields are %s", p, strings.Join(names, ", "))
		}
	}
	return nil
}

func keysOf[V any](m map[string]V, extra ...string) []string {
	names := append([]string(nil), extra...)
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ——— The access policy ———

// AccessPolicy returns the policy the registries enforce, at its current
// revision. zhbase services only.
func (s *Service) AccessPolicy(ctx context.Context) (*AccessPolicy, error) {
	if _, err := requireService(ctx, "read the access policy"); err != nil {
		return nil, err
	}
	snap, err := s.store.Snapshot(ctx, s.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("read access policy: %w", err)
	}
	return policyOf(snap), nil
}

// PolicyRevision returns the current policy revision. It checks no caller:
// it is for wiring inside the process (publishing the revision at start),
// and is not on the API.
func (s *Service) PolicyRevision(ctx context.Context) (int64, error) {
	return s.store.PolicyRevision(ctx)
}
