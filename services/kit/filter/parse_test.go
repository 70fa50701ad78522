package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// show renders a tree in a compact prefix form so expected trees read at a
// glance in the tables below.
func show(n Node) string {
	switch n := n.(type) {
	case nil:
		return "<nil>"
	case *And:
		return showList("AND", n.Terms)
	case *Or:
		return showList("OR", n.Terms)
	case *Not:
		return "(NOT " + show(n.X) + ")"
	case *Compare:
		v := n.Value
		if n.Quoted {
			v = strconv.Quote(v)
		}
		if n.Wildcard {
			v += "*"
		}
		return n.Field + n.Op + v
	}
	return fmt.Sprintf("<%T>", n)
}

func showList(op string, terms []Node) string {
	parts := []string{op}
	for _, t := range terms {
		parts = append(parts, show(t))
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty filter means no filter", "", "<nil>"},
		{"whitespace-only filter means no filter", " \t\n\u3000", "<nil>"},
		{"single comparison", "status = ACTIVE", "status=ACTIVE"},
		{"spaces around the operator are optional", "status=ACTIVE", "status=ACTIVE"},
		{"dotted field", "registered_address.division_code = 110101", "registered_address.division_code=110101"},
		{"every operator", "a = 1 b != 2 c < 3 d <= 4 e > 5 f >= 6 g : 7",
			"(AND a=1 b!=2 c<3 d<=4 e>5 f>=6 g:7)"},
		{"has operator keeps contains meaning", `name:"科技"`, `name:"科技"`},
		{"juxtaposition means AND", "a=1 b=2", "(AND a=1 b=2)"},
		{"explicit AND", "a=1 AND b=2", "(AND a=1 b=2)"},
		{"AND chains stay flat", "a=1 AND b=2 c=3 AND d=4", "(AND a=1 b=2 c=3 d=4)"},
		{"OR chains stay flat", "a=1 OR b=2 OR c=3", "(OR a=1 b=2 c=3)"},
		{"precedence: AND binds tighter than OR on the right", "a=1 OR b=2 AND c=3", "(OR a=1 (AND b=2 c=3))"},
		{"precedence: AND binds tighter than OR on the left", "a=1 AND b=2 OR c=3", "(OR (AND a=1 b=2) c=3)"},
		{"precedence: juxtaposition binds tighter than OR", "a=1 b=2 OR c=3", "(OR (AND a=1 b=2) c=3)"},
		{"parentheses override precedence", "a=1 AND (b=2 OR c=3)", "(AND a=1 (OR b=2 c=3))"},
		{"parentheses without spaces", "(a=1)(b=2)", "(AND a=1 b=2)"},
		{"redundant parentheses vanish", "((a=1))", "a=1"},
		{"NOT negates one comparison", "NOT a=1", "(NOT a=1)"},
		{"NOT binds tighter than AND", "NOT a=1 b=2", "(AND (NOT a=1) b=2)"},
		{"NOT before parentheses", "NOT (a=1 OR b=2)", "(NOT (OR a=1 b=2))"},
		{"NOT directly before a parenthesis", "NOT(a=1)", "(NOT a=1)"},
		{"minus negates", "-a=1", "(NOT a=1)"},
		{"minus before parentheses", "-(a=1 b=2)", "(NOT (AND a=1 b=2))"},
		{"double negation is kept", "NOT -a=1", "(NOT (NOT a=1))"},
		{"minus in a value is not negation", "n > -5", "n>-5"},
		{"keywords are case-sensitive so lowercase names are fields", "not = 1 and = 2", "(AND not=1 and=2)"},
		{"a field may start with a keyword", "NOTE = 1 ORDER = 2 ANDROID = 3", "(AND NOTE=1 ORDER=2 ANDROID=3)"},
		{"quoted value", `name = "Acme Ltd"`, `name="Acme Ltd"`},
		{"quoted empty value", `name = ""`, `name=""`},
		{"quoted escapes", `name = "a\"b\\c\nd\te\rf"`, `name="a\"b\\c\nd\te\rf"`},
		{"quoted keyword is a value", `name = "AND"`, `name="AND"`},
		{"quoted value may hold parentheses and operators", `name = "(a=1) OR x"`, `name="(a=1) OR x"`},
		{"bare CJK value", "name = 北京市朝阳区", "name=北京市朝阳区"},
		{"bare value with dots dashes underscores", "code = a.b-c_d", "code=a.b-c_d"},
		{"bare date value", "founded >= 2024-01-31", "founded>=2024-01-31"},
		{"bare decimal value", "ratio < 0.25", "ratio<0.25"},
		{"quoted timestamp", `t > "2024-01-31T08:00:00+08:00"`, `t>"2024-01-31T08:00:00+08:00"`},
		{"wildcard: trailing star on = is a prefix match", "name = 北京*", "name=北京*"},
		{"wildcard: trailing star inside quotes is a prefix match", `name = "Acme *"`, `name="Acme "*`},
		{"wildcard: lone star", "name = *", "name=*"},
		{"wildcard: escaped star is literal", `name = "a\*"`, `name="a*"`},
		{"wildcard: escaped star then real star", `name = "a\**"`, `name="a*"*`},
		{"ideographic space separates terms", "a=1\u3000b=2", "(AND a=1 b=2)"},
		{"newlines separate terms", "a=1\nOR\nb=2", "(OR a=1 b=2)"},
		{"value followed by closing paren", "(a=1 OR b=x)", "(OR a=1 b=x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := show(n); got != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	n, err := Parse(`a=1 OR (NOT  bb.c : "x")`)
	if err != nil {
		t.Fatal(err)
	}
	or := n.(*Or)
	if got := or.Terms[0].(*Compare).Pos; got != 0 {
		t.Errorf("first comparison Pos = %d, want 0", got)
	}
	if got := or.Terms[1].(*Not).X.(*Compare).Pos; got != 13 {
		t.Errorf("second comparison Pos = %d, want 13", got)
	}
}

func TestParseErrors(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("(", n) + "a=1" + strings.Repeat(")", n) }
	many := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "a=1"
		}
		return strings.Join(parts, " ")
	}
	tests := []struct {
		name    string
		in      string
		pos     int
		wantMsg string // substring of Msg
	}{
		{"missing value at end", "status =", 8, `expected a value after "="`},
		{"missing value before paren", "(status = )", 10, `expected a value after "=", found ')'`},
		{"missing operator", "status", 6, `expected an operator (= != < <= > >= :) after the field "status", found the end of the filter`},
		{"bare text search is not supported", "acme ltd", 5, `after the field "acme"`},
		{"lowercase keyword gets a hint", "a=1 and b=2", 8, "write AND, OR and NOT in capitals"},
		{"double equals", "a == 1", 2, `use "=" rather than "=="`},
		{"SQL-style not-equal", "a <> 1", 2, `use "!=" rather than "<>"`},
		{"dangling AND", "a=1 AND", 7, "expected a comparison such as status = ACTIVE after AND, found the end of the filter"},
		{"dangling OR", "a=1 OR", 6, "after OR, found the end"},
		{"dangling NOT", "NOT", 3, "after NOT"},
		{"dangling minus", "-", 1, "after -"},
		{"leading AND", "AND a=1", 0, "expected a comparison such as status = ACTIVE, found AND"},
		{"OR OR", "a=1 OR OR b=2", 7, "after OR, found OR"},
		{"empty parentheses", "()", 1, "after (, found ')'"},
		{"unclosed parenthesis", "(a=1", 4, "expected ')' to close the '(' at 0, found the end of the filter"},
		{"unopened parenthesis", "a=1)", 3, "found ')' without a matching '('"},
		{"value is a bare keyword", "name = AND", 7, `AND is a keyword; to compare with the text AND write it in double quotes: "AND"`},
		{"unterminated string", `name = "abc`, 7, `this value has no closing '"'`},
		{"unterminated string after escape", `name = "abc\`, 7, `no closing '"'`},
		{"unknown escape", `name = "a\qb"`, 9, `unknown escape \q`},
		{"field cannot start with a digit", "1a = 2", 0, "expected a comparison such as status = ACTIVE, found '1'"},
		{"field ends with a dot", "a. = 1", 2, "expected a field name after '.'"},
		{"field with double dot", "a..b = 1", 2, "expected a field name after '.'"},
		{"wildcard: star in the middle of a bare value", "name = a*b", 8, "'*' may appear only at the end of a value"},
		{"wildcard: star in the middle of a quoted value", `name = "a*b"`, 9, "'*' may appear only at the end"},
		{"wildcard: two trailing stars", "name = a**", 8, "'*' may appear only at the end"},
		{"wildcard: leading star", "name = *a", 7, "'*' may appear only at the end"},
		{"wildcard: not with !=", "name != a*", 9, `works only with "=", not "!="`},
		{"wildcard: not with has", "name : a*", 8, `works only with "=", not ":"`},
		{"unquoted timestamp gets a hint", "t > 2024-01-31T08:00:00Z", 17, "timestamps and other values containing ':' or '+' must be in double quotes"},
		{"value glued to the next comparison", `a="1"b=2`, 5, "after the value that starts at 2"},
		{"full-width equals gets a hint", "status＝ACTIVE", 6, `write the ASCII "=" instead`},
		{"full-width parenthesis gets a hint", "（a=1）", 0, `write the ASCII "(" instead`},
		{"curly quote gets a hint", "name = “Acme”", 7, `write the ASCII '"' instead`},
		{"semicolon is not a statement separator", "status = x; DROP TABLE t", 10, "unexpected ';'"},
		{"SQL comment is not allowed", "status = x --", 13, "expected a comparison such as status = ACTIVE after -, found the end of the filter"},
		{"quote character in a bare value", "status = x'y", 10, `unexpected '\''`},
		{"invalid UTF-8", "name = \"a\xffb\"", 9, "not valid UTF-8"},
		{"NUL byte", "name = \"a\x00b\"", 9, "control character U+0000"},
		{"escape control char", "a=1\x1b", 3, "control character U+001B"},
		{"limits: input too long", "a=\"" + strings.Repeat("x", MaxLength) + "\"", MaxLength, "the limit is 2000"},
		{"limits: too many comparisons", many(MaxComparisons + 1), 4 * MaxComparisons, "more than 50 comparisons"},
		{"limits: parentheses too deep", deep(MaxDepth + 1), MaxDepth, "more than 20 deep"},
		{"limits: negations too deep", strings.Repeat("NOT ", MaxDepth+1) + "a=1", 4 * MaxDepth, "more than 20 deep"},
		{"limits: minus too deep", strings.Repeat("-", MaxDepth+1) + "a=1", MaxDepth, "more than 20 deep"},
		{"limits: mixed nesting too deep", strings.Repeat("NOT (", 11) + "a=1" + strings.Repeat(")", 11), 50, "more than 20 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, show(n))
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) error %v is %T, want *Error", tt.in, err, err)
			}
			if fe.Pos != tt.pos || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("Parse(%q) error = at %d: %s\nwant at %d: …%s…", tt.in, fe.Pos, fe.Msg, tt.pos, tt.wantMsg)
			}
			if n != nil {
				t.Errorf("Parse(%q) returned a node along with the error", tt.in)
			}
		})
	}
}

func TestParseLimitsAreInclusive(t *testing.T) {
	many := strings.TrimSpace(strings.Repeat("a=1 ", MaxComparisons))
	tests := []struct{ name, in string }{
		{"exactly the maximum length", `a="` + strings.Repeat("x", MaxLength-4) + `"`},
		{"exactly the maximum comparisons", many},
		{"exactly the maximum parenthesis depth", strings.Repeat("(", MaxDepth) + "a=1" + strings.Repeat(")", MaxDepth)},
		{"exactly the maximum negation depth", strings.Repeat("-", MaxDepth) + "a=1"},
		{"depth is per branch, not cumulative", strings.Repeat("(", MaxDepth) + "a=1" + strings.Repeat(")", MaxDepth) + " " +
			strings.Repeat("(", MaxDepth) + "b=1" + strings.Repeat(")", MaxDepth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.in) > MaxLength {
				t.Fatalf("test input is %d bytes, over the limit", len(tt.in))
			}
			if _, err := Parse(tt.in); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Parse("status =")
	if got, want := err.Error(), `filter: at 8: expected a value after "="`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("errors.Is(%v, errs.ErrInvalid) = false, want true so the transport reports INVALID_ARGUMENT", err)
	}
	var inv *errs.InvalidError
	if !errors.As(err, &inv) || len(inv.Violations) != 1 || inv.Violations[0].Field != "filter" {
		t.Errorf("errors.As(%v, *errs.InvalidError) should give one violation on field \"filter\", got %+v", err, inv)
	}
}
