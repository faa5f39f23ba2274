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
		Tags:  kit.TagLookup(s.resourceTags),
		Names: s.OwnsName,
		Reset: s.Reset,
		Close: s.Close,
	}
}
