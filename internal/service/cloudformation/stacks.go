package cloudformation

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var stackNamePattern = lazyre.New(`^[a-zA-Z][-a-zA-Z0-9]*$`)

// templateBody returns the body of TemplateBody or TemplateURL.
func (c *CloudFormation) templateBody(ctx *request.Context, body, url *string) (string, error) {
	switch {
	case body != nil && url != nil:
		return "", validation("Specify exactly one of TemplateBody or TemplateUrl.")
	case body != nil:
		if len(*body) > maxTemplateBody {
			return "", validation("1 validation error detected: Value '%s' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", "[truncated]", maxTemplateBody)
		}
		return *body, nil
	case url != nil:
		if c.lookups.TemplateURL == nil {
			return "", validation("TemplateURL must be a supported URL.")
		}
		b, err := c.lookups.TemplateURL(ctx, *url)
		if err != nil {
			return "", err
		}
		if len(b) > maxTemplateURL {
			return "", validation("Template may not exceed %d bytes in size.", maxTemplateURL)
		}
		return b, nil
	}
	return "", validation("Either Template URL or Template Body must be specified.")
}

// prepared is a template checked for a stack operation.
type prepared struct {
	t      *template
	body   string
	params map[string]any
	recs   []paramRec
}

func (c *CloudFormation) prepare(ctx *request.Context, body string, given []cfnapi.Parameter, prev []paramRec, caps []string) (*prepared, error) {
	t, err := parseTemplateWith(body, transformEnvOf(ctx, given, prev))
	if err != nil {
		return nil, err
	}
	if _, err := t.dependencies(); err != nil {
		return nil, err
	}
	if err := c.checkTypes(t); err != nil {
		return nil, err
	}
	need, _ := c.requiredCapabilities(t)
	if err := checkCapabilities(need, caps); err != nil {
		return nil, err
	}
	params, recs, err := c.resolveParams(ctx, t, given, prev)
	if err != nil {
		return nil, err
	}
	return &prepared{t: t, body: body, params: params, recs: recs}, nil
}

