package sns

import (
	"encoding/json"
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// snsAction returns the canonical name of an action AddPermission may
// grant, matched without regard to case as SNS does.
func snsAction(a string) (string, bool) {
	for _, name := range []string{"AddPermission", "ConfirmSubscription", "CreateTopic", "DeleteTopic",
		"GetDataProtectionPolicy", "GetTopicAttributes", "ListSubscriptions", "ListSubscriptionsByTopic",
		"ListTagsForResource", "ListTopics", "Publish", "PutDataProtectionPolicy", "Receive", "RemovePermission",
		"SetTopicAttributes", "Subscribe", "TagResource", "Unsubscribe", "UntagResource"} {
		if strings.EqualFold(a, name) {
			return name, true
		}
	}
	return "", false
}

// oneOrMany is how SNS writes a statement's list: a single value bare.
func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// AddPermission adds a statement to the topic policy, as SNS does: Sid
// the label, the accounts as root principals, the actions as SNS:<Action>.
func (s *SNS) AddPermission(ctx *request.Context, in *snsapi.AddPermissionInput) (*snsapi.AddPermissionOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	label := ptr.Deref(in.Label)
	if label == "" || len(label) > 100 {
		return nil, errInvalidParam.New("Invalid parameter: Label")
	}
	if len(in.AWSAccountId) == 0 {
		return nil, errInvalidParam.New("Invalid parameter: AWSAccountId Reason: no value for required parameter")
	}
	if len(in.ActionName) == 0 {
		return nil, errInvalidParam.New("Invalid parameter: ActionName Reason: no value for required parameter")
	}
	var principals, actions []string
	for _, a := range in.AWSAccountId {
		switch {
		case a == "*" || strings.HasPrefix(a, "arn:"):
			principals = append(principals, a)
		case len(a) == 12 && strings.Trim(a, "0123456789") == "":
			principals = append(principals, "arn:aws:iam::"+a+":root")
		default:
			return nil, errInvalidParam.New("Invalid parameter: AWSAccountId Reason: %s is not a valid account id", a)
		}
	}
	for _, a := range in.ActionName {
		name, ok := snsAction(a)
		if !ok {
			return nil, errInvalidParam.New("Invalid parameter: Policy statement action out of service scope!")
		}
		actions = append(actions, "SNS:"+name)
	}
	return &snsapi.AddPermissionOutput{}, s.editPolicy(ref, func(stmts []any) ([]any, error) {
		for _, st := range stmts {
			if m, ok := st.(map[string]any); ok && m["Sid"] == label {
				return nil, errInvalidParam.New("Invalid parameter: Statement already exists")
			}
		}
		return append(stmts, map[string]any{
			"Sid": label, "Effect": "Allow", "Principal": map[string]any{"AWS": oneOrMany(principals)},
			"Action": oneOrMany(actions), "Resource": ref.arn(),
		}), nil
	})
}

// RemovePermission removes the statement labelled Label; removing one
// that is not there is not an error.
func (s *SNS) RemovePermission(ctx *request.Context, in *snsapi.RemovePermissionInput) (*snsapi.RemovePermissionOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	label := ptr.Deref(in.Label)
	if label == "" {
		return nil, errInvalidParam.New("Invalid parameter: Label")
	}
	return &snsapi.RemovePermissionOutput{}, s.editPolicy(ref, func(stmts []any) ([]any, error) {
		out := stmts[:0]
		for _, st := range stmts {
			if m, ok := st.(map[string]any); ok && m["Sid"] == label {
				continue
			}
			out = append(out, st)
		}
		return out, nil
	})
}

// editPolicy rewrites the topic policy's statements.
func (s *SNS) editPolicy(ref topicRef, fn func([]any) ([]any, error)) error {
	return s.store.Update(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return topicMissing()
		}
		doc := t.Attrs["Policy"]
		if doc == "" {
			doc = defaultPolicy(ref.arn(), ref.scope.Account)
		}
		var pol map[string]any
		if json.Unmarshal([]byte(doc), &pol) != nil || pol == nil {
			pol = map[string]any{"Version": "2008-10-17"}
		}
		var stmts []any
		switch x := pol["Statement"].(type) {
		case []any:
			stmts = x
		case map[string]any:
			stmts = []any{x}
		}
		if stmts, err = fn(stmts); err != nil {
			return err
		}
		pol["Statement"] = stmts
		b, err := json.Marshal(pol)
		if err != nil {
			return err
		}
		t.Attrs["Policy"] = string(b)
		return topics.Put(tx, ref.scope, t, ref.name)
	})
}

