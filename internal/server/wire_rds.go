package server

import (
	"context"
	"log/slog"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/rds"
	"github.com/niwa-cloud/niwa/internal/service/secretsmanager"
)

// wireRDS wires RDS with Secrets Manager behind ManageMasterUserPassword
// and the network component (after EC2) in front of its endpoints.
func wireRDS(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("rds")
	if err != nil {
		return nil, err
	}
	opt := rds.Options{Store: kd.Store, Clock: kd.Clock, Bus: kd.Bus, Log: kd.Log, DataDir: kd.DataDir}
	if d.iam != nil && d.sts != nil {
		opt.Tokens = newRDSTokens(d)
	}
	if d.secrets != nil {
		opt.Secrets = rdsSecrets{d.secrets, d.clock, d.log}
	}
	// Connections to endpoints are admitted by the network component:
	// the instance's VPC security groups and public accessibility
	// against the connecting workload (or niwa's host).
	if d.ec2 != nil {
		opt.Gate = d.egressProxy()
	}
	svc, err := rds.New(opt)
	if err != nil {
		return nil, err
	}
	svc.Start()
	if d.secrets != nil {
		d.secrets.SetDatabases(rdsDatabases{svc})
	}
	return &wiring{Declaration: svc.Declare()}, nil
}

// rdsSecrets creates the secret of a managed master password in the
// caller's account, as RDS does on the caller's behalf.
type rdsSecrets struct {
	sm    *secretsmanager.SecretsManager
	clock clock.Clock
	log   *slog.Logger
}

func (s rdsSecrets) CreateSecret(ctx *request.Context, name, value string) (string, error) {
	// The secret is Secrets Manager's: it encrypts through KMS as itself
	// (kms:ViaService secretsmanager), called via RDS on the caller's
	// behalf (aws:CalledVia).
	sc := *ctx
	sc.Service, sc.Operation = "secretsmanager", "CreateSecret"
	sc.CalledVia = append(append([]string{}, ctx.CalledVia...), "rds.amazonaws.com")
	out, err := s.sm.CreateSecret(&sc, &smapi.CreateSecretInput{Name: ptr.To(name), SecretString: ptr.To(value),
		Description: ptr.To("Secret associated with primary RDS DB instance")})
	if err != nil {
		return "", err
	}
	return ptr.Deref(out.ARN), nil
}

func (s rdsSecrets) ReadSecret(ctx context.Context, account, region, arn string) (string, error) {
	rc := &request.Context{Context: ctx, Service: "secretsmanager", Operation: "GetSecretValue", Account: account, Region: region,
		Caller:    request.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account},
		CalledVia: []string{"rds.amazonaws.com"}, Clock: s.clock, Log: s.log}
	out, err := s.sm.GetSecretValue(rc, &smapi.GetSecretValueInput{SecretId: ptr.To(arn)})
	if err != nil {
		return "", err
	}
	return ptr.Deref(out.SecretString), nil
}

// rdsDatabases answers Secrets Manager's SecretTargetAttachment with an
// RDS instance's or cluster's connection fields.
type rdsDatabases struct{ rds *rds.RDS }

func (r rdsDatabases) Connection(ctx *request.Context, typ, id string) (map[string]any, error) {
	switch typ {
	case "AWS::RDS::DBInstance":
		out, err := r.rds.DescribeDBInstances(ctx, &rdsapi.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
		if err != nil {
			return nil, err
		}
		if len(out.DBInstances) == 0 {
			return nil, rdsapi.ErrDBInstanceNotFoundFault.New("DBInstance %s not found.", id)
		}
		db := out.DBInstances[0]
		m := map[string]any{"engine": ptr.Deref(db.Engine), "dbInstanceIdentifier": ptr.Deref(db.DBInstanceIdentifier)}
		if db.Endpoint != nil {
			m["host"], m["port"] = ptr.Deref(db.Endpoint.Address), ptr.Deref(db.Endpoint.Port)
		}
		return m, nil
	case "AWS::RDS::DBCluster":
		out, err := r.rds.DescribeDBClusters(ctx, &rdsapi.DescribeDBClustersInput{DBClusterIdentifier: &id})
		if err != nil {
			return nil, err
		}
		if len(out.DBClusters) == 0 {
			return nil, rdsapi.ErrDBClusterNotFoundFault.New("DBCluster %s not found.", id)
		}
		c := out.DBClusters[0]
		return map[string]any{"engine": ptr.Deref(c.Engine), "host": ptr.Deref(c.Endpoint), "port": ptr.Deref(c.Port),
			"dbClusterIdentifier": ptr.Deref(c.DBClusterIdentifier)}, nil
	}
	return nil, awserr.NotImplemented.New("niwa does not implement SecretTargetAttachment TargetType %s: niwa attaches secrets to AWS::RDS::DBInstance and AWS::RDS::DBCluster", typ)
}
