// Package xmlbody encodes and decodes the XML bodies of AWS's XML protocol
// family: the responses of query and ec2 services and the request and
// response bodies of rest-xml services (S3, Route 53, CloudFront). It is
// written once, driven by the model, and shared by the query, ec2 and rest
// codecs; no service writes XML.
//
// Values follow the dynamic conventions of internal/model (structure =
// map[string]any keyed by member name, list = []any, map = map[string]any,
// string, int64, float64, bool, time.Time, []byte).
//
// # Naming rules
//
// These follow the AWS protocol test vectors and the client parsers that
// read what niwa writes (botocore's parsers.py, aws-sdk-go's xmlutil):
//
//   - A structure member is the element named by its locationName, else its
//     shape's locationName, else the member name (model.Ref.XMLName).
//     Members bound to HTTP (location header, uri, querystring, headers,
//     statusCode) are never part of the body and are skipped both ways.
//   - Members are written in model order; xmlAttribute members become
//     attributes of their structure's element, named by their locationName
//     ("xsi:type").
//   - A non-flattened list is <Name><member>..</member>...</Name>, the item
//     element named by the list member's locationName, else "member". On
//     decode every child element of <Name> is an item, whatever its name,
//     as botocore does.
//   - A flattened list (flattened on the member or on the list shape)
//     writes its items as repeated sibling elements named by the member's
//     locationName, else the list member's locationName, else the list
//     shape's locationName, else the member name. AWS models never set
//     both locationNames to different values; on decode both names (and
//     the member name) are accepted when no other member claims them.
//   - A map is <Name><entry><key>k</key><value>v</value></entry>...</Name>;
//     key and value elements are named by the key and value refs'
//     locationNames, else "key" and "value". A flattened map drops the
//     <entry> level: each entry is a repeated <Name> sibling. Map entries
//     are written in key order so encodings are deterministic.
//   - xmlNamespace is written as xmlns="uri" (or xmlns:prefix="uri") on the
//     element whose ref or shape carries the trait. Element names are
//     matched on their local part on decode, ignoring namespaces, as every
//     AWS client does.
//
// # Scalars
//
//   - Timestamps default to iso8601 in UTC with second precision, or
//     millisecond precision when the value has a sub-second part
//     ("2015-01-25T08:00:00Z", "2015-01-25T08:00:00.123Z"); rfc822 is
//     "Sun, 25 Jan 2015 08:00:00 GMT"; unixTimestamp is epoch seconds with
//     up to three decimals. Decoding is lenient: any of the three forms is
//     accepted whatever the trait says, as AWS's own parsers are.
//   - Blobs are standard base64 (whitespace tolerated on decode).
//   - Booleans are true/false.
//   - Floats are printed without an exponent for ordinary magnitudes
//     (1.2, 200, 0.001), with one outside [1e-6, 1e21), and as NaN,
//     Infinity and -Infinity. A "float" shape whose value is exactly a
//     float32 is printed at float32 precision (1.2, not
//     1.2000000476837158).
//   - Text and attribute values are escaped so that they survive an XML
//     parser unchanged: &, <, > always; '\r' (which parsers would
//     otherwise normalize to '\n'), U+0085 and U+2028 as character
//     references; in attributes also '"', '\n' and '\t', which attribute
//     normalization would turn into spaces. Characters XML 1.0 cannot
//     carry at all become U+FFFD, as encoding/xml does.
//
// # Helpers
//
// FormatScalar and ParseScalar (with FormatFloat, FormatTimestamp and
// ParseTimestamp) expose the scalar rules above so that the query codec's
// parameters and a codec's own fixed elements use the same text; EscapeText
// escapes such elements' text as bodies are escaped. Decoding errors are
// *DecodeError, naming the element path; the calling codec chooses the AWS
// error they become.
//
// # Empty and absent
//
// A nil or absent member writes nothing. An empty structure, non-flattened
// list or map writes an empty element (<Name/>), which decodes back to an
// empty value; an empty flattened list or map writes nothing and so
// decodes as absent, the only representation XML has for it.
package xmlbody
