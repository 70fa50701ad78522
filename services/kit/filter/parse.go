package filter

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Limits on a filter. They keep parsing and the generated SQL cheap enough
// that a hostile or runaway client cannot make a List call expensive.
const (
	MaxLength      = 2000 // bytes of filter text
	MaxComparisons = 50
	MaxDepth       = 20 // nested parentheses and negations
)

// Node is a parsed filter expression: *And, *Or, *Not or *Compare.
type Node interface{ node() }

// And holds two or more terms that must all match. A list rather than a
// binary tree keeps `a b c d` flat in the generated SQL.
type And struct{ Terms []Node }

// Or holds two or more terms of which at least one must match.
type Or struct{ Terms []Node }

// Not matches when X does not.
type Not struct{ X Node }

// Compare is one `field op value` comparison.
type Compare struct {
	Field string // dotted field name as written, e.g. registered_address.division_code
	Op    string // one of = != < <= > >= :
	Value string // unescaped; without the trailing * when Wildcard is set
	// Quoted records that the value was written in double quotes, for
	// callers that want to treat `status = ACTIVE` and `name = "ACTIVE"`
	// differently; this package accepts either form for every kind.
	Quoted bool
	// Wildcard is set for `field = prefix*`. It is separate from Value so
	// that a quoted, escaped `\*` can still mean a literal asterisk.
	Wildcard bool
	Pos      int // byte offset of Field in the filter text, for error messages
}

func (*And) node()     {}
func (*Or) node()      {}
func (*Not) node()     {}
func (*Compare) node() {}

// Error is a problem in the filter text the client can fix. Pos is a byte
// offset into the filter so a UI can point at the spot.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("filter: at %d: %s", e.Pos, e.Msg) }

// Unwrap lets the transport recognise a bad filter as a field violation on
// "filter" (INVALID_ARGUMENT) even when a handler returns it unwrapped.
func (e *Error) Unwrap() error {
	return errs.Field("filter", "at %d: %s", e.Pos, e.Msg)
}

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses filter text. An empty or all-whitespace filter means "no
// filter" and yields a nil Node and no error.
func Parse(s string) (Node, error) {
	if len(s) > MaxLength {
		return nil, errorf(MaxLength, "the filter is %d bytes long; the limit is %d", len(s), MaxLength)
	}
	if err := checkText(s); err != nil {
		return nil, err
	}
	p := &parser{src: s}
	p.skipSpace()
	if p.eof() {
		return nil, nil
	}
	n, err := p.parseOr("")
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		if p.peek() == ')' {
			return nil, errorf(p.pos, "found ')' without a matching '('")
		}
		// parseAnd stops only at ')', OR or the end, so this is unreachable
		// unless the grammar changes; keep a clear message anyway.
		return nil, errorf(p.pos, "unexpected %s", p.describe())
	}
	return n, nil
}

// checkText rejects text no database column should receive: invalid UTF-8
// (PostgreSQL refuses it as an argument) and control characters, which are
// almost always a copy-paste accident rather than something to search for.
func checkText(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return errorf(i, "the filter is not valid UTF-8 text")
			}
		}
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return errorf(i, "the filter contains the control character %U; remove it", r)
		}
	}
	return nil
}