func tagsOf(in []cfnapi.Tag) ([]tagRec, error) {
	if len(in) > 50 {
		return nil, validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	out := make([]tagRec, 0, len(in))
	for _, t := range in {
		out = append(out, tagRec{Key: ptrStr(t.Key), Value: ptrStr(t.Value)})
	}
	return out, nil
}

func (c *CloudFormation) stackID(ctx *request.Context, name string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", ctx.Region, ctx.Account, name, awsid.UUID())
}

// CreateStack starts creating a stack; the work runs in the background.
func (c *CloudFormation) CreateStack(ctx *request.Context, in *cfnapi.CreateStackInput) (*cfnapi.CreateStackOutput, error) {
	name := ptrStr(in.StackName)
	if !stackNamePattern.MatchString(name) || len(name) > 128 {
		return nil, validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	if existing, err := c.find(ctx, name); err == nil {
		if in.ClientRequestToken != nil && existing.Token == *in.ClientRequestToken {
			return &cfnapi.CreateStackOutput{StackId: &existing.ID}, nil
		}
		return nil, cfnapi.ErrAlreadyExistsException.New("Stack [%s] already exists", name)
	}
	body, err := c.templateBody(ctx, in.TemplateBody, in.TemplateURL)
	if err != nil {
		return nil, err
	}
	p, err := c.prepare(ctx, body, in.Parameters, nil, in.Capabilities)
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
	onFailure := ptrStr(in.OnFailure)
	if in.DisableRollback != nil && *in.DisableRollback {
		if onFailure != "" {
			return nil, validation("You cannot specify both DisableRollback and OnFailure.")
		}
		onFailure = "DO_NOTHING"
	}
	now := c.clock.Now().UTC()
	s := &stackRec{ID: c.stackID(ctx, name), Name: name, Description: p.t.Description, Account: ctx.Account, Region: ctx.Region,
		Created: now, Template: body, Params: p.recs, Tags: tags, Capabilities: in.Capabilities,
		NotificationARNs: in.NotificationARNs, DisableRollback: onFailure == "DO_NOTHING",
		TerminationProtection: ptr.Deref(in.EnableTerminationProtection), RoleARN: ptrStr(in.RoleARN),
		TimeoutInMinutes: ptr.Deref(in.TimeoutInMinutes), Policy: ptrStr(in.StackPolicyBody),
		Resources: map[string]*resourceRec{}, Caller: ctx.Caller, Token: ptrStr(in.ClientRequestToken)}
	c.stackEvent(s, "CREATE_IN_PROGRESS", "User Initiated")
	sc := scopeOf(ctx)
	c.mu.Lock()
	err = c.store.Update(func(tx storage.Tx) error { return stacks.Put(tx, sc, *s, s.ID) })
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c.start(func() { c.runCreate(s, p.t, p.params, onFailure) })
	return &cfnapi.CreateStackOutput{StackId: &s.ID}, nil
}

// inProgress reports statuses no new operation may start from.
func inProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS")
}

// UpdateStack starts updating a stack.
func (c *CloudFormation) UpdateStack(ctx *request.Context, in *cfnapi.UpdateStackInput) (*cfnapi.UpdateStackOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if in.ClientRequestToken != nil && s.Token == *in.ClientRequestToken && s.Status != "CREATE_COMPLETE" {
		return &cfnapi.UpdateStackOutput{StackId: &s.ID}, nil
	}
	switch {
	case inProgress(s.Status):
		return nil, validation("Stack:%s is in %s state and can not be updated.", s.ID, s.Status)
	case s.Status == "ROLLBACK_COMPLETE", s.Status == "ROLLBACK_FAILED", s.Status == "CREATE_FAILED", s.Status == "DELETE_FAILED":
		return nil, validation("Stack:%s is in %s state and can not be updated.", s.ID, s.Status)
	}
	var body string
	if in.UsePreviousTemplate != nil && *in.UsePreviousTemplate {
		if in.TemplateBody != nil || in.TemplateURL != nil {
			return nil, validation("You cannot specify both usePreviousTemplate and Template Body/Template URL")
		}
		body = s.Template
	} else if body, err = c.templateBody(ctx, in.TemplateBody, in.TemplateURL); err != nil {
		return nil, err
	}
	p, err := c.prepare(ctx, body, in.Parameters, s.Params, in.Capabilities)
	if err != nil {
		return nil, err
	}
	if err := c.checkRole(ctx, ptrStr(in.RoleARN)); err != nil {
		return nil, err
	}
	tags := s.Tags
	if in.Tags != nil {
		if tags, err = tagsOf(in.Tags); err != nil {
			return nil, err
		}
	}
	if body == s.Template && sameParams(p.recs, s.Params) && sameTags(tags, s.Tags) {
		return nil, validation("No updates are to be performed.")
	}
	prev := cloneStack(s)
	s.PrevState = prevState(prev)
	c.resetCancel(s.ID)
	s.Template, s.Params, s.Tags, s.Description = body, p.recs, tags, p.t.Description
	s.Updated = c.clock.Now().UTC()
	s.Caller, s.Token = ctx.Caller, ptrStr(in.ClientRequestToken)
	if in.Capabilities != nil {
		s.Capabilities = in.Capabilities
	}
	if in.DisableRollback != nil {
		s.DisableRollback = *in.DisableRollback
	}
	if in.NotificationARNs != nil {
		s.NotificationARNs = in.NotificationARNs
	}
	if in.RoleARN != nil {
		s.RoleARN = *in.RoleARN
	}
	c.stackEvent(s, "UPDATE_IN_PROGRESS", "User Initiated")
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		if inProgress(cur.Status) {
			return validation("Stack:%s is in %s state and can not be updated.", cur.ID, cur.Status)
		}
		tp, pol := cur.TerminationProtection, cur.Policy
		*cur = *s
		cur.TerminationProtection, cur.Policy = tp, pol
		return nil
	}); err != nil {
		return nil, err
	}
	c.start(func() { c.runUpdate(s, p.t, p.params, prev) })
	return &cfnapi.UpdateStackOutput{StackId: &s.ID}, nil
}

