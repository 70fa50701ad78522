package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// entities is a schema shaped like the legal-entity List it exists for.
var entities = Schema{
	"name":                             {Column: "name", Kind: String},
	"status":                           {Column: "status", Kind: Enum, Prefix: "ENTITY_STATUS_", Enum: map[string]any{"ACTIVE": 1, "DISSOLVED": 2, "SUSPENDED": 3}},
	"registered_address.division_code": {Column: "division_code", Kind: String, Ops: []string{"=", "!="}},
	"founded":                          {Column: "founded_on", Kind: Date},
	"capital":                          {Column: "capital_fen", Kind: Int},
	"ratio":                            {Column: "ratio", Kind: Float},
	"listed":                           {Column: "listed", Kind: Bool},
	"update_time":                      {Column: "updated_at", Kind: Timestamp},
	"employees":                        {Column: "employees", Kind: Int, Ops: []string{">=", "<=", ":"}},
	"legal_rep.tel":                    {Column: "lower(rep_tel)", Kind: String},
}

func TestSQL(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		where  string
		args   []any
	}{
		{"empty filter compiles to nothing", "", "", nil},
		{"string equality", `name = "Acme Ltd"`, "name = ?", []any{"Acme Ltd"}},
		{"!= becomes <>", `name != x`, "name <> ?", []any{"x"}},
		{"string ordering operators", `name >= b name < c`, "(name >= ? AND name < ?)", []any{"b", "c"}},
		{"has on a string is a contains match", `name : 科技`, `name LIKE ? ESCAPE '\'`, []any{"%科技%"}},
		{"has escapes LIKE metacharacters", `name : "100%_\\"`, `name LIKE ? ESCAPE '\'`, []any{`%100\%\_\\%`}},
		{"wildcard: trailing star is a prefix match", `name = 北京*`, `name LIKE ? ESCAPE '\'`, []any{"北京%"}},
		{"wildcard: prefix escapes LIKE metacharacters", `name = "a%b_*"`, `name LIKE ? ESCAPE '\'`, []any{`a\%b\_%`}},
		{"wildcard: lone star matches any value", `name = *`, `name LIKE ? ESCAPE '\'`, []any{"%"}},
		{"wildcard: escaped star is an exact match", `name = "a\*"`, `name = ?`, []any{"a*"}},
		{"enum by short name", `status = ACTIVE`, "status = ?", []any{1}},
		{"enum by full proto name", `status != ENTITY_STATUS_DISSOLVED`, "status <> ?", []any{2}},
		{"enum quoted", `status = "SUSPENDED"`, "status = ?", []any{3}},
		{"date passed as text", `founded >= 2024-02-29`, "founded_on >= ?", []any{"2024-02-29"}},
		{"int passed as int64", `capital > -500`, "capital_fen > ?", []any{int64(-500)}},
		{"float passed as float64", `ratio <= 0.25`, "ratio <= ?", []any{0.25}},
		{"float accepts integers", `ratio = 3`, "ratio = ?", []any{3.0}},
		{"bool passed as bool", `listed = true listed != FALSE`, "(listed = ? AND listed <> ?)", []any{true, false}},
		{"timestamp converted to UTC", `update_time > "2024-01-31T08:00:00+08:00"`, "updated_at > ?",
			[]any{time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)}},
		{"timestamp with fractional seconds", `update_time < "2024-01-31T08:00:00.5Z"`, "updated_at < ?",
			[]any{time.Date(2024, 1, 31, 8, 0, 0, 5e8, time.UTC)}},
		{"dotted field maps to its column", `registered_address.division_code = 110105`, "division_code = ?", []any{"110105"}},
		{"column may be an expression", `legal_rep.tel = 010`, "lower(rep_tel) = ?", []any{"010"}},
		{"precedence: OR of ANDs", `name=a name=b OR name=c`, "((name = ? AND name = ?) OR name = ?)", []any{"a", "b", "c"}},
		{"precedence: AND of ORs", `(name=a OR name=b) (name=c OR name=d)`, "((name = ? OR name = ?) AND (name = ? OR name = ?))",
			[]any{"a", "b", "c", "d"}},
		{"NOT wraps its operand", `NOT (name=a OR name=b)`, "NOT ((name = ? OR name = ?))", []any{"a", "b"}},
		{"minus wraps a single comparison", `-name=a`, "NOT (name = ?)", []any{"a"}},
		{"args follow placeholder order", `capital > 1 AND (status = ACTIVE OR NOT founded < 2000-01-01)`,
			"(capital_fen > ? AND (status = ? OR NOT (founded_on < ?)))", []any{int64(1), 1, "2000-01-01"}},
		{"injection: quote in a string only becomes an arg", `name = "x' OR 1=1 --"`, "name = ?", []any{"x' OR 1=1 --"}},
		{"injection: placeholder in a string only becomes an arg", `name = "?"`, "name = ?", []any{"?"}},
		{"injection: semicolon in a string only becomes an arg", `name : "'; DROP TABLE entity; --"`, `name LIKE ? ESCAPE '\'`,
			[]any{`%'; DROP TABLE entity; --%`}},
		{"injection: backslash-quote only becomes an arg", `name = "\\' OR '1'='1"`, "name = ?", []any{`\' OR '1'='1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args, err := entities.Compile(tt.filter)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.filter, err)
			}
			if where != tt.where {
				t.Errorf("where = %q, want %q", where, tt.where)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args = %#v, want %#v", args, tt.args)
			}
			if n := strings.Count(where, "?"); n != len(args) {
				t.Errorf("%d placeholders for %d args", n, len(args))
			}
		})
	}
}

func TestSQLErrors(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		pos     int
		wantMsg string
	}{
		{"unknown field lists allowed fields sorted", "colour = red", 0,
			`unknown field "colour"; you can filter on: capital, employees, founded, legal_rep.tel, listed, name, ratio, registered_address.division_code, status, update_time`},
		{"unknown field points at the comparison", "name = a AND nmae = b", 13, `unknown field "nmae"`},
		{"field names are exact, not prefixes", "registered_address = 1", 0, `unknown field "registered_address"`},
		{"bad enum value lists allowed values", "status = PENDING", 0,
			`field "status": "PENDING" is not a valid value; use one of: ACTIVE, DISSOLVED, SUSPENDED`},
		{"enum names are case-sensitive", "status = active", 0, `"active" is not a valid value`},
		{"enum prefix alone is not a value", "status = ENTITY_STATUS_", 0, "is not a valid value"},
		{"enum rejects ordering", "status > ACTIVE", 0, `field "status" does not support ">"; use one of: = !=`},
		{"enum rejects has", "status : ACT", 0, `does not support ":"`},
		{"wildcard on an enum", "status = ACT*", 0, `field "status" holds enum values; a trailing '*' (prefix match) works only on text fields`},
		{"wildcard on a date", "founded = 2024*", 0, "holds date values; a trailing '*'"},
		{"bad date: month 13", "founded = 2024-13-01", 0, `field "founded": "2024-13-01" is not a real calendar date`},
		{"bad date: February 30", "founded < 2023-02-29", 0, "is not a real calendar date"},
		{"bad date: wrong layout", "founded = 2024-1-5", 0, `field "founded" needs a date written YYYY-MM-DD, such as 2024-01-31; got "2024-1-5"`},
		{"bad date: day first", "founded = 31-01-2024", 0, "needs a date written YYYY-MM-DD"},
		{"bad date: signed year", `founded = "+024-01-01"`, 0, "needs a date written YYYY-MM-DD"},
		{"date rejects has", "founded : 2024", 0, `does not support ":"`},
		{"bad int", "capital = 1.5", 0, `field "capital" needs a whole number such as 42; got "1.5"`},
		{"int out of range", "capital = 99999999999999999999", 0, "is too large"},
		{"bad float", "ratio = abc", 0, "needs a number"},
		{"float rejects NaN", "ratio = NaN", 0, "needs a number"},
		{"float rejects infinity", "ratio > Inf", 0, "needs a number"},
		{"bad bool", "listed = yes", 0, "needs true or false"},
		{"bool rejects ordering", "listed < true", 0, `does not support "<"`},
		{"bad timestamp: date only", `update_time > "2024-01-31"`, 0, "needs an RFC 3339 timestamp"},
		{"bad timestamp: no zone", `update_time > "2024-01-31T08:00:00"`, 0, "needs an RFC 3339 timestamp"},
		{"Ops restricts operators", "registered_address.division_code : 1101", 0,
			`field "registered_address.division_code" does not support ":"; use one of: = !=`},
		{"Ops cannot enable an operator the kind lacks", "employees : 5", 0, `does not support ":"; use one of: <= >=`},
		{"Ops excludes =", "employees = 5", 0, `does not support "="`},
		{"errors inside NOT and OR still point at the comparison", "name=a OR NOT founded = x", 14, "needs a date"},
		{"parse errors come through Compile", "name =", 6, `expected a value after "="`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args, err := entities.Compile(tt.filter)
			if err == nil {
				t.Fatalf("Compile(%q) = %q %v, want an error", tt.filter, where, args)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile(%q) error %v is %T, want *Error", tt.filter, err, err)
			}
			if fe.Pos != tt.pos || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("Compile(%q) error = at %d: %s\nwant at %d: …%s…", tt.filter, fe.Pos, fe.Msg, tt.pos, tt.wantMsg)
			}
			if where != "" || args != nil {
				t.Errorf("Compile(%q) returned SQL %q %v along with the error", tt.filter, where, args)
			}
		})
	}
}

func TestSQLEmptySchema(t *testing.T) {
	_, _, err := Schema{}.Compile("a = 1")
	var fe *Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "this list cannot be filtered") {
		t.Errorf("err = %v, want an *Error saying the list cannot be filtered", err)
	}
}

// Hand-built nodes and broken schemas are programming errors; they must
// fail loudly but not as *Error, so the transport reports INTERNAL instead
// of blaming the client.
func TestSQLProgrammingErrors(t *testing.T) {
	a := &Compare{Field: "name", Op: "=", Value: "x"}
	tests := []struct {
		name   string
		schema Schema
		node   Node
	}{
		{"empty And", entities, &And{}},
		{"empty Or", entities, &Or{}},
		{"nil term", entities, &And{Terms: []Node{a, nil}}},
		{"Not without operand", entities, &Not{}},
		{"nil *Compare", entities, (*Compare)(nil)},
		{"nil *And", entities, (*And)(nil)},
		{"nil *Or", entities, (*Or)(nil)},
		{"nil *Not", entities, (*Not)(nil)},
		{"missing column", Schema{"name": {Kind: String}}, a},
		{"placeholder in column", Schema{"name": {Column: "coalesce(name, ?)", Kind: String}}, a},
		{"unknown kind", Schema{"name": {Column: "name", Kind: Kind(99)}}, a},
		{"Ops allow nothing", Schema{"name": {Column: "name", Kind: Enum, Ops: []string{":"}}}, a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, _, err := tt.schema.SQL(tt.node)
			if err == nil {
				t.Fatalf("SQL = %q, want an error", where)
			}
			var fe *Error
			if errors.As(err, &fe) {
				t.Errorf("error %v is an *Error; a programming error must not look like a client mistake", err)
			}
		})
	}
}

func TestSQLHandBuilt(t *testing.T) {
	tests := []struct {
		name  string
		node  Node
		where string
		args  []any
	}{
		{"nil node", nil, "", nil},
		{"single-term And is just the term", &And{Terms: []Node{&Compare{Field: "name", Op: "=", Value: "x"}}}, "name = ?", []any{"x"}},
		{"wildcard field on a hand-built node", &Compare{Field: "name", Op: "=", Value: "a%", Wildcard: true}, `name LIKE ? ESCAPE '\'`, []any{`a\%%`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args, err := entities.SQL(tt.node)
			if err != nil {
				t.Fatal(err)
			}
			if where != tt.where || !reflect.DeepEqual(args, tt.args) {
				t.Errorf("SQL = %q %#v, want %q %#v", where, args, tt.where, tt.args)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{String: "text", Enum: "enum", Date: "date", Int: "whole number",
		Float: "number", Bool: "boolean", Timestamp: "timestamp", Kind(42): "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestOrderByParse(t *testing.T) {
	o := OrderBy{Columns: map[string]string{"name": "display_name", "year_built": "year_built"}, Default: "id"}
	tests := []struct {
		in, col string
		desc    bool
		ok      bool
	}{
		{"", "id", false, true},
		{"name", "display_name", false, true},
		{"year_built desc", "year_built", true, true},
		{"year_built ASC", "year_built", false, true},
		{"height", "", false, false},
		{"name sideways", "", false, false},
		{"name desc extra", "", false, false},
	}
	for _, tt := range tests {
		col, desc, err := o.Parse(tt.in)
		if (err == nil) != tt.ok || col != tt.col || desc != tt.desc {
			t.Errorf("Parse(%q) = %q, %v, %v", tt.in, col, desc, err)
		}
		if err != nil && !strings.Contains(err.Error(), "order_by") {
			t.Errorf("Parse(%q) error %v does not name order_by", tt.in, err)
		}
	}
}
