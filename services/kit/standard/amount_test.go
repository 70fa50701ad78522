package standard

import (
	"math/big"
	"strings"
	"testing"
)

func TestCheckDecimalAmount(t *testing.T) {
	tests := []struct{ rule, in, reason string }{
		{"a whole amount is valid", "5000000", ""},
		{"zero is valid", "0", ""},
		{"one fraction digit is valid", "0.5", ""},
		{"two fraction digits are valid", "1234.56", ""},
		{"18 integer digits are valid", strings.Repeat("9", 18) + ".99", ""},
		{"an empty amount is refused", "", "must not be empty"},
		{"a negative amount is refused", "-1", "must not be negative"},
		{"a leading plus is refused", "+1", "must not start with '+'"},
		{"exponent notation is refused", "1.5E+06", "must not use exponent notation"},
		{"a lower-case exponent is refused", "1e5", "must not use exponent notation"},
		{"thousands separators are refused", "5,000,000", "must not contain commas: write no thousands separators and use '.' as the decimal point"},
		{"a decimal comma is refused", "1,5", "must not contain commas: write no thousands separators and use '.' as the decimal point"},
		{"a bare fraction needs its leading zero", ".5", "must have a digit before the decimal point"},
		{"a trailing point is refused", "5.", "must have a digit after the decimal point"},
		{"two points are refused", "1.2.3", "must have at most one decimal point"},
		{"letters are refused", "12yuan", "every character other than the decimal point must be a digit, got 'y'"},
		{"a word containing e is not mistaken for an exponent", "free", "every character other than the decimal point must be a digit, got 'f'"},
		{"blanks are refused", " 12", "every character other than the decimal point must be a digit, got ' '"},
		{"full-width digits are named as such", "１2", "every character other than the decimal point is the full-width digit '１'; use half-width digits"},
		{"leading zeros are refused", "007", "must not have leading zeros"},
		{"leading zeros are refused before a point too", "00.5", "must not have leading zeros"},
		{"19 integer digits are refused", strings.Repeat("1", 19), "must have at most 18 digits before the decimal point, got 19"},
		{"three fraction digits are refused", "1.005", "must have at most 2 digits after the decimal point, got 3"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			checkReason(t, CheckDecimalAmount(tt.in), tt.reason)
		})
	}
}

func TestNormalizeAmount(t *testing.T) {
	tests := []struct{ rule, in, want string }{
		{"a whole amount gets two zero fraction digits", "5000000", "5000000.00"},
		{"one fraction digit is padded", "0.5", "0.50"},
		{"two fraction digits are kept", "12.34", "12.34"},
		{"an invalid amount is returned unchanged", "1,000", "1,000"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := NormalizeAmount(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckCurrency(t *testing.T) {
	tests := []struct{ rule, in, reason string }{
		{"three upper-case letters are valid", "CNY", ""},
		{"the shape is checked, not the ISO list", "XYZ", ""},
		{"lower case is refused", "cny", "must be upper case, got 'c'"},
		{"two letters are too few", "CN", "must be 3 letters, got 2 characters"},
		{"a symbol is not a code", "¥", "must be 3 letters, got 1 character"},
		{"digits are refused", "C1Y", "must be 3 upper-case letters, got '1'"},
		{"full-width letters are refused", "ＣＮＹ", "must be 3 upper-case letters, got 'Ｃ'"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			checkReason(t, CheckCurrency(tt.in), tt.reason)
		})
	}
}

func FuzzCheckDecimalAmount(f *testing.F) {
	for _, s := range []string{"5000000", "0.5", "1e5", "-1", "007", "1.005", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckDecimalAmount(s)
		n := NormalizeAmount(s)
		if err != nil {
			if n != s {
				t.Fatalf("invalid %q normalized to %q", s, n)
			}
			return
		}
		if CheckDecimalAmount(n) != nil || NormalizeAmount(n) != n {
			t.Fatalf("%q normalized to %q, which is not normal", s, n)
		}
		if i := strings.IndexByte(n, '.'); i < 0 || len(n)-i != 3 {
			t.Fatalf("%q normalized to %q", s, n)
		}
		a, ok1 := new(big.Rat).SetString(s)
		b, ok2 := new(big.Rat).SetString(n)
		if !ok1 || !ok2 || a.Cmp(b) != 0 || a.Sign() < 0 {
			t.Fatalf("%q normalized to %q changes its value", s, n)
		}
	})
}
