package athena

import (
	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are Athena's CloudFormation resource types.
func (a *Athena) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the workgroup name; Fn::GetAtt CreationTime and
		// WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion.
		"AWS::Athena::WorkGroup": {
			Create: a.cfnCreateWorkGroup, Update: a.cfnUpdateWorkGroup, Delete: a.cfnDeleteWorkGroup, Read: a.cfnReadWorkGroup,
			Replace: []string{"Name"}, Tags: true,
		},
		// Ref is the named query's id; Fn::GetAtt NamedQueryId. Every
		// property change replaces it, as on AWS.
		"AWS::Athena::NamedQuery": {
			Create: a.cfnCreateNamedQuery, Delete: a.cfnDeleteNamedQuery,
		},
		// Ref is the statement name. Its query and description change in
		// place (UpdatePreparedStatement); its name and workgroup
		// replace it.
		"AWS::Athena::PreparedStatement": {
			Create: a.cfnCreatePreparedStatement, Update: a.cfnUpdatePreparedStatement, Delete: a.cfnDeletePreparedStatement,
			Replace: []string{"StatementName", "WorkGroup"},
		},
	}
}

func (a *Athena) cfnCreatePreparedStatement(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("StatementName")
	if _, err := a.CreatePreparedStatement(ctx, &athenaapi.CreatePreparedStatementInput{StatementName: &name, WorkGroup: cfnOptional(r, "WorkGroup"),
		QueryStatement: cfnOptional(r, "QueryStatement"), Description: cfnOptional(r, "Description")}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (a *Athena) cfnUpdatePreparedStatement(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := a.UpdatePreparedStatement(ctx, &athenaapi.UpdatePreparedStatementInput{StatementName: &r.PhysicalID, WorkGroup: cfnOptional(r, "WorkGroup"),
		QueryStatement: cfnOptional(r, "QueryStatement"), Description: cfnOptional(r, "Description")}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (a *Athena) cfnDeletePreparedStatement(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := a.DeletePreparedStatement(ctx, &athenaapi.DeletePreparedStatementInput{StatementName: &r.PhysicalID, WorkGroup: cfnOptional(r, "WorkGroup")})
	if athenaapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func cfnInvalid(r kit.ResourceRequest, prop string, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
}

func cfnOptional(r kit.ResourceRequest, name string) *string {
	if !kit.Has(r.Properties, name) {
		return nil
	}
	v := r.Str(name)
	return &v
}

func (a *Athena) cfnCreateWorkGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Name] not found", r.LogicalID)
	}
	in := &athenaapi.CreateWorkGroupInput{Name: &name, Description: cfnOptional(r, "Description")}
	if err := kit.DecodeProp(r.Properties, "WorkGroupConfiguration", &in.Configuration); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, "WorkGroupConfiguration", err)
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, athenaapi.Tag{Key: &key, Value: &val})
	}
	if _, err := a.CreateWorkGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if state := r.Str("State"); state != "" && state != "ENABLED" {
		if _, err := a.UpdateWorkGroup(ctx, &athenaapi.UpdateWorkGroupInput{WorkGroup: &name, State: &state}); err != nil {
			_, _ = a.DeleteWorkGroup(ctx, &athenaapi.DeleteWorkGroupInput{WorkGroup: &name})
			return kit.ResourceResult{}, err
		}
	}
	return a.cfnWorkGroupResult(ctx, name)
}

