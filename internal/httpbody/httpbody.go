// Package httpbody reads request bodies the way both SigV4 verification
// (internal/auth) and the codecs (internal/protocol) need them: bounded,
// and in one allocation for the usual small body.
package httpbody

import "io"

// maxInitial bounds the buffer a declared length can make ReadUpTo
// allocate before any byte has arrived.
const maxInitial = 1<<20 + 1

// ReadUpTo reads r to its end, or to n bytes, as
// io.ReadAll(io.LimitReader(r, n)) does, in a buffer sized from hint (the
// declared length, -1 when unknown) so that the usual small body is read
// in one allocation instead of ReadAll's growing ones.
func ReadUpTo(r io.Reader, n, hint int64) ([]byte, error) {
	size := int64(512)
	if hint >= 0 {
		size = hint + 1 // one spare byte to see the end without growing
	}
	b := make([]byte, 0, min(size, n, maxInitial))
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the growth
		}
		m, err := r.Read(b[len(b):min(int64(cap(b)), n)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
