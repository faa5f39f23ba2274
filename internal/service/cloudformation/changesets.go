package cloudformation

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// changeSetRec is a change set as stored.
type changeSetRec struct {
	ID, Name, StackID, StackName string
	Type                         string // CREATE, UPDATE
	Description                  string
	Status, StatusReason         string
	ExecutionStatus              string
	Created                      time.Time
	Template                     string
	Params                       []cfnapi.Parameter
	Resolved                     []paramRec
	Capabilities                 []string
	Tags                         []tagRec
	TagsGiven                    bool
	NotificationARNs             []string
	RoleARN                      string
	OnStackFailure               string
	Changes                      []change
}

var changeSets = storage.NewTable[changeSetRec]("changesets")

// noChanges is AWS's reason for a change set with nothing to do.
const noChanges = "The submitted information didn't contain changes. Submit different information to create a change set."

var changeSetNamePattern = lazyre.New(`^[a-zA-Z][-a-zA-Z0-9]*$`)

// CreateChangeSet computes the changes a template would make to a stack
// (a new one for ChangeSetType CREATE, which appears in
// REVIEW_IN_PROGRESS).
func (c *CloudFormation) CreateChangeSet(ctx *request.Context, in *cfnapi.CreateChangeSetInput) (*cfnapi.CreateChangeSetOutput, error) {
	name := ptrStr(in.ChangeSetName)
	if !changeSetNamePattern.MatchString(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	typ := orDefault(ptrStr(in.ChangeSetType), "UPDATE")
	if typ == "IMPORT" {
		return nil, cfnapi.ErrInvalidOperationException.New("niwa does not import existing resources into stacks (ChangeSetType IMPORT)")
	}
	stackName := ptrStr(in.StackName)
	s, ferr := c.find(ctx, stackName)
	switch {
	case typ == "CREATE" && ferr == nil && s.Status != "REVIEW_IN_PROGRESS":
		return nil, cfnapi.ErrAlreadyExistsException.New("Stack [%s] already exists and cannot be created again with the changeSet [%s].", stackName, name)
	case typ == "UPDATE" && ferr != nil:
		return nil, validation("Stack [%s] does not exist", stackName)
	case typ == "UPDATE" && s.Status == "REVIEW_IN_PROGRESS":
		return nil, validation("Stack [%s] does not exist", stackName)
	}
	var body string
	var err error
	if in.UsePreviousTemplate != nil && *in.UsePreviousTemplate {
		if s == nil || typ == "CREATE" {
			return nil, validation("Cannot use previous template for a stack that does not exist")
		}
		body = s.Template
	} else if body, err = c.templateBody(ctx, in.TemplateBody, in.TemplateURL); err != nil {
		return nil, err
	}
	var prev []paramRec
	if s != nil {
		prev = s.Params
	}
	// A change set shows what a template's transforms make before it
	// runs: it needs no CAPABILITY_AUTO_EXPAND (changeSetCaps).
	p, err := c.prepare(ctx, body, in.Parameters, prev, changeSetCaps(in.Capabilities))
	if err != nil {
		return nil, err
	}
	if err := c.checkRole(ctx, ptrStr(in.RoleARN)); err != nil {
		return nil, err
	}
	tags, err := tagsOf(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	if typ == "CREATE" && s == nil {
		if !stackNamePattern.MatchString(stackName) || len(stackName) > 128 {
			return nil, validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", stackName)
		}
		s = &stackRec{ID: c.stackID(ctx, stackName), Name: stackName, Description: p.t.Description, Account: ctx.Account,
			Region: ctx.Region, Created: c.clock.Now().UTC(), Resources: map[string]*resourceRec{}, Caller: ctx.Caller}
		c.stackEvent(s, "REVIEW_IN_PROGRESS", "User Initiated")
		c.mu.Lock()
		err = c.store.Update(func(tx storage.Tx) error { return stacks.Put(tx, sc, *s, s.ID) })
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	existing, err := c.changeSetsOf(sc, s.ID)
	if err != nil {
		return nil, err
	}
	for _, cs := range existing {
		if cs.Name == name {
			return nil, cfnapi.ErrAlreadyExistsException.New("ChangeSet [%s] already exists", name)
		}
	}
	cs := changeSetRec{ID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", ctx.Region, ctx.Account, name, awsid.UUID()),
		Name: name, StackID: s.ID, StackName: s.Name, Type: typ, Description: ptrStr(in.Description),
		Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", Created: c.clock.Now().UTC(), Template: body,
		Params: in.Parameters, Resolved: p.recs, Capabilities: in.Capabilities, Tags: tags, TagsGiven: len(in.Tags) > 0,
		NotificationARNs: in.NotificationARNs, RoleARN: ptrStr(in.RoleARN), OnStackFailure: ptrStr(in.OnStackFailure)}
	cs.Changes = c.diff(s, p)
	if typ == "UPDATE" && len(cs.Changes) == 0 && sameParams(p.recs, s.Params) && (!cs.TagsGiven || sameTags(tags, s.Tags)) {
		cs.Status, cs.StatusReason, cs.ExecutionStatus = "FAILED", noChanges, "UNAVAILABLE"
	}
	c.mu.Lock()
	err = c.store.Update(func(tx storage.Tx) error { return changeSets.Put(tx, sc, cs, cs.ID) })
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &cfnapi.CreateChangeSetOutput{Id: ptr.To(cs.ID), StackId: ptr.To(s.ID)}, nil
}

// diff compares the stack's template with p's, resource by resource, as
// written (values only known once resources exist compare as written).
func (c *CloudFormation) diff(s *stackRec, p *prepared) []change {
	var old *template
	if s.Template != "" {
		old, _ = stackTemplate(s)
	}
	ev := c.newEvaluator(s, p.t, p.params)
	ev.importValue = nil
	want := map[string]bool{}
	for _, l := range sortedKeys(p.t.Resources) {
		r := p.t.Resources[l]
		if r.Condition != "" {
			if ok, err := ev.condition(r.Condition); err != nil || !ok {
				continue
			}
		}
		want[l] = true
	}
	var out []change
	for _, l := range sortedKeys(p.t.Resources) {
		if !want[l] {
			continue
		}
		r := p.t.Resources[l]
		cur, exists := s.Resources[l]
		if !exists || cur.Status == "DELETE_COMPLETE" {
			out = append(out, change{Logical: l, Type: r.Type, Action: "Add"})
			continue
		}
		var oldProps map[string]any
		if old != nil {
			if od, ok := old.Resources[l]; ok {
				oldProps = od.Properties
			}
		}
		changed := changedProps(oldProps, r.Properties)
		if cur.Type != r.Type {
			out = append(out, change{Logical: l, Type: r.Type, Action: "Modify", Replacement: "True", Changed: changed, Recreated: changed})
			continue
		}
		if len(changed) == 0 {
			continue
		}
		repl, recreated := "False", c.recreated(r.Type, oldProps, r.Properties, changed)
		if len(recreated) > 0 {
			repl = "True"
		}
		out = append(out, change{Logical: l, Type: r.Type, Action: "Modify", Replacement: repl, Changed: changed, Recreated: recreated})
	}
	for _, l := range sortedKeys(s.Resources) {
		if !want[l] && s.Resources[l].Status != "DELETE_COMPLETE" {
			out = append(out, change{Logical: l, Type: s.Resources[l].Type, Action: "Remove"})
		}
	}
	return out
}

func (c *CloudFormation) changeSetsOf(sc storage.Scope, stackID string) ([]changeSetRec, error) {
	var out []changeSetRec
	err := c.store.View(func(tx storage.Tx) error {
		return changeSets.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v changeSetRec) bool {
			if v.StackID == stackID {
				out = append(out, v)
			}
			return true
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// findChangeSet finds a change set by ARN, or by name within a stack.
func (c *CloudFormation) findChangeSet(ctx *request.Context, name, stackName string) (*changeSetRec, *stackRec, error) {
	sc := scopeOf(ctx)
	notFound := cfnapi.ErrChangeSetNotFoundException.New("ChangeSet [%s] does not exist", name)
	if strings.HasPrefix(name, "arn:") {
		var cs changeSetRec
		var ok bool
		err := c.store.View(func(tx storage.Tx) error {
			var err error
			cs, ok, err = changeSets.Get(tx, sc, name)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, notFound
		}
		s, _, err := c.load(sc, cs.StackID)
		return &cs, s, err
	}
	if stackName == "" {
		return nil, nil, validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
	}
	s, err := c.find(ctx, stackName)
	if err != nil {
		return nil, nil, notFound
	}
	all, err := c.changeSetsOf(sc, s.ID)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], s, nil
		}
	}
	return nil, nil, notFound
}

// DescribeChangeSet describes a change set and its changes.
func (c *CloudFormation) DescribeChangeSet(ctx *request.Context, in *cfnapi.DescribeChangeSetInput) (*cfnapi.DescribeChangeSetOutput, error) {
	cs, _, err := c.findChangeSet(ctx, ptrStr(in.ChangeSetName), ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	out := &cfnapi.DescribeChangeSetOutput{ChangeSetName: ptr.To(cs.Name), ChangeSetId: ptr.To(cs.ID), StackId: ptr.To(cs.StackID),
		StackName: ptr.To(cs.StackName), CreationTime: ptr.To(cs.Created), ExecutionStatus: ptr.To(cs.ExecutionStatus),
		Status: ptr.To(cs.Status), NotificationARNs: cs.NotificationARNs, Capabilities: cs.Capabilities,
		IncludeNestedStacks: ptr.To(false), RollbackConfiguration: &cfnapi.RollbackConfiguration{}}
	if cs.Description != "" {
		out.Description = ptr.To(cs.Description)
	}
	if cs.StatusReason != "" {
		out.StatusReason = ptr.To(cs.StatusReason)
	}
	if cs.OnStackFailure != "" {
		out.OnStackFailure = ptr.To(cs.OnStackFailure)
	}
	for _, p := range cs.Resolved {
		v := p.Value
		if p.NoEcho {
			v = "****"
		}
		out.Parameters = append(out.Parameters, cfnapi.Parameter{ParameterKey: ptr.To(p.Key), ParameterValue: ptr.To(v)})
	}
	for _, t := range cs.Tags {
		out.Tags = append(out.Tags, cfnapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
	}
	s, _, _ := c.load(scopeOf(ctx), cs.StackID)
	for _, ch := range cs.Changes {
		rc := &cfnapi.ResourceChange{Action: ptr.To(ch.Action), LogicalResourceId: ptr.To(ch.Logical), ResourceType: ptr.To(ch.Type)}
		if s != nil && ch.Action != "Add" {
			if r, ok := s.Resources[ch.Logical]; ok {
				rc.PhysicalResourceId = ptr.To(r.PhysicalID)
			}
		}
		if ch.Action == "Modify" {
			rc.Replacement = ptr.To(ch.Replacement)
			rc.Scope = []string{"Properties"}
			for _, prop := range ch.Changed {
				recreate := "Never"
				if slices.Contains(ch.Recreated, prop) {
					recreate = "Always"
				}
				rc.Details = append(rc.Details, cfnapi.ResourceChangeDetail{
					Target:     &cfnapi.ResourceTargetDefinition{Attribute: ptr.To("Properties"), Name: ptr.To(prop), RequiresRecreation: ptr.To(recreate)},
					Evaluation: ptr.To("Static"), ChangeSource: ptr.To("DirectModification")})
			}
		}
		out.Changes = append(out.Changes, cfnapi.Change{Type: ptr.To("Resource"), ResourceChange: rc})
	}
	return out, nil
}

// ExecuteChangeSet runs a change set: it creates or updates its stack.
func (c *CloudFormation) ExecuteChangeSet(ctx *request.Context, in *cfnapi.ExecuteChangeSetInput) (*cfnapi.ExecuteChangeSetOutput, error) {
	cs, s, err := c.findChangeSet(ctx, ptrStr(in.ChangeSetName), ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, validation("Stack [%s] does not exist", cs.StackName)
	}
	if cs.ExecutionStatus != "AVAILABLE" {
		return nil, cfnapi.ErrInvalidChangeSetStatusException.New("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.ID, cs.Status)
	}
	sc := scopeOf(ctx)
	if cs.Type == "CREATE" {
		p, err := c.prepare(ctx, cs.Template, cs.Params, nil, changeSetCaps(cs.Capabilities))
		if err != nil {
			return nil, err
		}
		onFailure := cs.OnStackFailure
		if in.DisableRollback != nil && *in.DisableRollback {
			onFailure = "DO_NOTHING"
		}
		err = c.mutate(sc, s.ID, func(cur *stackRec) error {
			if cur.Status != "REVIEW_IN_PROGRESS" {
				return cfnapi.ErrInvalidChangeSetStatusException.New("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.ID, cs.Status)
			}
			cur.Template, cur.Params, cur.Tags, cur.Capabilities = cs.Template, p.recs, cs.Tags, cs.Capabilities
			cur.NotificationARNs, cur.RoleARN, cur.DisableRollback = cs.NotificationARNs, cs.RoleARN, onFailure == "DO_NOTHING"
			cur.Caller, cur.Token, cur.Description = ctx.Caller, ptrStr(in.ClientRequestToken), p.t.Description
			c.stackEvent(cur, "CREATE_IN_PROGRESS", "User Initiated")
			*s = *cur
			return nil
		})
		if err != nil {
			return nil, err
		}
		c.markExecuted(sc, cs)
		c.start(func() { c.runCreate(s, p.t, p.params, onFailure) })
		return &cfnapi.ExecuteChangeSetOutput{}, nil
	}
	up := &cfnapi.UpdateStackInput{StackName: ptr.To(s.ID), TemplateBody: ptr.To(cs.Template), Parameters: cs.Params,
		Capabilities: changeSetCaps(cs.Capabilities), NotificationARNs: cs.NotificationARNs, ClientRequestToken: in.ClientRequestToken,
		DisableRollback: in.DisableRollback}
	if cs.TagsGiven {
		for _, t := range cs.Tags {
			up.Tags = append(up.Tags, cfnapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
		}
	}
	if cs.RoleARN != "" {
		up.RoleARN = ptr.To(cs.RoleARN)
	}
	if _, err := c.UpdateStack(ctx, up); err != nil {
		return nil, err
	}
	c.markExecuted(sc, cs)
	return &cfnapi.ExecuteChangeSetOutput{}, nil
}

// markExecuted records the execution and drops the stack's other change
// sets, as AWS does.
func (c *CloudFormation) markExecuted(sc storage.Scope, cs *changeSetRec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.store.Update(func(tx storage.Tx) error {
		var others []string
		if err := changeSets.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v changeSetRec) bool {
			if v.StackID == cs.StackID && v.ID != cs.ID {
				others = append(others, v.ID)
			}
			return true
		}); err != nil {
			return err
		}
		for _, id := range others {
			if err := changeSets.Delete(tx, sc, id); err != nil {
				return err
			}
		}
		cs.ExecutionStatus = "EXECUTE_COMPLETE"
		return changeSets.Put(tx, sc, *cs, cs.ID)
	})
	if err != nil {
		c.log.Error("cloudformation: marking change set executed", "err", err)
	}
}

// DeleteChangeSet deletes a change set.
func (c *CloudFormation) DeleteChangeSet(ctx *request.Context, in *cfnapi.DeleteChangeSetInput) (*cfnapi.DeleteChangeSetOutput, error) {
	name, stack := ptrStr(in.ChangeSetName), ptrStr(in.StackName)
	cs, _, err := c.findChangeSet(ctx, name, stack)
	if cfnapi.ErrChangeSetNotFoundException.Is(err) && !strings.HasPrefix(name, "arn:") && stack != "" {
		// A change set named on an existing stack is deleted even when
		// there is none of that name: AWS answers success, and CDK
		// clears its change set name this way before every deploy.
		if _, ferr := c.find(ctx, stack); ferr == nil {
			return &cfnapi.DeleteChangeSetOutput{}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if cs.ExecutionStatus == "EXECUTE_IN_PROGRESS" {
		return nil, cfnapi.ErrInvalidChangeSetStatusException.New("Cannot delete ChangeSet in status EXECUTE_IN_PROGRESS")
	}
	sc := scopeOf(ctx)
	c.mu.Lock()
	err = c.store.Update(func(tx storage.Tx) error { return changeSets.Delete(tx, sc, cs.ID) })
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &cfnapi.DeleteChangeSetOutput{}, nil
}

// ListChangeSets lists a stack's change sets.
func (c *CloudFormation) ListChangeSets(ctx *request.Context, in *cfnapi.ListChangeSetsInput) (*cfnapi.ListChangeSetsOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	all, err := c.changeSetsOf(scopeOf(ctx), s.ID)
	if err != nil {
		return nil, err
	}
	var out []cfnapi.ChangeSetSummary
	for _, cs := range all {
		sum := cfnapi.ChangeSetSummary{StackId: ptr.To(cs.StackID), StackName: ptr.To(cs.StackName), ChangeSetId: ptr.To(cs.ID),
			ChangeSetName: ptr.To(cs.Name), ExecutionStatus: ptr.To(cs.ExecutionStatus), Status: ptr.To(cs.Status),
			CreationTime: ptr.To(cs.Created), IncludeNestedStacks: ptr.To(false)}
		if cs.StatusReason != "" {
			sum.StatusReason = ptr.To(cs.StatusReason)
		}
		if cs.Description != "" {
			sum.Description = ptr.To(cs.Description)
		}
		out = append(out, sum)
	}
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.ListChangeSetsOutput{Summaries: pg, NextToken: next}, nil
}

var _ = json.Marshal
