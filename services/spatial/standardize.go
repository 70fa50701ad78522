package spatial

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/spatial/addrtext"
)

// Standardisation sizes.
const (
	DefaultAlternatives = 3
	MaxAlternatives     = 20
	maxStandardizeText  = 300
	roadCandidates      = 200
	fuzzyCandidates     = 20
)

// Candidate is a standard address an input may mean.
type Candidate struct {
	Address *Address
	// Confidence is in [0, 1].
	Confidence float64
}

// Standardized is what StandardizeAddress understood of a text.
type Standardized struct {
	Components addrtext.Components
	// Match is the best candidate, nil when nothing fits.
	Match        *Address
	Confidence   float64
	Alternatives []Candidate
}

// weights of the components in a candidate's score; they add up to 1.
var weights = struct{ division, road, house, building, unit, room float64 }{0.15, 0.35, 0.25, 0.10, 0.075, 0.075}

// StandardizeAddress parses free address text and finds the standard
// address it most likely means. Candidates come from the store: addresses
// with the parsed road and numbers in the parsed division, relaxed step by
// step (numbers below the house number, then the house number) when none
// has them all, and the fuzzy text search last. Each candidate is scored by
// how many components agree (see weights); the best one's confidence is
// its score, lowered when another candidate scores nearly as well.
func (s *Service) StandardizeAddress(ctx context.Context, text string, maxAlternatives int) (*Standardized, error) {
	alts, err := page.Size(int32(maxAlternatives), DefaultAlternatives, MaxAlternatives)
	if err != nil {
		return nil, errs.Field("max_alternatives", "must not be negative")
	}
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return nil, errs.Field("text", "is required")
	case n > maxStandardizeText:
		return nil, errs.Field("text", "must be at most %d characters, got %d", maxStandardizeText, n)
	}
	g, err := s.gazetteer(ctx, history.Point{})
	if err != nil {
		return nil, err
	}
	readings := g.ParseAll(text)
	out := &Standardized{Components: readings[0]}
	best := map[string]Candidate{}
	bestReading := map[string]int{}
	for i, r := range readings {
		if i == 3 {
			break
		}
		cands, err := s.candidates(ctx, r, text)
		if err != nil {
			return nil, err
		}
		for _, a := range cands {
			sc := score(r, a)
			if c, ok := best[a.ID]; !ok || sc > c.Confidence {
				best[a.ID] = Candidate{Address: a, Confidence: sc}
				bestReading[a.ID] = i
			}
		}
	}
	ranked := make([]Candidate, 0, len(best))
	for _, c := range best {
		ranked = append(ranked, c)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].Confidence != ranked[j].Confidence {
			return ranked[i].Confidence > ranked[j].Confidence
		}
		return ranked[i].Address.ID < ranked[j].Address.ID
	})
	if len(ranked) == 0 {
		return out, nil
	}
	// A near tie makes the best less certain: 0.6 of its score at a tie,
	// all of it from a margin of 0.05.
	margin := ranked[0].Confidence
	if len(ranked) > 1 {
		margin -= ranked[1].Confidence
	}
	factor := math.Min(1, 0.6+8*margin)
	ranked = ranked[:min(len(ranked), alts+1)]
	as := make([]*Address, len(ranked))
	for i := range ranked {
		ranked[i].Confidence = round3(ranked[i].Confidence * factor)
		as[i] = ranked[i].Address
	}
	if err := s.render(ctx, history.Point{}, as...); err != nil {
		return nil, err
	}
	out.Components = readings[bestReading[ranked[0].Address.ID]]
	out.Match, out.Confidence, out.Alternatives = ranked[0].Address, ranked[0].Confidence, ranked[1:]
	return out, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// candidates finds the addresses a reading may mean.
