package exchange

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// GetCatalogueResource reads one catalogue entry. Any authenticated caller.
func (s *Service) GetCatalogueResource(ctx context.Context, code string) (*CatalogueResource, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	r, err := s.store.GetCatalogueResource(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("get catalogue resource: %w", err)
	}
	return r, nil
}

// ListCatalogueResources returns a page of the catalogue by code. Any
// authenticated caller.
func (s *Service) ListCatalogueResources(ctx context.Context, q ListQuery) (CataloguePage, error) {
	if _, err := callerOf(ctx); err != nil {
		return CataloguePage{}, err
	}
	size, err := page.Size(int32(q.PageSize), DefaultPageSize, MaxPageSize)
	if err != nil {
		return CataloguePage{}, err
	}
	q.PageSize = size
	p, err := s.store.ListCatalogueResources(ctx, q)
	if err != nil {
		return CataloguePage{}, fmt.Errorf("list catalogue: %w", err)
	}
	return p, nil
}

// Catalogue returns every catalogue entry by code, for exports. Any
// authenticated caller.
func (s *Service) Catalogue(ctx context.Context) ([]*CatalogueResource, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	var all []*CatalogueResource
	q := ListQuery{PageSize: MaxPageSize}
	for {
		p, err := s.store.ListCatalogueResources(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("export catalogue: %w", err)
		}
		all = append(all, p.Resources...)
		if p.NextPageToken == "" {
			return all, nil
		}
		q.PageToken = p.NextPageToken
	}
}

// UpdateCatalogueResource copies the fields named by paths (API field
// names, "*" for all) from in onto the stored entry. With "items", each
// item of in replaces the class, condition and legal basis of the stored
// item of the same path, and its title when in gives one; paths that are
// not the resource's current items are refused. The provider department
// or an admin may update an entry; only an admin may assign its provider.
func (s *Service) UpdateCatalogueResource(ctx context.Context, code string, in *CatalogueResource, paths []string) (*CatalogueResource, error) {
	id, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	updatable := func(p string) bool { _, ok := catalogueUpdatable[p]; return ok || p == "items" }
	if err := checkMask(paths, updatable, keysOf(catalogueUpdatable, "items"),
		"name", "registry", "resource_type", "publish_time", "update_time"); err != nil {
		return nil, err
	}
	all := slices.Contains(paths, "*")
	has := func(p string) bool { return all || slices.Contains(paths, p) }
	if has("provider_department") {
		if !id.Admin {
			return nil, denied("only an admin department may assign a resource's provider department")
		}
		if in.Provider != "" {
			if _, err := s.store.GetDepartment(ctx, in.Provider); errors.Is(err, errs.ErrNotFound) {
				return nil, errs.Field("catalogue_resource.provider_department", "there is no department %s", DepartmentName(in.Provider))
			} else if err != nil {
				return nil, fmt.Errorf("update catalogue resource %s: %w", code, err)
			}
		}
	}
	itemField := map[string]string{}
	if has("items") {
		for i, it := range in.Items {
			field := fmt.Sprintf("catalogue_resource.items[%d]", i)
			if _, dup := itemField[it.Path]; dup {
				return nil, errs.Field(field+".path", "%s is given twice", it.Path)
			}
			itemField[it.Path] = field
		}
	}
	r, rev, err := s.store.UpdateCatalogueResource(ctx, code, func(cur *CatalogueResource) error {
		if !id.Admin {
			switch {
			case cur.Provider == "":
				return denied("catalogue resource %s has no provider department yet; only an admin department may change it", cur.Code)
			case cur.Provider != id.Department:
				return denied("only the provider department of %s (%s) or an admin department may change its catalogue entry", cur.Code, cur.Provider)
			}
		}
		for p, set := range catalogueUpdatable {
			if has(p) {
				set(cur, in)
			}
		}
		cur.Title, cur.Summary, cur.Format = strings.TrimSpace(cur.Title), strings.TrimSpace(cur.Summary), strings.TrimSpace(cur.Format)
		if has("items") {
			var v errs.Violations
			for _, it := range in.Items {
				field := itemField[it.Path]
				stored := cur.Item(it.Path)
				switch {
				case stored == nil:
					v.Add(field+".path", "%s is not a data item of %s", it.Path, cur.Code)
					continue
				case stored.Obsolete:
					v.Add(field+".path", "%s is obsolete: %s no longer has this field", it.Path, cur.ResourceType)
					continue
				}
				if title := strings.TrimSpace(it.Title); title != "" {
					stored.Title = title
				}
				stored.Class = it.Class
				stored.Condition, stored.LegalBasis = strings.TrimSpace(it.Condition), strings.TrimSpace(it.LegalBasis)
			}
			if err := v.Err(); err != nil {
				return err
			}
		}
		if err := cur.validate(itemField); err != nil {
			return err
		}
		now := s.now().UTC()
		if cur.PublishTime.IsZero() && cur.Provider != "" {
			cur.PublishTime = now
		}
		cur.UpdateTime = now
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update catalogue resource %s: %w", code, err)
	}
	s.notify(rev)
	return r, nil
}
