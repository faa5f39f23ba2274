package lambda

import (
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// runtimeManagement is a version's runtime update mode. niwa runs the
// host's interpreter for every runtime version, so the mode is kept and
// answered but does not pick an interpreter.
type runtimeManagement struct {
	UpdateRuntimeOn   string `json:"updateRuntimeOn"`
	RuntimeVersionArn string `json:"runtimeVersionArn,omitempty"`
}

// runtimeManagements are keyed (function name, versionKey).
var runtimeManagements = storage.NewTable[runtimeManagement]("runtime-management")

var runtimeVersionARN = lazyre.New(`^arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}::runtime:.+$`)

// PutRuntimeManagementConfig sets when a version's runtime is updated.
func (l *Lambda) PutRuntimeManagementConfig(ctx *request.Context, in *lambdaapi.PutRuntimeManagementConfigRequest) (*lambdaapi.PutRuntimeManagementConfigResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	rm := runtimeManagement{UpdateRuntimeOn: ptr.Deref(in.UpdateRuntimeOn), RuntimeVersionArn: ptr.Deref(in.RuntimeVersionArn)}
	switch {
	case rm.UpdateRuntimeOn == "Manual" && rm.RuntimeVersionArn == "":
		return nil, errInvalidParam("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
	case rm.UpdateRuntimeOn != "Manual" && rm.RuntimeVersionArn != "":
		return nil, errInvalidParam("RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual.")
	case rm.RuntimeVersionArn != "" && !runtimeVersionARN.MatchString(rm.RuntimeVersionArn):
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'runtimeVersionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", rm.RuntimeVersionArn, runtimeVersionARN.String())
	}
	if qual == "" {
		qual = latest
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		return runtimeManagements.Put(tx, sc, rm, name, versionKey(qual))
	})
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.PutRuntimeManagementConfigResponse{UpdateRuntimeOn: ptr.To(rm.UpdateRuntimeOn), FunctionArn: ptr.To(functionARN(sc, name) + ":" + qual)}
	if rm.RuntimeVersionArn != "" {
		out.RuntimeVersionArn = ptr.To(rm.RuntimeVersionArn)
	}
	return out, nil
}

// GetRuntimeManagementConfig answers a version's mode (Auto unless set).
func (l *Lambda) GetRuntimeManagementConfig(ctx *request.Context, in *lambdaapi.GetRuntimeManagementConfigRequest) (*lambdaapi.GetRuntimeManagementConfigResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if qual == "" {
		qual = latest
	}
	var rm runtimeManagement
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		var ok bool
		rm, ok, err = runtimeManagements.Get(tx, sc, name, versionKey(qual))
		if !ok {
			rm = runtimeManagement{UpdateRuntimeOn: "Auto"}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.GetRuntimeManagementConfigResponse{UpdateRuntimeOn: ptr.To(rm.UpdateRuntimeOn), FunctionArn: ptr.To(functionARN(sc, name) + ":" + qual)}
	if rm.RuntimeVersionArn != "" {
		out.RuntimeVersionArn = ptr.To(rm.RuntimeVersionArn)
	}
	return out, nil
}

type runtimeManagementsT struct{}

func (runtimeManagementsT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	return deleteUnder(tx, sc, runtimeManagements.Name(), name)
}
