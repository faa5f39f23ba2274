package jsonschema4

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxExponent bounds the decimal exponent of a number compared exactly:
// a rational 10^1e9 would be a gigabyte. Beyond it numbers compare as
// float64 (where they are ±Inf or 0 anyway).
const maxExponent = 1000

// number is a JSON number as written, compared exactly (as the Java
// validator's BigDecimal does) when its exponent is bounded.
type number struct {
	text string
	rat  *big.Rat // nil when out of bounds
	f    float64
}

func parseNumber(n json.Number) *number {
	s := string(n)
	out := &number{text: s}
	out.f, _ = strconv.ParseFloat(s, 64)
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if len(mant) > maxExponent {
		return out
	}
	if hasExp {
		e, err := strconv.Atoi(exp)
		if err != nil || e > maxExponent || e < -maxExponent {
			return out
		}
	}
	if r, ok := new(big.Rat).SetString(s); ok {
		out.rat = r
	}
	return out
}

func (n *number) cmp(o *number) int {
	if n.rat != nil && o.rat != nil {
		return n.rat.Cmp(o.rat)
	}
	switch {
	case n.f < o.f:
		return -1
	case n.f > o.f:
		return 1
	}
	return 0
}

func (n *number) sign() int {
	if n.rat != nil {
		return n.rat.Sign()
	}
	switch {
	case n.f < 0:
		return -1
	case n.f > 0:
		return 1
	}
	return 0
}

// multipleOf reports whether n divided by d leaves no remainder.
func (n *number) multipleOf(d *number) bool {
	if n.rat != nil && d.rat != nil {
		return new(big.Rat).Quo(n.rat, d.rat).IsInt()
	}
	if math.IsInf(n.f, 0) || math.IsInf(d.f, 0) || d.f == 0 {
		return false
	}
	return math.Mod(n.f, d.f) == 0
}
