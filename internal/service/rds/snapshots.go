package rds

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// snapshotRec is a DB snapshot: a logical dump of every database of the
// instance, in a file under niwa's state.
type snapshotRec struct {
	ID, ARN, ResourceID, Instance string
	Type                          string // manual or automated
	Engine, EngineVersion, Master string
	Class, DBName                 string
	Port, AllocatedStorage        int32
	AZ, StorageType               string
	Created, InstanceCreated      time.Time
	Path                          string
	Tags                          []rdsapi.Tag
	SourceSnapshot                string
	// Password is the master password when the snapshot was taken: a
	// restore's master user has it (the dump carries the user).
	Password string
}

const snapshotTime = time.Minute

// snapshot dumps r's databases into a new snapshot named id.
func (s *RDS) snapshot(tx storage.Tx, ctx *request.Context, r instanceRec, id, typ string, tags []rdsapi.Tag) error {
	key := strings.ToLower(id)
	if _, ok, err := snapshots.Get(tx, scope(ctx), key); err != nil {
		return err
	} else if ok {
		return rdsapi.ErrDBSnapshotAlreadyExistsFault.New("Cannot create the snapshot because a snapshot with the identifier %s already exists.", id)
	}
	srv, err := s.waitServer(ctx, r.ResourceID)
	if err != nil || srv == nil {
		return rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not in available state.", r.ID)
	}
	sr := snapshotRec{ID: key, ARN: arn(ctx, "snapshot", key), ResourceID: awsid.UUID(), Instance: r.ID, Type: typ,
		Engine: r.Engine, EngineVersion: r.EngineVersion, Master: r.MasterUsername, Class: r.Class, DBName: r.DBName,
		Port: defaultPort(r.Engine), AllocatedStorage: r.AllocatedStorage, AZ: r.AvailabilityZone, StorageType: r.StorageType,
		Created: now(ctx), InstanceCreated: r.Created, Tags: tags, Password: r.Password}
	sr.Path = s.snapshotPath(sr.ResourceID)
	if err := os.MkdirAll(filepath.Dir(sr.Path), 0o755); err != nil {
		return err
	}
	if err := srv.Dump(ctx, sr.Path); err != nil {
		return err
	}
	if err := snapshots.Put(tx, scope(ctx), sr, key); err != nil {
		return err
	}
	return s.addEvent(tx, ctx.Account, ctx.Region, key, "db-snapshot", "creation", "Creating manual snapshot", now(ctx))
}

// automatedSnapshot takes the instance's first automated snapshot (the
// backing-up step after creation) when its server runs.
func (s *RDS) automatedSnapshot(tx storage.Tx, r *instanceRec, at time.Time) error {
	r.AutomatedDone = true
	srv, _, err := s.server(r.ResourceID)
	if err != nil || srv == nil {
		return nil
	}
	id := "rds:" + r.ID + "-" + at.Format("2006-01-02-15-04")
	sc := storage.Scope{Account: r.Account, Region: r.Region}
	sr := snapshotRec{ID: id, ARN: "arn:aws:rds:" + r.Region + ":" + r.Account + ":snapshot:" + id, ResourceID: awsid.UUID(),
		Instance: r.ID, Type: "automated", Engine: r.Engine, EngineVersion: r.EngineVersion, Master: r.MasterUsername,
		Class: r.Class, DBName: r.DBName, Port: defaultPort(r.Engine), AllocatedStorage: r.AllocatedStorage, AZ: r.AvailabilityZone,
		StorageType: r.StorageType, Created: at, InstanceCreated: r.Created, Password: r.Password}
	sr.Path = s.snapshotPath(sr.ResourceID)
	if err := os.MkdirAll(filepath.Dir(sr.Path), 0o755); err != nil {
		return err
	}
	if err := srv.Dump(s.ctx, sr.Path); err != nil {
		s.log.Error("rds: automated snapshot", "id", r.ID, "err", err)
		return nil
	}
	return snapshots.Put(tx, sc, sr, id)
}

