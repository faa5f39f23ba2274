package rds

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// instanceRec is a DB instance as stored.
type instanceRec struct {
	Account, Region                   string
	ID, ARN, ResourceID               string
	Engine, EngineVersion, Class      string
	MasterUsername, Password, DBName  string
	SecretARN                         string
	Port                              int32
	Address                           string
	SubnetGroup                       string
	VpcSecurityGroups                 []string
	ParamGroup                        string
	Params                            map[string]string
	PubliclyAccessible, MultiAZ       bool
	AllocatedStorage, BackupRetention int32
	StorageType                       string
	DeletionProtection                bool
	Status                            string
	Created, StatusSince, StoppedAt   time.Time
	PendingClass, PendingPassword     string
	PendingStorage                    int32
	PendingParamGroup                 string
	Tags                              []rdsapi.Tag
	RestoreFrom                       string
	AutomatedDone                     bool
	AvailabilityZone                  string
	IAMAuth                           bool
	// ReplicaOf is the source of a read replica.
	ReplicaOf string
	// Replicas is filled for descriptions only.
	Replicas []string
	// AskedPort is the port the instance has on AWS (asked for, or the
	// engine's default); Port is where niwa listens when that one was
	// taken on the machine. Security group rules name AskedPort.
	AskedPort int32
	// Cluster is the Aurora cluster the instance is a member of; its
	// server is the cluster's (ClusterResourceID).
	Cluster, ClusterResourceID string
	PromotionTier              int32
}

// serverKey is the key of the server that serves r: its own, or its
// cluster's.
func (r instanceRec) serverKey() string {
	if r.ClusterResourceID != "" {
		return r.ClusterResourceID
	}
	return r.ResourceID
}

// runs reports whether the instance's server should be up.
func (r instanceRec) runs() bool {
	switch r.Status {
	case "stopped", "stopping", "failed", "deleting":
		return false
	}
	return true
}

// Durations of the lifecycle on the clock (AWS takes minutes).
const (
	createTime   = 4 * time.Minute
	backupTime   = time.Minute
	modifyTime   = time.Minute
	rebootTime   = time.Minute
	stopTime     = time.Minute
	startTime    = 2 * time.Minute
	autoStartAge = 7 * 24 * time.Hour
)

// advance moves r along its lifecycle to the clock's now, given its
// server's progress; it reports whether r changed.
func (s *RDS) advance(tx storage.Tx, r *instanceRec, at time.Time) (bool, error) {
	changed := false
	for {
		_, ready, err := s.server(r.serverKey())
		next := ""
		switch r.Status {
		case "creating":
			if err != nil {
				next = "failed"
			} else if ready && !at.Before(r.StatusSince.Add(createTime)) {
				next = "available"
				if r.BackupRetention > 0 && !r.AutomatedDone {
					next = "backing-up"
				}
			}
		case "backing-up":
			if !at.Before(r.StatusSince.Add(backupTime)) {
				if err := s.automatedSnapshot(tx, r, at); err != nil {
					return changed, err
				}
				next = "available"
			}
		case "modifying", "rebooting":
			d := modifyTime
			if r.Status == "rebooting" {
				d = rebootTime
			}
			if err != nil {
				next = "failed"
			} else if ready && !at.Before(r.StatusSince.Add(d)) {
				next = "available"
			}
		case "starting":
			if err != nil {
				next = "failed"
			} else if ready && !at.Before(r.StatusSince.Add(startTime)) {
				next = "available"
			}
		case "available":
			// A server that could not start again (niwa restarted and its
			// port is taken, the engine was removed) fails the instance.
			if err != nil {
				next = "failed"
			}
		case "stopping":
			if !at.Before(r.StatusSince.Add(stopTime)) {
				next = "stopped"
			}
		case "stopped":
			// AWS starts an instance stopped for seven days.
			if !at.Before(r.StoppedAt.Add(autoStartAge)) {
				next = "starting"
				s.startServer(*r)
				if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "notification",
					"DB instance is being started due to it exceeding the maximum allowed time being stopped.", at); err != nil {
					return changed, err
				}
			}
		}
		if next == "" {
			return changed, nil
		}
		if next == "failed" {
			msg := "Database instance failed to start: " + err.Error()
			if strings.Contains(err.Error(), "not installed") {
				msg = "Database instance could not be created: the engine's server is not installed on this machine; install the Debian package " +
					kindOf(r.Engine).Package() + " and create the instance again."
			}
			if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "failure", msg, at); err != nil {
				return changed, err
			}
		}
		if next == "available" {
			msg := map[string]string{"creating": "DB instance created", "backing-up": "DB instance created",
				"starting": "DB instance started", "rebooting": "DB instance restarted", "modifying": "Finished applying modification to DB instance"}[r.Status]
			if msg != "" {
				if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "availability", msg, at); err != nil {
					return changed, err
				}
			}
		}
		if next == "stopped" {
			if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "notification", "DB instance stopped", at); err != nil {
				return changed, err
			}
		}
		since := r.StatusSince.Add(durationOf(r.Status))
		if r.Status == "stopped" {
			since = r.StoppedAt.Add(autoStartAge) // when RDS started it
		}
		if since.After(at) || since.IsZero() {
			since = at
		}
		r.Status, r.StatusSince, changed = next, since, true
	}
}

