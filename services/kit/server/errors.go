package server

import (
	"context"
	"errors"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// ErrorDomain is the ErrorInfo domain of every zhbase error.
const ErrorDomain = "zhbase"

// errorTable maps domain errors to gRPC codes and ErrorInfo reasons. It is
// the only place where that mapping is written; order matters only where
// one error wraps another.
var errorTable = []struct {
	err    error
	code   codes.Code
	reason string
}{
	{errs.ErrInvalid, codes.InvalidArgument, "INVALID_ARGUMENT"},
	{errs.ErrNotFound, codes.NotFound, "NOT_FOUND"},
	{errs.ErrAlreadyExists, codes.AlreadyExists, "ALREADY_EXISTS"},
	{errs.ErrConflict, codes.Aborted, "ETAG_MISMATCH"},
	{errs.ErrFailedPrecondition, codes.FailedPrecondition, "FAILED_PRECONDITION"},
	{errs.ErrUnauthenticated, codes.Unauthenticated, "UNAUTHENTICATED"},
	{errs.ErrPermissionDenied, codes.PermissionDenied, "PERMISSION_DENIED"},
	{errs.ErrExhausted, codes.ResourceExhausted, "RATE_LIMITED"},
	{errs.ErrUnavailable, codes.Unavailable, "UNAVAILABLE"},
	{context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED"},
	{context.Canceled, codes.Canceled, "CANCELLED"},
}

// CodeOf is the code ToStatus gives err, without building the status or
// logging anything: for interceptors (audit) that record outcomes before
// the error reaches the caller.
func CodeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return codes.Internal
}

// ToStatus turns an error returned by a handler into the status sent to the
// caller. Domain errors keep their message and gain an ErrorInfo (and
// BadRequest field violations when invalid); anything unknown becomes
// Internal with no detail but a reference the operator can find in the log.
func ToStatus(ctx context.Context, log *slog.Logger, method string, err error) *status.Status {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	for _, e := range errorTable {
		if !errors.Is(err, e.err) {
			continue
		}
		st := status.New(e.code, err.Error())
		details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.reason, Domain: ErrorDomain}}
		var inv *errs.InvalidError
		if errors.As(err, &inv) {
			br := &errdetails.BadRequest{}
			for _, v := range inv.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Reason})
			}
			details = append(details, br)
		}
		if withDetails, derr := st.WithDetails(details...); derr == nil {
			return withDetails
		}
		return st
	}
	ref := trace.SpanContextFromContext(ctx).TraceID().String()
	log.ErrorContext(ctx, "internal error", "method", method, "error", err.Error(), "ref", ref)
	st, _ := status.New(codes.Internal, "internal error (ref "+ref+")").
		WithDetails(&errdetails.ErrorInfo{Reason: "INTERNAL", Domain: ErrorDomain, Metadata: map[string]string{"ref": ref}})
	return st
}
