package lambda

import (
	"context"
	"encoding/json"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// policyDoc is a function's (or a version's or alias's) resource policy.
type policyDoc struct {
	Version    string      `json:"Version"`
	ID         string      `json:"Id"`
	Statement  []statement `json:"Statement"`
	RevisionID string      `json:"-"`
}

// statement is one AddPermission grant, in the JSON AWS shows.
type statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// storedPolicy keeps the revision beside the document.
type storedPolicy struct {
	Doc        policyDoc `json:"doc"`
	RevisionID string    `json:"revisionId"`
}

type policiesT struct{}

func (policiesT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	return deleteUnder(tx, sc, policies.Name(), name)
}

// AddPermission adds a statement to the resource policy.
func (l *Lambda) AddPermission(ctx *request.Context, in *lambdaapi.AddPermissionRequest) (*lambdaapi.AddPermissionResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	action := ptr.Deref(in.Action)
	if !strings.HasPrefix(action, "lambda:") && action != "*" && !strings.HasPrefix(action, "lambda:*") {
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", action)
	}
	principal := ptr.Deref(in.Principal)
	st := statement{
		Sid: ptr.Deref(in.StatementId), Effect: "Allow", Action: action,
		Resource: functionARN(sc, name),
	}
	if qual != "" {
		st.Resource += ":" + qual
	}
	switch {
	case principal == "*":
		st.Principal = map[string]string{"AWS": "*"}
	case strings.HasSuffix(principal, ".amazonaws.com") || strings.HasSuffix(principal, ".amazonaws.com.cn"):
		st.Principal = map[string]string{"Service": principal}
	case len(principal) == 12 && isDigits(principal):
		st.Principal = map[string]string{"AWS": "arn:aws:iam::" + principal + ":root"}
	case strings.HasPrefix(principal, "arn:"):
		st.Principal = map[string]string{"AWS": principal}
	default:
		return nil, errInvalidParam("The provided principal was invalid. Please check the principal and try again.")
	}
	cond := map[string]map[string]string{}
	if in.SourceArn != nil {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": *in.SourceArn}
	}
	if in.SourceAccount != nil {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": *in.SourceAccount}
	}
	if in.PrincipalOrgID != nil {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["aws:PrincipalOrgID"] = *in.PrincipalOrgID
	}
	if in.FunctionUrlAuthType != nil {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["lambda:FunctionUrlAuthType"] = *in.FunctionUrlAuthType
	}
	if in.EventSourceToken != nil {
		if cond["StringEquals"] == nil {
			cond["StringEquals"] = map[string]string{}
		}
		cond["StringEquals"]["lambda:EventSourceToken"] = *in.EventSourceToken
	}
	if len(cond) > 0 {
		st.Condition = cond
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		p, _, err := policies.Get(tx, sc, name, qual)
		if err != nil {
			return err
		}
		if in.RevisionId != nil && p.RevisionID != "" && *in.RevisionId != p.RevisionID {
			return errPrecondition()
		}
		if hasSid(p.Doc.Statement, st.Sid) {
			return errSidExists(st.Sid)
		}
		p.Doc.Version, p.Doc.ID = "2012-10-17", "default"
		p.Doc.Statement = append(p.Doc.Statement, st)
		p.RevisionID = awsid.UUID()
		if b, _ := json.Marshal(p.Doc); len(b) > 20480 {
			return lambdaapi.ErrPolicyLengthExceededException.New("The final policy size (%d) is bigger than the limit (20480).", len(b)).With("Type", "User")
		}
		return policies.Put(tx, sc, p, name, qual)
	})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(st)
	return &lambdaapi.AddPermissionResponse{Statement: ptr.To(string(b))}, nil
}

// sidded is a policy statement with a statement id: a function's
// (statement) or a layer version's (layerStatement).
type sidded interface{ sid() string }

func (s statement) sid() string      { return s.Sid }
func (s layerStatement) sid() string { return s.Sid }

