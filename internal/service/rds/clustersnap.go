package rds

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// clusterSnapshot dumps c's server into a new cluster snapshot id.
func (s *RDS) clusterSnapshot(tx storage.Tx, ctx *request.Context, c clusterRec, id, typ string, tags []rdsapi.Tag) error {
	key := strings.ToLower(id)
	if _, ok, err := clusterSnaps.Get(tx, scope(ctx), key); err != nil {
		return err
	} else if ok {
		return rdsapi.ErrDBClusterSnapshotAlreadyExistsFault.New("Cannot create the cluster snapshot because one with the identifier %s already exists.", id)
	}
	srv, err := s.waitServer(ctx, c.ResourceID)
	if err != nil || srv == nil {
		return clusterStateErr(c, "available")
	}
	sr := clusterSnapRec{ID: key, ARN: arn(ctx, "cluster-snapshot", key), ResourceID: awsid.UUID(), Cluster: c.ID, Type: typ,
		Engine: c.Engine, EngineVersion: c.EngineVersion, Master: c.MasterUsername, Password: c.Password, DBName: c.DBName,
		Port: defaultPort(c.Engine), Created: now(ctx), ClusterCreated: c.Created, Tags: tags, IAMAuth: c.IAMAuth}
	sr.Path = s.snapshotPath(sr.ResourceID)
	if err := os.MkdirAll(filepath.Dir(sr.Path), 0o755); err != nil {
		return err
	}
	if err := srv.Dump(ctx, sr.Path); err != nil {
		return err
	}
	if err := clusterSnaps.Put(tx, scope(ctx), sr, key); err != nil {
		return err
	}
	return s.addEvent(tx, ctx.Account, ctx.Region, key, "db-cluster-snapshot", "creation", "Creating manual cluster snapshot", now(ctx))
}

func (sr clusterSnapRec) describe(ctx *request.Context) rdsapi.DBClusterSnapshot {
	status := "available"
	if now(ctx).Before(sr.Created.Add(snapshotTime)) {
		status = "creating"
	}
	out := rdsapi.DBClusterSnapshot{
		DBClusterSnapshotIdentifier: ptr.To(sr.ID), DBClusterSnapshotArn: ptr.To(sr.ARN), DBClusterIdentifier: ptr.To(sr.Cluster),
		SnapshotCreateTime: ptr.To(sr.Created), ClusterCreateTime: ptr.To(sr.ClusterCreated), Engine: ptr.To(sr.Engine),
		EngineMode: ptr.To("provisioned"), EngineVersion: ptr.To(sr.EngineVersion), AllocatedStorage: ptr.To(int32(1)),
		Status: ptr.To(status), Port: ptr.To(sr.Port), MasterUsername: ptr.To(sr.Master), SnapshotType: ptr.To(sr.Type),
		LicenseModel: ptr.To(licenseOf(sr.Engine)), PercentProgress: ptr.To(int32(100)), StorageEncrypted: ptr.To(false),
		IAMDatabaseAuthenticationEnabled: ptr.To(sr.IAMAuth), TagList: sr.Tags, DbClusterResourceId: ptr.To(sr.ResourceID),
		AvailabilityZones: []string{ctx.Region + "a", ctx.Region + "b", ctx.Region + "c"}, StorageType: ptr.To("aurora"),
	}
	if status == "creating" {
		out.PercentProgress = ptr.To(int32(0))
	}
	if out.TagList == nil {
		out.TagList = []rdsapi.Tag{}
	}
	if sr.Source != "" {
		out.SourceDBClusterSnapshotArn = ptr.To(sr.Source)
	}
	return out
}

// CreateDBClusterSnapshot dumps the cluster volume.
func (s *RDS) CreateDBClusterSnapshot(ctx *request.Context, in *rdsapi.CreateDBClusterSnapshotInput) (*rdsapi.CreateDBClusterSnapshotOutput, error) {
	id := ptr.Deref(in.DBClusterSnapshotIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBClusterSnapshotIdentifier")
	}
	var out rdsapi.DBClusterSnapshot
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, ptr.Deref(in.DBClusterIdentifier))
		if err != nil {
			return err
		}
		if c.Status != "available" {
			return clusterStateErr(c, "available")
		}
		tags := in.Tags
		if len(tags) == 0 {
			tags = c.tagsIfCopied()
		}
		if err := s.clusterSnapshot(tx, ctx, c, id, "manual", tags); err != nil {
			return err
		}
		sr, _, err := clusterSnaps.Get(tx, scope(ctx), strings.ToLower(id))
		out = sr.describe(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBClusterSnapshotOutput{DBClusterSnapshot: &out}, nil
}

