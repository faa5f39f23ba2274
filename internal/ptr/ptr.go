// Package ptr converts between values and the pointers the generated API
// shapes use for optional members (nil: absent). Services share these two
// helpers instead of each keeping a copy.
package ptr

// To returns a pointer to a copy of v, for setting an optional member.
func To[T any](v T) *T { return &v }

// Deref returns what p points to, or T's zero value when p is nil (the
// member was absent).
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
