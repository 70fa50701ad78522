package textsearch

import (
	"strings"
	"unicode"
)

// MaxTermRunes bounds the length of a term. Longer words are indexed and
// queried by their first MaxTermRunes runes only, which keeps every term far
// below PostgreSQL's B-tree entry limit (about 2.7 kB) whatever is pasted
// into a name; words sharing a 32-character prefix then match each other,
// which the caller's exact filter weeds out.
const MaxTermRunes = 32

// isCJK reports the scripts written without spaces between words, which are
// indexed by character and bigram.
func isCJK(r rune) bool {
	// U+30FC, the katakana prolonged sound mark, has the Common script but
	// only occurs inside kana words.
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 0x30FC
}

// isWord reports the runes of space-separated words: letters and digits of
// every other script, and combining marks, which belong to the letter before
// them.
func isWord(r rune) bool {
	return !isCJK(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
}

// fold maps a rune to the form it is compared in. It is a hand-picked part
// of NFKC (full-width ASCII to ASCII) plus lower-casing; full NFKC would need
// golang.org/x/text, and what Chinese input methods actually produce is
// full-width ASCII.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	}
	return unicode.ToLower(r)
}

// Normalize returns the text as it is indexed: full-width ASCII made
// half-width, letters lower-cased, and every run of punctuation, symbols and
// white space turned into a single space, trimmed at both ends. A break
// between two CJK characters is dropped altogether, because Chinese does not
// delimit words with spaces or brackets: 宁波（镇海）炼化 and 宁波镇海炼化
// are the same name.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune // last rune written; 0 before the first
	gap := false
	for _, r := range s {
		r = fold(r)
		if !isCJK(r) && !isWord(r) {
			gap = true
			continue
		}
		if gap && prev != 0 && !(isCJK(prev) && isCJK(r)) {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// runs calls f for each maximal run of CJK runes and each word in the
// normalized text.
func runs(normalized string, f func(run []rune, cjk bool)) {
	rs := []rune(normalized)
	for i := 0; i < len(rs); {
		if rs[i] == ' ' {
			i++
			continue
		}
		cjk := isCJK(rs[i])
		j := i + 1
		for j < len(rs) && rs[j] != ' ' && isCJK(rs[j]) == cjk {
			j++
		}
		f(rs[i:j], cjk)
		i = j
	}
}

// termSet collects distinct terms in the order they are first added.
type termSet struct {
	seen  map[string]struct{}
	terms []string
}

func (t *termSet) add(rs []rune) {
	term := string(rs)
	if _, ok := t.seen[term]; ok {
		return
	}
	if t.seen == nil {
		t.seen = make(map[string]struct{})
	}
	t.seen[term] = struct{}{}
	t.terms = append(t.terms, term)
}

func truncate(word []rune) []rune { return word[:min(len(word), MaxTermRunes)] }

// Terms returns the distinct index terms of a text, in order of first
// appearance: for each run of CJK characters every character and every
// bigram; for each Latin or digit word its prefixes of two or more
// characters up to the whole word (or the word itself if it has one
// character). A text with no letters or digits has no terms.
func Terms(s string) []string {
	var set termSet
	runs(Normalize(s), func(run []rune, cjk bool) {
		if cjk {
			for i := range run {
				set.add(run[i : i+1])
				if i+1 < len(run) {
					set.add(run[i : i+2])
				}
			}
			return
		}
		word := truncate(run)
		if len(word) == 1 {
			set.add(word)
		}
		for n := 2; n <= len(word); n++ {
			set.add(word[:n])
		}
	})
	return set.terms
}

// QueryTerms returns the distinct terms to look up for a query, in order of
// first appearance: the bigrams of each CJK run (or its character, if the run
// has only one) and each Latin or digit word whole. A record matches the
// query when its terms include all of these. A query with no letters or
// digits has no terms; what that should find is the caller's decision.
func QueryTerms(q string) []string {
	var set termSet
	runs(Normalize(q), func(run []rune, cjk bool) {
		if !cjk {
			set.add(truncate(run))
			return
		}
		if len(run) == 1 {
			set.add(run)
		}
		for i := 0; i+1 < len(run); i++ {
			set.add(run[i : i+2])
		}
	})
	return set.terms
}

// BestMatch returns the name, of names, that shares the most of a query's
// terms (QueryTerms), the first one on a tie: which of a record's current and
// former names a search hit matched.
func BestMatch(query string, names ...string) string {
	terms := QueryTerms(query)
	best, bestHits := "", -1
	for _, n := range names {
		have := map[string]bool{}
		for _, t := range Terms(n) {
			have[t] = true
		}
		hits := 0
		for _, t := range terms {
			if have[t] {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = n, hits
		}
	}
	return best
}
