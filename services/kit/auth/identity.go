package auth

import (
	"context"
	"fmt"
	"regexp"
)

// Identity is a verified caller.
type Identity struct {
	// Department is the calling department's code (departments/{code}),
	// empty for a service principal.
	Department string
	// Application names the department's application the credential was
	// issued to.
	Application string
	// Credential is the resource name of the credential that was presented,
	// departments/{code}/credentials/{id}.
	Credential string
	// Service is set when the caller is a zhbase service acting for
	// itself (a reference check, the gateway authenticating a key).
	Service string
	// Admin marks the platform's administering department.
	Admin bool
	// Purpose (事由) and CaseReference are declared by the caller for one
	// call; personal-data reads need both.
	Purpose       string
	CaseReference string
}

// IsService reports whether the caller is a zhbase service.
func (id Identity) IsService() bool { return id.Service != "" }

// Principal is a short printable form for logs and audit: the department
// and application, or service:{name}.
func (id Identity) Principal() string {
	switch {
	case id.Service != "" && id.Department != "":
		return fmt.Sprintf("service:%s for %s", id.Service, id.Department)
	case id.Service != "":
		return "service:" + id.Service
	case id.Application != "":
		return id.Department + "/" + id.Application
	}
	return id.Department
}

type identityKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the caller's verified identity, if the call has one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

var departmentCode = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// CheckDepartmentCode reports whether code can name a department: 2–32
// lower-case letters, digits and hyphens, starting with a letter
// (scjgj, gaj-zhb).
func CheckDepartmentCode(code string) error {
	if !departmentCode.MatchString(code) {
		return fmt.Errorf("must be 2–32 lower-case letters, digits or hyphens starting with a letter, got %q", code)
	}
	return nil
}
