package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
)

func TestUnaryInterceptor(t *testing.T) {
	var logs bytes.Buffer
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity"}
	ok := func(ctx context.Context, req any) (any, error) { return &legalentityv1.LegalEntity{}, nil }

	t.Run("a request breaking a proto rule never reaches the handler", func(t *testing.T) {
		called := false
		// The whole chain as the server runs it: log and recover outside,
		// validation innermost.
		_, err := s.unaryInterceptor(context.Background(), &legalentityv1.GetLegalEntityRequest{}, info,
			func(ctx context.Context, req any) (any, error) {
				return s.validateUnary(ctx, req, info, func(ctx context.Context, req any) (any, error) { called = true; return nil, nil })
			})
		if status.Code(err) != codes.InvalidArgument || called {
			t.Fatalf("err = %v, handler called = %v", err, called)
		}
	})
	t.Run("a panic becomes INTERNAL and is logged", func(t *testing.T) {
		_, err := s.unaryInterceptor(context.Background(), &legalentityv1.GetLegalEntityRequest{Name: "legalEntities/X"}, info,
			func(ctx context.Context, req any) (any, error) { panic("boom") })
		if status.Code(err) != codes.Internal || !strings.Contains(logs.String(), "panic in handler") {
			t.Fatalf("err = %v, logs = %s", err, logs.String())
		}
	})
	t.Run("the request log names method and code but not the payload", func(t *testing.T) {
		logs.Reset()
		secret := "legalEntities/330211195703087552"
		if _, err := s.unaryInterceptor(context.Background(), &legalentityv1.GetLegalEntityRequest{Name: secret}, info, ok); err != nil {
			t.Fatal(err)
		}
		line := logs.String()
		if !strings.Contains(line, "GetLegalEntity") || !strings.Contains(line, "code=OK") || strings.Contains(line, "330211195703087552") {
			t.Fatalf("log line = %q", line)
		}
	})
}
