// Package demo generates a coherent synthetic spatial base of Zhenhai for
// demonstrations, tests and benchmarks: the district's real township-level
// divisions with invented communities and villages under them, community
// boundaries that tile each township without gaps, overlaps or
// self-intersections, roads with Chinese names, standard addresses along
// them inside the district's real extent, points of interest and parcels.
//
// Everything is a pure function of the seed and the sizes: the same
// options give the same records, ids included, and addresses, points of
// interest and parcels are produced one by one (iterators) so that a
// million of them never sit in memory. Township outlines are simplified to
// rectangles; names, communities and roads are fictitious.
package demo

import (
	"context"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/kit/geo"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/spatial"
)

// DefaultSeed gives the demo district.
const DefaultSeed = 330211

// maxRoads bounds the roads: their names are made of two words and an
// ending, and must stay distinct.
const maxRoads = 10000

// Options size the synthetic district. Zero values take the defaults.
type Options struct {
	Seed uint64
	// Addresses is how many standard addresses to generate.
	Addresses int
	// Communities per township (rounded up to fill a grid); default 4.
	Communities int
	// Roads in the district; by default one per 400 addresses, at least
	// two per township.
	Roads int
	// POIs and Parcels are how many points of interest and land parcels
	// to generate.
	POIs, Parcels int
	// EffectiveFrom is when the records came into being; now when zero.
	EffectiveFrom time.Time
}

// townshipRects lay the seven township-level units of standard.Zhenhai
// over the district's extent (121.48–121.80 E, 29.90–30.08 N), roughly
// where they lie: 九龙湖 and 澥浦 in the north, 骆驼, 贵驷 and 招宝山
// across the middle, 庄市 and 蛟川 in the south.
var townshipRects = map[string]spatial.Bound{
	"330211101000": {MinLon: 121.48, MinLat: 30.01, MaxLon: 121.60, MaxLat: 30.08}, // 九龙湖镇
	"330211100000": {MinLon: 121.60, MinLat: 30.01, MaxLon: 121.80, MaxLat: 30.08}, // 澥浦镇
	"330211003000": {MinLon: 121.48, MinLat: 29.96, MaxLon: 121.60, MaxLat: 30.01}, // 骆驼街道
	"330211005000": {MinLon: 121.60, MinLat: 29.96, MaxLon: 121.70, MaxLat: 30.01}, // 贵驷街道
	"330211001000": {MinLon: 121.70, MinLat: 29.96, MaxLon: 121.80, MaxLat: 30.01}, // 招宝山街道
	"330211004000": {MinLon: 121.48, MinLat: 29.90, MaxLon: 121.62, MaxLat: 29.96}, // 庄市街道
	"330211002000": {MinLon: 121.62, MinLat: 29.90, MaxLon: 121.80, MaxLat: 29.96}, // 蛟川街道
}

var (
	// communityWords name communities and villages; roadWords and
	// roadEnds name roads. The lists share no first character with each
	// other or with the townships, so that no road name begins with a
	// division's name.
	communityWords = []string{"白龙", "胜利", "梓荫", "南洪", "园丁", "五里牌", "清水浦", "汶溪", "憩桥", "永旺", "兴庄", "光明",
		"星光", "民和", "迎周", "东邑", "万市", "畈里", "涨鉴", "西河", "勤勇", "俞范", "团桥", "盛宅", "三星", "新杨",
		"湾塘", "长石", "杜夹岙", "觉渡", "化子闸", "田顾", "河头", "陈家", "毛家", "林唐", "万嘉", "荣吉"}
	roadWords = []string{"甬江", "雄镇", "明州", "平海", "宁远", "海天", "金丰", "沿江", "通和", "环城", "聚英", "达华",
		"恒业", "富贵", "康乐", "振兴", "合力", "顺达", "青峙", "丰润", "瑞岩", "松柏", "锦绣", "紫薇", "桂香", "丹桂",
		"安居", "福泰", "华兴", "静远", "碧波", "晴川", "映月", "朝阳", "绿洲", "翠屏", "逸仙", "荷韵", "芙蓉", "凤鸣"}
	roadEnds = []string{"路", "街", "大道", "巷", "东路", "西路", "北路", "南路"}
	poiKinds = []string{"超市", "幼儿园", "小学", "卫生服务站", "菜场", "公园", "文化礼堂", "便利店", "药店", "银行网点", "派出所", "加油站"}
)

