package s3

import (
	"mime"
	"testing"
)

// TestIsFormData pins the POST Object route's content-type test to what
// mime.ParseMediaType reads, which it answered alone before the cheap
// pre-check (asked of every POST niwa serves) was put in front of it.
func TestIsFormData(t *testing.T) {
	for _, ct := range []string{
		"multipart/form-data; boundary=abc",
		"multipart/form-data",
		"Multipart/Form-Data; boundary=abc",
		" \tmultipart/form-data ; boundary=abc",
		"multipart/form-data;",
		"multipart/form-datax; boundary=abc",
		"multipart/form-dat",
		"multipart/form-data; boundary=\"unterminated",
		"multipart/mixed; boundary=abc",
		"application/x-amz-json-1.0",
		"application/x-www-form-urlencoded; charset=utf-8",
		"",
		"\u00a0multipart/form-data; boundary=abc",
		"multİpart/form-data; boundary=abc",
		"multipart/form-data\u00a0; boundary=abc",
	} {
		mt, _, err := mime.ParseMediaType(ct)
		want := err == nil && mt == "multipart/form-data"
		if got := isFormData(ct); got != want {
			t.Errorf("isFormData(%q) = %v, mime.ParseMediaType reads %q (err %v)", ct, got, mt, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { isFormData("application/x-amz-json-1.0") }); n != 0 {
		t.Errorf("isFormData of a JSON request's Content-Type: %v allocations, want 0", n)
	}
}