func hasSid[S sidded](stmts []S, sid string) bool {
	for _, s := range stmts {
		if s.sid() == sid {
			return true
		}
	}
	return false
}

// withoutSid returns stmts without the statement sid, and whether it was
// there.
func withoutSid[S sidded](stmts []S, sid string) ([]S, bool) {
	var kept []S
	for _, s := range stmts {
		if s.sid() != sid {
			kept = append(kept, s)
		}
	}
	return kept, len(kept) < len(stmts)
}

func errSidExists(sid string) error {
	return errConflict("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (l *Lambda) policy(sc storage.Scope, name, qual string) (storedPolicy, bool, error) {
	var p storedPolicy
	var ok bool
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = policies.Get(tx, sc, name, qual)
		return err
	})
	return p, ok && len(p.Doc.Statement) > 0, err
}

// GetPolicy returns the resource policy.
func (l *Lambda) GetPolicy(ctx *request.Context, in *lambdaapi.GetPolicyRequest) (*lambdaapi.GetPolicyResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := l.read(ctx, ptr.Deref(in.FunctionName), in.Qualifier); err != nil {
		return nil, err
	}
	p, ok, err := l.policy(sc, name, qual)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("The resource you requested does not exist.")
	}
	b, _ := json.Marshal(p.Doc)
	return &lambdaapi.GetPolicyResponse{Policy: ptr.To(string(b)), RevisionId: ptr.To(p.RevisionID)}, nil
}

// RemovePermission removes a statement.
func (l *Lambda) RemovePermission(ctx *request.Context, in *lambdaapi.RemovePermissionRequest) (*lambdaapi.RemovePermissionOutput, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	table := policies
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		p, _, err := table.Get(tx, sc, name, qual)
		if err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != p.RevisionID {
			return errPrecondition()
		}
		kept, found := withoutSid(p.Doc.Statement, ptr.Deref(in.StatementId))
		if !found {
			return errNotFound("Statement %s is not found in resource policy.", ptr.Deref(in.StatementId))
		}
		p.Doc.Statement = kept
		p.RevisionID = awsid.UUID()
		if len(kept) == 0 {
			return table.Delete(tx, sc, name, qual)
		}
		return table.Put(tx, sc, p, name, qual)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.RemovePermissionOutput{}, nil
}

// ResourcePolicy returns the policy of a function ARN, for the IAM
// policy engine.
func (l *Lambda) ResourcePolicy(_ context.Context, arn string) (string, string, bool, error) {
	sc, name, qual, err := parseARN(arn)
	if err != nil {
		return "", "", false, nil
	}
	p, ok, err := l.policy(sc, name, qual)
	if err != nil || !ok {
		return "", sc.Account, false, err
	}
	b, _ := json.Marshal(p.Doc)
	return string(b), sc.Account, true, nil
}

// allows reports whether the function's resource policy lets a service
// principal invoke it, evaluated by the IAM policy engine with the
// aws:SourceArn and aws:SourceAccount the delivering service supplies.
// A qualified target is checked against that version's or alias's policy.
func (l *Lambda) allows(sc storage.Scope, name, qual, service, sourceARN, sourceAccount string) (bool, error) {
	p, ok, err := l.policy(sc, name, qual)
	if err != nil || !ok {
		return false, err
	}
	b, _ := json.Marshal(p.Doc)
	pol, err := iam.Parse(string(b))
	if err != nil {
		return false, err
	}
	resource := functionARN(sc, name)
	if qual != "" {
		resource += ":" + qual
	}
	ctx := iam.Context{}
	ctx.Set("aws:SourceArn", sourceARN)
	ctx.Set("aws:SourceAccount", sourceAccount)
	allowed, _ := iam.ResourceAllows(pol, iam.Request{
		Principal: iam.Principal{Service: service},
		Action:    "lambda:InvokeFunction",
		Resource:  resource,
		Context:   ctx,
	})
	return allowed, nil
}
