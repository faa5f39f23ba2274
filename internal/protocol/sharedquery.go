package protocol

import (
	"net/url"
	"strings"
)

// SharedQuery is a request's URL query parsed once for everything on the
// request path that reads it: the gateway's routing (a presigned URL's
// X-Amz-Credential, AWSAccessKeyId, a form Version) and the codec
// (Request.Query, Values). (SigV4 reads the canonical query its own way,
// into an array on its stack.) The gateway keeps one in each request's
// exchange (Request.SharedQuery); its zero value
// after Reset parses nothing until asked. Not safe for concurrent use;
// callers must not change what it returns.
type SharedQuery struct {
	raw         string
	valuesDone  bool
	values      url.Values
	valuesError error
}

// Reset makes q the query raw (a URL's RawQuery), parsed on first use.
func (q *SharedQuery) Reset(raw string) {
	q.raw, q.valuesDone = raw, false
	q.values, q.valuesError = nil, nil
}

// Raw is the query as sent.
func (q *SharedQuery) Raw() string { return q.raw }

// Values is url.ParseQuery's answer for the query (what URL.Query
// returns: the pairs that parse, the error dropped), made once.
func (q *SharedQuery) Values() url.Values {
	v, _ := q.ValuesErr()
	return v
}

// ValuesErr is url.ParseQuery of the query, made once.
func (q *SharedQuery) ValuesErr() (url.Values, error) {
	if !q.valuesDone {
		q.valuesDone = true
		q.values, q.valuesError = url.ParseQuery(q.raw)
	}
	return q.values, q.valuesError
}

// Get is Values().Get(key) without making the map for a query that has
// no parameter named key as sent (the gateway asks every unsigned
// request for a presigned credential, AWSAccessKeyId and a form Version).
func (q *SharedQuery) Get(key string) string {
	if !q.mayHave(key) {
		return ""
	}
	return q.Values().Get(key)
}

// Has is Values().Has(key), as Get.
func (q *SharedQuery) Has(key string) bool {
	if !q.mayHave(key) {
		return false
	}
	return q.Values().Has(key)
}

// mayHave is false when no pair of the raw query can unescape to key:
// key is plain (no byte an escape could stand for is special in it) and
// appears nowhere in the raw query, nor does any escape.
func (q *SharedQuery) mayHave(key string) bool {
	return strings.Contains(q.raw, key) || strings.ContainsAny(q.raw, "%+")
}
