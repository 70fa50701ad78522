package spatial_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/zhbase/zhbase/services/spatial"
	"github.com/zhbase/zhbase/services/spatial/demo"
)

var chineseDigits = []rune("零一二三四五六七八九")

// chineseNumber writes n as it is read: 88 八十八, 105 一百零五, 12 十二.
func chineseNumber(n int) string {
	if n == 0 {
		return "零"
	}
	var b strings.Builder
	units := []struct {
		v int
		r string
	}{{1000, "千"}, {100, "百"}, {10, "十"}}
	zero := false
	started := false
	for _, u := range units {
		d := n / u.v % 10
		switch {
		case d == 0 && started:
			zero = true
		case d > 0:
			if zero {
				b.WriteRune('零')
				zero = false
			}
			if !(u.v == 10 && d == 1 && !started) {
				b.WriteRune(chineseDigits[d])
			}
			b.WriteString(u.r)
			started = true
		}
	}
	if d := n % 10; d > 0 {
		if zero {
			b.WriteRune('零')
		}
		b.WriteRune(chineseDigits[d])
	}
	return b.String()
}

// chineseDigitsOf writes n digit by digit, as room numbers are read: 五零一.
func chineseDigitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(chineseDigits[r-'0'])
	}
	return b.String()
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

func TestChineseNumber(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 12: "十二", 20: "二十", 88: "八十八", 105: "一百零五", 110: "一百一十", 1001: "一千零一", 2030: "二千零三十"} {
		if got := chineseNumber(n); got != want {
			t.Fatalf("chineseNumber(%d) = %s, want %s", n, got, want)
		}
	}
}

// variant writes an address the way a clerk or a resident might: the
// division names in full, abbreviated or left out, the numbers in
// half-width, full-width or Chinese digits, 号 or 號, 幢, 栋, 座 or 号楼,
// with spaces and punctuation here and there — and one time in ten with a
// wrong character in the road's name.
func variant(rng *rand.Rand, a *spatial.Address, names map[string]string) string {
	town := a.DivisionCode[:9] + "000"
	short := func(name string, suffixes ...string) string {
		for _, s := range suffixes {
			if t, ok := strings.CutSuffix(name, s); ok {
				return t
			}
		}
		return name
	}
	prov, city, county, township := "浙江省", "宁波市", "镇海区", names[town]
	var parts []string
	switch rng.IntN(7) {
	case 0:
		parts = []string{prov, city, county, township}
	case 1:
		parts = []string{short(prov, "省"), short(city, "市"), short(county, "区"), short(township, "街道", "镇")}
	case 2:
		parts = []string{city, county, township}
	case 3:
		parts = []string{county, township}
	case 4:
		parts = []string{township}
	case 5:
		parts = []string{short(county, "区"), short(township, "街道", "镇")}
	default:
		parts = []string{short(city, "市"), county, short(township, "街道", "镇")}
	}
	if a.DivisionCode != town && rng.IntN(3) == 0 {
		parts = append(parts, names[a.DivisionCode]) // the community, sometimes
	}
	road := []rune(a.Road)
	if rng.IntN(10) == 0 { // a slip of the input method in one character of the road's name
		slips := []rune("的是了我不人在他有这个上们来到时地为子中你说生年着就那和要")
		road[rng.IntN(len(road)-1)] = slips[rng.IntN(len(slips))]
	}
	parts = append(parts, string(road))
	n, _ := strconv.Atoi(a.HouseNumber)
	number := []string{a.HouseNumber + "号", fullWidth(a.HouseNumber) + "号", a.HouseNumber + "號", chineseNumber(n) + "号"}[rng.IntN(4)]
	parts = append(parts, number)
	if a.Building != "" {
		b, _ := strconv.Atoi(a.Building)
		parts = append(parts, []string{a.Building + "幢", a.Building + "栋", a.Building + "座", chineseNumber(b) + "幢", a.Building + "号楼", fullWidth(a.Building) + "栋"}[rng.IntN(6)])
	}
	if a.Unit != "" {
		u, _ := strconv.Atoi(a.Unit)
		parts = append(parts, []string{a.Unit + "单元", chineseNumber(u) + "单元", fullWidth(a.Unit) + "单元"}[rng.IntN(3)])
	}
	if a.Room != "" {
		parts = append(parts, []string{a.Room + "室", a.Room, chineseDigitsOf(a.Room) + "室", fullWidth(a.Room) + "室"}[rng.IntN(4)])
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString([]string{"", "", "", " ", "，", "  ", "、"}[rng.IntN(7)])
		}
		b.WriteString(p)
	}
	return b.String()
}

