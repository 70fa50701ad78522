package economy

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestCheckAmount(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		signed bool
		reason string // fragment of the refusal; "" for accepted
	}{
		{"a whole amount is accepted", "5000000", false, ""},
		{"two fraction digits are accepted", "0.01", false, ""},
		{"a loss is accepted where a sign is allowed", "-35000.50", true, ""},
		{"zero is accepted either way", "0", true, ""},
		{"a sign is refused where none is allowed", "-1.00", false, "must not be negative"},
		{"two minus signs are refused", "--1", true, "at most one sign"},
		{"a minus then a plus is refused", "-+1", true, "at most one sign"},
		{"a plus sign is refused", "+1", true, "must not start with '+'"},
		{"a lone minus is refused", "-", true, "must not be empty"},
		{"three fraction digits are refused after a sign too", "-1.005", true, "at most 2 digits after"},
		{"leading zeros are refused after a sign too", "-01", true, "leading zeros"},
		{"thousands separators are refused", "1,000", false, "commas"},
		{"exponents are refused", "1e6", false, "exponent"},
		{"19 integer digits are refused", "1234567890123456789", false, "at most 18 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAmount(tt.in, tt.signed)
			if tt.reason == "" && err != nil {
				t.Fatalf("checkAmount(%q) = %v, want accepted", tt.in, err)
			}
			if tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)) {
				t.Fatalf("checkAmount(%q) = %v, want a refusal containing %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestNormalizeAmount(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a whole amount gains two fraction digits", "5000000", "5000000.00"},
		{"one fraction digit gains a zero", "12.5", "12.50"},
		{"a loss keeps its sign", "-12.5", "-12.50"},
		{"negative zero is zero", "-0.00", "0.00"},
		{"negative zero without digits is zero", "-0", "0.00"},
		{"spaces around are trimmed", " 7 ", "7.00"},
		{"what the checker refuses is left alone", "1,000", "1,000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeAmount(tt.in); got != tt.want {
				t.Fatalf("normalizeAmount(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHundredthsAndFormatScaled(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0.00", 0}, {"0.01", 1}, {"-0.01", -1}, {"12.30", 1230}, {"-35000.50", -3500050}, {"7", 700}, {"7.5", 750},
	}
	for _, tt := range tests {
		t.Run(tt.in+" is a whole number of hundredths", func(t *testing.T) {
			h, err := hundredths(tt.in)
			if err != nil || h.Int64() != tt.want {
				t.Fatalf("hundredths(%q) = %v, %v; want %d", tt.in, h, err, tt.want)
			}
			if got, want := formatScaled(h, 2), normalizeAmount(tt.in); got != want {
				t.Fatalf("formatScaled(%v) = %q, want %q", h, got, want)
			}
		})
	}
	if _, err := hundredths("x.00"); err == nil {
		t.Fatal("a corrupt stored figure must be an error, not zero")
	}
	if got := formatScaled(big.NewInt(-5), 0); got != "-5" {
		t.Fatalf("formatScaled(-5, 0) = %q", got)
	}
	if got := formatScaled(big.NewInt(5), 3); got != "0.005" {
		t.Fatalf("formatScaled(5, 3) = %q", got)
	}
}

func TestSumStaysExactPastInt64(t *testing.T) {
	tests := []struct {
		name string
		adds []int64
		want string
	}{
		{"small sums stay in int64", []int64{1, 2, -3, 40}, "40"},
		{"an overflow upwards moves to big", []int64{math.MaxInt64 - 1, 5}, "9223372036854775811"},
		{"an overflow downwards moves to big", []int64{math.MinInt64 + 1, -5}, "-9223372036854775812"},
		{"after moving, adding continues exactly", []int64{math.MaxInt64, math.MaxInt64, -math.MaxInt64, 1}, "9223372036854775808"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sum
			for _, h := range tt.adds {
				s.add(h)
			}
			if got := s.value().String(); got != tt.want {
				t.Fatalf("sum of %v = %s, want %s", tt.adds, got, tt.want)
			}
		})
	}
	t.Run("figures too long for int64 add up exactly", func(t *testing.T) {
		var s sum
		for _, f := range []string{"999999999999999999.99", "0.01", "-0.02", "12.34"} {
			if err := s.addFigure(f); err != nil {
				t.Fatal(err)
			}
		}
		if got := s.format(2); got != "1000000000000000012.32" {
			t.Fatalf("total %s", got)
		}
	})
}

func TestPercentChange(t *testing.T) {
	tests := []struct {
		name      string
		cur, base int64
		want      string
	}{
		{"a rise by a quarter is 25.00", 125, 100, "25.00"},
		{"a fall to nothing is -100.00", 0, 100, "-100.00"},
		{"no change is 0.00", 100, 100, "0.00"},
		{"a third rounds down at the third digit", 4, 3, "33.33"},
		{"two thirds rounds up at the third digit", 5, 3, "66.67"},
		{"a change far below a hundredth of a percent is 0.00", 200001, 200000, "0.00"}, // 0.0005 %
		{"25.0125 rounds to the nearest hundredth", 10001, 8000, "25.01"},
		{"-0.0125 rounds to the nearest hundredth", 7999, 8000, "-0.01"},
		{"exactly half a hundredth rounds away from zero upwards", 801, 800, "0.13"},    // 0.125 %
		{"exactly half a hundredth rounds away from zero downwards", 799, 800, "-0.13"}, // -0.125 %
		{"a smaller loss is a positive change", -50, -100, "50.00"},
		{"a deeper loss is a negative change", -150, -100, "-50.00"},
		{"from a loss to a profit is over 100", 50, -100, "150.00"},
		{"from a profit to a loss is below -100", -50, 100, "-150.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := percentChange(big.NewInt(tt.cur), big.NewInt(tt.base))
			if !ok || got != tt.want {
				t.Fatalf("percentChange(%d, %d) = %q, %v; want %q", tt.cur, tt.base, got, ok, tt.want)
			}
		})
	}
	t.Run("a zero base has no percent", func(t *testing.T) {
		if got, ok := percentChange(big.NewInt(5), big.NewInt(0)); ok || got != "" {
			t.Fatalf("percentChange(5, 0) = %q, %v; want none", got, ok)
		}
	})
}

// FuzzSignedAmount: a figure the checker accepts parses to hundredths that
// format back to its normalized spelling, and normalizing is idempotent.
func FuzzSignedAmount(f *testing.F) {
	for _, s := range []string{"0", "-0", "0.01", "-35000.5", "999999999999999999.99", "-999999999999999999.99", "1e3", "--1", "1.", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkAmount(s, true) != nil {
			return
		}
		n := normalizeAmount(s)
		if normalizeAmount(n) != n || checkAmount(n, true) != nil {
			t.Fatalf("normalizeAmount(%q) = %q is not a fixed point", s, n)
		}
		h, err := hundredths(n)
		if err != nil {
			t.Fatalf("hundredths(%q): %v", n, err)
		}
		if small, ok := smallHundredths(n); ok && big.NewInt(small).Cmp(h) != 0 {
			t.Fatalf("smallHundredths(%q) = %d, hundredths %v", n, small, h)
		} else if !ok && h.IsInt64() && len(strings.TrimPrefix(n, "-")) <= 19 {
			t.Fatalf("smallHundredths refused %q, which fits", n)
		}
		if got := formatScaled(h, 2); got != n {
			t.Fatalf("%q → %v → %q", n, h, got)
		}
	})
}
