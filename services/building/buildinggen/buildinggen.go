// Package buildinggen generates plausible buildings for demonstrations,
// tests and benchmarks: small rectangular footprints a few metres around
// given addresses, with floors, heights, floor areas, years, structures,
// safety ratings, owners and lifecycle statuses that pass the registry's
// rules. Output is deterministic for a seed and produced one building at a
// time, so that a million-building load never holds them all. Every
// building, person and organisation it makes up is fictitious. It must
// never touch a store or the network.
package buildinggen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/standard"
)

// Address is a place buildings are generated around.
type Address struct {
	// Name is the address's resource name, addresses/{id}.
	Name string
	// Label is the address as written, e.g. 镇海区招宝山街道车站路88号;
	// optional, it only colours building names.
	Label string
	// Lon and Lat are its WGS84 position.
	Lon, Lat float64
	// DivisionCode is the division the address lies in.
	DivisionCode string
}

// Owner is a person or legal entity buildings may belong to.
type Owner struct {
	// Name is the resource name: persons/{id_number} or legalEntities/{uscc}.
	Name string
	// DisplayName is the person's or entity's name; an entity's names its
	// plants and offices.
	DisplayName string
}

func (o Owner) isEntity() bool { return len(o.Name) > 14 && o.Name[:14] == "legalEntities/" }

// Generator makes buildings one at a time.
type Generator struct {
	rng       *rand.Rand
	addresses []Address
	persons   []Owner
	entities  []Owner
	placed    []int // buildings generated so far at each address
	n         int
}

// Limits of what Generator makes. Years and dates end with LastYear so that
// a generated building stays valid whatever the date it is loaded on.
const (
	FirstYear = 1960
	LastYear  = 2024
	// SlotM is the side of the square each building gets around its
	// address: buildings at one address never overlap, and a footprint's
	// diagonal stays below it.
	SlotM = 40.0
)

// New returns a generator of buildings around addresses, owned by owners,
// deterministic for seed. addresses must not be empty; owners may be.
func New(seed uint64, addresses []Address, owners []Owner) *Generator {
	if len(addresses) == 0 {
		panic("buildinggen: no addresses to place buildings at")
	}
	g := &Generator{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		addresses: addresses,
		placed:    make([]int, len(addresses)),
	}
	for _, o := range owners {
		if o.isEntity() {
			g.entities = append(g.entities, o)
		} else {
			g.persons = append(g.persons, o)
		}
	}
	return g
}

