package population

import (
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Collections of the registry: the first part of its resource names.
const (
	PersonCollection    = "persons"
	HouseholdCollection = "households"
	AddressCollection   = "addresses" // in the spatial registry
)

// Sex is a person's sex (GB/T 2261.1-2003).
type Sex string

const (
	SexMale   Sex = "MALE"
	SexFemale Sex = "FEMALE"
)

// Sexes lists every sex.
var Sexes = []Sex{SexMale, SexFemale}

// Status is where a person stands in the registry.
type Status string

const (
	StatusActive   Status = "ACTIVE"
	StatusMovedOut Status = "MOVED_OUT"
	StatusDeceased Status = "DECEASED"
)

// Statuses lists every status.
var Statuses = []Status{StatusActive, StatusMovedOut, StatusDeceased}

// Person is one registered person (户籍人口).
type Person struct {
	// IDNumber is the key: 18 characters, or 15 digits for a legacy record
	// not yet upgraded.
	IDNumber    string   `json:"id_number"`
	Name        string   `json:"name"`
	FormerNames []string `json:"former_names,omitempty"`
	Sex         Sex      `json:"sex"`
	// BirthDate is YYYY-MM-DD.
	BirthDate string `json:"birth_date"`
	// Ethnicity is the 2-digit GB/T 3304 code.
	Ethnicity string `json:"ethnicity,omitempty"`
	// Household is the resource name households/{id}.
	Household string   `json:"household"`
	Relation  Relation `json:"relation"`
	// RegisteredAddress and ResidenceAddress are resource names of the
	// spatial registry, addresses/{id}.
	RegisteredAddress string        `json:"registered_address"`
	ResidenceAddress  string        `json:"residence_address,omitempty"`
	Phone             string        `json:"phone,omitempty"`
	Education         Education     `json:"education,omitempty"`
	MaritalStatus     MaritalStatus `json:"marital_status,omitempty"`
	Status            Status        `json:"status"`
	StatusDate        string        `json:"status_date,omitempty"`
	// UID is assigned at registration and survives ID number changes; bulk
	// readers, who see the ID number masked, tell persons apart by it.
	UID        string    `json:"uid"`
	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
	// Revision counts writes; the API shows it as the etag.
	Revision int64 `json:"revision"`

	// What a read found out besides the document; never stored in it.
	// Retired marks a tombstone; RedirectedFrom the ID number the person was
	// asked for by (a former or a 15-digit one); Version where this version
	// sits in both times.
	Retired        bool         `json:"-"`
	RedirectedFrom string       `json:"-"`
	Version        history.Info `json:"-"`
}

// PersonName is the resource name of the person with this ID number.
func PersonName(idNumber string) string { return PersonCollection + "/" + idNumber }

// Active reports whether the person is a current member of their household:
// registered, living, and not retired.
func (p *Person) Active() bool { return p.Status == StatusActive && !p.Retired }

// HouseholdType is the kind of household (户别).
type HouseholdType string

const (
	HouseholdFamily     HouseholdType = "FAMILY"
	HouseholdCollective HouseholdType = "COLLECTIVE"
)

// HouseholdTypes lists every type.
var HouseholdTypes = []HouseholdType{HouseholdFamily, HouseholdCollective}

// Household is one household (户). Its members are the persons whose
// Household names it; its head is the active member whose relation is
// HEAD. Neither is stored here, so that membership has one source of truth.
type Household struct {
	ID                string        `json:"id"`
	Number            string        `json:"number"`
	Type              HouseholdType `json:"type"`
	RegisteredAddress string        `json:"registered_address"`
	// MergedInto is the household this one was merged into (its resource
	// name); set on the tombstone a merge leaves.
	MergedInto string    `json:"merged_into,omitempty"`
	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
	Revision   int64     `json:"revision"`

	// What a read found out besides the document. Head is the ID number of
	// the head at the point read ("" when none).
	Head           string       `json:"-"`
	Retired        bool         `json:"-"`
	RedirectedFrom string       `json:"-"`
	Version        history.Info `json:"-"`
}

// HouseholdName is the resource name of the household with this id.
func HouseholdName(id string) string { return HouseholdCollection + "/" + id }
