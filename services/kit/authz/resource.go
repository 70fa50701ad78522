package authz

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// SharingClass is a catalogue item's sharing class under the 2016 interim
// measures on government information sharing.
type SharingClass int

const (
	// NotShared (不予共享) items are seen by their provider only; the
	// catalogue must cite the legal basis.
	NotShared SharingClass = iota
	// Conditional (有条件共享) items need an approved, live grant.
	Conditional
	// Unconditional (无条件共享) items are seen by every member.
	Unconditional
)

func (c SharingClass) String() string {
	switch c {
	case Unconditional:
		return "UNCONDITIONAL"
	case Conditional:
		return "CONDITIONAL"
	}
	return "NOT_SHARED"
}

// Resource describes one resource type a registry holds, for the
// catalogue and for field-level filtering.
type Resource struct {
	// Registry is the registry's target name (population).
	Registry string
	// Type is the resource message (zhbase.population.v1.Person).
	Type protoreflect.FullName
	// Title is the catalogue's name of the resource (人口基本信息).
	Title string
	// Split lists message-typed fields whose sub-fields are catalogued
	// (and filtered) one by one, e.g. legal_representative, whose name is
	// public and whose ID number is personal.
	Split []string
	// Personal lists the items that are personal information (个人信息);
	// a read that returns any of them needs a purpose and a case reference.
	Personal []string
	// NameReveals is the item the resource name spells out
	// (persons/{id_number}); a caller who may not see it gets MaskName of
	// the name instead.
	NameReveals string
	MaskName    func(name string) string
	// Searches maps each parameter of the resource's Search method to the
	// items it matches: a search on an item the caller may not see would
	// tell it who has which value, so the parameter is refused.
	Searches map[string][]string
	// Division returns the administrative division code an object lies in,
	// for division-scoped grants; nil when the resource has none, in which
	// case scoped grants never cover it.
	Division func(ctx context.Context, m proto.Message) (string, error)

	// items caches Items for the enforcer's hot path; set by New.
	items []Item
}

// itemList is Items, computed once when the enforcer was built.
func (r *Resource) itemList() []Item {
	if r.items != nil {
		return r.items
	}
	return r.Items()
}

// Metadata are the fields every caller who may read a resource sees: what
// identifies and versions a record, never its content.
var Metadata = map[string]bool{
	"name": true, "uid": true, "create_time": true, "update_time": true,
	"etag": true, "retired": true, "redirected_from": true, "version": true,
}

// Item is one catalogued data item of a resource.
type Item struct {
	// Path is the field's proto name, or parent.child for split fields.
	Path     string
	Personal bool
}

// Descriptor is the resource's message descriptor.
func (r Resource) Descriptor() protoreflect.MessageDescriptor {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(r.Type)
	if err != nil {
		panic("authz: resource type " + string(r.Type) + " is not linked in: " + err.Error())
	}
	return d.(protoreflect.MessageDescriptor)
}

// Items lists the resource's data items in field order: every field but
// the metadata, with split fields replaced by their sub-fields.
func (r Resource) Items() []Item {
	personal := map[string]bool{}
	for _, p := range r.Personal {
		personal[p] = true
	}
	split := map[string]bool{}
	for _, s := range r.Split {
		split[s] = true
	}
	var out []Item
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		name := string(f.Name())
		if Metadata[name] {
			continue
		}
		if split[name] && f.Message() != nil {
			sub := f.Message().Fields()
			for j := range sub.Len() {
				sf := sub.Get(j)
				path := name + "." + string(sf.Name())
				out = append(out, Item{Path: path, Personal: personal[path]})
			}
			continue
		}
		out = append(out, Item{Path: name, Personal: personal[name]})
	}
	return out
}
