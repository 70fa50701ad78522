package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"status = ACTIVE",
		`name:"科技" AND founded >= 2024-01-31`,
		`a=1 OR b=2 AND c=3`,
		`NOT (a=1 OR -b:"x") c != "q\"\\\*"`,
		`registered_address.division_code = 1101*`,
		`update_time > "2024-01-31T08:00:00+08:00"`,
		`name = "x' OR 1=1 --"`,
		`((((a=1))))`,
		`a = "unterminated`,
		`a == 1`,
		`a = b*c`,
		"status＝ACTIVE",
		"a=1\u3000b=2",
		"n > -5 ratio < 0.25e3",
		strings.Repeat("NOT ", 25) + "a=1",
		strings.Repeat("a=1 ", 60),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) error %v is %T, want *Error", s, err, err)
			}
			if fe.Pos < 0 || fe.Pos > len(s) && fe.Pos != MaxLength {
				t.Fatalf("Parse(%q) error position %d is outside the input", s, fe.Pos)
			}
			return
		}
		var fields []string
		walk(t, s, n, 0, &fields)
		if len(fields) > MaxComparisons {
			t.Fatalf("Parse(%q) accepted %d comparisons", s, len(fields))
		}

		// Every field known and text-typed: only Op restrictions of the
		// kind and wildcard placement can fail, and neither may panic.
		permissive := Schema{}
		typed := Schema{}
		columns := map[string]bool{}
		for i, name := range fields {
			col := fmt.Sprintf("c%d", i)
			columns[col] = true
			permissive[name] = Field{Column: col, Kind: String}
			typed[name] = Field{Column: col, Kind: Kind(len(name) % 7), Prefix: "P_",
				Enum: map[string]any{"A": 1, "B": "b"}}
		}
		for _, schema := range []Schema{permissive, typed} {
			where, args, err := schema.SQL(n)
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("SQL for %q: programming error %v on a valid parse", s, err)
				}
				continue
			}
			checkSQL(t, s, where, args, columns)
		}
	})
}

// walk checks invariants of a successful parse and collects field names.
func walk(t *testing.T, src string, n Node, depth int, fields *[]string) {
	t.Helper()
	if depth > MaxDepth {
		t.Fatalf("Parse(%q) nested deeper than %d", src, MaxDepth)
	}
	switch n := n.(type) {
	case nil:
		// Only blank input may parse to nil, and never a child.
		if depth > 0 || strings.TrimFunc(src, unicode.IsSpace) != "" {
			t.Fatalf("Parse(%q) produced a nil node", src)
		}
	case *And:
		if len(n.Terms) < 2 {
			t.Fatalf("Parse(%q) produced an And with %d terms", src, len(n.Terms))
		}
		for _, c := range n.Terms {
			walk(t, src, c, depth, fields)
		}
	case *Or:
		if len(n.Terms) < 2 {
			t.Fatalf("Parse(%q) produced an Or with %d terms", src, len(n.Terms))
		}
		for _, c := range n.Terms {
			walk(t, src, c, depth, fields)
		}
	case *Not:
		if n.X == nil {
			t.Fatalf("Parse(%q) produced a Not without operand", src)
		}
		walk(t, src, n.X, depth+1, fields)
	case *Compare:
		if !strings.HasPrefix(src[n.Pos:], n.Field) {
			t.Fatalf("Parse(%q): Pos %d does not point at field %q", src, n.Pos, n.Field)
		}
		if !utf8.ValidString(n.Value) {
			t.Fatalf("Parse(%q): value %q is not valid UTF-8", src, n.Value)
		}
		if n.Wildcard && n.Op != "=" {
			t.Fatalf("Parse(%q): wildcard with %q", src, n.Op)
		}
		*fields = append(*fields, n.Field)
	default:
		t.Fatalf("Parse(%q) produced %T", src, n)
	}
}

// checkSQL asserts the generated SQL is built only from schema columns and
// fixed keywords, so no filter text can reach the statement itself.
func checkSQL(t *testing.T, src, where string, args []any, columns map[string]bool) {
	t.Helper()
	if strings.Count(where, "?") != len(args) {
		t.Fatalf("Compile(%q) = %q with %d args: placeholder count mismatch", src, where, len(args))
	}
	depth := 0
	for _, r := range where {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth < 0 {
			t.Fatalf("Compile(%q) = %q: unbalanced parentheses", src, where)
		}
	}
	if depth != 0 {
		t.Fatalf("Compile(%q) = %q: unbalanced parentheses", src, where)
	}
	allowed := map[string]bool{"AND": true, "OR": true, "NOT": true, "?": true, "=": true, "<>": true,
		"<": true, "<=": true, ">": true, ">=": true, "LIKE": true, "ESCAPE": true, `'\'`: true}
	for _, tok := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(where)) {
		if !allowed[tok] && !columns[tok] {
			t.Fatalf("Compile(%q) = %q: unexpected SQL token %q", src, where, tok)
		}
	}
}
