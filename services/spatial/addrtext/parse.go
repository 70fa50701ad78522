package addrtext

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Parts are the components of a standard address below its division.
type Parts struct {
	Road        string
	HouseNumber string
	Building    string
	Unit        string
	Room        string
}

// Components is what the parser understood of an address text.
type Components struct {
	// Official names of the divisions recognised or implied by them (a
	// township implies its county, city and province).
	Province, City, County, Township, Community string
	// DivisionCode is the most specific division recognised, "" if none.
	DivisionCode string
	Parts
	// Abbreviated counts the division names the text gave in short form.
	Abbreviated int
	// Rest is text the parser could not place (a compound's name between
	// house number and building, a floor), in order.
	Rest string
}

// Canonical renders the canonical text of a standard address in the
// division with this code: the names of its province, city, county and
// township (communities are not written), then road, 号, 幢, 单元 and 室.
// Divisions the gazetteer does not hold are left out.
func (g *Gazetteer) Canonical(divisionCode string, p Parts) string {
	var b strings.Builder
	if e := g.byCode[divisionCode]; e != nil {
		for _, a := range e.chain() {
			if a.level <= 4 {
				b.WriteString(a.Name)
			}
		}
	}
	b.WriteString(p.Road)
	writeNumber(&b, p.HouseNumber, "号")
	writeNumber(&b, p.Building, "幢")
	writeNumber(&b, p.Unit, "单元")
	writeNumber(&b, p.Room, "室")
	return b.String()
}

// Short renders the part of an address people write after the division
// names: road and numbers.
func Short(p Parts) string {
	var b strings.Builder
	b.WriteString(p.Road)
	writeNumber(&b, p.HouseNumber, "号")
	writeNumber(&b, p.Building, "幢")
	writeNumber(&b, p.Unit, "单元")
	writeNumber(&b, p.Room, "室")
	return b.String()
}

func writeNumber(b *strings.Builder, n, marker string) {
	if n != "" {
		b.WriteString(n)
		b.WriteString(marker)
	}
}

// divisionMatch is one division name found at the start of the text.
type divisionMatch struct {
	e           *entry
	end         int // byte offset after the name in the normalized text
	abbreviated bool
}

// Parse returns the most likely reading of text. See ParseAll.
func (g *Gazetteer) Parse(text string) Components {
	return g.ParseAll(text)[0]
}

// ParseAll returns every plausible reading of text, most likely first;
// there is always at least one. Readings differ in how many leading names
// are taken as divisions: 庄市大道88号 may be road 大道 in 庄市街道, or
// road 庄市大道 — the first reading that leaves a real road name comes
// first, and the caller may try the others.
func (g *Gazetteer) ParseAll(text string) []Components {
	s := Normalize(text)
	matches := g.matchDivisions(s)
	var good, poor []Components
	// Take all matches, then drop trailing abbreviations one by one (an
	// abbreviation is what a road name may also start with) until a
	// reading leaves a real road name.
	for n := len(matches); n >= 0; n-- {
		c := g.components(s, matches[:n])
		if !genericRoad(c.Road) {
			good = append(good, c)
			break
		}
		poor = append(poor, c)
		if n == 0 || !matches[n-1].abbreviated {
			break
		}
	}
	return append(good, poor...)
}

// matchDivisions finds division names one after another at the start of
// s, each inside the one before it (levels may be skipped: 浙江镇海), the
// longest name first.
func (g *Gazetteer) matchDivisions(s string) []divisionMatch {
	var out []divisionMatch
	var cur *entry
	pos := 0
	for {
		best := divisionMatch{}
		for _, e := range g.entries {
			if cur != nil && !isAncestor(cur, e) {
				continue
			}
			rest := s[pos:]
			switch {
			case strings.HasPrefix(rest, e.Name):
				if end := pos + len(e.Name); best.e == nil || end > best.end {
					best = divisionMatch{e: e, end: end}
				}
			case e.short != "" && strings.HasPrefix(rest, e.short):
				if end := pos + len(e.short); best.e == nil || end > best.end {
					best = divisionMatch{e: e, end: end, abbreviated: true}
				}
			}
		}
		if best.e == nil {
			return out
		}
		out = append(out, best)
		cur, pos = best.e, best.end
	}
}

// components reads road and numbers after the given division matches.
func (g *Gazetteer) components(s string, matches []divisionMatch) Components {
	var c Components
	pos := 0
	if len(matches) > 0 {
		last := matches[len(matches)-1]
		pos = last.end
		c.DivisionCode = last.e.Code
		for _, a := range last.e.chain() {
			switch a.level {
			case 1:
				c.Province = a.Name
			case 2:
				c.City = a.Name
			case 3:
				c.County = a.Name
			case 4:
				c.Township = a.Name
			case 5:
				c.Community = a.Name
			}
		}
		for _, m := range matches {
			if m.abbreviated {
				c.Abbreviated++
			}
		}
	}
	rest := s[pos:]
	i := strings.IndexFunc(rest, isDigit)
	if i < 0 {
		c.Road = strings.TrimSpace(rest)
		return c
	}
	c.Road = strings.TrimSpace(rest[:i])
	c.readNumbers(rest[i:])
	return c
}

