package rds

import (
	"context"
	"encoding/json"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/dbfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// An RDS Proxy in niwa is a front (internal/dbfront) on a port of its
// own whose connections reach the server of its registered target (an
// instance, or a cluster's server). Clients sign in with the database
// users and passwords the target knows (the ones its secrets hold), or
// with IAM tokens for the proxy when its IAM authentication is on; the
// proxy then signs in to the target with the secret's password. It
// pools nothing: each client connection is one server connection.

type proxyAuth struct {
	Description, UserName, Scheme, SecretARN, IAM, ClientAuth string
}

type proxyRec struct {
	Account, Region, Name, ARN, ResourceID string
	EngineFamily, RoleARN                  string
	Auth                                   []proxyAuth
	Subnets, SecurityGroups                []string
	RequireTLS, Debug                      bool
	IdleTimeout                            int32
	Address                                string
	Port                                   int32
	Created, Updated                       time.Time
	Tags                                   []rdsapi.Tag
	// Target is the registered instance or cluster of the default
	// target group ("db:<id>" or "cluster:<id>").
	Target string
	Pool   rdsapi.ConnectionPoolConfigurationInfo
}

type proxyEndpointRec struct {
	Account, Region, Name, ARN, Proxy string
	Address, TargetRole               string
	SecurityGroups, Subnets           []string
	Created                           time.Time
	Tags                              []rdsapi.Tag
}

var (
	proxies        = storage.NewTable[proxyRec]("proxies")
	proxyEndpoints = storage.NewTable[proxyEndpointRec]("proxy-endpoints")
)

const proxyCreateTime = 2 * time.Minute

func proxyHost(account, region, name string) string {
	return strings.ToLower(name) + ".proxy-" + regionHash(account, region) + "." + region + ".rds.localhost"
}

func (p proxyRec) status(at time.Time) string {
	if at.Before(p.Created.Add(proxyCreateTime)) {
		return "creating"
	}
	return "available"
}

func (p proxyRec) describe(at time.Time) rdsapi.DBProxy {
	out := rdsapi.DBProxy{DBProxyName: ptr.To(p.Name), DBProxyArn: ptr.To(p.ARN), Status: ptr.To(p.status(at)),
		EngineFamily: ptr.To(p.EngineFamily), VpcSecurityGroupIds: p.SecurityGroups, VpcSubnetIds: p.Subnets, RoleArn: ptr.To(p.RoleARN),
		Endpoint: ptr.To(p.Address), RequireTLS: ptr.To(p.RequireTLS), IdleClientTimeout: ptr.To(p.IdleTimeout), DebugLogging: ptr.To(p.Debug),
		CreatedDate: ptr.To(p.Created), UpdatedDate: ptr.To(p.Updated), VpcId: ptr.To("vpc-" + regionHash(p.Account, p.Region)[:8]),
		Auth: []rdsapi.UserAuthConfigInfo{}}
	for _, a := range p.Auth {
		ai := rdsapi.UserAuthConfigInfo{AuthScheme: ptr.To(a.Scheme), SecretArn: ptr.To(a.SecretARN), IAMAuth: ptr.To(a.IAM),
			ClientPasswordAuthType: ptr.To(a.ClientAuth)}
		if a.Description != "" {
			ai.Description = ptr.To(a.Description)
		}
		if a.UserName != "" {
			ai.UserName = ptr.To(a.UserName)
		}
		out.Auth = append(out.Auth, ai)
	}
	return out
}

func proxyAuths(family string, in []rdsapi.UserAuthConfig) ([]proxyAuth, error) {
	if len(in) == 0 {
		return nil, awserr.InvalidParameterValue.New("Auth must contain at least one authentication configuration.")
	}
	var out []proxyAuth
	for _, a := range in {
		pa := proxyAuth{Description: ptr.Deref(a.Description), UserName: ptr.Deref(a.UserName), Scheme: ptr.Deref(a.AuthScheme),
			SecretARN: ptr.Deref(a.SecretArn), IAM: ptr.Deref(a.IAMAuth), ClientAuth: ptr.Deref(a.ClientPasswordAuthType)}
		if pa.Scheme == "" {
			pa.Scheme = "SECRETS"
		}
		if pa.Scheme != "SECRETS" {
			return nil, awserr.InvalidParameterValue.New("Invalid AuthScheme %s: the supported value is SECRETS.", pa.Scheme)
		}
		if pa.IAM == "" {
			pa.IAM = "DISABLED"
		}
		if pa.IAM != "DISABLED" && pa.IAM != "REQUIRED" && pa.IAM != "ENABLED" {
			return nil, awserr.InvalidParameterValue.New("Invalid IAMAuth %s: valid values are DISABLED, REQUIRED and ENABLED.", pa.IAM)
		}
		if pa.SecretARN == "" {
			return nil, awserr.InvalidParameterValue.New("A SecretArn is required for each authentication configuration of scheme SECRETS.")
		}
		if pa.ClientAuth == "" {
			pa.ClientAuth = map[string]string{"MYSQL": "MYSQL_NATIVE_PASSWORD", "POSTGRESQL": "POSTGRES_SCRAM_SHA_256"}[family]
		}
		out = append(out, pa)
	}
	return out, nil
}

func (s *RDS) loadProxy(tx storage.Tx, ctx *request.Context, name string) (proxyRec, error) {
	p, ok, err := proxies.Get(tx, anywhere, ctx.Account, ctx.Region, strings.ToLower(name))
	if err != nil {
		return p, err
	}
	if !ok {
		return p, rdsapi.ErrDBProxyNotFoundFault.New("DBProxy %s not found.", name)
	}
	return p, nil
}

// CreateDBProxy creates a proxy and starts its front.
func (s *RDS) CreateDBProxy(ctx *request.Context, in *rdsapi.CreateDBProxyInput) (*rdsapi.CreateDBProxyOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBProxyName))
	if !validIdentifier(name) {
		return nil, invalidIdentifier("DBProxyName")
	}
	family := ptr.Deref(in.EngineFamily)
	if family != "MYSQL" && family != "POSTGRESQL" {
		if family == "SQLSERVER" {
			return nil, awserr.InvalidParameterValue.New("niwa runs no SQL Server: EngineFamily SQLSERVER is not supported.")
		}
		return nil, awserr.InvalidParameterValue.New("Invalid EngineFamily %s: valid values are MYSQL, POSTGRESQL and SQLSERVER.", family)
	}
	if ptr.Deref(in.RoleArn) == "" {
		return nil, awserr.InvalidParameterValue.New("RoleArn is required.")
	}
	if len(in.VpcSubnetIds) < 2 {
		return nil, awserr.InvalidParameterValue.New("DB Proxy requires at least 2 subnets in different Availability Zones.")
	}
	auths, err := proxyAuths(family, in.Auth)
	if err != nil {
		return nil, err
	}
	idle := int32(1800)
	if in.IdleClientTimeout != nil {
		idle = *in.IdleClientTimeout
	}
	port, err := s.pickPort(map[string]int32{"MYSQL": 3306, "POSTGRESQL": 5432}[family])
	if err != nil {
		return nil, err
	}
	at := now(ctx)
	p := proxyRec{Account: ctx.Account, Region: ctx.Region, Name: name, ResourceID: "prx-" + awsid.Hex(17), EngineFamily: family,
		RoleARN: ptr.Deref(in.RoleArn), Auth: auths, Subnets: in.VpcSubnetIds, SecurityGroups: in.VpcSecurityGroupIds,
		RequireTLS: ptr.Deref(in.RequireTLS), Debug: ptr.Deref(in.DebugLogging), IdleTimeout: idle, Port: port,
		Address: proxyHost(ctx.Account, ctx.Region, name), Created: at, Updated: at, Tags: in.Tags,
		Pool: rdsapi.ConnectionPoolConfigurationInfo{MaxConnectionsPercent: ptr.To(int32(100)), MaxIdleConnectionsPercent: ptr.To(int32(50)),
			ConnectionBorrowTimeout: ptr.To(int32(120)), SessionPinningFilters: []string{}, InitQuery: ptr.To("")}}
	p.ARN = arn(ctx, "db-proxy", p.ResourceID)
	if p.SecurityGroups == nil {
		p.SecurityGroups = []string{}
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := proxies.Get(tx, anywhere, ctx.Account, ctx.Region, name); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBProxyAlreadyExistsFault.New("Cannot create the DBProxy because a DBProxy with the name %s already exists.", name)
		}
		if err := proxies.Put(tx, anywhere, p, ctx.Account, ctx.Region, name); err != nil {
			return err
		}
		// AWS's proxies listen on the engine's port; niwa's share the host
		// with every server, so the port is said in an event.
		return s.addEvent(tx, ctx.Account, ctx.Region, name, "db-proxy", "creation",
			"DB proxy created; niwa serves it on port "+strconv.Itoa(int(port)), at)
	})
	if err != nil {
		return nil, err
	}
	if err := s.startProxy(p); err != nil {
		return nil, err
	}
	d := p.describe(at)
	return &rdsapi.CreateDBProxyOutput{DBProxy: &d}, nil
}

