package rds

import (
	"os"
	"path/filepath"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// readOnlyParams make a replica's server refuse writes by default
// (MariaDB's read_only; PostgreSQL's default_transaction_read_only).
func readOnlyParams(engine string) map[string]string {
	if kindOf(engine) == dbengine.Postgres {
		return map[string]string{"default_transaction_read_only": "on"}
	}
	return map[string]string{"read_only": "ON"}
}

// CreateDBInstanceReadReplica makes a second server seeded with a dump
// of the source taken now, read-only. It is a point-in-time copy: later
// writes to the source do not reach it (docs/rds.md).
func (s *RDS) CreateDBInstanceReadReplica(ctx *request.Context, in *rdsapi.CreateDBInstanceReadReplicaInput) (*rdsapi.CreateDBInstanceReadReplicaOutput, error) {
	id := ptr.Deref(in.DBInstanceIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBInstanceIdentifier")
	}
	srcID := ptr.Deref(in.SourceDBInstanceIdentifier)
	if i := strings.LastIndex(srcID, ":db:"); i >= 0 {
		srcID = srcID[i+len(":db:"):]
	}
	var src instanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		src, err = s.load(tx, ctx, srcID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := refuseMember(src, "replica"); err != nil {
		return nil, err
	}
	if src.Status != "available" {
		return nil, rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not in available state.", src.ID)
	}
	if src.BackupRetention == 0 {
		return nil, awserr.InvalidParameterValue.New("Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.")
	}
	srv, err := s.waitServer(ctx, src.ResourceID)
	if err != nil || srv == nil {
		return nil, rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not in available state.", src.ID)
	}
	seed := filepath.Join(s.base, "snapshots", "replica-"+awsid.UUID()+".sql")
	if err := os.MkdirAll(filepath.Dir(seed), 0o755); err != nil {
		return nil, err
	}
	if err := srv.Dump(ctx, seed); err != nil {
		return nil, err
	}
	class := src.Class
	if c := ptr.Deref(in.DBInstanceClass); c != "" {
		if !classSupported(src.Engine, c) {
			return nil, awserr.InvalidParameterCombination.New("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.", c, src.Engine, src.EngineVersion, licenseOf(src.Engine))
		}
		class = c
	}
	r := instanceRec{
		Account: ctx.Account, Region: ctx.Region, ID: strings.ToLower(id), Engine: src.Engine, EngineVersion: src.EngineVersion,
		Class: class, MasterUsername: src.MasterUsername, Password: src.Password, DBName: src.DBName,
		PubliclyAccessible: ptr.Deref(in.PubliclyAccessible), MultiAZ: ptr.Deref(in.MultiAZ),
		AllocatedStorage: src.AllocatedStorage, StorageType: src.StorageType, Tags: in.Tags,
		AvailabilityZone: src.AvailabilityZone, VpcSecurityGroups: in.VpcSecurityGroupIds, RestoreFrom: seed,
		ReplicaOf: src.ID, SubnetGroup: src.SubnetGroup,
	}
	if len(r.VpcSecurityGroups) == 0 {
		r.VpcSecurityGroups = src.VpcSecurityGroups
	}
	return createInstance(s, ctx, r, src.DBName, in.Port, ptr.Deref(in.DBSubnetGroupName), ptr.Deref(in.DBParameterGroupName), false,
		func(out *rdsapi.DBInstance) *rdsapi.CreateDBInstanceReadReplicaOutput {
			return &rdsapi.CreateDBInstanceReadReplicaOutput{DBInstance: out}
		})
}

// PromoteReadReplica makes a replica a standalone, writable instance
// (its server restarts without the read-only setting).
func (s *RDS) PromoteReadReplica(ctx *request.Context, in *rdsapi.PromoteReadReplicaInput) (*rdsapi.PromoteReadReplicaOutput, error) {
	var rec instanceRec
	out, err := s.transition(ctx, ptr.Deref(in.DBInstanceIdentifier), []string{"available"}, func(tx storage.Tx, r *instanceRec) error {
		if r.ReplicaOf == "" {
			return rdsapi.ErrInvalidDBInstanceStateFault.New("DB Instance is not a read replica.")
		}
		r.ReplicaOf = ""
		for k := range readOnlyParams(r.Engine) {
			delete(r.Params, k)
		}
		if in.BackupRetentionPeriod != nil {
			r.BackupRetention = *in.BackupRetentionPeriod
		}
		r.Status, r.StatusSince = "modifying", now(ctx)
		rec = *r
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(rec.ResourceID)
	s.startServer(rec)
	return &rdsapi.PromoteReadReplicaOutput{DBInstance: out}, nil
}

// replicasOf lists the replicas of an instance, for its description.
func replicasOf(tx storage.Tx, r instanceRec) ([]string, error) {
	out := []string{}
	err := instances.List(tx, anywhere, []string{r.Account, r.Region}, storage.ListOptions{}, func(_ []string, o instanceRec) bool {
		if o.ReplicaOf == r.ID {
			out = append(out, o.ID)
		}
		return true
	})
	return out, err
}