// TestStandardizationRate generates free-text variants of addresses of a
// generated district and requires that at least 95% standardise to the
// address they were written from, with full confidence for a unique match.
func TestStandardizationRate(t *testing.T) {
	svc, _ := freshService(t) // the generated base brings its divisions
	base := demo.New(demo.Options{Seed: 2026, Addresses: 600, Communities: 4})
	if _, err := base.Load(ctx, svc, nil); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, d := range base.Divisions {
		names[d.Code] = d.Name
	}
	var addresses []*spatial.Address
	for a := range base.Addresses() {
		addresses = append(addresses, a)
	}
	rng := rand.New(rand.NewPCG(11, 13))
	const variants = 1200
	right, confident := 0, 0
	var misses []string
	for i := 0; i < variants; i++ {
		a := addresses[rng.IntN(len(addresses))]
		text := variant(rng, a, names)
		got, err := svc.StandardizeAddress(ctx, text, 3)
		if err != nil {
			t.Fatalf("Standardize(%q): %v", text, err)
		}
		if got.Match != nil && got.Match.ID == a.ID {
			right++
			if got.Confidence == 1 {
				confident++
			}
			continue
		}
		if len(misses) < 10 {
			found := "nothing"
			if got.Match != nil {
				found = fmt.Sprintf("%s (%.2f)", got.Match.FullText, got.Confidence)
			}
			misses = append(misses, fmt.Sprintf("%q → %s, want %s", text, found, a.ID))
		}
	}
	rate := float64(right) / variants
	t.Logf("standardised %d of %d variants to the right address: %.1f%% (%d with confidence 1)", right, variants, 100*rate, confident)
	for _, m := range misses {
		t.Logf("miss: %s", m)
	}
	if rate < 0.95 {
		t.Fatalf("rate %.3f is below 0.95", rate)
	}
	if confident < variants*8/10 {
		t.Fatalf("only %d of %d matches had confidence 1; a text naming every component of one address should", confident, variants)
	}
}

func TestStandardizeAddress(t *testing.T) {
	svc, _ := newService(t)
	for _, a := range []*spatial.Address{
		{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "501", Location: spatial.Location{Lon: 121.55, Lat: 29.98}},
		{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "502", Location: spatial.Location{Lon: 121.55, Lat: 29.98}},
		{DivisionCode: "330211003000", Road: "某某路", HouseNumber: "90", Location: spatial.Location{Lon: 121.55, Lat: 29.981}},
		{DivisionCode: "330211004000", Road: "庄市大道", HouseNumber: "5", Location: spatial.Location{Lon: 121.55, Lat: 29.93}},
	} {
		mustCreateAddress(t, svc, a)
	}
	for _, tt := range []struct {
		name, text, want string
		minConf, maxConf float64
	}{
		{"the canonical text matches with confidence 1", "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室", "某某路88号3幢2单元501室", 1, 1},
		{"an abbreviated, full-width, traditional text matches", "宁波镇海骆驼某某路８８號3栋2单元501", "某某路88号3幢2单元501室", 1, 1},
		{"a road starting with a township's short name is read as the road", "镇海庄市大道5号", "庄市大道5号", 1, 1},
		{"a missing room leaves two candidates, and less confidence", "骆驼街道某某路88号3幢2单元", "某某路88号3幢2单元50", 0.3, 0.7},
		{"a wrong house number still finds the road, with less confidence", "骆驼街道某某路89号", "某某路", 0.3, 0.8},
		{"a misspelt road is found by the fuzzy search", "骆驼街道某某街90号", "某某路90号", 0.5, 0.95},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.StandardizeAddress(ctx, tt.text, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got.Match == nil || !strings.Contains(got.Match.FullText, tt.want) || got.Confidence < tt.minConf || got.Confidence > tt.maxConf {
				t.Fatalf("Standardize(%q) = %+v (confidence %.3f)", tt.text, got.Match, got.Confidence)
			}
			if got.Components.County != "镇海区" {
				t.Fatalf("components %+v", got.Components)
			}
		})
	}
	t.Run("text with nothing to find matches nothing", func(t *testing.T) {
		got, err := svc.StandardizeAddress(ctx, "北京市朝阳区建国路1号", 3)
		if err != nil || got.Match != nil {
			t.Fatalf("Standardize = %+v, %v", got, err)
		}
	})
	t.Run("empty text is refused naming text", func(t *testing.T) {
		if _, err := svc.StandardizeAddress(ctx, "  ", 3); reasonFor(err, "text") == "" {
			t.Fatalf("Standardize = %v", err)
		}
	})
}
