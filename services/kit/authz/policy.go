package authz

import (
	"slices"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/zhbase/zhbase/services/kit/standard"
)

// Policy is one consistent snapshot of everything access depends on: the
// member departments, the catalogue's sharing classes and the approved
// grants. The exchange service publishes it; every registry holds the
// latest one in memory.
type Policy struct {
	Revision    int64
	Departments map[string]Department
	Resources   map[protoreflect.FullName]ResourcePolicy
	// Grants by applicant department.
	Grants map[string][]Grant
}

// Department is a member's standing on the platform.
type Department struct {
	Code   string
	Active bool
	Admin  bool
	// RatePerSecond and Burst bound the department's calls per process;
	// zero means the platform default.
	RatePerSecond float64
	Burst         int
}

// ResourcePolicy is the catalogue entry of one resource type.
type ResourcePolicy struct {
	Registry string
	Type     protoreflect.FullName
	Provider string
	Items    map[string]ItemPolicy
}

// ItemPolicy is one data item's sharing class and owner.
type ItemPolicy struct {
	Class    SharingClass
	Personal bool
	// Owner is the department that provides (and alone writes) the item;
	// the resource's provider unless the catalogue says otherwise.
	Owner string
}

// Grant is an approved grant of conditional items to a department.
type Grant struct {
	Name       string
	Department string
	Type       protoreflect.FullName
	Items      []string
	// Divisions limits the grant to objects in these divisions (and their
	// sub-divisions); empty means everywhere.
	Divisions []string
	Start     time.Time
	Expire    time.Time
}

// Live reports whether the grant is in force at t.
func (g Grant) Live(t time.Time) bool {
	return !t.Before(g.Start) && t.Before(g.Expire)
}

// Covers reports whether the grant's division scope includes an object in
// division (an empty scope includes everything; an object without a
// division is covered only by an unscoped grant).
func (g Grant) Covers(division string) bool {
	if len(g.Divisions) == 0 {
		return true
	}
	if division == "" {
		return false
	}
	if slices.Contains(g.Divisions, division) {
		return true
	}
	for _, a := range standard.DivisionAncestors(division) {
		if slices.Contains(g.Divisions, a) {
			return true
		}
	}
	return false
}

// Access is what one department may see of one resource type at one time,
// before the object's division is known.
type Access struct {
	// Visible items, whatever the object.
	Visible map[string]bool
	// Scoped items are visible only for objects in the listed divisions.
	Scoped map[string][]Grant
	// Owned items may be written.
	Owned map[string]bool
}

// Any reports whether the department may see at least one item.
func (a Access) Any() bool { return len(a.Visible) > 0 || len(a.Scoped) > 0 }

// AccessOf computes a department's access to resource type t at time now.
// Everything not granted by the catalogue, a live grant or ownership is
// denied; an inactive or unknown department sees nothing.
func (p *Policy) AccessOf(department string, t protoreflect.FullName, now time.Time) Access {
	a := Access{Visible: map[string]bool{}, Scoped: map[string][]Grant{}, Owned: map[string]bool{}}
	if p == nil {
		return a
	}
	if d, ok := p.Departments[department]; !ok || !d.Active {
		return a
	}
	rp, ok := p.Resources[t]
	if !ok {
		return a
	}
	for path, item := range rp.Items {
		switch {
		case item.Owner == department:
			a.Visible[path], a.Owned[path] = true, true
		case item.Class == Unconditional:
			a.Visible[path] = true
		}
	}
	for _, g := range p.Grants[department] {
		if g.Type != t || !g.Live(now) {
			continue
		}
		for _, path := range g.Items {
			item, ok := rp.Items[path]
			// A grant never opens an item the catalogue no longer lists as
			// conditional (reclassified to not shared after approval).
			if !ok || item.Class != Conditional || a.Visible[path] {
				continue
			}
			if len(g.Divisions) == 0 {
				a.Visible[path] = true
				delete(a.Scoped, path)
				continue
			}
			a.Scoped[path] = append(a.Scoped[path], g)
		}
	}
	return a
}

// unseen returns an item of t that a does not show in every record, ""
// when a shows them all: what a caller must see to compute totals.
func (p *Policy) unseen(t protoreflect.FullName, a Access) string {
	for path := range p.Resources[t].Items {
		if !a.Visible[path] {
			return path
		}
	}
	return ""
}

// personalSeen lists the personal items of t that a shows but does not
// own: reading them needs a purpose and a case reference.
func (p *Policy) personalSeen(t protoreflect.FullName, a Access) []string {
	var out []string
	for path, item := range p.Resources[t].Items {
		// A provider manages its own items; a purpose is what another
		// department must declare to read them.
		if item.Personal && !a.Owned[path] && (a.Visible[path] || len(a.Scoped[path]) > 0) {
			out = append(out, path)
		}
	}
	return out
}

// VisibleIn returns whether path is visible for an object in division.
func (a Access) VisibleIn(path, division string) bool {
	if a.Visible[path] {
		return true
	}
	for _, g := range a.Scoped[path] {
		if g.Covers(division) {
			return true
		}
	}
	return false
}
