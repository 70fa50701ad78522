package building

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Field names in violations are the API's, so that a client can point at the
// offending input; they are prefixed with the request field that holds the
// building ("building.", or "requests[3].building." in a batch).
const fieldPrefix = "building."

// Plausibility bounds. They catch typing mistakes (a height in
// centimetres, a year of 19995), not unusual buildings.
const (
	MaxFloorsAbove = 300
	MaxFloorsBelow = 30
	MaxHeightM     = 1000
	MaxFloorAreaM2 = 10_000_000
	// MinStoreyHeightM is the lowest a storey can be: a height below
	// floors × 2 m is a mistake in one of the two.
	MinStoreyHeightM = 2.0
	// MinYearBuilt admits the district's oldest standing structures (the
	// Ming-era fortifications of 招宝山).
	MinYearBuilt = 1000
	MaxOwners    = 100
)

// normalize tidies what a clerk typed without changing its meaning: spaces,
// full-width characters and case in codes, rounding of measured values,
// and the default status. It runs before validation so that validation
// judges what is stored.
func (b *Building) normalize() {
	b.Name = strings.TrimSpace(b.Name)
	b.Address = strings.TrimSpace(b.Address)
	b.DivisionCode = strings.TrimSpace(b.DivisionCode)
	b.StatusDate = strings.TrimSpace(b.StatusDate)
	b.SafetyAssessedOn = strings.TrimSpace(b.SafetyAssessedOn)
	for i, o := range b.Owners {
		b.Owners[i] = normalizeOwner(o)
	}
	b.HeightM = round2(b.HeightM)
	b.FloorAreaM2 = round2(b.FloorAreaM2)
	if b.Status == "" {
		b.Status = StatusInUse
	}
}

// normalizeOwner tidies the identifier inside an owner's resource name.
func normalizeOwner(name string) string {
	name = strings.TrimSpace(name)
	switch coll, id, _ := strings.Cut(name, "/"); coll {
	case "persons":
		return coll + "/" + standard.NormalizeIDNumber(id)
	case "legalEntities":
		return coll + "/" + standard.NormalizeUSCC(id)
	}
	return name
}

func round2(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	return math.Round(x*100) / 100
}

// prepare parses a footprint sent as GeoJSON, checks every rule (adding
// each broken one to v under prefix) and computes the centroid. today
// bounds dates and years that cannot lie in the future.
func (b *Building) prepare(v *errs.Violations, prefix string, today time.Time) {
	if b.FootprintGeoJSON != nil {
		p, err := ParsePolygon(b.FootprintGeoJSON)
		if err != nil {
			v.Check(prefix+"footprint", err)
			b.Footprint = nil
		} else {
			b.Footprint = p
		}
		b.FootprintGeoJSON = nil
	} else if len(b.Footprint) == 0 {
		v.Add(prefix+"footprint", "is required")
	}
	if len(b.Footprint) > 0 {
		problems := CheckPolygon(b.Footprint)
		for _, p := range problems {
			v.Add(prefix+"footprint", "%s", p)
		}
		if len(problems) == 0 {
			if span := geo.SpanMeters(b.Footprint.Bound()); span > MaxFootprintSpanM {
				v.Add(prefix+"footprint", "spans %.0f m; a building's footprint spans at most %d m (are longitude and latitude swapped?)", span, MaxFootprintSpanM)
			}
			b.Centroid = Centroid(b.Footprint)
		}
	}
	b.validate(v, prefix, today)
}

