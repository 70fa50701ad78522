package authz

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
)

// viewer filters the messages of one call for one caller.
type viewer struct {
	ctx       context.Context
	policy    *Policy
	caller    string
	now       time.Time
	resources map[protoreflect.FullName]*Resource
	access    map[protoreflect.FullName]Access
	// names collects the resource names that left, for the audit record.
	names []string
}

// maxAuditNames bounds the names one audit record keeps.
const maxAuditNames = 100

func (v *viewer) accessOf(t protoreflect.FullName) Access {
	a, ok := v.access[t]
	if !ok {
		a = v.policy.AccessOf(v.caller, t, v.now)
		v.access[t] = a
	}
	return a
}

// filter removes from m, at any depth, every item of every resource the
// caller may not see.
func (v *viewer) filter(m protoreflect.Message) {
	if r, ok := v.resources[m.Descriptor().FullName()]; ok {
		v.filterResource(m, r)
		return
	}
	type renamed struct{ from, to string }
	var masked []renamed
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				val.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					v.filter(mv.Message())
					return true
				})
			}
		case fd.Message() == nil:
		case fd.IsList():
			l := val.List()
			for i := range l.Len() {
				v.filter(l.Get(i).Message())
			}
		default:
			child := val.Message()
			var before string
			if v.resources[fd.Message().FullName()] != nil {
				before = nameOf(child)
			}
			v.filter(child)
			if before != "" {
				if after := nameOf(child); after != before {
					masked = append(masked, renamed{before, after})
				}
			}
		}
		return true
	})
	// A change event repeats its resource's name beside it; it must be
	// masked alike.
	if nf := m.Descriptor().Fields().ByName("name"); nf != nil && nf.Kind() == protoreflect.StringKind && !nf.IsList() {
		for _, r := range masked {
			if m.Get(nf).String() == r.from {
				m.Set(nf, protoreflect.ValueOfString(r.to))
			}
		}
	}
}

func nameOf(m protoreflect.Message) string {
	if nf := m.Descriptor().Fields().ByName("name"); nf != nil && nf.Kind() == protoreflect.StringKind && !nf.IsList() {
		return m.Get(nf).String()
	}
	return ""
}

func (v *viewer) filterResource(m protoreflect.Message, r *Resource) {
	a := v.accessOf(r.Type)
	// The audit record names what was read, as stored.
	if n := nameOf(m); n != "" && len(v.names) < maxAuditNames {
		v.names = append(v.names, n)
	}
	if !a.Any() {
		// A record of a type the caller sees nothing of (a household among
		// a feed's persons) leaves nothing, not even its name.
		var all []protoreflect.FieldDescriptor
		m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			all = append(all, fd)
			return true
		})
		for _, fd := range all {
			m.Clear(fd)
		}
		return
	}
	var division string
	resolved := false
	visible := func(path string) bool {
		if a.Visible[path] {
			return true
		}
		if len(a.Scoped[path]) == 0 {
			return false
		}
		if !resolved {
			resolved = true
			if r.Division != nil {
				// An object whose division cannot be told is outside every
				// scope: the scoped items stay hidden.
				division, _ = r.Division(v.ctx, m.Interface())
			}
		}
		return a.VisibleIn(path, division)
	}
	split := map[string]bool{}
	for _, s := range r.Split {
		split[s] = true
	}
	var clear []protoreflect.FieldDescriptor
	var subClear []struct {
		msg protoreflect.Message
		fd  protoreflect.FieldDescriptor
	}
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case Metadata[name]:
		case split[name] && fd.Message() != nil && !fd.IsList():
			sub := val.Message()
			sub.Range(func(sfd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
				if !visible(name + "." + string(sfd.Name())) {
					subClear = append(subClear, struct {
						msg protoreflect.Message
						fd  protoreflect.FieldDescriptor
					}{sub, sfd})
				}
				return true
			})
		case !visible(name):
			clear = append(clear, fd)
		}
		return true
	})
	if r.NameReveals != "" && r.MaskName != nil && !visible(r.NameReveals) {
		// The name spells the item out, and so does the former name a
		// renamed record was asked for by.
		for _, f := range []protoreflect.Name{"name", "redirected_from"} {
			if nf := m.Descriptor().Fields().ByName(f); nf != nil && nf.Kind() == protoreflect.StringKind && !nf.IsList() {
				if n := m.Get(nf).String(); n != "" {
					m.Set(nf, protoreflect.ValueOfString(r.MaskName(n)))
				}
			}
		}
	}
	for _, fd := range clear {
		m.Clear(fd)
	}
	for _, s := range subClear {
		s.msg.Clear(s.fd)
	}
}

// hiddenReference returns the first item a filter or order_by expression
// of a list request refers to that the caller may not see everywhere: a
// filter on a hidden field would reveal it one comparison at a time. The
// filter is read by the same parser the registries use, so that nothing
// the registry would compare escapes the check; one it cannot parse is
// refused.
func hiddenReference(field, expr string, r *Resource, a Access) (string, error) {
	var refs []string
	switch field {
	case "filter":
		n, err := filter.Parse(expr)
		if err != nil {
			return "", errs.Field("filter", "%v", err)
		}
		refs = filterFields(n, refs)
	default:
		for _, term := range strings.Split(expr, ",") {
			if f := strings.Fields(term); len(f) > 0 {
				refs = append(refs, f[0])
			}
		}
	}
	items := map[string]bool{}
	for _, it := range r.itemList() {
		items[it.Path] = true
		if head, _, ok := strings.Cut(it.Path, "."); ok {
			items[head] = true
		}
	}
	for _, ref := range refs {
		path := ref
		if !items[path] {
			head, _, _ := strings.Cut(path, ".")
			if !items[head] {
				// Not an item (a metadata field, or unknown: the registry
				// refuses unknown fields itself).
				continue
			}
			path = head
		}
		if a.Visible[path] || strings.Contains(ref, ".") && a.Visible[ref] {
			continue
		}
		return ref, nil
	}
	return "", nil
}

// filterFields lists the fields a parsed filter compares.
func filterFields(n filter.Node, out []string) []string {
	switch n := n.(type) {
	case *filter.And:
		for _, t := range n.Terms {
			out = filterFields(t, out)
		}
	case *filter.Or:
		for _, t := range n.Terms {
			out = filterFields(t, out)
		}
	case *filter.Not:
		out = filterFields(n.X, out)
	case *filter.Compare:
		out = append(out, n.Field)
	}
	return out
}
