package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/naming/resolver"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/zhbase/zhbase/services/kit/server"
)

// DefaultCallTimeout bounds a unary call whose context has no deadline.
const DefaultCallTimeout = 10 * time.Second

// DialOptions tunes Dial.
type DialOptions struct {
	// ProtoServices are the full names of the gRPC services reached through
	// this connection; their methods bound to HTTP GET are retried on
	// UNAVAILABLE (they are idempotent by the API conventions).
	ProtoServices []string
	// Creds secures the connection; plaintext when nil.
	Creds credentials.TransportCredentials
	// Extra dial options, e.g. interceptors that attach the caller identity.
	Extra []grpc.DialOption
}

// Dial connects to every registered endpoint of service, round-robin.
func Dial(cli *clientv3.Client, service string, o DialOptions) (*grpc.ClientConn, error) {
	b, err := resolver.NewBuilder(cli)
	if err != nil {
		return nil, fmt.Errorf("etcd resolver: %w", err)
	}
	return DialTarget("etcd:///"+Target(service), o, grpc.WithResolvers(b))
}

// DialTarget dials any gRPC target with the kit's client options; Dial uses
// it with the etcd resolver, tests and tools with a fixed address.
func DialTarget(target string, o DialOptions, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	sc, err := ServiceConfig(o.ProtoServices)
	if err != nil {
		return nil, err
	}
	creds := o.Creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(sc),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithChainUnaryInterceptor(deadlineInterceptor),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time: server.KeepaliveClientTime, Timeout: server.KeepaliveTimeout, PermitWithoutStream: true,
		}),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(server.MaxSendMsgSize),
			grpc.MaxCallSendMsgSize(server.MaxRecvMsgSize),
		),
	}
	opts = append(opts, extra...)
	opts = append(opts, o.Extra...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

func deadlineInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

type methodName struct {
	Service string `json:"service"`
	Method  string `json:"method,omitempty"`
}

type retryPolicy struct {
	MaxAttempts          int      `json:"maxAttempts"`
	InitialBackoff       string   `json:"initialBackoff"`
	MaxBackoff           string   `json:"maxBackoff"`
	BackoffMultiplier    float64  `json:"backoffMultiplier"`
	RetryableStatusCodes []string `json:"retryableStatusCodes"`
}

type methodConfig struct {
	Name        []methodName `json:"name"`
	RetryPolicy *retryPolicy `json:"retryPolicy,omitempty"`
}

// ServiceConfig builds the gRPC service config: round-robin, and a retry
// policy for every method of services that is bound to HTTP GET.
func ServiceConfig(services []string) (string, error) {
	var idempotent []methodName
	for _, name := range services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return "", fmt.Errorf("service %s is not linked into this binary: %w", name, err)
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			return "", fmt.Errorf("%s is not a service", name)
		}
		for i := 0; i < sd.Methods().Len(); i++ {
			m := sd.Methods().Get(i)
			rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
			if rule.GetGet() != "" && !m.IsStreamingServer() {
				idempotent = append(idempotent, methodName{Service: name, Method: string(m.Name())})
			}
		}
	}
	cfg := struct {
		LoadBalancingConfig []map[string]any `json:"loadBalancingConfig"`
		MethodConfig        []methodConfig   `json:"methodConfig,omitempty"`
	}{LoadBalancingConfig: []map[string]any{{"round_robin": map[string]any{}}}}
	if len(idempotent) > 0 {
		cfg.MethodConfig = []methodConfig{{Name: idempotent, RetryPolicy: &retryPolicy{
			MaxAttempts: 4, InitialBackoff: "0.05s", MaxBackoff: "1s", BackoffMultiplier: 2,
			RetryableStatusCodes: []string{"UNAVAILABLE"},
		}}}
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}
