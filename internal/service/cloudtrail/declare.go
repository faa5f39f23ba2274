package cloudtrail

import (
	"reflect"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes CloudTrail without other services (a unit test's): no
// buckets, keys or delivery targets. internal/server wires the real one
// with New and Options.
func Build(d kit.Deps) (kit.Declaration, error) {
	c := New(d.Store, d.Clock, d.Bus, Options{Log: d.Log})
	c.bus.HandleRecords(c)
	return c.Declare(), nil
}

// Declare is CloudTrail as the platform sees it: trail operations act on
// the trail's ARN (a name is the trail of the caller's region), trails
// carry tags, and delivery runs until Close.
func (c *CloudTrail) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      c,
		Namespace: "cloudtrail",
		Authz:     kit.Authz{Resources: resources, Extra: passLogsRole, Context: requestTags},
		Tags:      kit.TagLookup(c.resourceTags),
		Close:     c.Close,
		Reset:     c.Reset,
		Resources: c.cfnResources(), // CloudFormation (cfn.go)
	}
}

// resources names the trail an operation acts on (AWS's CloudTrail
// actions take the trail ARN as resource; account-level ones "*").
func resources(op string, in kit.Input, env kit.Env) []string {
	for _, m := range []string{"Name", "TrailName", "ResourceId"} {
		if v := in.Str(m); v != "" {
			if strings.HasPrefix(v, "arn:") {
				return []string{v}
			}
			return []string{trailARN(env.Account, env.Region, v)}
		}
	}
	if ids := in.Strs("ResourceIdList"); len(ids) > 0 {
		return ids
	}
	return nil
}

// passLogsRole asks iam:PassRole for the CloudWatch Logs role a trail
// hands to CloudTrail (its member name is not one the kit recognizes by
// itself).
func passLogsRole(op string, in kit.Input, _ kit.Env) []kit.Check {
	role := in.Str("CloudWatchLogsRoleArn")
	if role == "" || (op != "CreateTrail" && op != "UpdateTrail") {
		return nil
	}
	ctx := iam.Context{}
	ctx.Set("iam:PassedToService", servicePrincipal)
	return []kit.Check{{Action: "iam:PassRole", Resource: role, Context: ctx}}
}

// requestTags answers aws:RequestTag/<key> and aws:TagKeys from CreateTrail's
// and AddTags's TagsList (a member name the kit does not read by itself).
func requestTags(_ string, in kit.Input) iam.Context {
	ctx := iam.Context{}
	v := reflect.Indirect(in.Value())
	if v.Kind() != reflect.Struct {
		return ctx
	}
	f := v.FieldByName("TagsList")
	if !f.IsValid() || f.Kind() != reflect.Slice {
		return ctx
	}
	var keys []string
	for i := 0; i < f.Len(); i++ {
		tag := kit.ValueInput(f.Index(i))
		k := tag.Str("Key")
		if k == "" {
			continue
		}
		ctx["aws:requesttag/"+strings.ToLower(k)] = []string{tag.Str("Value")}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		ctx["aws:tagkeys"] = keys
	}
	return ctx
}
