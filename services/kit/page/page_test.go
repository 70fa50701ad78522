package page

import (
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestSize(t *testing.T) {
	tests := []struct {
		name                string
		requested, def, max int32
		want                int
	}{
		{"zero means the default", 0, 50, 1000, 50},
		{"a size within range is kept", 20, 50, 1000, 20},
		{"one is allowed", 1, 50, 1000, 1},
		{"exactly the maximum is kept", 1000, 50, 1000, 1000},
		{"above the maximum is capped, not refused", 1001, 50, 1000, 1000},
		{"the largest int32 is capped", math.MaxInt32, 50, 1000, 1000},
		{"default may equal the maximum", 0, 100, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Size(tt.requested, tt.def, tt.max)
			if err != nil || got != tt.want {
				t.Errorf("Size(%d, %d, %d) = %d, %v; want %d, nil", tt.requested, tt.def, tt.max, got, err, tt.want)
			}
		})
	}
}

func TestSizeErrors(t *testing.T) {
	t.Run("negative is a page_size field violation", func(t *testing.T) {
		for _, req := range []int32{-1, math.MinInt32} {
			_, err := Size(req, 50, 1000)
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Size(%d) error = %v, want an *errs.InvalidError", req, err)
			}
			want := []errs.FieldViolation{{Field: "page_size", Reason: "must not be negative"}}
			if !reflect.DeepEqual(inv.Violations, want) {
				t.Errorf("violations = %+v, want %+v", inv.Violations, want)
			}
		}
	})
	bad := []struct {
		name     string
		def, max int32
	}{
		{"zero default", 0, 100},
		{"negative default", -1, 100},
		{"zero maximum", 10, 0},
		{"default above maximum", 200, 100},
	}
	for _, tt := range bad {
		t.Run("bad settings are a bug, not a bad request: "+tt.name, func(t *testing.T) {
			_, err := Size(10, tt.def, tt.max)
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v blames the client for the service's settings", err)
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		tok  Token
	}{
		{"zero token", Token{}},
		{"keyset with one value", Token{After: []string{"91110000600037341L"}}},
		{"keyset with time and id", Token{After: []string{"2024-01-31T08:00:00.123456Z", "0190f5b6-6a1e-7c3e-9d2a-4b1e8f0c2d3a"}}},
		{"keyset with empty values", Token{After: []string{"", ""}}},
		{"keyset with Chinese text", Token{After: []string{"北京市朝阳区某某科技有限公司"}}},
		{"keyset with arbitrary bytes", Token{After: []string{"\x00\xff\n'\"", strings.Repeat("x", 300)}}},
		{"offset", Token{Offset: 40}},
		{"large offset", Token{Offset: math.MaxInt32}},
		{"offset and keyset together", Token{Offset: 7, After: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const q = "ListEntities?parent=districts/110105&filter=status = ACTIVE&order_by=name"
			s := encodePlain(q, tt.tok)
			if s == "" {
				t.Fatal("Encode returned an empty token, which would mean the last page")
			}
			if strings.ContainsAny(s, "+/=") {
				t.Errorf("token %q is not base64url without padding", s)
			}
			got, err := decodePlain(q, s)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.tok) {
				t.Errorf("decodePlain(encodePlain(%+v)) = %+v", tt.tok, got)
			}
			if again := encodePlain(q, got); again != s {
				t.Errorf("re-encoding gives %q, want %q", again, s)
			}
		})
	}
}

func TestTokenIsShort(t *testing.T) {
	tok := Token{After: []string{"2024-01-31T08:00:00.123456Z", "0190f5b6-6a1e-7c3e-9d2a-4b1e8f0c2d3a"}}
	s := encodePlain("a long query "+strings.Repeat("filter ", 200), tok)
	if len(s) >= 200 {
		t.Errorf("typical keyset token is %d chars, want < 200: %s", len(s), s)
	}
	if s := encodePlain("q", Token{Offset: 100}); len(s) > 20 {
		t.Errorf("offset token is %d chars: %s", len(s), s)
	}
}