func snapshotKey(id string) string {
	if i := strings.LastIndex(id, ":cluster-snapshot:"); i >= 0 {
		id = id[i+len(":cluster-snapshot:"):]
	}
	return strings.ToLower(id)
}

// DescribeDBClusterSnapshots lists cluster snapshots.
func (s *RDS) DescribeDBClusterSnapshots(ctx *request.Context, in *rdsapi.DescribeDBClusterSnapshotsInput) (*rdsapi.DescribeDBClusterSnapshotsOutput, error) {
	id := ptr.Deref(in.DBClusterSnapshotIdentifier)
	recs, err := oneOrAll(s, ctx, clusterSnaps, snapshotKey(id), id != "",
		func() error {
			return rdsapi.ErrDBClusterSnapshotNotFoundFault.New("DBClusterSnapshot %s not found.", id)
		})
	if err != nil {
		return nil, err
	}
	var kept []clusterSnapRec
	for _, sr := range recs {
		if c := strings.ToLower(ptr.Deref(in.DBClusterIdentifier)); c != "" && sr.Cluster != c {
			continue
		}
		if t := ptr.Deref(in.SnapshotType); t != "" && sr.Type != t {
			continue
		}
		ok := true
		for _, f := range in.Filters {
			var v string
			switch ptr.Deref(f.Name) {
			case "db-cluster-id":
				v = sr.Cluster
			case "db-cluster-snapshot-id":
				v = sr.ID
			case "snapshot-type":
				v = sr.Type
			case "engine":
				v = sr.Engine
			default:
				return nil, awserr.InvalidParameterValue.New("Unrecognized filter name: %s", ptr.Deref(f.Name))
			}
			ok = ok && contains(f.Values, v)
		}
		if ok {
			kept = append(kept, sr)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].ID < kept[j].ID })
	page, marker, err := paginate(kept, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBClusterSnapshotsOutput{Marker: marker, DBClusterSnapshots: []rdsapi.DBClusterSnapshot{}}
	for _, sr := range page {
		out.DBClusterSnapshots = append(out.DBClusterSnapshots, sr.describe(ctx))
	}
	return out, nil
}

// CopyDBClusterSnapshot copies a cluster snapshot's dump.
func (s *RDS) CopyDBClusterSnapshot(ctx *request.Context, in *rdsapi.CopyDBClusterSnapshotInput) (*rdsapi.CopyDBClusterSnapshotOutput, error) {
	src := ptr.Deref(in.SourceDBClusterSnapshotIdentifier)
	target := ptr.Deref(in.TargetDBClusterSnapshotIdentifier)
	if !validIdentifier(target) {
		return nil, invalidIdentifier("TargetDBClusterSnapshotIdentifier")
	}
	var out rdsapi.DBClusterSnapshot
	err := s.store.Update(func(tx storage.Tx) error {
		sr, ok, err := clusterSnaps.Get(tx, scope(ctx), snapshotKey(src))
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBClusterSnapshotNotFoundFault.New("DBClusterSnapshot %s not found.", src)
		}
		key := strings.ToLower(target)
		if _, ok, err := clusterSnaps.Get(tx, scope(ctx), key); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBClusterSnapshotAlreadyExistsFault.New("Cannot create the cluster snapshot because one with the identifier %s already exists.", target)
		}
		cp := sr
		cp.ID, cp.ARN, cp.ResourceID, cp.Type, cp.Created, cp.Source = key, arn(ctx, "cluster-snapshot", key), awsid.UUID(), "manual", now(ctx), sr.ARN
		cp.Tags = in.Tags
		if ptr.Deref(in.CopyTags) {
			cp.Tags = append(append([]rdsapi.Tag{}, sr.Tags...), in.Tags...)
		}
		cp.Path = s.snapshotPath(cp.ResourceID)
		if err := copyFile(sr.Path, cp.Path); err != nil {
			return err
		}
		out = cp.describe(ctx)
		return clusterSnaps.Put(tx, scope(ctx), cp, key)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CopyDBClusterSnapshotOutput{DBClusterSnapshot: &out}, nil
}

