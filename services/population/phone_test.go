package population_test

import (
	"regexp"
	"testing"

	. "github.com/zhbase/zhbase/services/population"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a mobile number stays as it is", "13812345678", "13812345678"},
		{"blanks and hyphens inside a mobile number go", "138 1234-5678", "13812345678"},
		{"a +86 country prefix goes", "+86 13812345678", "13812345678"},
		{"a 0086 country prefix goes", "0086-13812345678", "13812345678"},
		{"an 86 prefix before 11 mobile digits goes", "8613812345678", "13812345678"},
		{"full-width digits become half-width", "１３８１２３４５６７８", "13812345678"},
		{"a landline keeps its hyphen", "0574-86123456", "0574-86123456"},
		{"a landline in brackets gets a hyphen", "(0574)86123456", "0574-86123456"},
		{"full-width brackets work too", "（0574）86123456", "0574-86123456"},
		{"a blank after the area code becomes a hyphen", "0574 86123456", "0574-86123456"},
		{"an undivided landline is split after its four-digit area code", "057486123456", "0574-86123456"},
		{"Beijing's area code has three digits", "01082345678", "010-82345678"},
		{"Shanghai's area code has three digits", "021 6234 5678", "021-62345678"},
		{"hyphens inside the local number go", "0574-8612-3456", "0574-86123456"},
		{"an en dash counts as a hyphen", "0574–86123456", "0574-86123456"},
		{"text is left as typed, only tidied", " call me ", "callme"},
		{"a number with letters is left alone", "138-1234-567a", "138-1234-567a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizePhone(tt.in); got != tt.want {
				t.Fatalf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckPhone(t *testing.T) {
	tests := []struct {
		name, phone string
		ok          bool
	}{
		{"a mobile number of 11 digits beginning 13 to 19 is valid", "13812345678", true},
		{"a mobile number beginning 19 is valid", "19912345678", true},
		{"a mobile number beginning 12 is refused", "12812345678", false},
		{"a mobile number beginning 10 is refused", "10812345678", false},
		{"a mobile number of 10 digits is refused", "1381234567", false},
		{"a mobile number of 12 digits is refused", "138123456789", false},
		{"a landline with a four-digit area code and 8 digits is valid", "0574-86123456", true},
		{"a landline with 7 digits is valid", "0574-8612345", true},
		{"Beijing with 8 digits is valid", "010-82345678", true},
		{"a local number of 6 digits is refused", "0574-861234", false},
		{"a local number of 9 digits is refused", "0574-861234567", false},
		{"a local number beginning 0 is refused", "0574-06123456", false},
		{"a local number beginning 1 is refused", "0574-16123456", false},
		{"an area code not beginning 0 is refused", "574-86123456", false},
		{"a three-digit area code other than 010 and 02x is refused", "057-86123456", false},
		{"a four-digit area code beginning 01 is refused", "0101-8612345", false},
		{"a missing area code is refused", "-86123456", false},
		{"a landline without its hyphen is not the stored spelling", "057486123456", false},
		{"an empty number is refused", "", false},
		{"letters are refused", "1381234567a", false},
		{"two hyphens are refused", "0574-8612-3456", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckPhone(tt.phone); (err == nil) != tt.ok {
				t.Fatalf("CheckPhone(%q) = %v, want ok=%v", tt.phone, err, tt.ok)
			}
		})
	}
}

var storedPhone = regexp.MustCompile(`^(1[3-9][0-9]{9}|(010|02[0-9]|0[3-9][0-9]{2})-[2-9][0-9]{6,7})$`)

// FuzzNormalizePhone holds NormalizePhone and CheckPhone to their contract
// on any input: no panic, normalising twice changes nothing, what CheckPhone
// accepts is exactly the stored spelling, and a stored spelling is its own
// normal form.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "(0574)86123456", "0574-8612-3456", "01082345678",
		"０５７４－８６１２３４５６", "+86+8613812345678", "((0574))1", "-", "86", "0086-", "(", "0\x00", "８６１３８１２３４５６７８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizePhone(s)
		if again := NormalizePhone(n); again != n {
			t.Fatalf("NormalizePhone is not idempotent: %q → %q → %q", s, n, again)
		}
		err := CheckPhone(n)
		if (err == nil) != storedPhone.MatchString(n) {
			t.Fatalf("CheckPhone(%q) = %v, but the stored-spelling pattern says %v", n, err, storedPhone.MatchString(n))
		}
		if CheckPhone(s) == nil && n != s {
			t.Fatalf("a valid stored spelling %q was changed to %q", s, n)
		}
	})
}
