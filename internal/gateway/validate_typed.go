package gateway

import (
	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// checkTyped is validate for a request decoded straight into its
// typed input (a pointer to the operation's generated input structure):
// the same constraints, violations and error (api.Validator walks the
// typed value beside the model as model.Validator walks the dynamic
// tree). An input that is not a generated structure is checked in its
// dynamic form.
func (g *Gateway) checkTyped(svc *Service, m *model.Service, op *model.Operation, in any) error {
	if op.Input == nil || svc.Validation.Skip {
		return nil
	}
	var vs []model.Violation
	if t, ok := in.(api.Typed); ok {
		vs = g.typedValidator.Validate(op.Input, t)
	} else {
		dyn := g.conv.ToDynamic(in)
		if dyn == nil {
			dyn = map[string]any{}
		}
		vs = g.validator.Validate(op.Input, dyn)
	}
	if len(vs) == 0 {
		return nil
	}
	return constraintError(svc, m, op, vs)
}
