package server

import (
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
)

func TestProviderOperation(t *testing.T) {
	ops := []string{"CreateQueue", "DeleteQueue", "SetQueueAttributes", "PutRule", "DeleteRule", "AddPermission", "RemovePermission",
		"CreateVpc", "DeleteVpc"}
	for _, tc := range []struct{ typ, verb, want string }{
		{"AWS::SQS::Queue", "create", "CreateQueue"},
		{"AWS::SQS::Queue", "delete", "DeleteQueue"},
		{"AWS::SQS::Queue", "update", ""},
		{"AWS::Events::Rule", "create", "PutRule"},
		{"AWS::Lambda::Permission", "create", "AddPermission"},
		{"AWS::Lambda::Permission", "delete", "RemovePermission"},
		{"AWS::EC2::VPC", "create", "CreateVpc"},
		{"AWS::EC2::EIP", "create", ""},
	} {
		if got := providerOperation(ops, tc.typ, tc.verb); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.typ, tc.verb, got, tc.want)
		}
	}
}

func TestProviderInput(t *testing.T) {
	in := &sqsapi.CreateQueueInput{}
	fillInput(in, map[string]any{"Attributes": map[string]any{"DelaySeconds": "5"}, "NotAMember": 1, "Tags": []any{"wrong shape"}})
	if in.Attributes["DelaySeconds"] != "5" {
		t.Fatalf("attributes %v", in.Attributes)
	}
	setIdentifier(in, "stack-Queue-ABC", true)
	if in.QueueName == nil || *in.QueueName != "stack-Queue-ABC" {
		t.Fatalf("generated name %v", in.QueueName)
	}
	del := &sqsapi.DeleteQueueInput{}
	setIdentifier(del, "http://localhost:4566/000000000000/q", false)
	if del.QueueUrl == nil || *del.QueueUrl != "http://localhost:4566/000000000000/q" {
		t.Fatalf("physical id %v", del.QueueUrl)
	}
}
