package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditProtocol names the audit log's verification in errors and notes.
const AuditProtocol = "audit"

// AuditVerification is the audit log of the read cluster verified after
// the measurements: every call the enforcer saw was recorded before it was
// answered, so a bench that loses records, breaks the hash chain or
// commits records out of order under load shows here.
type AuditVerification struct {
	Chains  int
	Records int64
	// Audited counts the measured calls the enforcer answered; each left
	// a record before its answer, so Records may not be fewer (it is
	// more: seeding, warm-ups, refusals and the platform's own calls are
	// recorded too).
	Audited        int
	AnchorsChecked bool
	// Unanchored lists chains whose newest records no anchor vouches for
	// yet; not a problem, only a window in which removal goes unnoticed.
	Unanchored []string
	// Problems are the verification's findings in its one-line form.
	Problems []string
	// Took is how long the verification ran.
	Took time.Duration
}

// Check fails when the verification found a problem, or fewer records
// than calls audited.
func (a AuditVerification) Check() error {
	var errs []error
	if len(a.Problems) > 0 {
		errs = append(errs, fmt.Errorf("%s: the audit log does not verify: %d problems; first: %s", AuditProtocol, len(a.Problems), a.Problems[0]))
	}
	if a.Records < int64(a.Audited) {
		errs = append(errs, fmt.Errorf("%s: %d records verified, fewer than the %d measured calls that were audited", AuditProtocol, a.Records, a.Audited))
	}
	return errors.Join(errs...)
}

// Note is the report's line on the verification.
func (a AuditVerification) Note() string {
	outcome := "clean"
	if len(a.Problems) > 0 {
		outcome = fmt.Sprintf("%d PROBLEMS (first: %s)", len(a.Problems), a.Problems[0])
	}
	anchors := "chains compared with their etcd anchors"
	switch {
	case !a.AnchorsChecked:
		anchors = "anchors not checked"
	case len(a.Unanchored) > 0:
		anchors += "; not yet anchored: " + strings.Join(a.Unanchored, ", ")
	}
	chains := "chains"
	if a.Chains == 1 {
		chains = "chain"
	}
	return fmt.Sprintf("%s: VerifyAuditLog after the measurements, as the administering department: %d records in %d %s verified in %s, %s (%s); the %d measured calls through the enforcer need one record each, so fewer records would fail the run",
		AuditProtocol, a.Records, a.Chains, chains, a.Took.Round(time.Millisecond), outcome, anchors, a.Audited)
}

type jsonAudit struct {
	Chains         int      `json:"chains"`
	Records        int64    `json:"records_verified"`
	Audited        int      `json:"measured_calls_audited"`
	AnchorsChecked bool     `json:"anchors_checked"`
	Unanchored     []string `json:"unanchored_chains,omitempty"`
	Problems       []string `json:"problems,omitempty"`
	TookSec        float64  `json:"took_s"`
	Check          string   `json:"check"`
}
