package economy

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/zhbase/zhbase/services/kit/standard"
)

// Figures are exchanged and stored as decimal strings with two fraction
// digits, and added up as whole hundredths (分, or 0.01 tonne of coal) in
// arbitrary precision: a district's totals must come out to the fen, and
// float64 cannot hold 0.01 exactly. The kit's amount checker refuses a
// sign, so profit (which is negative for a loss) takes its sign here.

// checkAmount checks a figure with standard.CheckDecimalAmount; signed
// allows one leading '-' for a loss.
func checkAmount(s string, signed bool) error {
	if signed {
		if rest, neg := strings.CutPrefix(s, "-"); neg {
			if rest != "" && (rest[0] == '-' || rest[0] == '+') {
				return errors.New("must have at most one sign, a leading '-'")
			}
			return standard.CheckDecimalAmount(rest)
		}
	}
	return standard.CheckDecimalAmount(s)
}

// normalizeAmount writes a figure that checkAmount accepts (signed or not)
// with exactly two fraction digits, and a negative zero as zero, so that
// equal figures are spelt alike; anything else is returned unchanged.
func normalizeAmount(s string) string {
	s = strings.TrimSpace(s)
	if checkAmount(s, true) != nil {
		return s
	}
	abs, neg := strings.CutPrefix(s, "-")
	n := standard.NormalizeAmount(abs)
	if neg && strings.Trim(n, "0.") != "" {
		return "-" + n
	}
	return n
}

// hundredths parses a normalized figure into whole hundredths.
func hundredths(s string) (*big.Int, error) {
	abs, neg := strings.CutPrefix(s, "-")
	intPart, frac, _ := strings.Cut(abs, ".")
	frac += "00"[min(len(frac), 2):]
	v, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok || len(frac) != 2 {
		return nil, fmt.Errorf("stored figure %q is not a decimal amount", s)
	}
	if neg {
		v.Neg(v)
	}
	return v, nil
}

// smallHundredths parses a normalized figure of at most 18 digits (every
// figure below 10^16 yuan) into int64 hundredths without allocating; ok is
// false for anything else, which hundredths then handles.
func smallHundredths(s string) (v int64, ok bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i == len(s)-3:
		case c >= '0' && c <= '9':
			if n++; n > 18 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		default:
			return 0, false
		}
	}
	if n < 3 || s[len(s)-3] != '.' {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// formatScaled writes v / 10^scale with exactly scale fraction digits.
func formatScaled(v *big.Int, scale int) string {
	digits := new(big.Int).Abs(v).String()
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if v.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// percentChange is (cur − base) / |base| × 100 rounded half away from zero
// to two fraction digits, and false when base is zero. cur and base share
// one unit, so the ratio needs no scale.
func percentChange(cur, base *big.Int) (string, bool) {
	if base.Sign() == 0 {
		return "", false
	}
	num := new(big.Int).Sub(cur, base)
	num.Mul(num, big.NewInt(10000)) // × 100 for percent, × 100 for two digits
	den := new(big.Int).Abs(base)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Abs(r).Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return formatScaled(q, 2), true
}