// proxyKey is the key of a proxy's front among the servers.
func proxyKey(p proxyRec) string { return "proxy/" + p.ResourceID }

// startProxy listens on the proxy's port; connections go to its
// target's server as it is at connect time.
func (s *RDS) startProxy(p proxyRec) error {
	k, err := s.frontKey(p.ResourceID)
	if err != nil {
		return err
	}
	kind := dbfront.MySQL
	if p.EngineFamily == "POSTGRESQL" {
		kind = dbfront.Postgres
	}
	at := authTarget{kind: "proxy", account: p.Account, region: p.Region, id: p.Name}
	f, err := dbfront.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p.Port))), dbfront.Config{
		Kind:       kind,
		Key:        k,
		Backend:    func() (string, error) { return s.proxyBackend(at) },
		Credential: func(user string) (string, bool) { return s.proxyCredential(at, user) },
		Verify:     s.verifyProxyToken(at, int(p.Port)),
		Admit:      s.admitTo(at),
		Log:        s.log,
	})
	if err != nil {
		return err
	}
	run := &running{front: f, ready: true, done: make(chan struct{})}
	close(run.done)
	s.mu.Lock()
	old := s.servers[proxyKey(p)]
	s.servers[proxyKey(p)] = run
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	return nil
}

func (s *RDS) proxyRecord(at authTarget) (proxyRec, bool, error) {
	var p proxyRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = proxies.Get(tx, anywhere, at.account, at.region, at.id)
		return err
	})
	return p, ok, err
}

