package auth

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// ServiceCredentials makes every call on a connection carry the calling
// service's own identity, unless the call's context already carries an
// identity (OutgoingContext) or an application credential, which then
// travel instead.
func ServiceCredentials(s *Signer, service string) credentials.PerRPCCredentials {
	return &serviceCreds{signer: s, id: Identity{Service: service}}
}

// IdentityCredentials makes every call on a connection carry id, with its
// purpose and case reference: for in-process tools that act for a
// department, such as the demo data loader writing as each registry's
// provider.
func IdentityCredentials(s *Signer, id Identity) credentials.PerRPCCredentials {
	return &serviceCreds{signer: s, id: id}
}

type serviceCreds struct {
	signer *Signer
	id     Identity

	mu      sync.Mutex
	cached  string
	renewAt time.Time
}

func (c *serviceCreds) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		if len(md.Get(MDAssertion)) > 0 || Credential(md) != "" {
			return nil, nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// An assertion is reused for half its lifetime: signing per call would
	// cost more than the check it enables.
	if now := time.Now(); c.cached == "" || now.After(c.renewAt) {
		c.cached, c.renewAt = c.signer.Sign(c.id), now.Add(AssertionTTL/2)
	}
	md := map[string]string{MDAssertion: c.cached}
	if c.id.Purpose != "" {
		md[MDPurpose] = EncodeDeclaration(c.id.Purpose)
	}
	if c.id.CaseReference != "" {
		md[MDCaseReference] = EncodeDeclaration(c.id.CaseReference)
	}
	return md, nil
}

// RequireTransportSecurity is false: inside the cluster, plaintext is
// allowed unless mutual TLS is configured; assertions are short-lived and
// signed, not secret.
func (c *serviceCreds) RequireTransportSecurity() bool { return false }

// Authenticator verifies an application credential (API key or bearer
// token) and returns the identity it was issued to. The exchange service
// implements it; other processes reach it through a gRPC client.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, credential string) (Identity, error)

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, credential string) (Identity, error) {
	return f(ctx, credential)
}
