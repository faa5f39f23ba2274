package expr

import (
	"bytes"
	"slices"
	"sort"
	"unicode/utf8"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/decimal"
)

// AV is DynamoDB's AttributeValue as the generated API types it.
type AV = dynamodbapi.AttributeValue

// Item is an item: attribute name to value.
type Item = map[string]AV

// TypeOf returns the data type descriptor of v ("S", "N", "B", "SS", "NS",
// "BS", "M", "L", "NULL", "BOOL"), or "" when no member is set.
func TypeOf(v AV) string {
	switch {
	case v.S != nil:
		return "S"
	case v.N != nil:
		return "N"
	case v.B != nil:
		return "B"
	case v.SS != nil:
		return "SS"
	case v.NS != nil:
		return "NS"
	case v.BS != nil:
		return "BS"
	case v.M != nil:
		return "M"
	case v.L != nil:
		return "L"
	case v.NULL != nil:
		return "NULL"
	case v.BOOL != nil:
		return "BOOL"
	}
	return ""
}

// Equal reports whether a and b are the same value; sets compare as sets
// and numbers numerically.
func Equal(a, b AV) bool {
	ta := TypeOf(a)
	if ta != TypeOf(b) {
		return false
	}
	switch ta {
	case "S":
		return *a.S == *b.S
	case "N":
		return cmpNum(*a.N, *b.N) == 0
	case "B":
		return bytes.Equal(a.B, b.B)
	case "BOOL":
		return *a.BOOL == *b.BOOL
	case "NULL":
		return true
	case "SS":
		return sameSet(a.SS, b.SS, strKey)
	case "NS":
		return sameSet(a.NS, b.NS, numKey)
	case "BS":
		return sameSet(a.BS, b.BS, bytesKey)
	case "L":
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case "M":
		if len(a.M) != len(b.M) {
			return false
		}
		for k, v := range a.M {
			w, ok := b.M[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// sameSet compares two sets by their elements' keys: hashing keeps it
// linear, where comparing every pair took seconds on sets of many
// thousands of members.
func sameSet[T any](a, b []T, key func(T) string) bool {
	if len(a) != len(b) {
		return false
	}
	in := make(map[string]struct{}, len(b))
	for _, y := range b {
		in[key(y)] = struct{}{}
	}
	for _, x := range a {
		if _, ok := in[key(x)]; !ok {
			return false
		}
	}
	return true
}

// numKey is a number's set key: equal numbers ("1" and "1.0") share one.
func numKey(s string) string {
	if c, err := decimal.Canonical(s); err == nil {
		return c
	}
	return s
}

func strKey(s string) string   { return s }
func bytesKey(b []byte) string { return string(b) }

func cmpNum(a, b string) int {
	da, err1 := decimal.Parse(a)
	db, err2 := decimal.Parse(b)
	if err1 != nil || err2 != nil {
		return bytesCmp([]byte(a), []byte(b))
	}
	return decimal.Cmp(da, db)
}

func bytesCmp(a, b []byte) int { return bytes.Compare(a, b) }

// CompareValues orders two scalars of one type (S, N or B). ok is false when
// they are not comparable, in which case every ordering comparison is
// false, as in DynamoDB.
func CompareValues(a, b AV) (c int, ok bool) {
	ta := TypeOf(a)
	if ta != TypeOf(b) {
		return 0, false
	}
	switch ta {
	case "S":
		return bytesCmp([]byte(*a.S), []byte(*b.S)), true
	case "N":
		return cmpNum(*a.N, *b.N), true
	case "B":
		return bytesCmp(a.B, b.B), true
	}
	return 0, false
}

// Size is the size() function: characters of a string, bytes of a binary,
// elements of a set, list or map. ok is false for other types.
func Size(v AV) (int, bool) {
	switch TypeOf(v) {
	case "S":
		return utf8.RuneCountInString(*v.S), true
	case "B":
		return len(v.B), true
	case "SS":
		return len(v.SS), true
	case "NS":
		return len(v.NS), true
	case "BS":
		return len(v.BS), true
	case "L":
		return len(v.L), true
	case "M":
		return len(v.M), true
	}
	return 0, false
}

// Clone deep-copies v so updates never alias a stored item.
func Clone(v AV) AV {
	out := v
	if v.SS != nil {
		out.SS = slices.Clone(v.SS)
	}
	if v.NS != nil {
		out.NS = slices.Clone(v.NS)
	}
	if v.BS != nil {
		out.BS = slices.Clone(v.BS)
	}
	if v.L != nil {
		out.L = make([]AV, len(v.L))
		for i := range v.L {
			out.L[i] = Clone(v.L[i])
		}
	}
	if v.M != nil {
		out.M = make(map[string]AV, len(v.M))
		for k, e := range v.M {
			out.M[k] = Clone(e)
		}
	}
	return out
}

// CloneItem deep-copies an item.
func CloneItem(it Item) Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = Clone(v)
	}
	return out
}

// SortedKeys returns the keys of m in order, for deterministic messages.
func SortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