func durationOf(status string) time.Duration {
	switch status {
	case "creating":
		return createTime
	case "backing-up":
		return backupTime
	case "modifying":
		return modifyTime
	case "rebooting":
		return rebootTime
	case "starting":
		return startTime
	case "stopping":
		return stopTime
	}
	return 0
}

// load reads an instance, moved along its lifecycle (and stored when it
// moved).
func (s *RDS) load(tx storage.Tx, ctx *request.Context, id string) (instanceRec, error) {
	return loadMoved(tx, ctx, instances, id, func() error { return rdsapi.ErrDBInstanceNotFoundFault.New("DBInstance %s not found.", id) },
		func(r *instanceRec) (bool, error) { return s.advance(tx, r, now(ctx)) })
}

// loadMoved reads the record of an instance or cluster (keyed by
// account, region and lowercase id), moved along its lifecycle by
// advance, and stores it when it moved; notFound is the error for none.
func loadMoved[T any](tx storage.Tx, ctx *request.Context, table storage.Table[T], id string, notFound func() error, advance func(*T) (bool, error)) (T, error) {
	key := strings.ToLower(id)
	v, ok, err := table.Get(tx, anywhere, ctx.Account, ctx.Region, key)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, notFound()
	}
	changed, err := advance(&v)
	if err != nil {
		return v, err
	}
	if changed {
		if err := table.Put(tx, anywhere, v, ctx.Account, ctx.Region, key); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (s *RDS) put(tx storage.Tx, r instanceRec) error {
	return instances.Put(tx, anywhere, r, r.Account, r.Region, r.ID)
}

// invalidIdentifier is RDS's error for a parameter that is not a valid
// identifier (see validIdentifier).
func invalidIdentifier(param string) error {
	return awserr.InvalidParameterValue.New("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", param)
}

// validIdentifier is RDS's rule for instance and snapshot identifiers.
func validIdentifier(id string) bool {
	if id == "" || len(id) > 63 || !unicode.IsLetter(rune(id[0])) || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func checkPassword(pw string) error {
	for _, c := range pw {
		if c < 0x21 || c > 0x7e || c == '/' || c == '@' || c == '"' {
			return awserr.InvalidParameterValue.New("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.")
		}
	}
	if len(pw) < 8 {
		return awserr.InvalidParameterValue.New("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
	}
	if len(pw) > 41 {
		return awserr.InvalidParameterValue.New("The parameter MasterUserPassword is not a valid password because it is longer than 41 characters.")
	}
	return nil
}

func checkUsername(engine, u string) error {
	ok := u != "" && len(u) <= 16 && unicode.IsLetter(rune(u[0]))
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			ok = false
		}
	}
	if kindOf(engine) == dbengine.Postgres && len(u) > 63 {
		ok = false
	}
	if !ok {
		return awserr.InvalidParameterValue.New("The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must not be a reserved word.")
	}
	reserved := map[string]bool{"root": true, "mysql": true, "mariadb.sys": true}
	if kindOf(engine) == dbengine.Postgres {
		reserved = map[string]bool{"postgres": true, "rdsadmin": true}
	}
	if reserved[strings.ToLower(u)] {
		return awserr.InvalidParameterValue.New("MasterUsername %s cannot be used as it is a reserved word used by the engine", u)
	}
	return nil
}

// pickPort is an endpoint's port: the one asked for when it is free on
// 127.0.0.1 and not already handed out, otherwise a free one (every
// endpoint listens on the same host, so two cannot share 3306). Ports
// handed out are remembered: an instance's front binds its port only
// once the request is answered, and a second create in between must
// not be given the same one.
func (s *RDS) pickPort(want int32) (int32, error) {
	s.portMu.Lock()
	defer s.portMu.Unlock()
	if want > 0 && !s.ports[want] {
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(int(want))); err == nil {
			_ = l.Close()
			s.ports[want] = true
			return want, nil
		}
	}
	for range 100 {
		p, err := dbengine.FreePort()
		if err != nil {
			return 0, err
		}
		if !s.ports[int32(p)] {
			s.ports[int32(p)] = true
			return int32(p), nil
		}
	}
	return 0, rdsError("rds: no free port")
}