// Generate returns the first n buildings of New(seed, addresses, owners).
func Generate(seed uint64, addresses []Address, owners []Owner, n int) []*building.Building {
	g := New(seed, addresses, owners)
	out := make([]*building.Building, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

type useProfile struct {
	use              building.Use
	weight           int
	minFloors        int
	maxFloors        int
	storeyMin        float64 // metres
	storeyMax        float64
	minSide, maxSide float64 // metres
	suffixes         []string
}

var profiles = []useProfile{
	{building.UseResidential, 55, 1, 33, 2.8, 3.1, 10, 22, []string{"幢", "号楼"}},
	{building.UseIndustrial, 15, 1, 5, 4.5, 9, 16, 28, []string{"号厂房", "号仓库", "号车间"}},
	{building.UseCommercial, 15, 1, 28, 3.6, 4.5, 12, 26, []string{"大厦", "商务楼", "广场"}},
	{building.UsePublic, 8, 1, 12, 3.6, 4.2, 12, 26, []string{"教学楼", "综合楼", "服务中心"}},
	{building.UseMixed, 7, 3, 30, 3.0, 3.8, 12, 24, []string{"大厦", "商住楼"}},
}

var (
	placeWords  = []string{"招宝山", "蛟川", "骆驼", "庄市", "贵驷", "澥浦", "九龙湖", "甬江", "雄镇", "俞范", "明州", "海天", "东港", "镇宁", "怡和", "丽园", "宁远", "金色"}
	estateWords = []string{"花园", "小区", "新村", "公寓", "家园", "苑"}
)

// Next returns the next building: valid, without an id (the registry
// assigns it).
func (g *Generator) Next() *building.Building {
	r := g.rng
	g.n++
	ai := r.IntN(len(g.addresses))
	addr := g.addresses[ai]
	slot := g.placed[ai]
	g.placed[ai]++

	p := pickProfile(r)
	floors := p.minFloors + skewed(r, p.maxFloors-p.minFloors)
	below := 0
	if floors >= 10 && r.IntN(3) > 0 {
		below = 1 + r.IntN(2)
	}
	height := round2(float64(floors) * (p.storeyMin + r.Float64()*(p.storeyMax-p.storeyMin)))
	width := p.minSide + r.Float64()*(p.maxSide-p.minSide)
	depth := p.minSide + r.Float64()*(p.maxSide-p.minSide)
	footprint := rectangle(addr, slot, width, depth, (r.Float64()-0.5)*math.Pi/3)
	area := round2(width * depth * float64(floors+below) * (0.85 + 0.15*r.Float64()))

	year := FirstYear + skewedYear(r)
	b := &building.Building{
		Footprint:    footprint,
		Address:      addr.Name,
		DivisionCode: addr.DivisionCode,
		Use:          p.use,
		FloorsAbove:  floors,
		FloorsBelow:  below,
		HeightM:      height,
		FloorAreaM2:  area,
		YearBuilt:    year,
		Structure:    structure(r, p.use, floors, year),
		Status:       building.StatusInUse,
	}
	g.lifecycle(b)
	g.rate(b)
	g.own(b)
	g.name(b, p, addr)
	return b
}

func pickProfile(r *rand.Rand) useProfile {
	n := r.IntN(100)
	for _, p := range profiles {
		if n < p.weight {
			return p
		}
		n -= p.weight
	}
	return profiles[0]
}

// skewed returns 0..max, mostly low: most buildings are low-rise.
func skewed(r *rand.Rand, max int) int {
	if max <= 0 {
		return 0
	}
	x := r.Float64()
	return int(x * x * x * float64(max+1))
}

// skewedYear returns an offset from FirstYear, most buildings being from
// the building boom of the 1990s to 2010s.
func skewedYear(r *rand.Rand) int {
	span := LastYear - FirstYear
	x := (r.Float64() + r.Float64() + r.Float64()) / 3 // bell-shaped
	y := int(x*float64(span)*1.2) - span/10
	return min(max(y, 0), span)
}

func structure(r *rand.Rand, use building.Use, floors, year int) building.Structure {
	switch n := r.IntN(100); {
	case n == 0:
		return building.StructureOther
	case use == building.UseIndustrial && n < 60:
		return building.StructureSteel
	case year < 1980 && floors <= 3 && n < 8:
		return building.StructureTimber
	case floors <= 6 && year < 2000 && n < 75:
		return building.StructureBrickConcrete
	}
	return building.StructureReinforcedConcrete
}

// lifecycle gives most buildings IN_USE and some every other status, with
// dates that follow their year.
func (g *Generator) lifecycle(b *building.Building) {
	r := g.rng
	switch n := r.IntN(100); {
	case n < 1:
		b.Status, b.YearBuilt = building.StatusPlanned, 0
		b.StatusDate = date(r, 2022, LastYear)
	case n < 3:
		b.Status, b.YearBuilt = building.StatusUnderConstruction, 0
		b.StatusDate = date(r, 2021, LastYear)
	case n < 5:
		b.Status = building.StatusDemolished
		b.StatusDate = date(r, max(b.YearBuilt+1, 2005), LastYear)
		b.YearBuilt = min(b.YearBuilt, LastYear-1)
	case n < 8:
		b.Status = building.StatusVacant
		b.StatusDate = date(r, b.YearBuilt, LastYear)
	case n < 10:
		b.Status = building.StatusUnderRenovation
		b.StatusDate = date(r, max(b.YearBuilt, 2018), LastYear)
	case n < 55:
		b.StatusDate = date(r, b.YearBuilt, b.YearBuilt) // in use since completion
	}
}

// rate gives two in three standing buildings a survey; old brick and
// timber buildings rate worse, and about one in a hundred is dangerous.
func (g *Generator) rate(b *building.Building) {
	r := g.rng
	if b.YearBuilt == 0 || r.IntN(3) == 0 {
		return
	}
	risk := r.IntN(100)
	if b.YearBuilt < 1985 || b.Structure == building.StructureBrickConcrete || b.Structure == building.StructureTimber {
		risk += 8
	}
	switch {
	case risk >= 106:
		b.SafetyRating = building.RatingD
	case risk >= 98:
		b.SafetyRating = building.RatingC
	case risk >= 80:
		b.SafetyRating = building.RatingB
	default:
		b.SafetyRating = building.RatingA
	}
	b.SafetyAssessedOn = date(r, max(b.YearBuilt, 2015), LastYear)
}

// own picks one to three owners: persons for homes, legal entities for
// plants and offices, either for the rest.
func (g *Generator) own(b *building.Building) {
	r := g.rng
	pool := g.persons
	switch b.Use {
	case building.UseIndustrial, building.UseCommercial, building.UsePublic:
		pool = g.entities
	case building.UseMixed:
		if r.IntN(2) == 0 {
			pool = g.entities
		}
	}
	if len(pool) == 0 {
		pool = append(g.persons, g.entities...)
	}
	if len(pool) == 0 {
		return
	}
	n := 1 + skewed(r, 2)
	for len(b.Owners) < min(n, len(pool)) {
		o := pool[r.IntN(len(pool))].Name
		if !contains(b.Owners, o) {
			b.Owners = append(b.Owners, o)
		}
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// name gives about half the buildings a name: an estate's block, an
// entity's plant, a tower named after its place.
func (g *Generator) name(b *building.Building, p useProfile, addr Address) {
	r := g.rng
	if r.IntN(2) == 0 {
		return
	}
	place := placeWords[r.IntN(len(placeWords))]
	suffix := p.suffixes[r.IntN(len(p.suffixes))]
	switch {
	case b.Use == building.UseResidential:
		b.Name = fmt.Sprintf("%s%s%d%s", place, estateWords[r.IntN(len(estateWords))], 1+r.IntN(40), suffix)
	case b.Use == building.UseIndustrial && len(b.Owners) > 0:
		owner := b.Owners[0]
		for _, e := range g.entities {
			if e.Name == owner && e.DisplayName != "" {
				b.Name = fmt.Sprintf("%s%d%s", e.DisplayName, 1+r.IntN(12), suffix)
				return
			}
		}
		b.Name = fmt.Sprintf("%s工业区%d%s", place, 1+r.IntN(12), suffix)
	case strings.HasPrefix(suffix, "号"):
		b.Name = fmt.Sprintf("%s%d%s", place, 1+r.IntN(12), suffix)
	default:
		b.Name = place + suffix
		if r.IntN(3) == 0 {
			b.Name = fmt.Sprintf("%s%s%s", place, []string{"国际", "金融", "科技", "商贸"}[r.IntN(4)], suffix)
		}
	}
}

// date returns a YYYY-MM-DD date within the years from..to.
func date(r *rand.Rand, from, to int) string {
	if to < from {
		to = from
	}
	return fmt.Sprintf("%04d-%02d-%02d", from+r.IntN(to-from+1), 1+r.IntN(12), 1+r.IntN(28))
}

// Metres per degree of latitude, and of longitude at the equator.
const (
	mPerDegLat = 110540.0
	mPerDegLon = 111320.0
)

// rectangle is a width × depth rectangle turned by angle, centred in slot
// number `slot` of a square spiral of SlotM-metre slots around the address.
func rectangle(a Address, slot int, width, depth, angle float64) orb.Polygon {
	sx, sy := spiral(slot)
	cx, cy := float64(sx)*SlotM, float64(sy)*SlotM
	cos, sin := math.Cos(angle), math.Sin(angle)
	lonScale := mPerDegLon * math.Cos(a.Lat*math.Pi/180)
	ring := make(orb.Ring, 0, 5)
	for _, c := range [][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} { // counter-clockwise
		x, y := c[0]*width/2, c[1]*depth/2
		x, y = cx+x*cos-y*sin, cy+x*sin+y*cos
		ring = append(ring, orb.Point{round7(a.Lon + x/lonScale), round7(a.Lat + y/mPerDegLat)})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// spiral numbers the cells of a square grid outward from (0, 0): 0 is the
// centre, 1–8 the ring around it, and so on.
func spiral(n int) (int, int) {
	if n == 0 {
		return 0, 0
	}
	k := int(math.Ceil((math.Sqrt(float64(n)+1) - 1) / 2)) // ring number
	side := 2 * k
	first := (2*k - 1) * (2*k - 1) // index of the ring's first cell
	i := n - first
	switch i / side {
	case 0:
		return k, -k + 1 + i
	case 1:
		return k - 1 - i%side, k
	case 2:
		return -k, k - 1 - i%side
	default:
		return -k + 1 + i%side, -k
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// round7 keeps seven decimals of a degree (about a centimetre), as surveys
// deliver them.
func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

// Zhenhai's extent, for the synthetic addresses below.
const (
	zhenhaiWest, zhenhaiEast   = 121.48, 121.80
	zhenhaiSouth, zhenhaiNorth = 29.90, 30.08
)

// SyntheticAddresses returns n made-up addresses spread over Zhenhai in its
// seven townships, for loads that run without a spatial registry (the
// benchmark). Their names do not exist anywhere: reference checks must be
// off, or answered from these names.
func SyntheticAddresses(seed uint64, n int) []Address {
	r := rand.New(rand.NewPCG(seed, 2260))
	townships := standard.Zhenhai[3:]
	roads := []string{"车站路", "城河路", "沿江路", "骆兴路", "庄市大道", "九龙大道", "镇宁路", "雄镇路", "蛟川路", "澥浦路"}
	out := make([]Address, n)
	for i := range out {
		t := townships[r.IntN(len(townships))]
		out[i] = Address{
			Name:         fmt.Sprintf("addresses/syn%07d", i),
			Label:        fmt.Sprintf("镇海区%s%s%d号", t.Name, roads[r.IntN(len(roads))], 1+r.IntN(300)),
			Lon:          round7(zhenhaiWest + r.Float64()*(zhenhaiEast-zhenhaiWest)),
			Lat:          round7(zhenhaiSouth + r.Float64()*(zhenhaiNorth-zhenhaiSouth)),
			DivisionCode: t.Code,
		}
	}
	return out
}

// SyntheticOwners returns n made-up owners, about a third legal entities,
// with valid ID numbers and codes.
func SyntheticOwners(seed uint64, n int) []Owner {
	r := rand.New(rand.NewPCG(seed, 11643))
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙胡朱俞邬应虞")
	given := []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚建国海燕")
	out := make([]Owner, n)
	for i := range out {
		if i%3 == 2 {
			uscc, err := standard.MakeUSCC('9', '1', "330211", fmt.Sprintf("MA2%06d", i%1000000))
			if err != nil {
				panic(err) // the generator's own inputs are always valid
			}
			name := fmt.Sprintf("宁波%s%s有限公司", placeWords[r.IntN(len(placeWords))], []string{"石化", "机械", "物流", "新材料", "电子", "化工"}[r.IntN(6)])
			out[i] = Owner{Name: "legalEntities/" + uscc, DisplayName: name}
			continue
		}
		birth := time.Date(1940+r.IntN(60), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		id, err := standard.MakeIDNumber("330211", birth, r.IntN(1000))
		if err != nil {
			panic(err)
		}
		out[i] = Owner{Name: "persons/" + id, DisplayName: string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))]) + string(given[r.IntN(len(given))])}
	}
	return out
}
