package rds

import (
	"sort"
	"strings"

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
			// Resources are every resource the input names (a snapshot
			// call names its instance and its snapshot, and IAM asks
			// for both); identifiers are lowercase in RDS's ARNs.
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				var out []string
				for _, m := range []string{"ResourceName", "ResourceArn"} {
					if v := in.Str(m); v != "" {
						out = append(out, v)
					}
				}
				for member, kind := range map[string]string{"DBInstanceIdentifier": "db:", "DBSnapshotIdentifier": "snapshot:",
					"DBSubnetGroupName": "subgrp:", "DBParameterGroupName": "pg:", "OptionGroupName": "og:", "SubscriptionName": "es:",
					"DBClusterIdentifier": "cluster:", "DBClusterSnapshotIdentifier": "cluster-snapshot:", "DBClusterParameterGroupName": "cluster-pg:",
					"DBClusterEndpointIdentifier": "cluster-endpoint:"} {
					if v := in.Str(member); v != "" {
						if strings.HasPrefix(v, "arn:") {
							out = append(out, v)
						} else {
							out = append(out, kit.ARN("rds", env.Region, env.Account, kind+strings.ToLower(v)))
						}
					}
				}
				sort.Strings(out)
				return out
			},
		},
		Tags:     kit.TagLookup(s.resourceTags),
		Names:    s.OwnsName,
		EachName: s.EachName,
		NotImplemented: kit.Reasons{}.
			Add("Blue/Green deployments keep a green environment replicated from the blue one; niwa's servers do not stream replication",
				"CreateBlueGreenDeployment", "DeleteBlueGreenDeployment", "DescribeBlueGreenDeployments", "SwitchoverBlueGreenDeployment").
			Add("custom engine versions are built from Oracle or SQL Server installation media for RDS Custom; niwa runs MariaDB and PostgreSQL only",
				"CreateCustomDBEngineVersion", "DeleteCustomDBEngineVersion", "ModifyCustomDBEngineVersion").
			Add("Aurora Limitless shard groups spread one database over many servers; a niwa cluster is one server",
				"CreateDBShardGroup", "DeleteDBShardGroup", "DescribeDBShardGroups", "ModifyDBShardGroup", "RebootDBShardGroup").
			Add("zero-ETL integrations replicate into Amazon Redshift, which niwa does not run",
				"CreateIntegration", "DeleteIntegration", "DescribeIntegrations", "ModifyIntegration").
			Add("global databases replicate a cluster's storage to other regions; niwa's servers do not stream replication",
				"CreateGlobalCluster", "DeleteGlobalCluster", "DescribeGlobalClusters", "ModifyGlobalCluster", "FailoverGlobalCluster",
				"SwitchoverGlobalCluster", "RemoveFromGlobalCluster", "PromoteReadReplicaDBCluster", "SwitchoverReadReplica").
			Add("tenant databases are Oracle multitenant databases; niwa runs no Oracle",
				"CreateTenantDatabase", "DeleteTenantDatabase", "DescribeTenantDatabases", "ModifyTenantDatabase", "DescribeDBSnapshotTenantDatabases").
			Add("DB security groups belong to EC2-Classic, which AWS retired; instances use VPC security groups",
				"AuthorizeDBSecurityGroupIngress", "CreateDBSecurityGroup", "DeleteDBSecurityGroup", "DescribeDBSecurityGroups", "RevokeDBSecurityGroupIngress").
			Add("reserved instances are a billing offer; niwa bills nothing",
				"DescribeReservedDBInstances", "DescribeReservedDBInstancesOfferings", "PurchaseReservedDBInstancesOffering").
			Add("database activity streams are produced by Aurora's storage into Kinesis; niwa's servers produce none",
				"StartActivityStream", "StopActivityStream", "ModifyActivityStream").
			Add("point-in-time recovery replays the servers' transaction logs, which niwa does not keep (it keeps snapshots, which restore)",
				"RestoreDBInstanceToPointInTime", "RestoreDBClusterToPointInTime", "DescribeDBInstanceAutomatedBackups", "DescribeDBClusterAutomatedBackups",
				"DeleteDBInstanceAutomatedBackup", "DeleteDBClusterAutomatedBackup", "StartDBInstanceAutomatedBackupsReplication", "StopDBInstanceAutomatedBackupsReplication").
			Add("backtrack rewinds Aurora MySQL's storage in place; a niwa cluster is a MariaDB server without it",
				"BacktrackDBCluster", "DescribeDBClusterBacktracks").
			Add("restoring from S3 reads Percona XtraBackup files, which niwa's MariaDB servers cannot load (create from a snapshot instead)",
				"RestoreDBInstanceFromS3", "RestoreDBClusterFromS3").
			Add("Aurora Serverless v1 capacity; niwa's clusters are provisioned (Serverless v2 is recorded on the cluster)",
				"ModifyCurrentDBClusterCapacity").
			Add("recommendations come from AWS's analysis of a fleet; niwa has none to give",
				"DescribeDBRecommendations", "ModifyDBRecommendation").
			Add("snapshot exports write Apache Parquet to S3; niwa's snapshots are SQL dumps and are not exported yet",
				"StartExportTask", "CancelExportTask", "DescribeExportTasks"),
		Reset:     s.Reset,
		Close:     s.Close,
		Resources: s.cfnResources(),
	}
}
