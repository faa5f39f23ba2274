package rds

import (
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes the service from what the platform gives it, without
// Secrets Manager behind ManageMasterUserPassword (internal/server
// wires it).
func Build(d kit.Deps) (kit.Declaration, error) {
	s, err := New(Options{Store: d.Store, Clock: d.Clock, Bus: d.Bus, Log: d.Log, DataDir: d.DataDir})
	if err != nil {
		return kit.Declaration{}, err
	}
	s.Start()
	return s.Declare(), nil
}

// Declare is RDS as the platform sees it: IAM actions rds:<Operation>
// on the resources' ARNs; instance endpoints are names niwa's DNS
// answers.
func (s *RDS) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "rds",
		Authz: kit.Authz{
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				if v := in.Str("ResourceName"); v != "" {
					return []string{v}
				}
				if v := in.Str("DBInstanceIdentifier"); v != "" {
					return []string{kit.ARN("rds", env.Region, env.Account, "db:"+v)}
				}
				if v := in.Str("DBSnapshotIdentifier"); v != "" {
					return []string{kit.ARN("rds", env.Region, env.Account, "snapshot:"+v)}
				}
				return nil
			},
		},
		Tags:  kit.TagLookup(s.resourceTags),
		Names: s.OwnsName,
		NotImplemented: kit.Reasons{}.
			Add("Aurora clusters are not in niwa yet (issue 25 part 2)", "CreateDBCluster", "DescribeDBClusters", "DeleteDBCluster").
			Add("read replicas are not in niwa yet (issue 25 part 2)", "CreateDBInstanceReadReplica", "PromoteReadReplica").
			Add("RDS Proxy is not in niwa yet (issue 25 part 2)", "CreateDBProxy", "DescribeDBProxies"),
		Reset: s.Reset,
		Close: s.Close,
	}
}
