package cluster

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/kit/auth"
)

// registryFeed reads every registry's change feed (List…Changes) as a
// department, so that the registry's enforcer filters each event to what
// that department may see and audits the read.
type registryFeed struct {
	signer  *auth.Signer
	conns   map[string]*grpc.ClientConn
	methods map[string]protoreflect.MethodDescriptor
}

func newRegistryFeed(signer *auth.Signer, conns map[string]*grpc.ClientConn) (*registryFeed, error) {
	f := &registryFeed{signer: signer, conns: conns, methods: map[string]protoreflect.MethodDescriptor{}}
	for _, r := range registries {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(r.protoService))
		if err != nil {
			return nil, fmt.Errorf("feed of %s: %w", r.name, err)
		}
		ms := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range ms.Len() {
			m := ms.Get(i)
			if n := string(m.Name()); strings.HasPrefix(n, "List") && strings.HasSuffix(n, "Changes") {
				f.methods[r.name] = m
			}
		}
		if f.methods[r.name] == nil {
			return nil, fmt.Errorf("registry %s has no List…Changes method", r.name)
		}
	}
	return f, nil
}

// read calls registry's List…Changes after after, for at most max, as the
// subscribing department under the purpose and case reference it declared.
func (f *registryFeed) read(ctx context.Context, r subscription.Reader, registry string, after int64, max int) (protoreflect.Message, error) {
	md, ok := f.methods[registry]
	conn := f.conns[registry]
	if !ok || conn == nil {
		return nil, fmt.Errorf("registry %s has no feed here", registry)
	}
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil, err
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, err
	}
	req, resp := in.New(), out.New()
	req.Set(md.Input().Fields().ByName("after_sequence"), protoreflect.ValueOfInt64(after))
	req.Set(md.Input().Fields().ByName("max"), protoreflect.ValueOfInt32(int32(min(max, 1000))))
	ctx = auth.OutgoingContext(ctx, f.signer, auth.Identity{Department: r.Department, Purpose: r.Purpose, CaseReference: r.CaseReference})
	method := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	if err := conn.Invoke(ctx, method, req.Interface(), resp.Interface()); err != nil {
		return nil, fmt.Errorf("read the %s feed: %w", registry, err)
	}
	return resp, nil
}

// Head implements subscription.Feed.
func (f *registryFeed) Head(ctx context.Context, r subscription.Reader, registry string) (int64, error) {
	resp, err := f.read(ctx, r, registry, 0, 1)
	if err != nil {
		return 0, err
	}
	return resp.Get(resp.Descriptor().Fields().ByName("head_sequence")).Int(), nil
}

// Changes implements subscription.Feed.
func (f *registryFeed) Changes(ctx context.Context, r subscription.Reader, registry string, after int64, max int) ([]subscription.Change, error) {
	resp, err := f.read(ctx, r, registry, after, max)
	if err != nil {
		return nil, err
	}
	list := resp.Get(resp.Descriptor().Fields().ByName("changes")).List()
	out := make([]subscription.Change, 0, list.Len())
	for i := range list.Len() {
		c := list.Get(i).Message()
		fields := c.Descriptor().Fields()
		body, err := protojson.Marshal(c.Interface())
		if err != nil {
			return nil, err
		}
		out = append(out, subscription.Change{
			Sequence: c.Get(fields.ByName("sequence")).Int(),
			Names:    []string{c.Get(fields.ByName("name")).String()},
			Body:     body,
		})
	}
	return out, nil
}
