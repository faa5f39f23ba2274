package secretsmanager

import (
	"context"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is Secrets Manager as the platform sees it: secrets are named
// by name or (partial) ARN and checked on their full ARN, secret policies
// are resource policies, secret tags answer aws:ResourceTag.
func (s *SecretsManager) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "secretsmanager",
		Authz:     authzRules(s.SecretARN, s),
		Tags: kit.TagLookup(func(ctx *request.Context, arn string) (map[string]string, bool, error) {
			return s.Tags(ctx, arn)
		}),
		Reset: s.Reset, // its rotation and deletion timers
		Close: s.Close,
	}
}

// secretFinder resolves a SecretId (name or partial ARN) of account and
// region to the secret's full ARN (SecretsManager.SecretARN).
type secretFinder func(ctx context.Context, account, region, id string) (string, bool)

func authzRules(find secretFinder, policies kit.PolicySource) kit.Authz {
	return kit.Authz{
		Resources: resources(find),
		Context:   contextKeys,
		Extra:     extraChecks(find),
		Policies:  policies,
	}
}

// Authorization: a secret's ARN ends in a random six-character suffix
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf), so a
// SecretId given by name or partial ARN is resolved to the full ARN for
// policies to match. A secret that does not exist yet (CreateSecret) or
// at all is checked on <name>-?????? — what "secret:<name>-*" and
// "secret:<name>*" patterns match.

func secretResource(id string, env kit.Env, find secretFinder) string {
	if find != nil {
		if a, ok := find(env.Ctx, env.Account, env.Region, id); ok {
			return a
		}
	}
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return kit.ARN("secretsmanager", env.Region, env.Account, "secret:"+id+"-??????")
}

func resources(find secretFinder) func(op string, in kit.Input, env kit.Env) []string {
	return func(op string, in kit.Input, env kit.Env) []string {
		id := in.Str("SecretId")
		if op == "CreateSecret" {
			id = in.Str("Name")
		}
		if id == "" {
			return nil
		}
		return []string{secretResource(id, env, find)}
	}
}

// extraChecks: BatchGetSecretValue with SecretIdList also needs
// secretsmanager:GetSecretValue on every secret it names.
func extraChecks(find secretFinder) func(op string, in kit.Input, env kit.Env) []kit.Check {
	return func(op string, in kit.Input, env kit.Env) []kit.Check {
		if op != "BatchGetSecretValue" {
			return nil
		}
		var out []kit.Check
		for _, id := range in.Strs("SecretIdList") {
			out = append(out, kit.Check{Action: "secretsmanager:GetSecretValue", Resource: secretResource(id, env, find), Context: iam.Context{}})
		}
		return out
	}
}

// contextKeys: the request's condition keys (Service Authorization
// Reference, "Condition keys for AWS Secrets Manager").
func contextKeys(op string, in kit.Input) iam.Context {
	c := iam.Context{}
	c.Set("secretsmanager:SecretId", in.Str("SecretId"))
	if op == "CreateSecret" {
		c.Set("secretsmanager:Name", in.Str("Name"))
	}
	c.Set("secretsmanager:Description", in.Str("Description"))
	c.Set("secretsmanager:KmsKeyId", in.Str("KmsKeyId"))
	c.Set("secretsmanager:VersionId", in.Str("VersionId"))
	c.Set("secretsmanager:VersionStage", in.Str("VersionStage"))
	c.Set("secretsmanager:RotationLambdaARN", in.Str("RotationLambdaARN"))
	if op == "PutResourcePolicy" {
		c.Set("secretsmanager:BlockPublicPolicy", strconv.FormatBool(in.Bool("BlockPublicPolicy")))
	}
	if op == "CreateSecret" || op == "ReplicateSecretToRegions" {
		c.Set("secretsmanager:ForceOverwriteReplicaSecret", strconv.FormatBool(in.Bool("ForceOverwriteReplicaSecret")))
	}
	return c
}