// CreateDBInstance creates an instance and starts its server.
func (s *RDS) CreateDBInstance(ctx *request.Context, in *rdsapi.CreateDBInstanceInput) (*rdsapi.CreateDBInstanceOutput, error) {
	if ptr.Deref(in.DBClusterIdentifier) != "" {
		return s.createMember(ctx, in)
	}
	id := ptr.Deref(in.DBInstanceIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBInstanceIdentifier")
	}
	engine := strings.ToLower(ptr.Deref(in.Engine))
	if isAurora(engine) {
		return nil, awserr.InvalidParameterCombination.New("The DBClusterIdentifier parameter is required to create a DB instance with the %s engine: create the DB cluster first (CreateDBCluster).", engine)
	}
	ev, err := resolveVersion(engine, ptr.Deref(in.EngineVersion))
	if err != nil {
		return nil, err
	}
	class := ptr.Deref(in.DBInstanceClass)
	if !classSupported(engine, class) {
		return nil, awserr.InvalidParameterCombination.New("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.", class, engine, ev, licenseOf(engine))
	}
	user, pw, managed, err := s.masterCredentials(engine, in.MasterUsername, in.MasterUserPassword, in.ManageMasterUserPassword)
	if err != nil {
		return nil, err
	}
	storageGiB := ptr.Deref(in.AllocatedStorage)
	if storageGiB == 0 {
		storageGiB = 20
	}
	if storageGiB < 20 || storageGiB > 65536 {
		return nil, awserr.InvalidParameterValue.New("Invalid storage size for engine name %s and storage type %s: %d", engine, storageTypeOr(in.StorageType), storageGiB)
	}
	retention := int32(1)
	if in.BackupRetentionPeriod != nil {
		retention = *in.BackupRetentionPeriod
	}
	if retention < 0 || retention > 35 {
		return nil, awserr.InvalidParameterValue.New("The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	if in.Port != nil && (*in.Port < 1150 || *in.Port > 65535) {
		return nil, awserr.InvalidParameterValue.New("Invalid port %d. Valid port range is 1150-65535.", *in.Port)
	}
	dbName := ptr.Deref(in.DBName)
	if kindOf(engine) == dbengine.Postgres && dbName == "" {
		dbName = "postgres"
	}
	r := instanceRec{
		Account: ctx.Account, Region: ctx.Region, ID: strings.ToLower(id), Engine: engine, EngineVersion: ev, Class: class,
		MasterUsername: user, Password: pw, DBName: ptr.Deref(in.DBName),
		PubliclyAccessible: ptr.Deref(in.PubliclyAccessible), MultiAZ: ptr.Deref(in.MultiAZ),
		AllocatedStorage: storageGiB, BackupRetention: retention, StorageType: storageTypeOr(in.StorageType),
		DeletionProtection: ptr.Deref(in.DeletionProtection), Tags: in.Tags,
		AvailabilityZone: ptr.Deref(in.AvailabilityZone), IAMAuth: ptr.Deref(in.EnableIAMDatabaseAuthentication),
		VpcSecurityGroups: in.VpcSecurityGroupIds,
	}
	if r.AvailabilityZone == "" {
		r.AvailabilityZone = ctx.Region + "a"
	}
	return createInstance(s, ctx, r, dbName, in.Port, ptr.Deref(in.DBSubnetGroupName), ptr.Deref(in.DBParameterGroupName), managed,
		func(out *rdsapi.DBInstance) *rdsapi.CreateDBInstanceOutput {
			return &rdsapi.CreateDBInstanceOutput{DBInstance: out}
		})
}

func createInstance[O any](s *RDS, ctx *request.Context, r instanceRec, serverDB string, port *int32, subnetGroup, paramGroup string, managed bool, wrap func(*rdsapi.DBInstance) *O) (*O, error) {
	want := defaultPort(r.Engine)
	if port != nil {
		want = *port
	}
	p, err := s.pickPort(want)
	if err != nil {
		return nil, err
	}
	at := now(ctx)
	r.Port, r.AskedPort, r.ResourceID = p, want, "db-"+awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 26)
	r.ARN = arn(ctx, "db", r.ID)
	r.Address = endpointHost(ctx.Account, ctx.Region, r.ID)
	r.Status, r.Created, r.StatusSince = "creating", at, at
	r.DBName = serverDBName(r, serverDB)
	if paramGroup == "" {
		paramGroup = "default." + family(r.Engine, r.EngineVersion)
	}
	r.ParamGroup = paramGroup
	var out *rdsapi.DBInstance
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := instances.Get(tx, anywhere, ctx.Account, ctx.Region, r.ID); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBInstanceAlreadyExistsFault.New("DB instance already exists")
		}
		if subnetGroup != "" {
			g, err := loadSubnetGroup(tx, ctx, subnetGroup)
			if err != nil {
				return err
			}
			r.SubnetGroup = g.Name
			if len(g.Subnets) > 0 && r.AvailabilityZone == ctx.Region+"a" {
				r.AvailabilityZone = g.Subnets[0].AZ
			}
		}
		params, err := s.groupParams(tx, ctx, paramGroup, r.Engine, r.EngineVersion)
		if err != nil {
			return err
		}
		r.Params = params
		if r.ReplicaOf != "" {
			if r.Params == nil {
				r.Params = map[string]string{}
			}
			for k, v := range readOnlyParams(r.Engine) {
				r.Params[k] = v
			}
		}
		if managed {
			arn, err := s.secrets.CreateSecret(ctx, "rds!"+strings.ToLower(r.ResourceID),
				`{"username":`+strconv.Quote(r.MasterUsername)+`,"password":`+strconv.Quote(r.Password)+`}`)
			if err != nil {
				return err
			}
			r.SecretARN = arn
		}
		if err := s.put(tx, r); err != nil {
			return err
		}
		if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "creation", "DB instance created", at); err != nil {
			return err
		}
		out = s.describe(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.startServer(r)
	return wrap(out), nil
}

