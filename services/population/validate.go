package population

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Field names in violations are the API's, prefixed with the request field
// that holds the record, so that a client can point at the offending input.
const (
	personPrefix    = "person."
	householdPrefix = "household."
)

// startOfDay is the instant a Beijing calendar date (as ParseDate returns
// it) begins: a person born on 1 May was alive from 00:00 Beijing time,
// which is still 30 April in UTC.
func startOfDay(date time.Time) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, standard.ChinaTime)
}

// isLegacyIDNumber reports a 15-digit number of the pre-1999 format.
func isLegacyIDNumber(id string) bool { return len(id) == 15 && allDigits(id) }

// normalize tidies what a clerk typed without changing its meaning, before
// validation judges what will be stored: blanks, full-width characters,
// the spelling of phone numbers, the default status. A 15-digit ID number
// is upgraded unless legacy asks to keep it; sex and birth date, when left
// out, are taken from a readable ID number.
func (p *Person) normalize(legacy bool) {
	p.IDNumber = standard.NormalizeIDNumber(p.IDNumber)
	if isLegacyIDNumber(p.IDNumber) && !legacy {
		if up, err := standard.UpgradeIDNumber(p.IDNumber); err == nil {
			p.IDNumber = up
		}
	}
	p.Name = strings.TrimSpace(p.Name)
	for i, n := range p.FormerNames {
		p.FormerNames[i] = strings.TrimSpace(n)
	}
	p.BirthDate = strings.TrimSpace(p.BirthDate)
	if info, err := standard.ParseIDNumber(p.IDNumber); err == nil {
		if p.Sex == "" {
			p.Sex = sexOf(info)
		}
		if p.BirthDate == "" {
			p.BirthDate = info.Birth.Format(time.DateOnly)
		}
	}
	p.Ethnicity = strings.TrimSpace(p.Ethnicity)
	p.Household = strings.TrimSpace(p.Household)
	p.RegisteredAddress = strings.TrimSpace(p.RegisteredAddress)
	p.ResidenceAddress = strings.TrimSpace(p.ResidenceAddress)
	if strings.TrimSpace(p.Phone) != "" {
		p.Phone = NormalizePhone(p.Phone)
	} else {
		p.Phone = ""
	}
	if p.Status == "" {
		p.Status = StatusActive
	}
	p.StatusDate = strings.TrimSpace(p.StatusDate)
}

func sexOf(info standard.IDInfo) Sex {
	if info.Male {
		return SexMale
	}
	return SexFemale
}

// validate adds every broken rule of the record itself to v: what can be
// judged without reading other records. legacy accepts a 15-digit ID
// number. today bounds dates that cannot lie in the future.
func (p *Person) validate(v *errs.Violations, legacy bool, today time.Time) {
	var info *standard.IDInfo
	switch {
	case p.IDNumber == "":
		v.Add(personPrefix+"id_number", "is required")
	case isLegacyIDNumber(p.IDNumber) && !legacy:
		// Only a number whose upgrade failed is still 15 digits here.
		_, err := standard.UpgradeIDNumber(p.IDNumber)
		v.Check(personPrefix+"id_number", err)
	default:
		if err := checkIDNumber(p.IDNumber, today); err != nil {
			v.Check(personPrefix+"id_number", err)
			break
		}
		i, _ := standard.ParseIDNumberAt(p.IDNumber, today) // checked above
		info = &i
	}
	check.Text(v, personPrefix+"display_name", p.Name, true, 100)
	for i, n := range p.FormerNames {
		check.Text(v, fmt.Sprintf("%sformer_names[%d]", personPrefix, i), n, true, 100)
	}
	switch {
	case p.Sex == "":
		v.Add(personPrefix+"sex", "is required")
	case p.Sex != SexMale && p.Sex != SexFemale:
		v.Add(personPrefix+"sex", "unknown sex %q", p.Sex)
	case info != nil && p.Sex != sexOf(*info):
		parity := "odd, which is male"
		if !info.Male {
			parity = "even, which is female"
		}
		v.Add(personPrefix+"sex", "%s disagrees with the ID number, whose sequence number is %s", p.Sex, parity)
	}
	birth, birthOK := check.Date(v, personPrefix+"birth_date", p.BirthDate, true, today)
	if birthOK && info != nil && !birth.Equal(info.Birth) {
		v.Add(personPrefix+"birth_date", "%s disagrees with the ID number, which encodes %s", p.BirthDate, info.Birth.Format(time.DateOnly))
	}
	if p.Ethnicity == "" {
		v.Add(personPrefix+"ethnicity", "is required: the 2-digit GB/T 3304 code, e.g. 01 for 汉族")
	} else if _, ok := EthnicityName(p.Ethnicity); !ok {
		v.Add(personPrefix+"ethnicity", "%q is not a GB/T 3304 code: use 01 (汉族) to 56 (基诺族), 97 or 98", p.Ethnicity)
	}
	checkName(v, personPrefix+"household", p.Household, HouseholdCollection, true)
	switch {
	case p.Relation == "":
		v.Add(personPrefix+"relation", "is required: the relation to the head of the household")
	case RelationCode(p.Relation) == "":
		v.Add(personPrefix+"relation", "unknown relation %q", p.Relation)
	}
	checkName(v, personPrefix+"registered_address", p.RegisteredAddress, AddressCollection, true)
	checkName(v, personPrefix+"residence_address", p.ResidenceAddress, AddressCollection, false)
	if p.Phone != "" {
		v.Check(personPrefix+"phone", CheckPhone(p.Phone))
	}
	if p.Education != "" && !knownEducation(p.Education) {
		v.Add(personPrefix+"education", "unknown education level %q", p.Education)
	}
	if p.MaritalStatus != "" && !knownMaritalStatus(p.MaritalStatus) {
		v.Add(personPrefix+"marital_status", "unknown marital status %q", p.MaritalStatus)
	}
	known := knownStatus(p.Status)
	if !known {
		v.Add(personPrefix+"status", "unknown status %q", p.Status)
	}
	switch {
	case p.StatusDate == "" && known && p.Status != StatusActive:
		v.Add(personPrefix+"status_date", "is required when the status is %s", p.Status)
	case p.StatusDate != "":
		if d, ok := check.Date(v, personPrefix+"status_date", p.StatusDate, false, today); ok && birthOK && d.Before(birth) {
			v.Add(personPrefix+"status_date", "%s is before the birth date %s", p.StatusDate, p.BirthDate)
		}
	}
}

