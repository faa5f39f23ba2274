package dynamodb

import (
	"context"
	"strconv"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Resource-based policies are stored per table, checked by IAM's policy
// parser, and evaluated by the authorizer with the caller's identity
// policies (ResourcePolicy below), as IAM evaluates any resource policy.

func policyNotFound(arn string) error {
	return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: %s", arn)
}

// nextRevision returns a revision id after prev: the clock's milliseconds,
// as AWS's look, kept increasing when the clock does not move.
func nextRevision(prev string, nowMilli int64) string {
	p, _ := strconv.ParseInt(prev, 10, 64)
	return strconv.FormatInt(max(p+1, nowMilli), 10)
}

func revisionMismatch(arn, want, have string) error {
	if have == "" {
		return policyNotFound(arn)
	}
	return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id %s, but the policy associated to target resource %s has revision id %s.", want, arn, have)
}

// PutResourcePolicy attaches or replaces a table's resource-based policy.
func (s *DynamoDB) PutResourcePolicy(ctx *request.Context, in *dynamodbapi.PutResourcePolicyInput) (*dynamodbapi.PutResourcePolicyOutput, error) {
	arn := ptr.Deref(in.ResourceArn)
	doc := ptr.Deref(in.Policy)
	if _, err := iam.Parse(doc); err != nil {
		return nil, validation("Invalid policy document: %s", err.Error())
	}
	var rev string
	err := s.withTableByARN(ctx, arn, true, func(t *tableRecord) error {
		switch want := ptr.Deref(in.ExpectedRevisionId); {
		case want == "":
		case want == "NO_POLICY" && t.Policy != "":
			return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table %s, but a policy exists with revision id %s.", arn, t.PolicyRev)
		case want != "NO_POLICY" && want != t.PolicyRev:
			return revisionMismatch(arn, want, t.PolicyRev)
		}
		t.Policy, t.PolicyRev = doc, nextRevision(t.PolicyRev, ctx.Now().UnixMilli())
		rev = t.PolicyRev
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.PutResourcePolicyOutput{RevisionId: ptr.To(rev)}, nil
}

// GetResourcePolicy returns a table's resource-based policy.
func (s *DynamoDB) GetResourcePolicy(ctx *request.Context, in *dynamodbapi.GetResourcePolicyInput) (*dynamodbapi.GetResourcePolicyOutput, error) {
	arn := ptr.Deref(in.ResourceArn)
	out := &dynamodbapi.GetResourcePolicyOutput{}
	err := s.withTableByARN(ctx, arn, false, func(t *tableRecord) error {
		if t.Policy == "" {
			return policyNotFound(arn)
		}
		out.Policy, out.RevisionId = ptr.To(t.Policy), ptr.To(t.PolicyRev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteResourcePolicy removes a table's resource-based policy.
func (s *DynamoDB) DeleteResourcePolicy(ctx *request.Context, in *dynamodbapi.DeleteResourcePolicyInput) (*dynamodbapi.DeleteResourcePolicyOutput, error) {
	arn := ptr.Deref(in.ResourceArn)
	var rev string
	err := s.withTableByARN(ctx, arn, true, func(t *tableRecord) error {
		if t.Policy == "" {
			return policyNotFound(arn)
		}
		if want := ptr.Deref(in.ExpectedRevisionId); want != "" && want != t.PolicyRev {
			return revisionMismatch(arn, want, t.PolicyRev)
		}
		rev = nextRevision(t.PolicyRev, ctx.Now().UnixMilli())
		t.Policy, t.PolicyRev = "", ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DeleteResourcePolicyOutput{RevisionId: ptr.To(rev)}, nil
}

// ResourcePolicy returns the resource-based policy that governs arn (a
// table, or one of its indexes or streams, which the table's policy
// covers) and the table's account, for the authorizer.
func (s *DynamoDB) ResourcePolicy(ctx context.Context, arn string) (string, string, bool, error) {
	// arn:partition:dynamodb:region:account:table/name[/...], read with
	// Cut (this is asked on every authorized DynamoDB request).
	var parts [6]string
	rest := arn
	for i := range 5 {
		var ok bool
		if parts[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return "", "", false, nil
		}
	}
	parts[5] = rest
	if parts[2] != "dynamodb" || !strings.HasPrefix(parts[5], "table/") {
		return "", "", false, nil
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "table/"), "/")
	sc := storage.Scope{Account: parts[4], Region: parts[3]}
	var doc string
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		t, ok, err := s.tableCache.Get(tx, sc, name) // read-only
		found, doc = ok, t.Policy
		return err
	})
	return doc, sc.Account, found, err
}
