package server

import (
	"encoding/json"
	"testing"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/rds"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestSecretTargetAttachmentWiring: with the services wired as niwa
// wires them, AWS::SecretsManager::SecretTargetAttachment reads an RDS
// cluster through the seam wireRDS sets, and writes its engine, host,
// port and identifier into the secret's JSON; a cluster that does not
// exist answers RDS's DBClusterNotFoundFault.
func TestSecretTargetAttachmentWiring(t *testing.T) {
	h := servicetest.New(t, "server", servicetest.InAccount(DefaultAccount))
	d, b := wiredServices(t, h)
	var r *rds.RDS
	for _, s := range b.services {
		if x, ok := s.Impl.(*rds.RDS); ok {
			r = x
		}
	}
	if r == nil || d.secrets == nil {
		t.Fatal("RDS or Secrets Manager not wired")
	}
	if _, err := buildAuthorizer(d); err != nil {
		t.Fatal(err)
	}
	ctx := h.Ctx()
	ctx.Service = "secretsmanager" // its values are encrypted under alias/aws/secretsmanager
	c, err := r.CreateDBCluster(ctx, &rdsapi.CreateDBClusterInput{DBClusterIdentifier: ptr.To("shop"), Engine: ptr.To("aurora-postgresql"),
		MasterUsername: ptr.To("admin"), MasterUserPassword: ptr.To("secret-pw1")})
	if err != nil {
		t.Fatal(err)
	}
	str := `{"username":"admin","password":"secret-pw1"}`
	sec, err := d.secrets.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("shop-creds"), SecretString: &str})
	if err != nil {
		t.Fatal(err)
	}
	p := d.secrets.Declare().Resources["AWS::SecretsManager::SecretTargetAttachment"]
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "A", Properties: map[string]any{"SecretId": *sec.ARN,
		"TargetType": "AWS::RDS::DBCluster", "TargetId": "shop"}}); err != nil {
		t.Fatal(err)
	}
	v, err := d.secrets.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: sec.ARN})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(*v.SecretString), &got); err != nil {
		t.Fatal(err)
	}
	if got["engine"] != "aurora-postgresql" || got["dbClusterIdentifier"] != "shop" || got["host"] != ptr.Deref(c.DBCluster.Endpoint) ||
		got["port"] != float64(ptr.Deref(c.DBCluster.Port)) || got["username"] != "admin" {
		t.Fatalf("secret %v, cluster %+v", got, c.DBCluster)
	}
	_, err = p.Create(ctx, kit.ResourceRequest{LogicalID: "B", Properties: map[string]any{"SecretId": *sec.ARN,
		"TargetType": "AWS::RDS::DBCluster", "TargetId": "nope"}})
	if !rdsapi.ErrDBClusterNotFoundFault.Is(err) {
		t.Fatalf("missing cluster: %v", err)
	}
}
