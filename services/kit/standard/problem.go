package standard

import "fmt"

// Problem is the only error type the package returns. It carries a reason
// instead of being compared against sentinels, because callers show the
// reason to people rather than branch on it; the one distinction callers do
// branch on has its own field.
type Problem struct {
	// Reason is a plain-language sentence without the field name, such as
	// "must be 18 characters, got 17".
	Reason string
	// CheckCharOnly is true when the value is well-formed in every respect
	// except its check character. Early pilot unified social credit codes
	// were issued with wrong check characters and are still in circulation,
	// so callers may choose to accept such codes with a warning.
	CheckCharOnly bool
}

func (p *Problem) Error() string { return p.Reason }

func problemf(format string, args ...any) *Problem {
	return &Problem{Reason: fmt.Sprintf(format, args...)}
}
