package server

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// unaryInterceptor is the outermost link of the unary chain: log (sees the
// final code), recover (a panic becomes Internal), then map errors to
// statuses. Validation (protovalidate rules from the proto) is the
// innermost link, validateUnary.
func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "panic", p, "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
		s.logCall(ctx, info.FullMethod, start, err)
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, ToStatus(ctx, s.log, info.FullMethod, err).Err()
	}
	return resp, nil
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	start := time.Now()
	ctx := ss.Context()
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "panic in stream handler", "method", info.FullMethod, "panic", p, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
		s.logCall(ctx, info.FullMethod, start, err)
	}()
	if err := handler(srv, ss); err != nil {
		return ToStatus(ctx, s.log, info.FullMethod, err).Err()
	}
	return nil
}

func (s *Server) validateUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.validate(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) validateStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &validatingStream{ServerStream: ss, s: s})
}

type validatingStream struct {
	grpc.ServerStream
	s *Server
}

func (v *validatingStream) RecvMsg(m any) error {
	if err := v.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return v.s.validate(m)
}

func (s *Server) validate(req any) error {
	msg, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	err := s.validator.Validate(msg)
	if err == nil {
		return nil
	}
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var vs errs.Violations
	for _, v := range ve.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		reason := v.Proto.GetMessage()
		if reason == "" {
			reason = v.Proto.GetRuleId()
		}
		vs.Add(field, "%s", reason)
	}
	return vs.Err()
}

// logCall writes one line per call: method, code and duration. Never the
// payload, never the peer's personal data.
func (s *Server) logCall(ctx context.Context, method string, start time.Time, err error) {
	if strings.HasPrefix(method, "/grpc.health.v1.Health/") || strings.HasPrefix(method, "/grpc.reflection.") {
		return
	}
	code := status.Code(err)
	level := slog.LevelInfo
	switch code {
	case codes.OK, codes.NotFound, codes.InvalidArgument, codes.AlreadyExists, codes.Canceled:
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	default:
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "rpc", "method", method, "code", code.String(), "duration_ms", float64(time.Since(start).Microseconds())/1000)
}