// slots in the order unmarked numbers fill them.
const (
	slotHouse = iota
	slotBuilding
	slotUnit
	slotRoom
	slotNone
)

// readNumbers reads numbers with their markers: 88号 3幢 2单元 501室,
// 3号楼 for a building, bare numbers filling the next slot in order.
func (c *Components) readNumbers(s string) {
	rs := []rune(s)
	next := slotHouse
	var rest []rune
	set := func(slot int, v string) {
		switch slot {
		case slotHouse:
			c.HouseNumber = v
		case slotBuilding:
			c.Building = v
		case slotUnit:
			c.Unit = v
		case slotRoom:
			c.Room = v
		}
		if slot+1 > next {
			next = slot + 1
		}
	}
	digitsFrom := func(i int) int {
		for i < len(rs) && isDigit(rs[i]) {
			i++
		}
		return i
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		if r == ' ' || r == '-' {
			i++
			continue
		}
		if !isDigit(r) {
			rest = append(rest, r)
			i++
			continue
		}
		j := digitsFrom(i)
		// 88-2号 is one house number; 3-2-501 after it are three numbers.
		if c.HouseNumber == "" && j+1 < len(rs) && rs[j] == '-' && isDigit(rs[j+1]) {
			if k := digitsFrom(j + 1); markerAt(rs, k) == "号" && (k+1 >= len(rs) || rs[k+1] != '楼') {
				j = k
			}
		}
		num := trimZeros(string(rs[i:j]))
		i = j
		switch m := markerAt(rs, i); m {
		case "号":
			i++
			if i < len(rs) && rs[i] == '楼' {
				i++
				set(slotBuilding, num)
			} else if c.HouseNumber == "" {
				set(slotHouse, num)
			} else {
				set(slotBuilding, num) // 88号3号: the second 号 names a building
			}
		case "幢", "栋", "座":
			i++
			set(slotBuilding, num)
		case "单元":
			i += 2
			set(slotUnit, num)
		case "室", "户":
			i++
			set(slotRoom, num)
		case "楼", "层":
			// A floor: not part of a standard address.
			i++
			rest = append(rest, []rune(num+m)...)
		default:
			if next < slotNone {
				set(next, num)
			} else {
				rest = append(rest, []rune(num)...)
			}
		}
	}
	c.Rest = string(rest)
}

// trimZeros drops leading zeros of each number (088 → 88) but keeps a lone 0.
func trimZeros(n string) string {
	parts := strings.Split(n, "-")
	for i, p := range parts {
		t := strings.TrimLeft(p, "0")
		if t == "" {
			t = "0"
		}
		parts[i] = t
	}
	return strings.Join(parts, "-")
}

// roadEndings are the generic final characters of road names.
const roadEndings = "路街道巷弄里线"

// genericRoad reports whether a road is empty or only a generic ending
// (路, 大道, 北路): then the name in front of it was the road's, not a
// division's.
func genericRoad(road string) bool {
	n := utf8.RuneCountInString(road)
	if n == 0 {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(road)
	return n <= 2 && strings.ContainsRune(roadEndings, last)
}

// Scope is one reading of a prefix being typed: the divisions the address
// must lie in (none when the prefix names none) and the rest of the
// prefix, normalized, which the road-and-numbers text must start with.
type Scope struct {
	Codes []string
	Rest  string
}

// Scopes reads the division names at the start of a prefix being typed,
// most likely reading first. When the rest is the beginning of the name
// of divisions inside the last one recognised (镇海区骆), those divisions
// are the scope and the rest is empty. Like ParseAll, it also offers the
// readings that give trailing abbreviations back to the road: 骆驼某某路8
// may be road 路8… in 某某社区, or road 某某路8… in 骆驼街道.
func (g *Gazetteer) Scopes(prefix string) []Scope {
	s := Normalize(prefix)
	matches := g.matchDivisions(s)
	var out []Scope
	for n := len(matches); n >= 0 && len(out) < maxScopes; n-- {
		out = append(out, g.scope(s, matches[:n]))
		if n == 0 || !matches[n-1].abbreviated {
			break
		}
	}
	return out
}

// maxScopes bounds the readings of a prefix: each costs a query.
const maxScopes = 3

func (g *Gazetteer) scope(s string, matches []divisionMatch) Scope {
	if len(matches) == 0 {
		return Scope{Rest: s}
	}
	last := matches[len(matches)-1]
	rest := s[last.end:]
	if rest != "" && !strings.ContainsFunc(rest, isDigit) {
		var typing []string
		for _, e := range g.entries {
			if isAncestor(last.e, e) && (strings.HasPrefix(e.Name, rest) || (e.short != "" && strings.HasPrefix(e.short, rest))) {
				typing = append(typing, e.Code)
			}
		}
		if len(typing) > 0 {
			sort.Strings(typing)
			return Scope{Codes: typing}
		}
	}
	return Scope{Codes: []string{last.e.Code}, Rest: rest}
}