// cloneStack deep-copies a stack through JSON (its resources are
// pointers the running operation changes).
func cloneStack(s *stackRec) stackRec {
	var out stackRec
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &out)
	return out
}

func sameParams(a, b []paramRec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}

func sameTags(a, b []tagRec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// DeleteStack starts deleting a stack; deleting a stack that does not
// exist succeeds, as on AWS.
func (c *CloudFormation) DeleteStack(ctx *request.Context, in *cfnapi.DeleteStackInput) (*cfnapi.DeleteStackOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil || s.Status == "DELETE_COMPLETE" {
		return &cfnapi.DeleteStackOutput{}, nil
	}
	if s.TerminationProtection {
		return nil, validation("Stack [%s] cannot be deleted while TerminationProtection is enabled", s.Name)
	}
	if s.Status == "DELETE_IN_PROGRESS" {
		return &cfnapi.DeleteStackOutput{}, nil
	}
	if inProgress(s.Status) {
		return nil, validation("Stack [%s] cannot be deleted while in status %s", s.Name, s.Status)
	}
	retain := map[string]bool{}
	for _, r := range in.RetainResources {
		if s.Status != "DELETE_FAILED" {
			return nil, validation("Invalid operation on stack %s: RetainResources can only be specified when the stack is in the DELETE_FAILED state", s.ID)
		}
		retain[r] = true
	}
	if in.RoleARN != nil {
		if err := c.checkRole(ctx, *in.RoleARN); err != nil {
			return nil, err
		}
		s.RoleARN = *in.RoleARN
	}
	s.Caller, s.Token = ctx.Caller, ptrStr(in.ClientRequestToken)
	c.stackEvent(s, "DELETE_IN_PROGRESS", "User Initiated")
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		if inProgress(cur.Status) {
			return validation("Stack [%s] cannot be deleted while in status %s", cur.Name, cur.Status)
		}
		*cur = *s
		return nil
	}); err != nil {
		return nil, err
	}
	c.signals.drop(s.ID)
	c.start(func() { c.runDelete(s, retain) })
	return &cfnapi.DeleteStackOutput{}, nil
}