// serverDBName is the database the server creates: DBName, or
// PostgreSQL's default postgres (which always exists).
func serverDBName(r instanceRec, db string) string {
	if db == "postgres" {
		return ""
	}
	return db
}

func defaultPort(engine string) int32 {
	if kindOf(engine) == dbengine.Postgres {
		return 5432
	}
	return 3306
}

func storageTypeOr(t *string) string {
	if t == nil || *t == "" {
		return "gp2"
	}
	return *t
}

// describe is r as DescribeDBInstances answers it.
func (s *RDS) describe(r instanceRec) *rdsapi.DBInstance {
	out := &rdsapi.DBInstance{
		DBInstanceIdentifier: ptr.To(r.ID), DBInstanceArn: ptr.To(r.ARN), DbiResourceId: ptr.To(r.ResourceID),
		DBInstanceClass: ptr.To(r.Class), Engine: ptr.To(r.Engine), EngineVersion: ptr.To(r.EngineVersion),
		DBInstanceStatus: ptr.To(r.Status), MasterUsername: ptr.To(r.MasterUsername),
		AllocatedStorage: ptr.To(r.AllocatedStorage), StorageType: ptr.To(r.StorageType),
		BackupRetentionPeriod: ptr.To(r.BackupRetention), MultiAZ: ptr.To(r.MultiAZ),
		PubliclyAccessible: ptr.To(r.PubliclyAccessible), AvailabilityZone: ptr.To(r.AvailabilityZone),
		DbInstancePort: ptr.To(int32(0)), LicenseModel: ptr.To(licenseOf(r.Engine)),
		PreferredBackupWindow: ptr.To("03:00-03:30"), PreferredMaintenanceWindow: ptr.To("sun:04:00-sun:04:30"),
		AutoMinorVersionUpgrade: ptr.To(true), CopyTagsToSnapshot: ptr.To(false), StorageEncrypted: ptr.To(false),
		DeletionProtection: ptr.To(r.DeletionProtection), IAMDatabaseAuthenticationEnabled: ptr.To(r.IAMAuth),
		CACertificateIdentifier: ptr.To("rds-ca-rsa2048-g1"), MonitoringInterval: ptr.To(int32(0)),
		NetworkType: ptr.To("IPV4"), TagList: r.Tags, PerformanceInsightsEnabled: ptr.To(false),
		ReadReplicaDBInstanceIdentifiers: r.Replicas,
		DBParameterGroups:                []rdsapi.DBParameterGroupStatus{{DBParameterGroupName: ptr.To(r.ParamGroup), ParameterApplyStatus: ptr.To(applyStatus(r))}},
		OptionGroupMemberships:           []rdsapi.OptionGroupMembership{{OptionGroupName: ptr.To("default:" + strings.ReplaceAll(family(r.Engine, r.EngineVersion), ".", "-")), Status: ptr.To("in-sync")}},
	}
	if r.Cluster != "" {
		out.DBClusterIdentifier = ptr.To(r.Cluster)
		out.PromotionTier = ptr.To(r.PromotionTier)
		out.StorageType = ptr.To("aurora")
	}
	if r.ReplicaOf != "" {
		out.ReadReplicaSourceDBInstanceIdentifier = ptr.To(r.ReplicaOf)
	}
	if out.ReadReplicaDBInstanceIdentifiers == nil {
		out.ReadReplicaDBInstanceIdentifiers = []string{}
	}
	if r.TagList() == nil {
		out.TagList = []rdsapi.Tag{}
	}
	if r.DBName != "" {
		out.DBName = ptr.To(r.DBName)
	} else if kindOf(r.Engine) == dbengine.Postgres {
		out.DBName = ptr.To("postgres")
	}
	if r.Status != "creating" && r.Status != "failed" {
		out.Endpoint = &rdsapi.Endpoint{Address: ptr.To(r.Address), Port: ptr.To(r.Port), HostedZoneId: ptr.To(hostedZoneID)}
		out.InstanceCreateTime = ptr.To(r.Created)
		if r.BackupRetention > 0 {
			out.LatestRestorableTime = ptr.To(r.StatusSince)
		}
	}
	if r.Status == "stopped" {
		out.AutomaticRestartTime = ptr.To(r.StoppedAt.Add(autoStartAge))
	}
	for _, g := range r.VpcSecurityGroups {
		out.VpcSecurityGroups = append(out.VpcSecurityGroups, rdsapi.VpcSecurityGroupMembership{VpcSecurityGroupId: ptr.To(g), Status: ptr.To("active")})
	}
	if out.VpcSecurityGroups == nil {
		out.VpcSecurityGroups = []rdsapi.VpcSecurityGroupMembership{}
	}
	if r.SubnetGroup != "" {
		out.DBSubnetGroup = &rdsapi.DBSubnetGroup{DBSubnetGroupName: ptr.To(r.SubnetGroup), SubnetGroupStatus: ptr.To("Complete")}
	}
	if r.SecretARN != "" {
		out.MasterUserSecret = &rdsapi.MasterUserSecret{SecretArn: ptr.To(r.SecretARN), SecretStatus: ptr.To("active")}
	}
	p := rdsapi.PendingModifiedValues{}
	if r.PendingClass != "" {
		p.DBInstanceClass = ptr.To(r.PendingClass)
	}
	if r.PendingPassword != "" {
		p.MasterUserPassword = ptr.To("****")
	}
	if r.PendingStorage != 0 {
		p.AllocatedStorage = ptr.To(r.PendingStorage)
	}
	out.PendingModifiedValues = &p
	return out
}

