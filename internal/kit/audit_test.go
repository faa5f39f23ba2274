package kit

import "testing"

// TestReadOnly: an operation's name says whether CloudTrail marks it
// read-only unless the service's table says otherwise (KMS's Decrypt
// reads a key, CloudTrail records it readOnly: true).
func TestReadOnly(t *testing.T) {
	named := Audit{}
	for op, want := range map[string]bool{
		"GetCallerIdentity": true, "ListRoles": true, "DescribeInstances": true, "HeadObject": true,
		"LookupEvents": true, "CreateRole": false, "PutObject": false, "AssumeRole": false, "RunInstances": false,
	} {
		if named.IsReadOnly(op) != want {
			t.Errorf("IsReadOnly(%s) = %v", op, !want)
		}
	}
	table := Audit{ReadOnly: map[string]bool{"Decrypt": true, "GetThing": false}}
	for op, want := range map[string]bool{"Decrypt": true, "GetThing": false, "ListThings": true, "CreateThing": false} {
		if table.IsReadOnly(op) != want {
			t.Errorf("table IsReadOnly(%s) = %v", op, !want)
		}
	}
}