// deleteAutomated drops an instance's automated snapshots (deleted with
// the instance unless retained).
func (s *RDS) deleteAutomated(tx storage.Tx, ctx *request.Context, instance string) error {
	var gone []snapshotRec
	err := snapshots.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, sr snapshotRec) bool {
		if sr.Type == "automated" && sr.Instance == instance {
			gone = append(gone, sr)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, sr := range gone {
		if err := snapshots.Delete(tx, scope(ctx), sr.ID); err != nil {
			return err
		}
		_ = os.Remove(sr.Path)
	}
	return nil
}

func (s *RDS) describeSnapshot(sr snapshotRec, at time.Time) rdsapi.DBSnapshot {
	status := "available"
	if at.Before(sr.Created.Add(snapshotTime)) {
		status = "creating"
	}
	out := rdsapi.DBSnapshot{
		DBSnapshotIdentifier: ptr.To(sr.ID), DBSnapshotArn: ptr.To(sr.ARN), DBInstanceIdentifier: ptr.To(sr.Instance),
		SnapshotCreateTime: ptr.To(sr.Created), OriginalSnapshotCreateTime: ptr.To(sr.Created), Engine: ptr.To(sr.Engine),
		EngineVersion: ptr.To(sr.EngineVersion), AllocatedStorage: ptr.To(sr.AllocatedStorage), Status: ptr.To(status),
		Port: ptr.To(sr.Port), AvailabilityZone: ptr.To(sr.AZ), InstanceCreateTime: ptr.To(sr.InstanceCreated),
		MasterUsername: ptr.To(sr.Master), SnapshotType: ptr.To(sr.Type), LicenseModel: ptr.To(licenseOf(sr.Engine)),
		StorageType: ptr.To(sr.StorageType), Encrypted: ptr.To(false), PercentProgress: ptr.To(int32(100)),
		DbiResourceId: ptr.To(sr.ResourceID), TagList: sr.Tags, SnapshotTarget: ptr.To("region"),
		IAMDatabaseAuthenticationEnabled: ptr.To(false),
	}
	if status == "creating" {
		out.PercentProgress = ptr.To(int32(0))
	}
	if out.TagList == nil {
		out.TagList = []rdsapi.Tag{}
	}
	if sr.SourceSnapshot != "" {
		out.SourceDBSnapshotIdentifier = ptr.To(sr.SourceSnapshot)
	}
	return out
}

// CreateDBSnapshot dumps the instance's databases.
func (s *RDS) CreateDBSnapshot(ctx *request.Context, in *rdsapi.CreateDBSnapshotInput) (*rdsapi.CreateDBSnapshotOutput, error) {
	id := ptr.Deref(in.DBSnapshotIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBSnapshotIdentifier")
	}
	var out rdsapi.DBSnapshot
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := s.load(tx, ctx, ptr.Deref(in.DBInstanceIdentifier))
		if err != nil {
			return err
		}
		if err := refuseMember(r, "snapshot"); err != nil {
			return err
		}
		if r.Status != "available" {
			return rdsapi.ErrInvalidDBInstanceStateFault.New("Cannot create a snapshot because the database instance %s is not currently in the available state.", r.ID)
		}
		if err := s.snapshot(tx, ctx, r, id, "manual", in.Tags); err != nil {
			return err
		}
		sr, _, err := snapshots.Get(tx, scope(ctx), strings.ToLower(id))
		out = s.describeSnapshot(sr, now(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBSnapshotOutput{DBSnapshot: &out}, nil
}

// DescribeDBSnapshots lists snapshots.
func (s *RDS) DescribeDBSnapshots(ctx *request.Context, in *rdsapi.DescribeDBSnapshotsInput) (*rdsapi.DescribeDBSnapshotsOutput, error) {
	id := ptr.Deref(in.DBSnapshotIdentifier)
	recs, err := oneOrAll(s, ctx, snapshots, strings.ToLower(id), id != "",
		func() error { return rdsapi.ErrDBSnapshotNotFoundFault.New("DBSnapshot %s not found.", id) })
	if err != nil {
		return nil, err
	}
	var kept []snapshotRec
	for _, sr := range recs {
		if i := strings.ToLower(ptr.Deref(in.DBInstanceIdentifier)); i != "" && sr.Instance != i {
			continue
		}
		if t := ptr.Deref(in.SnapshotType); t != "" && sr.Type != t {
			continue
		}
		if ok, err := snapshotFilters(sr, in.Filters); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		kept = append(kept, sr)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].ID < kept[j].ID })
	page, marker, err := paginate(kept, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBSnapshotsOutput{Marker: marker, DBSnapshots: []rdsapi.DBSnapshot{}}
	for _, sr := range page {
		out.DBSnapshots = append(out.DBSnapshots, s.describeSnapshot(sr, now(ctx)))
	}
	return out, nil
}

func snapshotFilters(sr snapshotRec, filters []rdsapi.Filter) (bool, error) {
	for _, f := range filters {
		var v string
		switch ptr.Deref(f.Name) {
		case "db-instance-id":
			v = sr.Instance
		case "db-snapshot-id":
			v = sr.ID
		case "snapshot-type":
			v = sr.Type
		case "engine":
			v = sr.Engine
		case "dbi-resource-id":
			v = sr.ResourceID
		default:
			return false, awserr.InvalidParameterValue.New("Unrecognized filter name: %s", ptr.Deref(f.Name))
		}
		ok := false
		for _, w := range f.Values {
			ok = ok || w == v
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// DeleteDBSnapshot deletes a manual snapshot and its dump.
func (s *RDS) DeleteDBSnapshot(ctx *request.Context, in *rdsapi.DeleteDBSnapshotInput) (*rdsapi.DeleteDBSnapshotOutput, error) {
	id := strings.ToLower(ptr.Deref(in.DBSnapshotIdentifier))
	var out rdsapi.DBSnapshot
	var path string
	err := s.store.Update(func(tx storage.Tx) error {
		sr, ok, err := snapshots.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBSnapshotNotFoundFault.New("DBSnapshot %s not found.", ptr.Deref(in.DBSnapshotIdentifier))
		}
		if sr.Type == "automated" {
			return rdsapi.ErrInvalidDBSnapshotStateFault.New("Only manual snapshots may be deleted.")
		}
		out = s.describeSnapshot(sr, now(ctx))
		out.Status = ptr.To("deleted")
		path = sr.Path
		return snapshots.Delete(tx, scope(ctx), id)
	})
	if err != nil {
		return nil, err
	}
	_ = os.Remove(path)
	return &rdsapi.DeleteDBSnapshotOutput{DBSnapshot: &out}, nil
}

// CopyDBSnapshot copies a snapshot's dump under a new identifier.
func (s *RDS) CopyDBSnapshot(ctx *request.Context, in *rdsapi.CopyDBSnapshotInput) (*rdsapi.CopyDBSnapshotOutput, error) {
	src := ptr.Deref(in.SourceDBSnapshotIdentifier)
	if i := strings.LastIndex(src, ":snapshot:"); i >= 0 {
		src = src[i+len(":snapshot:"):]
	}
	target := ptr.Deref(in.TargetDBSnapshotIdentifier)
	if !validIdentifier(target) {
		return nil, invalidIdentifier("TargetDBSnapshotIdentifier")
	}
	var out rdsapi.DBSnapshot
	err := s.store.Update(func(tx storage.Tx) error {
		sr, ok, err := snapshots.Get(tx, scope(ctx), strings.ToLower(src))
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBSnapshotNotFoundFault.New("DBSnapshot %s not found.", src)
		}
		key := strings.ToLower(target)
		if _, ok, err := snapshots.Get(tx, scope(ctx), key); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBSnapshotAlreadyExistsFault.New("Cannot create the snapshot because a snapshot with the identifier %s already exists.", target)
		}
		cp := sr
		cp.ID, cp.ARN, cp.ResourceID, cp.Type, cp.Created, cp.SourceSnapshot = key, arn(ctx, "snapshot", key), awsid.UUID(), "manual", now(ctx), sr.ARN
		cp.Tags = in.Tags
		if ptr.Deref(in.CopyTags) {
			cp.Tags = append(append([]rdsapi.Tag{}, sr.Tags...), in.Tags...)
		}
		cp.Path = s.snapshotPath(cp.ResourceID)
		if err := copyFile(sr.Path, cp.Path); err != nil {
			return err
		}
		out = s.describeSnapshot(cp, now(ctx))
		return snapshots.Put(tx, scope(ctx), cp, key)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CopyDBSnapshotOutput{DBSnapshot: &out}, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func removeAll(dir string) error { return os.RemoveAll(dir) }

// RestoreDBInstanceFromDBSnapshot makes a new instance whose server
// loads the snapshot's dump.
func (s *RDS) RestoreDBInstanceFromDBSnapshot(ctx *request.Context, in *rdsapi.RestoreDBInstanceFromDBSnapshotInput) (*rdsapi.RestoreDBInstanceFromDBSnapshotOutput, error) {
	id := ptr.Deref(in.DBInstanceIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBInstanceIdentifier")
	}
	var sr snapshotRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		sr, ok, err = snapshots.Get(tx, scope(ctx), strings.ToLower(ptr.Deref(in.DBSnapshotIdentifier)))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rdsapi.ErrDBSnapshotNotFoundFault.New("DBSnapshot %s not found.", ptr.Deref(in.DBSnapshotIdentifier))
	}
	class := sr.Class
	if c := ptr.Deref(in.DBInstanceClass); c != "" {
		class = c
	}
	if !classSupported(sr.Engine, class) {
		return nil, awserr.InvalidParameterCombination.New("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.", class, sr.Engine, sr.EngineVersion, licenseOf(sr.Engine))
	}
	r := instanceRec{
		Account: ctx.Account, Region: ctx.Region, ID: strings.ToLower(id), Engine: sr.Engine, EngineVersion: sr.EngineVersion,
		Class: class, MasterUsername: sr.Master, Password: sr.Password, DBName: sr.DBName,
		PubliclyAccessible: ptr.Deref(in.PubliclyAccessible), MultiAZ: ptr.Deref(in.MultiAZ),
		AllocatedStorage: sr.AllocatedStorage, BackupRetention: 1, StorageType: sr.StorageType, Tags: in.Tags,
		AvailabilityZone: sr.AZ, VpcSecurityGroups: in.VpcSecurityGroupIds, RestoreFrom: sr.Path,
		DeletionProtection: ptr.Deref(in.DeletionProtection),
	}
	return createInstance(s, ctx, r, sr.DBName, in.Port, ptr.Deref(in.DBSubnetGroupName), ptr.Deref(in.DBParameterGroupName), false,
		func(out *rdsapi.DBInstance) *rdsapi.RestoreDBInstanceFromDBSnapshotOutput {
			return &rdsapi.RestoreDBInstanceFromDBSnapshotOutput{DBInstance: out}
		})
}

// oneOrAll reads the record key of table when one is asked for (one
// true), answering notFound's error when it is missing, else every record
// of the caller's scope: what the Describe operations of snapshots share.
func oneOrAll[T any](s *RDS, ctx *request.Context, table storage.Table[T], key string, one bool, notFound func() error) ([]T, error) {
	var recs []T
	err := s.store.View(func(tx storage.Tx) error {
		if one {
			r, ok, err := table.Get(tx, scope(ctx), key)
			if err != nil {
				return err
			}
			if !ok {
				return notFound()
			}
			recs = append(recs, r)
			return nil
		}
		return table.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r T) bool {
			recs = append(recs, r)
			return true
		})
	})
	return recs, err
}
