package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
)

type identityKey struct{}

// unverifiedKey marks a request whose credential the gateway could not
// verify (none, unknown, revoked, or the exchange unreachable). It still
// goes to the service, carrying the caller's own credential: the service
// refuses it with the precise reason and, like every refusal, audits it.
type unverifiedKey struct{}

// authenticate checks the API key (X-Api-Key) or bearer token
// (Authorization: Bearer) of a REST call; a verified identity travels to
// the services as a signed assertion.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md := metadata.MD{}
		for _, h := range []string{"X-Api-Key", "Authorization"} {
			if v := r.Header.Get(h); v != "" {
				md.Set(strings.ToLower(h), v)
			}
		}
		decl := metadata.MD{}
		decl.Set(auth.MDPurpose, r.Header.Get("Zhbase-Purpose"))
		decl.Set(auth.MDCaseReference, r.Header.Get("Zhbase-Case-Reference"))
		var id auth.Identity
		var err error
		if cred := auth.Credential(md); cred == "" {
			err = errs.ErrUnauthenticated
		} else {
			id, err = g.authn.Authenticate(r.Context(), cred)
		}
		if err != nil {
			if !errors.Is(err, errs.ErrUnauthenticated) {
				g.log.WarnContext(r.Context(), "credential check failed at the gateway; the service checks again", "error", err.Error())
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), unverifiedKey{}, metadata.Join(md, decl))))
			return
		}
		id.Service = ""
		id.Purpose, id.CaseReference = auth.Declarations(decl)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

// forwardIdentity gives the gRPC call the identity authenticate verified,
// or else the caller's own credential for the service to judge.
func (g *Gateway) forwardIdentity(ctx context.Context, r *http.Request) metadata.MD {
	if md, ok := r.Context().Value(unverifiedKey{}).(metadata.MD); ok {
		out := metadata.MD{}
		for _, k := range []string{auth.MDAPIKey, auth.MDAuthorization} {
			if v := md.Get(k); len(v) > 0 {
				out.Set(k, v[0])
			}
		}
		purpose, caseRef := auth.Declarations(md)
		auth.SetDeclarations(out, purpose, caseRef)
		return out
	}
	id, ok := r.Context().Value(identityKey{}).(auth.Identity)
	if !ok {
		return nil
	}
	md := metadata.Pairs(auth.MDAssertion, g.signer.Sign(id))
	auth.SetDeclarations(md, id.Purpose, id.CaseReference)
	return md
}

// errorHandler answers like grpc-gateway, adding the challenge of a 401.
func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if status.Code(err) == codes.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="zhbase"`)
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}
