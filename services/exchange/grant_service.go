package exchange

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// CreateGrant applies for a grant (申请): the applicant is the calling
// department, the items must be the resource's CONDITIONAL items, and the
// grant starts PENDING. zhbase services cannot apply.
func (s *Service) CreateGrant(ctx context.Context, in *Grant) (*Grant, error) {
	id, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if id.IsService() || id.Department == "" {
		return nil, denied("grants are applied for by departments; %s is not one", id.Principal())
	}
	now := s.now().UTC()
	g := &Grant{
		Applicant: id.Department, ApplicantApplication: id.Application, Resource: strings.TrimSpace(in.Resource),
		Purpose: strings.TrimSpace(in.Purpose), LegalBasis: strings.TrimSpace(in.LegalBasis),
		StartTime: in.StartTime.UTC(), ExpireTime: in.ExpireTime.UTC(), State: GrantPending, CreateTime: now,
	}
	if g.StartTime.IsZero() {
		g.StartTime = now
	}
	var v errs.Violations
	if g.Resource == "" {
		v.Add("grant.catalogue_resource", "is required: the catalogueResources/{code} whose items are asked for")
	}
	if len(in.Items) == 0 {
		v.Add("grant.items", "is required: the paths of the CONDITIONAL items asked for")
	}
	seen := map[string]bool{}
	for i, p := range in.Items {
		p = strings.TrimSpace(p)
		if seen[p] {
			v.Add(fmt.Sprintf("grant.items[%d]", i), "%s is asked for twice", p)
		}
		seen[p] = true
		g.Items = append(g.Items, p)
	}
	check.MultilineText(&v, "grant.purpose", g.Purpose, true, maxPurpose)
	check.MultilineText(&v, "grant.legal_basis", g.LegalBasis, false, maxPurpose)
	seenDivision := map[string]bool{}
	for i, d := range in.Divisions {
		field := fmt.Sprintf("grant.divisions[%d]", i)
		d = strings.TrimSpace(d)
		v.Check(field, standard.CheckDivisionCode(d))
		if seenDivision[d] {
			v.Add(field, "%s is given twice", d)
		}
		seenDivision[d] = true
		g.Divisions = append(g.Divisions, d)
	}
	latest := g.StartTime.AddDate(MaxGrantYears, 0, 0)
	switch {
	case g.ExpireTime.IsZero():
		v.Add("grant.expire_time", "is required: grants end, at most %d years after they start", MaxGrantYears)
	case !g.ExpireTime.After(g.StartTime):
		v.Add("grant.expire_time", "must be after start_time (%s)", g.StartTime.Format(time.RFC3339))
	case !g.ExpireTime.After(now):
		v.Add("grant.expire_time", "%s has passed", g.ExpireTime.Format(time.RFC3339))
	case g.ExpireTime.After(latest):
		v.Add("grant.expire_time", "must be at most %d years after start_time, by %s", MaxGrantYears, latest.Format(time.RFC3339))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if g.ID, err = newGrantID(); err != nil {
		return nil, err
	}
	rev, err := s.store.CreateGrant(ctx, g, func(r *CatalogueResource, applicant *Department) error {
		switch {
		case applicant == nil:
			return denied("department %s has not been admitted to the platform", g.Applicant)
		case !applicant.Active():
			return denied("department %s is suspended", g.Applicant)
		case r == nil:
			return errs.Field("grant.catalogue_resource", "there is no catalogue entry %s", CatalogueName(g.Resource))
		case r.Provider == g.Applicant:
			return errs.Field("grant.catalogue_resource", "%s is provided by your own department, which reads it without a grant", r.Code)
		}
		var v errs.Violations
		for i, p := range g.Items {
			field := fmt.Sprintf("grant.items[%d]", i)
			it := r.Item(p)
			switch {
			case it == nil || it.Obsolete:
				v.Add(field, "%s is not a data item of %s", p, r.Code)
			case it.Class == authz.Unconditional:
				v.Add(field, "%s is shared unconditionally (无条件共享): every member reads it without a grant", p)
			case it.Class == authz.NotShared:
				v.Add(field, "%s is not shared (不予共享) under %s; no grant can open it", p, it.LegalBasis)
			}
		}
		return v.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("apply for grant: %w", err)
	}
	s.notify(rev)
	return s.readGrant(ctx, g.ID)
}

func (s *Service) readGrant(ctx context.Context, id string) (*Grant, error) {
	g, err := s.store.GetGrant(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get grant: %w", err)
	}
	g.State = g.StateAt(s.now())
	return g, nil
}

// GetGrant reads one grant. Its applicant, the resource's provider, or an
// admin.
func (s *Service) GetGrant(ctx context.Context, id string) (*Grant, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.readGrant(ctx, id)
	if err != nil {
		return nil, err
	}
	if !caller.Admin && (caller.Department == "" || (caller.Department != g.Applicant && caller.Department != g.Provider)) {
		return nil, denied("a grant is seen by its applicant, the resource's provider department and admin departments only")
	}
	return g, nil
}

// ListGrants returns a page of grants, newest first: a department sees the
// grants it applied for and those on the resources it provides, an admin
// all of them.
func (s *Service) ListGrants(ctx context.Context, q ListQuery) (GrantPage, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return GrantPage{}, err
	}
	gq := GrantQuery{ListQuery: q, Now: s.now().UTC()}
	if !caller.Admin {
		if caller.Department == "" {
			return GrantPage{}, denied("grants are listed for departments; %s is not one", caller.Principal())
		}
		gq.VisibleTo = caller.Department
	}
	size, err := page.Size(int32(q.PageSize), DefaultPageSize, MaxPageSize)
	if err != nil {
		return GrantPage{}, err
	}
	gq.PageSize = size
	p, err := s.store.ListGrants(ctx, gq)
	if err != nil {
		return GrantPage{}, fmt.Errorf("list grants: %w", err)
	}
	for _, g := range p.Grants {
		g.State = g.StateAt(gq.Now)
	}
	return p, nil
}

// ApproveGrant approves a PENDING grant, whose items must still be
// CONDITIONAL. The resource's provider department or an admin.
func (s *Service) ApproveGrant(ctx context.Context, id, remark string) (*Grant, error) {
	return s.decide(ctx, id, "approve", func(g *Grant, r *CatalogueResource, d decision) error {
		if err := mayDecide(d.caller, r, "approve"); err != nil {
			return err
		}
		if err := requireState(g, d.Time, GrantPending, "approved"); err != nil {
			return err
		}
		for _, p := range g.Items {
			if it := r.Item(p); it == nil || it.Obsolete || it.Class != authz.Conditional {
				class := "no longer a data item"
				if it != nil && !it.Obsolete {
					class = it.Class.String()
				}
				return fmt.Errorf("item %s of %s is now %s, not CONDITIONAL; reject the application instead: %w", p, r.Code, class, errs.ErrFailedPrecondition)
			}
		}
		g.State, g.Decision = GrantApproved, d.Decision
		return nil
	}, strings.TrimSpace(remark), false)
}

// RejectGrant rejects a PENDING grant, with the reason. The resource's
// provider department or an admin.
func (s *Service) RejectGrant(ctx context.Context, id, reason string) (*Grant, error) {
	return s.decide(ctx, id, "reject", func(g *Grant, r *CatalogueResource, d decision) error {
		if err := mayDecide(d.caller, r, "reject"); err != nil {
			return err
		}
		if err := requireState(g, d.Time, GrantPending, "rejected"); err != nil {
			return err
		}
		g.State, g.Decision = GrantRejected, d.Decision
		return nil
	}, strings.TrimSpace(reason), true)
}

// RevokeGrant withdraws an APPROVED grant, with the reason. The
// resource's provider department, the applicant or an admin.
func (s *Service) RevokeGrant(ctx context.Context, id, reason string) (*Grant, error) {
	return s.decide(ctx, id, "revoke", func(g *Grant, r *CatalogueResource, d decision) error {
		if !d.caller.Admin && d.caller.Department != g.Applicant {
			if err := mayDecide(d.caller, r, "revoke"); err != nil {
				return denied("only the applicant, the provider department of %s or an admin department may revoke a grant on it", r.Code)
			}
		}
		if err := requireState(g, d.Time, GrantApproved, "revoked"); err != nil {
			return err
		}
		g.State, g.Revocation = GrantRevoked, d.Decision
		return nil
	}, strings.TrimSpace(reason), true)
}

// decision is what decide's rule records, with the caller who makes it.
type decision struct {
	Decision
	caller auth.Identity
}

// decide runs rule on the grant and its resource in one transaction and
// stores the outcome.
func (s *Service) decide(ctx context.Context, id, verb string, rule func(g *Grant, r *CatalogueResource, d decision) error, reason string, reasonRequired bool) (*Grant, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	check.MultilineText(&v, "reason", reason, reasonRequired, maxPurpose)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	d := decision{Decision: Decision{Department: caller.Department, Principal: caller.Principal(), Time: now, Reason: reason}, caller: caller}
	g, rev, err := s.store.UpdateGrant(ctx, id, func(g *Grant, r *CatalogueResource) error { return rule(g, r, d) })
	if err != nil {
		return nil, fmt.Errorf("%s grant %s: %w", verb, id, err)
	}
	s.notify(rev)
	g.State = g.StateAt(now)
	return g, nil
}

// mayDecide lets the resource's provider department and admins decide.
func mayDecide(caller auth.Identity, r *CatalogueResource, verb string) error {
	if caller.Admin || (r.Provider != "" && caller.Department == r.Provider) {
		return nil
	}
	if r.Provider == "" {
		return denied("%s has no provider department; only an admin department may %s grants on it", r.Code, verb)
	}
	return denied("only the provider department of %s (%s) or an admin department may %s grants on it", r.Code, r.Provider, verb)
}

func requireState(g *Grant, now time.Time, want GrantState, done string) error {
	if st := g.StateAt(now); st != want {
		return fmt.Errorf("grant %s is %s; only a %s grant can be %s: %w", GrantName(g.ID), st, want, done, errs.ErrFailedPrecondition)
	}
	return nil
}
