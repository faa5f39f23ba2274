package ssm

import (
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is Parameter Store as the platform sees it: parameters are
// checked on their ARN, PutParameter carries ssm:Overwrite, parameter
// tags answer aws:ResourceTag.
func (s *SSM) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "ssm",
		Authz:     kit.Authz{Resources: resources, Context: conditionKeys},
		Tags:      kit.TagLookup(s.resourceTags),
		Reset:     s.Reset,
		Close:     s.Close,
	}
}

// resourceTags reads a parameter's tags by ARN
// (arn:aws:ssm:<region>:<account>:parameter/<name>).
func (s *SSM) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, res, ok := kit.ARNScope(ctx, arn)
	name, isParam := strings.CutPrefix(res, "parameter/")
	if !ok || !isParam || name == "" {
		return nil, false, nil
	}
	return s.ParameterTags(c.Account, c.Region, name)
}

// Parameter Store authorization: the resource of a parameter operation is
// the parameter, arn:aws:ssm:<region>:<account>:parameter/<name without
// its leading slash> (a ":version" or ":label" selector is not part of
// it); GetParameters and DeleteParameters ask once per name;
// GetParametersByPath is checked on the path; the public parameters
// under /aws/ belong to no account. DescribeParameters has no
// resource-level permissions ("*"). PutParameter carries ssm:Overwrite.

// ParameterARN is the ARN of the parameter a Name member names (a name,
// with or without a selector, or an ARN).
func ParameterARN(name string, env kit.Env) string {
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
	return kit.ARN("ssm", env.Region, acct, "parameter/"+strings.TrimPrefix(name, "/"))
}

func resources(op string, in kit.Input, env kit.Env) []string {
	switch op {
	case "SendCommand":
		out := []string{DocumentARN(in.Str("DocumentName"), env)}
		ids := in.Strs("InstanceIds")
		if len(ids) == 0 {
			ids = []string{"*"}
		}
		for _, id := range ids {
			out = append(out, kit.ARN("ec2", env.Region, env.Account, "instance/"+id))
		}
		return out
	case "CreateDocument", "GetDocument", "DescribeDocument", "DeleteDocument", "UpdateDocument",
		"UpdateDocumentDefaultVersion", "ListDocumentVersions":
		return []string{DocumentARN(in.Str("Name"), env)}
	case "CreateAssociation", "DescribeAssociation", "DeleteAssociation", "UpdateAssociation":
		if id := in.Str("AssociationId"); id != "" {
			return []string{kit.ARN("ssm", env.Region, env.Account, "association/"+id)}
		}
		out := []string{DocumentARN(in.Str("Name"), env)}
		if id := in.Str("InstanceId"); id != "" {
			out = append(out, kit.ARN("ec2", env.Region, env.Account, "instance/"+id))
		}
		return out
	case "ListCommands", "ListCommandInvocations", "GetCommandInvocation", "CancelCommand",
		"DescribeInstanceInformation", "ListDocuments", "ListAssociations":
		return nil
	}
	if n := in.Str("Name"); n != "" {
		return []string{ParameterARN(n, env)}
	}
	if p := in.Str("Path"); p != "" {
		return []string{ParameterARN(p, env)}
	}
	if in.Str("ResourceType") == "Parameter" {
		if id := in.Str("ResourceId"); id != "" {
			return []string{ParameterARN(id, env)}
		}
	}
	var out []string
	for _, n := range in.Strs("Names") {
		out = append(out, ParameterARN(n, env))
	}
	return out
}

func conditionKeys(op string, in kit.Input) iam.Context {
	c := iam.Context{}
	if op == "PutParameter" {
		c.Set("ssm:Overwrite", strconv.FormatBool(in.Bool("Overwrite")))
	}
	return c
}

// DocumentARN is the ARN of a document a Name member names: AWS-owned
// documents belong to no account
// (arn:aws:ssm:<region>::document/AWS-RunShellScript).
func DocumentARN(name string, env kit.Env) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	acct := env.Account
	if _, ok := awsDocuments()[name]; ok {
		acct = ""
	}
	return kit.ARN("ssm", env.Region, acct, "document/"+name)
}
