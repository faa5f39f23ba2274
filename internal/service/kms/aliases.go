package kms

import (
	"context"
	"sort"
	"strings"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// checkAliasName applies KMS's rules for the names customers create:
// alias/ and a name, not in the reserved alias/aws/ space.
func checkAliasName(name string) error {
	if !strings.HasPrefix(name, "alias/") || len(name) == len("alias/") {
		return validation(`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return errNotAuthorized.New("")
	}
	if strings.Contains(name, ":") {
		return validation("%s contains invalid characters for an alias", name)
	}
	return nil
}

// aliasTarget resolves TargetKeyId, which must name a key, not an alias.
func aliasTarget(ctx *request.Context, tx storage.Tx, target string) (key, error) {
	r, err := parseKeyRef(ctx, target)
	if err != nil {
		return key{}, err
	}
	if r.alias != "" {
		return key{}, validation("Aliases must refer to keys. Not aliases")
	}
	if r.sc != scopeOf(ctx) {
		return key{}, errKeyMissing(target)
	}
	k, _, _, err := lookup(tx, r, ctx.Now())
	return k, err
}

// CreateAlias points a new alias at a key.
func (s *KMS) CreateAlias(ctx *request.Context, in *kmsapi.CreateAliasInput) (*kmsapi.CreateAliasOutput, error) {
	name := *in.AliasName
	if err := checkAliasName(name); err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	now := ctx.Now()
	return &kmsapi.CreateAliasOutput{}, s.store.Update(func(tx storage.Tx) error {
		k, err := aliasTarget(ctx, tx, *in.TargetKeyId)
		if err != nil {
			return err
		}
		if err := notPendingDeletion(&k); err != nil {
			return err
		}
		if old, found, err := aliases.Get(tx, sc, name); err != nil {
			return err
		} else if found && s.keyLive(tx, sc, old.Target, ctx) {
			return kmsapi.ErrAlreadyExistsException.New("An alias with the name %s already exists", aliasARN(sc, name))
		}
		return aliases.Put(tx, sc, alias{Name: name, Target: k.ID, Created: now, Updated: now}, name)
	})
}

// keyLive reports whether key id exists and is not past its deletion
// date (an alias of a deleted key is gone with it).
func (s *KMS) keyLive(tx storage.Tx, sc storage.Scope, id string, ctx *request.Context) bool {
	k, found, err := keys.Get(tx, sc, id)
	if err != nil || !found {
		return false
	}
	deleted, _ := due(&k, ctx.Now())
	return !deleted
}

// UpdateAlias points an existing alias at another key of the same type.
func (s *KMS) UpdateAlias(ctx *request.Context, in *kmsapi.UpdateAliasInput) (*kmsapi.UpdateAliasOutput, error) {
	name := *in.AliasName
	if err := checkAliasName(name); err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	return &kmsapi.UpdateAliasOutput{}, s.store.Update(func(tx storage.Tx) error {
		a, found, err := aliases.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !found || !s.keyLive(tx, sc, a.Target, ctx) {
			return errAliasMissing(aliasARN(sc, name))
		}
		k, err := aliasTarget(ctx, tx, *in.TargetKeyId)
		if err != nil {
			return err
		}
		if err := notPendingDeletion(&k); err != nil {
			return err
		}
		old, _, err := keys.Get(tx, sc, a.Target)
		if err != nil {
			return err
		}
		if old.Usage != k.Usage || specs[old.Spec].symmetric() != specs[k.Spec].symmetric() {
			return validation("%s key usage or key spec does not match the current key of alias %s", k.arn(), name)
		}
		a.Target, a.Updated = k.ID, ctx.Now()
		return aliases.Put(tx, sc, a, name)
	})
}

// DeleteAlias deletes an alias; the key is untouched.
func (s *KMS) DeleteAlias(ctx *request.Context, in *kmsapi.DeleteAliasInput) (*kmsapi.DeleteAliasOutput, error) {
	name := *in.AliasName
	sc := scopeOf(ctx)
	if strings.HasPrefix(name, "alias/aws/") {
		return nil, errNotAuthorized.New("")
	}
	return &kmsapi.DeleteAliasOutput{}, s.store.Update(func(tx storage.Tx) error {
		a, found, err := aliases.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !found || !s.keyLive(tx, sc, a.Target, ctx) {
			return errAliasMissing(aliasARN(sc, name))
		}
		return aliases.Delete(tx, sc, name)
	})
}

// ListAliases lists aliases by name, all or those of one key.
func (s *KMS) ListAliases(ctx *request.Context, in *kmsapi.ListAliasesInput) (*kmsapi.ListAliasesOutput, error) {
	sc := scopeOf(ctx)
	target := ""
	if in.KeyId != nil {
		r, err := parseKeyRef(ctx, *in.KeyId)
		if err != nil {
			return nil, err
		}
		if r.alias != "" {
			return nil, kmsapi.ErrInvalidArnException.New("Key Aliases are not supported for this operation.")
		}
		if _, err := s.read(ctx, in.KeyId); err != nil {
			return nil, err
		}
		target = r.id
	}
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	opts := storage.ListOptions{}
	if in.Marker != nil {
		if !strings.HasPrefix(*in.Marker, "alias/") {
			return nil, kmsapi.ErrInvalidMarkerException.New("Could not deserialize marker '%s'", *in.Marker)
		}
		opts.After = []string{*in.Marker}
	}
	// Live aliases after the marker, one more than a page, in name order.
	var page []kmsapi.AliasListEntry
	stored := map[string]bool{}
	err := s.store.View(func(tx storage.Tx) error {
		if err := aliases.List(tx, sc, nil, opts, func(_ []string, a alias) bool {
			stored[a.Name] = true
			if (target != "" && a.Target != target) || !s.keyLive(tx, sc, a.Target, ctx) {
				return true
			}
			page = append(page, kmsapi.AliasListEntry{
				AliasName: ptr.To(a.Name), AliasArn: ptr.To(aliasARN(sc, a.Name)), TargetKeyId: ptr.To(a.Target),
				CreationDate: ptr.To(a.Created), LastUpdatedDate: ptr.To(a.Updated),
			})
			return len(page) <= limit
		}); err != nil {
			return err
		}
		if target != "" {
			return nil
		}
		// AWS lists the predefined AWS managed aliases before their keys
		// exist (no TargetKeyId); tools look them up this way.
		for _, name := range predefinedAliases() {
			if (in.Marker != nil && name <= *in.Marker) || stored[name] {
				continue
			}
			if _, found, err := aliases.Get(tx, sc, name); err != nil {
				return err
			} else if !found {
				page = append(page, kmsapi.AliasListEntry{AliasName: ptr.To(name), AliasArn: ptr.To(aliasARN(sc, name))})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(page, func(i, j int) bool { return *page[i].AliasName < *page[j].AliasName })
	out := &kmsapi.ListAliasesOutput{Aliases: page, Truncated: ptr.To(false)}
	if len(page) > limit {
		out.Aliases, out.Truncated, out.NextMarker = page[:limit], ptr.To(true), page[limit-1].AliasName
	}
	if out.Aliases == nil {
		out.Aliases = []kmsapi.AliasListEntry{}
	}
	return out, nil
}

// predefinedAliases are the AWS managed aliases, sorted.
func predefinedAliases() []string {
	out := make([]string, 0, len(managedServices))
	for svc := range managedServices {
		out = append(out, "alias/aws/"+svc)
	}
	sort.Strings(out)
	return out
}

// managedServices are the services whose AWS managed keys
// (alias/aws/<service>) niwa creates on first use.
var managedServices = map[string]string{
	"s3": "S3", "ebs": "EBS", "lambda": "Lambda", "sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB",
	"secretsmanager": "Secrets Manager", "ssm": "SSM", "rds": "RDS", "logs": "CloudWatch Logs",
	"kinesis": "Kinesis", "elasticfilesystem": "EFS", "backup": "Backup", "acm": "ACM",
	"redshift": "Redshift", "es": "Elasticsearch", "glue": "Glue", "codecommit": "CodeCommit",
	"cloudtrail": "CloudTrail", "firehose": "Firehose", "xray": "X-Ray", "ecr": "ECR",
}

// managedAliasService returns the service of a predefined AWS alias
// (alias/aws/s3 or its ARN).
func managedAliasService(keyID string) (string, bool) {
	name := keyID
	if strings.HasPrefix(keyID, "arn:") {
		p := strings.SplitN(keyID, ":", 6)
		if len(p) != 6 {
			return "", false
		}
		name = p[5]
	}
	svc, ok := strings.CutPrefix(name, "alias/aws/")
	if !ok {
		return "", false
	}
	_, known := managedServices[svc]
	return svc, known
}

// ManagedKey returns the ARN of the AWS managed key of service (s3, sqs,
// secretsmanager, ...) in account and region, creating it and its alias
// alias/aws/<service> on first use as AWS does. Other services call it
// when a resource asks for their default KMS key.
func (s *KMS) ManagedKey(ctx context.Context, account, region, service string) (string, error) {
	label, ok := managedServices[service]
	if !ok {
		return "", kmsapi.ErrNotFoundException.New("Alias %s is not found.", aliasARN(storage.Scope{Account: account, Region: region}, "alias/aws/"+service))
	}
	clk := s.clock
	if rc, ok := ctx.(*request.Context); ok && rc.Clock != nil {
		clk = rc.Clock
	}
	return s.managedKey(clk, account, region, service, label)
}

func (s *KMS) managedKey(clk clock.Clock, account, region, service, label string) (string, error) {
	sc := storage.Scope{Account: account, Region: region}
	name := "alias/aws/" + service
	now := clk.Now()
	var arn string
	err := s.store.Update(func(tx storage.Tx) error {
		if a, found, err := aliases.Get(tx, sc, name); err != nil {
			return err
		} else if found {
			if k, found, err := keys.Get(tx, sc, a.Target); err != nil {
				return err
			} else if found {
				arn = k.arn()
				return nil
			}
		}
		m, err := newMaterial("SYMMETRIC_DEFAULT", now)
		if err != nil {
			return err
		}
		next := now.Add(days(365))
		k := key{
			ID: newKeyID(false), Account: account, Region: region,
			Description: "Default key that protects my " + label + " data when no other key is defined",
			Usage:       "ENCRYPT_DECRYPT", Spec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", Manager: "AWS",
			State: stateEnabled, Created: now, Policy: managedPolicy(account, service, region),
			Materials: []material{m}, Seed: randomBytes(32), RotationEnabled: true, RotationPeriod: 365, NextRotation: &next,
		}
		if err := keys.Put(tx, sc, k, k.ID); err != nil {
			return err
		}
		arn = k.arn()
		return aliases.Put(tx, sc, alias{Name: name, Target: k.ID, Created: now, Updated: now}, name)
	})
	return arn, err
}

// managedPolicy is the shape of the policy AWS gives AWS managed keys:
// principals of the account may use the key through the service, and
// may describe it directly.
func managedPolicy(account, service, region string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "auto-` + service + `-2",
  "Statement" : [ {
    "Sid" : "Allow access through ` + managedServices[service] + ` for all principals in the account that are authorized to use ` + managedServices[service] + `",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "` + account + `",
        "kms:ViaService" : "` + service + `.` + region + `.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  } ]
}`
}
