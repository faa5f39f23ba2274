package lambda

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Code signing. niwa has no AWS Signer: nothing it stores can carry a
// signature a signing profile made, so every package is unsigned. Under a
// configuration whose policy is Enforce that blocks the deployment, as it
// would on AWS for unsigned code; under Warn (the default) the deployment
// goes ahead and niwa logs the warning AWS would put in CloudWatch.

// codeSigningConfigs are keyed by id (csc-...).
var codeSigningConfigs = storage.NewTable[lambdaapi.CodeSigningConfig]("code-signing-config")

// functionCodeSigning links a function (by name) to its configuration ARN.
var functionCodeSigning = storage.NewTable[string]("function-code-signing")

func codeSigningARN(sc storage.Scope, id string) string {
	return "arn:aws:lambda:" + sc.Region + ":" + sc.Account + ":code-signing-config:" + id
}

// cscID takes the id out of an ARN or returns an id as given.
func cscID(arnOrID string) string {
	if i := strings.LastIndex(arnOrID, ":code-signing-config:"); i >= 0 {
		return arnOrID[i+len(":code-signing-config:"):]
	}
	return arnOrID
}

func errCSCNotFound(arn string) error {
	return lambdaapi.ErrCodeSigningConfigNotFoundException.New("The code signing configuration cannot be found. Check that the provided configuration is not deleted: %s.", arn)
}

func checkCodeSigningPolicies(p *lambdaapi.CodeSigningPolicies) (*lambdaapi.CodeSigningPolicies, error) {
	if p == nil || p.UntrustedArtifactOnDeployment == nil {
		return &lambdaapi.CodeSigningPolicies{UntrustedArtifactOnDeployment: ptr.To("Warn")}, nil
	}
	return p, nil
}

// CreateCodeSigningConfig stores a configuration.
func (l *Lambda) CreateCodeSigningConfig(ctx *request.Context, in *lambdaapi.CreateCodeSigningConfigRequest) (*lambdaapi.CreateCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	pol, err := checkCodeSigningPolicies(in.CodeSigningPolicies)
	if err != nil {
		return nil, err
	}
	id := "csc-" + awsid.Hex(17)
	c := lambdaapi.CodeSigningConfig{
		CodeSigningConfigId: ptr.To(id), CodeSigningConfigArn: ptr.To(codeSigningARN(sc, id)),
		Description: ptr.To(ptr.Deref(in.Description)), AllowedPublishers: in.AllowedPublishers,
		CodeSigningPolicies: pol, LastModified: ptr.To(lastModified(ctx.Now())),
	}
	if err := l.opt.Store.Update(func(tx storage.Tx) error { return codeSigningConfigs.Put(tx, sc, c, id) }); err != nil {
		return nil, err
	}
	return &lambdaapi.CreateCodeSigningConfigResponse{CodeSigningConfig: &c}, nil
}

func (l *Lambda) codeSigningConfig(tx storage.Tx, sc storage.Scope, arn string) (lambdaapi.CodeSigningConfig, error) {
	c, ok, err := codeSigningConfigs.Get(tx, sc, cscID(arn))
	if err == nil && !ok {
		err = errCSCNotFound(arn)
	}
	return c, err
}