type parser struct {
	src      string
	pos      int
	depth    int
	compares int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() rune {
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r
}

// skipSpace uses unicode.IsSpace so the ideographic space U+3000 a Chinese
// input method types is treated like an ordinary space.
func (p *parser) skipSpace() {
	for !p.eof() {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += size
	}
}

func isIdentStart(b byte) bool {
	return b == '_' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

func isIdentByte(b byte) bool { return isIdentStart(b) || ('0' <= b && b <= '9') }

// keyword reports whether the upper-case keyword kw starts at the current
// position as a whole word. Keywords are case-sensitive, as in AIP-160, so
// that a field or value spelled `and` or `not` keeps working.
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	return end == len(p.src) || !(isIdentByte(p.src[end]) || p.src[end] == '.')
}

// describe names what is at the current position, for "expected X, found Y".
func (p *parser) describe() string {
	if p.eof() {
		return "the end of the filter"
	}
	for _, kw := range [...]string{"AND", "OR", "NOT"} {
		if p.keyword(kw) {
			return kw
		}
	}
	r := p.peek()
	if hint, ok := fullWidth[r]; ok {
		return fmt.Sprintf("%q (write the ASCII %s instead)", r, hint)
	}
	return fmt.Sprintf("%q", r)
}

// fullWidth maps punctuation a Chinese input method produces to the ASCII a
// filter needs, because the two look alike and the mistake is common.
var fullWidth = map[rune]string{
	'＝': `"="`, '！': `"!"`, '＜': `"<"`, '＞': `">"`, '：': `":"`,
	'（': `"("`, '）': `")"`, '“': `'"'`, '”': `'"'`, '＂': `'"'`, '－': `"-"`,
}

// after renders the context of an expected term for error messages.
func after(ctx string) string {
	if ctx == "" {
		return ""
	}
	return " after " + ctx
}

func (p *parser) parseOr(ctx string) (Node, error) {
	first, err := p.parseAnd(ctx)
	if err != nil {
		return nil, err
	}
	terms := []Node{first}
	for {
		p.skipSpace()
		if !p.keyword("OR") {
			break
		}
		p.pos += len("OR")
		n, err := p.parseAnd("OR")
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &Or{Terms: terms}, nil
}

func (p *parser) parseAnd(ctx string) (Node, error) {
	first, err := p.parseUnary(ctx)
	if err != nil {
		return nil, err
	}
	terms := []Node{first}
	for {
		p.skipSpace()
		if p.eof() || p.peek() == ')' || p.keyword("OR") {
			break
		}
		ctx := ""
		if p.keyword("AND") {
			p.pos += len("AND")
			ctx = "AND"
		}
		n, err := p.parseUnary(ctx)
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &And{Terms: terms}, nil
}

// enter counts nesting so that depth, not input length, bounds recursion.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(pos, "the filter nests parentheses and negations more than %d deep; simplify it", MaxDepth)
	}
	return nil
}

func (p *parser) parseUnary(ctx string) (Node, error) {
	p.skipSpace()
	start := p.pos
	var op string
	switch {
	case p.keyword("NOT"):
		op = "NOT"
		p.pos += len("NOT")
	case !p.eof() && p.src[p.pos] == '-':
		op = "-"
		p.pos++
	default:
		return p.parsePrimary(ctx)
	}
	if err := p.enter(start); err != nil {
		return nil, err
	}
	x, err := p.parseUnary(op)
	if err != nil {
		return nil, err
	}
	p.depth--
	return &Not{X: x}, nil
}

func (p *parser) parsePrimary(ctx string) (Node, error) {
	p.skipSpace()
	if !p.eof() && p.src[p.pos] == '(' {
		open := p.pos
		if err := p.enter(open); err != nil {
			return nil, err
		}
		p.pos++
		n, err := p.parseOr("(")
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.eof() || p.src[p.pos] != ')' {
			return nil, errorf(p.pos, "expected ')' to close the '(' at %d, found %s", open, p.describe())
		}
		p.pos++
		p.depth--
		return n, nil
	}
	if p.eof() || p.keyword("AND") || p.keyword("OR") || p.keyword("NOT") || !isIdentStart(p.src[p.pos]) {
		return nil, errorf(p.pos, "expected a comparison such as status = ACTIVE%s, found %s", after(ctx), p.describe())
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (Node, error) {
	start := p.pos
	p.compares++
	if p.compares > MaxComparisons {
		return nil, errorf(start, "the filter has more than %d comparisons; simplify it", MaxComparisons)
	}
	field, err := p.parseField()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	opPos := p.pos
	op := p.parseOp()
	if op == "" {
		msg := fmt.Sprintf("expected an operator (= != < <= > >= :) after the field %q, found %s", field, p.describe())
		switch field {
		case "and", "or", "not":
			msg += "; write AND, OR and NOT in capitals"
		}
		return nil, errorf(opPos, "%s", msg)
	}
	if op == "=" && strings.HasPrefix(p.src[p.pos:], "=") {
		return nil, errorf(opPos, `use "=" rather than "==" to test equality`)
	}
	if op == "<" && strings.HasPrefix(p.src[p.pos:], ">") {
		return nil, errorf(opPos, `use "!=" rather than "<>" to test inequality`)
	}
	p.skipSpace()
	valPos := p.pos
	value, quoted, starAt, err := p.parseValue(op)
	if err != nil {
		return nil, err
	}
	c := &Compare{Field: field, Op: op, Value: value, Quoted: quoted, Pos: start}
	if starAt >= 0 {
		if op != "=" {
			return nil, errorf(starAt, `a trailing '*' (prefix match) works only with "=", not %q`, op)
		}
		c.Wildcard = true
		c.Value = value[:len(value)-1]
	}
	// Requiring a separator after a value turns `a=1b=2` or an unquoted
	// timestamp into an error instead of a silently different filter.
	if !p.eof() {
		r := p.peek()
		if !unicode.IsSpace(r) && r != ')' {
			hint := "put values that contain it in double quotes"
			if r == ':' || r == '+' {
				hint = `timestamps and other values containing ':' or '+' must be in double quotes, e.g. "2024-01-31T08:00:00+08:00"`
			}
			return nil, errorf(p.pos, "unexpected %s after the value that starts at %d; %s", p.describe(), valPos, hint)
		}
	}
	return c, nil
}

func (p *parser) parseField() (string, error) {
	start := p.pos
	for {
		if p.eof() || !isIdentStart(p.src[p.pos]) {
			return "", errorf(p.pos, "expected a field name after '.', found %s", p.describe())
		}
		for !p.eof() && isIdentByte(p.src[p.pos]) {
			p.pos++
		}
		if p.eof() || p.src[p.pos] != '.' {
			return p.src[start:p.pos], nil
		}
		p.pos++
	}
}

func (p *parser) parseOp() string {
	rest := p.src[p.pos:]
	for _, op := range [...]string{"!=", "<=", ">=", "=", "<", ">", ":"} {
		if strings.HasPrefix(rest, op) {
			p.pos += len(op)
			return op
		}
	}
	return ""
}

func isBareRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		r == '_' || r == '-' || r == '.' || r == '*'
}

// parseValue returns the unescaped value and, when it ends in an unescaped
// '*', that star's offset (else -1). A '*' anywhere else is refused here
// because no operator gives it a meaning, and guessing would surprise.
func (p *parser) parseValue(op string) (value string, quoted bool, starAt int, err error) {
	if p.eof() {
		return "", false, -1, errorf(p.pos, "expected a value after %q", op)
	}
	start := p.pos
	starAt = -1
	var b strings.Builder
	if p.src[p.pos] == '"' {
		p.pos++
		for {
			if p.eof() {
				return "", false, -1, errorf(start, `this value has no closing '"'`)
			}
			r, size := utf8.DecodeRuneInString(p.src[p.pos:])
			if starAt >= 0 && r != '"' {
				return "", false, -1, starError(starAt)
			}
			switch r {
			case '"':
				p.pos++
				return b.String(), true, starAt, nil
			case '*':
				starAt = p.pos
			case '\\':
				esc := p.pos
				p.pos++
				if p.eof() {
					return "", false, -1, errorf(start, `this value has no closing '"'`)
				}
				e, esize := utf8.DecodeRuneInString(p.src[p.pos:])
				switch e {
				case '"', '\\', '*':
					r = e
				case 'n':
					r = '\n'
				case 't':
					r = '\t'
				case 'r':
					r = '\r'
				default:
					return "", false, -1, errorf(esc, `unknown escape \%c; inside quotes use \" for a quote, \\ for a backslash and \* for an asterisk`, e)
				}
				b.WriteRune(r)
				p.pos += esize
				continue
			}
			b.WriteRune(r)
			p.pos += size
		}
	}
	for !p.eof() {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if !isBareRune(r) {
			break
		}
		if starAt >= 0 {
			return "", false, -1, starError(starAt)
		}
		if r == '*' {
			starAt = p.pos
		}
		b.WriteRune(r)
		p.pos += size
	}
	if p.pos == start {
		return "", false, -1, errorf(p.pos, "expected a value after %q, found %s", op, p.describe())
	}
	v := b.String()
	switch v {
	case "AND", "OR", "NOT":
		return "", false, -1, errorf(start, "%s is a keyword; to compare with the text %s write it in double quotes: \"%s\"", v, v, v)
	}
	return v, false, starAt, nil
}

func starError(pos int) *Error {
	return errorf(pos, `'*' may appear only at the end of a value, as a prefix match; inside double quotes write \* for a literal asterisk`)
}
