// Package query is the codec of AWS's query protocol (STS, IAM, SNS,
// CloudFormation, CloudWatch, ELB, RDS, legacy SQS) and of its ec2 dialect.
// Requests are form parameters (a POST body or a GET query string);
// responses are XML written by xmlbody. The rules below are the inverse of
// the clients' serializers (botocore QuerySerializer and EC2Serializer,
// aws-sdk-go's private/protocol/query and ec2query) and are checked
// against AWS's protocol test vectors.
//
// # Request parameters
//
// query:
//
//   - A structure member is named by its locationName, else its shape's,
//     else the member name; nested structures join names with dots
//     (StructArg.ScalarArg).
//   - A list is Name.member.N (the list member's locationName replaces
//     "member"), N counting from 1; a flattened list is Name.N, where a
//     flattened list whose list member has a locationName is sent under
//     that name instead (Foo.1). "Name=" is an empty list.
//   - A map is Name.entry.N.key / Name.entry.N.value (flattened: Name.N.key),
//     key and value renamed by the key and value refs' locationNames.
//
// ec2:
//
//   - A member is named by its queryName, else its locationName with the
//     first letter upper-cased, else the member name.
//   - Lists are always Name.N, with no "member" level; ec2 has no empty
//     list (clients send nothing for one).
//
// Both: booleans are true/false (any case), timestamps are ISO 8601 by
// default and also accepted as epoch seconds or RFC 822 dates whatever the
// model says, blobs are base64, numbers decimal. Decoding is lenient where
// it cannot be ambiguous: list items and map entries are accepted with or
// without the member/entry level, index gaps are closed. A structure, map
// or (ec2) list with nothing in it was not sent and is absent, which is
// also the only way a client can encode it. Unknown parameters are
// ignored.
//
// Codec.DecodeTyped reads the same rules straight into the operation's
// typed input, from the form's pairs sorted by key instead of a map and a
// tree (see typed_decode.go); a form it would read differently is left
// to Decode, which words the errors.
//
// A parameter that does not parse as its type is InvalidParameterValue
// (400), "Value (x) for parameter P is invalid. Reason: ...": every query
// service lists InvalidParameterValue among its common errors for a
// malformed value, as EC2 does. A malformed form body is
// MalformedQueryString.
//
// # Responses
//
// See Codec.Encode and Codec.EncodeError. The response namespace is the
// model's xmlNamespace (IAM https://iam.amazonaws.com/doc/2010-05-08/, STS
// https://sts.amazonaws.com/doc/2011-06-15/, EC2
// http://ec2.amazonaws.com/doc/2016-11-15/), else
// https://<endpointPrefix>.amazonaws.com/doc/<apiVersion>/. Every response
// carries the request id in the body and in x-amzn-RequestId.
package query