// proxyBackend is the address of the proxy's target's server now.
func (s *RDS) proxyBackend(at authTarget) (string, error) {
	p, ok, err := s.proxyRecord(at)
	if err != nil {
		return "", err
	}
	if !ok || p.Target == "" {
		return "", errNotRunning
	}
	kind, id, _ := strings.Cut(p.Target, ":")
	var key string
	err = s.store.View(func(tx storage.Tx) error {
		if kind == "cluster" {
			c, ok, err := clusters.Get(tx, anywhere, p.Account, p.Region, id)
			if ok {
				key = c.ResourceID
			}
			return err
		}
		r, ok, err := instances.Get(tx, anywhere, p.Account, p.Region, id)
		if ok {
			key = r.serverKey()
		}
		return err
	})
	if err != nil || key == "" {
		return "", errNotRunning
	}
	srv, ready, err := s.server(key)
	if err != nil || !ready || srv == nil {
		return "", errNotRunning
	}
	return "127.0.0.1:" + strconv.Itoa(srv.Port()), nil
}

// proxyCredential is the password the proxy signs in to its target
// with for an IAM user: the one the user's secret holds, when that
// secret's configuration has IAM authentication on.
func (s *RDS) proxyCredential(at authTarget, user string) (string, bool) {
	p, ok, err := s.proxyRecord(at)
	if err != nil || !ok || s.secrets == nil {
		return "", false
	}
	for _, a := range p.Auth {
		if a.IAM == "DISABLED" {
			continue
		}
		raw, err := s.secrets.ReadSecret(context.Background(), p.Account, p.Region, a.SecretARN)
		if err != nil {
			continue
		}
		var cred struct{ Username, Password string }
		if json.Unmarshal([]byte(raw), &cred) == nil && cred.Username == user {
			return cred.Password, true
		}
	}
	return "", false
}

