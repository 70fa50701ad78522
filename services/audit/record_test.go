package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zhbase/zhbase/services/kit/errs"
)

func sampleRecord() Record {
	return Record{
		ID: "0196a1b2-0000-7000-8000-000000000001", Chain: "legalentity@10.0.0.11:9090", Seq: 7,
		Time:       time.Date(2026, 3, 1, 2, 3, 4, 567891000, time.UTC),
		Department: "scjgj", Application: "licensing-app", Principal: "scjgj/licensing-app",
		Purpose: "企业登记核查", CaseReference: "ZH-2026-0042",
		Method:    "/zhbase.legalentity.v1.LegalEntityService/GetLegalEntity",
		Resources: []string{"legalEntities/91330211MA2H4LQX0D", "persons/330211199001011234"},
		Result:    "OK", RequestHash: strings.Repeat("ab", 32), PrevHash: strings.Repeat("0", 64),
	}
}

// specHash re-implements the encoding from the package documentation,
// independently of ComputeHash, the way an auditor would.
func specHash(r Record) string {
	var b bytes.Buffer
	field := func(s string) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(s)))
		b.WriteString(s)
	}
	field("zhbase-audit-v1")
	field(r.PrevHash)
	field(r.ID)
	field(r.Chain)
	field(r.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	for _, s := range []string{r.Department, r.Application, r.Principal, r.Purpose, r.CaseReference, r.Method} {
		field(s)
	}
	field(strconv.Itoa(len(r.Resources)))
	for _, s := range r.Resources {
		field(s)
	}
	field(r.Result)
	field(r.Detail)
	field(r.RequestHash)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

func TestHashFollowsTheDocumentedEncoding(t *testing.T) {
	r := sampleRecord()
	if got, want := r.ComputeHash(), specHash(r); got != want {
		t.Fatalf("ComputeHash = %s, the documented encoding gives %s", got, want)
	}
	r.Resources, r.Detail = nil, "no grant for this purpose"
	if got, want := r.ComputeHash(), specHash(r); got != want {
		t.Fatalf("without resources: ComputeHash = %s, the documented encoding gives %s", got, want)
	}
	// A fixed value, computed outside Go from the documented encoding, so
	// that a change of the encoding, which would make every stored chain
	// fail verification, cannot slip in unnoticed.
	const golden = "50e7af28ee8c0617540d8f3aaa9b92ea146ecaba0053dbd7a130d5e90bbe4e31"
	if got := sampleRecord().ComputeHash(); got != golden {
		t.Errorf("hash of the sample record = %s, want the golden %s", got, golden)
	}
}

func TestHashCoversEveryFieldButSeq(t *testing.T) {
	base := sampleRecord().ComputeHash()
	changes := map[string]func(r *Record){
		"id":             func(r *Record) { r.ID = "0196a1b2-0000-7000-8000-000000000002" },
		"chain":          func(r *Record) { r.Chain = "population@10.0.0.12:9090" },
		"time":           func(r *Record) { r.Time = r.Time.Add(time.Microsecond) },
		"department":     func(r *Record) { r.Department = "gaj" },
		"application":    func(r *Record) { r.Application = "other-app" },
		"principal":      func(r *Record) { r.Principal = "service:gateway" },
		"purpose":        func(r *Record) { r.Purpose = "其他" },
		"case reference": func(r *Record) { r.CaseReference = "ZH-2026-0043" },
		"method":         func(r *Record) { r.Method = "/zhbase.legalentity.v1.LegalEntityService/ListLegalEntities" },
		"resource name":  func(r *Record) { r.Resources[1] = "persons/330211199001011235" },
		"resource order": func(r *Record) { r.Resources[0], r.Resources[1] = r.Resources[1], r.Resources[0] },
		"resource count": func(r *Record) { r.Resources = r.Resources[:1] },
		"result":         func(r *Record) { r.Result = "PERMISSION_DENIED" },
		"detail":         func(r *Record) { r.Detail = "x" },
		"request hash":   func(r *Record) { r.RequestHash = strings.Repeat("cd", 32) },
		"prev hash":      func(r *Record) { r.PrevHash = strings.Repeat("1", 64) },
		// Length prefixes keep field boundaries: moving a character from
		// one field to the next is a different record.
		"a boundary between fields": func(r *Record) { r.Department, r.Application = "scjgjl", "icensing-app" },
		"a resource split in two":   func(r *Record) { r.Resources = []string{"legalEntities/", "91330211MA2H4LQX0D", r.Resources[1]} },
	}
	for name, change := range changes {
		t.Run("a changed "+name+" changes the hash", func(t *testing.T) {
			r := sampleRecord()
			change(&r)
			if r.ComputeHash() == base {
				t.Fatal("hash unchanged")
			}
		})
	}
	t.Run("seq is not hashed: the links fix a record's position", func(t *testing.T) {
		r := sampleRecord()
		r.Seq = 8
		if r.ComputeHash() != base {
			t.Fatal("hash changed with seq")
		}
	})
	t.Run("the time's location does not matter, only the instant", func(t *testing.T) {
		r := sampleRecord()
		r.Time = r.Time.In(time.FixedZone("CST", 8*3600))
		if r.ComputeHash() != base {
			t.Fatal("hash changed with the time zone")
		}
	})
}

func TestPrepare(t *testing.T) {
	t.Run("a record without method, with a bad result and request hash is refused naming each field", func(t *testing.T) {
		r := Record{Result: "ok", RequestHash: "ABC"}
		err := r.prepare()
		var inv *errs.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("prepare = %v, want an invalid-argument error", err)
		}
		var fields []string
		for _, v := range inv.Violations {
			fields = append(fields, v.Field)
		}
		if got := strings.Join(fields, ","); got != "method,result,request_hash" {
			t.Errorf("fields = %s, want method,result,request_hash", got)
		}
	})
	t.Run("text is made valid UTF-8 without NUL and cut at a character boundary", func(t *testing.T) {
		r := sampleRecord()
		r.Purpose = "核查\xff\x00" + strings.Repeat("镇", 400)
		if err := r.prepare(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Purpose, "核查\uFFFD\uFFFD镇") || len(r.Purpose) > maxFieldLen || !utf8.ValidString(r.Purpose) {
			t.Errorf("purpose = %q (%d bytes)", r.Purpose[:min(len(r.Purpose), 30)], len(r.Purpose))
		}
	})
	t.Run("resources lose duplicates and blanks and keep the first 100", func(t *testing.T) {
		r := sampleRecord()
		r.Resources = []string{"a/1", "", "a/1"}
		for i := range 150 {
			r.Resources = append(r.Resources, "b/"+strconv.Itoa(i))
		}
		if err := r.prepare(); err != nil {
			t.Fatal(err)
		}
		if len(r.Resources) != MaxResources || r.Resources[0] != "a/1" || r.Resources[1] != "b/0" || r.Resources[99] != "b/98" {
			t.Errorf("resources = %d, first %q %q, last %q", len(r.Resources), r.Resources[0], r.Resources[1], r.Resources[len(r.Resources)-1])
		}
	})
}

func TestCheckChain(t *testing.T) {
	for _, ok := range []string{"legalentity@10.0.0.11:9090", "a", "gateway-7f9c_2.local"} {
		if err := CheckChain(ok); err != nil {
			t.Errorf("CheckChain(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a/b", "a b", "链", strings.Repeat("a", 129)} {
		if err := CheckChain(bad); err == nil {
			t.Errorf("CheckChain(%q) accepted", bad)
		}
	}
}
