package iam

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"
)

// authMessagePrefix marks niwa's encoded authorization messages. AWS
// encrypts them; niwa only encodes them (the content is what the caller
// could learn from sts:DecodeAuthorizationMessage anyway).
const authMessagePrefix = "niwa1."

type items[T any] struct {
	Items []T `json:"items"`
}

type kv struct {
	Key    string                   `json:"key"`
	Values items[map[string]string] `json:"values"`
}

type decodedMessage struct {
	Allowed           bool                  `json:"allowed"`
	ExplicitDeny      bool                  `json:"explicitDeny"`
	MatchedStatements items[map[string]any] `json:"matchedStatements"`
	Failures          items[map[string]any] `json:"failures"`
	Context           map[string]any        `json:"context"`
}

// EncodeAuthorizationMessage is the encoded message EC2 puts in an
// UnauthorizedOperation error, decodable with DecodeAuthorizationMessage
// into the JSON document AWS returns (allowed, explicitDeny,
// matchedStatements, failures, context).
func EncodeAuthorizationMessage(req Request, d Decision) string {
	m := decodedMessage{
		Allowed: d.Allowed(), ExplicitDeny: d.Reason == ExplicitDeny,
		MatchedStatements: items[map[string]any]{Items: []map[string]any{}},
		Failures:          items[map[string]any]{Items: []map[string]any{}},
	}
	for _, s := range d.Matched {
		m.MatchedStatements.Items = append(m.MatchedStatements.Items, map[string]any{
			"statementId": s.Statement.Sid, "effect": s.Statement.Effect.String(), "source": s.Policy.Source,
		})
	}
	keys := make([]string, 0, len(req.Context))
	for k := range req.Context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	conds := []kv{}
	for _, k := range keys {
		e := kv{Key: k}
		for _, v := range req.Context[k] {
			e.Values.Items = append(e.Values.Items, map[string]string{"value": v})
		}
		conds = append(conds, e)
	}
	m.Context = map[string]any{
		"principal":  map[string]string{"id": req.Principal.UserID, "arn": req.Principal.ARN},
		"action":     req.Action,
		"resource":   req.Resource,
		"conditions": items[kv]{Items: conds},
	}
	b, _ := json.Marshal(m)
	return authMessagePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ErrInvalidAuthorizationMessage is a message niwa did not encode.
var ErrInvalidAuthorizationMessage = errors.New("invalid authorization message")

// DecodeAuthorizationMessage returns the JSON document of an encoded
// message.
func DecodeAuthorizationMessage(s string) (string, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), authMessagePrefix)
	if !ok {
		return "", ErrInvalidAuthorizationMessage
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || !json.Valid(b) {
		return "", ErrInvalidAuthorizationMessage
	}
	return string(b), nil
}
