package filter

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Kind is the type of value a filterable field holds; it decides which
// operators make sense and how the value text becomes an SQL argument.
type Kind int

const (
	String    Kind = iota // argument: string
	Enum                  // argument: the Field.Enum map value
	Date                  // argument: "YYYY-MM-DD" string
	Int                   // argument: int64
	Float                 // argument: float64
	Bool                  // argument: bool
	Timestamp             // argument: time.Time in UTC
)

// String names the kind in the words error messages use.
func (k Kind) String() string {
	switch k {
	case String:
		return "text"
	case Enum:
		return "enum"
	case Date:
		return "date"
	case Int:
		return "whole number"
	case Float:
		return "number"
	case Bool:
		return "boolean"
	case Timestamp:
		return "timestamp"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Field describes a filterable field.
type Field struct {
	// Column is the SQL expression the field maps to, e.g. "status". It is
	// written into the SQL verbatim, so it must be a constant in the
	// service's code and must not contain '?'.
	Column string
	Kind   Kind
	// Enum maps the accepted value names (e.g. "ACTIVE") to the SQL
	// argument stored for them. With Prefix set (e.g. "ENTITY_STATUS_"),
	// the full proto name "ENTITY_STATUS_ACTIVE" is accepted too, because
	// clients copy either spelling from the API docs.
	Enum   map[string]any
	Prefix string
	// Ops restricts the allowed operators; nil means every operator that
	// makes sense for Kind. Operators that make no sense for Kind stay
	// refused even when listed.
	Ops []string
}

// Schema maps filter field names (as clients write them, e.g.
// "registered_address.division_code") to their Field.
type Schema map[string]Field

// kindOps lists, per kind, the operators in the order messages show them.
var kindOps = map[Kind][]string{
	String:    {"=", "!=", ":", "<", "<=", ">", ">="},
	Enum:      {"=", "!="},
	Bool:      {"=", "!="},
	Date:      {"=", "!=", "<", "<=", ">", ">="},
	Int:       {"=", "!=", "<", "<=", ">", ">="},
	Float:     {"=", "!=", "<", "<=", ">", ">="},
	Timestamp: {"=", "!=", "<", "<=", ">", ">="},
}

func (f Field) ops() []string {
	all := kindOps[f.Kind]
	if f.Ops == nil {
		return all
	}
	var ops []string
	for _, op := range all {
		if slices.Contains(f.Ops, op) {
			ops = append(ops, op)
		}
	}
	return ops
}

// Compile parses filter and compiles it with SQL.
func (s Schema) Compile(filter string) (where string, args []any, err error) {
	n, err := Parse(filter)
	if err != nil {
		return "", nil, err
	}
	return s.SQL(n)
}

// SQL compiles n to a WHERE fragment with `?` placeholders and the matching
// arguments. Every AND and OR is parenthesised, so the fragment can be
// combined with other conditions by AND without surprises. A nil node
// compiles to "", nil, nil.
//
// Errors the client can fix are *Error. Any other error is a bug in the
// Schema or in a hand-built Node.
func (s Schema) SQL(n Node) (where string, args []any, err error) {
	if n == nil {
		return "", nil, nil
	}
	c := compiler{schema: s}
	if err := c.node(n); err != nil {
		return "", nil, err
	}
	return c.b.String(), c.args, nil
}

type compiler struct {
	schema Schema
	b      strings.Builder
	args   []any
}

func (c *compiler) node(n Node) error {
	switch n := n.(type) {
	case *And:
		if n == nil {
			return errors.New("filter: nil *And")
		}
		return c.list(n.Terms, " AND ")
	case *Or:
		if n == nil {
			return errors.New("filter: nil *Or")
		}
		return c.list(n.Terms, " OR ")
	case *Not:
		if n == nil || n.X == nil {
			return errors.New("filter: *Not without an operand")
		}
		c.b.WriteString("NOT (")
		if err := c.node(n.X); err != nil {
			return err
		}
		c.b.WriteString(")")
		return nil
	case *Compare:
		if n == nil {
			return errors.New("filter: nil *Compare")
		}
		return c.compare(n)
	}
	return fmt.Errorf("filter: unsupported node type %T", n)
}

func (c *compiler) list(terms []Node, sep string) error {
	if len(terms) == 0 {
		return fmt.Errorf("filter: empty%s", strings.TrimRight(sep, " "))
	}
	if len(terms) == 1 {
		return c.node(terms[0])
	}
	c.b.WriteString("(")
	for i, t := range terms {
		if i > 0 {
			c.b.WriteString(sep)
		}
		if t == nil {
			return fmt.Errorf("filter: nil term in%s", strings.TrimRight(sep, " "))
		}
		if err := c.node(t); err != nil {
			return err
		}
	}
	c.b.WriteString(")")
	return nil
}

func (c *compiler) compare(n *Compare) error {
	f, ok := c.schema[n.Field]
	if !ok {
		names := make([]string, 0, len(c.schema))
		for name := range c.schema {
			names = append(names, name)
		}
		slices.Sort(names)
		if len(names) == 0 {
			return errorf(n.Pos, "unknown field %q; this list cannot be filtered", n.Field)
		}
		return errorf(n.Pos, "unknown field %q; you can filter on: %s", n.Field, strings.Join(names, ", "))
	}
	if f.Column == "" {
		return fmt.Errorf("filter: field %q has no Column in the schema", n.Field)
	}
	if strings.Contains(f.Column, "?") {
		// A '?' here would shift every placeholder after it.
		return fmt.Errorf("filter: field %q: Column %q contains '?'", n.Field, f.Column)
	}
	if _, ok := kindOps[f.Kind]; !ok {
		return fmt.Errorf("filter: field %q has unsupported kind %v", n.Field, f.Kind)
	}
	ops := f.ops()
	if !slices.Contains(ops, n.Op) {
		if len(ops) == 0 {
			return fmt.Errorf("filter: field %q allows no operators; fix its Ops", n.Field)
		}
		return errorf(n.Pos, "field %q does not support %q; use one of: %s", n.Field, n.Op, strings.Join(ops, " "))
	}
	if n.Wildcard && f.Kind != String {
		return errorf(n.Pos, "field %q holds %s values; a trailing '*' (prefix match) works only on text fields", n.Field, f.Kind)
	}
	arg, err := value(n, f)
	if err != nil {
		return err
	}
	c.b.WriteString(f.Column)
	switch {
	case n.Wildcard:
		c.b.WriteString(` LIKE ? ESCAPE '\'`)
		arg = escapeLike(n.Value) + "%"
	case n.Op == ":":
		c.b.WriteString(` LIKE ? ESCAPE '\'`)
		arg = "%" + escapeLike(n.Value) + "%"
	case n.Op == "!=":
		c.b.WriteString(" <> ?")
	default:
		c.b.WriteString(" " + n.Op + " ?")
	}
	c.args = append(c.args, arg)
	return nil
}

// value converts the comparison's text into the SQL argument for f's kind,
// so that a malformed value is reported to the client rather than left to
// a database that might coerce it (SQLite) or fail with an opaque error.
func value(n *Compare, f Field) (any, error) {
	v := n.Value
	switch f.Kind {
	case String:
		return v, nil
	case Enum:
		if a, ok := f.Enum[v]; ok {
			return a, nil
		}
		if f.Prefix != "" {
			if short, ok := strings.CutPrefix(v, f.Prefix); ok {
				if a, ok := f.Enum[short]; ok {
					return a, nil
				}
			}
		}
		names := make([]string, 0, len(f.Enum))
		for name := range f.Enum {
			names = append(names, name)
		}
		slices.Sort(names)
		return nil, errorf(n.Pos, "field %q: %q is not a valid value; use one of: %s", n.Field, v, strings.Join(names, ", "))
	case Date:
		if !isDateShape(v) {
			return nil, errorf(n.Pos, "field %q needs a date written YYYY-MM-DD, such as 2024-01-31; got %q", n.Field, v)
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return nil, errorf(n.Pos, "field %q: %q is not a real calendar date", n.Field, v)
		}
		return v, nil
	case Int:
		i, err := strconv.ParseInt(v, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, errorf(n.Pos, "field %q: %q is too large", n.Field, v)
		}
		if err != nil {
			return nil, errorf(n.Pos, "field %q needs a whole number such as 42; got %q", n.Field, v)
		}
		return i, nil
	case Float:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errorf(n.Pos, "field %q needs a number such as 3.5; got %q", n.Field, v)
		}
		return x, nil
	case Bool:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errorf(n.Pos, "field %q needs true or false; got %q", n.Field, v)
	case Timestamp:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, errorf(n.Pos, `field %q needs an RFC 3339 timestamp in double quotes, such as "2024-01-31T08:00:00+08:00"; got %q`, n.Field, v)
		}
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("filter: field %q has unsupported kind %v", n.Field, f.Kind)
}

// isDateShape checks the YYYY-MM-DD layout on its own so the message can
// tell "wrong layout" apart from "no such day" (2024-02-30), and so that no
// sign or other oddity time.Parse's year parsing tolerates gets through.
func isDateShape(v string) bool {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if i == 4 || i == 7 {
			continue
		}
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// escapeLike makes every character of s literal inside a LIKE pattern, so
// a clerk searching for "100%" or "a_b" gets exactly that.
func escapeLike(s string) string { return likeEscaper.Replace(s) }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EnumValues maps each value of a string enum to itself, for a Field of
// kind Enum whose stored values are the enum's names.
func EnumValues[T ~string](vals []T) map[string]any {
	m := make(map[string]any, len(vals))
	for _, v := range vals {
		m[string(v)] = string(v)
	}
	return m
}

// OrderBy parses AIP-132 order_by values of one field, optionally followed
// by asc or desc, into a column of a registry's table.
type OrderBy struct {
	// Columns maps each API field that may be ordered by to its column; the
	// columns must be NOT NULL so that keyset pages are total.
	Columns map[string]string
	// Default is the column used when order_by is empty.
	Default string
}

// Parse returns the column and direction order_by asks for. Its errors name
// the field "order_by" and list the fields one may order by.
func (o OrderBy) Parse(s string) (column string, desc bool, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return o.Default, false, nil
	}
	fields := make([]string, 0, len(o.Columns))
	for k := range o.Columns {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	if len(f) > 2 || (len(f) == 2 && !strings.EqualFold(f[1], "desc") && !strings.EqualFold(f[1], "asc")) {
		return "", false, errs.Field("order_by", "must be one field optionally followed by asc or desc, e.g. %q", fields[0]+" desc")
	}
	col, ok := o.Columns[f[0]]
	if !ok {
		return "", false, errs.Field("order_by", "cannot order by %q; use %s", f[0], strings.Join(fields, ", "))
	}
	return col, len(f) == 2 && strings.EqualFold(f[1], "desc"), nil
}