// Township is one township-level unit with its generated parts.
type Township struct {
	Division *spatial.Division
	Bound    spatial.Bound
	// Communities are its communities or villages with their boundaries,
	// in code order.
	Communities []Community
	// Roads run across it.
	Roads []*spatial.Feature
}

// Community is a community or village and its boundary.
type Community struct {
	Division *spatial.Division
	Boundary *spatial.Feature
}

// Base is a generated spatial base.
type Base struct {
	o Options
	// Divisions lists every division, each after its parent.
	Divisions []*spatial.Division
	// Townships are the seven township-level units.
	Townships []*Township
	roads     []*spatial.Feature // every road, in generation order
	roadTown  []*Township        // the township of each road
	plots     int                // address plots needed for o.Addresses
	perRoad   int                // plots along the longest road
}

// New generates the divisions, community boundaries and roads of a base;
// addresses, points of interest and parcels come from its iterators.
func New(o Options) *Base {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Communities <= 0 {
		o.Communities = 4
	}
	if o.Roads <= 0 {
		o.Roads = max(14, o.Addresses/400)
	}
	o.Roads = min(o.Roads, maxRoads)
	b := &Base{o: o}
	for _, d := range standard.Zhenhai[:3] {
		b.Divisions = append(b.Divisions, &spatial.Division{Code: d.Code, Name: d.Name})
	}
	word := 0
	for ti, d := range standard.Zhenhai[3:] {
		t := &Township{Division: &spatial.Division{Code: d.Code, Name: d.Name}, Bound: townshipRects[d.Code]}
		b.Divisions = append(b.Divisions, t.Division)
		b.Townships = append(b.Townships, t)
		nx := int(math.Ceil(math.Sqrt(float64(o.Communities))))
		ny := (o.Communities + nx - 1) / nx
		town := strings.HasSuffix(d.Name, "镇")
		for k, ring := range b.tile(ti, t.Bound, nx, ny) {
			seqBase, suffix := 1, "社区"
			if town {
				seqBase, suffix = 201, "村"
			}
			code := fmt.Sprintf("%s%03d", d.Code[:9], seqBase+k)
			name := communityWords[word%len(communityWords)] + suffix
			if word >= len(communityWords) {
				name = fmt.Sprintf("%s%d%s", communityWords[word%len(communityWords)], word/len(communityWords)+1, suffix)
			}
			word++
			cd := &spatial.Division{Code: code, Name: name}
			b.Divisions = append(b.Divisions, cd)
			t.Communities = append(t.Communities, Community{Division: cd, Boundary: &spatial.Feature{
				ID: b.id("community", uint64(ti), uint64(k)), Kind: spatial.KindCommunity, Name: name + "界",
				DivisionCode: code, Geometry: orb.Polygon{ring}, Bound: spatial.BoundOf(orb.Polygon{ring}),
			}})
		}
	}
	// Roads: dealt out to the townships in turn, alternately running east
	// and north, at even spacing across the township.
	perTown := make([]int, len(b.Townships))
	for r := 0; r < o.Roads; r++ {
		perTown[r%len(b.Townships)]++
	}
	names := b.roadNames(o.Roads)
	for r := 0; r < o.Roads; r++ {
		ti := r % len(b.Townships)
		t := b.Townships[ti]
		k := r / len(b.Townships)
		f := &spatial.Feature{
			ID: b.id("road", uint64(r)), Kind: spatial.KindRoad, Name: names[r], DivisionCode: t.Division.Code,
			Geometry:   b.roadLine(r, t.Bound, k, perTown[ti]),
			Properties: map[string]string{"class": []string{"主干路", "次干路", "支路"}[r%3]},
		}
		f.Bound = spatial.BoundOf(f.Geometry)
		t.Roads = append(t.Roads, f)
		b.roads = append(b.roads, f)
		b.roadTown = append(b.roadTown, t)
	}
	// Count the plots the addresses need, so that house numbers spread
	// along the whole length of each road.
	for n := 0; n < o.Addresses; b.plots++ {
		n += b.plotCapacity(b.plots)
	}
	b.perRoad = max(1, (b.plots+len(b.roads)-1)/len(b.roads))
	return b
}

