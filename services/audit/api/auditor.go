package api

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/code"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/authz"
)

// Auditor is the enforcer's audit hook (authz.Auditor) writing to a Log:
// every call the enforcer sees, allowed or refused, becomes one Record.
type Auditor struct {
	Log *audit.Log
}

var _ authz.Auditor = Auditor{}

// Append records e and returns once it is committed.
func (a Auditor) Append(ctx context.Context, e authz.AuditEntry) error {
	return a.Log.Append(ctx, audit.Record{
		Department:    e.Identity.Department,
		Application:   e.Identity.Application,
		Principal:     e.Identity.Principal(),
		Purpose:       e.Identity.Purpose,
		CaseReference: e.Identity.CaseReference,
		Method:        e.Method,
		Resources:     e.Resources,
		// The canonical code names (PERMISSION_DENIED), not Go's
		// PermissionDenied.
		Result:      code.Code(e.Code).String(),
		Detail:      e.Detail,
		RequestHash: e.RequestHash,
	})
}
