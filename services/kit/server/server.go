package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// Limits shared by servers and the clients that dial them (see
// services/kit/discovery): the client's keepalive interval must not be
// shorter than the server's MinTime, or the server closes the connection.
const (
	MaxRecvMsgSize      = 16 << 20
	MaxSendMsgSize      = 64 << 20
	KeepaliveMinTime    = 10 * time.Second
	KeepaliveClientTime = 30 * time.Second
	KeepaliveTimeout    = 10 * time.Second
)

// Options configures a Server.
type Options struct {
	Logger *slog.Logger
	// Creds secures the listener; plaintext when nil.
	Creds credentials.TransportCredentials
	// Extra interceptors run inside the kit's logging and recovery and
	// before its validation, e.g. authentication.
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
}

// Server is a gRPC server with the kit's interceptors, health and reflection.
type Server struct {
	grpc      *grpc.Server
	health    *health.Server
	log       *slog.Logger
	validator protovalidate.Validator
	services  []string
}

// New builds a Server. Register services on GRPC() before Serve.
func New(o Options) (*Server, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{health: health.NewServer(), log: log, validator: v}
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		// Extra interceptors (authentication, authorisation, audit) run
		// inside logging and recovery but before validation, so that an
		// unauthenticated caller learns nothing about the request rules and
		// refused invalid calls are audited too.
		grpc.ChainUnaryInterceptor(append(append([]grpc.UnaryServerInterceptor{s.unaryInterceptor}, o.Unary...), s.validateUnary)...),
		grpc.ChainStreamInterceptor(append(append([]grpc.StreamServerInterceptor{s.streamInterceptor}, o.Stream...), s.validateStream)...),
		grpc.MaxRecvMsgSize(MaxRecvMsgSize),
		grpc.MaxSendMsgSize(MaxSendMsgSize),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: KeepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * KeepaliveClientTime, Timeout: KeepaliveTimeout}),
	}
	if o.Creds != nil {
		opts = append(opts, grpc.Creds(o.Creds))
	}
	s.grpc = grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s, nil
}

// GRPC is the underlying server, for service registration.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// SetServing marks a registered service (by full proto name) as serving.
func (s *Server) SetServing(service string) {
	s.services = append(s.services, service)
	s.health.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
}

// Serve accepts connections on lis until Stop or Shutdown.
func (s *Server) Serve(lis net.Listener) error {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return s.grpc.Serve(lis)
}

// Drain marks every service NOT_SERVING, so balancers stop sending new
// calls; the first step of a graceful stop, before deregistration.
func (s *Server) Drain() {
	s.health.Shutdown()
}

// Shutdown lets in-flight calls finish until ctx ends, then cuts the rest.
func (s *Server) Shutdown(ctx context.Context) {
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("graceful stop timed out; closing remaining connections")
		s.grpc.Stop()
		<-done
	}
}
