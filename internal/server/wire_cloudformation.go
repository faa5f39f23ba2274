package server

import (
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/cloudformation"
)

// wireCloudFormation wires CloudFormation. Its resource providers are
// whatever the services declare (kit.Declaration.Resources), looked up
// when a stack needs them, so the order services are wired in does not
// matter; the values templates read (SSM parameters, secrets, template
// bodies in S3) and custom resources' deliveries (Lambda, SNS) go
// through the services' own handlers.
func wireCloudFormation(d *deps) (*wiring, error) {
	store, err := d.store("cloudformation")
	if err != nil {
		return nil, err
	}
	svc := cloudformation.New(store, d.clock, d.log.With("service", "cloudformation"), cloudformation.Config{
		Providers: d.resourceProvider,
		Lookups: cloudformation.Lookups{
			SSMParameter: d.cfnSSMParameter,
			Secret:       d.cfnSecret,
			TemplateURL:  d.cfnTemplateURL,
		},
		Invoke:     d.cfnInvoke,
		Endpoint:   d.endpoint,
		AssumeRole: d.cfnAssumeRole,
	})
	return &wiring{Declaration: svc.Declare()}, nil
}

// resourceProvider finds the provider of a resource type among the wired
// services' declarations.
// Its calls run as requests to the providing service (ctx.Service), so
// that what a handler derives from its service (Secrets Manager's
// aws/secretsmanager key) is what a direct call gets.
func (d *deps) resourceProvider(typ string) (kit.ResourceProvider, bool) {
	for name, decl := range d.decls {
		p, ok := decl.Resources[typ]
		if !ok {
			continue
		}
		svc := name
		if create := p.Create; create != nil {
			p.Create = func(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
				if err := d.authorizeProvider(ctx, svc, typ, "create", r); err != nil {
					return kit.ResourceResult{}, err
				}
				return create(asCallerIn(ctx, svc), r)
			}
		}
		if update := p.Update; update != nil {
			p.Update = func(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
				if err := d.authorizeProvider(ctx, svc, typ, "update", r); err != nil {
					return kit.ResourceResult{}, err
				}
				return update(asCallerIn(ctx, svc), r)
			}
		}
		if read := p.Read; read != nil {
			p.Read = func(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
				return read(asCallerIn(ctx, svc), r)
			}
		}
		if del := p.Delete; del != nil {
			p.Delete = func(ctx *request.Context, r kit.ResourceRequest) error {
				if err := d.authorizeProvider(ctx, svc, typ, "delete", r); err != nil {
					return err
				}
				return del(asCallerIn(ctx, svc), r)
			}
		}
		return p, true
	}
	return kit.ResourceProvider{}, false
}

// ResourceTypes lists every resource type the wired services provide.
func (d *deps) resourceTypes() []string {
	var out []string
	for _, decl := range d.decls {
		for t := range decl.Resources {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// asCallerIn is ctx's identity as a request to another service.
func asCallerIn(ctx *request.Context, service string) *request.Context {
	c := *ctx
	c.Service = service
	c.HTTP = nil
	return &c
}

type ssmParameterGetter interface {
	GetParameter(*request.Context, *ssmapi.GetParameterInput) (*ssmapi.GetParameterOutput, error)
}

func (d *deps) cfnSSMParameter(ctx *request.Context, name string) (string, error) {
	svc, ok := d.decls["ssm"].Impl.(ssmParameterGetter)
	if !ok {
		return "", fmt.Errorf("ssm is not wired")
	}
	out, err := svc.GetParameter(asCallerIn(ctx, "ssm"), &ssmapi.GetParameterInput{Name: &name, WithDecryption: ptr.To(true)})
	if err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("parameter %s has no value", name)
	}
	return *out.Parameter.Value, nil
}

type secretGetter interface {
	GetSecretValue(*request.Context, *smapi.GetSecretValueInput) (*smapi.GetSecretValueOutput, error)
}

func (d *deps) cfnSecret(ctx *request.Context, id, stage, version string) (string, error) {
	svc, ok := d.decls["secretsmanager"].Impl.(secretGetter)
	if !ok {
		return "", fmt.Errorf("secrets manager is not wired")
	}
	in := &smapi.GetSecretValueInput{SecretId: &id}
	if stage != "" {
		in.VersionStage = &stage
	}
	if version != "" {
		in.VersionId = &version
	}
	out, err := svc.GetSecretValue(asCallerIn(ctx, "secretsmanager"), in)
	if err != nil {
		return "", err
	}
	return ptr.Deref(out.SecretString), nil
}

// cfnTemplateURL reads a template from an S3 URL (virtual-hosted,
// path-style, or niwa's own endpoint) with the caller's identity.
func (d *deps) cfnTemplateURL(ctx *request.Context, raw string) (string, error) {
	invalid := awserr.ValidationError.New("TemplateURL must be a supported URL.")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", invalid
	}
	host := strings.ToLower(u.Hostname())
	path := strings.TrimPrefix(u.Path, "/")
	var bucket, key string
	switch {
	case strings.Contains(host, ".s3.") || strings.Contains(host, ".s3-"):
		bucket = host[:strings.Index(host, ".s3")]
		key = path
	default:
		i := strings.Index(path, "/")
		if i <= 0 {
			return "", invalid
		}
		bucket, key = path[:i], path[i+1:]
	}
	if key == "" || d.s3 == nil {
		return "", invalid
	}
	key, err = url.PathUnescape(key)
	if err != nil {
		return "", invalid
	}
	var store objects.Store = d.s3
	rc, _, err := store.OpenServiceObject(ctx, bucket, key, objects.Principal{CallerARN: ctx.Caller.ARN, CallerAccount: ctx.Caller.Account, Region: ctx.Region})
	if err != nil {
		return "", awserr.ValidationError.New("S3 error: Access Denied or the object %s/%s does not exist", bucket, key)
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20+1))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

type lambdaInvoker interface {
	Invoke(*request.Context, *lambdaapi.InvocationRequest) (*lambdaapi.InvocationResponse, error)
}

type snsPublisher interface {
	Publish(*request.Context, *snsapi.PublishInput) (*snsapi.PublishOutput, error)
}

// cfnInvoke delivers a custom resource request to its ServiceToken, a
// Lambda function (invoked asynchronously) or an SNS topic.
func (d *deps) cfnInvoke(ctx *request.Context, token string, payload []byte) error {
	parts := strings.SplitN(token, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return awserr.ValidationError.New("Invalid service token: %s", token)
	}
	switch parts[2] {
	case "lambda":
		svc, ok := d.decls["lambda"].Impl.(lambdaInvoker)
		if !ok {
			return fmt.Errorf("lambda is not wired")
		}
		_, err := svc.Invoke(asCallerIn(ctx, "lambda"), &lambdaapi.InvocationRequest{FunctionName: &token,
			InvocationType: ptr.To("Event"), Payload: payload})
		return err
	case "sns":
		svc, ok := d.decls["sns"].Impl.(snsPublisher)
		if !ok {
			return fmt.Errorf("sns is not wired")
		}
		_, err := svc.Publish(asCallerIn(ctx, "sns"), &snsapi.PublishInput{TopicArn: &token, Message: ptr.To(string(payload))})
		return err
	}
	return awserr.ValidationError.New("Invalid service token: %s", token)
}
