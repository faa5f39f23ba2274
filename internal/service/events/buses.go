package events

import (
	"encoding/json"
	"sort"
	"strings"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CreateEventBus creates a custom bus.
func (e *Events) CreateEventBus(ctx *request.Context, in *eventsapi.CreateEventBusRequest) (*eventsapi.CreateEventBusResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	if strings.HasPrefix(name, "aws.") && ptr.Deref(in.EventSourceName) == "" {
		return nil, validation("Event bus name must not start with 'aws.'.")
	}
	if strings.Contains(name, "/") && ptr.Deref(in.EventSourceName) == "" {
		// Only a partner bus (named after its aws.partner/... source)
		// has slashes.
		return nil, validation("Event bus name must not contain '/'.")
	}
	src := ptr.Deref(in.EventSourceName)
	if src != "" && src != name {
		return nil, validation("Event bus name must match the event source name %s for a partner event bus.", src)
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	b := busRecord{Name: name, Tags: tags, Created: ctx.Now(), Modified: ctx.Now()}
	if err := b.apply(in.Description, in.KmsKeyIdentifier, in.DeadLetterConfig); err != nil {
		return nil, err
	}
	err = e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := getBus(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Event bus %s already exists.", name)
		}
		if src != "" {
			// A partner bus associates the partner's source with the
			// account, which activates it.
			s, err := getSource(tx, sc, src)
			if err != nil {
				return err
			}
			if s.State == "PENDING" {
				s.State = "ACTIVE"
				if err := eventSources.Put(tx, sc, s, src); err != nil {
					return err
				}
			}
		}
		return buses.Put(tx, sc, b, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.CreateEventBusResponse{EventBusArn: ptr.To(busARN(sc, name)), Description: in.Description,
		KmsKeyIdentifier: in.KmsKeyIdentifier, DeadLetterConfig: in.DeadLetterConfig}, nil
}

// apply sets a bus's description, key and dead-letter queue (nil: keep;
// empty: clear).
func (b *busRecord) apply(desc, key *string, dlq *eventsapi.DeadLetterConfig) error {
	if desc != nil {
		if len(*desc) > 512 {
			return validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
		}
		b.Description = *desc
	}
	if key != nil {
		if len(*key) > 2048 {
			return validation("1 validation error detected: Value at 'kmsKeyIdentifier' failed to satisfy constraint: Member must have length less than or equal to 2048")
		}
		b.KMSKey = *key
	}
	if dlq != nil {
		a := ptr.Deref(dlq.Arn)
		if a != "" && !strings.HasPrefix(a, "arn:aws:sqs:") {
			return validation("Parameter DeadLetterConfig.Arn is not valid. Reason: %s is not an Amazon SQS queue ARN.", a)
		}
		b.DLQ = a
	}
	return nil
}

func (b busRecord) dlq() *eventsapi.DeadLetterConfig {
	if b.DLQ == "" {
		return nil
	}
	return &eventsapi.DeadLetterConfig{Arn: ptr.To(b.DLQ)}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return ptr.To(s)
}

// UpdateEventBus changes a bus's description, key and dead-letter queue.
func (e *Events) UpdateEventBus(ctx *request.Context, in *eventsapi.UpdateEventBusRequest) (*eventsapi.UpdateEventBusResponse, error) {
	sc, name := busName(ctx, in.Name)
	var b busRecord
	err := e.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if b, ok, err = getBus(tx, sc, name); err != nil {
			return err
		} else if !ok {
			return busNotFound(name)
		}
		if err := b.apply(in.Description, in.KmsKeyIdentifier, in.DeadLetterConfig); err != nil {
			return err
		}
		if b.Created.IsZero() {
			b.Created = ctx.Now()
		}
		b.Modified = ctx.Now()
		return buses.Put(tx, sc, b, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.UpdateEventBusResponse{Arn: ptr.To(busARN(sc, name)), Name: ptr.To(name), Description: optional(b.Description),
		KmsKeyIdentifier: optional(b.KMSKey), DeadLetterConfig: b.dlq()}, nil
}

// DescribeEventBus describes a bus (the default bus when no name is given).
func (e *Events) DescribeEventBus(ctx *request.Context, in *eventsapi.DescribeEventBusRequest) (*eventsapi.DescribeEventBusResponse, error) {
	sc, name := busName(ctx, in.Name)
	var b busRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		b, ok, err = getBus(tx, sc, name)
		if err == nil && !ok {
			err = busNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &eventsapi.DescribeEventBusResponse{Name: ptr.To(name), Arn: ptr.To(busARN(sc, name)),
		Description: optional(b.Description), KmsKeyIdentifier: optional(b.KMSKey), DeadLetterConfig: b.dlq()}
	if !b.Created.IsZero() {
		out.CreationTime, out.LastModifiedTime = ptr.To(b.Created), ptr.To(b.Created)
		if !b.Modified.IsZero() {
			out.LastModifiedTime = ptr.To(b.Modified)
		}
	}
	if b.Policy != "" {
		out.Policy = ptr.To(b.Policy)
	}
	return out, nil
}

// ListEventBuses lists the default bus and the custom buses.
func (e *Events) ListEventBuses(ctx *request.Context, in *eventsapi.ListEventBusesRequest) (*eventsapi.ListEventBusesResponse, error) {
	sc := scope(ctx)
	var all []busRecord
	err := e.store.View(func(tx storage.Tx) error {
		seenDefault := false
		err := buses.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, b busRecord) bool {
			seenDefault = seenDefault || b.Name == defaultBus
			all = append(all, b)
			return true
		})
		if !seenDefault {
			all = append(all, busRecord{Name: defaultBus})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	prefix := ptr.Deref(in.NamePrefix)
	filtered := all[:0]
	for _, b := range all {
		if strings.HasPrefix(b.Name, prefix) {
			filtered = append(filtered, b)
		}
	}
	sort.Slice(filtered, func(i, j int) bool { return filtered[i].Name < filtered[j].Name })
	items, next := page(filtered, func(b busRecord) string { return b.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListEventBusesResponse{EventBuses: []eventsapi.EventBus{}, NextToken: next}
	for _, b := range items {
		eb := eventsapi.EventBus{Name: ptr.To(b.Name), Arn: ptr.To(busARN(sc, b.Name)), Description: optional(b.Description)}
		if !b.Created.IsZero() {
			eb.CreationTime, eb.LastModifiedTime = ptr.To(b.Created), ptr.To(b.Created)
			if !b.Modified.IsZero() {
				eb.LastModifiedTime = ptr.To(b.Modified)
			}
		}
		if b.Policy != "" {
			eb.Policy = ptr.To(b.Policy)
		}
		out.EventBuses = append(out.EventBuses, eb)
	}
	return out, nil
}

// DeleteEventBus deletes a custom bus and its rules. Deleting a bus that
// does not exist succeeds, as in AWS.
func (e *Events) DeleteEventBus(ctx *request.Context, in *eventsapi.DeleteEventBusRequest) (*eventsapi.DeleteEventBusOutput, error) {
	sc, name := busName(ctx, in.Name)
	if name == defaultBus {
		return nil, validation("Cannot delete event bus default.")
	}
	var gone []string
	err := e.store.Update(func(tx storage.Tx) error {
		if err := rules.List(tx, sc, []string{name}, storage.ListOptions{}, func(k []string, r ruleRecord) bool {
			gone = append(gone, r.Name)
			return true
		}); err != nil {
			return err
		}
		for _, r := range gone {
			if err := rules.Delete(tx, sc, name, r); err != nil {
				return err
			}
		}
		return buses.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	e.dropIndex(sc, name)
	return &eventsapi.DeleteEventBusOutput{}, nil
}

// policyDoc is a bus's resource policy.
type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string          `json:"Sid,omitempty"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal,omitempty"`
	Action    json.RawMessage `json:"Action,omitempty"`
	Resource  json.RawMessage `json:"Resource,omitempty"`
	Condition json.RawMessage `json:"Condition,omitempty"`
}

// PutPermission adds a statement to (or replaces) a bus's policy.
func (e *Events) PutPermission(ctx *request.Context, in *eventsapi.PutPermissionRequest) (*eventsapi.PutPermissionOutput, error) {
	sc, name := busName(ctx, in.EventBusName)
	err := e.store.Update(func(tx storage.Tx) error {
		b, ok, err := getBus(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return busNotFound(name)
		}
		if in.Policy != nil {
			var doc policyDoc
			if err := json.Unmarshal([]byte(*in.Policy), &doc); err != nil || len(doc.Statement) == 0 {
				return validation("Parameter Policy is not valid.")
			}
			b.Policy = *in.Policy
			return buses.Put(tx, sc, b, name)
		}
		action, principal, sid := ptr.Deref(in.Action), ptr.Deref(in.Principal), ptr.Deref(in.StatementId)
		if action == "" || principal == "" || sid == "" {
			return validation("Parameter(s) Action, Principal, StatementId must be specified.")
		}
		if action != "events:PutEvents" {
			return validation("Provided value in parameter 'action' is not supported.")
		}
		var doc policyDoc
		if b.Policy != "" {
			_ = json.Unmarshal([]byte(b.Policy), &doc)
		}
		doc.Version = "2012-10-17"
		pr := `"*"`
		if principal != "*" {
			if !isAccountID(principal) {
				return validation("Parameter Principal is not valid.")
			}
			pr = `{"AWS":"arn:aws:iam::` + principal + `:root"}`
		}
		st := policyStatement{Sid: sid, Effect: "Allow", Principal: json.RawMessage(pr),
			Action: json.RawMessage(`"events:PutEvents"`), Resource: mustJSON(busARN(sc, name))}
		if in.Condition != nil {
			st.Condition = mustJSON(map[string]map[string]string{
				ptr.Deref(in.Condition.Type): {ptr.Deref(in.Condition.Key): ptr.Deref(in.Condition.Value)}})
		}
		kept := doc.Statement[:0]
		for _, s := range doc.Statement {
			if s.Sid != sid {
				kept = append(kept, s)
			}
		}
		doc.Statement = append(kept, st)
		b.Policy = string(mustJSON(doc))
		return buses.Put(tx, sc, b, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.PutPermissionOutput{}, nil
}

// RemovePermission removes one statement or the whole policy.
func (e *Events) RemovePermission(ctx *request.Context, in *eventsapi.RemovePermissionRequest) (*eventsapi.RemovePermissionOutput, error) {
	sc, name := busName(ctx, in.EventBusName)
	err := e.store.Update(func(tx storage.Tx) error {
		b, ok, err := getBus(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return busNotFound(name)
		}
		if ptr.Deref(in.RemoveAllPermissions) {
			b.Policy = ""
			return buses.Put(tx, sc, b, name)
		}
		sid := ptr.Deref(in.StatementId)
		if sid == "" {
			return validation("Parameter StatementId must be specified.")
		}
		var doc policyDoc
		if b.Policy == "" || json.Unmarshal([]byte(b.Policy), &doc) != nil {
			return eventsapi.ErrResourceNotFoundException.New("EventBus does not have a policy.")
		}
		kept := doc.Statement[:0]
		for _, s := range doc.Statement {
			if s.Sid != sid {
				kept = append(kept, s)
			}
		}
		if len(kept) == len(doc.Statement) {
			return eventsapi.ErrResourceNotFoundException.New("Statement with the provided id does not exist.")
		}
		doc.Statement = kept
		b.Policy = ""
		if len(kept) > 0 {
			b.Policy = string(mustJSON(doc))
		}
		return buses.Put(tx, sc, b, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.RemovePermissionOutput{}, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// policyAllowsPutEvents reports whether a bus policy lets principalAccount
// put events on busArn: an Allow statement whose Principal is "*", the
// account or its root, whose Action covers events:PutEvents and whose
// Resource covers the bus; an explicit Deny wins.
func policyAllowsPutEvents(policy, principalAccount, busArn string) bool {
	var doc policyDoc
	if policy == "" || json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	allowed := false
	for _, s := range doc.Statement {
		if !principalMatches(s.Principal, principalAccount) || !listMatches(s.Action, "events:PutEvents") ||
			(len(s.Resource) > 0 && !listMatches(s.Resource, busArn)) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		if s.Effect == "Allow" {
			allowed = true
		}
	}
	return allowed
}

func strList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func listMatches(raw json.RawMessage, v string) bool {
	for _, p := range strList(raw) {
		if globMatch(strings.ToLower(p), strings.ToLower(v)) {
			return true
		}
	}
	return false
}

func principalMatches(raw json.RawMessage, account string) bool {
	if strings.TrimSpace(string(raw)) == `"*"` {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, p := range strList(m["AWS"]) {
		if p == "*" || p == account || p == "arn:aws:iam::"+account+":root" {
			return true
		}
	}
	return false
}

// globMatch matches IAM-style wildcards (* and ?).
func globMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(p[1:], s[1:])
	}
	return s != "" && s[0] == p[0] && globMatch(p[1:], s[1:])
}