// checkIDNumber checks an 18-character number, or the body of a legacy
// 15-digit one.
func checkIDNumber(id string, today time.Time) error {
	if isLegacyIDNumber(id) {
		_, err := standard.UpgradeIDNumber(id)
		return err
	}
	return standard.CheckIDNumberAt(id, today)
}

func knownStatus(s Status) bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

func knownEducation(e Education) bool {
	for _, k := range Educations {
		if e == k.Education {
			return true
		}
	}
	return false
}

func knownMaritalStatus(m MaritalStatus) bool {
	for _, k := range MaritalStatuses {
		if m == k.Status {
			return true
		}
	}
	return false
}

func knownHouseholdType(t HouseholdType) bool {
	for _, k := range HouseholdTypes {
		if t == k {
			return true
		}
	}
	return false
}

// normalize tidies a household as typed.
func (h *Household) normalize() {
	h.ID = strings.TrimSpace(h.ID)
	h.Number = strings.TrimSpace(h.Number)
	h.RegisteredAddress = strings.TrimSpace(h.RegisteredAddress)
}

// validate adds every broken rule of the household itself to v.
func (h *Household) validate(v *errs.Violations) {
	if err := CheckHouseholdID(h.ID); err != nil {
		v.Check("household_id", err)
	}
	switch {
	case h.Number == "":
		v.Add(householdPrefix+"household_number", "is required")
	case len(h.Number) > 20:
		v.Add(householdPrefix+"household_number", "must be at most 20 characters, got %d", utf8.RuneCountInString(h.Number))
	default:
		for _, r := range h.Number {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				v.Add(householdPrefix+"household_number", "may hold only letters and digits, not %q", r)
				break
			}
		}
	}
	switch {
	case h.Type == "":
		v.Add(householdPrefix+"household_type", "is required: FAMILY (家庭户) or COLLECTIVE (集体户)")
	case !knownHouseholdType(h.Type):
		v.Add(householdPrefix+"household_type", "unknown type %q", h.Type)
	}
	checkName(v, householdPrefix+"registered_address", h.RegisteredAddress, AddressCollection, true)
}

// CheckHouseholdID checks the {id} of a household's name (AIP-122): lower-case
// letters, digits and hyphens, at most 63, beginning and ending with a
// letter or digit.
func CheckHouseholdID(id string) error {
	switch {
	case id == "":
		return errors.New("is required")
	case len(id) > 63:
		return fmt.Errorf("must be at most 63 characters, got %d", len(id))
	case id[0] == '-' || id[len(id)-1] == '-':
		return errors.New("must begin and end with a letter or digit")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("may hold only lower-case letters, digits and hyphens, not %q", r)
		}
	}
	return nil
}

// checkName checks that s is a resource name of collection; whether the
// resource exists is for the caller to check.
func checkName(v *errs.Violations, field, s, collection string, required bool) {
	if s == "" {
		if required {
			v.Add(field, "is required: a resource name such as %s/{id}", collection)
		}
		return
	}
	id, ok := strings.CutPrefix(s, collection+"/")
	if !ok || id == "" || strings.ContainsAny(id, "/ \t\n") {
		v.Add(field, "must look like %s/{id}, got %q", collection, s)
	}
}
