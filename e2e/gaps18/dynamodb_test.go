package gaps18

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestReplicaAutoScalingCLI: with both CLIs, a provisioned table gets write
// auto scaling, then a replica, and describe-table-replica-auto-scaling
// lists both replicas with the settings.
func TestReplicaAutoScalingCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		name := "ras-" + cli.Name
		n.MustCLI(t, cli, "dynamodb", "create-table", "--table-name", name,
			"--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH",
			"--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5")
		n.MustCLI(t, cli, "dynamodb", "wait", "table-exists", "--table-name", name)
		n.MustCLI(t, cli, "dynamodb", "update-table-replica-auto-scaling", "--table-name", name,
			"--provisioned-write-capacity-auto-scaling-update",
			`{"MinimumUnits":5,"MaximumUnits":40,"ScalingPolicyUpdate":{"TargetTrackingScalingPolicyConfiguration":{"TargetValue":70}}}`)
		n.MustCLI(t, cli, "dynamodb", "update-table", "--table-name", name, "--replica-updates", `[{"Create":{"RegionName":"us-west-2"}}]`)
		var out struct {
			TableAutoScalingDescription struct {
				Replicas []struct {
					RegionName                                         string
					ReplicaProvisionedWriteCapacityAutoScalingSettings struct {
						MaximumUnits        int
						AutoScalingDisabled bool
					}
				}
			}
		}
		framework.CLIJSON(t, n, cli, &out, "dynamodb", "describe-table-replica-auto-scaling", "--table-name", name, "--region", "us-west-2")
		var regions []string
		for _, r := range out.TableAutoScalingDescription.Replicas {
			if r.ReplicaProvisionedWriteCapacityAutoScalingSettings.MaximumUnits != 40 || r.ReplicaProvisionedWriteCapacityAutoScalingSettings.AutoScalingDisabled {
				t.Fatalf("%s: %s write settings %+v", cli.Name, r.RegionName, r)
			}
			regions = append(regions, r.RegionName)
		}
		if strings.Join(regions, ",") != n.Region+",us-west-2" {
			t.Fatalf("%s: replicas %v", cli.Name, regions)
		}
	}
	out := n.Python(t, `
import boto3
from botocore.exceptions import ClientError
c = boto3.client("dynamodb")
c.create_table(TableName="od", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"}],
    AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"}], BillingMode="PAY_PER_REQUEST")
try:
    c.update_table_replica_auto_scaling(TableName="od", ProvisionedWriteCapacityAutoScalingUpdate={"MinimumUnits":1,"MaximumUnits":2})
    raise SystemExit("on-demand table accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}
