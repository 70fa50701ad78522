package auth

import (
	"context"
	"net/url"
	"strings"

	"google.golang.org/grpc/metadata"
)

// gRPC metadata keys. Over REST the gateway reads X-Api-Key,
// Authorization: Bearer, Zhbase-Purpose and Zhbase-Case-Reference.
const (
	// MDAssertion carries a signed identity assertion between processes.
	MDAssertion = "zhbase-identity"
	// MDAuthorization carries "Bearer <token>" from an application.
	MDAuthorization = "authorization"
	// MDAPIKey carries an application's API key.
	MDAPIKey = "x-api-key"
	// MDPurpose and MDCaseReference carry the declared purpose (事由) and
	// case reference of one call, percent-encoded UTF-8.
	MDPurpose       = "zhbase-purpose"
	MDCaseReference = "zhbase-case-reference"
)

// MaxDeclarationLen bounds the purpose and case reference, in bytes after
// decoding.
const MaxDeclarationLen = 500

// Credential returns the application credential presented in md: an API key
// or a bearer token; empty when none.
func Credential(md metadata.MD) string {
	if v := first(md, MDAPIKey); v != "" {
		return v
	}
	if v := first(md, MDAuthorization); v != "" {
		if scheme, token, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token)
		}
	}
	return ""
}

// Declarations returns the purpose and case reference of a call.
func Declarations(md metadata.MD) (purpose, caseRef string) {
	return decode(first(md, MDPurpose)), decode(first(md, MDCaseReference))
}

func decode(v string) string {
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	v = strings.TrimSpace(v)
	if len(v) > MaxDeclarationLen {
		v = v[:MaxDeclarationLen]
	}
	return v
}

// SetDeclarations puts a purpose and a case reference into md, encoded
// for metadata; empty ones are left out.
func SetDeclarations(md metadata.MD, purpose, caseRef string) {
	if purpose != "" {
		md.Set(MDPurpose, EncodeDeclaration(purpose))
	}
	if caseRef != "" {
		md.Set(MDCaseReference, EncodeDeclaration(caseRef))
	}
}

// EncodeDeclaration percent-encodes a purpose or case reference for
// metadata, which must be printable ASCII.
func EncodeDeclaration(s string) string { return url.PathEscape(s) }

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// OutgoingContext returns ctx whose outgoing calls carry id, signed by s,
// with id's purpose and case reference. It replaces any identity ctx
// already carries.
func OutgoingContext(ctx context.Context, s *Signer, id Identity) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set(MDAssertion, s.Sign(id))
	md.Delete(MDAPIKey)
	md.Delete(MDAuthorization)
	SetDeclarations(md, id.Purpose, id.CaseReference)
	return metadata.NewOutgoingContext(ctx, md)
}
