package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestDomainErrorsMapToCodesAndReasons(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		code   codes.Code
		reason string
	}{
		{"invalid is INVALID_ARGUMENT", errs.Field("legal_entity.uscc", "bad"), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"not found is NOT_FOUND through wrapping", fmt.Errorf("get: %w", errs.NotFound("legalEntities/X")), codes.NotFound, "NOT_FOUND"},
		{"already exists", errs.AlreadyExists("legalEntities/X"), codes.AlreadyExists, "ALREADY_EXISTS"},
		{"a concurrent change is ABORTED", fmt.Errorf("etag: %w", errs.ErrConflict), codes.Aborted, "ETAG_MISMATCH"},
		{"failed precondition", errs.ErrFailedPrecondition, codes.FailedPrecondition, "FAILED_PRECONDITION"},
		{"unauthenticated", errs.ErrUnauthenticated, codes.Unauthenticated, "UNAUTHENTICATED"},
		{"permission denied", errs.ErrPermissionDenied, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"rate limited", errs.ErrExhausted, codes.ResourceExhausted, "RATE_LIMITED"},
		{"a deadline is DEADLINE_EXCEEDED", fmt.Errorf("query: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "DEADLINE_EXCEEDED"},
		{"anything else is INTERNAL", errors.New("disk on fire"), codes.Internal, "INTERNAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ToStatus(context.Background(), slog.New(slog.DiscardHandler), "/m", tt.err)
			if st.Code() != tt.code {
				t.Fatalf("code = %v, want %v", st.Code(), tt.code)
			}
			var got string
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					got = info.GetReason()
				}
			}
			if got != tt.reason {
				t.Fatalf("reason = %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestInvalidErrorsListEveryFieldViolation(t *testing.T) {
	err := errs.Invalid(errs.FieldViolation{Field: "a", Reason: "is required"}, errs.FieldViolation{Field: "b.c", Reason: "too long"})
	st := ToStatus(context.Background(), slog.New(slog.DiscardHandler), "/m", err)
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField()+"="+v.GetDescription())
			}
		}
	}
	if strings.Join(fields, ",") != "a=is required,b.c=too long" {
		t.Fatalf("field violations = %v", fields)
	}
}

func TestInternalErrorsAreLoggedInFullAndReturnedWithout(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	st := ToStatus(context.Background(), log, "/zhbase.X/Get", errors.New("pq: relation secret_table does not exist"))
	if strings.Contains(st.Message(), "secret_table") {
		t.Fatalf("internal detail leaked to the caller: %q", st.Message())
	}
	if !strings.Contains(logs.String(), "secret_table") {
		t.Fatalf("internal detail missing from the log: %q", logs.String())
	}
}

func TestStatusErrorsPassThroughUnchanged(t *testing.T) {
	in := status.Error(codes.Unavailable, "down")
	if st := ToStatus(context.Background(), slog.New(slog.DiscardHandler), "/m", in); st.Code() != codes.Unavailable || st.Message() != "down" {
		t.Fatalf("status = %v", st)
	}
}
