package addrtext

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/standard"
)

// testGazetteer holds Zhenhai's divisions and a few communities, as the
// registry would.
func testGazetteer() *Gazetteer {
	var places []Place
	for _, d := range standard.Zhenhai {
		places = append(places, Place{Code: d.Code, Name: d.Name})
	}
	places = append(places,
		Place{Code: "330211001001", Name: "白龙社区"},
		Place{Code: "330211003002", Name: "南洪社区"},
		Place{Code: "330211100201", Name: "汶溪村"},
		Place{Code: "330200", Name: "宁波市"}, // a duplicate does no harm
	)
	return NewGazetteer(places)
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"full-width digits become half-width", "８８号", "88号"},
		{"號 becomes 号", "88號", "88号"},
		{"栋 after a number becomes 幢", "3栋", "3幢"},
		{"座 after a number becomes 幢", "3座", "3幢"},
		{"座 inside a name stays", "宝座路", "宝座路"},
		{"spaces and punctuation go", "骆驼街道, 某某路 88号。", "骆驼街道某某路88号"},
		{"a space between two numbers stays, once", "88   3", "88 3"},
		{"a hyphen inside a house number stays", "88-2号", "88-2号"},
		{"a full-width hyphen inside a house number stays", "88－2号", "88-2号"},
		{"a hyphen elsewhere goes", "某某路-88号", "某某路88号"},
		{"positional Chinese numerals before 号", "八十八号", "88号"},
		{"ten alone", "十号", "10号"},
		{"a hundred and five", "一百零五号", "105号"},
		{"digit-by-digit Chinese numerals before 室", "五零一室", "501室"},
		{"Chinese numerals before 单元", "二单元", "2单元"},
		{"Chinese numerals inside a road name stay", "十里路八号", "十里路8号"},
		{"Chinese numerals with a space before their marker", "三 幢", "3幢"},
		{"Latin letters are upper-cased", "b座", "B座"},
		{"traditional characters are simplified", "鎮海區", "镇海区"},
		{"the ideographic space goes", "骆驼\u3000某某路", "骆驼某某路"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNumeralString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"八十八", "88", true}, {"十", "10", true}, {"十二", "12", true}, {"二十", "20", true},
		{"一百零五", "105", true}, {"两千", "2000", true}, {"五零一", "501", true}, {"〇〇七", "007", true},
		{"十百", "", false}, {"零", "0", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := numeralString([]rune(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Fatalf("numeralString(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParse(t *testing.T) {
	g := testGazetteer()
	full := Components{Province: "浙江省", City: "宁波市", County: "镇海区", Township: "骆驼街道", DivisionCode: "330211003000",
		Parts: Parts{Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "501"}}
	tests := []struct {
		name string
		in   string
		want Components
	}{
		{"the canonical form is read in full", "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室", full},
		{"abbreviated divisions are recognised", "浙江宁波镇海骆驼某某路88号3幢2单元501室", with(full, func(c *Components) { c.Abbreviated = 4 })},
		{"a missing province and city are implied", "镇海区骆驼街道某某路88号3幢2单元501室", full},
		{"a township alone implies the rest", "骆驼街道某某路88号3幢2单元501室", full},
		{"full-width digits, 號 and 栋", "骆驼街道某某路８８號３栋２单元５０１室", full},
		{"spaces and punctuation", "宁波市 镇海区，骆驼街道 某某路88号 3幢 2单元 501室", full},
		{"Chinese numerals", "骆驼街道某某路八十八号三幢二单元五零一室", full},
		{"bare numbers fill house, building, unit and room in order", "骆驼街道某某路88号3-2-501", with(full, func(c *Components) { c.Building, c.Unit, c.Room = "3", "2", "501" })},
		{"3号楼 is a building", "骆驼街道某某路88号3号楼2单元501室", full},
		{"a room without 室", "骆驼街道某某路88号3幢2单元501", full},
		{"a house number with a suffix", "骆驼街道某某路88-2号", with(full, func(c *Components) {
			c.HouseNumber, c.Building, c.Unit, c.Room = "88-2", "", "", ""
		})},
		{"a community is recognised and implies its township", "南洪社区某某路88号", with(full, func(c *Components) {
			c.Community, c.DivisionCode = "南洪社区", "330211003002"
			c.Building, c.Unit, c.Room = "", "", ""
		})},
		{"a floor is set aside", "骆驼街道某某路88号3幢2单元5楼501室", with(full, func(c *Components) { c.Rest = "5楼" })},
		{"a compound's name is set aside", "骆驼街道某某路88号海天花园3幢2单元501室", with(full, func(c *Components) { c.Rest = "海天花园" })},
		{"a road starting with a township's short name keeps it", "镇海区庄市大道88号", Components{Province: "浙江省", City: "宁波市", County: "镇海区",
			DivisionCode: "330211", Parts: Parts{Road: "庄市大道", HouseNumber: "88"}}},
		{"leading zeros go", "骆驼街道某某路088号", with(full, func(c *Components) { c.HouseNumber, c.Building, c.Unit, c.Room = "88", "", "", "" })},
		{"no division at all", "某某路88号", Components{Parts: Parts{Road: "某某路", HouseNumber: "88"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := g.Parse(tt.in)
			if got != tt.want {
				t.Fatalf("Parse(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func with(c Components, f func(*Components)) Components {
	f(&c)
	return c
}

func TestParseAllOffersTheReadingWithTheAbbreviationAsPartOfTheRoad(t *testing.T) {
	g := testGazetteer()
	all := g.ParseAll("镇海骆驼桥路5号")
	if len(all) != 2 {
		t.Fatalf("ParseAll gave %d readings: %+v", len(all), all)
	}
	if all[0].Township != "" || all[0].Road != "骆驼桥路" || all[0].DivisionCode != "330211" {
		t.Fatalf("first reading = %+v, want road 骆驼桥路 in 镇海区 (a two-character road 桥路 is unlikely)", all[0])
	}
	if all[1].Township != "骆驼街道" || all[1].Road != "桥路" {
		t.Fatalf("second reading = %+v, want road 桥路 in 骆驼街道", all[1])
	}
	all = g.ParseAll("镇海骆驼某某路5号")
	if len(all) != 1 || all[0].Township != "骆驼街道" || all[0].Road != "某某路" {
		t.Fatalf("a reading leaving a real road name is the only one: %+v", all)
	}
}

func TestCanonical(t *testing.T) {
	g := testGazetteer()
	p := Parts{Road: "某某路", HouseNumber: "88", Building: "3", Unit: "2", Room: "501"}
	tests := []struct{ name, code, want string }{
		{"a township address names every division above it", "330211003000", "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室"},
		{"a community address does not name the community", "330211003002", "浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室"},
		{"an unknown division is left out", "330211999000", "某某路88号3幢2单元501室"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Canonical(tt.code, p); got != tt.want {
				t.Fatalf("Canonical = %q, want %q", got, tt.want)
			}
		})
	}
	if got := g.Canonical("330211003000", Parts{Road: "某某路", HouseNumber: "88"}); got != "浙江省宁波市镇海区骆驼街道某某路88号" {
		t.Fatalf("without building, unit and room: %q", got)
	}
}

func TestShortNames(t *testing.T) {
	tests := []struct {
		name  string
		level int
		want  string
	}{
		{"浙江省", 1, "浙江"}, {"宁波市", 2, "宁波"}, {"镇海区", 3, "镇海"}, {"骆驼街道", 4, "骆驼"}, {"澥浦镇", 4, "澥浦"},
		{"九龙湖镇", 4, "九龙湖"}, {"南洪社区", 5, "南洪"}, {"汶溪村", 5, "汶溪"}, {"城区", 3, ""}, {"某乡", 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortName(tt.name, tt.level); got != tt.want {
				t.Fatalf("shortName(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

// roadChars are what fuzzed road names are made of; none starts a
// division name of the test gazetteer, so that the canonical text has one
// reading.
var roadChars = []rune("东西南北中山海港湖新华兴明光和平安康福寿金银江河宝龙凤")
var roadEndingsList = []string{"路", "街", "大道", "巷", "弄"}

// FuzzParseRecoversCanonicalText: for any address, parsing its canonical
// text gives back its components and division.
func FuzzParseRecoversCanonicalText(f *testing.F) {
	f.Add(uint8(3), uint16(12), uint16(88), uint8(3), uint8(2), uint16(501), uint8(0))
	f.Add(uint8(0), uint16(0), uint16(1), uint8(0), uint8(0), uint16(0), uint8(1))
	g := testGazetteer()
	codes := []string{"330211001000", "330211002000", "330211003000", "330211004000", "330211005000", "330211100000", "330211101000", "330211003002"}
	f.Fuzz(func(t *testing.T, division uint8, road uint16, house uint16, building uint8, unit uint8, room uint16, suffix uint8) {
		code := codes[int(division)%len(codes)]
		var rb strings.Builder
		for n := road; ; n /= uint16(len(roadChars)) {
			rb.WriteRune(roadChars[int(n)%len(roadChars)])
			if n < uint16(len(roadChars)) || utf8.RuneCountInString(rb.String()) >= 4 {
				break
			}
		}
		if utf8.RuneCountInString(rb.String()) < 2 {
			rb.WriteRune(roadChars[0])
		}
		rb.WriteString(roadEndingsList[int(suffix)%len(roadEndingsList)])
		p := Parts{Road: rb.String(), HouseNumber: fmt.Sprint(1 + int(house)%3000)}
		if suffix%3 == 1 {
			p.HouseNumber += fmt.Sprintf("-%d", 1+int(suffix)%9)
		}
		if building > 0 {
			p.Building = fmt.Sprint(building)
			if unit > 0 {
				p.Unit = fmt.Sprint(unit % 20)
				if p.Unit == "0" {
					p.Unit = "1"
				}
				if room > 0 {
					p.Room = fmt.Sprint(room)
				}
			}
		}
		text := g.Canonical(code, p)
		got := g.Parse(text)
		wantCode := code
		if standard.DivisionLevel(code) == 5 {
			wantCode = standard.DivisionParent(code) // the canonical text does not name communities
		}
		if got.Parts != p || got.DivisionCode != wantCode || got.Rest != "" {
			t.Fatalf("Parse(%q) = %+v, want parts %+v in %s", text, got, p, wantCode)
		}
	})
}

// FuzzParseNeverPanics: any text parses to something, and what it
// returns is made of the text's own normalized characters.
func FuzzParseNeverPanics(f *testing.F) {
	for _, s := range []string{"浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室", "八十八号", "十百千号", "-", "88-", "--88--2号", "号号号", "\xff\xfe", "镇海骆驼", "1 2 3 4 5 6"} {
		f.Add(s)
	}
	g := testGazetteer()
	f.Fuzz(func(t *testing.T, s string) {
		inText := map[rune]bool{}
		for _, r := range Normalize(s) {
			inText[r] = true
		}
		for _, c := range g.ParseAll(s) {
			for _, part := range []string{c.Road, c.Rest} {
				for _, r := range part {
					if !inText[r] {
						t.Fatalf("Parse(%q) produced %q, whose %q is not in the normalized text", s, part, r)
					}
				}
			}
			for _, n := range []string{c.HouseNumber, c.Building, c.Unit, c.Room} {
				if strings.Trim(n, "0123456789-") != "" {
					t.Fatalf("Parse(%q) produced the number %q", s, n)
				}
			}
			if c.DivisionCode != "" && !g.Has(c.DivisionCode) {
				t.Fatalf("Parse(%q) produced the unknown division %s", s, c.DivisionCode)
			}
		}
	})
}

func TestScopes(t *testing.T) {
	g := testGazetteer()
	tests := []struct {
		name, prefix string
		want         []Scope
	}{
		{"no division: the whole prefix is road text", "某某路8", []Scope{{Rest: "某某路8"}}},
		{"a full township name scopes to it", "浙江省宁波市镇海区骆驼街道某某路8", []Scope{{Codes: []string{"330211003000"}, Rest: "某某路8"}}},
		{"a township being typed scopes to the townships it may become", "镇海区骆", []Scope{{Codes: []string{"330211003000"}}}},
		{"abbreviations that may begin the road give more readings, three at most", "镇海骆驼南洪路1",
			[]Scope{{Codes: []string{"330211003002"}, Rest: "路1"}, {Codes: []string{"330211003000"}, Rest: "南洪路1"}, {Codes: []string{"330211"}, Rest: "骆驼南洪路1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Scopes(tt.prefix); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Scopes(%q) = %+v, want %+v", tt.prefix, got, tt.want)
			}
		})
	}
}
