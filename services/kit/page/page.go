package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Size returns the page size to use: def when requested is 0 (AIP-158: the
// server picks), max when requested is larger, so a client asking for too
// much gets a short page rather than an error. Negative is an
// errs.InvalidError on "page_size". def and max come from the service, so
// nonsensical ones are reported as a plain error, a bug rather than a bad
// request.
func Size(requested, def, max int32) (int, error) {
	if def <= 0 || max <= 0 || def > max {
		return 0, fmt.Errorf("page: bad page size settings: default %d, maximum %d", def, max)
	}
	switch {
	case requested < 0:
		return 0, errs.Field("page_size", "must not be negative")
	case requested == 0:
		return int(def), nil
	case requested > max:
		return int(max), nil
	}
	return int(requested), nil
}

// Token is the state a page token carries: keyset values of the last row
// (as strings), or an offset.
type Token struct {
	After  []string // keyset: the sort key values of the last row returned, in order
	Offset int      // for ranked results (search), the number of rows already returned; never negative
}

// ErrInvalidToken is wrapped by every error Decode returns, so a handler
// can tell a bad token from other failures. The errors also match
// errs.ErrInvalid with a violation on "page_token".
var ErrInvalidToken = errors.New("invalid page_token")

const (
	version  = 1
	hashLen  = 8 // 64 bits: ample to catch reuse by mistake; tokens are not a security boundary
	headLen  = 1 + hashLen
	maxToken = 4096 // longer is never a token Encode made for a sane key; refuse before decoding
)

// tokenError keeps the message a developer sees short while still matching
// both ErrInvalidToken and errs.ErrInvalid.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return "page: page_token " + e.reason }

func (e *tokenError) Unwrap() []error {
	return []error{ErrInvalidToken, errs.Field("page_token", "%s", e.reason)}
}

var (
	errMalformed = &tokenError{"is not a page token this service issued; pass next_page_token back exactly as received, or start again without it"}
	errVersion   = &tokenError{"was made by another version of this service; start again without it"}
	errQuery     = &tokenError{"was made for a different filter, order_by or other request parameters; repeat them exactly, or start again without page_token"}
)

// encodePlain is Encode before sealing: the token's readable layout.
func encodePlain(query string, t Token) string {
	return base64.RawURLEncoding.EncodeToString(marshal(query, t))
}

// marshal lays out t bound to query.
func marshal(query string, t Token) []byte {
	n := headLen + binary.MaxVarintLen64 + binary.MaxVarintLen64
	for _, v := range t.After {
		n += binary.MaxVarintLen64 + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, version)
	b = append(b, queryHash(query)...)
	b = binary.AppendVarint(b, int64(t.Offset))
	b = binary.AppendUvarint(b, uint64(len(t.After)))
	for _, v := range t.After {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

func queryHash(query string) []byte {
	h := sha256.Sum256([]byte(query))
	return h[:hashLen]
}

// strict refuses the trailing-bit variants RawURLEncoding would otherwise
// accept, so each token has exactly one spelling.
var strict = base64.RawURLEncoding.Strict()

// decodePlain is Decode after unsealing.
func decodePlain(query, token string) (Token, error) {
	if token == "" {
		return Token{}, nil
	}
	b, err := unbase64(token)
	if err != nil {
		return Token{}, err
	}
	return unmarshal(query, b)
}

// unbase64 decodes a token's text, refusing any but its one spelling.
func unbase64(token string) ([]byte, error) {
	if len(token) > maxToken {
		return nil, errMalformed
	}
	for i := 0; i < len(token); i++ {
		// The decoder skips '\r' and '\n'; refusing them keeps tokens canonical.
		if c := token[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, errMalformed
		}
	}
	b, err := strict.DecodeString(token)
	if err != nil {
		return nil, errMalformed
	}
	return b, nil
}

// unmarshal reads what marshal laid out, checking it was bound to query.
func unmarshal(query string, b []byte) (Token, error) {
	if len(b) < headLen {
		return Token{}, errMalformed
	}
	if b[0] != version {
		return Token{}, errVersion
	}
	if !bytes.Equal(b[1:headLen], queryHash(query)) {
		return Token{}, errQuery
	}
	r := reader{b: b[headLen:]}
	offset, ok := r.varint()
	if !ok || offset < 0 || int64(int(offset)) != offset {
		return Token{}, errMalformed
	}
	count, ok := r.uvarint()
	// Every value takes at least one byte, which bounds the allocation by
	// the token's own length whatever count claims.
	if !ok || count > uint64(len(r.b)) {
		return Token{}, errMalformed
	}
	t := Token{Offset: int(offset)}
	if count > 0 {
		t.After = make([]string, 0, count)
	}
	for range count {
		v, ok := r.str()
		if !ok {
			return Token{}, errMalformed
		}
		t.After = append(t.After, v)
	}
	if len(r.b) != 0 {
		return Token{}, errMalformed
	}
	return t, nil
}

// reader decodes the token body. Varints must be minimal so that a decoded
// token re-encodes to the same text.
type reader struct{ b []byte }

func (r *reader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		return 0, false
	}
	r.b = r.b[n:]
	return v, true
}

func (r *reader) varint() (int64, bool) {
	v, n := binary.Varint(r.b)
	if n <= 0 || n != len(binary.AppendVarint(nil, v)) {
		return 0, false
	}
	r.b = r.b[n:]
	return v, true
}

func (r *reader) str() (string, bool) {
	n, ok := r.uvarint()
	if !ok || n > uint64(len(r.b)) {
		return "", false
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s, true
}
