package exchange

import (
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/zhbase/zhbase/services/kit/authz"
)

// AccessPolicy is everything the registries need to decide a caller's
// access, as of one revision. The revision grows with every committed
// change to departments, the catalogue or grants.
type AccessPolicy struct {
	Revision    int64
	Departments []*Department
	Resources   []PolicyResource
	// Grants are the approved grants that have not expired.
	Grants []PolicyGrant
}

// PolicyResource is a catalogued resource as the policy needs it.
type PolicyResource struct {
	Registry     string
	ResourceType string
	Provider     string
	// Items are the current (not obsolete) items.
	Items []PolicyItem
}

// PolicyItem is one current data item.
type PolicyItem struct {
	Path     string
	Class    authz.SharingClass
	Personal bool
}

// PolicyGrant is an approved, unexpired grant.
type PolicyGrant struct {
	ID           string
	Department   string
	Registry     string
	ResourceType string
	Items        []string
	Divisions    []string
	StartTime    time.Time
	ExpireTime   time.Time
}

// Snapshot is what the store reads, in one transaction, to build a policy:
// the revision first, so that the contents are at least as new as it.
type Snapshot struct {
	Revision    int64
	Departments []*Department
	Resources   []*CatalogueResource
	// Grants are the grants approved and not yet expired at the time the
	// snapshot was asked for.
	Grants []*Grant
}

// policyOf shapes a snapshot into the policy.
func policyOf(s *Snapshot) *AccessPolicy {
	p := &AccessPolicy{Revision: s.Revision, Departments: s.Departments}
	byCode := map[string]*CatalogueResource{}
	for _, r := range s.Resources {
		byCode[r.Code] = r
		pr := PolicyResource{Registry: r.Registry, ResourceType: r.ResourceType, Provider: r.Provider}
		for _, it := range r.Items {
			if !it.Obsolete {
				pr.Items = append(pr.Items, PolicyItem{Path: it.Path, Class: it.Class, Personal: it.Personal})
			}
		}
		p.Resources = append(p.Resources, pr)
	}
	for _, g := range s.Grants {
		r, ok := byCode[g.Resource]
		if !ok {
			continue // entries are never deleted; were one gone, its grants would open nothing
		}
		p.Grants = append(p.Grants, PolicyGrant{
			ID: g.ID, Department: g.Applicant, Registry: r.Registry, ResourceType: r.ResourceType,
			Items: g.Items, Divisions: g.Divisions, StartTime: g.StartTime, ExpireTime: g.ExpireTime,
		})
	}
	return p
}

// Rules is the policy as the registries' enforcer applies it.
func (p *AccessPolicy) Rules() *authz.Policy {
	out := &authz.Policy{
		Revision:    p.Revision,
		Departments: map[string]authz.Department{},
		Resources:   map[protoreflect.FullName]authz.ResourcePolicy{},
		Grants:      map[string][]authz.Grant{},
	}
	for _, d := range p.Departments {
		out.Departments[d.Code] = authz.Department{
			Code: d.Code, Active: d.Active(), Admin: d.Admin,
			RatePerSecond: float64(d.RateLimit.RequestsPerSecond), Burst: int(d.RateLimit.Burst),
		}
	}
	for _, r := range p.Resources {
		rp := authz.ResourcePolicy{Registry: r.Registry, Type: protoreflect.FullName(r.ResourceType), Provider: r.Provider, Items: map[string]authz.ItemPolicy{}}
		for _, it := range r.Items {
			// The provider provides every item of its resource.
			rp.Items[it.Path] = authz.ItemPolicy{Class: it.Class, Personal: it.Personal, Owner: r.Provider}
		}
		out.Resources[rp.Type] = rp
	}
	for _, g := range p.Grants {
		out.Grants[g.Department] = append(out.Grants[g.Department], authz.Grant{
			Name: GrantName(g.ID), Department: g.Department, Type: protoreflect.FullName(g.ResourceType),
			Items: g.Items, Divisions: g.Divisions, Start: g.StartTime, Expire: g.ExpireTime,
		})
	}
	return out
}
