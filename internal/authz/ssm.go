package authz

import (
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// Parameter Store authorization: the resource of a parameter operation is
// the parameter, arn:aws:ssm:<region>:<account>:parameter/<name without
// its leading slash> (a ":version" or ":label" selector is not part of
// it); GetParameters and DeleteParameters ask once per name;
// GetParametersByPath is checked on the path; the public parameters
// under /aws/ belong to no account. DescribeParameters has no
// resource-level permissions ("*"). PutParameter carries ssm:Overwrite.

// ParameterARN is the ARN of the parameter a Name member names (a name,
// with or without a selector, or an ARN).
func ParameterARN(name string, env Env) string {
	if strings.HasPrefix(name, "arn:") {
		if p := strings.SplitN(name, ":", 7); len(p) == 7 {
			return strings.Join(p[:6], ":") // drop the selector
		}
		return name
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	acct := env.Account
	if strings.HasPrefix(name, "/aws/") {
		acct = ""
	}
	return arn("ssm", env.Region, acct, "parameter/"+strings.TrimPrefix(name, "/"))
}

func ssmResources(op string, in fields, env Env) []string {
	if n := in.str("Name"); n != "" {
		return []string{ParameterARN(n, env)}
	}
	if p := in.str("Path"); p != "" {
		return []string{ParameterARN(p, env)}
	}
	if in.str("ResourceType") == "Parameter" {
		if id := in.str("ResourceId"); id != "" {
			return []string{ParameterARN(id, env)}
		}
	}
	var out []string
	for _, n := range in.strs("Names") {
		out = append(out, ParameterARN(n, env))
	}
	return out
}

func ssmContext(op string, in fields) iam.Context {
	c := iam.Context{}
	if op == "PutParameter" {
		c.Set("ssm:Overwrite", strconv.FormatBool(in.boolean("Overwrite")))
	}
	return c
}
