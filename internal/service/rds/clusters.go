package rds

import (
	"sort"
	"strconv"
	"strings"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// An Aurora cluster in niwa is one real database server (the cluster
// volume): the writer instance and every reader are endpoints served by
// that server, so readers see the writer's data at once, as Aurora's
// shared storage makes them do. Instances (CreateDBInstance with
// DBClusterIdentifier) start no server of their own.

// clusterRec is a DB cluster as stored.
type clusterRec struct {
	Account, Region                 string
	ID, ARN, ResourceID             string
	Engine, EngineVersion, Mode     string
	MasterUsername, Password        string
	DBName, SecretARN               string
	Port                            int32
	Endpoint, ReaderEndpoint        string
	SubnetGroup                     string
	VpcSecurityGroups               []string
	ParamGroup, PendingParamGroup   string
	Params                          map[string]string
	Status                          string
	Created, StatusSince, StoppedAt time.Time
	BackupRetention                 int32
	DeletionProtection, IAMAuth     bool
	HTTPEndpoint, CopyTags          bool
	MinACU, MaxACU                  float64
	Scaling                         bool
	Tags                            []rdsapi.Tag
	RestoreFrom                     string
	AZs                             []string
	// Writer is the member instance that is the writer ("" without
	// members).
	Writer string
}

// clusterSnapRec is a DB cluster snapshot: a logical dump of the
// cluster volume.
type clusterSnapRec struct {
	ID, ARN, ResourceID, Cluster  string
	Type                          string
	Engine, EngineVersion, Master string
	Password, DBName              string
	Port                          int32
	Created, ClusterCreated       time.Time
	Path                          string
	Tags                          []rdsapi.Tag
	Source                        string
	IAMAuth                       bool
}

// clusterEndpointRec is a custom cluster endpoint.
type clusterEndpointRec struct {
	Account, Region, ID, ARN, ResourceID string
	Cluster, Type, Address               string
	Static, Excluded                     []string
	Tags                                 []rdsapi.Tag
}

var (
	clusters           = storage.NewTable[clusterRec]("clusters")
	clusterSnaps       = storage.NewTable[clusterSnapRec]("cluster-snapshots")
	clusterParamGroups = storage.NewTable[paramGroupRec]("cluster-parameter-groups")
	// clusterEndpoints are under anywhere, [account, region, id], for
	// niwa's DNS.
	clusterEndpoints = storage.NewTable[clusterEndpointRec]("cluster-endpoints")
)

const (
	clusterCreateTime = 2 * time.Minute
	clusterRebootTime = time.Minute
)

func isAurora(engine string) bool { return strings.HasPrefix(engine, "aurora-") }

// clusterHost is a cluster endpoint's DNS name, as AWS forms it:
// <id>.cluster-<hash>, <id>.cluster-ro-<hash>, <id>.cluster-custom-<hash>.
func clusterHost(account, region, id, kind string) string {
	return strings.ToLower(id) + "." + kind + "-" + regionHash(account, region) + "." + region + ".rds.localhost"
}

func (c clusterRec) runs() bool {
	switch c.Status {
	case "stopped", "stopping", "failed", "deleting":
		return false
	}
	return true
}

func (c clusterRec) spec(s *RDS) dbengine.Spec {
	return dbengine.Spec{Kind: kindOf(c.Engine), Dir: s.instanceDir(c.ResourceID), Port: int(c.Port),
		User: c.MasterUsername, Password: c.Password, DBName: c.DBName, Params: c.Params}
}

func (s *RDS) startCluster(c clusterRec) {
	s.startSpec(c.ResourceID, c.ID, c.spec(s), c.RestoreFrom, authTarget{kind: "cluster", account: c.Account, region: c.Region, id: c.ID})
}

func clusterStateErr(c clusterRec, want ...string) error {
	return rdsapi.ErrInvalidDBClusterStateFault.New("DbCluster %s is in %s state but expected it to be one of %s.", c.ID, c.Status, strings.Join(want, ","))
}

// advanceCluster moves c along its lifecycle to at, given its server's
// progress; it reports whether c changed.
func (s *RDS) advanceCluster(tx storage.Tx, c *clusterRec, at time.Time) (bool, error) {
	changed := false
	for {
		_, ready, err := s.server(c.ResourceID)
		next, msg := "", ""
		switch c.Status {
		case "creating", "starting", "rebooting", "modifying":
			d := map[string]time.Duration{"creating": clusterCreateTime, "starting": startTime, "rebooting": clusterRebootTime, "modifying": modifyTime}[c.Status]
			if err != nil {
				next = "failed"
			} else if ready && !at.Before(c.StatusSince.Add(d)) {
				next = "available"
				msg = map[string]string{"creating": "DB cluster created", "starting": "DB cluster started", "rebooting": "DB cluster restarted", "modifying": "Finished applying modification to DB cluster"}[c.Status]
			}
		case "available":
			if err != nil {
				next = "failed"
			}
		case "stopping":
			if !at.Before(c.StatusSince.Add(stopTime)) {
				next, msg = "stopped", "DB cluster stopped"
			}
		case "stopped":
			if !at.Before(c.StoppedAt.Add(autoStartAge)) {
				next, msg = "starting", "DB cluster is being started due to it exceeding the maximum allowed time being stopped."
				s.startCluster(*c)
			}
		}
		if next == "" {
			return changed, nil
		}
		if next == "failed" {
			msg = "Database cluster failed to start: " + err.Error()
			if strings.Contains(err.Error(), "not installed") {
				msg = "Database cluster could not be created: the engine's server is not installed on this machine; install the Debian package " +
					kindOf(c.Engine).Package() + " and create the cluster again."
			}
		}
		if msg != "" {
			if err := s.addEvent(tx, c.Account, c.Region, c.ID, "db-cluster", map[bool]string{true: "failure", false: "notification"}[next == "failed"], msg, at); err != nil {
				return changed, err
			}
		}
		since := c.StatusSince.Add(map[string]time.Duration{"creating": clusterCreateTime, "starting": startTime, "rebooting": clusterRebootTime, "modifying": modifyTime, "stopping": stopTime}[c.Status])
		if c.Status == "stopped" {
			since = c.StoppedAt.Add(autoStartAge)
		}
		if since.After(at) || since.IsZero() {
			since = at
		}
		c.Status, c.StatusSince, changed = next, since, true
	}
}

func (s *RDS) loadCluster(tx storage.Tx, ctx *request.Context, id string) (clusterRec, error) {
	if i := strings.LastIndex(id, ":cluster:"); i >= 0 && strings.HasPrefix(id, "arn:") {
		id = id[i+len(":cluster:"):]
	}
	return loadMoved(tx, ctx, clusters, id, func() error { return rdsapi.ErrDBClusterNotFoundFault.New("DBCluster %s not found.", id) },
		func(c *clusterRec) (bool, error) { return s.advanceCluster(tx, c, now(ctx)) })
}

func putCluster(tx storage.Tx, c clusterRec) error {
	return clusters.Put(tx, anywhere, c, c.Account, c.Region, c.ID)
}

// members lists a cluster's instances (moved along their lifecycle).
func (s *RDS) members(tx storage.Tx, ctx *request.Context, c clusterRec) ([]instanceRec, error) {
	var ids []string
	err := instances.List(tx, anywhere, []string{c.Account, c.Region}, storage.ListOptions{}, func(k []string, r instanceRec) bool {
		if r.Cluster == c.ID {
			ids = append(ids, k[len(k)-1])
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	var out []instanceRec
	for _, id := range ids {
		r, err := s.load(tx, ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *RDS) describeCluster(tx storage.Tx, ctx *request.Context, c clusterRec) (rdsapi.DBCluster, error) {
	ms, err := s.members(tx, ctx, c)
	if err != nil {
		return rdsapi.DBCluster{}, err
	}
	var customs []string
	err = clusterEndpoints.List(tx, anywhere, []string{c.Account, c.Region}, storage.ListOptions{}, func(_ []string, e clusterEndpointRec) bool {
		if e.Cluster == c.ID {
			customs = append(customs, e.Address)
		}
		return true
	})
	if err != nil {
		return rdsapi.DBCluster{}, err
	}
	out := rdsapi.DBCluster{
		DBClusterIdentifier: ptr.To(c.ID), DBClusterArn: ptr.To(c.ARN), DbClusterResourceId: ptr.To(c.ResourceID),
		Engine: ptr.To(c.Engine), EngineVersion: ptr.To(c.EngineVersion), EngineMode: ptr.To(c.Mode), Status: ptr.To(c.Status),
		MasterUsername: ptr.To(c.MasterUsername), Port: ptr.To(c.Port), Endpoint: ptr.To(c.Endpoint), ReaderEndpoint: ptr.To(c.ReaderEndpoint),
		CustomEndpoints: customs, HostedZoneId: ptr.To(hostedZoneID), MultiAZ: ptr.To(len(ms) > 1),
		AllocatedStorage: ptr.To(int32(1)), BackupRetentionPeriod: ptr.To(c.BackupRetention),
		DBClusterParameterGroup: ptr.To(c.ParamGroup), AvailabilityZones: c.AZs, ClusterCreateTime: ptr.To(c.Created),
		PreferredBackupWindow: ptr.To("03:00-03:30"), PreferredMaintenanceWindow: ptr.To("sun:04:00-sun:04:30"),
		StorageEncrypted: ptr.To(false), DeletionProtection: ptr.To(c.DeletionProtection), IAMDatabaseAuthenticationEnabled: ptr.To(c.IAMAuth),
		HttpEndpointEnabled: ptr.To(c.HTTPEndpoint), CopyTagsToSnapshot: ptr.To(c.CopyTags), TagList: c.Tags,
		DBClusterMembers: []rdsapi.DBClusterMember{}, VpcSecurityGroups: []rdsapi.VpcSecurityGroupMembership{},
		AssociatedRoles: []rdsapi.DBClusterRole{}, ReadReplicaIdentifiers: []string{}, NetworkType: ptr.To("IPV4"),
		StorageType: ptr.To("aurora"), AutoMinorVersionUpgrade: ptr.To(true), CrossAccountClone: ptr.To(false),
		DBClusterOptionGroupMemberships: []rdsapi.DBClusterOptionGroupStatus{},
	}
	if out.TagList == nil {
		out.TagList = []rdsapi.Tag{}
	}
	if c.DBName != "" {
		out.DatabaseName = ptr.To(c.DBName)
	}
	if c.SubnetGroup != "" {
		out.DBSubnetGroup = ptr.To(c.SubnetGroup)
	} else {
		out.DBSubnetGroup = ptr.To("default")
	}
	if c.Status != "creating" {
		out.EarliestRestorableTime = ptr.To(c.Created)
		out.LatestRestorableTime = ptr.To(c.StatusSince)
	}
	if c.Status == "stopped" {
		out.AutomaticRestartTime = ptr.To(c.StoppedAt.Add(autoStartAge))
	}
	if c.Scaling {
		out.ServerlessV2ScalingConfiguration = &rdsapi.ServerlessV2ScalingConfigurationInfo{MinCapacity: ptr.To(c.MinACU), MaxCapacity: ptr.To(c.MaxACU)}
	}
	if c.SecretARN != "" {
		out.MasterUserSecret = &rdsapi.MasterUserSecret{SecretArn: ptr.To(c.SecretARN), SecretStatus: ptr.To("active")}
	}
	for _, g := range c.VpcSecurityGroups {
		out.VpcSecurityGroups = append(out.VpcSecurityGroups, rdsapi.VpcSecurityGroupMembership{VpcSecurityGroupId: ptr.To(g), Status: ptr.To("active")})
	}
	for _, m := range ms {
		status := "in-sync"
		if c.PendingParamGroup != "" {
			status = "pending-reboot"
		}
		out.DBClusterMembers = append(out.DBClusterMembers, rdsapi.DBClusterMember{DBInstanceIdentifier: ptr.To(m.ID),
			IsClusterWriter: ptr.To(m.ID == c.Writer), DBClusterParameterGroupStatus: ptr.To(status), PromotionTier: ptr.To(m.PromotionTier)})
	}
	return out, nil
}

// checkScaling validates a Serverless v2 scaling configuration (in
// Aurora capacity units, half steps).
func checkScaling(sc *rdsapi.ServerlessV2ScalingConfiguration) error {
	if sc == nil {
		return nil
	}
	lo, hi := ptr.Deref(sc.MinCapacity), ptr.Deref(sc.MaxCapacity)
	half := func(v float64) bool { return v*2 == float64(int(v*2)) }
	if sc.MinCapacity == nil || sc.MaxCapacity == nil || lo < 0 || hi < 1 || hi > 256 || lo > hi || !half(lo) || !half(hi) {
		return awserr.InvalidParameterValue.New("Serverless v2 maximum capacity %g isn't valid. The maximum capacity must be at least 1.0 ACUs and at most 256 ACUs, and at least the minimum capacity %g, in steps of 0.5.", hi, lo)
	}
	return nil
}

// CreateDBCluster creates an Aurora cluster and starts its server.
func (s *RDS) CreateDBCluster(ctx *request.Context, in *rdsapi.CreateDBClusterInput) (*rdsapi.CreateDBClusterOutput, error) {
	id := ptr.Deref(in.DBClusterIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBClusterIdentifier")
	}
	engine := strings.ToLower(ptr.Deref(in.Engine))
	if engine == "mysql" || engine == "postgres" {
		return nil, awserr.InvalidParameterCombination.New("niwa serves Aurora DB clusters (aurora-mysql, aurora-postgresql); Multi-AZ DB clusters of engine %s are not supported.", engine)
	}
	if !isAurora(engine) {
		return nil, awserr.InvalidParameterValue.New("Invalid DB engine: %s", engine)
	}
	ev, err := resolveVersion(engine, ptr.Deref(in.EngineVersion))
	if err != nil {
		return nil, err
	}
	mode := ptr.Deref(in.EngineMode)
	if mode == "" {
		mode = "provisioned"
	}
	if mode != "provisioned" {
		return nil, awserr.InvalidParameterValue.New("The engine mode %s you requested for your DB cluster isn't supported by niwa; Aurora Serverless v2 runs in provisioned mode (db.serverless instances).", mode)
	}
	user, pw, managed, err := s.masterCredentials(engine, in.MasterUsername, in.MasterUserPassword, in.ManageMasterUserPassword)
	if err != nil {
		return nil, err
	}
	if err := checkScaling(in.ServerlessV2ScalingConfiguration); err != nil {
		return nil, err
	}
	retention := int32(1)
	if in.BackupRetentionPeriod != nil {
		retention = *in.BackupRetentionPeriod
	}
	if retention < 1 || retention > 35 {
		return nil, awserr.InvalidParameterValue.New("The parameter BackupRetentionPeriod must be between 1 and 35.")
	}
	if in.Port != nil && (*in.Port < 1150 || *in.Port > 65535) {
		return nil, awserr.InvalidParameterValue.New("Invalid port %d. Valid port range is 1150-65535.", *in.Port)
	}
	c := clusterRec{Account: ctx.Account, Region: ctx.Region, ID: strings.ToLower(id), Engine: engine, EngineVersion: ev, Mode: mode,
		MasterUsername: user, Password: pw, DBName: ptr.Deref(in.DatabaseName), BackupRetention: retention,
		DeletionProtection: ptr.Deref(in.DeletionProtection), IAMAuth: ptr.Deref(in.EnableIAMDatabaseAuthentication),
		HTTPEndpoint: ptr.Deref(in.EnableHttpEndpoint), CopyTags: ptr.Deref(in.CopyTagsToSnapshot), Tags: in.Tags,
		VpcSecurityGroups: in.VpcSecurityGroupIds, AZs: in.AvailabilityZones}
	if sc := in.ServerlessV2ScalingConfiguration; sc != nil {
		c.Scaling, c.MinACU, c.MaxACU = true, *sc.MinCapacity, *sc.MaxCapacity
	}
	out, err := s.createCluster(ctx, c, in.Port, ptr.Deref(in.DBSubnetGroupName), ptr.Deref(in.DBClusterParameterGroupName), managed)
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBClusterOutput{DBCluster: out}, nil
}

func (s *RDS) createCluster(ctx *request.Context, c clusterRec, port *int32, subnetGroup, paramGroup string, managed bool) (*rdsapi.DBCluster, error) {
	want := defaultPort(c.Engine)
	if port != nil {
		want = *port
	}
	p, err := s.pickPort(want)
	if err != nil {
		return nil, err
	}
	at := now(ctx)
	c.Port, c.ResourceID = p, "cluster-"+awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 26)
	c.ARN = arn(ctx, "cluster", c.ID)
	c.Endpoint = clusterHost(ctx.Account, ctx.Region, c.ID, "cluster")
	c.ReaderEndpoint = clusterHost(ctx.Account, ctx.Region, c.ID, "cluster-ro")
	c.Status, c.Created, c.StatusSince = "creating", at, at
	if c.DBName == "postgres" {
		c.DBName = ""
	}
	if len(c.AZs) == 0 {
		c.AZs = []string{ctx.Region + "a", ctx.Region + "b", ctx.Region + "c"}
	}
	if paramGroup == "" {
		paramGroup = "default." + family(c.Engine, c.EngineVersion)
	}
	c.ParamGroup = paramGroup
	var out rdsapi.DBCluster
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := clusters.Get(tx, anywhere, ctx.Account, ctx.Region, c.ID); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBClusterAlreadyExistsFault.New("DB Cluster already exists")
		}
		if subnetGroup != "" {
			g, err := loadSubnetGroup(tx, ctx, subnetGroup)
			if err != nil {
				return err
			}
			c.SubnetGroup = g.Name
		}
		params, err := s.clusterGroupParams(tx, ctx, paramGroup, c.Engine, c.EngineVersion)
		if err != nil {
			return err
		}
		c.Params = params
		if managed {
			arn, err := s.secrets.CreateSecret(ctx, "rds!"+strings.ToLower(c.ResourceID),
				`{"username":`+strconv.Quote(c.MasterUsername)+`,"password":`+strconv.Quote(c.Password)+`}`)
			if err != nil {
				return err
			}
			c.SecretARN = arn
		}
		if err := putCluster(tx, c); err != nil {
			return err
		}
		if err := s.addEvent(tx, c.Account, c.Region, c.ID, "db-cluster", "creation", "DB cluster created", at); err != nil {
			return err
		}
		out, err = s.describeCluster(tx, ctx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.startCluster(c)
	return &out, nil
}

// DescribeDBClusters lists clusters with their members and roles.
func (s *RDS) DescribeDBClusters(ctx *request.Context, in *rdsapi.DescribeDBClustersInput) (*rdsapi.DescribeDBClustersOutput, error) {
	var all []rdsapi.DBCluster
	err := s.store.Update(func(tx storage.Tx) error {
		var ids []string
		if id := ptr.Deref(in.DBClusterIdentifier); id != "" {
			ids = []string{id}
		} else {
			err := clusters.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(k []string, _ clusterRec) bool {
				ids = append(ids, k[len(k)-1])
				return true
			})
			if err != nil {
				return err
			}
		}
		for _, id := range ids {
			c, err := s.loadCluster(tx, ctx, id)
			if err != nil {
				return err
			}
			ok, err := clusterFilters(c, in.Filters)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			d, err := s.describeCluster(tx, ctx, c)
			if err != nil {
				return err
			}
			all = append(all, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return *all[i].DBClusterIdentifier < *all[j].DBClusterIdentifier })
	page, marker, err := paginateAll(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBClustersOutput{DBClusters: page, Marker: marker}, nil
}

func clusterFilters(c clusterRec, filters []rdsapi.Filter) (bool, error) {
	for _, f := range filters {
		var vs []string
		switch ptr.Deref(f.Name) {
		case "db-cluster-id":
			vs = []string{c.ID, c.ARN}
		case "db-cluster-resource-id":
			vs = []string{c.ResourceID}
		case "engine":
			vs = []string{c.Engine}
		case "engine-mode":
			vs = []string{c.Mode}
		default:
			return false, awserr.InvalidParameterValue.New("Unrecognized filter name: %s", ptr.Deref(f.Name))
		}
		ok := false
		for _, w := range f.Values {
			ok = ok || contains(vs, w)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// clusterTransition loads a cluster, checks its status and applies
// change; after runs outside the transaction with the changed record.
func (s *RDS) clusterTransition(ctx *request.Context, id string, allowed []string, change func(tx storage.Tx, c *clusterRec) error) (*rdsapi.DBCluster, clusterRec, error) {
	var out rdsapi.DBCluster
	var rec clusterRec
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, id)
		if err != nil {
			return err
		}
		if allowed != nil && !contains(allowed, c.Status) {
			return clusterStateErr(c, allowed...)
		}
		if err := change(tx, &c); err != nil {
			return err
		}
		if err := putCluster(tx, c); err != nil {
			return err
		}
		rec = c
		out, err = s.describeCluster(tx, ctx, c)
		return err
	})
	return &out, rec, err
}

// setMembers moves every member of c to status (a cluster stop, start
// or reboot moves its instances with it).
func (s *RDS) setMembers(tx storage.Tx, ctx *request.Context, c clusterRec, status string) error {
	ms, err := s.members(tx, ctx, c)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Status == "creating" && status != "stopping" {
			continue
		}
		m.Status, m.StatusSince = status, now(ctx)
		if status == "stopping" {
			m.StoppedAt = now(ctx)
		}
		if err := s.put(tx, m); err != nil {
			return err
		}
	}
	return nil
}

// ModifyDBCluster changes the password (at once), deletion protection,
// backup retention, the Data API and IAM authentication flags, the
// Serverless v2 range, security groups and the parameter group (at the
// next reboot).
func (s *RDS) ModifyDBCluster(ctx *request.Context, in *rdsapi.ModifyDBClusterInput) (*rdsapi.ModifyDBClusterOutput, error) {
	if in.MasterUserPassword != nil {
		if err := checkPassword(*in.MasterUserPassword); err != nil {
			return nil, err
		}
	}
	if err := checkScaling(in.ServerlessV2ScalingConfiguration); err != nil {
		return nil, err
	}
	if ptr.Deref(in.NewDBClusterIdentifier) != "" {
		return nil, awserr.InvalidParameterCombination.New("niwa does not rename DB clusters (NewDBClusterIdentifier): create a cluster from a snapshot under the new name.")
	}
	if in.BackupRetentionPeriod != nil && (*in.BackupRetentionPeriod < 1 || *in.BackupRetentionPeriod > 35) {
		return nil, awserr.InvalidParameterValue.New("The parameter BackupRetentionPeriod must be between 1 and 35.")
	}
	out, rec, err := s.clusterTransition(ctx, ptr.Deref(in.DBClusterIdentifier), []string{"available"}, func(tx storage.Tx, c *clusterRec) error {
		if g := ptr.Deref(in.DBClusterParameterGroupName); g != "" {
			if _, err := s.clusterGroupParams(tx, ctx, g, c.Engine, c.EngineVersion); err != nil {
				return err
			}
			c.PendingParamGroup = g
		}
		if in.MasterUserPassword != nil {
			c.Password = *in.MasterUserPassword
		}
		if in.BackupRetentionPeriod != nil {
			c.BackupRetention = *in.BackupRetentionPeriod
		}
		if in.DeletionProtection != nil {
			c.DeletionProtection = *in.DeletionProtection
		}
		if in.EnableHttpEndpoint != nil {
			c.HTTPEndpoint = *in.EnableHttpEndpoint
		}
		if in.EnableIAMDatabaseAuthentication != nil {
			c.IAMAuth = *in.EnableIAMDatabaseAuthentication
		}
		if in.CopyTagsToSnapshot != nil {
			c.CopyTags = *in.CopyTagsToSnapshot
		}
		if sc := in.ServerlessV2ScalingConfiguration; sc != nil {
			c.Scaling, c.MinACU, c.MaxACU = true, *sc.MinCapacity, *sc.MaxCapacity
		}
		if in.VpcSecurityGroupIds != nil {
			c.VpcSecurityGroups = in.VpcSecurityGroupIds
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.MasterUserPassword != nil {
		if srv, err := s.waitServer(ctx, rec.ResourceID); err == nil && srv != nil {
			if err := srv.SetPassword(ctx, *in.MasterUserPassword); err != nil {
				return nil, err
			}
		}
	}
	return &rdsapi.ModifyDBClusterOutput{DBCluster: out}, nil
}

// StopDBCluster stops the cluster's server and its instances; AWS starts
// it again after seven days.
func (s *RDS) StopDBCluster(ctx *request.Context, in *rdsapi.StopDBClusterInput) (*rdsapi.StopDBClusterOutput, error) {
	out, rec, err := s.clusterTransition(ctx, ptr.Deref(in.DBClusterIdentifier), []string{"available"}, func(tx storage.Tx, c *clusterRec) error {
		c.Status, c.StatusSince, c.StoppedAt = "stopping", now(ctx), now(ctx)
		return s.setMembers(tx, ctx, *c, "stopping")
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(rec.ResourceID)
	out.Status = ptr.To("stopping")
	return &rdsapi.StopDBClusterOutput{DBCluster: out}, nil
}

// StartDBCluster starts a stopped cluster's server again.
func (s *RDS) StartDBCluster(ctx *request.Context, in *rdsapi.StartDBClusterInput) (*rdsapi.StartDBClusterOutput, error) {
	out, rec, err := s.clusterTransition(ctx, ptr.Deref(in.DBClusterIdentifier), []string{"stopped"}, func(tx storage.Tx, c *clusterRec) error {
		c.Status, c.StatusSince = "starting", now(ctx)
		return s.setMembers(tx, ctx, *c, "starting")
	})
	if err != nil {
		return nil, err
	}
	s.startCluster(rec)
	return &rdsapi.StartDBClusterOutput{DBCluster: out}, nil
}

// RebootDBCluster restarts the cluster's server (and so every
// instance), applying a pending parameter group.
func (s *RDS) RebootDBCluster(ctx *request.Context, in *rdsapi.RebootDBClusterInput) (*rdsapi.RebootDBClusterOutput, error) {
	out, rec, err := s.clusterTransition(ctx, ptr.Deref(in.DBClusterIdentifier), []string{"available"}, func(tx storage.Tx, c *clusterRec) error {
		if c.PendingParamGroup != "" {
			params, err := s.clusterGroupParams(tx, ctx, c.PendingParamGroup, c.Engine, c.EngineVersion)
			if err != nil {
				return err
			}
			c.ParamGroup, c.Params, c.PendingParamGroup = c.PendingParamGroup, params, ""
		}
		c.Status, c.StatusSince = "rebooting", now(ctx)
		return s.setMembers(tx, ctx, *c, "rebooting")
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(rec.ResourceID)
	s.startCluster(rec)
	return &rdsapi.RebootDBClusterOutput{DBCluster: out}, nil
}

// FailoverDBCluster makes a reader (the target, or the reader of the
// best promotion tier) the writer. The server is the same: the writer
// endpoint keeps answering, now for the new writer instance.
func (s *RDS) FailoverDBCluster(ctx *request.Context, in *rdsapi.FailoverDBClusterInput) (*rdsapi.FailoverDBClusterOutput, error) {
	target := strings.ToLower(ptr.Deref(in.TargetDBInstanceIdentifier))
	out, _, err := s.clusterTransition(ctx, ptr.Deref(in.DBClusterIdentifier), []string{"available"}, func(tx storage.Tx, c *clusterRec) error {
		ms, err := s.members(tx, ctx, *c)
		if err != nil {
			return err
		}
		var readers []instanceRec
		for _, m := range ms {
			if m.ID != c.Writer && m.Status == "available" {
				readers = append(readers, m)
			}
		}
		if target != "" {
			found := false
			for _, m := range readers {
				found = found || m.ID == target
			}
			if !found {
				return rdsapi.ErrInvalidDBInstanceStateFault.New("Cannot failover to %s: it is not an available reader of DB cluster %s.", target, c.ID)
			}
		} else if len(readers) > 0 {
			sort.SliceStable(readers, func(i, j int) bool { return readers[i].PromotionTier < readers[j].PromotionTier })
			target = readers[0].ID
		}
		if target == "" {
			return nil // a lone writer stays the writer
		}
		old := c.Writer
		c.Writer = target
		if err := s.addEvent(tx, c.Account, c.Region, c.ID, "db-cluster", "failover", "Started cross AZ failover to DB instance: "+target, now(ctx)); err != nil {
			return err
		}
		return s.addEvent(tx, c.Account, c.Region, c.ID, "db-cluster", "failover", "Completed failover to DB instance: "+target+" (was "+old+")", now(ctx))
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.FailoverDBClusterOutput{DBCluster: out}, nil
}

// DeleteDBCluster deletes a cluster without instances, with a final
// cluster snapshot unless SkipFinalSnapshot.
func (s *RDS) DeleteDBCluster(ctx *request.Context, in *rdsapi.DeleteDBClusterInput) (*rdsapi.DeleteDBClusterOutput, error) {
	skip := ptr.Deref(in.SkipFinalSnapshot)
	final := ptr.Deref(in.FinalDBSnapshotIdentifier)
	if !skip && final == "" {
		return nil, awserr.InvalidParameterCombination.New("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	}
	if skip && final != "" {
		return nil, awserr.InvalidParameterCombination.New("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.")
	}
	var out rdsapi.DBCluster
	var resID string
	var gone []string
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, ptr.Deref(in.DBClusterIdentifier))
		if err != nil {
			return err
		}
		if c.DeletionProtection {
			return awserr.InvalidParameterCombination.New("Cannot delete protected Cluster, please disable deletion protection and try again.")
		}
		ms, err := s.members(tx, ctx, c)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			return rdsapi.ErrInvalidDBClusterStateFault.New("Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
		}
		if final != "" {
			if c.Status != "available" {
				return clusterStateErr(c, "available")
			}
			if err := s.clusterSnapshot(tx, ctx, c, final, "manual", c.tagsIfCopied()); err != nil {
				return err
			}
		}
		err = clusterSnaps.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, sr clusterSnapRec) bool {
			if sr.Type == "automated" && sr.Cluster == c.ID {
				gone = append(gone, sr.ID)
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, id := range gone {
			sr, _, err := clusterSnaps.Get(tx, scope(ctx), id)
			if err != nil {
				return err
			}
			removeFile(sr.Path)
			if err := clusterSnaps.Delete(tx, scope(ctx), id); err != nil {
				return err
			}
		}
		if err := deleteWhere(tx, clusterEndpoints, c.Account, c.Region, func(e clusterEndpointRec) bool { return e.Cluster == c.ID }); err != nil {
			return err
		}
		out, err = s.describeCluster(tx, ctx, c)
		if err != nil {
			return err
		}
		out.Status = ptr.To("deleting")
		resID = c.ResourceID
		if err := s.addEvent(tx, c.Account, c.Region, c.ID, "db-cluster", "deletion", "DB cluster deleted", now(ctx)); err != nil {
			return err
		}
		return clusters.Delete(tx, anywhere, c.Account, c.Region, c.ID)
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(resID)
	_ = removeAll(s.instanceDir(resID))
	return &rdsapi.DeleteDBClusterOutput{DBCluster: &out}, nil
}

func (c clusterRec) tagsIfCopied() []rdsapi.Tag {
	if c.CopyTags {
		return c.Tags
	}
	return nil
}

// createMember adds an instance to a cluster: an endpoint of the
// cluster's server, the writer when it is the first.
func (s *RDS) createMember(ctx *request.Context, in *rdsapi.CreateDBInstanceInput) (*rdsapi.CreateDBInstanceOutput, error) {
	id := ptr.Deref(in.DBInstanceIdentifier)
	if !validIdentifier(id) {
		return nil, invalidIdentifier("DBInstanceIdentifier")
	}
	if in.MasterUserPassword != nil || ptr.Deref(in.ManageMasterUserPassword) {
		return nil, awserr.InvalidParameterCombination.New("The requested DB Instance will be a member of a DB Cluster. Set master user password for the DB Cluster.")
	}
	if in.MasterUsername != nil {
		return nil, awserr.InvalidParameterCombination.New("The requested DB Instance will be a member of a DB Cluster. Set master user name for the DB Cluster.")
	}
	if in.AllocatedStorage != nil {
		return nil, awserr.InvalidParameterCombination.New("The requested DB Instance will be a member of a DB Cluster. You don't need to set storage size.")
	}
	engine := strings.ToLower(ptr.Deref(in.Engine))
	class := ptr.Deref(in.DBInstanceClass)
	var out *rdsapi.DBInstance
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, ptr.Deref(in.DBClusterIdentifier))
		if err != nil {
			return err
		}
		if engine != c.Engine {
			return awserr.InvalidParameterCombination.New("The engine name requested for your DB instance (%s) doesn't match the engine name of your DB cluster (%s).", engine, c.Engine)
		}
		if !classSupported(engine, class) {
			return awserr.InvalidParameterCombination.New("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.", class, engine, c.EngineVersion, licenseOf(engine))
		}
		if class == "db.serverless" && !c.Scaling {
			return awserr.InvalidParameterCombination.New("Set the Serverless v2 scaling configuration on the parent DB cluster before creating a Serverless v2 DB instance.")
		}
		if c.Status != "available" && c.Status != "creating" && c.Status != "modifying" {
			return clusterStateErr(c, "available", "creating")
		}
		key := strings.ToLower(id)
		if _, ok, err := instances.Get(tx, anywhere, ctx.Account, ctx.Region, key); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBInstanceAlreadyExistsFault.New("DB instance already exists")
		}
		at := now(ctx)
		r := instanceRec{Account: ctx.Account, Region: ctx.Region, ID: key, ARN: arn(ctx, "db", key),
			ResourceID: "db-" + awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 26), Engine: c.Engine, EngineVersion: c.EngineVersion,
			Class: class, MasterUsername: c.MasterUsername, DBName: c.DBName, Port: c.Port, Address: endpointHost(ctx.Account, ctx.Region, key),
			SubnetGroup: c.SubnetGroup, VpcSecurityGroups: c.VpcSecurityGroups, ParamGroup: ptr.Deref(in.DBParameterGroupName),
			PubliclyAccessible: ptr.Deref(in.PubliclyAccessible), AllocatedStorage: 1, BackupRetention: c.BackupRetention,
			StorageType: "aurora", Status: "creating", Created: at, StatusSince: at, Tags: in.Tags, AutomatedDone: true,
			AvailabilityZone: ptr.Deref(in.AvailabilityZone), IAMAuth: c.IAMAuth, Cluster: c.ID, ClusterResourceID: c.ResourceID,
			PromotionTier: 1}
		if in.PromotionTier != nil {
			if *in.PromotionTier < 0 || *in.PromotionTier > 15 {
				return awserr.InvalidParameterValue.New("PromotionTier must be between 0 and 15.")
			}
			r.PromotionTier = *in.PromotionTier
		}
		if r.ParamGroup == "" {
			r.ParamGroup = "default." + family(c.Engine, c.EngineVersion)
		}
		if r.AvailabilityZone == "" {
			r.AvailabilityZone = c.AZs[0]
		}
		if err := s.put(tx, r); err != nil {
			return err
		}
		if c.Writer == "" {
			c.Writer = r.ID
			if err := putCluster(tx, c); err != nil {
				return err
			}
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
	return &rdsapi.CreateDBInstanceOutput{DBInstance: out}, nil
}

// leaveCluster is a member's deletion seen from its cluster: a deleted
// writer hands the role to the reader of the best promotion tier.
func (s *RDS) leaveCluster(tx storage.Tx, ctx *request.Context, r instanceRec) error {
	c, ok, err := clusters.Get(tx, anywhere, r.Account, r.Region, r.Cluster)
	if err != nil || !ok || c.Writer != r.ID {
		return err
	}
	ms, err := s.members(tx, ctx, c)
	if err != nil {
		return err
	}
	c.Writer = ""
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].PromotionTier < ms[j].PromotionTier })
	for _, m := range ms {
		if m.ID != r.ID {
			c.Writer = m.ID
			break
		}
	}
	return putCluster(tx, c)
}

// refuseMember answers the instance operations Aurora does on the
// cluster instead.
func refuseMember(r instanceRec, op string) error {
	if r.Cluster == "" {
		return nil
	}
	switch op {
	case "snapshot":
		return awserr.InvalidParameterValue.New("The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.")
	case "stop", "start":
		return awserr.InvalidParameterCombination.New("%s DB instances are not eligible for stopping and starting: stop or start the DB cluster %s.", r.Engine, r.Cluster)
	case "password":
		return awserr.InvalidParameterCombination.New("The specified DB Instance is a member of a cluster. Modify master user password for the DB Cluster using the ModifyDbCluster API.")
	case "replica":
		return awserr.InvalidParameterCombination.New("The specified DB instance is a member of DB cluster %s: add a reader to the cluster with CreateDBInstance instead.", r.Cluster)
	}
	return nil
}

func removeFile(path string) {
	if path != "" {
		_ = removeAll(path)
	}
}

func (s *RDS) setHTTPEndpoint(ctx *request.Context, resourceARN string, on bool) error {
	if !strings.Contains(resourceARN, ":cluster:") {
		return awserr.InvalidParameterValue.New("The Data API is available for DB clusters only: %s is not a DB cluster ARN.", resourceARN)
	}
	_, _, err := s.clusterTransition(ctx, resourceARN, []string{"available"}, func(_ storage.Tx, c *clusterRec) error {
		c.HTTPEndpoint = on
		return nil
	})
	return err
}

// EnableHttpEndpoint turns the Data API on for a cluster.
func (s *RDS) EnableHttpEndpoint(ctx *request.Context, in *rdsapi.EnableHttpEndpointInput) (*rdsapi.EnableHttpEndpointOutput, error) {
	if err := s.setHTTPEndpoint(ctx, ptr.Deref(in.ResourceArn), true); err != nil {
		return nil, err
	}
	return &rdsapi.EnableHttpEndpointOutput{ResourceArn: in.ResourceArn, HttpEndpointEnabled: ptr.To(true)}, nil
}

// DisableHttpEndpoint turns the Data API off for a cluster.
func (s *RDS) DisableHttpEndpoint(ctx *request.Context, in *rdsapi.DisableHttpEndpointInput) (*rdsapi.DisableHttpEndpointOutput, error) {
	if err := s.setHTTPEndpoint(ctx, ptr.Deref(in.ResourceArn), false); err != nil {
		return nil, err
	}
	return &rdsapi.DisableHttpEndpointOutput{ResourceArn: in.ResourceArn, HttpEndpointEnabled: ptr.To(false)}, nil
}

// DataTarget is what the Data API (rds-data) needs of a cluster to run
// statements on its server.
type DataTarget struct {
	ID, Engine, Status, DBName string
	Port                       int
	HTTPEndpoint               bool
}

// DataTarget finds the cluster an ARN names in the caller's account and
// region; ok is false when there is none.
func (s *RDS) DataTarget(ctx *request.Context, clusterARN string) (t DataTarget, ok bool, err error) {
	prefix := "arn:aws:rds:" + ctx.Region + ":" + ctx.Account + ":cluster:"
	if !strings.HasPrefix(clusterARN, prefix) {
		return t, false, nil
	}
	err = s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, strings.TrimPrefix(clusterARN, prefix))
		if rdsapi.ErrDBClusterNotFoundFault.Is(err) {
			return nil
		}
		if err != nil {
			return err
		}
		t = DataTarget{ID: c.ID, Engine: c.Engine, Status: c.Status, DBName: c.DBName, Port: int(c.Port), HTTPEndpoint: c.HTTPEndpoint}
		ok = true
		return nil
	})
	return t, ok, err
}
