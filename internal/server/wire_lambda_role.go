package server

import (
	"context"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
)

// lambdaRoleAccess is how Lambda asks whether a function's execution role
// may read an event source (SQS queue, DynamoDB stream): the same engine
// and the same policies as a request signed with the role's credentials
// (its identity policies and boundary, the source's resource policy).
// With enforcement off it is nil: nothing is checked; in soft mode a
// denial is logged and allowed.
func lambdaRoleAccess(d *deps) lambda.RoleAccess {
	mode := d.cfg.IAMEnforcement
	if mode == "" {
		mode = EnforcementOn
	}
	if mode == EnforcementOff || d.iam == nil || d.sts == nil {
		return nil
	}
	// The sources' resource policies, taken now: SQS and DynamoDB are
	// wired before Lambda, and pollers may ask while later services are
	// still being wired (the shared map is not safe to read then).
	sources := map[string]kit.Declaration{}
	for _, ns := range []string{"sqs", "dynamodb"} {
		if src, ok := d.policySources[ns]; ok {
			sources[ns] = src
		}
	}
	a := &authorizer{mode: mode, iam: d.iam.svc, sts: d.sts.svc, sources: sources, log: d.log, policies: newPolicyCache(d.iam.svc)}
	return func(ctx context.Context, account, region, roleARN, session, resource string, actions []string) (string, error) {
		return a.roleAccess(ctx, d, account, region, roleARN, session, resource, actions)
	}
}

// roleAccess evaluates actions on resource for a session of roleARN and
// returns the first action denied ("" when all are allowed, or when soft
// mode only logs the denial).
func (a *authorizer) roleAccess(ctx context.Context, d *deps, account, region, roleARN, session, resource string, actions []string) (string, error) {
	rc := &request.Context{Context: ctx, Account: account, Region: region, Clock: d.clock, Log: d.log}
	name := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	s := &subject{kind: "AssumedRole", principal: iam.Principal{
		ARN: "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session, Account: account, RoleARN: roleARN,
	}}
	role, ok, err := a.iam.RoleByARN(roleARN)
	if err != nil {
		return "", err
	}
	if ok {
		// A deleted role allows nothing: its policies stay empty.
		s.principal.UserID = role.ID + ":" + session
		if err := a.policies.entity(&s.policies, role.ARN); err != nil {
			return "", err
		}
		s.tags = map[string]string{}
		for _, tg := range role.Tags {
			s.tags[tg.Key] = tg.Value
		}
	}
	for _, action := range actions {
		req := iam.Request{Principal: s.principal, Action: action, Resource: resource,
			Context: a.context(rc, s, kit.Check{Action: action, Resource: resource})}
		pols := s.policies
		if _, err := a.resourcePolicy(rc, kit.Authz{}, &req, &pols); err != nil {
			return "", err
		}
		dec := iam.Evaluate(req, pols)
		a.logDecision(rc, req, dec)
		if !dec.Allowed() && a.mode == EnforcementOn {
			return action, nil
		}
	}
	return "", nil
}
