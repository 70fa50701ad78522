package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Verifier establishes who is calling a server: from a signed assertion
// (another zhbase process vouches for the caller) or from an application's
// own credential (checked by the Authenticator).
type Verifier struct {
	Signer *Signer
	// Authenticator checks API keys and bearer tokens; nil refuses them.
	Authenticator Authenticator
}

// Identify returns the verified identity of the call in ctx with its
// declared purpose and case reference. The error wraps
// errs.ErrUnauthenticated when the caller presented nothing usable.
func (v *Verifier) Identify(ctx context.Context) (Identity, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var id Identity
	switch a, cred := first(md, MDAssertion), Credential(md); {
	case a != "":
		var err error
		if id, err = v.Signer.Verify(a); err != nil {
			return Identity{}, fmt.Errorf("%w: %v", errs.ErrUnauthenticated, err)
		}
	case cred != "":
		if v.Authenticator == nil {
			return Identity{}, fmt.Errorf("%w: application credentials are not accepted here", errs.ErrUnauthenticated)
		}
		var err error
		if id, err = v.Authenticator.Authenticate(ctx, cred); err != nil {
			if errors.Is(err, errs.ErrUnauthenticated) {
				return Identity{}, err
			}
			return Identity{}, fmt.Errorf("check credential: %v: %w", err, errs.ErrUnavailable)
		}
		// An application can never present itself as a service.
		id.Service = ""
	default:
		return Identity{}, fmt.Errorf("%w: send an API key in %s or a token in %s: Bearer", errs.ErrUnauthenticated, MDAPIKey, strings.ToTitle(MDAuthorization[:1])+MDAuthorization[1:])
	}
	id.Purpose, id.CaseReference = Declarations(md)
	return id, nil
}
