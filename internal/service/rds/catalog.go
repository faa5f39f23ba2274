package rds

import (
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// engineVersions are the versions RDS lists per engine (a current
// subset), newest last; each runs on the machine's server of its kind
// (MariaDB for mysql and mariadb, PostgreSQL for postgres), whatever
// its version: the wire protocol and SQL a client uses are the same.
var engineVersions = map[string][]string{
	"mysql":    {"5.7.44", "8.0.35", "8.0.36", "8.0.39", "8.0.40", "8.4.3"},
	"mariadb":  {"10.5.27", "10.6.20", "10.11.10", "11.4.4"},
	"postgres": {"13.18", "14.15", "15.10", "16.6", "17.2"},
	// Aurora's versions (the cluster volume is the machine's MariaDB
	// or PostgreSQL server, as for the engines above).
	"aurora-mysql":      {"5.7.mysql_aurora.2.12.4", "8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.07.1", "8.0.mysql_aurora.3.08.0"},
	"aurora-postgresql": {"13.18", "14.15", "15.10", "16.6", "17.2"},
}

// defaultVersions are what an instance gets without EngineVersion.
var defaultVersions = map[string]string{"mysql": "8.0.39", "mariadb": "10.11.10", "postgres": "16.6",
	"aurora-mysql": "8.0.mysql_aurora.3.08.0", "aurora-postgresql": "16.6"}

// resolveVersion maps EngineVersion (a full version or a major prefix,
// as AWS accepts "8.0") to one of the listed versions.
func resolveVersion(engine, v string) (string, error) {
	vs, ok := engineVersions[engine]
	if !ok {
		return "", awserr.InvalidParameterValue.New("Invalid DB engine: %s", engine)
	}
	if v == "" {
		return defaultVersions[engine], nil
	}
	best := ""
	for _, c := range vs {
		if c == v || strings.HasPrefix(c, v+".") {
			best = c
		}
	}
	if best == "" {
		return "", awserr.InvalidParameterCombination.New("Cannot find version %s for %s", v, engine)
	}
	return best, nil
}

// family is the parameter group family of an engine version
// (mysql8.0, mariadb10.11, postgres16).
func family(engine, version string) string {
	parts := strings.Split(version, ".")
	if kindOf(engine) == dbengine.Postgres {
		return engine + parts[0]
	}
	if len(parts) > 1 {
		return engine + parts[0] + "." + parts[1]
	}
	return engine + version
}

func licenseOf(engine string) string {
	if kindOf(engine) == dbengine.Postgres {
		return "postgresql-license"
	}
	return "general-public-license"
}

// classes are the instance classes niwa accepts (every engine above
// runs on each; niwa does not size the server by class).
var classes = []string{
	"db.t3.micro", "db.t3.small", "db.t3.medium", "db.t3.large", "db.t3.xlarge", "db.t3.2xlarge",
	"db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.t4g.xlarge", "db.t4g.2xlarge",
	"db.m5.large", "db.m5.xlarge", "db.m5.2xlarge", "db.m5.4xlarge",
	"db.m6g.large", "db.m6g.xlarge", "db.m6i.large", "db.m6i.xlarge", "db.m7g.large", "db.m7g.xlarge",
	"db.r5.large", "db.r5.xlarge", "db.r6g.large", "db.r6g.xlarge", "db.r6i.large", "db.r7g.large",
}

// auroraClasses are the classes of Aurora instances (db.serverless is
// Serverless v2, scaled by the cluster's recorded capacity range).
var auroraClasses = []string{
	"db.serverless", "db.t3.medium", "db.t4g.medium", "db.t4g.large",
	"db.r5.large", "db.r5.xlarge", "db.r6g.large", "db.r6g.xlarge", "db.r6i.large", "db.r7g.large", "db.r7g.xlarge",
}

func classesOf(engine string) []string {
	if isAurora(engine) {
		return auroraClasses
	}
	return classes
}

func classSupported(engine, class string) bool {
	if _, ok := engineVersions[engine]; !ok {
		return false
	}
	for _, c := range classesOf(engine) {
		if c == class {
			return true
		}
	}
	return false
}

// DescribeDBEngineVersions lists the versions above, with the machine's
// server underneath named in the description.
func (s *RDS) DescribeDBEngineVersions(ctx *request.Context, in *rdsapi.DescribeDBEngineVersionsInput) (*rdsapi.DescribeDBEngineVersionsOutput, error) {
	var all []rdsapi.DBEngineVersion
	for _, engine := range []string{"aurora-mysql", "aurora-postgresql", "mariadb", "mysql", "postgres"} {
		if e := ptr.Deref(in.Engine); e != "" && e != engine {
			continue
		}
		desc := map[string]string{"mysql": "MySQL Community Edition", "mariadb": "MariaDB Community Edition", "postgres": "PostgreSQL",
			"aurora-mysql": "Aurora MySQL", "aurora-postgresql": "Aurora (PostgreSQL)"}[engine]
		under := "not installed (install the Debian package " + kindOf(engine).Package() + ")"
		if b, err := dbengine.Find(kindOf(engine)); err == nil {
			under = string(b.Kind) + " " + b.Version + " on this machine"
		}
		for _, v := range engineVersions[engine] {
			if want := ptr.Deref(in.EngineVersion); want != "" && v != want && !strings.HasPrefix(v, want+".") {
				continue
			}
			if ptr.Deref(in.DefaultOnly) && v != defaultVersions[engine] {
				continue
			}
			fam := family(engine, v)
			if f := ptr.Deref(in.DBParameterGroupFamily); f != "" && f != fam {
				continue
			}
			parts := strings.Split(v, ".")
			major := parts[0]
			if kindOf(engine) != dbengine.Postgres {
				major += "." + parts[1]
			}
			all = append(all, rdsapi.DBEngineVersion{
				Engine: ptr.To(engine), EngineVersion: ptr.To(v), DBParameterGroupFamily: ptr.To(fam),
				DBEngineDescription: ptr.To(desc), DBEngineVersionDescription: ptr.To(desc + " " + v + " (" + under + ")"),
				MajorEngineVersion: ptr.To(major), Status: ptr.To("available"), SupportsReadReplica: ptr.To(true),
				SupportedEngineModes: []string{"provisioned"}, SupportsLogExportsToCloudwatchLogs: ptr.To(false),
			})
		}
	}
	page, marker, err := paginate(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBEngineVersionsOutput{DBEngineVersions: page, Marker: marker}, nil
}

// DescribeOrderableDBInstanceOptions lists engine version × class.
func (s *RDS) DescribeOrderableDBInstanceOptions(ctx *request.Context, in *rdsapi.DescribeOrderableDBInstanceOptionsInput) (*rdsapi.DescribeOrderableDBInstanceOptionsOutput, error) {
	engine := ptr.Deref(in.Engine)
	vs, ok := engineVersions[engine]
	if !ok {
		return nil, awserr.InvalidParameterValue.New("Invalid DB engine: %s", engine)
	}
	var all []rdsapi.OrderableDBInstanceOption
	for _, v := range vs {
		if want := ptr.Deref(in.EngineVersion); want != "" && v != want {
			continue
		}
		for _, c := range classesOf(engine) {
			if want := ptr.Deref(in.DBInstanceClass); want != "" && c != want {
				continue
			}
			all = append(all, rdsapi.OrderableDBInstanceOption{
				Engine: ptr.To(engine), EngineVersion: ptr.To(v), DBInstanceClass: ptr.To(c), LicenseModel: ptr.To(licenseOf(engine)),
				AvailabilityZones: []rdsapi.AvailabilityZone{{Name: ptr.To(ctx.Region + "a")}, {Name: ptr.To(ctx.Region + "b")}, {Name: ptr.To(ctx.Region + "c")}},
				MultiAZCapable:    ptr.To(true), ReadReplicaCapable: ptr.To(true), Vpc: ptr.To(true), StorageType: ptr.To("gp2"),
				SupportsIAMDatabaseAuthentication: ptr.To(true), MinStorageSize: ptr.To(int32(20)), MaxStorageSize: ptr.To(int32(65536)),
				SupportedEngineModes: []string{"provisioned"}, SupportedNetworkTypes: []string{"IPV4"},
			})
		}
	}
	page, marker, err := paginate(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeOrderableDBInstanceOptionsOutput{OrderableDBInstanceOptions: page, Marker: marker}, nil
}
