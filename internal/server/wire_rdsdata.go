package server

import (
	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/rds"
	"github.com/niwa-cloud/niwa/internal/service/rdsdata"
)

// wireRDSData wires the Data API to RDS's clusters and Secrets Manager's
// secrets (after both).
func wireRDSData(d *deps) (*wiring, error) {
	opt := rdsdata.Options{Clock: d.clock}
	if svc, ok := d.decls["rds"].Impl.(*rds.RDS); ok {
		opt.Clusters = rdsDataClusters{svc}
	}
	if d.secrets != nil {
		opt.Secrets = rdsDataSecrets{d}
	}
	return &wiring{Declaration: rdsdata.New(opt).Declare()}, nil
}

type rdsDataClusters struct{ rds *rds.RDS }

func (c rdsDataClusters) Cluster(ctx *request.Context, arn string) (rdsdata.Cluster, bool, error) {
	t, ok, err := c.rds.DataTarget(ctx, arn)
	return rdsdata.Cluster{ID: t.ID, Engine: t.Engine, Status: t.Status, DBName: t.DBName, Port: t.Port, HTTPEndpoint: t.HTTPEndpoint}, ok, err
}

// rdsDataSecrets reads the secret a Data API call names as its caller
// (authorization asked secretsmanager:GetSecretValue already).
type rdsDataSecrets struct{ d *deps }

func (s rdsDataSecrets) SecretString(ctx *request.Context, arn string) (string, error) {
	out, err := s.d.secrets.GetSecretValue(asCallerIn(ctx, "secretsmanager"), &smapi.GetSecretValueInput{SecretId: ptr.To(arn)})
	if err != nil {
		return "", err
	}
	return ptr.Deref(out.SecretString), nil
}
