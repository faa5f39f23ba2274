package lambda

import (
	"net/http"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is Lambda as the platform sees it: functions are named by
// name, partial or full ARN (Invoke and permission changes by the
// version or alias named), function policies are resource policies,
// function tags answer aws:ResourceTag, invocations are CloudTrail data
// events, and function URLs are a raw route.
func (s *Lambda) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "lambda",
		Authz: kit.Authz{
			Renames: map[string]string{
				"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction",
			},
			Resources: resources,
			Policies:  s,
		},
		Audit:   kit.Audit{DataEvents: kit.Set("Invoke", "InvokeAsync", "InvokeWithResponseStream")},
		Tags:    kit.TagLookup(s.resourceTags),
		Routes:  []kit.Route{{Name: "lambda-url", Match: s.MatchURL, Handler: http.HandlerFunc(s.ServeURL)}},
		Routing: kit.Routing{PathPrefixes: pathPrefixes()},
		Limits: kit.Limits{
			// CreateFunction carries a 50 MB zip base64-encoded in JSON;
			// AWS refuses bodies over 70,167,211 bytes.
			MaxBody: 70167211,
			// Synchronous invocation payloads are at most 6 MB
			// (6,291,456 bytes); asynchronous ones 1 MB.
			PerOperation: map[string]int64{"Invoke": 6291456, "InvokeWithResponseStream": 6291456, "InvokeAsync": 1 << 20},
			TooLarge:     tooLarge,
		},
		Reset: s.Reset,
		Close: s.Close,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if f := in.Str("FunctionName"); f != "" {
		a := FunctionARN(f, env)
		if qualifiedOps[op] {
			// Invoke and permission changes act on the version or alias
			// named: a policy on the unqualified ARN does not cover them
			// ("function:name:*" does).
			if q := functionQualifier(f, in.Str("Qualifier")); q != "" {
				a += ":" + q
			}
		}
		return []string{a}
	}
	if l := in.Str("LayerName"); l != "" {
		if strings.HasPrefix(l, "arn:") {
			return []string{l}
		}
		res := "layer:" + l
		if v := in.Str("VersionNumber"); v != "" {
			res += ":" + v
		}
		return []string{kit.ARN("lambda", env.Region, env.Account, res)}
	}
	if u := in.Str("UUID"); u != "" {
		return []string{kit.ARN("lambda", env.Region, env.Account, "event-source-mapping:"+u)}
	}
	if r := in.Str("Resource"); strings.HasPrefix(r, "arn:") {
		return []string{r}
	}
	return nil
}

// FunctionARN turns a FunctionName (name, partial ARN, full ARN, with or
// without a qualifier) into the function's ARN (unqualified: policies
// name functions, and a qualifier is matched by "<arn>:*").
func FunctionARN(f string, env kit.Env) string {
	if strings.HasPrefix(f, "arn:") {
		parts := strings.Split(f, ":")
		if len(parts) > 7 {
			return strings.Join(parts[:7], ":")
		}
		return f
	}
	parts := strings.Split(f, ":")
	switch {
	case len(parts) >= 3 && parts[1] == "function": // 123456789012:function:name
		return kit.ARN("lambda", env.Region, parts[0], "function:"+parts[2])
	case len(parts) == 2: // name:qualifier
		return kit.ARN("lambda", env.Region, env.Account, "function:"+parts[0])
	}
	return kit.ARN("lambda", env.Region, env.Account, "function:"+f)
}

// qualifiedOps are the operations whose resource is the function
// version or alias when one is named (Lambda's "Resources and
// conditions for Lambda actions": Invoke, AddPermission,
// RemovePermission act on "Function, Function version, Function
// alias"; the others on the function).
var qualifiedOps = kit.Set("Invoke", "InvokeAsync", "InvokeWithResponseStream", "AddPermission", "RemovePermission")

// functionQualifier is the version or alias a FunctionName carries
// (name:q, 123456789012:function:name:q, a qualified ARN) or else the
// Qualifier member.
func functionQualifier(f, q string) string {
	parts := strings.Split(f, ":")
	switch {
	case strings.HasPrefix(f, "arn:") && len(parts) > 7:
		return parts[7]
	case !strings.HasPrefix(f, "arn:") && len(parts) == 4 && parts[1] == "function":
		return parts[3]
	case len(parts) == 2:
		return parts[1]
	}
	return q
}

// resourceTags reads a function's tags (a qualifier's are the
// function's) through ListTags.
func (s *Lambda) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, res, ok := kit.ARNScope(ctx, arn)
	if !ok || !strings.HasPrefix(res, "function:") {
		return nil, false, nil
	}
	fn := strings.Join(strings.SplitN(arn, ":", 8)[:7], ":")
	out, err := s.ListTags(c, &lambdaapi.ListTagsRequest{Resource: &fn})
	if err != nil {
		return kit.NotFound(err)
	}
	return out.Tags, true, nil
}

// pathPrefixes are the dated first segments of every URI of Lambda's
// model: an unsigned request under one is Lambda's (TestPathPrefixes in
// internal/server checks the list against the model).
func pathPrefixes() []string {
	return []string{
		"2014-11-13", "2015-03-31", "2016-08-19", "2017-03-31", "2017-10-31",
		"2018-10-31", "2019-09-25", "2019-09-30", "2020-04-22", "2020-06-30",
		"2021-07-20", "2021-10-31", "2021-11-15", "2024-08-31",
	}
}

// tooLarge is Lambda's own wording of an oversized request, as its
// CreateFunction and Invoke answer.
func tooLarge(limit int64, op string) *awserr.Error {
	msg := "Request must be smaller than " + strconv.FormatInt(limit, 10) + " bytes"
	if op != "" {
		msg += " for the " + op + " operation"
	}
	return awserr.Code{Code: "RequestTooLargeException", Status: http.StatusRequestEntityTooLarge, Sender: true}.
		New("%s", msg).With("Type", "User")
}
