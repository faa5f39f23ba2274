package api_test

import (
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/model"
)

// inputRef is the input of operation op of spec's model.
func inputRef(t testing.TB, spec api.Spec, op string) *model.Ref {
	t.Helper()
	m, err := spec.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m.Operations[op].Input
}

func putItemInput() map[string]any {
	return map[string]any{
		"TableName": "users",
		"Item": map[string]any{
			"pk":      map[string]any{"S": "user#1"},
			"sk":      map[string]any{"N": "42"},
			"name":    map[string]any{"S": "Ada"},
			"active":  map[string]any{"BOOL": true},
			"tags":    map[string]any{"SS": []any{"a", "b"}},
			"scores":  map[string]any{"L": []any{map[string]any{"N": "1"}, map[string]any{"N": "2"}}},
			"address": map[string]any{"M": map[string]any{"city": map[string]any{"S": "Paris"}, "zip": map[string]any{"S": "75001"}}},
		},
		"ConditionExpression":       "attribute_not_exists(pk) OR #n <> :n",
		"ExpressionAttributeNames":  map[string]any{"#n": "name"},
		"ExpressionAttributeValues": map[string]any{":n": map[string]any{"S": "Bob"}},
		"ReturnValues":              "NONE",
	}
}

func queryInput() map[string]any {
	return map[string]any{
		"TableName":                 "users",
		"IndexName":                 "by-name",
		"KeyConditionExpression":    "pk = :pk AND begins_with(sk, :p)",
		"ExpressionAttributeValues": map[string]any{":pk": map[string]any{"S": "user#1"}, ":p": map[string]any{"S": "order#"}},
		"ExpressionAttributeNames":  map[string]any{"#n": "name"},
		"ProjectionExpression":      "pk, sk, #n",
		"Limit":                     int64(10),
		"ScanIndexForward":          false,
		"ExclusiveStartKey":         map[string]any{"pk": map[string]any{"S": "user#1"}, "sk": map[string]any{"S": "order#9"}},
		"ReturnConsumedCapacity":    "TOTAL",
	}
}

func runInstancesInput() map[string]any {
	return map[string]any{
		"ImageId": "ami-12345678", "InstanceType": "t3.micro", "MinCount": int64(1), "MaxCount": int64(2),
		"KeyName": "key", "SubnetId": "subnet-1", "SecurityGroupIds": []any{"sg-1", "sg-2"},
		"UserData": "IyEvYmluL3NoCg==",
		"TagSpecifications": []any{map[string]any{"ResourceType": "instance",
			"Tags": []any{map[string]any{"Key": "Name", "Value": "web"}, map[string]any{"Key": "env", "Value": "dev"}}}},
		"BlockDeviceMappings": []any{map[string]any{"DeviceName": "/dev/xvda",
			"Ebs": map[string]any{"VolumeSize": int64(20), "VolumeType": "gp3", "DeleteOnTermination": true}}},
		"IamInstanceProfile": map[string]any{"Name": "profile"},
		"MetadataOptions":    map[string]any{"HttpTokens": "required", "HttpPutResponseHopLimit": int64(2)},
	}
}

type validateCase struct {
	name string
	ref  *model.Ref
	tree map[string]any
	in   api.Typed
}

func validateCases(t testing.TB) []validateCase {
	var c api.Converter
	cases := []validateCase{
		{"DynamoDBPutItem", inputRef(t, dynamodbapi.Spec(), "PutItem"), putItemInput(), new(dynamodbapi.PutItemInput)},
		{"DynamoDBQuery", inputRef(t, dynamodbapi.Spec(), "Query"), queryInput(), new(dynamodbapi.QueryInput)},
		{"EC2RunInstances", inputRef(t, ec2api.Spec(), "RunInstances"), runInstancesInput(), new(ec2api.RunInstancesRequest)},
	}
	for _, bc := range cases {
		if err := c.ToTyped(bc.tree, bc.in); err != nil {
			t.Fatal(err)
		}
	}
	return cases
}

// TestValidateTypedValidInputsAllocateNothing: a valid input is checked
// in place, typed or as a tree: no path is spelled out and no value boxed
// (the tree's validator used to build every member's path). The walks
// are pooled, and sync.Pool drops objects at random under the race
// detector, so there the counts are not asserted.
func TestValidateTypedValidInputsAllocateNothing(t *testing.T) {
	v := api.Validator{Model: &model.Validator{}}
	for _, c := range validateCases(t) {
		if vs := v.Model.Validate(c.ref, c.tree); len(vs) != 0 {
			t.Fatalf("%s: the tree is not valid: %v", c.name, model.Summary(vs))
		}
		if vs := v.Validate(c.ref, c.in); len(vs) != 0 {
			t.Fatalf("%s: %v", c.name, model.Summary(vs))
		}
		n := testing.AllocsPerRun(100, func() { v.Validate(c.ref, c.in) })
		if tree := testing.AllocsPerRun(100, func() { v.Model.Validate(c.ref, c.tree) }); (n != 0 || tree != 0) && !raceEnabled {
			t.Errorf("%s: %v allocations per typed validation, %v per tree validation", c.name, n, tree)
		}
	}
}

// TestValidateTypedAbsentInput: a nil input is an empty one: every
// required member is missing, as in an empty tree.
func TestValidateTypedAbsentInput(t *testing.T) {
	v := api.Validator{Model: &model.Validator{}}
	ref := inputRef(t, ec2api.Spec(), "RunInstances")
	got := v.Validate(ref, (*ec2api.RunInstancesRequest)(nil))
	want := v.Model.Validate(ref, map[string]any{})
	if len(want) != 2 || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v (two required members)", got, want)
	}
}

// TestValidateTypedNullListElement: where the typed form cannot tell a
// null list element from its zero value, it checks the zero value (the
// tree's validator skips a null element): documented in api.Validator.
func TestValidateTypedNullListElement(t *testing.T) {
	v := api.Validator{Model: &model.Validator{}}
	ref := inputRef(t, iamapi.Spec(), "CreateOpenIDConnectProvider")
	tree := map[string]any{"Url": "https://example.com", "ClientIDList": []any{nil, "client"}}
	if vs := v.Model.Validate(ref, tree); len(vs) != 0 {
		t.Fatalf("tree: %v", model.Summary(vs))
	}
	in := new(iamapi.CreateOpenIDConnectProviderRequest)
	if err := new(api.Converter).ToTyped(tree, in); err != nil {
		t.Fatal(err)
	}
	want := "1 validation error detected: Value '' at 'clientIDList.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
	if got := model.Summary(v.Validate(ref, in)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// BenchmarkValidate: model validation of valid DynamoDB PutItem and Query
// and EC2 RunInstances inputs, on the dynamic tree (what the gateway does
// today) and on the typed input.
func BenchmarkValidate(b *testing.B) {
	v := api.Validator{Model: &model.Validator{}}
	for _, c := range validateCases(b) {
		b.Run(c.name+"/Tree", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v.Model.Validate(c.ref, c.tree)
			}
		})
		b.Run(c.name+"/Typed", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v.Validate(c.ref, c.in)
			}
		})
	}
}
