package textsearch

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"Latin letters are lower-cased", "SINOPEC Zhenhai", "sinopec zhenhai"},
		{"full-width letters and digits become half-width", "ＡＢＣ１２３", "abc123"},
		{"brackets between CJK characters are dropped", "宁波（镇海）炼化有限公司", "宁波镇海炼化有限公司"},
		{"half-width brackets are dropped too", "宁波(镇海)炼化", "宁波镇海炼化"},
		{"a middle dot inside a name is dropped", "买买提·艾力", "买买提艾力"},
		{"blanks between CJK characters are dropped", "镇海 区", "镇海区"},
		{"the enumeration comma and full stop are dropped", "农、林。牧", "农林牧"},
		{"punctuation between Latin words becomes one space", "Co.,Ltd.", "co ltd"},
		{"a hyphen separates Latin words", "X-Ray", "x ray"},
		{"a break between CJK and Latin is kept as a space", "镇海 ABC", "镇海 abc"},
		{"CJK and Latin written together stay together", "镇海ABC公司", "镇海abc公司"},
		{"runs of white space collapse and ends are trimmed", " \t a \u3000\n b  ", "a b"},
		{"symbols are breaks", "AT&T", "at t"},
		{"invisible format characters are breaks", "ab\u200bcd", "ab cd"},
		{"text of only punctuation is empty", "（）·,，.。-、", ""},
		{"combining marks stay with their letter", "cafe\u0301", "cafe\u0301"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		rule, in string
		want     []string
	}{
		{"a CJK run gives every character and every bigram", "镇海区", []string{"镇", "镇海", "海", "海区", "区"}},
		{"a single CJK character is its own term", "镇", []string{"镇"}},
		{"a Latin word gives its prefixes of two or more letters", "Sinopec", []string{"si", "sin", "sino", "sinop", "sinope", "sinopec"}},
		{"a one-letter word is its own term", "a", []string{"a"}},
		{"digits are words", "2024", []string{"20", "202", "2024"}},
		{"letters and digits written together are one word", "ab12", []string{"ab", "ab1", "ab12"}},
		{"terms are distinct", "镇海镇海", []string{"镇", "镇海", "海", "海镇"}},
		{"a prefix already seen is not repeated", "sino sinopec", []string{"si", "sin", "sino", "sinop", "sinope", "sinopec"}},
		{"CJK and Latin are split where the script changes", "镇海abc", []string{"镇", "镇海", "海", "ab", "abc"}},
		{"bigrams span dropped brackets", "宁波（镇海）", []string{"宁", "宁波", "波", "波镇", "镇", "镇海", "海"}},
		{"kana and hangul are indexed like Chinese", "トヨタ 삼성", []string{"ト", "トヨ", "ヨ", "ヨタ", "タ", "タ삼", "삼", "삼성", "성"}},
		{"text without letters or digits has no terms", "（）", nil},
		{"empty text has no terms", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Terms(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a long word is indexed by its first MaxTermRunes runes", func(t *testing.T) {
		word := strings.Repeat("a", 100)
		got := Terms(word)
		if len(got) != MaxTermRunes-1 || got[len(got)-1] != word[:MaxTermRunes] {
			t.Fatalf("%d terms, last %q", len(got), got[len(got)-1])
		}
	})
}

