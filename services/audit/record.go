package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// Record is the evidence of one call to a registry.
type Record struct {
	// ID, Chain, Seq, Time, PrevHash and Hash are assigned by the Log; what
	// a caller sets there is ignored.
	ID    string
	Chain string
	Seq   int64
	// Time is when the Log took the record, UTC to the microsecond, never
	// earlier than the record before it in the chain.
	Time time.Time

	// Who called: the verified identity (see services/kit/auth).
	Department  string
	Application string
	// Principal is the caller in short, e.g. "service:gateway" or
	// "scjgj/licensing-app".
	Principal string
	// Purpose (事由) and CaseReference (案件编号), as the caller declared them.
	Purpose       string
	CaseReference string

	// Method is the full gRPC method.
	Method string
	// Resources are the resource names the call touched; duplicates are
	// dropped and at most MaxResources kept.
	Resources []string
	// Result is the gRPC code name the call ended with ("OK",
	// "PERMISSION_DENIED").
	Result string
	// Detail is a short reason for a refusal; never personal data.
	Detail string
	// RequestHash is the lowercase hex SHA-256 of the deterministic proto
	// encoding of the request, computed by the caller; may be empty.
	RequestHash string

	PrevHash string
	Hash     string
}

// Limits on what a record keeps. Longer values are cut rather than refused:
// a call must not go unaudited because its caller declared a long purpose.
const (
	MaxResources   = 100
	maxFieldLen    = 1000 // bytes, for every text field but Detail
	maxDetailLen   = 500
	maxResourceLen = 300
)

// ZeroHash is the PrevHash of a chain's first record.
var ZeroHash = strings.Repeat("0", sha256.Size*2)

// hashScheme is the first field of every hashed encoding; a future change
// of the encoding gets a new tag.
const hashScheme = "zhbase-audit-v1"

// timeLayout is how Time enters the hash (and the store): fixed width, UTC.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash of r as specified in the package
// documentation, from r.PrevHash and every other field except Seq and Hash.
func (r Record) ComputeHash() string {
	h := sha256.New()
	var n [4]byte
	field := func(s string) {
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(hashScheme)
	field(r.PrevHash)
	field(r.ID)
	field(r.Chain)
	field(r.Time.UTC().Format(timeLayout))
	field(r.Department)
	field(r.Application)
	field(r.Principal)
	field(r.Purpose)
	field(r.CaseReference)
	field(r.Method)
	field(strconv.Itoa(len(r.Resources)))
	for _, res := range r.Resources {
		field(res)
	}
	field(r.Result)
	field(r.Detail)
	field(r.RequestHash)
	return hex.EncodeToString(h.Sum(nil))
}

var (
	hexHash   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	chainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	codeName  = regexp.MustCompile(`^[A-Z][A-Z_]{1,31}$`)
)

// CheckChain reports whether name can name a chain: 1–128 letters, digits,
// '.', '_', ':', '@' or '-', starting with a letter or digit (it becomes
// part of an etcd key).
func CheckChain(name string) error {
	if !chainName.MatchString(name) {
		return fmt.Errorf("must be 1–128 letters, digits, '.', '_', ':', '@' or '-' starting with a letter or digit, got %q", name)
	}
	return nil
}

// prepare checks what the caller supplied and brings it into the one form
// that is hashed and stored: valid UTF-8 without NUL (PostgreSQL refuses
// both, and one refused record would fail its whole batch), cut to the
// limits, resources without duplicates.
func (r *Record) prepare() error {
	var v errs.Violations
	if r.Method == "" {
		v.Add("method", "is required")
	}
	if !codeName.MatchString(r.Result) {
		v.Add("result", "must be a gRPC code name such as OK or PERMISSION_DENIED, got %q", clean(r.Result, 40))
	}
	if r.RequestHash != "" && !hexHash.MatchString(r.RequestHash) {
		v.Add("request_hash", "must be 64 lowercase hexadecimal characters (SHA-256) or empty")
	}
	if err := v.Err(); err != nil {
		return err
	}
	r.Department = clean(r.Department, maxFieldLen)
	r.Application = clean(r.Application, maxFieldLen)
	r.Principal = clean(r.Principal, maxFieldLen)
	r.Purpose = clean(r.Purpose, maxFieldLen)
	r.CaseReference = clean(r.CaseReference, maxFieldLen)
	r.Method = clean(r.Method, maxFieldLen)
	r.Detail = clean(r.Detail, maxDetailLen)
	seen := make(map[string]bool, len(r.Resources))
	kept := make([]string, 0, min(len(r.Resources), MaxResources))
	for _, res := range r.Resources {
		res = clean(res, maxResourceLen)
		if res == "" || seen[res] {
			continue
		}
		if len(kept) == MaxResources {
			break
		}
		seen[res] = true
		kept = append(kept, res)
	}
	r.Resources = kept
	return nil
}

// clean makes s valid UTF-8 without NUL and at most max bytes long, cut at
// a character boundary.
func clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