func (s *RDS) verifyProxyToken(at authTarget, port int) func(ctx context.Context, user, token string) error {
	return func(ctx context.Context, user, token string) error {
		if s.tokens == nil {
			return errIAMOff
		}
		p, ok, err := s.proxyRecord(at)
		if err != nil {
			return err
		}
		if !ok {
			return errNotRunning
		}
		return s.tokens.VerifyDBToken(ctx, token, TokenRequest{Account: at.account, Region: at.region, User: user, Port: port,
			Resource: "arn:aws:rds-db:" + at.region + ":" + at.account + ":dbuser:" + p.ResourceID + "/" + user})
	}
}

// DescribeDBProxies lists proxies.
func (s *RDS) DescribeDBProxies(ctx *request.Context, in *rdsapi.DescribeDBProxiesInput) (*rdsapi.DescribeDBProxiesOutput, error) {
	var all []rdsapi.DBProxy
	err := s.store.View(func(tx storage.Tx) error {
		if n := ptr.Deref(in.DBProxyName); n != "" {
			p, err := s.loadProxy(tx, ctx, n)
			if err != nil {
				return err
			}
			all = append(all, p.describe(now(ctx)))
			return nil
		}
		return proxies.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, p proxyRec) bool {
			all = append(all, p.describe(now(ctx)))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if len(in.Filters) > 0 {
		return nil, awserr.InvalidParameterValue.New("Filters are not supported for DescribeDBProxies.")
	}
	page, marker, err := paginateAll(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBProxiesOutput{DBProxies: page, Marker: marker}, nil
}

// ModifyDBProxy changes a proxy's authentication, TLS, timeout, logging,
// role and security groups.
func (s *RDS) ModifyDBProxy(ctx *request.Context, in *rdsapi.ModifyDBProxyInput) (*rdsapi.ModifyDBProxyOutput, error) {
	if ptr.Deref(in.NewDBProxyName) != "" {
		return nil, awserr.InvalidParameterCombination.New("niwa does not rename DB proxies (NewDBProxyName).")
	}
	var out rdsapi.DBProxy
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		if p.status(now(ctx)) != "available" {
			return rdsapi.ErrInvalidDBProxyStateFault.New("DBProxy %s is not in the available state.", p.Name)
		}
		if in.Auth != nil {
			if p.Auth, err = proxyAuths(p.EngineFamily, in.Auth); err != nil {
				return err
			}
		}
		if in.RequireTLS != nil {
			p.RequireTLS = *in.RequireTLS
		}
		if in.IdleClientTimeout != nil {
			p.IdleTimeout = *in.IdleClientTimeout
		}
		if in.DebugLogging != nil {
			p.Debug = *in.DebugLogging
		}
		if r := ptr.Deref(in.RoleArn); r != "" {
			p.RoleARN = r
		}
		if in.SecurityGroups != nil {
			p.SecurityGroups = in.SecurityGroups
		}
		p.Updated = now(ctx)
		out = p.describe(now(ctx))
		return proxies.Put(tx, anywhere, p, p.Account, p.Region, p.Name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.ModifyDBProxyOutput{DBProxy: &out}, nil
}

// DeleteDBProxy deletes a proxy, its endpoints and its front.
func (s *RDS) DeleteDBProxy(ctx *request.Context, in *rdsapi.DeleteDBProxyInput) (*rdsapi.DeleteDBProxyOutput, error) {
	var p proxyRec
	var out rdsapi.DBProxy
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if p, err = s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName)); err != nil {
			return err
		}
		if err := deleteWhere(tx, proxyEndpoints, p.Account, p.Region, func(e proxyEndpointRec) bool { return e.Proxy == p.Name }); err != nil {
			return err
		}
		out = p.describe(now(ctx))
		out.Status = ptr.To("deleting")
		return proxies.Delete(tx, anywhere, p.Account, p.Region, p.Name)
	})
	if err != nil {
		return nil, err
	}
	s.stopServer(proxyKey(p))
	return &rdsapi.DeleteDBProxyOutput{DBProxy: &out}, nil
}