// DeleteDBClusterSnapshot deletes a manual cluster snapshot.
func (s *RDS) DeleteDBClusterSnapshot(ctx *request.Context, in *rdsapi.DeleteDBClusterSnapshotInput) (*rdsapi.DeleteDBClusterSnapshotOutput, error) {
	id := snapshotKey(ptr.Deref(in.DBClusterSnapshotIdentifier))
	var out rdsapi.DBClusterSnapshot
	var path string
	err := s.store.Update(func(tx storage.Tx) error {
		sr, ok, err := clusterSnaps.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBClusterSnapshotNotFoundFault.New("DBClusterSnapshot %s not found.", ptr.Deref(in.DBClusterSnapshotIdentifier))
		}
		if sr.Type == "automated" {
			return rdsapi.ErrInvalidDBClusterSnapshotStateFault.New("Only manual snapshots may be deleted.")
		}
		out = sr.describe(ctx)
		out.Status = ptr.To("deleted")
		path = sr.Path
		return clusterSnaps.Delete(tx, scope(ctx), id)
	})
	if err != nil {
		return nil, err
	}
	_ = os.Remove(path)
	return &rdsapi.DeleteDBClusterSnapshotOutput{DBClusterSnapshot: &out}, nil
}

// RestoreDBClusterFromSnapshot makes a new cluster whose server loads
// the snapshot's dump (instances are added afterwards, as on AWS).
func (s *RDS) RestoreDBClusterFromSnapshot(ctx *request.Context, in *rdsapi.RestoreDBClusterFromSnapshotInput) (*rdsapi.RestoreDBClusterFromSnapshotOutput, error) {
	id := ptr.Deref(in.DBClusterIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBClusterIdentifier")
	}
	if err := checkScaling(in.ServerlessV2ScalingConfiguration); err != nil {
		return nil, err
	}
	var sr clusterSnapRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		sr, ok, err = clusterSnaps.Get(tx, scope(ctx), snapshotKey(ptr.Deref(in.SnapshotIdentifier)))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rdsapi.ErrDBClusterSnapshotNotFoundFault.New("DBClusterSnapshot %s not found.", ptr.Deref(in.SnapshotIdentifier))
	}
	if e := strings.ToLower(ptr.Deref(in.Engine)); e != sr.Engine {
		return nil, awserr.InvalidParameterCombination.New("The engine %s does not match the engine %s of the DB cluster snapshot.", e, sr.Engine)
	}
	c := clusterRec{Account: ctx.Account, Region: ctx.Region, ID: strings.ToLower(id), Engine: sr.Engine, EngineVersion: sr.EngineVersion,
		Mode: "provisioned", MasterUsername: sr.Master, Password: sr.Password, DBName: sr.DBName, BackupRetention: 1,
		DeletionProtection: ptr.Deref(in.DeletionProtection), IAMAuth: ptr.Deref(in.EnableIAMDatabaseAuthentication) || sr.IAMAuth,
		CopyTags: ptr.Deref(in.CopyTagsToSnapshot), Tags: in.Tags, VpcSecurityGroups: in.VpcSecurityGroupIds, AZs: in.AvailabilityZones,
		RestoreFrom: sr.Path}
	if sc := in.ServerlessV2ScalingConfiguration; sc != nil {
		c.Scaling, c.MinACU, c.MaxACU = true, *sc.MinCapacity, *sc.MaxCapacity
	}
	out, err := s.createCluster(ctx, c, in.Port, ptr.Deref(in.DBSubnetGroupName), ptr.Deref(in.DBClusterParameterGroupName), false)
	if err != nil {
		return nil, err
	}
	return &rdsapi.RestoreDBClusterFromSnapshotOutput{DBCluster: out}, nil
}

// Cluster parameter groups: the same parameters niwa applies to
// instances, set on the cluster's server at its start or reboot.

func validClusterFamily(f string) bool {
	return strings.HasPrefix(f, "aurora-") && validFamily(f)
}

func (s *RDS) clusterGroupParams(tx storage.Tx, ctx *request.Context, name, engine, version string) (map[string]string, error) {
	if strings.HasPrefix(name, "default.") {
		return nil, nil
	}
	g, ok, err := clusterParamGroups.Get(tx, scope(ctx), strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rdsapi.ErrDBClusterParameterGroupNotFoundFault.New("DBClusterParameterGroup not found: %s", name)
	}
	if g.Family != family(engine, version) {
		return nil, awserr.InvalidParameterCombination.New("The parameter group %s with DBParameterGroupFamily %s can't be used for this DB cluster. Use a parameter group with DBParameterGroupFamily %s.", g.Name, g.Family, family(engine, version))
	}
	out := map[string]string{}
	for k, v := range g.Params {
		if _, known := engineParams[k]; known && forKind(k, engine) {
			out[k] = v
		}
	}
	return out, nil
}

