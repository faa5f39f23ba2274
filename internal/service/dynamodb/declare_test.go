package dynamodb

import (
	"reflect"
	"sort"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: item calls are checked on the table (a query of an
// index on the index), batch calls on every table they name, and stream
// calls, under the dynamodb prefix, on the stream.
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	const table = "arn:aws:dynamodb:us-east-1:123456789012:table/"
	tables := kit.Authz{Resources: resources}
	streams := (&Streams{}).Declare().Authz
	for _, tc := range []struct {
		svc    string
		rules  kit.Authz
		op     string
		in     any
		action string
		want   []string
	}{
		{"dynamodb", tables, "Query", &dynamodbapi.QueryInput{TableName: ptr.To("t"), IndexName: ptr.To("ix")}, "dynamodb:Query", []string{table + "t/index/ix"}},
		{"dynamodb", tables, "GetItem", &dynamodbapi.GetItemInput{TableName: ptr.To("t"), ProjectionExpression: ptr.To("a")}, "dynamodb:GetItem", []string{table + "t"}},
		{"dynamodb", tables, "BatchGetItem", &dynamodbapi.BatchGetItemInput{RequestItems: map[string]dynamodbapi.KeysAndAttributes{"a": {}, "b": {}}},
			"dynamodb:BatchGetItem", []string{table + "a", table + "b"}},
		{"dynamodbstreams", streams, "DescribeStream", &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr.To(table + "t/stream/x")}, "dynamodb:DescribeStream", []string{table + "t/stream/x"}},
	} {
		var got []string
		for _, c := range tc.rules.Checks(tc.svc, tc.op, tc.in, env) {
			if c.Action != tc.action {
				t.Errorf("%s: action %s, want %s", tc.op, c.Action, tc.action)
			}
			got = append(got, c.Resource)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}
