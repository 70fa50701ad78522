package exchange

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
)

// CreateDepartment admits a department to the platform (准入). Admin only.
func (s *Service) CreateDepartment(ctx context.Context, d *Department) (*Department, error) {
	if _, err := requireAdmin(ctx, "admit departments"); err != nil {
		return nil, err
	}
	d.normalize()
	if err := d.validate("department."); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	d.CreateTime, d.UpdateTime = now, now
	rev, err := s.store.CreateDepartment(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("create department %s: %w", d.Code, err)
	}
	s.notify(rev)
	return d, nil
}

// EnsureAdmin makes sure department code exists, is active and is an admin
// department, creating it with displayName when missing. It needs no
// caller, for bootstrapping the platform before any admin exists, and is
// the way back in should every admin department have been suspended.
func (s *Service) EnsureAdmin(ctx context.Context, code, displayName string) error {
	d, err := s.store.GetDepartment(ctx, code)
	if errors.Is(err, errs.ErrNotFound) {
		now := s.now().UTC()
		d = &Department{Code: code, DisplayName: displayName, Admin: true, Status: DepartmentActive, CreateTime: now, UpdateTime: now}
		d.normalize()
		if err := d.validate("department."); err != nil {
			return fmt.Errorf("bootstrap admin department: %w", err)
		}
		rev, err := s.store.CreateDepartment(ctx, d)
		if err == nil {
			s.notify(rev)
			return nil
		}
		if !errors.Is(err, errs.ErrAlreadyExists) { // another replica bootstrapping at the same time wins
			return fmt.Errorf("bootstrap admin department %s: %w", code, err)
		}
		if d, err = s.store.GetDepartment(ctx, code); err != nil {
			return fmt.Errorf("bootstrap admin department %s: %w", code, err)
		}
	} else if err != nil {
		return fmt.Errorf("bootstrap admin department %s: %w", code, err)
	}
	if d.Admin && d.Active() {
		return nil
	}
	_, rev, err := s.store.UpdateDepartment(ctx, code, func(cur *Department) error {
		cur.Admin, cur.Status, cur.UpdateTime = true, DepartmentActive, s.now().UTC()
		return nil
	})
	if err != nil {
		return fmt.Errorf("bootstrap admin department %s: %w", code, err)
	}
	s.notify(rev)
	return nil
}

// GetDepartment reads one department. Any authenticated caller.
func (s *Service) GetDepartment(ctx context.Context, code string) (*Department, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, err
	}
	d, err := s.store.GetDepartment(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("get department: %w", err)
	}
	return d, nil
}

// ListDepartments returns a page of departments by code. Any
// authenticated caller.
func (s *Service) ListDepartments(ctx context.Context, q ListQuery) (DepartmentPage, error) {
	if _, err := callerOf(ctx); err != nil {
		return DepartmentPage{}, err
	}
	size, err := page.Size(int32(q.PageSize), DefaultPageSize, MaxPageSize)
	if err != nil {
		return DepartmentPage{}, err
	}
	q.PageSize = size
	p, err := s.store.ListDepartments(ctx, q)
	if err != nil {
		return DepartmentPage{}, fmt.Errorf("list departments: %w", err)
	}
	return p, nil
}

// UpdateDepartment copies the fields named by paths (API field names, "*"
// for all) from in onto the stored department. Admin only; an admin
// department cannot take away its own admin flag or suspend itself, so
// that the platform is never left without a way to administer it.
func (s *Service) UpdateDepartment(ctx context.Context, code string, in *Department, paths []string) (*Department, error) {
	id, err := requireAdmin(ctx, "change departments")
	if err != nil {
		return nil, err
	}
	if err := checkMask(paths, func(p string) bool { _, ok := departmentUpdatable[p]; return ok },
		keysOf(departmentUpdatable), "name", "code", "create_time", "update_time"); err != nil {
		return nil, err
	}
	if (slices.Contains(paths, "status") || slices.Contains(paths, "*")) && in.Status == "" {
		return nil, errs.Field("department.status", "is required when updated: ACTIVE or SUSPENDED")
	}
	d, rev, err := s.store.UpdateDepartment(ctx, code, func(cur *Department) error {
		for _, p := range paths {
			if p == "*" {
				for _, set := range departmentUpdatable {
					set(cur, in)
				}
				continue
			}
			departmentUpdatable[p](cur, in)
		}
		cur.normalize()
		if err := cur.validate("department."); err != nil {
			return err
		}
		if cur.Code == id.Department && (!cur.Admin || !cur.Active()) {
			return fmt.Errorf("an admin department cannot remove its own admin flag or suspend itself; another admin department must: %w", errs.ErrFailedPrecondition)
		}
		cur.UpdateTime = s.now().UTC()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update department %s: %w", code, err)
	}
	s.notify(rev)
	return d, nil
}