// Options are the options the base was generated with, defaults filled in.
func (b *Base) Options() Options { return b.o }

// Roads returns every road.
func (b *Base) Roads() []*spatial.Feature { return b.roads }

// Boundaries returns every community boundary.
func (b *Base) Boundaries() []*spatial.Feature {
	var out []*spatial.Feature
	for _, t := range b.Townships {
		for _, c := range t.Communities {
			out = append(out, c.Boundary)
		}
	}
	return out
}

// hash mixes the seed with a tag and numbers (SplitMix64 steps), so that
// every record can be generated on its own, in any order.
func (b *Base) hash(tag string, xs ...uint64) uint64 {
	h := b.o.Seed ^ 0x9e3779b97f4a7c15
	for _, c := range []byte(tag) {
		h = mix(h ^ uint64(c))
	}
	for _, x := range xs {
		h = mix(h ^ x)
	}
	return h
}

func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// frac is a number in [0, 1) from a hash.
func frac(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// id is a UUID (version 4 in form) derived from the seed, a tag and numbers.
func (b *Base) id(tag string, xs ...uint64) string {
	var u uuid.UUID
	h1 := b.hash(tag, xs...)
	h2 := mix(h1 ^ 0x5bd1e995)
	for i := 0; i < 8; i++ {
		u[i], u[8+i] = byte(h1>>(8*i)), byte(h2>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// tile divides a township's box into nx × ny cells whose shared corners
// and edges are jittered, so that the rings tile the box exactly: each
// edge is generated once and used by both cells beside it.
func (b *Base) tile(ti int, box spatial.Bound, nx, ny int) []orb.Ring {
	w, h := (box.MaxLon-box.MinLon)/float64(nx), (box.MaxLat-box.MinLat)/float64(ny)
	corner := func(i, j int) orb.Point {
		p := orb.Point{box.MinLon + float64(i)*w, box.MinLat + float64(j)*h}
		if i > 0 && i < nx {
			p[0] += (frac(b.hash("corner-x", uint64(ti), uint64(i), uint64(j))) - 0.5) * 0.4 * w
		}
		if j > 0 && j < ny {
			p[1] += (frac(b.hash("corner-y", uint64(ti), uint64(i), uint64(j))) - 0.5) * 0.4 * h
		}
		return p
	}
	// edge returns the points strictly between two corners: two of them,
	// pushed sideways unless the edge lies on the township's outline.
	edge := func(tag string, a, c orb.Point, outline bool, key ...uint64) []orb.Point {
		var out []orb.Point
		for k, t := range []float64{1.0 / 3, 2.0 / 3} {
			p := orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])}
			if !outline {
				off := (frac(b.hash(tag, append(key, uint64(k))...)) - 0.5) * 0.12
				p[0] += -(c[1] - a[1]) * off
				p[1] += (c[0] - a[0]) * off
			}
			out = append(out, p)
		}
		return out
	}
	// horizontal(i, j): from corner (i, j) to (i+1, j); vertical(i, j): from (i, j) to (i, j+1).
	horizontal := func(i, j int) []orb.Point {
		return edge("h", corner(i, j), corner(i+1, j), j == 0 || j == ny, uint64(ti), uint64(i), uint64(j))
	}
	vertical := func(i, j int) []orb.Point {
		return edge("v", corner(i, j), corner(i, j+1), i == 0 || i == nx, uint64(ti), uint64(i), uint64(j))
	}
	reversed := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[len(ps)-1-i] = p
		}
		return out
	}
	var rings []orb.Ring
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			// Counter-clockwise: bottom, right, top (reversed), left (reversed).
			r := orb.Ring{corner(i, j)}
			r = append(r, horizontal(i, j)...)
			r = append(r, corner(i+1, j))
			r = append(r, vertical(i+1, j)...)
			r = append(r, corner(i+1, j+1))
			r = append(r, reversed(horizontal(i, j+1))...)
			r = append(r, corner(i, j+1))
			r = append(r, reversed(vertical(i, j))...)
			r = append(r, corner(i, j))
			rings = append(rings, r)
		}
	}
	return rings
}

