package legalentity

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Field names in violations are the API's, so that a client can point at the
// offending input; they are prefixed with the request field that holds the
// entity ("legal_entity.").
const fieldPrefix = "legal_entity."

// normalize tidies what a clerk typed without changing its meaning: spaces,
// full-width characters and case in codes, and the default currency and
// status. It runs before validation so that validation judges what is stored.
func (e *LegalEntity) normalize() {
	e.USCC = standard.NormalizeUSCC(e.USCC)
	e.Name = strings.TrimSpace(e.Name)
	for i, n := range e.FormerNames {
		e.FormerNames[i] = strings.TrimSpace(n)
	}
	e.Representative.Name = strings.TrimSpace(e.Representative.Name)
	e.Representative.IDNumber = standard.NormalizeIDNumber(e.Representative.IDNumber)
	e.Capital.Amount = strings.TrimSpace(e.Capital.Amount)
	if e.Capital.Amount != "" && standard.CheckDecimalAmount(e.Capital.Amount) == nil {
		e.Capital.Amount = standard.NormalizeAmount(e.Capital.Amount)
	}
	e.Capital.Currency = strings.ToUpper(strings.TrimSpace(e.Capital.Currency))
	if e.Capital.Amount != "" && e.Capital.Currency == "" {
		e.Capital.Currency = "CNY"
	}
	e.EstablishedOn = strings.TrimSpace(e.EstablishedOn)
	e.IndustryCode = strings.ToUpper(strings.TrimSpace(e.IndustryCode))
	e.Address.Text = strings.TrimSpace(e.Address.Text)
	e.Address.DivisionCode = strings.TrimSpace(e.Address.DivisionCode)
	if e.Status == "" {
		e.Status = StatusActive
	}
	e.StatusDate = strings.TrimSpace(e.StatusDate)
}

// validate checks every rule and reports every broken one. lenient accepts a
// USCC whose only fault is its check character (early pilot codes) and
// flags the entity instead. today bounds dates that cannot lie in the future.
func (e *LegalEntity) validate(lenient bool, today time.Time) error {
	var v errs.Violations
	e.CheckCharInvalid = false
	switch err := standard.CheckUSCC(e.USCC); {
	case e.USCC == "":
		v.Add(fieldPrefix+"uscc", "is required")
	case err == nil:
	case lenient && isCheckCharOnly(err):
		e.CheckCharInvalid = true
	case isCheckCharOnly(err):
		v.Add(fieldPrefix+"uscc", "%s (an early pilot code may be accepted with lenient_check_character)", err)
	default:
		v.Check(fieldPrefix+"uscc", err)
	}
	check.Text(&v, fieldPrefix+"display_name", e.Name, true, 200)
	for i, n := range e.FormerNames {
		check.Text(&v, fmt.Sprintf("%sformer_names[%d]", fieldPrefix, i), n, true, 200)
	}
	switch prefix, known := usccPrefix[e.Type]; {
	case e.Type == "":
		v.Add(fieldPrefix+"entity_type", "is required")
	case !known && e.Type != TypeOther:
		v.Add(fieldPrefix+"entity_type", "unknown type %q", e.Type)
	case known && len(e.USCC) == 18 && !strings.HasPrefix(e.USCC, prefix):
		v.Add(fieldPrefix+"entity_type", "a USCC of type %s starts with %s, but this one starts with %s", e.Type, prefix, e.USCC[:2])
	}
	check.Text(&v, fieldPrefix+"legal_representative.name", e.Representative.Name, true, 100)
	if e.Representative.IDNumber != "" {
		v.Check(fieldPrefix+"legal_representative.id_number", standard.CheckIDNumberAt(e.Representative.IDNumber, today))
	}
	if e.Capital.Amount != "" {
		v.Check(fieldPrefix+"registered_capital.amount", standard.CheckDecimalAmount(e.Capital.Amount))
	}
	if e.Capital.Currency != "" {
		v.Check(fieldPrefix+"registered_capital.currency", standard.CheckCurrency(e.Capital.Currency))
	}
	established, ok := check.Date(&v, fieldPrefix+"establishment_date", e.EstablishedOn, true, today)
	check.Text(&v, fieldPrefix+"registration_authority", e.RegistrationAuthority, false, 200)
	check.MultilineText(&v, fieldPrefix+"business_scope", e.BusinessScope, false, 4000)
	if e.IndustryCode != "" {
		v.Check(fieldPrefix+"industry_code", standard.CheckIndustryCode(e.IndustryCode))
	}
	check.Text(&v, fieldPrefix+"registered_address.text", e.Address.Text, false, 300)
	if e.Address.DivisionCode != "" {
		v.Check(fieldPrefix+"registered_address.division_code", standard.CheckDivisionCode(e.Address.DivisionCode))
	}
	if !knownStatus(e.Status) {
		v.Add(fieldPrefix+"status", "unknown status %q", e.Status)
	}
	if e.StatusDate == "" && e.Status != StatusActive && knownStatus(e.Status) {
		v.Add(fieldPrefix+"status_date", "is required when the status is %s", e.Status)
	}
	if d, sok := check.Date(&v, fieldPrefix+"status_date", e.StatusDate, false, today); sok && ok && d.Before(established) {
		v.Add(fieldPrefix+"status_date", "%s is before the establishment date %s", e.StatusDate, e.EstablishedOn)
	}
	return v.Err()
}

func isCheckCharOnly(err error) bool {
	var p *standard.Problem
	return errors.As(err, &p) && p.CheckCharOnly
}

func knownStatus(s Status) bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}
