package catalog

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestUnimplementedServices: a service niwa does not implement answers,
// through both aws CLI versions, NotImplemented naming that service in
// that service's own protocol (json, query, rest-json, rest-xml) — never
// S3's "Missing required header" or a query client's "Unknown".
func TestUnimplementedServices(t *testing.T) {
	n := framework.Start(t, framework.Binary)
	cases := []struct {
		args           []string
		operation, svc string
	}{
		{[]string{"firehose", "list-delivery-streams"}, "ListDeliveryStreams", "Amazon Kinesis Firehose"},                        // json
		{[]string{"kinesis", "list-streams"}, "ListStreams", "Amazon Kinesis"},                                                   // json
		{[]string{"cognito-idp", "list-user-pools", "--max-results", "10"}, "ListUserPools", "Amazon Cognito Identity Provider"}, // json
		{[]string{"codebuild", "list-projects"}, "ListProjects", "AWS CodeBuild"},                                                // json
		{[]string{"ecs", "list-clusters"}, "ListClusters", "Amazon EC2 Container Service"},                                       // json
		{[]string{"stepfunctions", "list-state-machines"}, "ListStateMachines", "AWS Step Functions"},                            // json 1.0
		{[]string{"codepipeline", "list-pipelines"}, "ListPipelines", "AWS CodePipeline"},                                        // json
		{[]string{"autoscaling", "describe-auto-scaling-groups"}, "DescribeAutoScalingGroups", "Auto Scaling"},                   // query
		{[]string{"redshift", "describe-clusters"}, "DescribeClusters", "Amazon Redshift"},                                       // query
		{[]string{"cloudsearch", "describe-domains"}, "DescribeDomains", "Amazon CloudSearch"},                                   // query
		{[]string{"elasticache", "describe-cache-clusters"}, "DescribeCacheClusters", "Amazon ElastiCache"},                      // query
		{[]string{"eks", "list-clusters"}, "ListClusters", "Amazon Elastic Kubernetes Service"},                                  // rest-json
		{[]string{"efs", "describe-file-systems"}, "DescribeFileSystems", "Amazon Elastic File System"},                          // rest-json
		{[]string{"appsync", "list-graphql-apis"}, "ListGraphqlApis", "AWS AppSync"},                                             // rest-json
		{[]string{"batch", "describe-compute-environments"}, "DescribeComputeEnvironments", "AWS Batch"},                         // rest-json
	}
	for _, cli := range framework.CLIs {
		for _, c := range cases {
			t.Run(cli.Name+"/"+c.args[0], func(t *testing.T) {
				t.Parallel()
				out, errOut, err := n.RunCLI(t, cli, nil, c.args...)
				want := "An error occurred (NotImplemented) when calling the " + c.operation + " operation: niwa does not implement " + c.svc + " yet"
				if err == nil || !strings.Contains(errOut, want) {
					t.Fatalf("aws %s: %v\nstdout: %s\nstderr: %s\nwant: %s", strings.Join(c.args, " "), err, out, errOut, want)
				}
			})
		}
	}
}

// TestCloudWatchCurrentClients: boto3 reaches CloudWatch in the protocol
// it picks from CloudWatch's protocols list (json, query-compatible, for
// botocore 1.43) and, with the model's list narrowed to
// smithy-rpc-v2-cbor as CBOR-first clients choose, in CBOR; both get
// NotImplemented naming the operation, decoded by botocore's own parsers.
func TestCloudWatchCurrentClients(t *testing.T) {
	n := framework.Start(t, framework.Binary)
	dataPath := t.TempDir()
	script := `
import boto3, botocore, datetime, gzip, json, os
data = os.path.join(os.path.dirname(botocore.__file__), 'data', 'cloudwatch')
version = sorted(os.listdir(data))[-1]
if os.environ.get('NIWA_CW') == 'cbor':
    src = os.path.join(data, version, 'service-2.json.gz')
    model = json.load(gzip.open(src)) if os.path.exists(src) else json.load(open(src[:-3]))
    model['metadata']['protocols'] = ['smithy-rpc-v2-cbor']
    dst = os.path.join(os.environ['AWS_DATA_PATH'], 'cloudwatch', version)
    os.makedirs(dst, exist_ok=True)
    json.dump(model, open(os.path.join(dst, 'service-2.json'), 'w'))
c = boto3.client('cloudwatch')
out = {'protocol': c.meta.service_model.resolved_protocol}
for name, call in [('GetMetricWidgetImage', lambda: c.get_metric_widget_image(MetricWidget='{}')),
                   ('ListManagedInsightRules', lambda: c.list_managed_insight_rules(ResourceARN='arn:aws:ec2:us-east-1:000000000000:instance/i-1'))]:
    try:
        call()
        out[name] = 'succeeded'
    except botocore.exceptions.ClientError as e:
        r = e.response
        out[name] = [r['Error']['Code'], r['Error']['Message'], r['ResponseMetadata']['HTTPStatusCode'],
                     r['ResponseMetadata']['HTTPHeaders'].get('content-type')]
print(json.dumps(out))
`
	for _, c := range []struct{ mode, protocol, contentType string }{
		{"default", "json", "application/x-amz-json-1.0"},
		{"cbor", "smithy-rpc-v2-cbor", "application/cbor"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			var got map[string]any
			framework.MustJSON(t, n.Python(t, script, "NIWA_CW="+c.mode, "AWS_DATA_PATH="+dataPath+"/"+c.mode), &got)
			if got["protocol"] != c.protocol {
				t.Fatalf("botocore spoke %v, want %s", got["protocol"], c.protocol)
			}
			// Operations niwa leaves unimplemented (the rest of CloudWatch
			// is, and e2e/cloudwatch runs it in each protocol).
			for _, op := range []string{"GetMetricWidgetImage", "ListManagedInsightRules"} {
				e, _ := got[op].([]any)
				if len(e) != 4 || e[0] != "NotImplemented" || e[1] != "niwa does not implement CloudWatch."+op+" yet" ||
					e[2] != float64(501) || e[3] != c.contentType {
					t.Fatalf("%s: %v", op, got[op])
				}
			}
		})
	}
}
