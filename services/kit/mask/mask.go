package mask

import "unicode"

const hidden = '*'

// keep returns rs with every rune outside [0,head) and [len-tail,len)
// replaced by hidden.
func keep(rs []rune, head, tail int) string {
	for i := head; i < len(rs)-tail; i++ {
		rs[i] = hidden
	}
	return string(rs)
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// IDNumber masks a citizen ID number, hiding the birth date: an 18-character
// number keeps its first 6 (area) and last 4 characters, 330211********1234;
// a 15-digit number of the old format keeps its first 6 and last 3,
// 330211******123. Anything else, including numbers with blanks or
// full-width digits, becomes all '*'.
func IDNumber(s string) string {
	rs := []rune(s)
	switch len(rs) {
	case 18:
		if allASCIIDigits(rs[:17]) && (isASCIIDigit(rs[17]) || rs[17] == 'X' || rs[17] == 'x') {
			return keep(rs, 6, 4)
		}
	case 15:
		if allASCIIDigits(rs) {
			return keep(rs, 6, 3)
		}
	}
	return keep(rs, 0, 0)
}

func allASCIIDigits(rs []rune) bool {
	for _, r := range rs {
		if !isASCIIDigit(r) {
			return false
		}
	}
	return true
}

// isPhoneSeparator reports the characters a phone number is written with
// besides digits. They say nothing about the subscriber, and keeping them
// keeps the masked number readable: 0574-8612****.
func isPhoneSeparator(r rune) bool {
	switch r {
	case ' ', '-', '+', '(', ')':
		return true
	}
	return false
}

// Phone masks a telephone number. A number with exactly 11 digits (a
// mainland mobile number) keeps its first 3 and last 4 digits,
// 138****1234. Any other number keeps at most its first 3 and last 4 digits
// but never more than half of its digits, the last digits taking what the
// first leave: 0574-86123456 becomes 057*-*****456. Separators (blank, - + ( ))
// are kept; every other character is masked.
func Phone(s string) string {
	rs := []rune(s)
	digits := 0
	for _, r := range rs {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	head, tail := 3, 4
	if digits != 11 {
		budget := digits / 2
		head = min(3, budget/2)
		tail = min(4, budget-head)
	}
	seen := 0
	for i, r := range rs {
		switch {
		case unicode.IsDigit(r):
			if seen >= head && seen < digits-tail {
				rs[i] = hidden
			}
			seen++
		case !isPhoneSeparator(r):
			rs[i] = hidden
		}
	}
	return string(rs)
}

// Name masks a person's name, keeping only the first character (the surname
// of a Chinese name): 张三 → 张*, 欧阳娜娜 → 欧***. A one-character name is
// masked completely, since keeping its first character would keep all of it.
func Name(s string) string {
	rs := []rune(s)
	if len(rs) < 2 {
		return keep(rs, 0, 0)
	}
	return keep(rs, 1, 0)
}
