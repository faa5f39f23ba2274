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
		// Ref is the document name. An update adds a version and makes it
		// the default (UpdateMethod NewVersion).
		"AWS::SSM::Document": {Read: s.cfnReadDocument, Create: s.cfnCreateDocument, Update: s.cfnUpdateDocument, Delete: s.cfnDeleteDocument,
			Replace: []string{"Name", "DocumentType"}, Tags: true},
		// Ref and Fn::GetAtt AssociationId are the association id.
		"AWS::SSM::Association": {Create: s.cfnCreateAssociation, Update: s.cfnUpdateAssociation, Delete: s.cfnDeleteAssociation,
			Replace: []string{"InstanceId"}},
	}
}

// cfnDecode decodes the properties but Tags (tagged separately) into out,
// JSON-valued members given as text first (kit.DecodeProperties).
func cfnDecode(r kit.ResourceRequest, out any, jsonText ...string) error {
	if kit.Has(r.Properties, "Tags") {
		props := make(map[string]any, len(r.Properties))
		for k, v := range r.Properties {
			if k != "Tags" {
				props[k] = v
			}
		}
		r.Properties = props
	}
	return kit.DecodeProperties(r, out, jsonText...)
}

func cfnTags(props map[string]any) []ssmapi.Tag {
	var out []ssmapi.Tag
	for k, v := range kit.PropTags(props) {
		key, val := k, v
		out = append(out, ssmapi.Tag{Key: &key, Value: &val})
	}
	return out
}

func (s *SSM) cfnCreateDocument(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in ssmapi.CreateDocumentRequest
	if err := cfnDecode(r, &in, "Content"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Name == nil || *in.Name == "" {
		name := kit.PhysicalName(r, 128)
		in.Name = &name
	}
	in.Tags = cfnTags(r.Properties)
	if _, err := s.CreateDocument(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *in.Name}, nil
}

func (s *SSM) cfnUpdateDocument(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in ssmapi.UpdateDocumentRequest
	if err := cfnDecode(r, &in, "Content"); err != nil {
		return kit.ResourceResult{}, err
	}
	latest := "$LATEST"
	in.Name, in.DocumentVersion = &r.PhysicalID, &latest
	out, err := s.UpdateDocument(ctx, &in)
	if ssmapi.ErrDuplicateDocumentContent.Is(err) {
		return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil // only tags or UpdateMethod changed
	}
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.UpdateDocumentDefaultVersion(ctx, &ssmapi.UpdateDocumentDefaultVersionRequest{Name: &r.PhysicalID,
		DocumentVersion: out.DocumentDescription.DocumentVersion}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *SSM) cfnDeleteDocument(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDocument(ctx, &ssmapi.DeleteDocumentRequest{Name: &r.PhysicalID})
	if ssmapi.ErrInvalidDocument.Is(err) {
		return nil
	}
	return err
}

func (s *SSM) cfnCreateAssociation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in ssmapi.CreateAssociationRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateAssociation(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.AssociationDescription.AssociationId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"AssociationId": id}}, nil
}

func (s *SSM) cfnUpdateAssociation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in ssmapi.UpdateAssociationRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.AssociationId = &r.PhysicalID
	if _, err := s.UpdateAssociation(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"AssociationId": r.PhysicalID}}, nil
}

func (s *SSM) cfnDeleteAssociation(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteAssociation(ctx, &ssmapi.DeleteAssociationRequest{AssociationId: &r.PhysicalID})
	if ssmapi.ErrAssociationDoesNotExist.Is(err) {
		return nil
	}
	return err
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