// validate checks every rule but the footprint's and reports every broken
// one.
func (b *Building) validate(v *errs.Violations, prefix string, today time.Time) {
	check.Text(v, prefix+"display_name", b.Name, false, 200)
	if b.Address != "" {
		if err := checkAddress(b.Address); err != nil {
			v.Check(prefix+"address", err)
		}
	}
	if b.DivisionCode == "" {
		v.Add(prefix+"division_code", "is required")
	} else {
		v.Check(prefix+"division_code", standard.CheckDivisionCode(b.DivisionCode))
	}
	switch {
	case b.Use == "":
		v.Add(prefix+"use", "is required")
	case !slices.Contains(Uses, b.Use):
		v.Add(prefix+"use", "unknown use %q", b.Use)
	}
	switch {
	case b.FloorsAbove < 0 || b.FloorsAbove > MaxFloorsAbove:
		v.Add(prefix+"floors_above_ground", "must be between 0 and %d, got %d", MaxFloorsAbove, b.FloorsAbove)
	case b.FloorsBelow < 0 || b.FloorsBelow > MaxFloorsBelow:
		v.Add(prefix+"floors_below_ground", "must be between 0 and %d, got %d", MaxFloorsBelow, b.FloorsBelow)
	case b.FloorsAbove+b.FloorsBelow == 0:
		v.Add(prefix+"floors_above_ground", "a building has at least one storey above or below ground")
	}
	switch {
	case !(b.HeightM >= 0 && b.HeightM <= MaxHeightM):
		v.Add(prefix+"height_m", "must be between 0 (unknown) and %d m, got %v", MaxHeightM, b.HeightM)
	case b.HeightM > 0 && b.FloorsAbove > 0 && b.HeightM < MinStoreyHeightM*float64(b.FloorsAbove):
		v.Add(prefix+"height_m", "%.2f m is too low for %d storeys above ground (a storey is at least %.0f m high)", b.HeightM, b.FloorsAbove, MinStoreyHeightM)
	}
	if !(b.FloorAreaM2 >= 0 && b.FloorAreaM2 <= MaxFloorAreaM2) {
		v.Add(prefix+"floor_area_m2", "must be between 0 (unknown) and %d m², got %v", MaxFloorAreaM2, b.FloorAreaM2)
	}
	known := slices.Contains(Statuses, b.Status)
	if !known {
		v.Add(prefix+"status", "unknown status %q", b.Status)
	}
	unbuilt := b.Status == StatusPlanned || b.Status == StatusUnderConstruction
	thisYear := today.In(standard.ChinaTime).Year()
	switch {
	case b.YearBuilt == 0:
	case b.YearBuilt < MinYearBuilt || b.YearBuilt > thisYear:
		if b.YearBuilt > thisYear {
			v.Add(prefix+"year_built", "%d is in the future", b.YearBuilt)
		} else {
			v.Add(prefix+"year_built", "must be between %d and %d, got %d", MinYearBuilt, thisYear, b.YearBuilt)
		}
	case unbuilt:
		v.Add(prefix+"year_built", "a building that is %s has no year of completion yet", b.Status)
	}
	if b.Structure != "" && !slices.Contains(Structures, b.Structure) {
		v.Add(prefix+"structure_type", "unknown structure type %q", b.Structure)
	}
	if b.SafetyRating != "" && !slices.Contains(Ratings, b.SafetyRating) {
		v.Add(prefix+"safety_rating", "unknown rating %q", b.SafetyRating)
	}
	assessed, aok := check.Date(v, prefix+"safety_assessment_date", b.SafetyAssessedOn, false, today)
	switch {
	case b.SafetyRating != "" && b.SafetyAssessedOn == "":
		v.Add(prefix+"safety_assessment_date", "is required with a safety rating: the date of the survey that gave it")
	case b.SafetyRating == "" && b.SafetyAssessedOn != "":
		v.Add(prefix+"safety_rating", "is required with a safety assessment date")
	case b.SafetyRating != "" && b.Status == StatusPlanned:
		v.Add(prefix+"safety_rating", "a planned building cannot have been surveyed")
	case aok && b.YearBuilt > 0 && assessed.Year() < b.YearBuilt:
		v.Add(prefix+"safety_assessment_date", "%s is before the year built (%d)", b.SafetyAssessedOn, b.YearBuilt)
	}
	since, sok := check.Date(v, prefix+"status_date", b.StatusDate, false, today)
	switch {
	case b.Status == StatusDemolished && b.StatusDate == "":
		v.Add(prefix+"status_date", "is required when the status is DEMOLISHED: the date the building was pulled down")
	case sok && !unbuilt && known && b.YearBuilt > 0 && since.Year() < b.YearBuilt:
		v.Add(prefix+"status_date", "%s is before the year built (%d): a building is %s only once it stands", b.StatusDate, b.YearBuilt, b.Status)
	}
	if len(b.Owners) > MaxOwners {
		v.Add(prefix+"owners", "has %d owners; at most %d", len(b.Owners), MaxOwners)
	}
	seen := make(map[string]int, len(b.Owners))
	for i, o := range b.Owners {
		field := fmt.Sprintf("%sowners[%d]", prefix, i)
		if err := checkOwner(o, today); err != nil {
			v.Check(field, err)
			continue
		}
		if j, dup := seen[o]; dup {
			v.Add(field, "repeats owners[%d]", j)
			continue
		}
		seen[o] = i
	}
}

