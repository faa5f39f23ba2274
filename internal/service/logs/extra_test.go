package logs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestKmsKeyAssociation(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/k")
	key := "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	if _, err := l.AssociateKmsKey(ctx, &logsapi.AssociateKmsKeyRequest{LogGroupName: ptr.To("/k"), KmsKeyId: ptr.To("alias/x")}); code(err) != "InvalidParameterException" {
		t.Fatalf("alias: %v", err)
	}
	if _, err := l.AssociateKmsKey(ctx, &logsapi.AssociateKmsKeyRequest{LogGroupName: ptr.To("/nope"), KmsKeyId: ptr.To(key)}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
	if _, err := l.AssociateKmsKey(ctx, &logsapi.AssociateKmsKeyRequest{LogGroupName: ptr.To("/k"), KmsKeyId: ptr.To(key)}); err != nil {
		t.Fatal(err)
	}
	g, _ := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{})
	if ptr.Deref(g.LogGroups[0].KmsKeyId) != key {
		t.Fatalf("key %+v", g.LogGroups[0])
	}
	if _, err := l.DisassociateKmsKey(ctx, &logsapi.DisassociateKmsKeyRequest{ResourceIdentifier: ptr.To("arn:aws:logs:us-east-1:000000000000:log-group:/k")}); err != nil {
		t.Fatal(err)
	}
	g, _ = l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{})
	if g.LogGroups[0].KmsKeyId != nil {
		t.Fatalf("still %v", *g.LogGroups[0].KmsKeyId)
	}
}