func (s *Service) candidates(ctx context.Context, r addrtext.Components, text string) ([]*Address, error) {
	var scope string
	if r.DivisionCode != "" {
		scope = fmt.Sprintf("division = %s", quotePrefix(DivisionName(scopePrefix(r.DivisionCode))))
	}
	if r.Road != "" {
		road := fmt.Sprintf("road = %s", quote(r.Road))
		var steps [][]string
		if r.HouseNumber != "" {
			exact := []string{road, fmt.Sprintf("house_number = %s", quote(r.HouseNumber))}
			for _, c := range []struct{ field, v string }{{"building", r.Building}, {"unit", r.Unit}, {"room", r.Room}} {
				if c.v != "" {
					exact = append(exact, fmt.Sprintf("%s = %s", c.field, quote(c.v)))
				}
			}
			steps = append(steps, exact)
			if len(exact) > 2 {
				steps = append(steps, exact[:2])
			}
		}
		steps = append(steps, []string{road})
		for _, step := range steps {
			if scope != "" {
				step = append([]string{scope}, step...)
			}
			as, _, err := s.store.Addresses().List(ctx, ListQuery{Filter: strings.Join(step, " AND "), PageSize: roadCandidates})
			if err != nil {
				return nil, fmt.Errorf("find candidate addresses: %w", err)
			}
			if len(as) > 0 {
				return as, nil
			}
		}
	}
	// Nothing has this road: the road may be misspelt or missing; search
	// the text people write.
	query := addrtext.Short(r.Parts)
	if r.Township != "" {
		query = r.Township + query
	}
	if strings.TrimSpace(query) == "" {
		query = text
	}
	q := SearchQuery{Query: query, PageSize: fuzzyCandidates}
	if scope != "" {
		q.Filter = scope
	}
	hits, _, err := s.store.Addresses().Search(ctx, q)
	if err != nil && !errors.Is(err, errs.ErrInvalid) { // invalid: the text has nothing searchable
		return nil, fmt.Errorf("search candidate addresses: %w", err)
	}
	out := make([]*Address, len(hits))
	for i, h := range hits {
		out[i] = h.Record
	}
	if len(out) > 0 || scope == "" || r.HouseNumber == "" {
		return out, nil
	}
	// A short text with a slip in the road's name shares too few terms
	// with any address: take the house number in the division, and let the
	// score weigh how alike the roads are.
	as, _, err := s.store.Addresses().List(ctx, ListQuery{PageSize: roadCandidates,
		Filter: fmt.Sprintf("%s AND house_number = %s", scope, quote(r.HouseNumber))})
	if err != nil {
		return nil, fmt.Errorf("find candidate addresses: %w", err)
	}
	return as, nil
}

// scopePrefix is the code prefix of the addresses a parsed division
// covers: a community's addresses may be registered under its township.
func scopePrefix(code string) string {
	if standard.DivisionLevel(code) == int(LevelVillage) {
		return code[:9]
	}
	return divisionPrefixOf(code)
}

// quote writes a filter string literal matching s exactly.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `*`, `\*`).Replace(s) + `"`
}

// quotePrefix writes a filter string literal matching what starts with s.
func quotePrefix(s string) string { return strings.TrimSuffix(quote(s), `"`) + `*"` }

// score is how well an address agrees with a reading, in [0, 1].
func score(r addrtext.Components, a *Address) float64 {
	total := 0.0
	switch {
	case r.DivisionCode == "":
		total += weights.division / 2
	case strings.HasPrefix(a.DivisionCode, scopePrefix(r.DivisionCode)):
		total += weights.division
	}
	if r.Road == a.Road {
		total += weights.road
	} else {
		total += weights.road * similarity(r.Road, a.Road)
	}
	switch {
	case r.HouseNumber == a.HouseNumber:
		total += weights.house
	case r.HouseNumber != "" && strings.Split(r.HouseNumber, "-")[0] == strings.Split(a.HouseNumber, "-")[0]:
		total += weights.house / 2
	}
	total += weights.building * agreement(r.Building, a.Building)
	total += weights.unit * agreement(r.Unit, a.Unit)
	total += weights.room * agreement(r.Room, a.Room)
	return math.Min(1, total)
}

// agreement compares an optional number: the same (both unset included)
// is 1; unset in the text but set in the address, 0.5 (the text is less
// specific); otherwise 0.
func agreement(want, have string) float64 {
	switch {
	case want == have:
		return 1
	case want == "":
		return 0.5
	}
	return 0
}

// similarity is the Dice coefficient of the character bigrams of two
// names, in [0, 1].
func similarity(a, b string) float64 {
	bigrams := func(s string) map[string]int {
		rs := []rune(s)
		m := map[string]int{}
		for i := 0; i+1 < len(rs); i++ {
			m[string(rs[i:i+2])]++
		}
		if len(rs) == 1 {
			m[s]++
		}
		return m
	}
	x, y := bigrams(a), bigrams(b)
	nx, ny, common := 0, 0, 0
	for k, n := range x {
		nx += n
		common += min(n, y[k])
	}
	for _, n := range y {
		ny += n
	}
	if nx+ny == 0 {
		return 0
	}
	return 2 * float64(common) / float64(nx+ny)
}
