package s3

import (
	"context"
	"encoding/json"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// policyDoc is the part of a policy document S3 itself validates; the
// policy engine (internal/iam) does the evaluation.
type policyDoc struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

type policyStatement struct {
	Sid          string          `json:"Sid"`
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       stringList      `json:"Action"`
	NotAction    stringList      `json:"NotAction"`
	Resource     stringList      `json:"Resource"`
	NotResource  stringList      `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// stringList is a policy element that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// parsePolicy validates a bucket policy as S3 does on PutBucketPolicy and
// returns its statements.
func parsePolicy(bucket, doc string) ([]policyStatement, error) {
	doc = strings.TrimSpace(doc)
	if !strings.HasPrefix(doc, "{") {
		return nil, errMalformedPolicy.New("Policies must be valid JSON and the first byte must be '{'")
	}
	var d policyDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, errMalformedPolicy.New("This policy contains invalid Json")
	}
	if d.Version != "" && d.Version != "2012-10-17" && d.Version != "2008-10-17" {
		return nil, errMalformedPolicy.New("The policy must contain a valid version string")
	}
	if len(d.Statement) == 0 {
		return nil, errMalformedPolicy.New("Missing required field Statement")
	}
	var stmts []policyStatement
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one policyStatement
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return nil, errMalformedPolicy.New("This policy contains invalid Json")
		}
		stmts = []policyStatement{one}
	}
	if len(stmts) == 0 {
		return nil, errMalformedPolicy.New("Could not parse the policy: Statement is empty!")
	}
	for _, st := range stmts {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			if st.Effect == "" {
				return nil, errMalformedPolicy.New("Missing required field Effect")
			}
			return nil, errMalformedPolicy.New("Invalid effect: %s", st.Effect)
		}
		if len(st.Principal) == 0 && len(st.NotPrincipal) == 0 {
			return nil, errMalformedPolicy.New("Missing required field Principal")
		}
		for _, raw := range []json.RawMessage{st.Principal, st.NotPrincipal} {
			if len(raw) > 0 && !validPrincipal(raw) {
				return nil, errMalformedPolicy.New("Invalid principal in policy")
			}
		}
		if len(st.Action) == 0 && len(st.NotAction) == 0 {
			return nil, errMalformedPolicy.New("Missing required field Action")
		}
		for _, a := range append(append([]string{}, st.Action...), st.NotAction...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return nil, errMalformedPolicy.New("Policy has invalid action")
			}
		}
		if len(st.Resource) == 0 && len(st.NotResource) == 0 {
			return nil, errMalformedPolicy.New("Missing required field Resource")
		}
		for _, r := range append(append([]string{}, st.Resource...), st.NotResource...) {
			if r == "*" {
				continue
			}
			rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
			b, _, _ := strings.Cut(rest, "/")
			if !ok || !wildMatch(b, bucket) {
				return nil, errMalformedPolicy.New("Policy has invalid resource")
			}
		}
	}
	return stmts, nil
}

// validPrincipal reports whether a Principal or NotPrincipal element is
// one S3 accepts: "*", or an object of AWS (account ids, IAM and STS
// ARNs, "*"), Service, Federated and CanonicalUser (64 hex digits)
// members, each a string or a list of strings.
func validPrincipal(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]stringList
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return false
	}
	for kind, vals := range m {
		if len(vals) == 0 {
			return false
		}
		for _, v := range vals {
			var ok bool
			switch kind {
			case "AWS":
				ok = v == "*" || isAccountID(v) || strings.HasPrefix(v, "arn:aws:iam::") || strings.HasPrefix(v, "arn:aws:sts::")
				if strings.HasPrefix(v, "arn:") {
					parts := strings.SplitN(v, ":", 6)
					ok = ok && len(parts) == 6 && (isAccountID(parts[4]) || parts[4] == "") && parts[5] != "" ||
						isOAIPrincipal(v)
				}
			case "Service", "Federated":
				ok = v != "" && !strings.ContainsAny(v, " \t")
			case "CanonicalUser":
				// 64 hex digits for an account, 96 for a CloudFront origin
				// access identity's S3CanonicalUserId.
				ok = (len(v) == 64 || len(v) == 96) && strings.Trim(strings.ToLower(v), "0123456789abcdef") == ""
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// isOAIPrincipal: a CloudFront origin access identity, which bucket
// policies name as the IAM user
// "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id>".
func isOAIPrincipal(v string) bool {
	id, ok := strings.CutPrefix(v, "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ")
	return ok && id != "" && !strings.ContainsAny(id, " \t")
}

func isAccountID(v string) bool {
	return len(v) == 12 && strings.Trim(v, "0123456789") == ""
}

// isPublicPrincipal reports whether a Principal element is everyone.
func isPublicPrincipal(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]stringList
	if json.Unmarshal(raw, &m) == nil {
		for _, v := range m["AWS"] {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// policyIsPublic is S3's "public policy" test (simplified: an Allow to
// everyone without conditions).
func policyIsPublic(stmts []policyStatement) bool {
	for _, st := range stmts {
		if st.Effect == "Allow" && isPublicPrincipal(st.Principal) && len(st.Condition) == 0 {
			return true
		}
	}
	return false
}

func (s *S3) PutBucketPolicy(ctx *request.Context, in *s3api.PutBucketPolicyInput) (*s3api.PutBucketPolicyOutput, error) {
	name := ptr.Deref(in.Bucket)
	stmts, err := parsePolicy(name, ptr.Deref(in.Policy))
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketPolicyOutput{}, s.updateBucket(name, func(b *bucketRecord) error {
		if b.PublicAccessBlock != nil && ptr.Deref(b.PublicAccessBlock.BlockPublicPolicy) && policyIsPublic(stmts) {
			return errAccessDenied.New("User: %s is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::%s\" because public policies are blocked by the BlockPublicPolicy block public access setting.", ctx.Caller.ARN, name)
		}
		b.Policy = ptr.Deref(in.Policy)
		return nil
	})
}

func (s *S3) GetBucketPolicy(ctx *request.Context, in *s3api.GetBucketPolicyInput) (*s3api.GetBucketPolicyOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, errNoSuchBucketPolicy.New("The bucket policy does not exist").With("BucketName", b.Name)
	}
	return &s3api.GetBucketPolicyOutput{Policy: ptr.To(b.Policy)}, nil
}

func (s *S3) DeleteBucketPolicy(ctx *request.Context, in *s3api.DeleteBucketPolicyInput) (*s3api.DeleteBucketPolicyOutput, error) {
	return &s3api.DeleteBucketPolicyOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Policy = ""
		return nil
	})
}

func (s *S3) GetBucketPolicyStatus(ctx *request.Context, in *s3api.GetBucketPolicyStatusInput) (*s3api.GetBucketPolicyStatusOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, errNoSuchBucketPolicy.New("The bucket policy does not exist").With("BucketName", b.Name)
	}
	stmts, _ := parsePolicy(b.Name, b.Policy)
	return &s3api.GetBucketPolicyStatusOutput{PolicyStatus: &s3api.PolicyStatus{IsPublic: ptr.To(policyIsPublic(stmts))}}, nil
}

// ResourcePolicy returns the bucket policy governing a bucket or object ARN
// ("arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key") and the bucket
// owner's account, for the policy engine.
func (s *S3) ResourcePolicy(ctx context.Context, arn string) (document, ownerAccount string, found bool, err error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return "", "", false, nil
	}
	name, _, _ := strings.Cut(rest, "/")
	b, found, err := s.lookupBucket(name)
	if err != nil {
		// Unknown is not "no policy": the caller must not decide access
		// as if the bucket had none.
		return "", "", false, err
	}
	if !found {
		return "", "", false, nil
	}
	return b.Policy, b.Account, true, nil
}

// AllowsAnonymousRead is the stop-gap public-read check for anonymous
// requests (website endpoints, unsigned GETs) until the IAM policy engine
// evaluates bucket policies: it allows when the bucket policy has an Allow
// statement for Principal "*" on s3:GetObject (or s3:* / *) whose Resource
// matches the object, with no Condition, and no Deny statement for
// everyone matches it; or when an ACL grants AllUsers READ on the object
// or bucket (see ACLAllows).
//
// REPLACE WITH THE POLICY ENGINE: this function is the one place to swap
// for internal/iam's evaluation of ResourcePolicy.
func (s *S3) AllowsAnonymousRead(ctx context.Context, bucket, key string) (bool, error) {
	return s.allowsAnonymous(ctx, bucket, key, "s3:GetObject")
}

// allowsAnonymous is AllowsAnonymousRead for any object action: an
// unconditioned Allow for everyone on the action and object, no Deny for
// everyone, or an ACL granting everyone the action (ACLAllows). Anonymous
// form uploads (POST Object, s3:PutObject) use it too.
func (s *S3) allowsAnonymous(ctx context.Context, bucket, key, action string) (bool, error) {
	b, err := s.bucket(bucket)
	if err != nil {
		return false, err
	}
	resource := "arn:aws:s3:::" + bucket + "/" + key
	allowed := false
	if b.Policy != "" {
		stmts, err := parsePolicy(bucket, b.Policy)
		if err == nil {
			for _, st := range stmts {
				if !isPublicPrincipal(st.Principal) || len(st.Condition) > 0 {
					continue
				}
				if !matchesAny(st.Action, action) || !matchesAny(st.Resource, resource) {
					continue
				}
				if st.Effect == "Deny" {
					return false, nil
				}
				allowed = true
			}
		}
	}
	if allowed {
		return true, nil
	}
	if action == "s3:PutObject" {
		resource = "arn:aws:s3:::" + bucket
	}
	return s.ACLAllows(ctx, action, resource, "")
}

func matchesAny(patterns []string, v string) bool {
	for _, p := range patterns {
		if wildMatch(strings.ToLower(p), strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// wildMatch matches IAM-style wildcards (* and ?).
func wildMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
		default:
			if len(s) == 0 || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return len(s) == 0
}
