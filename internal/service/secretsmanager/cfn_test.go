package secretsmanager

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationResourcePolicy: AWS::SecretsManager::ResourcePolicy
// on a secret named by name, its Ref the secret's ARN, the policy
// replaced in place, BlockPublicPolicy refusing a public one, and
// deleted (twice).
func TestCloudFormationResourcePolicy(t *testing.T) {
	f := newFixture(t)
	ctx, p := f.h.Ctx(), f.s.cfnResources()["AWS::SecretsManager::ResourcePolicy"]
	arn := *f.create(t, "db", "v").ARN
	policy := func(principal any) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": principal, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}}
	}
	r := kit.ResourceRequest{LogicalID: "Pol", Properties: map[string]any{"SecretId": "db",
		"ResourcePolicy": policy(map[string]any{"AWS": "arn:aws:iam::111111111111:root"}), "BlockPublicPolicy": true}}
	res, err := p.Create(ctx, r)
	if err != nil || res.PhysicalID != arn || res.Attributes["Id"] != arn {
		t.Fatalf("create %+v %v", res, err)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"SecretId": "db", "ResourcePolicy": policy(map[string]any{"AWS": "arn:aws:iam::222222222222:root"}), "BlockPublicPolicy": "true"}
	if _, err := p.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	g, err := f.s.GetResourcePolicy(ctx, &smapi.GetResourcePolicyInput{SecretId: ptr.To("db")})
	if err != nil || !strings.Contains(ptr.Deref(g.ResourcePolicy), "222222222222") {
		t.Fatalf("policy %+v %v", g, err)
	}
	public := r
	public.Properties = map[string]any{"SecretId": "db", "ResourcePolicy": policy("*"), "BlockPublicPolicy": true}
	if _, err := p.Update(ctx, public); !smapi.ErrPublicPolicyException.Is(err) {
		t.Fatalf("public policy: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(ctx, r); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if g, err := f.s.GetResourcePolicy(ctx, &smapi.GetResourcePolicyInput{SecretId: ptr.To("db")}); err != nil || g.ResourcePolicy != nil {
		t.Fatalf("after delete %+v %v", g, err)
	}
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "X", Properties: map[string]any{"SecretId": "nope",
		"ResourcePolicy": policy("*")}}); !smapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("missing secret: %v", err)
	}
}

// TestCloudFormationRotationSchedule: AWS::SecretsManager::RotationSchedule
// turns rotation on (rotating at once by default), an update with
// RotateImmediatelyOnUpdate false changes the rules without rotating,
// delete turns rotation off; HostedRotationLambda answers an error naming it.
func TestCloudFormationRotationSchedule(t *testing.T) {
	f := newFixture(t)
	ctx, p := f.h.Ctx(), f.s.cfnResources()["AWS::SecretsManager::RotationSchedule"]
	arn := *f.create(t, "db", "old").ARN
	fn := "arn:aws:lambda:" + servicetest.DefaultRegion + ":" + servicetest.DefaultAccount + ":function:rot"
	r := kit.ResourceRequest{LogicalID: "Rot", Properties: map[string]any{"SecretId": arn, "RotationLambdaARN": fn,
		"RotationRules": map[string]any{"AutomaticallyAfterDays": "30"}}}
	res, err := p.Create(ctx, r)
	if err != nil || res.PhysicalID != arn || res.Attributes["Id"] != arn {
		t.Fatalf("create %+v %v", res, err)
	}
	f.s.Idle()
	if got := f.fn.Steps(); !slices.Equal(got, []string{"createSecret", "setSecret", "testSecret", "finishSecret"}) || f.value(t, "db") != "rotated" {
		t.Fatalf("not rotated at create: %v", got)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"SecretId": arn, "RotationLambdaARN": fn, "RotateImmediatelyOnUpdate": false,
		"RotationRules": map[string]any{"ScheduleExpression": "rate(10 days)"}}
	if _, err := p.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	f.s.Idle()
	d, err := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: &arn})
	if err != nil || !ptr.Deref(d.RotationEnabled) || ptr.Deref(d.RotationRules.ScheduleExpression) != "rate(10 days)" || len(f.fn.Steps()) != 4 {
		t.Fatalf("after update %+v %v steps %v", d, err, f.fn.Steps())
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(ctx, r); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if d, _ := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: &arn}); ptr.Deref(d.RotationEnabled) {
		t.Fatalf("rotation still on %+v", d)
	}
	_, err = p.Create(ctx, kit.ResourceRequest{LogicalID: "H", Properties: map[string]any{"SecretId": arn,
		"HostedRotationLambda": map[string]any{"RotationType": "MySQLSingleUser"}}})
	if err == nil || !strings.Contains(err.Error(), "HostedRotationLambda") {
		t.Fatalf("hosted rotation: %v", err)
	}
}

// fakeDatabases answers one RDS instance.
type fakeDatabases struct{}

func (fakeDatabases) Connection(_ *request.Context, typ, id string) (map[string]any, error) {
	if typ != "AWS::RDS::DBInstance" || id != "db1" {
		return nil, awserr.NotImplemented.New("no %s %s", typ, id)
	}
	return map[string]any{"engine": "postgres", "host": "db1.local", "port": 5432, "dbInstanceIdentifier": "db1"}, nil
}

// TestCloudFormationSecretTargetAttachment: the database's connection
// fields are merged into the secret's JSON (a new current version, the
// credentials kept), Ref is the secret's ARN, and errors from the
// database lookup and a non-JSON secret surface.
func TestCloudFormationSecretTargetAttachment(t *testing.T) {
	f := newFixture(t)
	ctx, p := f.h.Ctx(), f.s.cfnResources()["AWS::SecretsManager::SecretTargetAttachment"]
	arn := *f.create(t, "creds", `{"username":"admin","password":"pw"}`).ARN
	r := kit.ResourceRequest{LogicalID: "Att", Properties: map[string]any{"SecretId": arn, "TargetType": "AWS::RDS::DBInstance", "TargetId": "db1"}}
	if _, err := p.Create(ctx, r); err == nil || !strings.Contains(err.Error(), "RDS") {
		t.Fatalf("without databases: %v", err)
	}
	f.s.SetDatabases(fakeDatabases{})
	res, err := p.Create(ctx, r)
	if err != nil || res.PhysicalID != arn {
		t.Fatalf("attach %+v %v", res, err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(f.value(t, "creds")), &got); err != nil {
		t.Fatal(err)
	}
	if got["username"] != "admin" || got["password"] != "pw" || got["host"] != "db1.local" || got["port"] != 5432.0 ||
		got["engine"] != "postgres" || got["dbInstanceIdentifier"] != "db1" {
		t.Fatalf("secret value %v", got)
	}
	r.PhysicalID = res.PhysicalID
	if _, err := p.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	ids, err := f.s.ListSecretVersionIds(ctx, &smapi.ListSecretVersionIdsInput{SecretId: &arn})
	if err != nil || len(ids.Versions) != 2 {
		t.Fatalf("an unchanged update made a version: %+v %v", ids, err)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
	bad := kit.ResourceRequest{LogicalID: "B", Properties: map[string]any{"SecretId": arn, "TargetType": "AWS::Redshift::Cluster", "TargetId": "c"}}
	if _, err := p.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "AWS::Redshift::Cluster") {
		t.Fatalf("unsupported target: %v", err)
	}
	plain := *f.create(t, "plain", "not json").ARN
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "P", Properties: map[string]any{"SecretId": plain, "TargetType": "AWS::RDS::DBInstance",
		"TargetId": "db1"}}); !smapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("non-JSON secret: %v", err)
	}
}