// maxDataProtectionPolicy is SNS's limit on the policy's length.
const maxDataProtectionPolicy = 30720

// checkDataProtectionPolicy validates a data protection policy's shape:
// a JSON object with Name, Version and Statements, each with a
// DataDirection, Principal, DataIdentifier and one Operation.
func checkDataProtectionPolicy(doc string) error {
	bad := func(reason string) error {
		return errInvalidParam.New("Invalid parameter: DataProtectionPolicy Reason: %s", reason)
	}
	if len(doc) > maxDataProtectionPolicy {
		return bad("Policy must be at most 30720 characters long")
	}
	var p struct {
		Name      *string           `json:"Name"`
		Version   *string           `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return bad("Failed to parse policy JSON")
	}
	if p.Name == nil || *p.Name == "" {
		return bad("Name is required")
	}
	if p.Version == nil || *p.Version != "2021-06-01" {
		return bad("Version must be 2021-06-01")
	}
	if len(p.Statement) == 0 {
		return bad("Statement is required")
	}
	for _, raw := range p.Statement {
		var st struct {
			DataDirection  string           `json:"DataDirection"`
			Principal      []string         `json:"Principal"`
			DataIdentifier []string         `json:"DataIdentifier"`
			Operation      map[string]any   `json:"Operation"`
			Sid            *json.RawMessage `json:"Sid"`
		}
		if json.Unmarshal(raw, &st) != nil {
			return bad("Failed to parse policy statement")
		}
		if st.DataDirection != "Inbound" && st.DataDirection != "Outbound" {
			return bad("DataDirection must be Inbound or Outbound")
		}
		if len(st.Principal) == 0 {
			return bad("Principal is required")
		}
		if len(st.DataIdentifier) == 0 {
			return bad("DataIdentifier is required")
		}
		if len(st.Operation) != 1 {
			return bad("Operation must name exactly one of Audit, Deny and Deidentify")
		}
		for op := range st.Operation {
			if op != "Audit" && op != "Deny" && op != "Deidentify" {
				return bad("Operation must name exactly one of Audit, Deny and Deidentify")
			}
		}
	}
	return nil
}

// PutDataProtectionPolicy stores a topic's data protection policy (niwa
// stores it; it does not audit or mask messages).
func (s *SNS) PutDataProtectionPolicy(ctx *request.Context, in *snsapi.PutDataProtectionPolicyInput) (*snsapi.PutDataProtectionPolicyOutput, error) {
	ref, err := s.topicArg(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	doc := ptr.Deref(in.DataProtectionPolicy)
	if doc != "" {
		if err := checkDataProtectionPolicy(doc); err != nil {
			return nil, err
		}
	}
	return &snsapi.PutDataProtectionPolicyOutput{}, s.store.Update(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return topicMissing()
		}
		t.DataProtection = doc
		return topics.Put(tx, ref.scope, t, ref.name)
	})
}

// GetDataProtectionPolicy returns a topic's data protection policy ("" if
// none).
func (s *SNS) GetDataProtectionPolicy(ctx *request.Context, in *snsapi.GetDataProtectionPolicyInput) (*snsapi.GetDataProtectionPolicyResponse, error) {
	ref, err := s.topicArg(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	var t topic
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		t, found, err = topics.Get(tx, ref.scope, ref.name)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, topicMissing()
	}
	return &snsapi.GetDataProtectionPolicyResponse{DataProtectionPolicy: &t.DataProtection}, nil
}
