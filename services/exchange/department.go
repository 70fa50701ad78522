package exchange

import (
	"net/mail"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/population"
)

// DepartmentStatus says whether a department may use the platform.
type DepartmentStatus string

const (
	// DepartmentActive departments' credentials authenticate.
	DepartmentActive DepartmentStatus = "ACTIVE"
	// DepartmentSuspended departments are refused until made active again
	// (暂停): their credentials stop authenticating and the registries
	// refuse them.
	DepartmentSuspended DepartmentStatus = "SUSPENDED"
)

// DepartmentStatuses lists the statuses, for filters.
var DepartmentStatuses = []DepartmentStatus{DepartmentActive, DepartmentSuspended}

// Department is a department admitted to the platform (准入单位).
type Department struct {
	// Code names the department, departments/{code}.
	Code        string
	DisplayName string
	Contact     Contact
	Status      DepartmentStatus
	// Admin marks the platform's administering department.
	Admin     bool
	RateLimit RateLimit
	// Division is the division a subdistrict office or town government
	// serves; empty for district-wide departments.
	Division   string
	CreateTime time.Time
	UpdateTime time.Time
}

// Contact is whom the platform's operators call about a department.
type Contact struct {
	Person string
	Phone  string
	Email  string
}

// RateLimit is a department's token bucket; zero values mean the
// platform's default.
type RateLimit struct {
	RequestsPerSecond int32
	Burst             int32
}

// DepartmentName is the resource name of a department.
func DepartmentName(code string) string { return "departments/" + code }

// Active reports whether the department may use the platform.
func (d *Department) Active() bool { return d.Status == DepartmentActive }

// Field limits of a department.
const (
	maxDisplayName   = 100
	maxContactPerson = 50
	maxEmail         = 254
	maxRate          = 100000
)

func (d *Department) normalize() {
	d.Code = strings.TrimSpace(d.Code)
	d.DisplayName = strings.TrimSpace(d.DisplayName)
	d.Contact.Person = strings.TrimSpace(d.Contact.Person)
	d.Contact.Phone = strings.TrimSpace(d.Contact.Phone)
	d.Contact.Email = strings.TrimSpace(d.Contact.Email)
	d.Division = strings.TrimSpace(d.Division)
	if d.Status == "" {
		d.Status = DepartmentActive
	}
}

// validate reports every bad field of the department under prefix
// ("department.").
func (d *Department) validate(prefix string) error {
	var v errs.Violations
	v.Check(prefix+"code", auth.CheckDepartmentCode(d.Code))
	check.Text(&v, prefix+"display_name", d.DisplayName, true, maxDisplayName)
	check.Text(&v, prefix+"contact.person", d.Contact.Person, false, maxContactPerson)
	if d.Contact.Phone != "" {
		v.Check(prefix+"contact.phone", population.CheckPhone(d.Contact.Phone))
	}
	if e := d.Contact.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > maxEmail {
			v.Add(prefix+"contact.email", "must be a plain e-mail address such as zhangsan@zh.gov.cn, got %q", e)
		}
	}
	switch d.Status {
	case DepartmentActive, DepartmentSuspended:
	default:
		v.Add(prefix+"status", "must be ACTIVE or SUSPENDED, got %q", d.Status)
	}
	if r := d.RateLimit.RequestsPerSecond; r < 0 || r > maxRate {
		v.Add(prefix+"rate_limit.requests_per_second", "must be between 0 (the platform default) and %d, got %d", maxRate, r)
	}
	if b := d.RateLimit.Burst; b < 0 || b > maxRate {
		v.Add(prefix+"rate_limit.burst", "must be between 0 (as many as requests_per_second) and %d, got %d", maxRate, b)
	}
	if d.Division != "" {
		v.Check(prefix+"division", standard.CheckDivisionCode(d.Division))
	}
	return v.Err()
}

// departmentUpdatable maps each updatable API field path to how it is
// copied. The code is the department's identity and never changes.
var departmentUpdatable = map[string]func(dst, src *Department){
	"display_name":                   func(d, s *Department) { d.DisplayName = s.DisplayName },
	"contact":                        func(d, s *Department) { d.Contact = s.Contact },
	"contact.person":                 func(d, s *Department) { d.Contact.Person = s.Contact.Person },
	"contact.phone":                  func(d, s *Department) { d.Contact.Phone = s.Contact.Phone },
	"contact.email":                  func(d, s *Department) { d.Contact.Email = s.Contact.Email },
	"status":                         func(d, s *Department) { d.Status = s.Status },
	"admin":                          func(d, s *Department) { d.Admin = s.Admin },
	"rate_limit":                     func(d, s *Department) { d.RateLimit = s.RateLimit },
	"rate_limit.requests_per_second": func(d, s *Department) { d.RateLimit.RequestsPerSecond = s.RateLimit.RequestsPerSecond },
	"rate_limit.burst":               func(d, s *Department) { d.RateLimit.Burst = s.RateLimit.Burst },
	"division":                       func(d, s *Department) { d.Division = s.Division },
}