func checkAddress(name string) error {
	id, ok := strings.CutPrefix(name, "addresses/")
	if !ok || id == "" || strings.ContainsAny(id, "/ ") {
		return problemf("must be the resource name of an address, addresses/{id}, got %q", name)
	}
	return nil
}

// checkOwner checks that an owner is a person or legal entity by a
// well-formed identifier. A USCC failing only its check character is an
// early pilot code, which the legal-entity registry holds flagged; whether
// it exists is the reference check's to say.
func checkOwner(name string, today time.Time) error {
	coll, id, _ := strings.Cut(name, "/")
	switch coll {
	case "persons":
		if err := standard.CheckIDNumberAt(id, today); err != nil {
			return problemf("persons/{id_number}: %v", err)
		}
		return nil
	case "legalEntities":
		if err := standard.CheckUSCC(id); err != nil {
			var p *standard.Problem
			if !errors.As(err, &p) || !p.CheckCharOnly {
				return problemf("legalEntities/{uscc}: %v", err)
			}
		}
		return nil
	}
	return problemf("must be persons/{id_number} or legalEntities/{uscc}, got %q", name)
}

// transitions are the status changes a building's life allows without a
// correction. DEMOLISHED is final; a plan that is dropped is retired.
var transitions = map[Status][]Status{
	StatusPlanned:           {StatusUnderConstruction},
	StatusUnderConstruction: {StatusInUse, StatusVacant, StatusDemolished},
	StatusInUse:             {StatusUnderRenovation, StatusVacant, StatusDemolished},
	StatusUnderRenovation:   {StatusInUse, StatusVacant, StatusDemolished},
	StatusVacant:            {StatusInUse, StatusUnderRenovation, StatusDemolished},
	StatusDemolished:        nil,
}

// checkTransition checks a recorded change (not a correction) from before
// to after: the status moves only forward along the life of a building, and
// its date does not go back.
func checkTransition(v *errs.Violations, prefix string, before, after *Building) {
	if before.Status == after.Status {
		return
	}
	if !slices.Contains(transitions[before.Status], after.Status) {
		next := transitions[before.Status]
		allowed := "none: it is final"
		if len(next) > 0 {
			names := make([]string, len(next))
			for i, s := range next {
				names[i] = string(s)
			}
			allowed = strings.Join(names, ", ")
		}
		v.Add(prefix+"status", "cannot change from %s to %s (allowed: %s); if %s was recorded by mistake, send a correction", before.Status, after.Status, allowed, before.Status)
		return
	}
	if before.StatusDate != "" && after.StatusDate != "" && after.StatusDate < before.StatusDate {
		v.Add(prefix+"status_date", "%s is before %s, when the building became %s", after.StatusDate, before.StatusDate, before.Status)
	}
}

// startOfDay is the moment a Beijing calendar date begins.
func startOfDay(date string) (time.Time, bool) {
	d, err := standard.ParseDate(date)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, standard.ChinaTime).UTC(), true
}

// effectiveFrom is when a new building's record begins in effect time: the
// day its current status began, else the start of the year it was built,
// else now (the zero time). Validation has made sure neither is in the
// future.
func (b *Building) effectiveFrom() time.Time {
	if t, ok := startOfDay(b.StatusDate); ok {
		return t
	}
	if b.YearBuilt > 0 {
		return time.Date(b.YearBuilt, 1, 1, 0, 0, 0, 0, standard.ChinaTime).UTC()
	}
	return time.Time{}
}
