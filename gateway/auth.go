package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
)

type identityKey struct{}

// authenticate admits a REST call only with a valid API key (X-Api-Key)
// or bearer token (Authorization: Bearer); the verified identity then
// travels to the services as a signed assertion.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md := metadata.MD{}
		for _, h := range []string{"X-Api-Key", "Authorization"} {
			if v := r.Header.Get(h); v != "" {
				md.Set(strings.ToLower(h), v)
			}
		}
		cred := auth.Credential(md)
		if cred == "" {
			g.refuse(w, codes.Unauthenticated, "send an API key in X-Api-Key or a bearer token in Authorization")
			return
		}
		id, err := g.authn.Authenticate(r.Context(), cred)
		switch {
		case errors.Is(err, errs.ErrUnauthenticated):
			g.refuse(w, codes.Unauthenticated, err.Error())
			return
		case err != nil:
			g.log.ErrorContext(r.Context(), "credential check failed", "error", err.Error())
			g.refuse(w, codes.Unavailable, "credentials cannot be checked right now; retry shortly")
			return
		}
		id.Service = ""
		md = metadata.MD{}
		md.Set(auth.MDPurpose, r.Header.Get("Zhbase-Purpose"))
		md.Set(auth.MDCaseReference, r.Header.Get("Zhbase-Case-Reference"))
		id.Purpose, id.CaseReference = auth.Declarations(md)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

// forwardIdentity gives the gRPC call the identity authenticate verified.
func (g *Gateway) forwardIdentity(ctx context.Context, r *http.Request) metadata.MD {
	id, ok := r.Context().Value(identityKey{}).(auth.Identity)
	if !ok {
		return nil
	}
	md := metadata.Pairs(auth.MDAssertion, g.signer.Sign(id))
	if id.Purpose != "" {
		md.Set(auth.MDPurpose, auth.EncodeDeclaration(id.Purpose))
	}
	if id.CaseReference != "" {
		md.Set(auth.MDCaseReference, auth.EncodeDeclaration(id.CaseReference))
	}
	return md
}

// refuse answers like every other gateway error: a google.rpc.Status as
// JSON with the matching HTTP status.
func (g *Gateway) refuse(w http.ResponseWriter, code codes.Code, msg string) {
	reason := "UNAUTHENTICATED"
	httpStatus := http.StatusUnauthorized
	if code == codes.Unavailable {
		reason, httpStatus = "UNAVAILABLE", http.StatusServiceUnavailable
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="zhbase"`)
	}
	st, _ := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "zhbase"})
	body, _ := protojson.Marshal(st.Proto())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}
