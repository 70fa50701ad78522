package economy

import (
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Field names in violations are the API's, so that a client can point at the
// offending input; they are prefixed with the request field that holds the
// report ("report.").
const fieldPrefix = "report."

// MaxEmployees bounds a report's head count: no enterprise employs ten
// million persons, so a larger figure is a slip of the unit or the keyboard.
const MaxEmployees = 10_000_000

// normalize tidies what a clerk typed without changing its meaning: spaces
// around values, the case of the industry code, the spelling of figures.
// It runs before validation so that validation judges what is stored.
func (r *Report) normalize() {
	r.IndustryCode = strings.ToUpper(strings.TrimSpace(r.IndustryCode))
	r.DivisionCode = strings.TrimSpace(r.DivisionCode)
	for _, f := range r.figures() {
		*f.value = normalizeAmount(*f.value)
	}
}

// figure is one decimal figure of a report, with its API field and rules.
type figure struct {
	field    string
	value    *string
	required bool
	signed   bool
}

func (r *Report) figures() []figure {
	return []figure{
		{"output_value", &r.OutputValue, false, false},
		{"revenue", &r.Revenue, true, false},
		{"profit", &r.Profit, true, true},
		{"taxes_paid", &r.TaxesPaid, false, false},
		{"energy_consumption", &r.EnergyConsumption, false, false},
		{"rd_spending", &r.RDSpending, false, false},
	}
}

// check records every broken rule of the report's own fields.
func (r *Report) check(v *errs.Violations) {
	switch err := standard.CheckIndustryCode(r.IndustryCode); {
	case r.IndustryCode == "":
		v.Add(fieldPrefix+"industry_code", "is required")
	case err != nil:
		v.Check(fieldPrefix+"industry_code", err)
	case len(r.IndustryCode) < 3:
		// Totals by industry division need it, and every statistical
		// report names at least the division.
		v.Add(fieldPrefix+"industry_code", "must name at least the division (大类), e.g. %s26; got only the section %s", r.IndustryCode, r.IndustryCode)
	}
	if r.DivisionCode != "" {
		v.Check(fieldPrefix+"division_code", standard.CheckDivisionCode(r.DivisionCode))
	}
	for _, f := range r.figures() {
		switch {
		case *f.value == "" && f.required:
			v.Add(fieldPrefix+f.field, "is required")
		case *f.value != "":
			v.Check(fieldPrefix+f.field, checkAmount(*f.value, f.signed))
		}
	}
	switch {
	case r.Employees < 0:
		v.Add(fieldPrefix+"employees", "must not be negative, got %d", r.Employees)
	case r.Employees > MaxEmployees:
		v.Add(fieldPrefix+"employees", "must be at most %d persons, got %d: check the unit", MaxEmployees, r.Employees)
	}
}

// checkKey records what is wrong with a report's identifier: the USCC must
// be a valid code (the check character included: reports are filed under
// standard codes) and the period a year or month that has begun.
func checkKey(v *errs.Violations, k Key, usccField, periodField string, now time.Time) {
	// When one field holds both parts (a resource name), each reason says
	// which part it is about.
	usccPart, periodPart := "", ""
	if usccField == periodField {
		usccPart, periodPart = "the USCC: ", "the period "+k.Period+": "
	}
	switch err := standard.CheckUSCC(k.USCC); {
	case k.USCC == "":
		v.Add(usccField, "names no enterprise")
	case err != nil:
		v.Add(usccField, "%s%v", usccPart, err)
	}
	if k.Period == "" {
		v.Add(periodField, "is required")
	} else if _, err := ParsePeriod(k.Period, now); err != nil {
		v.Add(periodField, "%s%v", periodPart, err)
	}
}

// validKey checks a key read from a resource name, naming field for both
// of its parts.
func validKey(k Key, field string, now time.Time) error {
	var v errs.Violations
	checkKey(&v, k, field, field, now)
	return v.Err()
}