func TestDecodeEmpty(t *testing.T) {
	got, err := decodePlain("anything", "")
	if err != nil || !reflect.DeepEqual(got, Token{}) {
		t.Errorf(`decodePlain("") = %+v, %v; want zero Token, nil`, got, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	const q = "ListEntities?filter=status = ACTIVE&order_by=name"
	good := encodePlain(q, Token{After: []string{"Acme", "42"}, Offset: 3})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	withBody := func(body ...byte) string { return enc(append(append([]byte{}, raw[:headLen]...), body...)) }
	flip := func(i int) string {
		b := append([]byte{}, raw...)
		b[i] ^= 0x01
		return enc(b)
	}

	tests := []struct {
		name, query, token, want string
	}{
		{"wrong query: different filter", "ListEntities?filter=status = DISSOLVED&order_by=name", good, "different filter, order_by"},
		{"wrong query: different order", "ListEntities?filter=status = ACTIVE&order_by=name desc", good, "different filter, order_by"},
		{"wrong query: empty query", "", good, "different filter"},
		{"garbage text", q, "not a token!", "is not a page token this service issued"},
		{"standard base64 alphabet", q, strings.ReplaceAll(strings.ReplaceAll(good, "-", "+"), "_", "/") + "+/", "not a page token"},
		{"padding", q, good + "==", "not a page token"},
		{"embedded newline", q, good[:4] + "\n" + good[4:], "not a page token"},
		{"truncated by one character", q, good[:len(good)-1], "not a page token"},
		{"truncated to half", q, good[:len(good)/2], "not a page token"},
		{"truncated into the header", q, good[:6], "not a page token"},
		{"extra bytes appended", q, enc(append(append([]byte{}, raw...), 0)), "not a page token"},
		{"unknown version", q, flip(0), "another version of this service"},
		{"hash altered", q, flip(3), "different filter"},
		{"value count larger than the token", q, withBody(0, 0x7f), "not a page token"},
		{"value length past the end", q, withBody(0, 1, 0x7f, 'a'), "not a page token"},
		{"negative offset", q, withBody(1, 0), "not a page token"},
		{"non-minimal varint", q, withBody(0x80, 0x00, 0), "not a page token"},
		{"varint overflow", q, withBody(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0), "not a page token"},
		{"missing count", q, withBody(0), "not a page token"},
		{"absurdly long", q, strings.Repeat("A", maxToken+1), "not a page token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePlain(tt.query, tt.token)
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", got)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("error %v does not wrap ErrInvalidToken", err)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("error %v does not match errs.ErrInvalid", err)
			}
			var inv *errs.InvalidError
			if !errors.As(err, &inv) || inv.Violations[0].Field != "page_token" {
				t.Errorf("error %v carries no page_token field violation", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "page: page_token ") {
				t.Errorf("error = %q, want it to mention %q", err, tt.want)
			}
			if !reflect.DeepEqual(got, Token{}) {
				t.Errorf("Decode returned %+v along with the error", got)
			}
		})
	}
}

func TestDecodeWrongQueryMessage(t *testing.T) {
	_, err := decodePlain("b", encodePlain("a", Token{Offset: 1}))
	want := "page: page_token was made for a different filter, order_by or other request parameters; repeat them exactly, or start again without page_token"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("q", "")
	f.Add("q", encodePlain("q", Token{}))
	f.Add("q", encodePlain("q", Token{Offset: 12}))
	f.Add("q", encodePlain("q", Token{After: []string{"Acme", "42"}}))
	f.Add("q", encodePlain("other", Token{After: []string{"x"}}))
	f.Add("q", "AQ")
	f.Add("q", "!!!!")
	f.Add("", strings.Repeat("_", 40))
	f.Fuzz(func(t *testing.T, query, token string) {
		tok, err := decodePlain(query, token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("decodePlain(%q, %q) error %v does not wrap ErrInvalidToken", query, token, err)
			}
			return
		}
		if tok.Offset < 0 {
			t.Fatalf("decodePlain(%q, %q) accepted a negative offset", query, token)
		}
		// Tokens are canonical: whatever decodes re-encodes to itself.
		if token != "" && encodePlain(query, tok) != token {
			t.Fatalf("decodePlain(%q, %q) = %+v, which re-encodes differently", query, token, tok)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("q", "a", "b", 0)
	f.Add("", "", "北京", 1<<40)
	f.Fuzz(func(t *testing.T, query, a, b string, offset int) {
		if offset < 0 {
			offset = -(offset + 1)
		}
		want := Token{After: []string{a, b}, Offset: offset}
		got, err := decodePlain(query, encodePlain(query, want))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %+v = %+v, %v", want, got, err)
		}
		if _, err := decodePlain(query+"x", encodePlain(query, want)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("token for %q accepted for %q", query, query+"x")
		}
	})
}

func TestSealedTokens(t *testing.T) {
	const q = "ListPersons?filter="
	tok := Token{After: []string{"2024-01-31", "330211199001011234"}}
	s := Encode(q, tok)
	t.Run("a sealed token round-trips", func(t *testing.T) {
		got, err := Decode(q, s)
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Fatalf("Decode = %+v, %v", got, err)
		}
	})
	t.Run("it reveals none of the keyset values", func(t *testing.T) {
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		if strings.Contains(string(raw), "330211199001011234") || strings.Contains(s, "MzMwMjEx") {
			t.Fatalf("token %s carries the ID number in clear", s)
		}
	})
	t.Run("an altered token is refused", func(t *testing.T) {
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		raw[len(raw)-1] ^= 1
		if _, err := Decode(q, base64.RawURLEncoding.EncodeToString(raw)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the query binding holds under the seal", func(t *testing.T) {
		if _, err := Decode("ListPersons?filter=x", s); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "different filter") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("processes sharing a key read each other's tokens; others do not", func(t *testing.T) {
		SetKey([]byte("deployment one"))
		s := Encode(q, tok)
		if _, err := Decode(q, s); err != nil {
			t.Fatal(err)
		}
		SetKey([]byte("deployment two"))
		if _, err := Decode(q, s); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v", err)
		}
	})
}
