package dynamodb

import (
	"strconv"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Resource-based policies are stored per table and checked by IAM's policy
// parser; niwa does not evaluate them when authorizing requests (see
// docs/dynamodb.md).

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
	arn := deref(in.ResourceArn)
	doc := deref(in.Policy)
	if _, err := iam.Parse(doc); err != nil {
		return nil, validation("Invalid policy document: %s", err.Error())
	}
	var rev string
	err := s.withTableByARN(ctx, arn, true, func(t *tableRecord) error {
		switch want := deref(in.ExpectedRevisionId); {
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
	return &dynamodbapi.PutResourcePolicyOutput{RevisionId: ptr(rev)}, nil
}

// GetResourcePolicy returns a table's resource-based policy.
func (s *DynamoDB) GetResourcePolicy(ctx *request.Context, in *dynamodbapi.GetResourcePolicyInput) (*dynamodbapi.GetResourcePolicyOutput, error) {
	arn := deref(in.ResourceArn)
	out := &dynamodbapi.GetResourcePolicyOutput{}
	err := s.withTableByARN(ctx, arn, false, func(t *tableRecord) error {
		if t.Policy == "" {
			return policyNotFound(arn)
		}
		out.Policy, out.RevisionId = ptr(t.Policy), ptr(t.PolicyRev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteResourcePolicy removes a table's resource-based policy.
func (s *DynamoDB) DeleteResourcePolicy(ctx *request.Context, in *dynamodbapi.DeleteResourcePolicyInput) (*dynamodbapi.DeleteResourcePolicyOutput, error) {
	arn := deref(in.ResourceArn)
	var rev string
	err := s.withTableByARN(ctx, arn, true, func(t *tableRecord) error {
		if t.Policy == "" {
			return policyNotFound(arn)
		}
		if want := deref(in.ExpectedRevisionId); want != "" && want != t.PolicyRev {
			return revisionMismatch(arn, want, t.PolicyRev)
		}
		rev = nextRevision(t.PolicyRev, ctx.Now().UnixMilli())
		t.Policy, t.PolicyRev = "", ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DeleteResourcePolicyOutput{RevisionId: ptr(rev)}, nil
}
