package ssm

import (
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnReadDocument reads a document's default version for drift: a
// template's Content object is compared with the content as JSON, a
// Content string with the text in the document's own format.
func (s *SSM) cfnReadDocument(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	in := &ssmapi.GetDocumentRequest{Name: &r.PhysicalID}
	if kit.PropMap(r.Properties, "Content") != nil {
		format := "JSON"
		in.DocumentFormat = &format
	}
	out, err := s.GetDocument(ctx, in)
	if ssmapi.ErrInvalidDocument.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	props := kit.ShapeProps(out, "Name", "Content", "DocumentType", "DocumentFormat", "VersionName")
	if in.DocumentFormat != nil {
		delete(props, "DocumentFormat") // the template's format, not the JSON asked for
		d, err := s.DescribeDocument(ctx, &ssmapi.DescribeDocumentRequest{Name: &r.PhysicalID})
		if err == nil && d.Document != nil && d.Document.DocumentFormat != nil {
			props["DocumentFormat"] = *d.Document.DocumentFormat
		}
	}
	return props, nil
}
