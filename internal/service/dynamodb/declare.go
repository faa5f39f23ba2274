package dynamodb

import (
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is DynamoDB as the platform sees it: tables (and their
// indexes) are named by name or ARN, table policies are resource
// policies, table tags answer aws:ResourceTag, and item calls are
// CloudTrail data events.
func (s *DynamoDB) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "dynamodb",
		Authz:     kit.Authz{Resources: resources, Policies: s},
		Audit: kit.Audit{DataEvents: kit.Set("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
			"Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems",
			"TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction")},
		Tags:  kit.TagLookup(s.resourceTags),
		Close: s.Close,
	}
}

// BuildStreams makes DynamoDB Streams over DynamoDB's store (d.Store):
// stream records are written by DynamoDB in the transaction of each item
// write, and this API only reads them.
func BuildStreams(d kit.Deps) (kit.Declaration, error) {
	return NewStreams(d.Store).Declare(), nil
}

// Declare is DynamoDB Streams as the platform sees it: its actions are
// dynamodb:<Operation> on the stream.
func (s *Streams) Declare() kit.Declaration {
	return kit.Declaration{Impl: s, Authz: kit.Authz{Prefix: "dynamodb", Resources: streamResources},
		// Streams are reached through DynamoDB's VPC endpoint.
		Routing: kit.Routing{VPCEndpointService: "dynamodb"}}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	table := func(t string) string {
		if strings.HasPrefix(t, "arn:") {
			return t
		}
		return kit.ARN("dynamodb", env.Region, env.Account, "table/"+t)
	}
	if t := in.Str("TableName"); t != "" {
		if ix := in.Str("IndexName"); ix != "" && (op == "Query" || op == "Scan") {
			return []string{table(t) + "/index/" + ix}
		}
		return []string{table(t)}
	}
	if a := in.Str("ResourceArn"); a != "" {
		return []string{a}
	}
	var out []string
	for _, t := range in.MapKeys("RequestItems") {
		out = append(out, table(t))
	}
	return out
}

func streamResources(op string, in kit.Input, env kit.Env) []string {
	if s := in.Str("StreamArn"); s != "" {
		return []string{s}
	}
	if t := in.Str("TableName"); t != "" {
		return []string{kit.ARN("dynamodb", env.Region, env.Account, "table/"+t+"/stream/*")}
	}
	return nil
}

// resourceTags reads a table's tags through ListTagsOfResource; indexes
// and streams are tagged through their table.
func (s *DynamoDB) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, res, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	seg := strings.Split(res, "/")
	if len(seg) < 2 || seg[0] != "table" {
		return nil, false, nil
	}
	table := strings.TrimSuffix(arn, res) + "table/" + seg[1]
	m := map[string]string{}
	in := &dynamodbapi.ListTagsOfResourceInput{ResourceArn: &table}
	for {
		out, err := s.ListTagsOfResource(c, in)
		if err != nil {
			return kit.NotFound(err)
		}
		for k, v := range kit.TagMap(out.Tags, func(t dynamodbapi.Tag) (*string, *string) { return t.Key, t.Value }) {
			m[k] = v
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return m, true, nil
		}
		in.NextToken = out.NextToken
	}
}
