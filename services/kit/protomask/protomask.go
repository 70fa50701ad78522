// Package protomask applies and checks field masks (AIP-157 read masks,
// AIP-134 update masks) on any proto message by reflection, so that no
// handler writes its own field-by-field copy. It never touches storage.
package protomask

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Check verifies that every path names a field of msg's type (by proto
// field name, dotted through sub-messages). "*" is accepted alone. field is
// the request field reported in the violation, e.g. "read_mask".
func Check(msg proto.Message, paths []string, field string) error {
	d := msg.ProtoReflect().Descriptor()
	var v errs.Violations
	for _, p := range paths {
		if p == "*" {
			if len(paths) > 1 {
				v.Add(field, `"*" must be the only path`)
			}
			continue
		}
		if !resolves(d, p) {
			v.Add(field, "unknown field %q", p)
		}
	}
	return v.Err()
}

func resolves(d protoreflect.MessageDescriptor, path string) bool {
	for _, part := range strings.Split(path, ".") {
		if d == nil {
			return false
		}
		fd := d.Fields().ByName(protoreflect.Name(part))
		if fd == nil {
			return false
		}
		d = nil
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			d = fd.Message()
		}
	}
	return true
}

// Apply clears every field of msg not covered by paths. Fields named in
// keep (such as "name") are always kept. Empty paths or "*" keep all.
func Apply(msg proto.Message, paths []string, keep ...string) {
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		return
	}
	tree := node{}
	for _, p := range append(paths, keep...) {
		tree.add(strings.Split(p, "."))
	}
	tree.prune(msg.ProtoReflect())
}

// node is a path trie; a leaf (nil map after a terminal) keeps everything below.
type node map[string]node

func (n node) add(parts []string) {
	child, ok := n[parts[0]]
	if len(parts) == 1 {
		n[parts[0]] = nil // a whole field: overrides any deeper paths
		return
	}
	if ok && child == nil {
		return // already kept whole
	}
	if child == nil {
		child = node{}
		n[parts[0]] = child
	}
	child.add(parts[1:])
}

func (n node) prune(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		child, ok := n[string(fd.Name())]
		switch {
		case !ok:
			m.Clear(fd)
		case child != nil && fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			child.prune(v.Message())
		}
		return true
	})
}

// Normalize rewrites each path segment given in its JSON name (displayName,
// as REST clients write it) to the proto field name (display_name). Segments
// that match neither are left alone for Check to report.
func Normalize(msg proto.Message, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		d := msg.ProtoReflect().Descriptor()
		parts := strings.Split(strings.TrimSpace(p), ".")
		for j, part := range parts {
			if d == nil {
				break
			}
			fd := d.Fields().ByName(protoreflect.Name(part))
			if fd == nil {
				fd = d.Fields().ByJSONName(part)
			}
			if fd == nil {
				break
			}
			parts[j] = string(fd.Name())
			d = nil
			if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
				d = fd.Message()
			}
		}
		out[i] = strings.Join(parts, ".")
	}
	return out
}
