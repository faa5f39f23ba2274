//lint:file-ignore ST1005 the error texts are DynamoDB's, word for word, as clients see them.

// Package decimal is DynamoDB's Number: a decimal of at most 38 significant
// digits with a magnitude between 1E-130 and 9.99...E+125, exact (no binary
// floating point anywhere), with the canonical text DynamoDB answers with
// and a byte encoding whose order is numeric order, so numbers can be sort
// keys of the ordered store.
package decimal

import (
	"errors"
	"math/big"
	"strings"
)

// Errors carry DynamoDB's messages, word for word; callers wrap them in a
// ValidationException.
var (
	ErrSyntax    = errors.New("A value provided cannot be converted into a number")
	ErrOverflow  = errors.New("Number overflow. Attempting to store a number with magnitude larger than supported range")
	ErrUnderflow = errors.New("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	ErrPrecision = errors.New("Attempting to store more than 38 significant digits in a Number")
)

// MaxDigits is DynamoDB's precision.
const MaxDigits = 38

// Decimal is 0.Digits × 10^Exp with the sign Neg. Digits has no leading or
// trailing zeros; zero is the empty Digits.
type Decimal struct {
	Neg    bool
	Digits string
	Exp    int
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Digits == "" }

// Parse reads a DynamoDB number ("-12.50", "1e3", "+.5") and checks
// DynamoDB's limits.
func Parse(s string) (Decimal, error) {
	d, err := parseRaw(s)
	if err != nil {
		return d, err
	}
	return d, d.check()
}

func parseRaw(s string) (Decimal, error) {
	var d Decimal
	s = strings.TrimSpace(s)
	if s == "" {
		return d, ErrSyntax
	}
	switch s[0] {
	case '-':
		d.Neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
		if exp == "" {
			return d, ErrSyntax
		}
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	if intPart == "" && frac == "" {
		return d, ErrSyntax
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return d, ErrSyntax
			}
		}
	}
	e := 0
	if exp != "" {
		neg := false
		switch exp[0] {
		case '-':
			neg = true
			exp = exp[1:]
		case '+':
			exp = exp[1:]
		}
		if exp == "" {
			return d, ErrSyntax
		}
		for i := 0; i < len(exp); i++ {
			if exp[i] < '0' || exp[i] > '9' {
				return d, ErrSyntax
			}
			if e < 100000 {
				e = e*10 + int(exp[i]-'0')
			}
		}
		if neg {
			e = -e
		}
	}
	// 0.x has the digits and point of x with the exponent alone: no
	// concatenation (the integer part's zeros are stripped below anyway).
	all, point := frac, e
	if strings.TrimLeft(intPart, "0") != "" {
		all, point = intPart+frac, len(intPart)+e
	}
	lead := 0
	for lead < len(all) && all[lead] == '0' {
		lead++
	}
	all = all[lead:]
	point -= lead
	all = strings.TrimRight(all, "0")
	if all == "" {
		return Decimal{}, nil
	}
	d.Digits, d.Exp = all, point
	return d, nil
}

func (d Decimal) check() error {
	if d.IsZero() {
		return nil
	}
	if len(d.Digits) > MaxDigits {
		return ErrPrecision
	}
	// value = 0.D × 10^Exp, so its decimal exponent (scientific) is Exp-1.
	if d.Exp-1 > 125 {
		return ErrOverflow
	}
	if d.Exp-1 < -130 {
		return ErrUnderflow
	}
	return nil
}

// String is DynamoDB's canonical text: plain notation, no exponent, no
// superfluous zeros ("1.5", "-0.001", "1000").
func (d Decimal) String() string {
	var buf [64]byte
	return string(d.AppendText(buf[:0]))
}

// AppendText appends String's text to b.
func (d Decimal) AppendText(b []byte) []byte {
	if d.IsZero() {
		return append(b, '0')
	}
	if d.Neg {
		b = append(b, '-')
	}
	switch {
	case d.Exp <= 0:
		b = append(b, "0."...)
		for range -d.Exp {
			b = append(b, '0')
		}
		b = append(b, d.Digits...)
	case d.Exp >= len(d.Digits):
		b = append(b, d.Digits...)
		for range d.Exp - len(d.Digits) {
			b = append(b, '0')
		}
	default:
		b = append(b, d.Digits[:d.Exp]...)
		b = append(b, '.')
		b = append(b, d.Digits[d.Exp:]...)
	}
	return b
}

// Cmp compares a and b numerically (-1, 0, 1).
func Cmp(a, b Decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	c := cmpAbs(a, b)
	if sa < 0 {
		return -c
	}
	return c
}

func (d Decimal) sign() int {
	switch {
	case d.IsZero():
		return 0
	case d.Neg:
		return -1
	}
	return 1
}

func cmpAbs(a, b Decimal) int {
	if a.Exp != b.Exp {
		if a.Exp < b.Exp {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Digits, b.Digits)
}

// big returns d as an unscaled integer and a power-of-ten scale:
// d = i × 10^-scale.
func (d Decimal) big() (*big.Int, int) {
	i := new(big.Int)
	if d.IsZero() {
		return i, 0
	}
	i.SetString(d.Digits, 10)
	if d.Neg {
		i.Neg(i)
	}
	return i, len(d.Digits) - d.Exp
}

// Add returns a+b, exactly, then checks DynamoDB's limits on the result.
func Add(a, b Decimal) (Decimal, error) {
	ia, sa := a.big()
	ib, sb := b.big()
	ten := big.NewInt(10)
	for sa < sb {
		ia.Mul(ia, ten)
		sa++
	}
	for sb < sa {
		ib.Mul(ib, ten)
		sb++
	}
	sum := new(big.Int).Add(ia, ib)
	r := fromBig(sum, sa)
	return r, r.check()
}

// Sub returns a-b.
func Sub(a, b Decimal) (Decimal, error) {
	b.Neg = !b.Neg
	if b.IsZero() {
		b.Neg = false
	}
	return Add(a, b)
}

func fromBig(i *big.Int, scale int) Decimal {
	s := i.String()
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	d, _ := parseRaw(s)
	if d.IsZero() {
		return Decimal{}
	}
	d.Exp -= scale
	d.Neg = neg
	return d
}

// Key returns the order-preserving byte encoding of d: comparing two keys
// as bytes compares the numbers. Layout: a class byte (1 negative, 2 zero,
// 3 positive), then the exponent as one byte and the digits; negative
// numbers have both complemented and end with 0xFF so that a longer
// mantissa (a more negative number) sorts first.
func (d Decimal) Key() []byte { return d.AppendKey(nil) }

// AppendKey appends Key's bytes to b.
func (d Decimal) AppendKey(b []byte) []byte {
	if d.IsZero() {
		return append(b, 2)
	}
	e := byte(d.Exp + 129) // Exp is within [-129, 126] once checked
	if !d.Neg {
		b = append(b, 3, e)
		return append(b, d.Digits...)
	}
	b = append(b, 1, 255-e)
	for i := 0; i < len(d.Digits); i++ {
		b = append(b, 255-d.Digits[i])
	}
	return append(b, 255)
}

// Canonical parses s and returns its canonical text.
func Canonical(s string) (string, error) {
	d, err := Parse(s)
	if err != nil {
		return "", err
	}
	// Most numbers arrive canonical already: answer s itself then.
	var buf [64]byte
	if t := d.AppendText(buf[:0]); string(t) != s {
		return string(t), nil
	}
	return s, nil
}
