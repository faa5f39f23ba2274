package lambda

import (
	"encoding/json"
	"fmt"
	"strconv"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// layerStatement is one AddLayerVersionPermission grant, in the JSON AWS
// shows. Principal is "*" or {"AWS": "arn:aws:iam::<account>:root"}.
type layerStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

type layerPolicyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id"`
	Statement []layerStatement `json:"Statement"`
}

type storedLayerPolicy struct {
	Doc        layerPolicyDoc `json:"doc"`
	RevisionID string         `json:"revisionId"`
}

// layerPolicies are keyed like layers: (layerName, zero-padded version).
var layerPolicies = storage.NewTable[storedLayerPolicy]("layer-policy")

// layerPrincipal is what AddLayerVersionPermission accepts: an account id,
// "*" (every account, optionally narrowed to an organization) or an
// account's root ARN.
var layerPrincipal = lazyre.New(`^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$`)

func layerVersionKey(n int64) string { return fmt.Sprintf("%010d", n) }

// AddLayerVersionPermission lets other accounts (or an organization, or
// everyone) use a layer version.
func (l *Lambda) AddLayerVersionPermission(ctx *request.Context, in *lambdaapi.AddLayerVersionPermissionRequest) (*lambdaapi.AddLayerVersionPermissionResponse, error) {
	sc := scope(ctx)
	name, n := layerName(in.LayerName), ptr.Deref(in.VersionNumber)
	action, principal := ptr.Deref(in.Action), ptr.Deref(in.Principal)
	if action != "lambda:GetLayerVersion" {
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion", action)
	}
	if !layerPrincipal.MatchString(principal) {
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root", principal)
	}
	if in.OrganizationId != nil && principal != "*" {
		return nil, errInvalidParam("OrganizationId is only supported when Principal is set to '*'.")
	}
	st := layerStatement{
		Sid: ptr.Deref(in.StatementId), Effect: "Allow", Action: action,
		Resource: layerARN(sc, name) + ":" + strconv.FormatInt(n, 10),
	}
	switch {
	case principal == "*":
		st.Principal = "*"
	case len(principal) == 12:
		st.Principal = map[string]string{"AWS": "arn:aws:iam::" + principal + ":root"}
	default:
		st.Principal = map[string]string{"AWS": principal}
	}
	if in.OrganizationId != nil {
		st.Condition = map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": *in.OrganizationId}}
	}
	var p storedLayerPolicy
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := layers.Get(tx, sc, name, layerVersionKey(n)); err != nil {
			return err
		} else if !ok {
			return errNotFound("Layer version %s does not exist.", st.Resource)
		}
		var err error
		if p, _, err = layerPolicies.Get(tx, sc, name, layerVersionKey(n)); err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != p.RevisionID {
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
		return layerPolicies.Put(tx, sc, p, name, layerVersionKey(n))
	})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(st)
	return &lambdaapi.AddLayerVersionPermissionResponse{Statement: ptr.To(string(b)), RevisionId: ptr.To(p.RevisionID)}, nil
}

// GetLayerVersionPolicy returns a layer version's permissions.
func (l *Lambda) GetLayerVersionPolicy(ctx *request.Context, in *lambdaapi.GetLayerVersionPolicyRequest) (*lambdaapi.GetLayerVersionPolicyResponse, error) {
	sc := scope(ctx)
	name, n := layerName(in.LayerName), ptr.Deref(in.VersionNumber)
	if _, err := l.getLayer(sc, name, n); err != nil {
		return nil, err
	}
	p, ok, err := l.layerPolicy(sc, name, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("No policy is associated with the given resource.")
	}
	b, _ := json.Marshal(p.Doc)
	return &lambdaapi.GetLayerVersionPolicyResponse{Policy: ptr.To(string(b)), RevisionId: ptr.To(p.RevisionID)}, nil
}

// RemoveLayerVersionPermission removes one statement.
func (l *Lambda) RemoveLayerVersionPermission(ctx *request.Context, in *lambdaapi.RemoveLayerVersionPermissionRequest) (*lambdaapi.RemoveLayerVersionPermissionOutput, error) {
	sc := scope(ctx)
	name, n, sid := layerName(in.LayerName), ptr.Deref(in.VersionNumber), ptr.Deref(in.StatementId)
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := layers.Get(tx, sc, name, layerVersionKey(n)); err != nil {
			return err
		} else if !ok {
			return errNotFound("Layer version %s:%d does not exist.", layerARN(sc, name), n)
		}
		p, _, err := layerPolicies.Get(tx, sc, name, layerVersionKey(n))
		if err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != p.RevisionID {
			return errPrecondition()
		}
		kept, found := withoutSid(p.Doc.Statement, sid)
		if !found {
			return errNotFound("Statement %s is not found in resource policy.", sid)
		}
		if len(kept) == 0 {
			return layerPolicies.Delete(tx, sc, name, layerVersionKey(n))
		}
		p.Doc.Statement = kept
		p.RevisionID = awsid.UUID()
		return layerPolicies.Put(tx, sc, p, name, layerVersionKey(n))
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.RemoveLayerVersionPermissionOutput{}, nil
}

func (l *Lambda) layerPolicy(sc storage.Scope, name string, n int64) (storedLayerPolicy, bool, error) {
	var p storedLayerPolicy
	var ok bool
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = layerPolicies.Get(tx, sc, name, layerVersionKey(n))
		return err
	})
	return p, ok && len(p.Doc.Statement) > 0, err
}

// mayUseLayer reports whether the caller may read a layer version owned
// by sc's account: its own account always; another account only when the
// version's permissions grant lambda:GetLayerVersion to it, evaluated by
// the IAM policy engine (so "*" with an aws:PrincipalOrgID condition
// holds only for callers whose organization niwa knows).
func (l *Lambda) mayUseLayer(ctx *request.Context, sc storage.Scope, name string, n int64) (bool, error) {
	if ctx.Account == sc.Account {
		return true, nil
	}
	p, ok, err := l.layerPolicy(sc, name, n)
	if err != nil || !ok {
		return false, err
	}
	b, _ := json.Marshal(p.Doc)
	pol, err := iam.Parse(string(b))
	if err != nil {
		return false, err
	}
	allowed, _ := iam.ResourceAllows(pol, iam.Request{
		Principal: iam.Principal{ARN: ctx.Caller.ARN, Account: ctx.Account, UserID: ctx.Caller.UserID},
		Action:    "lambda:GetLayerVersion",
		Resource:  layerARN(sc, name) + ":" + strconv.FormatInt(n, 10),
		Context:   iam.Context{},
	})
	return allowed, nil
}

// errLayerDenied is AWS's refusal of another account's layer version.
func errLayerDenied(ctx *request.Context, arn string) error {
	return awserr.Code{Code: "AccessDeniedException", Status: 403, Sender: true}.New("User: %s is not authorized to perform: lambda:GetLayerVersion on resource: %s because no resource-based policy allows the lambda:GetLayerVersion action", ctx.Caller.ARN, arn)
}
