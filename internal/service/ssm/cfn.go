package ssm

import (
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are SSM's CloudFormation resource types.
func (s *SSM) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the parameter name; Fn::GetAtt Type, Value.
		"AWS::SSM::Parameter": {Read: s.cfnReadParameter, Create: s.cfnPutParameter, Update: s.cfnPutParameter, Delete: s.cfnDeleteParameter,
			Replace: []string{"Name"}, Tags: true},
	}
}

func (s *SSM) cfnPutParameter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	if name == "" {
		name = r.Str("Name")
	}
	if name == "" {
		// CFN-<logical id>-<random>, as CloudFormation names them.
		name = kit.PhysicalName(kit.ResourceRequest{StackName: "CFN", LogicalID: r.LogicalID}, 2048)
	}
	typ, value := r.Str("Type"), r.Str("Value")
	if typ == "" || !kit.Has(r.Properties, "Value") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Type, Value] not found", r.LogicalID)
	}
	if typ == "SecureString" {
		return kit.ResourceResult{}, awserr.ValidationError.New("SecureString parameters are not supported by CloudFormation")
	}
	overwrite := r.PhysicalID != ""
	in := &ssmapi.PutParameterInput{Name: &name, Type: &typ, Value: &value, Overwrite: &overwrite}
	for _, p := range []struct {
		name string
		out  **string
	}{{"Description", &in.Description}, {"AllowedPattern", &in.AllowedPattern}, {"Tier", &in.Tier}, {"Policies", &in.Policies}, {"DataType", &in.DataType}} {
		if v := r.Str(p.name); v != "" {
			*p.out = &v
		}
	}
	if !overwrite {
		for k, v := range kit.PropTags(r.Properties) {
			key, val := k, v
			in.Tags = append(in.Tags, ssmapi.Tag{Key: &key, Value: &val})
		}
	}
	if _, err := s.PutParameter(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Type": typ, "Value": value}}, nil
}

func (s *SSM) cfnDeleteParameter(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteParameter(ctx, &ssmapi.DeleteParameterInput{Name: &r.PhysicalID})
	if ssmapi.ErrParameterNotFound.Is(err) {
		return nil
	}
	return err
}

// cfnReadParameter reads a parameter's value and type back for drift
// detection.
func (s *SSM) cfnReadParameter(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetParameter(ctx, &ssmapi.GetParameterInput{Name: &r.PhysicalID})
	if ssmapi.ErrParameterNotFound.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	p := out.Parameter
	live := map[string]any{"Name": r.PhysicalID}
	if p.Value != nil {
		live["Value"] = *p.Value
	}
	if p.Type != nil {
		live["Type"] = *p.Type
	}
	if p.DataType != nil {
		live["DataType"] = *p.DataType
	}
	return live, nil
}
