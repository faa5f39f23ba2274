package dynamodb

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/niwa-cloud/niwa/internal/service/dynamodb/decimal"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
)

// wav is an AttributeValue as stored: DynamoDB JSON, with pointers so empty
// strings, binaries, maps and lists survive the round trip.
type wav struct {
	S    *string         `json:"S,omitempty"`
	N    *string         `json:"N,omitempty"`
	B    *[]byte         `json:"B,omitempty"`
	SS   []string        `json:"SS,omitempty"`
	NS   []string        `json:"NS,omitempty"`
	BS   [][]byte        `json:"BS,omitempty"`
	M    *map[string]wav `json:"M,omitempty"`
	L    *[]wav          `json:"L,omitempty"`
	NULL *bool           `json:"NULL,omitempty"`
	BOOL *bool           `json:"BOOL,omitempty"`
}

func toWav(v AV) wav {
	w := wav{S: v.S, N: v.N, SS: v.SS, NS: v.NS, BS: v.BS, NULL: v.NULL, BOOL: v.BOOL}
	if v.B != nil {
		b := v.B
		w.B = &b
	}
	if v.M != nil {
		m := make(map[string]wav, len(v.M))
		for k, e := range v.M {
			m[k] = toWav(e)
		}
		w.M = &m
	}
	if v.L != nil {
		l := make([]wav, len(v.L))
		for i, e := range v.L {
			l[i] = toWav(e)
		}
		w.L = &l
	}
	return w
}

func fromWav(w wav) AV {
	v := AV{S: w.S, N: w.N, SS: w.SS, NS: w.NS, BS: w.BS, NULL: w.NULL, BOOL: w.BOOL}
	if w.B != nil {
		v.B = *w.B
		if v.B == nil {
			v.B = []byte{}
		}
	}
	if w.M != nil {
		v.M = make(map[string]AV, len(*w.M))
		for k, e := range *w.M {
			v.M[k] = fromWav(e)
		}
	}
	if w.L != nil {
		v.L = make([]AV, len(*w.L))
		for i, e := range *w.L {
			v.L[i] = fromWav(e)
		}
	}
	return v
}

func encodeItem(it Item) ([]byte, error) {
	m := make(map[string]wav, len(it))
	for k, v := range it {
		m[k] = toWav(v)
	}
	return json.Marshal(m)
}

func decodeItem(data []byte) (Item, error) {
	var m map[string]wav
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("dynamodb: stored item: %w", err)
	}
	it := make(Item, len(m))
	for k, w := range m {
		it[k] = fromWav(w)
	}
	return it, nil
}

// keyBytes encodes a key attribute value so byte order is DynamoDB order.
// The caller has checked the value is an S, N or B.
func keyBytes(v AV) string {
	switch {
	case v.S != nil:
		return *v.S
	case v.N != nil:
		d, _ := decimal.Parse(*v.N)
		return string(d.Key())
	}
	return string(v.B)
}

// Item sizes, as DynamoDB counts them: attribute names plus values, numbers
// at about one byte per two digits, containers with 3 bytes of overhead and
// 1 per element.
const maxItemSize = 400 * 1024

func itemSize(it Item) int {
	n := 0
	for k, v := range it {
		n += len(k) + avSize(v)
	}
	return n
}

func avSize(v AV) int {
	switch {
	case v.S != nil:
		return len(*v.S)
	case v.N != nil:
		return numSize(*v.N)
	case v.B != nil:
		return len(v.B)
	case v.SS != nil:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case v.NS != nil:
		n := 0
		for _, s := range v.NS {
			n += numSize(s)
		}
		return n
	case v.BS != nil:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case v.M != nil:
		n := 3
		for k, e := range v.M {
			n += len(k) + avSize(e) + 1
		}
		return n
	case v.L != nil:
		n := 3
		for _, e := range v.L {
			n += avSize(e) + 1
		}
		return n
	}
	return 1
}

func numSize(s string) int {
	d, err := decimal.Parse(s)
	if err != nil {
		return len(s)
	}
	return (len(d.Digits)+1)/2 + 1
}

// maxNesting is DynamoDB's limit on nested maps and lists: a value may sit
// under at most 31 of them (32 levels counting the top-level attribute);
// DynamoDB refuses the 32nd map or list wrapped around a value.
const maxNesting = 32

func errTooDeep() error {
	return validation("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
}

// validateValue checks one AttributeValue of a request and canonicalizes
// its numbers in place.
func validateValue(v *AV) error { return validateNested(v, 0) }

// validateNested is validateValue for a value under depth maps or lists.
func validateNested(v *AV, depth int) error {
	if (v.M != nil || v.L != nil) && depth+1 >= maxNesting {
		return errTooDeep()
	}
	switch n := countMembers(*v); {
	case n == 0:
		return validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case n > 1:
		return validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	switch {
	case v.N != nil:
		c, err := decimal.Canonical(*v.N)
		if err != nil {
			return validation("%s", err.Error())
		}
		v.N = &c
	case v.NULL != nil:
		if !*v.NULL {
			return validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
	case v.SS != nil:
		if len(v.SS) == 0 {
			return validation("One or more parameter values were invalid: An string set  may not be empty")
		}
		if dup(v.SS, func(s string) string { return s }) {
			return validation("One or more parameter values were invalid: Input collection %s contains duplicates.", listString(v.SS))
		}
	case v.NS != nil:
		if len(v.NS) == 0 {
			return validation("One or more parameter values were invalid: An number set  may not be empty")
		}
		out := make([]string, len(v.NS))
		for i, s := range v.NS {
			c, err := decimal.Canonical(s)
			if err != nil {
				return validation("%s", err.Error())
			}
			out[i] = c
		}
		if dup(out, func(s string) string { return s }) {
			return validation("One or more parameter values were invalid: Input collection %s contains duplicates.", listString(v.NS))
		}
		v.NS = out
	case v.BS != nil:
		if len(v.BS) == 0 {
			return validation("One or more parameter values were invalid: An binary set  may not be empty")
		}
		if dup(v.BS, func(b []byte) string { return string(b) }) {
			return validation("One or more parameter values were invalid: Input collection contains duplicates.")
		}
	case v.M != nil:
		for k, e := range v.M {
			if err := validateNested(&e, depth+1); err != nil {
				return err
			}
			v.M[k] = e
		}
	case v.L != nil:
		for i := range v.L {
			if err := validateNested(&v.L[i], depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func countMembers(v AV) int {
	n := 0
	for _, set := range []bool{v.S != nil, v.N != nil, v.B != nil, v.SS != nil, v.NS != nil, v.BS != nil, v.M != nil, v.L != nil, v.NULL != nil, v.BOOL != nil} {
		if set {
			n++
		}
	}
	return n
}

func dup[T any](l []T, key func(T) string) bool {
	seen := make(map[string]bool, len(l))
	for _, x := range l {
		k := key(x)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

func listString(l []string) string { return "[" + strings.Join(l, ", ") + "]" }

// validateItem checks every value of an item.
func validateItem(it Item) error {
	for k, v := range it {
		if err := validateValue(&v); err != nil {
			return err
		}
		it[k] = v
	}
	return nil
}

// validateValues checks ExpressionAttributeValues.
func validateValues(vals map[string]AV) error {
	for _, k := range expr.SortedKeys(vals) {
		v := vals[k]
		if err := validateValue(&v); err != nil {
			return err
		}
		vals[k] = v
	}
	return nil
}