func TestQueryDefinitions(t *testing.T) {
	l, ctx, _ := newLogs(t)
	a, err := l.PutQueryDefinition(ctx, &logsapi.PutQueryDefinitionRequest{Name: ptr.To("b-errors"), QueryString: ptr.To("filter level = 'error'")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutQueryDefinition(ctx, &logsapi.PutQueryDefinitionRequest{Name: ptr.To("a-all"), QueryString: ptr.To("fields @message"), LogGroupNames: []string{"/x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutQueryDefinition(ctx, &logsapi.PutQueryDefinitionRequest{Name: ptr.To("bad"), QueryString: ptr.To("nonsense here")}); code(err) != "MalformedQueryException" {
		t.Fatalf("bad query: %v", err)
	}
	if _, err := l.PutQueryDefinition(ctx, &logsapi.PutQueryDefinitionRequest{QueryDefinitionId: ptr.To("nope"), Name: ptr.To("x"), QueryString: ptr.To("fields a")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("update unknown: %v", err)
	}
	if _, err := l.PutQueryDefinition(ctx, &logsapi.PutQueryDefinitionRequest{QueryDefinitionId: a.QueryDefinitionId, Name: ptr.To("b-errors"), QueryString: ptr.To("fields x")}); err != nil {
		t.Fatal(err)
	}
	d, err := l.DescribeQueryDefinitions(ctx, &logsapi.DescribeQueryDefinitionsRequest{MaxResults: ptr.To(int32(1))})
	if err != nil || len(d.QueryDefinitions) != 1 || *d.QueryDefinitions[0].Name != "a-all" || d.NextToken == nil {
		t.Fatalf("page 1: %v %+v", err, d)
	}
	d, _ = l.DescribeQueryDefinitions(ctx, &logsapi.DescribeQueryDefinitionsRequest{MaxResults: ptr.To(int32(1)), NextToken: d.NextToken})
	if len(d.QueryDefinitions) != 1 || *d.QueryDefinitions[0].QueryString != "fields x" || d.NextToken != nil {
		t.Fatalf("page 2: %+v", d)
	}
	d, _ = l.DescribeQueryDefinitions(ctx, &logsapi.DescribeQueryDefinitionsRequest{QueryDefinitionNamePrefix: ptr.To("b")})
	if len(d.QueryDefinitions) != 1 {
		t.Fatalf("prefix: %+v", d)
	}
	if r, err := l.DeleteQueryDefinition(ctx, &logsapi.DeleteQueryDefinitionRequest{QueryDefinitionId: a.QueryDefinitionId}); err != nil || !*r.Success {
		t.Fatalf("delete: %v", err)
	}
	if _, err := l.DeleteQueryDefinition(ctx, &logsapi.DeleteQueryDefinitionRequest{QueryDefinitionId: a.QueryDefinitionId}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestGetLogGroupFields(t *testing.T) {
	l, ctx, clk := newLogs(t)
	mustGroup(t, l, ctx, "/f", "a")
	put(t, l, ctx, "/f", "a", `{"level":"info","n":1}`, `plain`)
	clk.Advance(time.Minute)
	out, err := l.GetLogGroupFields(ctx, &logsapi.GetLogGroupFieldsRequest{LogGroupName: ptr.To("/f")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range out.LogGroupFields {
		got = append(got, fmt.Sprintf("%s=%d", *f.Name, *f.Percent))
	}
	if strings.Join(got, ",") != "@ingestionTime=100,@log=100,@logStream=100,@message=100,@timestamp=100,level=50,n=50" {
		t.Fatalf("fields %v", got)
	}
	clk.Advance(time.Hour)
	out, _ = l.GetLogGroupFields(ctx, &logsapi.GetLogGroupFieldsRequest{LogGroupName: ptr.To("/f")})
	if len(out.LogGroupFields) != 0 {
		t.Fatalf("an hour later %+v", out.LogGroupFields)
	}
}

func TestAccountPolicies(t *testing.T) {
	l, ctx, _ := newLogs(t)
	doc := `{"Name":"p","Version":"2021-06-01","Statement":[]}`
	out, err := l.PutAccountPolicy(ctx, &logsapi.PutAccountPolicyRequest{PolicyName: ptr.To("p"), PolicyType: ptr.To("DATA_PROTECTION_POLICY"), PolicyDocument: ptr.To(doc)})
	if err != nil || *out.AccountPolicy.Scope != "ALL" || *out.AccountPolicy.AccountId != "000000000000" {
		t.Fatalf("put: %v %+v", err, out)
	}
	if _, err := l.PutAccountPolicy(ctx, &logsapi.PutAccountPolicyRequest{PolicyName: ptr.To("p"), PolicyType: ptr.To("DATA_PROTECTION_POLICY"), PolicyDocument: ptr.To("nope")}); code(err) != "InvalidParameterException" {
		t.Fatalf("bad doc: %v", err)
	}
	d, err := l.DescribeAccountPolicies(ctx, &logsapi.DescribeAccountPoliciesRequest{PolicyType: ptr.To("DATA_PROTECTION_POLICY")})
	if err != nil || len(d.AccountPolicies) != 1 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	d, _ = l.DescribeAccountPolicies(ctx, &logsapi.DescribeAccountPoliciesRequest{PolicyType: ptr.To("SUBSCRIPTION_FILTER_POLICY")})
	if len(d.AccountPolicies) != 0 {
		t.Fatalf("other type: %+v", d)
	}
	if _, err := l.DeleteAccountPolicy(ctx, &logsapi.DeleteAccountPolicyRequest{PolicyName: ptr.To("p"), PolicyType: ptr.To("DATA_PROTECTION_POLICY")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteAccountPolicy(ctx, &logsapi.DeleteAccountPolicyRequest{PolicyName: ptr.To("p"), PolicyType: ptr.To("DATA_PROTECTION_POLICY")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
}

// TestForeignNextToken: a token niwa did not issue is refused on every
// Describe operation instead of being read as a position.
func TestForeignNextToken(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/t", "a")
	bad := ptr.To("abcd") // valid base64, not a niwa token
	calls := map[string]func() error{
		"DescribeLogGroups": func() error {
			_, err := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{NextToken: bad})
			return err
		},
		"DescribeLogStreams": func() error {
			_, err := l.DescribeLogStreams(ctx, &logsapi.DescribeLogStreamsRequest{LogGroupName: ptr.To("/t"), NextToken: bad})
			return err
		},
		"FilterLogEvents": func() error {
			_, err := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("/t"), NextToken: bad})
			return err
		},
		"DescribeMetricFilters": func() error {
			_, err := l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{NextToken: bad})
			return err
		},
		"DescribeResourcePolicies": func() error {
			_, err := l.DescribeResourcePolicies(ctx, &logsapi.DescribeResourcePoliciesRequest{NextToken: bad})
			return err
		},
		"DescribeExportTasks": func() error {
			_, err := l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{NextToken: bad})
			return err
		},
		"GetLogEvents": func() error {
			_, err := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/t"), LogStreamName: ptr.To("a"), NextToken: bad})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); code(err) != "InvalidParameterException" || !strings.Contains(err.Error(), "The specified nextToken is invalid.") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