func (r instanceRec) TagList() []rdsapi.Tag { return r.Tags }

func applyStatus(r instanceRec) string {
	if r.PendingParamGroup != "" {
		return "pending-reboot"
	}
	return "in-sync"
}

// DescribeDBInstances lists instances, filtered and paged.
func (s *RDS) DescribeDBInstances(ctx *request.Context, in *rdsapi.DescribeDBInstancesInput) (*rdsapi.DescribeDBInstancesOutput, error) {
	var recs []instanceRec
	err := s.store.Update(func(tx storage.Tx) error {
		if id := ptr.Deref(in.DBInstanceIdentifier); id != "" {
			r, err := s.load(tx, ctx, id)
			if err != nil {
				return err
			}
			if r.Replicas, err = replicasOf(tx, r); err != nil {
				return err
			}
			recs = append(recs, r)
			return nil
		}
		var ids []string
		err := instances.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(k []string, _ instanceRec) bool {
			ids = append(ids, k[len(k)-1])
			return true
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := s.load(tx, ctx, id)
			if err != nil {
				return err
			}
			if r.Replicas, err = replicasOf(tx, r); err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	recs, err = filterInstances(recs, in.Filters)
	if err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	page, marker, err := paginate(recs, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBInstancesOutput{Marker: marker, DBInstances: []rdsapi.DBInstance{}}
	for _, r := range page {
		out.DBInstances = append(out.DBInstances, *s.describe(r))
	}
	return out, nil
}

func filterInstances(recs []instanceRec, filters []rdsapi.Filter) ([]instanceRec, error) {
	for _, f := range filters {
		name := ptr.Deref(f.Name)
		get := map[string]func(instanceRec) string{
			"db-instance-id":  func(r instanceRec) string { return r.ID },
			"dbi-resource-id": func(r instanceRec) string { return r.ResourceID },
			"engine":          func(r instanceRec) string { return r.Engine },
			"db-cluster-id":   func(r instanceRec) string { return r.Cluster },
			"domain":          func(r instanceRec) string { return "" },
		}[name]
		if get == nil {
			return nil, awserr.InvalidParameterValue.New("Unrecognized filter name: %s", name)
		}
		var kept []instanceRec
		for _, r := range recs {
			for _, v := range f.Values {
				if get(r) == v || (name == "db-instance-id" && r.ARN == v) {
					kept = append(kept, r)
					break
				}
			}
		}
		recs = kept
	}
	return recs, nil
}

// paginateAll is paginate with an empty page as [] rather than nil (the
// list member present and empty, as AWS answers).
func paginateAll[T any](items []T, marker *string, max *int32) ([]T, *string, error) {
	page, next, err := paginate(items, marker, max)
	if err == nil && page == nil {
		page = []T{}
	}
	return page, next, err
}

// paginate pages items by an opaque marker (the index of the next one).
func paginate[T any](items []T, marker *string, max *int32) ([]T, *string, error) {
	n := 100
	if max != nil {
		if *max < 20 || *max > 100 {
			return nil, nil, awserr.InvalidParameterValue.New("Invalid value %d for MaxRecords. Must be between 20 and 100", *max)
		}
		n = int(*max)
	}
	start := 0
	if m := ptr.Deref(marker); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || v < 0 || v > len(items) {
			return nil, nil, awserr.InvalidParameterValue.New("Invalid marker: %s", m)
		}
		start = v
	}
	end := start + n
	if end >= len(items) {
		return items[start:], nil, nil
	}
	return items[start:end], ptr.To(strconv.Itoa(end)), nil
}

// transition loads an instance, checks its status allows the action and
// applies change.
func (s *RDS) transition(ctx *request.Context, id string, allowed []string, change func(tx storage.Tx, r *instanceRec) error) (*rdsapi.DBInstance, error) {
	var out *rdsapi.DBInstance
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := s.load(tx, ctx, id)
		if err != nil {
			return err
		}
		ok := false
		for _, a := range allowed {
			ok = ok || r.Status == a
		}
		if !ok {
			return rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not in available state.", r.ID)
		}
		if err := change(tx, &r); err != nil {
			return err
		}
		if err := s.put(tx, r); err != nil {
			return err
		}
		out = s.describe(r)
		return nil
	})
	return out, err
}

// StopDBInstance stops the server; AWS starts it again after 7 days.
func (s *RDS) StopDBInstance(ctx *request.Context, in *rdsapi.StopDBInstanceInput) (*rdsapi.StopDBInstanceOutput, error) {
	var resID string
	out, err := s.transition(ctx, ptr.Deref(in.DBInstanceIdentifier), []string{"available"}, func(tx storage.Tx, r *instanceRec) error {
		if err := refuseMember(*r, "stop"); err != nil {
			return err
		}
		if snap := ptr.Deref(in.DBSnapshotIdentifier); snap != "" {
			if err := s.snapshot(tx, ctx, *r, snap, "manual", nil); err != nil {
				return err
			}
		}
		r.Status, r.StatusSince, r.StoppedAt = "stopping", now(ctx), now(ctx)
		resID = r.ResourceID
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(resID)
	return &rdsapi.StopDBInstanceOutput{DBInstance: out}, nil
}

// StartDBInstance starts a stopped instance's server again.
func (s *RDS) StartDBInstance(ctx *request.Context, in *rdsapi.StartDBInstanceInput) (*rdsapi.StartDBInstanceOutput, error) {
	var rec instanceRec
	out, err := s.transition(ctx, ptr.Deref(in.DBInstanceIdentifier), []string{"stopped"}, func(tx storage.Tx, r *instanceRec) error {
		if err := refuseMember(*r, "start"); err != nil {
			return err
		}
		r.Status, r.StatusSince = "starting", now(ctx)
		rec = *r
		return nil
	})
	if err != nil {
		if rdsapi.ErrInvalidDBInstanceStateFault.Is(err) {
			return nil, rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not stopped, it cannot be started.", ptr.Deref(in.DBInstanceIdentifier))
		}
		return nil, err
	}
	s.startServer(rec)
	return &rdsapi.StartDBInstanceOutput{DBInstance: out}, nil
}

// RebootDBInstance restarts the server, applying pending parameter
// group changes.
func (s *RDS) RebootDBInstance(ctx *request.Context, in *rdsapi.RebootDBInstanceInput) (*rdsapi.RebootDBInstanceOutput, error) {
	var rec instanceRec
	out, err := s.transition(ctx, ptr.Deref(in.DBInstanceIdentifier), []string{"available"}, func(tx storage.Tx, r *instanceRec) error {
		if r.PendingParamGroup != "" {
			params, err := s.groupParams(tx, ctx, r.PendingParamGroup, r.Engine, r.EngineVersion)
			if err != nil {
				return err
			}
			r.ParamGroup, r.Params, r.PendingParamGroup = r.PendingParamGroup, params, ""
		}
		r.Status, r.StatusSince = "rebooting", now(ctx)
		rec = *r
		return s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "availability", "DB instance restarted", now(ctx))
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(rec.ResourceID)
	s.startServer(rec)
	return &rdsapi.RebootDBInstanceOutput{DBInstance: out}, nil
}

// ModifyDBInstance changes the password, class, allocated storage (only
// up, as on AWS) and parameter group, now (ApplyImmediately) or at the
// next maintenance (pending values).
func (s *RDS) ModifyDBInstance(ctx *request.Context, in *rdsapi.ModifyDBInstanceInput) (*rdsapi.ModifyDBInstanceOutput, error) {
	if in.MasterUserPassword != nil {
		if err := checkPassword(*in.MasterUserPassword); err != nil {
			return nil, err
		}
	}
	var rec instanceRec
	var newPassword string
	out, err := s.transition(ctx, ptr.Deref(in.DBInstanceIdentifier), []string{"available"}, func(tx storage.Tx, r *instanceRec) error {
		if c := ptr.Deref(in.DBInstanceClass); c != "" {
			if !classSupported(r.Engine, c) {
				return awserr.InvalidParameterCombination.New("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.", c, r.Engine, r.EngineVersion, licenseOf(r.Engine))
			}
			if ptr.Deref(in.ApplyImmediately) {
				r.Class = c
				r.Status, r.StatusSince = "modifying", now(ctx)
			} else {
				r.PendingClass = c
			}
		}
		if in.AllocatedStorage != nil {
			// RDS cannot shrink a volume: a smaller size is refused.
			n := *in.AllocatedStorage
			if n < r.AllocatedStorage || n > 65536 {
				return awserr.InvalidParameterValue.New("Invalid storage size for engine name %s and storage type %s: %d", r.Engine, storageTypeOr(&r.StorageType), n)
			}
			if n != r.AllocatedStorage {
				if ptr.Deref(in.ApplyImmediately) {
					r.AllocatedStorage, r.PendingStorage = n, 0
					r.Status, r.StatusSince = "modifying", now(ctx)
				} else {
					r.PendingStorage = n
				}
			}
		}
		if g := ptr.Deref(in.DBParameterGroupName); g != "" {
			if _, err := s.groupParams(tx, ctx, g, r.Engine, r.EngineVersion); err != nil {
				return err
			}
			// A new parameter group applies at the next reboot, as on AWS.
			r.PendingParamGroup = g
		}
		if in.MasterUserPassword != nil {
			if err := refuseMember(*r, "password"); err != nil {
				return err
			}
			// The password changes right away whatever ApplyImmediately
			// says (AWS's documented exception).
			newPassword = *in.MasterUserPassword
			r.Password = newPassword
			r.Status, r.StatusSince = "modifying", now(ctx)
		}
		if in.BackupRetentionPeriod != nil {
			r.BackupRetention = *in.BackupRetentionPeriod
		}
		if in.DeletionProtection != nil {
			r.DeletionProtection = *in.DeletionProtection
		}
		if in.PubliclyAccessible != nil {
			r.PubliclyAccessible = *in.PubliclyAccessible
		}
		if in.EnableIAMDatabaseAuthentication != nil {
			r.IAMAuth = *in.EnableIAMDatabaseAuthentication
		}
		if in.VpcSecurityGroupIds != nil {
			r.VpcSecurityGroups = in.VpcSecurityGroupIds
		}
		rec = *r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if newPassword != "" {
		if srv, err := s.waitServer(ctx, rec.ResourceID); err == nil && srv != nil {
			if err := srv.SetPassword(ctx, newPassword); err != nil {
				return nil, err
			}
		}
	}
	return &rdsapi.ModifyDBInstanceOutput{DBInstance: out}, nil
}

// DeleteDBInstance deletes an instance, with a final snapshot unless
// SkipFinalSnapshot.
func (s *RDS) DeleteDBInstance(ctx *request.Context, in *rdsapi.DeleteDBInstanceInput) (*rdsapi.DeleteDBInstanceOutput, error) {
	skip := ptr.Deref(in.SkipFinalSnapshot)
	final := ptr.Deref(in.FinalDBSnapshotIdentifier)
	if skip && final != "" {
		return nil, awserr.InvalidParameterCombination.New("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.")
	}
	var out *rdsapi.DBInstance
	var resID string
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := s.load(tx, ctx, ptr.Deref(in.DBInstanceIdentifier))
		if err != nil {
			if !skip && final == "" && rdsapi.ErrDBInstanceNotFoundFault.Is(err) {
				return awserr.InvalidParameterCombination.New("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
			}
			return err
		}
		// An Aurora instance keeps no data of its own: the cluster's
		// snapshots hold it, so no final snapshot is asked for.
		if r.Cluster != "" {
			if final != "" {
				return awserr.InvalidParameterCombination.New("FinalDBSnapshotIdentifier can not be specified when deleting a clustered instance")
			}
			if err := s.leaveCluster(tx, ctx, r); err != nil {
				return err
			}
		} else if !skip && final == "" {
			return awserr.InvalidParameterCombination.New("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
		}
		if r.DeletionProtection {
			return awserr.InvalidParameterCombination.New("Cannot delete protected DB Instance, please disable deletion protection and try again.")
		}
		if final != "" {
			if r.Status != "available" {
				return rdsapi.ErrInvalidDBInstanceStateFault.New("Instance %s is not in available state.", r.ID)
			}
			if err := s.snapshot(tx, ctx, r, final, "manual", nil); err != nil {
				return err
			}
		}
		if err := s.deleteAutomated(tx, ctx, r.ID); err != nil {
			return err
		}
		r.Status = "deleting"
		out = s.describe(r)
		resID = r.ResourceID
		if err := s.addEvent(tx, r.Account, r.Region, r.ID, "db-instance", "deletion", "DB instance deleted", now(ctx)); err != nil {
			return err
		}
		return instances.Delete(tx, anywhere, r.Account, r.Region, r.ID)
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(resID)
	_ = removeAll(s.instanceDir(resID))
	return &rdsapi.DeleteDBInstanceOutput{DBInstance: out}, nil
}

// pwAlphabet is what a managed master password is drawn from: printable
// ASCII without the characters RDS refuses.
const pwAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%^&*()_+-=[]{}|;:,.<>?~"

// masterCredentials checks a new instance's or cluster's master user
// and password, and makes the password Secrets Manager manages.
func (s *RDS) masterCredentials(engine string, username, password *string, manage *bool) (user, pw string, managed bool, err error) {
	user = ptr.Deref(username)
	if user == "" {
		return "", "", false, awserr.InvalidParameterValue.New("The parameter MasterUsername must be provided and must not be blank.")
	}
	if err := checkUsername(engine, user); err != nil {
		return "", "", false, err
	}
	managed = ptr.Deref(manage)
	pw = ptr.Deref(password)
	switch {
	case managed && password != nil:
		return "", "", false, awserr.InvalidParameterCombination.New("You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.")
	case managed:
		if s.secrets == nil {
			return "", "", false, awserr.InvalidParameterValue.New("ManageMasterUserPassword needs Secrets Manager, which this niwa does not run.")
		}
		pw = awsid.String(pwAlphabet, 32)
	case pw == "":
		return "", "", false, awserr.InvalidParameterValue.New("The parameter MasterUserPassword must be provided and must not be blank.")
	default:
		if err := checkPassword(pw); err != nil {
			return "", "", false, err
		}
	}
	return user, pw, managed, nil
}

// deleteWhere deletes the records of a table (keyed by account, region
// and name) in an account and region that match.
func deleteWhere[T any](tx storage.Tx, t storage.Table[T], account, region string, match func(T) bool) error {
	var names []string
	err := t.List(tx, anywhere, []string{account, region}, storage.ListOptions{}, func(k []string, v T) bool {
		if match(v) {
			names = append(names, k[len(k)-1])
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := t.Delete(tx, anywhere, account, region, n); err != nil {
			return err
		}
	}
	return nil
}
