package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// CloudFormation acts as its caller, or as the stack's service role
// (RoleARN), when it makes resources: each provider operation is
// authorized, through the one policy engine, as the API call AWS's
// resource handler makes for it (Create<Thing>, Delete<Thing>, ...; the
// properties are that call's input), so a caller who may not create a
// queue cannot have a stack create one either.

// providerVerbs are the API verbs that stand for a provider operation,
// tried in order against the service's operations.
func providerVerbs(verb string) []string {
	switch verb {
	case "create":
		return []string{"Create", "Put", "Add", "Register", "Allocate", "Run", "Import", "Publish", "Subscribe"}
	case "update":
		return []string{"Update", "Put", "Modify", "Set"}
	case "delete":
		return []string{"Delete", "Remove", "Deregister", "Release", "Terminate", "Unsubscribe"}
	}
	return nil
}

// providerOperation is the operation of svc that stands for a provider
// operation on typ (AWS::SQS::Queue create: CreateQueue), "" for none.
func providerOperation(ops []string, typ, verb string) string {
	parts := strings.Split(typ, "::")
	thing := strings.ToLower(parts[len(parts)-1])
	have := make(map[string]string, len(ops))
	for _, op := range ops {
		have[strings.ToLower(op)] = op
	}
	for _, v := range providerVerbs(verb) {
		if op, ok := have[strings.ToLower(v)+thing]; ok {
			return op
		}
	}
	return ""
}

// authorizeProvider asks whether ctx's caller may make the call that
// stands for a provider operation.
func (d *deps) authorizeProvider(ctx *request.Context, svc, typ, verb string, r kit.ResourceRequest) error {
	spec, ok := d.specs[svc]
	if !ok || d.callerAuth == nil || d.callerAuth.auth == nil {
		return nil
	}
	op := providerOperation(spec.Operations, typ, verb)
	if op == "" {
		return nil
	}
	b, ok := spec.Bind(d.decls[svc].Impl)[op]
	if !ok {
		return nil
	}
	in := b.NewInput()
	fillInput(in, r.Properties)
	if verb != "create" && r.PhysicalID != "" {
		setIdentifier(in, r.PhysicalID, false)
	} else if verb == "create" {
		// A name CloudFormation generates (<stack>-<logical>-<random>) is
		// checked as one like it, so policies scoped to the stack's
		// names match.
		setIdentifier(in, kit.PhysicalName(r, 64), true)
	}
	c := asCallerIn(ctx, svc)
	c.Operation = op
	return d.callerAuth.authorize(c, &gateway.Service{Spec: spec}, op, in)
}

// fillInput decodes each property into the input member of the same
// name (CloudFormation's properties mostly are the API's members);
// properties whose shapes differ are left out.
func fillInput(in any, props map[string]any) {
	for k, v := range props {
		b, err := json.Marshal(map[string]any{k: v})
		if err != nil {
			continue
		}
		_ = json.Unmarshal(b, in)
	}
}

// setIdentifier puts the resource's physical id in the first empty
// member that names the resource (QueueUrl, TableName, TopicArn,
// Bucket, ...; with namesOnly, only names: QueueName, Bucket, Name).
func setIdentifier(in any, id string, namesOnly bool) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		name := t.Field(i).Name
		if f.Kind() != reflect.Pointer || f.Type().Elem().Kind() != reflect.String || !f.IsNil() {
			continue
		}
		if namesOnly && name != "Bucket" && name != "Name" && !strings.HasSuffix(name, "Name") {
			continue
		}
		if name == "Bucket" || strings.HasSuffix(name, "Name") || strings.HasSuffix(name, "Url") ||
			strings.HasSuffix(name, "Arn") || strings.HasSuffix(name, "Id") {
			s := id
			f.Set(reflect.ValueOf(&s))
			return
		}
	}
}

// cfnSessionName is the session name of CloudFormation's role sessions.
const cfnSessionName = "AWSCloudFormation"

// cfnAssumeRole is CloudFormation assuming a stack's service role: the
// role must exist and trust cloudformation.amazonaws.com; the session is
// a temporary credential the policy engine knows.
func (d *deps) cfnAssumeRole(ctx *request.Context, roleARN string) (request.Caller, error) {
	invalid := awserr.ValidationError
	if d.iam == nil || d.iam.svc == nil || d.sts == nil || d.sts.svc == nil {
		return request.Caller{}, invalid.New("Role %s is invalid or cannot be assumed", roleARN)
	}
	role, ok, err := d.iam.svc.RoleByARN(roleARN)
	if err != nil {
		return request.Caller{}, err
	}
	if !ok {
		return request.Caller{}, invalid.New("Role %s is invalid or cannot be assumed", roleARN)
	}
	trust, err := iam.Parse(role.TrustPolicy)
	if err != nil {
		return request.Caller{}, invalid.New("Role %s is invalid or cannot be assumed", roleARN)
	}
	trusted, _ := iam.ResourceAllows(trust, iam.Request{Principal: iam.Principal{Service: "cloudformation.amazonaws.com"},
		Action: "sts:AssumeRole", Resource: role.ARN})
	if !trusted {
		return request.Caller{}, invalid.New("Role %s is invalid or cannot be assumed", roleARN)
	}
	t, err := d.sts.svc.IssueRoleCredentials(d.clock.Now(), role.Account, role.ARN, cfnSessionName, time.Hour)
	if err != nil {
		return request.Caller{}, err
	}
	return request.Caller{AccessKeyID: t.AccessKeyID, SessionToken: t.SessionToken, Account: t.Account, ARN: t.ARN, UserID: t.UserID}, nil
}
