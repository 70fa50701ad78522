package addrtext

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/standard"
)

// Place is a division the parser can recognise by name.
type Place struct {
	// Code is the GB/T 2260 code or its 12-digit extension.
	Code string
	// Name is the official name, e.g. 骆驼街道.
	Name string
	// Retired places (abolished, merged, renumbered) are still recognised,
	// since people keep using old names, but a current place with the same
	// name is preferred.
	Retired bool
}

// Gazetteer is a set of divisions indexed for recognising their names in
// address text. It is immutable once built and safe for concurrent use.
type Gazetteer struct {
	byCode  map[string]*entry
	entries []*entry // longest name first, so that the first match is the longest
}

type entry struct {
	Place
	level  int
	parent *entry
	// short is the name without its generic suffix (镇海 for 镇海区), or ""
	// when stripping would leave fewer than two characters.
	short string
}

// NewGazetteer indexes places. Codes CheckDivisionCode refuses are
// skipped; a place whose parent is missing is still recognised, but
// without ancestors.
func NewGazetteer(places []Place) *Gazetteer {
	g := &Gazetteer{byCode: make(map[string]*entry, len(places))}
	for _, p := range places {
		lvl := standard.DivisionLevel(p.Code)
		if lvl == 0 || p.Name == "" {
			continue
		}
		if e := g.byCode[p.Code]; e != nil { // the last of duplicates wins
			e.Name, e.Retired, e.short = p.Name, p.Retired, shortName(p.Name, lvl)
			continue
		}
		e := &entry{Place: p, level: lvl, short: shortName(p.Name, lvl)}
		g.byCode[p.Code] = e
		g.entries = append(g.entries, e)
	}
	for _, e := range g.entries {
		e.parent = g.byCode[standard.DivisionParent(e.Code)]
	}
	sort.Slice(g.entries, func(i, j int) bool {
		a, b := g.entries[i], g.entries[j]
		if la, lb := utf8.RuneCountInString(a.Name), utf8.RuneCountInString(b.Name); la != lb {
			return la > lb
		}
		if a.Retired != b.Retired {
			return !a.Retired
		}
		if a.level != b.level {
			return a.level < b.level
		}
		return a.Code < b.Code
	})
	return g
}

// Len is the number of places indexed.
func (g *Gazetteer) Len() int { return len(g.entries) }

// Name returns the official name of code, or "".
func (g *Gazetteer) Name(code string) string {
	if e := g.byCode[code]; e != nil {
		return e.Name
	}
	return ""
}

// Has reports whether code is in the gazetteer.
func (g *Gazetteer) Has(code string) bool { return g.byCode[code] != nil }

// suffixes are the generic endings of division names by level, longest
// first; an abbreviation drops them (宁波市 → 宁波, 骆驼街道 → 骆驼).
var suffixes = map[int][]string{
	1: {"特别行政区", "自治区", "省", "市"},
	2: {"自治州", "地区", "市", "盟"},
	3: {"自治县", "区", "县", "市", "旗"},
	4: {"街道办事处", "街道", "镇", "乡"},
	5: {"社区居委会", "村委会", "居委会", "社区", "村"},
}

func shortName(name string, level int) string {
	for _, s := range suffixes[level] {
		if rest, ok := strings.CutSuffix(name, s); ok {
			if utf8.RuneCountInString(rest) >= 2 {
				return rest
			}
			return ""
		}
	}
	return ""
}

// isAncestor reports whether a contains e (a is a strict ancestor).
func isAncestor(a, e *entry) bool {
	for p := e.parent; p != nil; p = p.parent {
		if p == a {
			return true
		}
	}
	return false
}

// chain returns e and its ancestors, province first.
func (e *entry) chain() []*entry {
	var up []*entry
	for p := e; p != nil; p = p.parent {
		up = append(up, p)
	}
	for i, j := 0, len(up)-1; i < j; i, j = i+1, j-1 {
		up[i], up[j] = up[j], up[i]
	}
	return up
}

// Locality returns the names of the township and community of code (those
// of its chain below the county), e.g. 骆驼街道南洪社区, or "".
func (g *Gazetteer) Locality(code string) string {
	e := g.byCode[code]
	if e == nil {
		return ""
	}
	var b strings.Builder
	for _, a := range e.chain() {
		if a.level >= 4 {
			b.WriteString(a.Name)
		}
	}
	return b.String()
}