// roadNames returns n distinct road names.
func (b *Base) roadNames(n int) []string {
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for i := 0; len(out) < n; i++ {
		h := b.hash("road-name", uint64(i))
		name := roadWords[h%uint64(len(roadWords))] + roadEnds[(h>>20)%uint64(len(roadEnds))]
		if i >= 4*len(roadWords)*len(roadEnds) || seen[name] {
			name = roadWords[h%uint64(len(roadWords))] + roadWords[(h>>32)%uint64(len(roadWords))] + roadEnds[(h>>20)%uint64(len(roadEnds))]
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out
}

// roadLine is road r, the k-th of n in its township: it runs east (even
// k) or north (odd k) across the box at an even spacing, gently winding.
func (b *Base) roadLine(r int, box spatial.Bound, k, n int) orb.LineString {
	across := (float64(k/2) + 0.5) / float64((n+1)/2)
	const steps = 6
	ls := make(orb.LineString, 0, steps+1)
	inset := 0.02
	for s := 0; s <= steps; s++ {
		t := inset + (1-2*inset)*float64(s)/steps
		wobble := (frac(b.hash("road-wobble", uint64(r), uint64(s))) - 0.5) * 0.02
		a := math.Max(0.01, math.Min(0.99, across+wobble))
		if k%2 == 0 {
			ls = append(ls, orb.Point{box.MinLon + t*(box.MaxLon-box.MinLon), box.MinLat + a*(box.MaxLat-box.MinLat)})
		} else {
			ls = append(ls, orb.Point{box.MinLon + a*(box.MaxLon-box.MinLon), box.MinLat + t*(box.MaxLat-box.MinLat)})
		}
	}
	return ls
}

// along returns the point at fraction t of a line's length and the unit
// normal there (in degrees, left of the direction of travel).
func along(ls orb.LineString, t float64) (orb.Point, orb.Point) {
	total := 0.0
	for i := 0; i+1 < len(ls); i++ {
		total += math.Hypot(ls[i+1][0]-ls[i][0], ls[i+1][1]-ls[i][1])
	}
	d := t * total
	for i := 0; i+1 < len(ls); i++ {
		a, c := ls[i], ls[i+1]
		seg := math.Hypot(c[0]-a[0], c[1]-a[1])
		if d <= seg || i+2 == len(ls) {
			f := math.Min(1, d/seg)
			return orb.Point{a[0] + f*(c[0]-a[0]), a[1] + f*(c[1]-a[1])}, orb.Point{-(c[1] - a[1]) / seg, (c[0] - a[0]) / seg}
		}
		d -= seg
	}
	return ls[0], orb.Point{0, 1}
}

// plot kinds and what they hold.
const (
	plotHouse       = iota // one address
	plotCompound           // a few buildings, one address each
	plotResidential        // buildings × units × floors × 2 rooms
)

func (b *Base) plotKind(j int) int {
	switch f := frac(b.hash("plot", uint64(j))); {
	case f < 0.6:
		return plotHouse
	case f < 0.85:
		return plotCompound
	}
	return plotResidential
}

// plotShape is the buildings, units per building and floors of a plot.
func (b *Base) plotShape(j int) (buildings, units, floors int) {
	h := b.hash("plot-shape", uint64(j))
	switch b.plotKind(j) {
	case plotCompound:
		return 2 + int(h%5), 0, 0
	case plotResidential:
		return 1 + int(h%4), 1 + int((h>>8)%3), 2 + int((h>>16)%5)
	}
	return 1, 0, 0
}

func (b *Base) plotCapacity(j int) int {
	bs, us, fs := b.plotShape(j)
	if us == 0 {
		return bs
	}
	return bs * us * fs * 2
}

// Addresses yields the base's addresses in order, plot by plot: plot j
// lies on road j mod roads with house number j / roads + 1, placed along
// the road by its number on the side its parity gives.
func (b *Base) Addresses() iter.Seq[*spatial.Address] {
	return func(yield func(*spatial.Address) bool) {
		n := 0
		for j := 0; j < b.plots && n < b.o.Addresses; j++ {
			r := j % len(b.roads)
			number := j/len(b.roads) + 1
			road, town := b.roads[r], b.roadTown[r]
			pos, normal := along(road.Geometry.(orb.LineString), (float64(number)-0.5)/float64(b.perRoad))
			side := 1.0
			if number%2 == 0 {
				side = -1
			}
			bs, us, fs := b.plotShape(j)
			for bi := 1; bi <= bs && n < b.o.Addresses; bi++ {
				// Each building of a plot stands a little further from the
				// road, spread along it.
				h := b.hash("building", uint64(j), uint64(bi))
				off := (20 + 15*float64(bi-1) + 10*frac(h)) / geo.MetersPerDegree
				shift := (frac(h>>1) - 0.5) * 40 / geo.MetersPerDegree
				p := orb.Point{pos[0] + side*normal[0]*off - normal[1]*shift, pos[1] + side*normal[1]*off + normal[0]*shift}
				p = clamp(p, town.Bound)
				division := town.divisionAt(p)
				building := ""
				if bs > 1 || us > 0 {
					building = fmt.Sprint(bi)
				}
				rooms := [][2]string{{"", ""}}
				if us > 0 {
					rooms = rooms[:0]
					for u := 1; u <= us; u++ {
						for f := 1; f <= fs; f++ {
							for k := 1; k <= 2; k++ {
								rooms = append(rooms, [2]string{fmt.Sprint(u), fmt.Sprintf("%d%02d", f, k)})
							}
						}
					}
				}
				for _, ur := range rooms {
					if n >= b.o.Addresses {
						break
					}
					a := &spatial.Address{
						ID: b.id("address", uint64(n)), DivisionCode: division, Road: road.Name, HouseNumber: fmt.Sprint(number),
						Building: building, Unit: ur[0], Room: ur[1],
						Location: spatial.Location{Lon: round7(p[0]), Lat: round7(p[1])},
					}
					n++
					if !yield(a) {
						return
					}
				}
			}
		}
	}
}

// round7 rounds a coordinate to 1e-7 degrees (about a centimetre).
func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

// clamp keeps a point inside a box, a hair away from its edges.
func clamp(p orb.Point, box spatial.Bound) orb.Point {
	const hair = 1e-6
	return orb.Point{math.Max(box.MinLon+hair, math.Min(box.MaxLon-hair, p[0])), math.Max(box.MinLat+hair, math.Min(box.MaxLat-hair, p[1]))}
}

// divisionAt is the community whose boundary holds p, or the township.
func (t *Township) divisionAt(p orb.Point) string {
	for _, c := range t.Communities {
		if geo.Contains(c.Boundary.Geometry, p[0], p[1]) {
			return c.Division.Code
		}
	}
	return t.Division.Code
}

// spot is a random point beside a random road, with its township.
func (b *Base) spot(tag string, i int) (orb.Point, *Township) {
	h := b.hash(tag, uint64(i))
	r := int(h % uint64(len(b.roads)))
	pos, normal := along(b.roads[r].Geometry.(orb.LineString), frac(h>>7))
	off := (30 + 120*frac(mix(h))) / geo.MetersPerDegree
	if h&1 == 0 {
		off = -off
	}
	t := b.roadTown[r]
	return clamp(orb.Point{pos[0] + normal[0]*off, pos[1] + normal[1]*off}, t.Bound), t
}

// POIs yields the base's points of interest.
func (b *Base) POIs() iter.Seq[*spatial.Feature] {
	return func(yield func(*spatial.Feature) bool) {
		for i := 0; i < b.o.POIs; i++ {
			p, t := b.spot("poi", i)
			p = orb.Point{round7(p[0]), round7(p[1])}
			h := b.hash("poi-name", uint64(i))
			name := roadWords[h%uint64(len(roadWords))] + poiKinds[(h>>16)%uint64(len(poiKinds))]
			if i >= len(roadWords)*len(poiKinds)/2 {
				name = fmt.Sprintf("%s%d号%s", roadWords[h%uint64(len(roadWords))], i, poiKinds[(h>>16)%uint64(len(poiKinds))])
			}
			f := &spatial.Feature{ID: b.id("poi", uint64(i)), Kind: spatial.KindPOI, Name: name, DivisionCode: t.divisionAt(p),
				Geometry: p, Bound: spatial.BoundOf(p)}
			if !yield(f) {
				return
			}
		}
	}
}

// Parcels yields the base's land parcels: small rotated quadrilaterals
// beside roads.
func (b *Base) Parcels() iter.Seq[*spatial.Feature] {
	return func(yield func(*spatial.Feature) bool) {
		for i := 0; i < b.o.Parcels; i++ {
			c, t := b.spot("parcel", i)
			h := b.hash("parcel-shape", uint64(i))
			w := (30 + 120*frac(h)) / geo.MetersPerDegree
			d := (30 + 120*frac(h>>9)) / geo.MetersPerDegree
			ang := frac(h>>18) * math.Pi
			cos, sin := math.Cos(ang), math.Sin(ang)
			corner := func(x, y float64) orb.Point {
				return orb.Point{c[0] + x*cos - y*sin, c[1] + x*sin + y*cos}
			}
			ring := orb.Ring{corner(-w/2, -d/2), corner(w/2, -d/2), corner(w/2, d/2), corner(-w/2, d/2)}
			// A parcel sticking out of its township moves in whole.
			rb := ring.Bound()
			dx := math.Max(0, t.Bound.MinLon+1e-6-rb.Min[0]) - math.Max(0, rb.Max[0]-(t.Bound.MaxLon-1e-6))
			dy := math.Max(0, t.Bound.MinLat+1e-6-rb.Min[1]) - math.Max(0, rb.Max[1]-(t.Bound.MaxLat-1e-6))
			for k := range ring {
				ring[k] = orb.Point{round7(ring[k][0] + dx), round7(ring[k][1] + dy)}
			}
			c = orb.Point{c[0] + dx, c[1] + dy}
			ring = append(ring, ring[0])
			g := orb.Polygon{ring}
			f := &spatial.Feature{ID: b.id("parcel", uint64(i)), Kind: spatial.KindParcel, Name: fmt.Sprintf("镇海地块%05d", i+1),
				DivisionCode: t.divisionAt(c), Geometry: g, Bound: spatial.BoundOf(g),
				Properties: map[string]string{"land_use": []string{"住宅用地", "工业用地", "商服用地", "公共管理与公共服务用地"}[h%4]}}
			if !yield(f) {
				return
			}
		}
	}
}

// Counts say how many records Load created.
type Counts struct {
	Divisions, Features, Addresses int
}

// Load creates the whole base through the service: divisions parents
// first, then community boundaries and roads, addresses, points of
// interest and parcels. progress, when set, is called after every
// thousand records. It stops at the first error.
func (b *Base) Load(ctx context.Context, svc *spatial.Service, progress func(Counts)) (Counts, error) {
	var c Counts
	opts := func(id string) spatial.CreateOptions {
		return spatial.CreateOptions{ID: id, EffectiveFrom: b.o.EffectiveFrom}
	}
	tick := func() {
		if progress != nil && (c.Divisions+c.Features+c.Addresses)%1000 == 0 {
			progress(c)
		}
	}
	for _, d := range b.Divisions {
		cp := *d
		if _, err := svc.CreateDivision(ctx, &cp, opts("")); err != nil {
			return c, fmt.Errorf("load division %s: %w", d.Code, err)
		}
		c.Divisions++
		tick()
	}
	feature := func(f *spatial.Feature) error {
		cp := *f
		if _, err := svc.CreateFeature(ctx, &cp, opts(f.ID)); err != nil {
			return fmt.Errorf("load feature %s (%s): %w", f.ID, f.Name, err)
		}
		c.Features++
		tick()
		return nil
	}
	for _, f := range append(b.Boundaries(), b.roads...) {
		if err := feature(f); err != nil {
			return c, err
		}
	}
	for a := range b.Addresses() {
		if _, err := svc.CreateAddress(ctx, a, opts(a.ID)); err != nil {
			return c, fmt.Errorf("load address %s: %w", a.ID, err)
		}
		c.Addresses++
		tick()
	}
	for _, seq := range []iter.Seq[*spatial.Feature]{b.POIs(), b.Parcels()} {
		for f := range seq {
			if err := feature(f); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}
