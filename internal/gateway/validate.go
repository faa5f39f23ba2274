package gateway

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

// validate checks the decoded input against the model's constraints and
// answers with the error code the service's protocol family uses for
// them, or with the service's own wording (kit.Validation: SQS, a query
// service at heart, answers a missing member with MissingParameter;
// Route 53 answers InvalidInput). A service may check its input itself
// (S3, whose errors are specific to each parameter).
func (g *Gateway) validate(svc *Service, m *model.Service, op *model.Operation, in map[string]any) error {
	if op.Input == nil || svc.Validation.Skip {
		return nil
	}
	vs := g.validator.Validate(op.Input, in)
	if len(vs) == 0 {
		return nil
	}
	return constraintError(svc, m, op, vs)
}

// constraintError is the error answering a request with violations vs.
func constraintError(svc *Service, m *model.Service, op *model.Operation, vs []model.Violation) error {
	if svc.Validation.Error != nil {
		return svc.Validation.Error(op, vs)
	}
	switch m.Metadata.Protocol {
	case "query":
		return awserr.ValidationError.New("%s", model.Summary(vs))
	case "ec2":
		v := vs[0]
		if v.Value == nil {
			return awserr.MissingParameter.New("The request must contain the parameter %s", v.Path)
		}
		return awserr.InvalidParameterValue.New("%s", model.Summary(vs))
	default:
		return awserr.ValidationException.New("%s", model.Summary(vs))
	}
}