func TestQueryTerms(t *testing.T) {
	tests := []struct {
		rule, in string
		want     []string
	}{
		{"a CJK query is looked up by its bigrams", "镇海炼化", []string{"镇海", "海炼", "炼化"}},
		{"a one-character CJK query is looked up by the character", "镇", []string{"镇"}},
		{"a Latin word is looked up whole and lower-cased", "SINO", []string{"sino"}},
		{"each word and run is looked up", "镇海 Sino 化", []string{"镇海", "sino", "化"}},
		{"repeated terms are looked up once", "镇海镇海", []string{"镇海", "海镇"}},
		{"the query is normalized like the text", "宁波（镇海）", []string{"宁波", "波镇", "镇海"}},
		{"a query without letters or digits has no terms", "、。", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := QueryTerms(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a long query word is cut like an indexed word, so it still matches", func(t *testing.T) {
		word := strings.Repeat("b", 40)
		q := QueryTerms(word)
		if len(q) != 1 || !slices.Contains(Terms(word+"c"), q[0]) {
			t.Fatalf("query terms %q", q)
		}
	})
}

// matches is how a caller searches: a record matches when it has every
// query term.
func matches(text, query string) bool {
	terms := Terms(text)
	q := QueryTerms(query)
	for _, t := range q {
		if !slices.Contains(terms, t) {
			return false
		}
	}
	return len(q) > 0
}

func TestMatching(t *testing.T) {
	const name = "宁波镇海炼化有限公司 Sinopec Zhenhai Refining & Chemical Co., Ltd."
	tests := []struct {
		rule, query string
		want        bool
	}{
		{"a CJK substring finds the name", "镇海炼化", true},
		{"a single CJK character finds the name", "炼", true},
		{"the start of a Latin word finds the name", "sino", true},
		{"case and width do not matter", "ＳＩＮＯＰＥＣ", true},
		{"CJK and Latin can be mixed", "炼化 refining", true},
		{"punctuation in the query does not matter", "宁波·镇海", true},
		{"the middle of a Latin word does not find it", "nopec", false},
		{"a single letter is not a prefix term", "s", false},
		{"a CJK bigram the name lacks does not find it", "北仑", false},
		{"an empty query finds nothing here; the caller decides", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := matches(name, tt.query); got != tt.want {
				t.Fatalf("matches(%q) = %v", tt.query, got)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"宁波（镇海）炼化", "Co.,Ltd.", " \t a \u3000 b ", "ＡＢＣ", "\xff\xfe", "cafe\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q is not stable", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q has stray spaces", s, n)
		}
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		rs := []rune(n)
		for i, r := range rs {
			if r != ' ' && !isCJK(r) && !isWord(r) {
				t.Fatalf("Normalize(%q) = %q keeps %q", s, n, r)
			}
			if r == ' ' && isCJK(rs[i-1]) && isCJK(rs[i+1]) {
				t.Fatalf("Normalize(%q) = %q keeps a space between CJK", s, n)
			}
		}
	})
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"宁波镇海炼化有限公司", "Sinopec 镇海", "a b", "镇海镇海", strings.Repeat("x", 40), "\xff"} {
		f.Add(s, uint(3))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint) {
		terms := Terms(s)
		if !slices.Equal(terms, Terms(s)) || !slices.Equal(terms, Terms(Normalize(s))) {
			t.Fatalf("Terms(%q) is not deterministic or not normalized", s)
		}
		set := make(map[string]bool, len(terms))
		for _, term := range terms {
			if term == "" || utf8.RuneCountInString(term) > MaxTermRunes || strings.Contains(term, " ") {
				t.Fatalf("Terms(%q) has bad term %q", s, term)
			}
			if set[term] {
				t.Fatalf("Terms(%q) repeats %q", s, term)
			}
			set[term] = true
		}
		// A text is found by its own text.
		q := QueryTerms(s)
		if len(q) == 0 && len(terms) != 0 {
			t.Fatalf("QueryTerms(%q) is empty but Terms is not", s)
		}
		for _, term := range q {
			if !set[term] {
				t.Fatalf("QueryTerms(%q) has %q, which Terms lacks", s, term)
			}
		}
		// A text is found by any leading part of it, unless that part ends
		// with a single letter cut from a longer word (single letters are not
		// prefix terms).
		rs := []rune(Normalize(s))
		if len(rs) == 0 {
			return
		}
		k := int(cut%uint(len(rs))) + 1
		if k < len(rs) && isWord(rs[k-1]) && isWord(rs[k]) && (k == 1 || !isWord(rs[k-2])) {
			return
		}
		for _, term := range QueryTerms(string(rs[:k])) {
			if !set[term] {
				t.Fatalf("query %q for %q has %q, which Terms lacks", string(rs[:k]), s, term)
			}
		}
	})
}

func TestBestMatchPicksTheNameSharingMostTerms(t *testing.T) {
	if got := BestMatch("镇海石化", "宁波港埠物流有限公司", "镇海石化有限公司"); got != "镇海石化有限公司" {
		t.Fatalf("BestMatch = %q", got)
	}
	if got := BestMatch("石化", "宁波石化", "镇海石化"); got != "宁波石化" {
		t.Fatalf("a tie must go to the first name, got %q", got)
	}
}
