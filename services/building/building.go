package building

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Use is what a building is used for (房屋用途).
type Use string

const (
	UseResidential Use = "RESIDENTIAL"
	UseIndustrial  Use = "INDUSTRIAL"
	UseCommercial  Use = "COMMERCIAL"
	UsePublic      Use = "PUBLIC"
	UseMixed       Use = "MIXED"
)

// Uses lists every use.
var Uses = []Use{UseResidential, UseIndustrial, UseCommercial, UsePublic, UseMixed}

// Structure is the load-bearing structure (建筑结构).
type Structure string

const (
	StructureReinforcedConcrete Structure = "REINFORCED_CONCRETE" // 钢筋混凝土
	StructureBrickConcrete      Structure = "BRICK_CONCRETE"      // 砖混
	StructureSteel              Structure = "STEEL"               // 钢结构
	StructureTimber             Structure = "TIMBER"              // 木结构
	StructureOther              Structure = "OTHER"               // 其他
)

// Structures lists every structure type.
var Structures = []Structure{StructureReinforcedConcrete, StructureBrickConcrete, StructureSteel, StructureTimber, StructureOther}

// Rating is a safety rating (房屋安全鉴定等级, JGJ 125); D is a dangerous
// building (危房).
type Rating string

const (
	RatingA Rating = "A"
	RatingB Rating = "B"
	RatingC Rating = "C"
	RatingD Rating = "D"
)

// Ratings lists every rating.
var Ratings = []Rating{RatingA, RatingB, RatingC, RatingD}

// Status is where a building is in its life.
type Status string

const (
	StatusPlanned           Status = "PLANNED"
	StatusUnderConstruction Status = "UNDER_CONSTRUCTION"
	StatusInUse             Status = "IN_USE"
	StatusUnderRenovation   Status = "UNDER_RENOVATION"
	StatusVacant            Status = "VACANT"
	StatusDemolished        Status = "DEMOLISHED"
)

// Statuses lists every status, in life order.
var Statuses = []Status{StatusPlanned, StatusUnderConstruction, StatusInUse, StatusUnderRenovation, StatusVacant, StatusDemolished}

// Building is one building (建筑物).
type Building struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Footprint is the outline on the ground in WGS84 longitude/latitude:
	// ring 0 the outline, further rings courtyards.
	Footprint orb.Polygon `json:"footprint"`
	// Centroid is computed from the footprint on every write.
	Centroid     orb.Point `json:"centroid"`
	Address      string    `json:"address,omitempty"` // addresses/{id}
	DivisionCode string    `json:"division_code"`
	Use          Use       `json:"use"`
	FloorsAbove  int       `json:"floors_above"`
	FloorsBelow  int       `json:"floors_below,omitempty"`
	// HeightM and FloorAreaM2 are 0 when unknown.
	HeightM          float64   `json:"height_m,omitempty"`
	FloorAreaM2      float64   `json:"floor_area_m2,omitempty"`
	YearBuilt        int       `json:"year_built,omitempty"`
	Structure        Structure `json:"structure,omitempty"`
	SafetyRating     Rating    `json:"safety_rating,omitempty"`
	SafetyAssessedOn string    `json:"safety_assessed_on,omitempty"`
	// Owners are persons/{id_number} or legalEntities/{uscc}.
	Owners     []string  `json:"owners,omitempty"`
	Status     Status    `json:"status"`
	StatusDate string    `json:"status_date,omitempty"`
	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
	// Revision counts writes; the API shows it as the etag.
	Revision int64 `json:"revision"`

	// FootprintGeoJSON is a footprint as a client sent it, a GeoJSON
	// Polygon geometry object; the service parses it into Footprint while
	// validating, so that a malformed geometry is reported together with
	// every other broken rule. Never stored.
	FootprintGeoJSON []byte `json:"-"`

	// What a read found out besides the document; never stored in it.
	Retired bool         `json:"-"`
	Version history.Info `json:"-"`
}

// Bound is the footprint's bounding box.
func (b *Building) Bound() orb.Bound { return b.Footprint.Bound() }

// Clone returns a deep copy.
func (b *Building) Clone() *Building {
	c := *b
	c.Footprint = b.Footprint.Clone()
	c.Owners = append([]string(nil), b.Owners...)
	c.FootprintGeoJSON = append([]byte(nil), b.FootprintGeoJSON...)
	return &c
}

// Collection is the API collection of buildings.
const Collection = "buildings"

// ResourceName is the API name of the building with this id.
func ResourceName(id string) string { return Collection + "/" + id }

// idAlphabet is Crockford's base32 in lower case: no i, l, o or u, so an
// id read aloud or copied by hand is not mistyped.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLength is the length of every building id.
const IDLength = 16

// NewID returns a fresh random id (80 bits).
func NewID() string {
	var b [IDLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("building: no randomness: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = idAlphabet[b[i]&31]
	}
	return string(b[:])
}

// CheckID reports whether id can be a building id, saying why not.
func CheckID(id string) error {
	if len(id) != IDLength {
		return problemf("a building id has %d characters, got %d", IDLength, len([]rune(id)))
	}
	for i := 0; i < len(id); i++ {
		if !strings.ContainsRune(idAlphabet, rune(id[i])) {
			return problemf("character %d (%q) is not one of %s", i+1, id[i], idAlphabet)
		}
	}
	return nil
}

// problem is a rule broken, in words a clerk can act on.
type problem string

func (p problem) Error() string { return string(p) }
