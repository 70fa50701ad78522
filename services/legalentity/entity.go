package legalentity

import (
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Type is the kind of legal entity; each kind is registered by one authority.
type Type string

const (
	TypeEnterprise           Type = "ENTERPRISE"
	TypeIndividualBusiness   Type = "INDIVIDUAL_BUSINESS"
	TypeFarmersCooperative   Type = "FARMERS_COOPERATIVE"
	TypeGovernmentAgency     Type = "GOVERNMENT_AGENCY"
	TypePublicInstitution    Type = "PUBLIC_INSTITUTION"
	TypeSocialOrganization   Type = "SOCIAL_ORGANIZATION"
	TypePrivateNonEnterprise Type = "PRIVATE_NON_ENTERPRISE"
	TypeFoundation           Type = "FOUNDATION"
	TypeOther                Type = "OTHER"
)

// usccPrefix is the registration authority and organisation type (the first
// two characters of the USCC) that each type must carry under GB 32100.
var usccPrefix = map[Type]string{
	TypeEnterprise:           "91",
	TypeIndividualBusiness:   "92",
	TypeFarmersCooperative:   "93",
	TypeGovernmentAgency:     "11",
	TypePublicInstitution:    "12",
	TypeSocialOrganization:   "51",
	TypePrivateNonEnterprise: "52",
	TypeFoundation:           "53",
}

// Types lists every type, for validation messages and filters.
var Types = []Type{TypeEnterprise, TypeIndividualBusiness, TypeFarmersCooperative, TypeGovernmentAgency,
	TypePublicInstitution, TypeSocialOrganization, TypePrivateNonEnterprise, TypeFoundation, TypeOther}

// Status is the registration status (登记状态).
type Status string

const (
	StatusActive       Status = "ACTIVE"
	StatusSuspended    Status = "SUSPENDED"
	StatusRevoked      Status = "REVOKED"
	StatusDeregistered Status = "DEREGISTERED"
	StatusMovedOut     Status = "MOVED_OUT"
)

// Statuses lists every status.
var Statuses = []Status{StatusActive, StatusSuspended, StatusRevoked, StatusDeregistered, StatusMovedOut}

// LegalEntity is one registered legal entity (法人).
type LegalEntity struct {
	USCC                  string         `json:"uscc"`
	Name                  string         `json:"name"`
	FormerNames           []string       `json:"former_names,omitempty"`
	Type                  Type           `json:"type"`
	Representative        Representative `json:"representative"`
	Capital               Money          `json:"capital"`
	EstablishedOn         string         `json:"established_on,omitempty"`
	RegistrationAuthority string         `json:"registration_authority,omitempty"`
	BusinessScope         string         `json:"business_scope,omitempty"`
	IndustryCode          string         `json:"industry_code,omitempty"`
	Address               Address        `json:"address"`
	Status                Status         `json:"status"`
	StatusDate            string         `json:"status_date,omitempty"`
	// CheckCharInvalid marks an early pilot code accepted in lenient mode.
	CheckCharInvalid bool      `json:"check_char_invalid,omitempty"`
	CreateTime       time.Time `json:"create_time"`
	UpdateTime       time.Time `json:"update_time"`
	// Revision counts writes; the API shows it as the etag.
	Revision int64 `json:"revision"`

	// What a read found out besides the document; never stored in it.
	// Retired marks a tombstone; RedirectedFrom the former USCC the entity
	// was asked for by; Version where this version sits in both times.
	Retired        bool         `json:"-"`
	RedirectedFrom string       `json:"-"`
	Version        history.Info `json:"-"`
}

// Representative is the natural person who represents the entity (法定代表人).
type Representative struct {
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
}

// Money is a decimal amount in a currency.
type Money struct {
	Amount   string `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Address is a written address with its division code.
type Address struct {
	Text         string `json:"text,omitempty"`
	DivisionCode string `json:"division_code,omitempty"`
}

// ResourceName is the API name of the entity with this USCC.
func ResourceName(uscc string) string { return "legalEntities/" + uscc }
