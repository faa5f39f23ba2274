package gateway

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

var (
	route53InvalidInput = awserr.Code{Code: "InvalidInput", Status: 400, Sender: true}
	// CloudWatch Logs answers model constraint violations of its classic
	// operations as InvalidParameterException with the usual
	// "1 validation error detected: ..." message.
	logsInvalidParameter = awserr.Code{Code: "InvalidParameterException", Status: 400, Sender: true}
)

// ConstraintWording is implemented by a service whose front end does not
// answer model constraint violations with its protocol family's generic
// ValidationException/ValidationError: SQS, a query service at heart,
// answers a missing member with MissingParameter and checks names
// (attribute names, for instance) itself with its own codes. The gateway
// hands it the violations of a decoded request; it returns the error to
// answer, or nil to let the handler decide (the handler then must cope
// with every violation it let through).
type ConstraintWording interface {
	ConstraintError(op *model.Operation, vs []model.Violation) error
}

// validate checks the decoded input against the model's constraints and
// answers with the error code the service's protocol family uses for
// them, or the service's own wording (ConstraintWording). S3 validates in
// its handlers: its errors are specific to each parameter.
func (g *Gateway) validate(svc *Service, m *model.Service, op *model.Operation, in map[string]any) error {
	if op.Input == nil || m.Metadata.ServiceID == "S3" {
		return nil
	}
	vs := g.validator.Validate(op.Input, in)
	if len(vs) == 0 {
		return nil
	}
	if cw, ok := svc.Impl.(ConstraintWording); ok {
		return cw.ConstraintError(op, vs)
	}
	if m.Metadata.ServiceID == "Route 53" {
		// Route53 answers constraint violations as InvalidInput.
		return route53InvalidInput.New("%s", model.Summary(vs))
	}
	if m.Metadata.ServiceID == "CloudWatch Logs" && declares(op, "InvalidParameterException") {
		// Logs' delivery operations declare ValidationException
		// instead and fall through to it.
		return logsInvalidParameter.New("%s", model.Summary(vs))
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

// declares reports whether op lists the error shape among its errors.
func declares(op *model.Operation, shape string) bool {
	for _, e := range op.Errors {
		if e.Shape != nil && e.Shape.Name == shape {
			return true
		}
	}
	return false
}
