package kit

import "strings"

// Audit is how CloudTrail records a service's calls.
type Audit struct {
	// ReadOnly are the operations CloudTrail marks readOnly (true) or
	// not (false) where the operation's name does not say: KMS's
	// Encrypt, Decrypt and GenerateDataKey read. Operations absent from
	// it follow the name rule (NamedReadOnly).
	ReadOnly map[string]bool
	// DataEvents are the operations CloudTrail records as data events
	// (managementEvent false, eventCategory "Data"): S3 object calls,
	// Lambda invocations, DynamoDB item calls, SQS messages.
	DataEvents map[string]bool
	// MemberNames are request members CloudTrail names otherwise than in
	// lowerCamelCase (S3's Bucket is "bucketName").
	MemberNames map[string]string
	// Global services record every call in us-east-1, whichever region
	// the client named (IAM, Route 53).
	Global bool
	// EventSource is the service part of the records' eventSource
	// ("<EventSource>.amazonaws.com") where it is not the last label of
	// the model's endpoint prefix: SES (both APIs) answers at email.<region>
	// but records as ses.amazonaws.com.
	EventSource string
}

// IsReadOnly reports whether CloudTrail marks op read-only.
func (a Audit) IsReadOnly(op string) bool {
	if ro, ok := a.ReadOnly[op]; ok {
		return ro
	}
	return NamedReadOnly(op)
}

// NamedReadOnly is CloudTrail's readOnly for the operations whose name
// says it: Get*, List*, Describe*, Head* and Lookup* read; the rest
// write unless a service's Audit.ReadOnly says otherwise.
func NamedReadOnly(op string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// Set is a set of operation names, for declaration tables.
func Set(ops ...string) map[string]bool {
	m := make(map[string]bool, len(ops))
	for _, op := range ops {
		m[op] = true
	}
	return m
}