func (g paramGroupRec) describeCluster() *rdsapi.DBClusterParameterGroup {
	return &rdsapi.DBClusterParameterGroup{DBClusterParameterGroupName: ptr.To(g.Name), DBParameterGroupFamily: ptr.To(g.Family),
		Description: ptr.To(g.Description), DBClusterParameterGroupArn: ptr.To(g.ARN)}
}

// CreateDBClusterParameterGroup creates a cluster parameter group.
func (s *RDS) CreateDBClusterParameterGroup(ctx *request.Context, in *rdsapi.CreateDBClusterParameterGroupInput) (*rdsapi.CreateDBClusterParameterGroupOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBClusterParameterGroupName))
	fam := ptr.Deref(in.DBParameterGroupFamily)
	if !validClusterFamily(fam) {
		return nil, awserr.InvalidParameterValue.New("ParameterGroupFamily %s is not a valid parameter group family", fam)
	}
	if !validIdentifier(name) {
		return nil, awserr.InvalidParameterValue.New("The parameter DBClusterParameterGroupName is not a valid identifier.")
	}
	g := paramGroupRec{Name: name, ARN: arn(ctx, "cluster-pg", name), Family: fam, Description: ptr.Deref(in.Description), Tags: in.Tags, Params: map[string]string{}}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := clusterParamGroups.Get(tx, scope(ctx), name); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBParameterGroupAlreadyExistsFault.New("Parameter group %s already exists", name)
		}
		return clusterParamGroups.Put(tx, scope(ctx), g, name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBClusterParameterGroupOutput{DBClusterParameterGroup: g.describeCluster()}, nil
}

// DescribeDBClusterParameterGroups lists cluster parameter groups.
func (s *RDS) DescribeDBClusterParameterGroups(ctx *request.Context, in *rdsapi.DescribeDBClusterParameterGroupsInput) (*rdsapi.DescribeDBClusterParameterGroupsOutput, error) {
	page, marker, err := s.describeGroups(ctx, clusterParams, in.DBClusterParameterGroupName, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBClusterParameterGroupsOutput{Marker: marker, DBClusterParameterGroups: []rdsapi.DBClusterParameterGroup{}}
	for _, g := range page {
		out.DBClusterParameterGroups = append(out.DBClusterParameterGroups, *g.describeCluster())
	}
	return out, nil
}

// ModifyDBClusterParameterGroup sets parameters; the cluster's server
// takes them at its next reboot.
func (s *RDS) ModifyDBClusterParameterGroup(ctx *request.Context, in *rdsapi.ModifyDBClusterParameterGroupInput) (*rdsapi.ModifyDBClusterParameterGroupOutput, error) {
	name, err := s.modifyGroup(ctx, clusterParams, in.DBClusterParameterGroupName, in.Parameters)
	if err != nil {
		return nil, err
	}
	return &rdsapi.ModifyDBClusterParameterGroupOutput{DBClusterParameterGroupName: ptr.To(name)}, nil
}

// DescribeDBClusterParameters lists the parameters niwa applies.
func (s *RDS) DescribeDBClusterParameters(ctx *request.Context, in *rdsapi.DescribeDBClusterParametersInput) (*rdsapi.DescribeDBClusterParametersOutput, error) {
	page, marker, err := s.describeParams(ctx, clusterParams, in.DBClusterParameterGroupName, in.Source, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBClusterParametersOutput{Parameters: page, Marker: marker}, nil
}

// DeleteDBClusterParameterGroup deletes a cluster parameter group no
// cluster uses.
func (s *RDS) DeleteDBClusterParameterGroup(ctx *request.Context, in *rdsapi.DeleteDBClusterParameterGroupInput) (*rdsapi.DeleteDBClusterParameterGroupOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBClusterParameterGroupName))
	if strings.HasPrefix(name, "default.") {
		return nil, rdsapi.ErrInvalidDBParameterGroupStateFault.New("Default parameter group cannot be deleted")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		inUse := false
		err := clusters.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, c clusterRec) bool {
			inUse = c.ParamGroup == name || c.PendingParamGroup == name
			return !inUse
		})
		if err != nil {
			return err
		}
		if inUse {
			return rdsapi.ErrInvalidDBParameterGroupStateFault.New("One or more database clusters are still members of this parameter group %s, so the group cannot be deleted", name)
		}
		ok, err := clusterParamGroups.DeleteExisting(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBParameterGroupNotFoundFault.New("DBClusterParameterGroup not found: %s", ptr.Deref(in.DBClusterParameterGroupName))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteDBClusterParameterGroupOutput{}, nil
}
