package athena

import (
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is Athena as the platform sees it: operations on a workgroup
// are authorized on "workgroup/<name>" (primary when none is named),
// data catalog operations on "datacatalog/<name>".
func (a *Athena) Declare() kit.Declaration {
	return kit.Declaration{Impl: a, Namespace: "athena", Authz: kit.Authz{Resources: resources}, Close: a.Close,
		Resources: a.cfnResources(), // CloudFormation (cfn.go)
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	arn := func(r string) string { return kit.ARN("athena", env.Region, env.Account, r) }
	switch op {
	case "ListWorkGroups", "ListDataCatalogs", "ListEngineVersions":
		return nil
	case "CreateWorkGroup":
		return []string{arn("workgroup/" + in.Str("Name"))}
	case "GetDatabase", "ListDatabases", "GetTableMetadata", "ListTableMetadata", "GetDataCatalog":
		c := in.Str("CatalogName")
		if c == "" {
			c = in.Str("Name")
		}
		return []string{arn("datacatalog/" + c)}
	}
	if arn := in.Str("ResourceARN"); arn != "" {
		return []string{arn}
	}
	wg := in.Str("WorkGroup")
	if wg == "" {
		wg = primary
	}
	return []string{arn("workgroup/" + wg)}
}