// GetCodeSigningConfig returns one configuration.
func (l *Lambda) GetCodeSigningConfig(ctx *request.Context, in *lambdaapi.GetCodeSigningConfigRequest) (*lambdaapi.GetCodeSigningConfigResponse, error) {
	var c lambdaapi.CodeSigningConfig
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		c, err = l.codeSigningConfig(tx, scope(ctx), ptr.Deref(in.CodeSigningConfigArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.GetCodeSigningConfigResponse{CodeSigningConfig: &c}, nil
}

// UpdateCodeSigningConfig changes the members given.
func (l *Lambda) UpdateCodeSigningConfig(ctx *request.Context, in *lambdaapi.UpdateCodeSigningConfigRequest) (*lambdaapi.UpdateCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	var c lambdaapi.CodeSigningConfig
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		if c, err = l.codeSigningConfig(tx, sc, ptr.Deref(in.CodeSigningConfigArn)); err != nil {
			return err
		}
		if in.Description != nil {
			c.Description = in.Description
		}
		if in.AllowedPublishers != nil {
			c.AllowedPublishers = in.AllowedPublishers
		}
		if in.CodeSigningPolicies != nil && in.CodeSigningPolicies.UntrustedArtifactOnDeployment != nil {
			c.CodeSigningPolicies = in.CodeSigningPolicies
		}
		c.LastModified = ptr.To(lastModified(ctx.Now()))
		return codeSigningConfigs.Put(tx, sc, c, *c.CodeSigningConfigId)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.UpdateCodeSigningConfigResponse{CodeSigningConfig: &c}, nil
}

// DeleteCodeSigningConfig deletes a configuration no function uses.
func (l *Lambda) DeleteCodeSigningConfig(ctx *request.Context, in *lambdaapi.DeleteCodeSigningConfigRequest) (*lambdaapi.DeleteCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		c, err := l.codeSigningConfig(tx, sc, ptr.Deref(in.CodeSigningConfigArn))
		if err != nil {
			return err
		}
		users, err := functionsUsing(tx, sc, *c.CodeSigningConfigArn)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return errConflict("The code signing configuration cannot be deleted because it is used by the following functions: %s", strings.Join(users, ", "))
		}
		return codeSigningConfigs.Delete(tx, sc, *c.CodeSigningConfigId)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteCodeSigningConfigResponse{}, nil
}

// functionsUsing returns the ARNs of the functions linked to arn.
func functionsUsing(tx storage.Tx, sc storage.Scope, arn string) ([]string, error) {
	var out []string
	err := functionCodeSigning.List(tx, sc, nil, storage.ListOptions{}, func(k []string, v string) bool {
		if v == arn {
			out = append(out, functionARN(sc, k[0]))
		}
		return true
	})
	return out, err
}

// ListCodeSigningConfigs pages through the configurations.
func (l *Lambda) ListCodeSigningConfigs(ctx *request.Context, in *lambdaapi.ListCodeSigningConfigsRequest) (*lambdaapi.ListCodeSigningConfigsResponse, error) {
	var all []lambdaapi.CodeSigningConfig
	err := l.opt.Store.View(func(tx storage.Tx) error {
		return codeSigningConfigs.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, c lambdaapi.CodeSigningConfig) bool {
			all = append(all, c)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &lambdaapi.ListCodeSigningConfigsResponse{CodeSigningConfigs: page, NextMarker: next}, nil
}

// ListFunctionsByCodeSigningConfig pages through the ARNs of the functions
// a configuration is linked to.
func (l *Lambda) ListFunctionsByCodeSigningConfig(ctx *request.Context, in *lambdaapi.ListFunctionsByCodeSigningConfigRequest) (*lambdaapi.ListFunctionsByCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	var arns []string
	err := l.opt.Store.View(func(tx storage.Tx) error {
		c, err := l.codeSigningConfig(tx, sc, ptr.Deref(in.CodeSigningConfigArn))
		if err != nil {
			return err
		}
		arns, err = functionsUsing(tx, sc, *c.CodeSigningConfigArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(arns, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &lambdaapi.ListFunctionsByCodeSigningConfigResponse{FunctionArns: page, NextMarker: next}, nil
}

// PutFunctionCodeSigningConfig links a function to a configuration.
func (l *Lambda) PutFunctionCodeSigningConfig(ctx *request.Context, in *lambdaapi.PutFunctionCodeSigningConfigRequest) (*lambdaapi.PutFunctionCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	var arn string
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		c, err := l.codeSigningConfig(tx, sc, ptr.Deref(in.CodeSigningConfigArn))
		if err != nil {
			return err
		}
		arn = *c.CodeSigningConfigArn
		return functionCodeSigning.Put(tx, sc, arn, name)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.PutFunctionCodeSigningConfigResponse{CodeSigningConfigArn: ptr.To(arn), FunctionName: ptr.To(name)}, nil
}

// GetFunctionCodeSigningConfig answers the function's configuration ARN,
// empty when it has none (AWS answers 200 then too).
func (l *Lambda) GetFunctionCodeSigningConfig(ctx *request.Context, in *lambdaapi.GetFunctionCodeSigningConfigRequest) (*lambdaapi.GetFunctionCodeSigningConfigResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	var arn string
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		arn, _, err = functionCodeSigning.Get(tx, sc, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.GetFunctionCodeSigningConfigResponse{CodeSigningConfigArn: ptr.To(arn), FunctionName: ptr.To(name)}, nil
}

// DeleteFunctionCodeSigningConfig unlinks a function.
func (l *Lambda) DeleteFunctionCodeSigningConfig(ctx *request.Context, in *lambdaapi.DeleteFunctionCodeSigningConfigRequest) (*lambdaapi.DeleteFunctionCodeSigningConfigOutput, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		return functionCodeSigning.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteFunctionCodeSigningConfigOutput{}, nil
}

// checkUnsignedCode applies a configuration's policy to a deployment of
// unsigned code (all code niwa gets): Enforce blocks it, Warn logs why it
// would have been blocked had the policy been Enforce.
func (l *Lambda) checkUnsignedCode(ctx *request.Context, tx storage.Tx, sc storage.Scope, cscARN, function string) error {
	if cscARN == "" {
		return nil
	}
	c, err := l.codeSigningConfig(tx, sc, cscARN)
	if err != nil {
		return err
	}
	if ptr.Deref(c.CodeSigningPolicies.UntrustedArtifactOnDeployment) == "Enforce" {
		return lambdaapi.ErrCodeVerificationFailedException.New("Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept. Check the provided signature for %s.", functionARN(sc, function))
	}
	ctx.Log.Warn("lambda: deploying unsigned code under a Warn code signing configuration",
		"function", function, "codeSigningConfig", cscARN,
		"why", "niwa has no AWS Signer, so no package carries a signature; Enforce would block this deployment")
	return nil
}

// pageOf pages a listing in order: the marker is the position of the next
// item (opaque to clients, as AWS's markers are).
func pageOf[T any](all []T, m *string, maxItems *int32) ([]T, *string, error) {
	after, err := marker(m)
	if err != nil {
		return nil, nil, err
	}
	start := 0
	if after != "" {
		if _, err := fmt.Sscanf(after, "%d", &start); err != nil || start < 0 || start > len(all) {
			return nil, nil, errInvalidParam("Invalid marker: %s", *m)
		}
	}
	end := start + pageSize(maxItems, 10000)
	if end >= len(all) {
		return append([]T{}, all[start:]...), nil, nil
	}
	return all[start:end], ptr.To(base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))), nil
}
