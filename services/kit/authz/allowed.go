package authz

import (
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Allowance is what a department may do with one method: X-Road's
// allowedMethods, with the items it would see or write.
type Allowance struct {
	Method Method
	// Types is the department's access to each resource type the method
	// touches, by type.
	Types map[protoreflect.FullName]Access
	// PurposeRequired is set when a read would return personal items the
	// department does not provide.
	PurposeRequired bool
}

// Allowed lists the methods department may call at now, with what it may
// see and write through each: the same rules the enforcer applies to a
// call, before the object's division is known. A read is allowed when the
// department sees at least one item of a type the method returns; a write
// when it provides every item of such a type (writes naming fewer items
// need only those).
func (p *Policy) Allowed(department string, methods []Method, now time.Time) []Allowance {
	var out []Allowance
	for _, m := range methods {
		a := Allowance{Method: m, Types: map[protoreflect.FullName]Access{}}
		ok := false
		for _, t := range m.Types {
			acc := p.AccessOf(department, t, now)
			switch m.Kind {
			case Read:
				if !acc.Any() || m.Derived && p.unseen(t, acc) != "" {
					continue
				}
				if len(p.personalSeen(t, acc)) > 0 {
					a.PurposeRequired = true
				}
			case Write:
				if len(acc.Owned) == 0 || len(acc.Owned) < len(p.Resources[t].Items) {
					continue
				}
			}
			ok = true
			a.Types[t] = acc
		}
		if ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Allowance) int { return strings.Compare(x.Method.FullMethod, y.Method.FullMethod) })
	return out
}
