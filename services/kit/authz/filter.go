package authz

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
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
			if r := v.resources[fd.Message().FullName()]; r != nil && r.NameReveals != "" {
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
	if n := nameOf(m); n != "" && len(v.names) < maxAuditNames {
		v.names = append(v.names, n)
	}
}

// filterReferences returns the first item a filter or order_by expression
// of a list request refers to that the caller may not see everywhere: a
// filter on a hidden field would reveal it one comparison at a time.
func filterReferences(expr string, r *Resource, a Access) string {
	items := map[string]bool{}
	for _, it := range r.Items() {
		items[it.Path] = true
		if head, _, ok := strings.Cut(it.Path, "."); ok {
			items[head] = true
		}
	}
	for _, tok := range identifiers(expr) {
		path := tok
		if !items[path] {
			head, _, _ := strings.Cut(path, ".")
			if !items[head] {
				continue
			}
			path = head
		}
		if a.Visible[path] {
			continue
		}
		// A split field is usable when every sub-item in the path is.
		if strings.Contains(tok, ".") && a.Visible[tok] {
			continue
		}
		return tok
	}
	return ""
}

// identifiers lists the bare words of an AIP-160 expression, leaving out
// quoted values.
func identifiers(expr string) []string {
	var out []string
	var quote rune
	start := -1
	flush := func(i int) {
		if start >= 0 {
			out = append(out, expr[start:i])
			start = -1
		}
	}
	for i, c := range expr {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			flush(i)
			quote = c
		case c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || start >= 0 && c >= '0' && c <= '9':
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(expr))
	return out
}
