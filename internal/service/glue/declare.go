package glue

import (
	"reflect"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is Glue as the platform sees it: catalog resources are the
// catalog, "database/<db>" and "table/<db>/<table>" ARNs (a table
// operation is authorized on the catalog, the database and the table, as
// AWS documents).
func (g *Glue) Declare() kit.Declaration {
	return kit.Declaration{Impl: g, Namespace: "glue", Authz: kit.Authz{Resources: resources},
		Resources: g.cfnResources(), // CloudFormation (cfn.go)
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if arn := in.Str("ResourceArn"); arn != "" {
		return []string{arn}
	}
	account := in.Str("CatalogId")
	if account == "" {
		account = env.Account
	}
	arn := func(r string) string { return kit.ARN("glue", env.Region, account, r) }
	catalog := arn("catalog")
	db := in.Str("DatabaseName")
	if db == "" {
		if di, ok := kit.NewInput(fieldOf(in, "DatabaseInput")); ok && op == "CreateDatabase" {
			db = di.Str("Name")
		} else if op == "GetDatabase" || op == "UpdateDatabase" || op == "DeleteDatabase" {
			db = in.Str("Name")
		}
	}
	if db == "" {
		return []string{catalog}
	}
	out := []string{catalog, arn("database/" + db)}
	table := in.Str("TableName")
	if table == "" && (op == "GetTable" || op == "DeleteTable") {
		table = in.Str("Name")
	}
	if table == "" {
		if ti, ok := kit.NewInput(fieldOf(in, "TableInput")); ok {
			table = ti.Str("Name")
		}
	}
	if table != "" {
		out = append(out, arn("table/"+db+"/"+table))
	}
	return out
}

// fieldOf is a struct member of in, nil when absent.
func fieldOf(in kit.Input, name string) any {
	v := in.Value()
	if !v.IsValid() {
		return nil
	}
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil
	}
	return f.Interface()
}
