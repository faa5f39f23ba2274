package authz

import (
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// Secrets Manager: a secret's ARN ends in a random six-character suffix
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf), so a
// SecretId given by name or partial ARN is resolved to the full ARN
// (Env.SecretARN) for policies to match. A secret that does not exist yet
// (CreateSecret) or at all is checked on <name>-?????? — what
// "secret:<name>-*" and "secret:<name>*" patterns match.

func secretResource(id string, env Env) string {
	if env.SecretARN != nil {
		if a, ok := env.SecretARN(id); ok {
			return a
		}
	}
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return arn("secretsmanager", env.Region, env.Account, "secret:"+id+"-??????")
}

func secretsManagerResources(op string, in fields, env Env) []string {
	id := in.str("SecretId")
	if op == "CreateSecret" {
		id = in.str("Name")
	}
	if id == "" {
		return nil
	}
	return []string{secretResource(id, env)}
}

// secretsManagerExtraChecks: BatchGetSecretValue with SecretIdList also
// needs secretsmanager:GetSecretValue on every secret it names.
func secretsManagerExtraChecks(op string, in fields, env Env) []Check {
	if op != "BatchGetSecretValue" {
		return nil
	}
	var out []Check
	for _, id := range in.strs("SecretIdList") {
		out = append(out, Check{Action: "secretsmanager:GetSecretValue", Resource: secretResource(id, env), Context: iam.Context{}})
	}
	return out
}

// secretsManagerContext: the request's condition keys (Service
// Authorization Reference, "Condition keys for AWS Secrets Manager").
func secretsManagerContext(op string, in fields) iam.Context {
	c := iam.Context{}
	c.Set("secretsmanager:SecretId", in.str("SecretId"))
	if op == "CreateSecret" {
		c.Set("secretsmanager:Name", in.str("Name"))
	}
	c.Set("secretsmanager:Description", in.str("Description"))
	c.Set("secretsmanager:KmsKeyId", in.str("KmsKeyId"))
	c.Set("secretsmanager:VersionId", in.str("VersionId"))
	c.Set("secretsmanager:VersionStage", in.str("VersionStage"))
	c.Set("secretsmanager:RotationLambdaARN", in.str("RotationLambdaARN"))
	if op == "PutResourcePolicy" {
		c.Set("secretsmanager:BlockPublicPolicy", strconv.FormatBool(in.boolean("BlockPublicPolicy")))
	}
	if op == "CreateSecret" || op == "ReplicateSecretToRegions" {
		c.Set("secretsmanager:ForceOverwriteReplicaSecret", strconv.FormatBool(in.boolean("ForceOverwriteReplicaSecret")))
	}
	return c
}
