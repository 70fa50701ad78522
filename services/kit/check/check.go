// Package check holds the field checks every registry's validation shares:
// texts and dates. Each reports into an errs.Violations under the field's
// API name, so that a clerk sees every problem of a request at once. It
// holds no registry's rules.
package check

import (
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Text checks a single-line text of at most max characters: valid UTF-8,
// no control characters, present when required.
func Text(v *errs.Violations, field, s string, required bool, max int) {
	text(v, field, s, required, max, false)
}

// MultilineText is Text that also allows line breaks and tabs, for free
// descriptions such as a business scope.
func MultilineText(v *errs.Violations, field, s string, required bool, max int) {
	text(v, field, s, required, max, true)
}

func text(v *errs.Violations, field, s string, required bool, max int, multiline bool) {
	switch {
	case s == "" && required:
		v.Add(field, "is required")
	case !utf8.ValidString(s):
		v.Add(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters, got %d", max, utf8.RuneCountInString(s))
	default:
		for _, r := range s {
			if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
				v.Add(field, "contains a control character (U+%04X)", r)
				return
			}
		}
	}
}

// Date checks a YYYY-MM-DD date that may not lie after today's date in
// China at now, and returns it when valid. An empty date is reported only
// when required.
func Date(v *errs.Violations, field, s string, required bool, now time.Time) (time.Time, bool) {
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return time.Time{}, false
	}
	d, err := standard.ParseDate(s)
	if err != nil {
		v.Check(field, err)
		return time.Time{}, false
	}
	if d.After(standard.ChinaDate(now)) {
		v.Add(field, "%s is in the future", s)
		return time.Time{}, false
	}
	return d, true
}