func checkTargetGroup(name *string) error {
	if n := ptr.Deref(name); n != "" && n != "default" {
		return rdsapi.ErrDBProxyTargetGroupNotFoundFault.New("DBProxyTargetGroup %s not found.", n)
	}
	return nil
}

// proxyTargets describes a proxy's target: the instance, or the
// cluster and its instances.
func (s *RDS) proxyTargets(tx storage.Tx, ctx *request.Context, p proxyRec) ([]rdsapi.DBProxyTarget, error) {
	if p.Target == "" {
		return []rdsapi.DBProxyTarget{}, nil
	}
	kind, id, _ := strings.Cut(p.Target, ":")
	health := func(status string) *rdsapi.TargetHealth {
		if status == "available" {
			return &rdsapi.TargetHealth{State: ptr.To("AVAILABLE")}
		}
		return &rdsapi.TargetHealth{State: ptr.To("UNAVAILABLE"), Reason: ptr.To("UNREACHABLE"), Description: ptr.To("The target is " + status + ".")}
	}
	if kind == "db" {
		r, err := s.load(tx, ctx, id)
		if err != nil {
			return nil, err
		}
		return []rdsapi.DBProxyTarget{{TargetArn: ptr.To(r.ARN), Endpoint: ptr.To(r.Address), RdsResourceId: ptr.To(r.ID), Port: ptr.To(r.Port),
			Type: ptr.To("RDS_INSTANCE"), Role: ptr.To("READ_WRITE"), TargetHealth: health(r.Status)}}, nil
	}
	c, err := s.loadCluster(tx, ctx, id)
	if err != nil {
		return nil, err
	}
	out := []rdsapi.DBProxyTarget{{TargetArn: ptr.To(c.ARN), Endpoint: ptr.To(c.Endpoint), TrackedClusterId: ptr.To(c.ID), RdsResourceId: ptr.To(c.ID),
		Port: ptr.To(c.Port), Type: ptr.To("TRACKED_CLUSTER")}}
	ms, err := s.members(tx, ctx, c)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		role := "READ_ONLY"
		if m.ID == c.Writer {
			role = "READ_WRITE"
		}
		out = append(out, rdsapi.DBProxyTarget{TargetArn: ptr.To(m.ARN), Endpoint: ptr.To(m.Address), TrackedClusterId: ptr.To(c.ID),
			RdsResourceId: ptr.To(m.ID), Port: ptr.To(c.Port), Type: ptr.To("RDS_INSTANCE"), Role: ptr.To(role), TargetHealth: health(m.Status)})
	}
	return out, nil
}