func (a *Athena) cfnWorkGroupResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	out, err := a.GetWorkGroup(ctx, &athenaapi.GetWorkGroupInput{WorkGroup: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{}
	if t := out.WorkGroup.CreationTime; t != nil {
		attrs["CreationTime"] = t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if c := out.WorkGroup.Configuration; c != nil && c.EngineVersion != nil && c.EngineVersion.EffectiveEngineVersion != nil {
		attrs["WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion"] = *c.EngineVersion.EffectiveEngineVersion
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}, nil
}

// cfnUpdateWorkGroup makes the workgroup what the template says: a
// configuration member the template no longer sets is removed (the
// API's Remove* members) or put back to its default.
func (a *Athena) cfnUpdateWorkGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	var cfg athenaapi.WorkGroupConfiguration
	if err := kit.DecodeProp(r.Properties, "WorkGroupConfiguration", &cfg); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, "WorkGroupConfiguration", err)
	}
	yes, no := true, false
	u := &athenaapi.WorkGroupConfigurationUpdates{EnforceWorkGroupConfiguration: cfg.EnforceWorkGroupConfiguration,
		PublishCloudWatchMetricsEnabled: cfg.PublishCloudWatchMetricsEnabled, RequesterPaysEnabled: cfg.RequesterPaysEnabled,
		BytesScannedCutoffPerQuery: cfg.BytesScannedCutoffPerQuery, EngineVersion: cfg.EngineVersion}
	if u.EnforceWorkGroupConfiguration == nil {
		u.EnforceWorkGroupConfiguration = &yes
	}
	if u.PublishCloudWatchMetricsEnabled == nil {
		u.PublishCloudWatchMetricsEnabled = &yes
	}
	if u.RequesterPaysEnabled == nil {
		u.RequesterPaysEnabled = &no
	}
	if u.BytesScannedCutoffPerQuery == nil {
		u.RemoveBytesScannedCutoffPerQuery = &yes
	}
	rc := cfg.ResultConfiguration
	if rc == nil {
		rc = &athenaapi.ResultConfiguration{}
	}
	u.ResultConfigurationUpdates = &athenaapi.ResultConfigurationUpdates{OutputLocation: rc.OutputLocation,
		EncryptionConfiguration: rc.EncryptionConfiguration, ExpectedBucketOwner: rc.ExpectedBucketOwner,
		RemoveOutputLocation: ptrIf(rc.OutputLocation == nil), RemoveEncryptionConfiguration: ptrIf(rc.EncryptionConfiguration == nil),
		RemoveExpectedBucketOwner: ptrIf(rc.ExpectedBucketOwner == nil)}
	desc, state := r.Str("Description"), r.Str("State")
	if state == "" {
		state = "ENABLED"
	}
	if _, err := a.UpdateWorkGroup(ctx, &athenaapi.UpdateWorkGroupInput{WorkGroup: &name, Description: &desc, State: &state,
		ConfigurationUpdates: u}); err != nil {
		return kit.ResourceResult{}, err
	}
	arn := kit.ARN("athena", ctx.Region, ctx.Account, "workgroup/"+name)
	old, now := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone []string
	var set []athenaapi.Tag
	for k := range old {
		if _, ok := now[k]; !ok {
			gone = append(gone, k)
		}
	}
	for k, v := range now {
		if ov, ok := old[k]; !ok || ov != v {
			key, val := k, v
			set = append(set, athenaapi.Tag{Key: &key, Value: &val})
		}
	}
	if len(gone) > 0 {
		if _, err := a.UntagResource(ctx, &athenaapi.UntagResourceInput{ResourceARN: &arn, TagKeys: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(set) > 0 {
		if _, err := a.TagResource(ctx, &athenaapi.TagResourceInput{ResourceARN: &arn, Tags: set}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return a.cfnWorkGroupResult(ctx, name)
}

func ptrIf(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// cfnDeleteWorkGroup deletes the workgroup; one already gone is not an
// error (Athena answers InvalidRequestException for both, so the
// workgroup is looked up again when the delete fails).
func (a *Athena) cfnDeleteWorkGroup(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	recursive := kit.PropBool(r.Properties, "RecursiveDeleteOption")
	_, err := a.DeleteWorkGroup(ctx, &athenaapi.DeleteWorkGroupInput{WorkGroup: &name, RecursiveDeleteOption: &recursive})
	if err != nil {
		if _, gerr := a.GetWorkGroup(ctx, &athenaapi.GetWorkGroupInput{WorkGroup: &name}); gerr != nil {
			return nil
		}
	}
	return err
}

func (a *Athena) cfnReadWorkGroup(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name := r.PhysicalID
	out, err := a.GetWorkGroup(ctx, &athenaapi.GetWorkGroupInput{WorkGroup: &name})
	if athenaapi.ErrInvalidRequestException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	w := out.WorkGroup
	live := map[string]any{"Name": name, "Description": nil, "State": nil}
	if w.Description != nil && *w.Description != "" {
		live["Description"] = *w.Description
	}
	if w.State != nil {
		live["State"] = *w.State
	}
	if c := w.Configuration; c != nil {
		cfg := map[string]any{}
		if c.EnforceWorkGroupConfiguration != nil {
			cfg["EnforceWorkGroupConfiguration"] = *c.EnforceWorkGroupConfiguration
		}
		if c.BytesScannedCutoffPerQuery != nil {
			cfg["BytesScannedCutoffPerQuery"] = float64(*c.BytesScannedCutoffPerQuery)
		}
		if rc := c.ResultConfiguration; rc != nil && rc.OutputLocation != nil {
			cfg["ResultConfiguration"] = map[string]any{"OutputLocation": *rc.OutputLocation}
		}
		live["WorkGroupConfiguration"] = cfg
	}
	return live, nil
}

func (a *Athena) cfnCreateNamedQuery(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if !kit.Has(r.Properties, "Database") || !kit.Has(r.Properties, "QueryString") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Database, QueryString] not found", r.LogicalID)
	}
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	out, err := a.CreateNamedQuery(ctx, &athenaapi.CreateNamedQueryInput{Name: &name, Description: cfnOptional(r, "Description"),
		Database: cfnOptional(r, "Database"), QueryString: cfnOptional(r, "QueryString"), WorkGroup: cfnOptional(r, "WorkGroup")})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.NamedQueryId, Attributes: map[string]any{"NamedQueryId": *out.NamedQueryId}}, nil
}

func (a *Athena) cfnDeleteNamedQuery(ctx *request.Context, r kit.ResourceRequest) error {
	id := r.PhysicalID
	_, err := a.DeleteNamedQuery(ctx, &athenaapi.DeleteNamedQueryInput{NamedQueryId: &id})
	if err != nil {
		if _, gerr := a.GetNamedQuery(ctx, &athenaapi.GetNamedQueryInput{NamedQueryId: &id}); gerr != nil {
			return nil
		}
	}
	return err
}
