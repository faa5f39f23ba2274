package sqs

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// ConstraintError words the model's constraint violations as SQS does
// (gateway.ConstraintWording, which internal/server asserts: SQS does not
// import the gateway).
// SQS checks no enum of its model: ReceiveMessage takes message system
// attribute names in AttributeNames (the model types that list as queue
// attribute names), GetQueueAttributes answers an unknown name with
// InvalidAttributeName, SendMessage an unknown system attribute with
// InvalidParameterValue; the handlers word each. A missing required
// member of the request is MissingParameter; one missing inside a batch
// entry or an attribute value fails that entry in the handler.
func (s *SQS) ConstraintError(op *model.Operation, vs []model.Violation) error {
	for _, v := range vs {
		if v.Value != nil || strings.Contains(v.Path, ".") || op.Input == nil {
			continue
		}
		name := v.Path
		for _, m := range op.Input.Shape.Members {
			if strings.EqualFold(m.Name, v.Path) {
				name = m.Name
			}
		}
		return errMissingParam.New("The request must contain the parameter %s.", name)
	}
	return nil
}
