package api

import (
	"fmt"
	"reflect"
)

// Unbound reports the methods of impl that are named after an operation of
// the service but that Bind does not bind because their signature is not
// the operation's typed one. Bind cannot tell a mistyped handler from an
// operation impl does not implement, so without this check a typo in a
// handler's signature would silently turn the operation into
// NotImplemented. Each error names the service, the operation and the
// signature found; a test over every wired service fails on any.
func (s Spec) Unbound(impl any) []error {
	if impl == nil {
		return nil
	}
	bound := s.Bind(impl)
	t := reflect.TypeOf(impl)
	var errs []error
	for _, op := range s.Operations {
		if _, ok := bound[op]; ok {
			continue
		}
		// A handler method is named as the operation: AWS operation names
		// are PascalCase letters and digits, which codegen keeps as they are.
		if m, ok := t.MethodByName(op); ok {
			errs = append(errs, fmt.Errorf("%s: method %s of %s has signature %s, which does not bind the operation "+
				"(want func(*request.Context, *%sapi.%sInput) (*%sapi.%sOutput, error))",
				s.Name, op, t, m.Type, s.Name, op, s.Name, op))
			continue
		}
		if t.Kind() != reflect.Pointer {
			if _, ok := reflect.PointerTo(t).MethodByName(op); ok {
				errs = append(errs, fmt.Errorf("%s: method %s has a pointer receiver but the implementation is the value %s, "+
					"so the operation does not bind", s.Name, op, t))
			}
		}
	}
	return errs
}