func (c *CloudFormation) describe(s *stackRec) cfnapi.Stack {
	out := cfnapi.Stack{StackId: ptr.To(s.ID), StackName: ptr.To(s.Name), CreationTime: ptr.To(s.Created),
		StackStatus: ptr.To(s.Status), DisableRollback: ptr.To(s.DisableRollback),
		EnableTerminationProtection: ptr.To(s.TerminationProtection), NotificationARNs: s.NotificationARNs,
		Capabilities: s.Capabilities, DriftInformation: &cfnapi.StackDriftInformation{StackDriftStatus: ptr.To(orDefault(s.DriftStatus, "NOT_CHECKED"))}}
	if !s.DriftChecked.IsZero() {
		out.DriftInformation.LastCheckTimestamp = ptr.To(s.DriftChecked)
	}
	if s.Description != "" {
		out.Description = ptr.To(s.Description)
	}
	if s.StatusReason != "" {
		out.StackStatusReason = ptr.To(s.StatusReason)
	}
	if !s.Updated.IsZero() {
		out.LastUpdatedTime = ptr.To(s.Updated)
	}
	if !s.Deleted.IsZero() {
		out.DeletionTime = ptr.To(s.Deleted)
	}
	if s.RoleARN != "" {
		out.RoleARN = ptr.To(s.RoleARN)
	}
	if s.TimeoutInMinutes > 0 {
		out.TimeoutInMinutes = ptr.To(s.TimeoutInMinutes)
	}
	if s.ParentID != "" {
		out.ParentId, out.RootId = ptr.To(s.ParentID), ptr.To(s.RootID)
	}
	for _, p := range s.Params {
		v := p.Value
		if p.NoEcho {
			v = "****"
		}
		pp := cfnapi.Parameter{ParameterKey: ptr.To(p.Key), ParameterValue: ptr.To(v)}
		if p.Resolved != "" && !p.NoEcho {
			pp.ResolvedValue = ptr.To(p.Resolved)
		}
		out.Parameters = append(out.Parameters, pp)
	}
	for _, t := range s.Tags {
		out.Tags = append(out.Tags, cfnapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
	}
	for _, o := range s.Outputs {
		oo := cfnapi.Output{OutputKey: ptr.To(o.Key), OutputValue: ptr.To(o.Value)}
		if o.Description != "" {
			oo.Description = ptr.To(o.Description)
		}
		if o.ExportName != "" {
			oo.ExportName = ptr.To(o.ExportName)
		}
		out.Outputs = append(out.Outputs, oo)
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// page cuts items at a NextToken (an index) into pages of n.
func page[T any](items []T, token *string, n int) ([]T, *string, error) {
	start := 0
	if token != nil && *token != "" {
		i, err := strconv.Atoi(*token)
		if err != nil || i < 0 || i > len(items) {
			return nil, nil, validation("Invalid NextToken")
		}
		start = i
	}
	end := start + n
	if end >= len(items) {
		return items[start:], nil, nil
	}
	return items[start:end], ptr.To(strconv.Itoa(end)), nil
}

// DescribeStacks describes one stack or every live stack.
func (c *CloudFormation) DescribeStacks(ctx *request.Context, in *cfnapi.DescribeStacksInput) (*cfnapi.DescribeStacksOutput, error) {
	if in.StackName != nil && *in.StackName != "" {
		s, err := c.find(ctx, *in.StackName)
		if err != nil {
			return nil, err
		}
		return &cfnapi.DescribeStacksOutput{Stacks: []cfnapi.Stack{c.describe(s)}}, nil
	}
	all, err := c.all(scopeOf(ctx))
	if err != nil {
		return nil, err
	}
	var out []cfnapi.Stack
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Status != "DELETE_COMPLETE" {
			out = append(out, c.describe(&all[i]))
		}
	}
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.DescribeStacksOutput{Stacks: pg, NextToken: next}, nil
}

// ListStacks lists stacks, deleted ones too, filtered by status.
func (c *CloudFormation) ListStacks(ctx *request.Context, in *cfnapi.ListStacksInput) (*cfnapi.ListStacksOutput, error) {
	all, err := c.all(scopeOf(ctx))
	if err != nil {
		return nil, err
	}
	filter := map[string]bool{}
	for _, f := range in.StackStatusFilter {
		filter[f] = true
	}
	var out []cfnapi.StackSummary
	for i := len(all) - 1; i >= 0; i-- {
		s := &all[i]
		if len(filter) > 0 && !filter[s.Status] {
			continue
		}
		sum := cfnapi.StackSummary{StackId: ptr.To(s.ID), StackName: ptr.To(s.Name), CreationTime: ptr.To(s.Created),
			StackStatus: ptr.To(s.Status), DriftInformation: &cfnapi.StackDriftInformationSummary{StackDriftStatus: ptr.To(orDefault(s.DriftStatus, "NOT_CHECKED"))}}
		if s.Description != "" {
			sum.TemplateDescription = ptr.To(s.Description)
		}
		if s.StatusReason != "" {
			sum.StackStatusReason = ptr.To(s.StatusReason)
		}
		if !s.Updated.IsZero() {
			sum.LastUpdatedTime = ptr.To(s.Updated)
		}
		if !s.Deleted.IsZero() {
			sum.DeletionTime = ptr.To(s.Deleted)
		}
		out = append(out, sum)
	}
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.ListStacksOutput{StackSummaries: pg, NextToken: next}, nil
}

// DescribeStackEvents lists a stack's events, newest first.
func (c *CloudFormation) DescribeStackEvents(ctx *request.Context, in *cfnapi.DescribeStackEventsInput) (*cfnapi.DescribeStackEventsOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	out := make([]cfnapi.StackEvent, 0, len(s.Events))
	for i := len(s.Events) - 1; i >= 0; i-- {
		e := s.Events[i]
		ev := cfnapi.StackEvent{StackId: ptr.To(s.ID), StackName: ptr.To(s.Name), EventId: ptr.To(e.ID),
			LogicalResourceId: ptr.To(e.LogicalID), PhysicalResourceId: ptr.To(e.PhysicalID), ResourceType: ptr.To(e.Type),
			Timestamp: ptr.To(e.Time), ResourceStatus: ptr.To(e.Status)}
		if e.Reason != "" {
			ev.ResourceStatusReason = ptr.To(e.Reason)
		}
		if e.Properties != "" {
			ev.ResourceProperties = ptr.To(e.Properties)
		}
		if e.Token != "" {
			ev.ClientRequestToken = ptr.To(e.Token)
		}
		out = append(out, ev)
	}
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.DescribeStackEventsOutput{StackEvents: pg, NextToken: next}, nil
}

func liveResources(s *stackRec) []*resourceRec {
	var out []*resourceRec
	for _, l := range sortedKeys(s.Resources) {
		out = append(out, s.Resources[l])
	}
	return out
}

// DescribeStackResource describes one resource of a stack.
func (c *CloudFormation) DescribeStackResource(ctx *request.Context, in *cfnapi.DescribeStackResourceInput) (*cfnapi.DescribeStackResourceOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	r, ok := s.Resources[ptrStr(in.LogicalResourceId)]
	if !ok {
		return nil, validation("Resource %s does not exist for stack %s", ptrStr(in.LogicalResourceId), s.Name)
	}
	d := &cfnapi.StackResourceDetail{StackName: ptr.To(s.Name), StackId: ptr.To(s.ID), LogicalResourceId: ptr.To(r.LogicalID),
		PhysicalResourceId: ptr.To(r.PhysicalID), ResourceType: ptr.To(r.Type), LastUpdatedTimestamp: ptr.To(r.Updated),
		ResourceStatus: ptr.To(r.Status), DriftInformation: &cfnapi.StackResourceDriftInformation{}}
	d.DriftInformation.StackResourceDriftStatus, d.DriftInformation.LastCheckTimestamp = driftInfo(r)
	if r.Reason != "" {
		d.ResourceStatusReason = ptr.To(r.Reason)
	}
	if r.Metadata != "" {
		d.Metadata = ptr.To(r.Metadata)
	}
	return &cfnapi.DescribeStackResourceOutput{StackResourceDetail: d}, nil
}

// DescribeStackResources describes a stack's resources, or the stack of
// a physical resource.
func (c *CloudFormation) DescribeStackResources(ctx *request.Context, in *cfnapi.DescribeStackResourcesInput) (*cfnapi.DescribeStackResourcesOutput, error) {
	var s *stackRec
	var err error
	switch {
	case in.StackName != nil:
		s, err = c.find(ctx, *in.StackName)
	case in.PhysicalResourceId != nil:
		all, aerr := c.all(scopeOf(ctx))
		if aerr != nil {
			return nil, aerr
		}
		for i := range all {
			if all[i].Status == "DELETE_COMPLETE" {
				continue
			}
			for _, r := range all[i].Resources {
				if r.PhysicalID == *in.PhysicalResourceId {
					s = &all[i]
				}
			}
		}
		if s == nil {
			err = validation("Stack for %s does not exist", *in.PhysicalResourceId)
		}
	default:
		err = validation("At least one of StackName or PhysicalResourceId must be specified")
	}
	if err != nil {
		return nil, err
	}
	var out []cfnapi.StackResource
	for _, r := range liveResources(s) {
		if in.LogicalResourceId != nil && r.LogicalID != *in.LogicalResourceId {
			continue
		}
		sr := cfnapi.StackResource{StackName: ptr.To(s.Name), StackId: ptr.To(s.ID), LogicalResourceId: ptr.To(r.LogicalID),
			PhysicalResourceId: ptr.To(r.PhysicalID), ResourceType: ptr.To(r.Type), Timestamp: ptr.To(r.Updated),
			ResourceStatus: ptr.To(r.Status), DriftInformation: &cfnapi.StackResourceDriftInformation{}}
		sr.DriftInformation.StackResourceDriftStatus, sr.DriftInformation.LastCheckTimestamp = driftInfo(r)
		if r.Reason != "" {
			sr.ResourceStatusReason = ptr.To(r.Reason)
		}
		out = append(out, sr)
	}
	return &cfnapi.DescribeStackResourcesOutput{StackResources: out}, nil
}

// ListStackResources lists a stack's resources.
func (c *CloudFormation) ListStackResources(ctx *request.Context, in *cfnapi.ListStackResourcesInput) (*cfnapi.ListStackResourcesOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	var out []cfnapi.StackResourceSummary
	for _, r := range liveResources(s) {
		sr := cfnapi.StackResourceSummary{LogicalResourceId: ptr.To(r.LogicalID), PhysicalResourceId: ptr.To(r.PhysicalID),
			ResourceType: ptr.To(r.Type), LastUpdatedTimestamp: ptr.To(r.Updated), ResourceStatus: ptr.To(r.Status),
			DriftInformation: &cfnapi.StackResourceDriftInformationSummary{}}
		sr.DriftInformation.StackResourceDriftStatus, sr.DriftInformation.LastCheckTimestamp = driftInfo(r)
		if r.Reason != "" {
			sr.ResourceStatusReason = ptr.To(r.Reason)
		}
		out = append(out, sr)
	}
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.ListStackResourcesOutput{StackResourceSummaries: pg, NextToken: next}, nil
}

// GetTemplate returns a stack's template as submitted.
func (c *CloudFormation) GetTemplate(ctx *request.Context, in *cfnapi.GetTemplateInput) (*cfnapi.GetTemplateOutput, error) {
	if in.ChangeSetName != nil {
		cs, _, err := c.findChangeSet(ctx, *in.ChangeSetName, ptrStr(in.StackName))
		if err != nil {
			return nil, err
		}
		body := cs.Template
		if ptrStr(in.TemplateStage) == "Processed" {
			env := transformEnv{values: map[string]string{}, account: ctx.Account, region: ctx.Region, stackName: cs.StackName}
			for _, p := range cs.Resolved {
				env.values[p.Key] = p.Value
			}
			if body, err = processedTemplate(cs.Template, env); err != nil {
				return nil, err
			}
		}
		return &cfnapi.GetTemplateOutput{TemplateBody: ptr.To(body), StagesAvailable: []string{"Original", "Processed"}}, nil
	}
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	body := s.Template
	if ptrStr(in.TemplateStage) == "Processed" {
		if body, err = processedTemplate(s.Template, stackTransformEnv(s)); err != nil {
			return nil, err
		}
	}
	return &cfnapi.GetTemplateOutput{TemplateBody: ptr.To(body), StagesAvailable: []string{"Original", "Processed"}}, nil
}

func (c *CloudFormation) summarize(ctx *request.Context, body string) (*template, []string, string, error) {
	t, err := parseTemplate(body)
	if err != nil {
		return nil, nil, "", err
	}
	if _, err := t.dependencies(); err != nil {
		return nil, nil, "", err
	}
	caps, reason := c.requiredCapabilities(t)
	return t, caps, reason, nil
}

// ValidateTemplate checks a template and lists its parameters and the
// capabilities it needs.
func (c *CloudFormation) ValidateTemplate(ctx *request.Context, in *cfnapi.ValidateTemplateInput) (*cfnapi.ValidateTemplateOutput, error) {
	body, err := c.templateBody(ctx, in.TemplateBody, in.TemplateURL)
	if err != nil {
		return nil, err
	}
	t, caps, reason, err := c.summarize(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &cfnapi.ValidateTemplateOutput{Capabilities: caps, DeclaredTransforms: t.Transform}
	if reason != "" {
		out.CapabilitiesReason = ptr.To(reason)
	}
	if t.Description != "" {
		out.Description = ptr.To(t.Description)
	}
	for _, name := range sortedKeys(t.Parameters) {
		def := t.Parameters[name]
		tp := cfnapi.TemplateParameter{ParameterKey: ptr.To(name), NoEcho: ptr.To(false)}
		if d, ok := scalarString(def["Default"]); ok {
			tp.DefaultValue = ptr.To(d)
		}
		if ne, _ := scalarString(def["NoEcho"]); ne == "true" {
			tp.NoEcho = ptr.To(true)
		}
		if d, ok := def["Description"].(string); ok {
			tp.Description = ptr.To(d)
		}
		out.Parameters = append(out.Parameters, tp)
	}
	return out, nil
}

// GetTemplateSummary describes a template, or a stack's.
func (c *CloudFormation) GetTemplateSummary(ctx *request.Context, in *cfnapi.GetTemplateSummaryInput) (*cfnapi.GetTemplateSummaryOutput, error) {
	var body string
	var err error
	if in.StackName != nil {
		s, ferr := c.find(ctx, *in.StackName)
		if ferr != nil {
			return nil, ferr
		}
		body = s.Template
	} else if in.StackSetName != nil {
		return nil, cfnapi.ErrStackSetNotFoundException.New("StackSet %s not found", *in.StackSetName)
	} else if body, err = c.templateBody(ctx, in.TemplateBody, in.TemplateURL); err != nil {
		return nil, err
	}
	t, caps, reason, err := c.summarize(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &cfnapi.GetTemplateSummaryOutput{Capabilities: caps, DeclaredTransforms: t.Transform, Version: ptr.To("2010-09-09")}
	if t.FormatVersion != "" {
		out.Version = ptr.To(t.FormatVersion)
	}
	if reason != "" {
		out.CapabilitiesReason = ptr.To(reason)
	}
	if t.Description != "" {
		out.Description = ptr.To(t.Description)
	}
	if t.Metadata != nil {
		if b, err := json.Marshal(t.Metadata); err == nil {
			out.Metadata = ptr.To(string(b))
		}
	}
	seen := map[string]bool{}
	ids := map[string][]string{}
	for _, l := range sortedKeys(t.Resources) {
		ty := t.Resources[l].Type
		ids[ty] = append(ids[ty], l)
		if !seen[ty] {
			seen[ty] = true
			out.ResourceTypes = append(out.ResourceTypes, ty)
		}
	}
	sort.Strings(out.ResourceTypes)
	for _, ty := range out.ResourceTypes {
		out.ResourceIdentifierSummaries = append(out.ResourceIdentifierSummaries, cfnapi.ResourceIdentifierSummary{
			ResourceType: ptr.To(ty), LogicalResourceIds: ids[ty]})
	}
	for _, name := range sortedKeys(t.Parameters) {
		def := t.Parameters[name]
		pd := cfnapi.ParameterDeclaration{ParameterKey: ptr.To(name), NoEcho: ptr.To(false)}
		if ty, ok := def["Type"].(string); ok {
			pd.ParameterType = ptr.To(ty)
		}
		if d, ok := scalarString(def["Default"]); ok {
			pd.DefaultValue = ptr.To(d)
		}
		if ne, _ := scalarString(def["NoEcho"]); ne == "true" {
			pd.NoEcho = ptr.To(true)
		}
		if d, ok := def["Description"].(string); ok {
			pd.Description = ptr.To(d)
		}
		pc := &cfnapi.ParameterConstraints{}
		if av, ok := def["AllowedValues"].([]any); ok {
			for _, a := range av {
				s, _ := scalarString(a)
				pc.AllowedValues = append(pc.AllowedValues, s)
			}
		}
		pd.ParameterConstraints = pc
		out.Parameters = append(out.Parameters, pd)
	}
	return out, nil
}

// ListExports lists the region's exports.
func (c *CloudFormation) ListExports(ctx *request.Context, in *cfnapi.ListExportsInput) (*cfnapi.ListExportsOutput, error) {
	all, err := c.all(scopeOf(ctx))
	if err != nil {
		return nil, err
	}
	var out []cfnapi.Export
	for _, s := range all {
		if s.Status == "DELETE_COMPLETE" {
			continue
		}
		for _, o := range s.Outputs {
			if o.ExportName != "" {
				out = append(out, cfnapi.Export{ExportingStackId: ptr.To(s.ID), Name: ptr.To(o.ExportName), Value: ptr.To(o.Value)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].Name < *out[j].Name })
	pg, next, err := page(out, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.ListExportsOutput{Exports: pg, NextToken: next}, nil
}

// ListImports lists the stacks importing an export.
func (c *CloudFormation) ListImports(ctx *request.Context, in *cfnapi.ListImportsInput) (*cfnapi.ListImportsOutput, error) {
	name := ptrStr(in.ExportName)
	if _, _, ok := c.export(scopeOf(ctx), name); !ok {
		return nil, validation("Export '%s' could not be found.", name)
	}
	users := c.importers(scopeOf(ctx), name, "")
	if len(users) == 0 {
		return nil, validation("Export '%s' is not imported by any stack.", name)
	}
	pg, next, err := page(users, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &cfnapi.ListImportsOutput{Imports: pg, NextToken: next}, nil
}

// UpdateTerminationProtection turns termination protection on or off.
func (c *CloudFormation) UpdateTerminationProtection(ctx *request.Context, in *cfnapi.UpdateTerminationProtectionInput) (*cfnapi.UpdateTerminationProtectionOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if s.ParentID != "" {
		return nil, validation("Termination protection cannot be updated on nested stacks.")
	}
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		cur.TerminationProtection = ptr.Deref(in.EnableTerminationProtection)
		return nil
	}); err != nil {
		return nil, err
	}
	return &cfnapi.UpdateTerminationProtectionOutput{StackId: ptr.To(s.ID)}, nil
}

// SetStackPolicy sets the policy protecting a stack's resources during
// updates. niwa stores it; updates do not enforce it.
func (c *CloudFormation) SetStackPolicy(ctx *request.Context, in *cfnapi.SetStackPolicyInput) (*cfnapi.SetStackPolicyOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if in.StackPolicyURL != nil {
		return nil, validation("StackPolicyURL is not supported by niwa; pass StackPolicyBody")
	}
	body := ptrStr(in.StackPolicyBody)
	var doc map[string]any
	if json.Unmarshal([]byte(body), &doc) != nil {
		return nil, validation("Error validating stack policy: Invalid stack policy")
	}
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		cur.Policy = body
		return nil
	}); err != nil {
		return nil, err
	}
	return &cfnapi.SetStackPolicyOutput{}, nil
}

// GetStackPolicy returns a stack's policy.
func (c *CloudFormation) GetStackPolicy(ctx *request.Context, in *cfnapi.GetStackPolicyInput) (*cfnapi.GetStackPolicyOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	out := &cfnapi.GetStackPolicyOutput{}
	if s.Policy != "" {
		out.StackPolicyBody = ptr.To(s.Policy)
	}
	return out, nil
}

// DescribeAccountLimits answers AWS's default quotas.
func (c *CloudFormation) DescribeAccountLimits(ctx *request.Context, in *cfnapi.DescribeAccountLimitsInput) (*cfnapi.DescribeAccountLimitsOutput, error) {
	return &cfnapi.DescribeAccountLimitsOutput{AccountLimits: []cfnapi.AccountLimit{
		{Name: ptr.To("StackLimit"), Value: ptr.To(int32(2000))},
		{Name: ptr.To("StackOutputsLimit"), Value: ptr.To(int32(200))},
		{Name: ptr.To("ConcurrentResourcesLimit"), Value: ptr.To(int32(2500))},
	}}, nil
}
