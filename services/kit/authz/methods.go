package authz

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Kind says whether a method reads or changes a registry.
type Kind int

const (
	Read Kind = iota
	Write
)

func (k Kind) String() string {
	if k == Write {
		return "WRITE"
	}
	return "READ"
}

// Method is how authorisation sees one registry method.
type Method struct {
	// FullMethod is the gRPC method, /zhbase.population.v1.PopulationService/GetPerson.
	FullMethod string
	Registry   string
	Kind       Kind
	// Types are the resource types the method reads or writes.
	Types []protoreflect.FullName
	// Streaming methods send many responses.
	Streaming bool
	// HTTP is the REST binding, "GET /v1/{name=persons/*}", when there is one.
	HTTP string
	// Derived methods return figures computed over records (totals by
	// division), not records: nothing in their answer can be filtered.
	Derived bool
}

// writePrefixes name the methods that change a registry; every other
// method of a registry reads. A method whose name fits neither is still a
// read, which is the safe reading: it can only return filtered data.
var writePrefixes = []string{"Create", "BatchCreate", "Update", "Delete", "Rename", "Merge", "Import", "Undelete"}

// Methods lists every method of the registry services, with the resource
// types each one touches: those its response can carry, or failing that,
// those whose name the method's name contains (AggregateBuildings).
func Methods(services map[string]string, resources []Resource) ([]Method, error) {
	types := map[protoreflect.FullName]Resource{}
	for _, r := range resources {
		types[r.Type] = r
	}
	var out []Method
	for registry, service := range services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
		if err != nil {
			return nil, fmt.Errorf("registry %s: service %s is not linked in: %w", registry, service, err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		for i := range sd.Methods().Len() {
			md := sd.Methods().Get(i)
			m := Method{
				FullMethod: "/" + string(sd.FullName()) + "/" + string(md.Name()),
				Registry:   registry,
				Streaming:  md.IsStreamingServer() || md.IsStreamingClient(),
				HTTP:       httpRule(md),
			}
			for _, p := range writePrefixes {
				if strings.HasPrefix(string(md.Name()), p) {
					m.Kind = Write
				}
			}
			seen := map[protoreflect.FullName]bool{}
			reachable(md.Output(), types, seen, map[protoreflect.FullName]bool{})
			if len(seen) == 0 {
				m.Derived = true
				for t, r := range types {
					if r.Registry == registry && strings.Contains(string(md.Name()), string(t.Name())) {
						seen[t] = true
					}
				}
			}
			if len(seen) == 0 {
				return nil, fmt.Errorf("method %s touches no known resource type: describe it in the registry's resources", m.FullMethod)
			}
			for t := range seen {
				m.Types = append(m.Types, t)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// reachable collects the resource types a message can contain.
func reachable(md protoreflect.MessageDescriptor, types map[protoreflect.FullName]Resource, found, visited map[protoreflect.FullName]bool) {
	if visited[md.FullName()] {
		return
	}
	visited[md.FullName()] = true
	if _, ok := types[md.FullName()]; ok {
		found[md.FullName()] = true
		return
	}
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsMap() {
			f = f.MapValue()
		}
		if f.Message() != nil {
			reachable(f.Message(), types, found, visited)
		}
	}
}