// RegisterDBProxyTargets registers the proxy's one instance or cluster.
func (s *RDS) RegisterDBProxyTargets(ctx *request.Context, in *rdsapi.RegisterDBProxyTargetsInput) (*rdsapi.RegisterDBProxyTargetsOutput, error) {
	if err := checkTargetGroup(in.TargetGroupName); err != nil {
		return nil, err
	}
	if len(in.DBInstanceIdentifiers)+len(in.DBClusterIdentifiers) != 1 {
		return nil, awserr.InvalidParameterValue.New("Register exactly one DB instance or one DB cluster with a proxy.")
	}
	var out []rdsapi.DBProxyTarget
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		if p.Target != "" {
			return rdsapi.ErrDBProxyTargetAlreadyRegisteredFault.New("The proxy %s already has a target registered.", p.Name)
		}
		family := ""
		if len(in.DBInstanceIdentifiers) == 1 {
			r, err := s.load(tx, ctx, in.DBInstanceIdentifiers[0])
			if err != nil {
				return err
			}
			if r.Cluster != "" {
				return awserr.InvalidParameterValue.New("DB instance %s is a member of DB cluster %s: register the cluster.", r.ID, r.Cluster)
			}
			p.Target, family = "db:"+r.ID, r.Engine
		} else {
			c, err := s.loadCluster(tx, ctx, in.DBClusterIdentifiers[0])
			if err != nil {
				return err
			}
			p.Target, family = "cluster:"+c.ID, c.Engine
		}
		if (kindOf(family) == "postgres") != (p.EngineFamily == "POSTGRESQL") {
			return awserr.InvalidParameterValue.New("The engine of %s does not match the proxy's engine family %s.", strings.TrimPrefix(strings.TrimPrefix(p.Target, "db:"), "cluster:"), p.EngineFamily)
		}
		p.Updated = now(ctx)
		if err := proxies.Put(tx, anywhere, p, p.Account, p.Region, p.Name); err != nil {
			return err
		}
		out, err = s.proxyTargets(tx, ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.RegisterDBProxyTargetsOutput{DBProxyTargets: out}, nil
}

// DeregisterDBProxyTargets removes the proxy's target.
func (s *RDS) DeregisterDBProxyTargets(ctx *request.Context, in *rdsapi.DeregisterDBProxyTargetsInput) (*rdsapi.DeregisterDBProxyTargetsOutput, error) {
	if err := checkTargetGroup(in.TargetGroupName); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, id := range in.DBInstanceIdentifiers {
			want["db:"+strings.ToLower(id)] = true
		}
		for _, id := range in.DBClusterIdentifiers {
			want["cluster:"+strings.ToLower(id)] = true
		}
		if !want[p.Target] {
			return rdsapi.ErrDBProxyTargetNotFoundFault.New("The specified targets are not registered with proxy %s.", p.Name)
		}
		p.Target, p.Updated = "", now(ctx)
		return proxies.Put(tx, anywhere, p, p.Account, p.Region, p.Name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeregisterDBProxyTargetsOutput{}, nil
}

// DescribeDBProxyTargets lists the proxy's targets with their health.
func (s *RDS) DescribeDBProxyTargets(ctx *request.Context, in *rdsapi.DescribeDBProxyTargetsInput) (*rdsapi.DescribeDBProxyTargetsOutput, error) {
	if err := checkTargetGroup(in.TargetGroupName); err != nil {
		return nil, err
	}
	var all []rdsapi.DBProxyTarget
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		all, err = s.proxyTargets(tx, ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, marker, err := paginateAll(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBProxyTargetsOutput{Targets: page, Marker: marker}, nil
}

func (p proxyRec) targetGroup() rdsapi.DBProxyTargetGroup {
	return rdsapi.DBProxyTargetGroup{DBProxyName: ptr.To(p.Name), TargetGroupName: ptr.To("default"),
		TargetGroupArn: ptr.To("arn:aws:rds:" + p.Region + ":" + p.Account + ":target-group:prx-tg-" + strings.TrimPrefix(p.ResourceID, "prx-")),
		IsDefault:      ptr.To(true), Status: ptr.To("available"), ConnectionPoolConfig: &p.Pool, CreatedDate: ptr.To(p.Created), UpdatedDate: ptr.To(p.Updated)}
}

// DescribeDBProxyTargetGroups lists the proxy's one (default) target
// group.
func (s *RDS) DescribeDBProxyTargetGroups(ctx *request.Context, in *rdsapi.DescribeDBProxyTargetGroupsInput) (*rdsapi.DescribeDBProxyTargetGroupsOutput, error) {
	if err := checkTargetGroup(in.TargetGroupName); err != nil {
		return nil, err
	}
	var p proxyRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		p, err = s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBProxyTargetGroupsOutput{TargetGroups: []rdsapi.DBProxyTargetGroup{p.targetGroup()}}, nil
}

// ModifyDBProxyTargetGroup records the connection pool settings (niwa
// does not pool).
func (s *RDS) ModifyDBProxyTargetGroup(ctx *request.Context, in *rdsapi.ModifyDBProxyTargetGroupInput) (*rdsapi.ModifyDBProxyTargetGroupOutput, error) {
	if err := checkTargetGroup(in.TargetGroupName); err != nil {
		return nil, err
	}
	if ptr.Deref(in.NewName) != "" {
		return nil, awserr.InvalidParameterValue.New("The default target group cannot be renamed.")
	}
	var out rdsapi.DBProxyTargetGroup
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		if c := in.ConnectionPoolConfig; c != nil {
			if v := c.MaxConnectionsPercent; v != nil {
				if *v < 1 || *v > 100 {
					return awserr.InvalidParameterValue.New("MaxConnectionsPercent must be between 1 and 100.")
				}
				p.Pool.MaxConnectionsPercent = v
			}
			if v := c.MaxIdleConnectionsPercent; v != nil {
				p.Pool.MaxIdleConnectionsPercent = v
			}
			if v := c.ConnectionBorrowTimeout; v != nil {
				p.Pool.ConnectionBorrowTimeout = v
			}
			if c.SessionPinningFilters != nil {
				p.Pool.SessionPinningFilters = c.SessionPinningFilters
			}
			if c.InitQuery != nil {
				p.Pool.InitQuery = c.InitQuery
			}
		}
		p.Updated = now(ctx)
		out = p.targetGroup()
		return proxies.Put(tx, anywhere, p, p.Account, p.Region, p.Name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.ModifyDBProxyTargetGroupOutput{DBProxyTargetGroup: &out}, nil
}

func (e proxyEndpointRec) describe() rdsapi.DBProxyEndpoint {
	return rdsapi.DBProxyEndpoint{DBProxyEndpointName: ptr.To(e.Name), DBProxyEndpointArn: ptr.To(e.ARN), DBProxyName: ptr.To(e.Proxy),
		Status: ptr.To("available"), VpcSecurityGroupIds: e.SecurityGroups, VpcSubnetIds: e.Subnets, Endpoint: ptr.To(e.Address),
		CreatedDate: ptr.To(e.Created), TargetRole: ptr.To(e.TargetRole), IsDefault: ptr.To(false)}
}

// CreateDBProxyEndpoint records an endpoint of a proxy: a DNS name
// niwa's DNS answers, reaching the proxy's port.
func (s *RDS) CreateDBProxyEndpoint(ctx *request.Context, in *rdsapi.CreateDBProxyEndpointInput) (*rdsapi.CreateDBProxyEndpointOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBProxyEndpointName))
	if !validIdentifier(name) {
		return nil, awserr.InvalidParameterValue.New("The parameter DBProxyEndpointName is not a valid identifier.")
	}
	role := ptr.Deref(in.TargetRole)
	if role == "" {
		role = "READ_WRITE"
	}
	if role != "READ_WRITE" && role != "READ_ONLY" {
		return nil, awserr.InvalidParameterValue.New("Invalid TargetRole %s: valid values are READ_WRITE and READ_ONLY.", role)
	}
	var out rdsapi.DBProxyEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := s.loadProxy(tx, ctx, ptr.Deref(in.DBProxyName))
		if err != nil {
			return err
		}
		if _, ok, err := proxyEndpoints.Get(tx, anywhere, ctx.Account, ctx.Region, name); err != nil {
			return err
		} else if ok || name == p.Name {
			return rdsapi.ErrDBProxyEndpointAlreadyExistsFault.New("Cannot create the DBProxyEndpoint because a DBProxyEndpoint with the name %s already exists.", name)
		}
		e := proxyEndpointRec{Account: ctx.Account, Region: ctx.Region, Name: name, ARN: arn(ctx, "db-proxy-endpoint", "prx-endpoint-"+awsid.Hex(17)),
			Proxy: p.Name, Address: name + ".endpoint.proxy-" + regionHash(ctx.Account, ctx.Region) + "." + ctx.Region + ".rds.localhost",
			TargetRole: role, SecurityGroups: in.VpcSecurityGroupIds, Subnets: in.VpcSubnetIds, Created: now(ctx), Tags: in.Tags}
		if e.SecurityGroups == nil {
			e.SecurityGroups = p.SecurityGroups
		}
		out = e.describe()
		return proxyEndpoints.Put(tx, anywhere, e, ctx.Account, ctx.Region, name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBProxyEndpointOutput{DBProxyEndpoint: &out}, nil
}

// DescribeDBProxyEndpoints lists proxies' default and custom endpoints.
func (s *RDS) DescribeDBProxyEndpoints(ctx *request.Context, in *rdsapi.DescribeDBProxyEndpointsInput) (*rdsapi.DescribeDBProxyEndpointsOutput, error) {
	proxy := strings.ToLower(ptr.Deref(in.DBProxyName))
	want := strings.ToLower(ptr.Deref(in.DBProxyEndpointName))
	var all []rdsapi.DBProxyEndpoint
	err := s.store.View(func(tx storage.Tx) error {
		if proxy != "" {
			if _, err := s.loadProxy(tx, ctx, proxy); err != nil {
				return err
			}
		}
		err := proxies.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, p proxyRec) bool {
			if (proxy == "" || p.Name == proxy) && (want == "" || want == p.Name) {
				all = append(all, rdsapi.DBProxyEndpoint{DBProxyEndpointName: ptr.To("default"), DBProxyName: ptr.To(p.Name),
					Status: ptr.To(p.status(now(ctx))), VpcSecurityGroupIds: p.SecurityGroups, VpcSubnetIds: p.Subnets, Endpoint: ptr.To(p.Address),
					CreatedDate: ptr.To(p.Created), TargetRole: ptr.To("READ_WRITE"), IsDefault: ptr.To(true)})
			}
			return true
		})
		if err != nil {
			return err
		}
		return proxyEndpoints.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, e proxyEndpointRec) bool {
			if (proxy == "" || e.Proxy == proxy) && (want == "" || e.Name == want) {
				all = append(all, e.describe())
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if want != "" && len(all) == 0 {
		return nil, rdsapi.ErrDBProxyEndpointNotFoundFault.New("DBProxyEndpoint %s not found.", ptr.Deref(in.DBProxyEndpointName))
	}
	sort.SliceStable(all, func(i, j int) bool { return ptr.Deref(all[i].DBProxyName) < ptr.Deref(all[j].DBProxyName) })
	page, marker, err := paginateAll(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBProxyEndpointsOutput{DBProxyEndpoints: page, Marker: marker}, nil
}

// ModifyDBProxyEndpoint changes an endpoint's security groups.
func (s *RDS) ModifyDBProxyEndpoint(ctx *request.Context, in *rdsapi.ModifyDBProxyEndpointInput) (*rdsapi.ModifyDBProxyEndpointOutput, error) {
	if ptr.Deref(in.NewDBProxyEndpointName) != "" {
		return nil, awserr.InvalidParameterCombination.New("niwa does not rename DB proxy endpoints (NewDBProxyEndpointName).")
	}
	name := strings.ToLower(ptr.Deref(in.DBProxyEndpointName))
	var out rdsapi.DBProxyEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := loadProxyEndpoint(tx, ctx, name, ptr.Deref(in.DBProxyEndpointName))
		if err != nil {
			return err
		}
		if in.VpcSecurityGroupIds != nil {
			e.SecurityGroups = in.VpcSecurityGroupIds
		}
		out = e.describe()
		return proxyEndpoints.Put(tx, anywhere, e, ctx.Account, ctx.Region, name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.ModifyDBProxyEndpointOutput{DBProxyEndpoint: &out}, nil
}

// DeleteDBProxyEndpoint deletes a custom proxy endpoint.
func (s *RDS) DeleteDBProxyEndpoint(ctx *request.Context, in *rdsapi.DeleteDBProxyEndpointInput) (*rdsapi.DeleteDBProxyEndpointOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBProxyEndpointName))
	var out rdsapi.DBProxyEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := loadProxyEndpoint(tx, ctx, name, ptr.Deref(in.DBProxyEndpointName))
		if err != nil {
			return err
		}
		out = e.describe()
		out.Status = ptr.To("deleting")
		return proxyEndpoints.Delete(tx, anywhere, ctx.Account, ctx.Region, name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteDBProxyEndpointOutput{DBProxyEndpoint: &out}, nil
}

// loadProxyEndpoint reads a custom proxy endpoint by its lowercase name
// (given is the name as the caller gave it, for the error).
func loadProxyEndpoint(tx storage.Tx, ctx *request.Context, name, given string) (proxyEndpointRec, error) {
	e, ok, err := proxyEndpoints.Get(tx, anywhere, ctx.Account, ctx.Region, name)
	if err != nil {
		return e, err
	}
	if !ok {
		return e, rdsapi.ErrDBProxyEndpointNotFoundFault.New("DBProxyEndpoint %s not found.", given)
	}
	return e, nil
}
