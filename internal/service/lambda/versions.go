package lambda

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// publish snapshots v as the function's next version, unless the latest
// published version was made from the same code and configuration: AWS
// "doesn't publish a version if the function's configuration and code
// haven't changed since the last version" and returns that version.
func publish(tx storage.Tx, sc storage.Scope, fn *function, v version, description string) (version, error) {
	name := fn.Name
	var last *version
	if err := versions.List(tx, sc, []string{name}, storage.ListOptions{Reverse: true, Limit: 1}, func(k []string, o version) bool {
		if k[1] != latest {
			last = &o
		}
		return false
	}); err != nil {
		return version{}, err
	}
	source := publishedState(v.Config)
	if last != nil {
		prev := last.Source
		if prev == "" {
			// Versions stored before Source existed: their own
			// configuration, whose Description PublishVersion may have
			// replaced, is the best record of what they were made from.
			prev = publishedState(withDescription(last.Config, v.Config.Description))
		}
		if prev == source {
			return *last, nil
		}
	}
	n := fn.NextVersion
	if n == 0 {
		n = 1
	}
	fn.NextVersion = n + 1
	p := v
	p.Source = source
	p.Config.Version = ptr.To(strconv.Itoa(n))
	p.Config.FunctionArn = ptr.To(functionARN(sc, name) + ":" + strconv.Itoa(n))
	p.Config.RevisionId = ptr.To(awsid.UUID())
	if description != "" {
		p.Config.Description = ptr.To(description)
	}
	if ss := p.Config.SnapStart; ss != nil && ptr.Deref(ss.ApplyOn) == "PublishedVersions" {
		p.Config.SnapStart = &lambdaapi.SnapStartResponse{ApplyOn: ss.ApplyOn, OptimizationStatus: ptr.To("On")}
	}
	return p, versions.Put(tx, sc, p, name, versionKey(*p.Config.Version))
}

func withDescription(c lambdaapi.FunctionConfiguration, d *string) lambdaapi.FunctionConfiguration {
	c.Description = d
	return c
}

// publishedState is what makes two versions the same: $LATEST's code and
// configuration, without the fields that name the version or record when
// and how it was last changed. It compares values, not pointers (the
// configuration's optional fields are pointers and maps).
func publishedState(c lambdaapi.FunctionConfiguration) string {
	c.Version, c.FunctionArn, c.RevisionId, c.LastModified = nil, nil, nil, nil
	c.State, c.StateReason, c.StateReasonCode = nil, nil, nil
	c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = nil, nil, nil
	b, err := json.Marshal(c)
	if err != nil {
		// A configuration is plain data; should it ever fail to encode,
		// publishing anew is the safe answer.
		return awsid.UUID()
	}
	return string(b)
}

// PublishVersion snapshots $LATEST.
func (l *Lambda) PublishVersion(ctx *request.Context, in *lambdaapi.PublishVersionRequest) (*lambdaapi.FunctionConfiguration, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	var out version
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		fn, v, err := l.getFunction(tx, sc, name, "")
		if err != nil {
			return err
		}
		if in.CodeSha256 != nil && *in.CodeSha256 != ptr.Deref(v.Config.CodeSha256) {
			return errInvalidParam("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", *in.CodeSha256, ptr.Deref(v.Config.CodeSha256))
		}
		if in.RevisionId != nil && *in.RevisionId != ptr.Deref(v.Config.RevisionId) {
			return errPrecondition()
		}
		out, err = publish(tx, sc, &fn, v, ptr.Deref(in.Description))
		if err != nil {
			return err
		}
		return functions.Put(tx, sc, fn, name)
	})
	if err != nil {
		return nil, err
	}
	return &out.Config, nil
}

func errPrecondition() error {
	return lambdaapi.ErrPreconditionFailedException.New("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id").With("Type", "User")
}

// ListVersionsByFunction lists $LATEST and the published versions.
func (l *Lambda) ListVersionsByFunction(ctx *request.Context, in *lambdaapi.ListVersionsByFunctionRequest) (*lambdaapi.ListVersionsByFunctionResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	max := pageSize(in.MaxItems, 50)
	after, err := marker(in.Marker)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListVersionsByFunctionResponse{Versions: []lambdaapi.FunctionConfiguration{}}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, ok, err := functions.Get(tx, sc, name); err != nil {
			return err
		} else if !ok {
			return errNotFound("Function not found: %s", functionARN(sc, name))
		}
		opts := storage.ListOptions{}
		if after != "" {
			opts.After = []string{name, after}
		}
		return versions.List(tx, sc, []string{name}, opts, func(k []string, v version) bool {
			if len(out.Versions) == max {
				out.NextMarker = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(versionKey(*out.Versions[max-1].Version))))
				return false
			}
			// AWS lists $LATEST with its qualified ARN (...:name:$LATEST).
			out.Versions = append(out.Versions, asNamed(sc, v.Config, ptr.Deref(v.Config.Version)))
			return true
		})
	})
	return out, err
}

func pageSize(p *int32, max int) int {
	if p == nil || int(*p) > max || *p <= 0 {
		return max
	}
	return int(*p)
}

func marker(m *string) (string, error) {
	if m == nil || *m == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*m)
	if err != nil {
		return "", errInvalidParam("Invalid marker: %s", *m)
	}
	return string(raw), nil
}

// UpdateFunctionCode replaces $LATEST's code.
func (l *Lambda) UpdateFunctionCode(ctx *request.Context, in *lambdaapi.UpdateFunctionCodeRequest) (*lambdaapi.FunctionConfiguration, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	if in.ImageUri != nil {
		return nil, errImage()
	}
	code, err := l.codeFrom(ctx, &lambdaapi.FunctionCode{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, S3ObjectVersion: in.S3ObjectVersion})
	if err != nil {
		return nil, err
	}
	dry := in.DryRun != nil && *in.DryRun
	var out version
	var oldBlob string
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		fn, v, err := l.getFunction(tx, sc, name, "")
		if err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != ptr.Deref(v.Config.RevisionId) {
			return errPrecondition()
		}
		csc, _, err := functionCodeSigning.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if err := l.checkUnsignedCode(ctx, tx, sc, csc, name); err != nil {
			return err
		}
		oldBlob = v.Code.ID
		v.Code = code.Ref
		v.Config.CodeSha256 = ptr.To(code.Sha256)
		v.Config.CodeSize = ptr.To(code.Ref.Size)
		if len(in.Architectures) > 0 {
			v.Config.Architectures = in.Architectures
		}
		if dry {
			out = v
			return nil
		}
		v.Config.LastModified = ptr.To(lastModified(ctx.Now()))
		v.Config.RevisionId = ptr.To(awsid.UUID())
		if err := versions.Put(tx, sc, v, name, versionKey(latest)); err != nil {
			return err
		}
		out = v
		if in.Publish != nil && *in.Publish {
			if out, err = publish(tx, sc, &fn, v, ""); err != nil {
				return err
			}
			return functions.Put(tx, sc, fn, name)
		}
		return nil
	})
	if err != nil || dry {
		_ = l.opt.Blobs.Delete(code.Ref.ID)
		if err != nil {
			return nil, err
		}
	} else {
		l.exec.Evict(group(sc, name))
		l.dropBlobIfUnused(sc, name, oldBlob)
	}
	cfg := out.Config
	cfg.LastUpdateStatus = ptr.To("InProgress")
	cfg.LastUpdateStatusReason = ptr.To("The function is being created.")
	cfg.LastUpdateStatusReasonCode = ptr.To("Creating")
	return &cfg, nil
}

// dropBlobIfUnused deletes replaced code no version refers to anymore.
func (l *Lambda) dropBlobIfUnused(sc storage.Scope, name, id string) {
	if id == "" {
		return
	}
	used := false
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		return versions.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, v version) bool {
			used = v.Code.ID == id
			return !used
		})
	}); err != nil {
		// Keep the code: a blob left behind costs space, a blob deleted
		// under a version loses the version's code.
		l.opt.Log.Warn("lambda: checking whether replaced code is still used failed; keeping it", "function", name, "err", err)
		return
	}
	if !used {
		_ = l.opt.Blobs.Delete(id)
	}
}

// UpdateFunctionConfiguration changes $LATEST's settings.
func (l *Lambda) UpdateFunctionConfiguration(ctx *request.Context, in *lambdaapi.UpdateFunctionConfigurationRequest) (*lambdaapi.FunctionConfiguration, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	if err := l.checkKMSKey(ctx, in.KMSKeyArn); err != nil {
		return nil, err
	}
	if in.Runtime != nil {
		if err := checkRuntime(*in.Runtime); err != nil {
			return nil, err
		}
	}
	if err := checkTimeout(in.Timeout); err != nil {
		return nil, err
	}
	if err := checkEnv(in.Environment); err != nil {
		return nil, err
	}
	if in.Role != nil {
		if err := l.checkRole(*in.Role); err != nil {
			return nil, err
		}
	}
	if in.ImageConfig != nil {
		return nil, errImage()
	}
	var layers []lambdaapi.Layer
	if in.Layers != nil {
		if layers, err = l.resolveLayers(ctx, in.Layers); err != nil {
			return nil, err
		}
	}
	vpc, err := l.vpcConfig(ctx, in.VpcConfig)
	if err != nil {
		return nil, err
	}
	var out version
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		_, v, err := l.getFunction(tx, sc, name, "")
		if err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != ptr.Deref(v.Config.RevisionId) {
			return errPrecondition()
		}
		c := &v.Config
		set := func(dst **string, src *string) {
			if src != nil {
				*dst = src
			}
		}
		set(&c.Role, in.Role)
		set(&c.Handler, in.Handler)
		set(&c.Description, in.Description)
		set(&c.Runtime, in.Runtime)
		set(&c.KMSKeyArn, in.KMSKeyArn)
		if in.Timeout != nil {
			c.Timeout = in.Timeout
		}
		if in.MemorySize != nil {
			c.MemorySize = in.MemorySize
		}
		if in.Environment != nil {
			c.Environment = &lambdaapi.EnvironmentResponse{Variables: in.Environment.Variables}
			if c.Environment.Variables == nil {
				c.Environment.Variables = map[string]string{}
			}
		}
		if in.Layers != nil {
			c.Layers = layers
		}
		if in.VpcConfig != nil {
			c.VpcConfig = vpc
		}
		if in.DeadLetterConfig != nil {
			c.DeadLetterConfig = in.DeadLetterConfig
		}
		if in.TracingConfig != nil && in.TracingConfig.Mode != nil {
			c.TracingConfig = &lambdaapi.TracingConfigResponse{Mode: in.TracingConfig.Mode}
		}
		if in.EphemeralStorage != nil && in.EphemeralStorage.Size != nil {
			c.EphemeralStorage = in.EphemeralStorage
		}
		if in.SnapStart != nil || in.Runtime != nil {
			req := in.SnapStart
			if req == nil && c.SnapStart != nil {
				// A runtime change is checked against the SnapStart
				// setting already in place.
				req = &lambdaapi.SnapStart{ApplyOn: c.SnapStart.ApplyOn}
			}
			snap, err := snapStart(req, ptr.Deref(c.Runtime))
			if err != nil {
				return err
			}
			c.SnapStart = snap
		}
		if in.LoggingConfig != nil {
			if in.LoggingConfig.LogGroup != nil {
				c.LoggingConfig.LogGroup = in.LoggingConfig.LogGroup
			}
			if in.LoggingConfig.LogFormat != nil {
				c.LoggingConfig.LogFormat = in.LoggingConfig.LogFormat
			}
		}
		c.LastModified = ptr.To(lastModified(ctx.Now()))
		c.RevisionId = ptr.To(awsid.UUID())
		out = v
		return versions.Put(tx, sc, v, name, versionKey(latest))
	})
	if err != nil {
		return nil, err
	}
	l.exec.Evict(group(sc, name))
	cfg := out.Config
	cfg.LastUpdateStatus = ptr.To("InProgress")
	cfg.LastUpdateStatusReason = ptr.To("The function is being created.")
	cfg.LastUpdateStatusReasonCode = ptr.To("Creating")
	return &cfg, nil
}

// Aliases.

type aliasesT struct{}

func (aliasesT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	return deleteUnder(tx, sc, aliases.Name(), name)
}

// deleteUnder removes every record of a table under a function.
func deleteUnder(tx storage.Tx, sc storage.Scope, table, name string) error {
	return storage.DeletePrefix(tx, sc.Prefix(table, name))
}

func aliasARN(sc storage.Scope, fn, alias string) string { return functionARN(sc, fn) + ":" + alias }

// checkRouting validates an alias's version and weighted routing in the
// order and with the messages AWS uses.
func (l *Lambda) checkRouting(tx storage.Tx, sc storage.Scope, name, ver string, rc *lambdaapi.AliasRoutingConfiguration) error {
	if ver != latest {
		if _, ok, err := versions.Get(tx, sc, name, versionKey(ver)); err != nil {
			return err
		} else if !ok {
			return errNotFound("Function not found: %s:%s", functionARN(sc, name), ver)
		}
	}
	if rc == nil {
		return nil
	}
	if len(rc.AdditionalVersionWeights) > 1 {
		return errInvalidParam("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for v, w := range rc.AdditionalVersionWeights {
		if w < 0 || w > 1 || math.IsNaN(w) {
			return awserr.ValidationException.New("1 validation error detected: Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]", v, javaFloat(w))
		}
		if v == ver {
			return errInvalidParam("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if ver == latest {
			return errInvalidParam("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if !digits.MatchString(v) || len(v) > 1024 {
			return awserr.ValidationException.New("1 validation error detected: Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]", v, javaFloat(w))
		}
		if _, ok, err := versions.Get(tx, sc, name, versionKey(v)); err != nil {
			return err
		} else if !ok {
			return errNotFound("Function not found: %s:%s", functionARN(sc, name), v)
		}
	}
	return nil
}

var digits = lazyre.New(`^[0-9]+$`)

// javaFloat prints a weight as AWS's (Java) messages do: 1.5, 2.0.
func javaFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEN") {
		s += ".0"
	}
	return s
}

// CreateAlias names a version, optionally with weighted routing to a
// second one.
func (l *Lambda) CreateAlias(ctx *request.Context, in *lambdaapi.CreateAliasRequest) (*lambdaapi.AliasConfiguration, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	alias := ptr.Deref(in.Name)
	if _, err := strconv.Atoi(alias); err == nil || alias == latest {
		return nil, errInvalidParam("Alias name cannot be a version number or $LATEST")
	}
	a := lambdaapi.AliasConfiguration{
		AliasArn: ptr.To(aliasARN(sc, name, alias)), Name: ptr.To(alias), FunctionVersion: in.FunctionVersion,
		Description: ptr.To(ptr.Deref(in.Description)), RoutingConfig: in.RoutingConfig, RevisionId: ptr.To(awsid.UUID()),
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		if _, ok, err := aliases.Get(tx, sc, name, alias); err != nil {
			return err
		} else if ok {
			return errConflict("Alias already exists: %s", aliasARN(sc, name, alias))
		}
		if err := l.checkRouting(tx, sc, name, ptr.Deref(in.FunctionVersion), in.RoutingConfig); err != nil {
			return err
		}
		return aliases.Put(tx, sc, a, name, alias)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func (l *Lambda) getAlias(ctx *request.Context, fnName, alias string) (lambdaapi.AliasConfiguration, string, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, fnName, nil)
	if err != nil {
		return lambdaapi.AliasConfiguration{}, "", err
	}
	var a lambdaapi.AliasConfiguration
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		var ok bool
		a, ok, err = aliases.Get(tx, sc, name, alias)
		if err == nil && !ok {
			err = errNotFound("Cannot find alias arn: %s", aliasARN(sc, name, alias))
		}
		return err
	})
	return a, name, err
}

// GetAlias returns an alias.
func (l *Lambda) GetAlias(ctx *request.Context, in *lambdaapi.GetAliasRequest) (*lambdaapi.AliasConfiguration, error) {
	a, _, err := l.getAlias(ctx, ptr.Deref(in.FunctionName), ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAlias repoints an alias.
func (l *Lambda) UpdateAlias(ctx *request.Context, in *lambdaapi.UpdateAliasRequest) (*lambdaapi.AliasConfiguration, error) {
	sc := scope(ctx)
	a, name, err := l.getAlias(ctx, ptr.Deref(in.FunctionName), ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := aliases.Get(tx, sc, name, ptr.Deref(in.Name))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("Cannot find alias arn: %s", aliasARN(sc, name, ptr.Deref(in.Name)))
		}
		if in.RevisionId != nil && *in.RevisionId != ptr.Deref(cur.RevisionId) {
			return errPrecondition()
		}
		a = cur
		if in.FunctionVersion != nil {
			a.FunctionVersion = in.FunctionVersion
		}
		if in.Description != nil {
			a.Description = in.Description
		}
		if in.RoutingConfig != nil {
			a.RoutingConfig = in.RoutingConfig
			if len(in.RoutingConfig.AdditionalVersionWeights) == 0 {
				a.RoutingConfig = nil
			}
		}
		if err := l.checkRouting(tx, sc, name, ptr.Deref(a.FunctionVersion), a.RoutingConfig); err != nil {
			return err
		}
		a.RevisionId = ptr.To(awsid.UUID())
		return aliases.Put(tx, sc, a, name, ptr.Deref(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAlias removes an alias.
func (l *Lambda) DeleteAlias(ctx *request.Context, in *lambdaapi.DeleteAliasRequest) (*lambdaapi.DeleteAliasOutput, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		return aliases.Delete(tx, sc, name, ptr.Deref(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteAliasOutput{}, nil
}

// ListAliases lists a function's aliases.
func (l *Lambda) ListAliases(ctx *request.Context, in *lambdaapi.ListAliasesRequest) (*lambdaapi.ListAliasesResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	max := pageSize(in.MaxItems, 10000)
	after, err := marker(in.Marker)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListAliasesResponse{Aliases: []lambdaapi.AliasConfiguration{}}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		opts := storage.ListOptions{}
		if after != "" {
			opts.After = []string{name, after}
		}
		return aliases.List(tx, sc, []string{name}, opts, func(k []string, a lambdaapi.AliasConfiguration) bool {
			if in.FunctionVersion != nil && ptr.Deref(a.FunctionVersion) != *in.FunctionVersion {
				return true
			}
			if len(out.Aliases) == max {
				out.NextMarker = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(ptr.Deref(out.Aliases[max-1].Name))))
				return false
			}
			out.Aliases = append(out.Aliases, a)
			return true
		})
	})
	return out, err
}

// Tags.

// taggedFunction finds the function a tagging ARN names. Only functions
// are taggable here (not versions or aliases), as on AWS.
func (l *Lambda) taggedFunction(ctx *request.Context, arn string) (string, error) {
	name, qual, err := parseName(ctx, arn, nil)
	if err != nil && errCode(err) == "ResourceNotFoundException" {
		return "", err
	}
	if err != nil || !strings.HasPrefix(arn, "arn:") {
		return "", awserr.ValidationException.New("1 validation error detected: Value '%s' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?", arn)
	}
	if qual != "" {
		return "", errInvalidParam("Tagging operations are permitted on Lambda functions only. Tags on aliases and versions are not supported. Please specify either a function name or a function ARN.")
	}
	return name, nil
}

// errCode is an error's AWS code ("" for nil).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

// TagResource adds tags to a function.
func (l *Lambda) TagResource(ctx *request.Context, in *lambdaapi.TagResourceRequest) (*lambdaapi.TagResourceOutput, error) {
	name, err := l.taggedFunction(ctx, ptr.Deref(in.Resource))
	if err != nil {
		return nil, err
	}
	err = l.updateFunction(ctx, name, func(fn *function) error {
		if fn.Tags == nil {
			fn.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			fn.Tags[k] = v
		}
		if len(fn.Tags) > 50 {
			return errInvalidParam("Number of tags exceeds resource tag limit.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.TagResourceOutput{}, nil
}

// UntagResource removes tags.
func (l *Lambda) UntagResource(ctx *request.Context, in *lambdaapi.UntagResourceRequest) (*lambdaapi.UntagResourceOutput, error) {
	name, err := l.taggedFunction(ctx, ptr.Deref(in.Resource))
	if err != nil {
		return nil, err
	}
	err = l.updateFunction(ctx, name, func(fn *function) error {
		for _, k := range in.TagKeys {
			delete(fn.Tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.UntagResourceOutput{}, nil
}

// ListTags lists a function's tags.
func (l *Lambda) ListTags(ctx *request.Context, in *lambdaapi.ListTagsRequest) (*lambdaapi.ListTagsResponse, error) {
	name, err := l.taggedFunction(ctx, ptr.Deref(in.Resource))
	if err != nil {
		return nil, err
	}
	fn, _, _, err := l.read(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	tags := fn.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return &lambdaapi.ListTagsResponse{Tags: tags}, nil
}

func (l *Lambda) updateFunction(ctx *request.Context, name string, fn func(*function) error) error {
	sc := scope(ctx)
	return l.opt.Store.Update(func(tx storage.Tx) error {
		f, ok, err := functions.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("Function not found: %s", functionARN(sc, name))
		}
		if err := fn(&f); err != nil {
			return err
		}
		return functions.Put(tx, sc, f, name)
	})
}

// Concurrency.

// PutFunctionConcurrency reserves concurrency for a function.
func (l *Lambda) PutFunctionConcurrency(ctx *request.Context, in *lambdaapi.PutFunctionConcurrencyRequest) (*lambdaapi.Concurrency, error) {
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	n := in.ReservedConcurrentExecutions
	if n == nil || *n < 0 {
		return nil, errInvalidParam("ReservedConcurrentExecutions must be at least 0")
	}
	sc := scope(ctx)
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		// The account keeps at least minUnreserved executions for the
		// functions without a reservation, counting every other
		// function's reservation.
		others, err := reservedTotal(tx, sc, name)
		if err != nil {
			return err
		}
		if others+int64(*n) > accountConcurrency-minUnreserved {
			return errInvalidParam("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", minUnreserved)
		}
		f, ok, err := functions.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("Function not found: %s", functionARN(sc, name))
		}
		f.Reserved = n
		return functions.Put(tx, sc, f, name)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.Concurrency{ReservedConcurrentExecutions: n}, nil
}

// Account concurrency: AWS's default quota and the part of it no
// reservation may take.
const (
	accountConcurrency = 1000
	minUnreserved      = 100
)

// reservedTotal sums the reserved concurrency of the account's functions
// in the region, but the one named except.
func reservedTotal(tx storage.Tx, sc storage.Scope, except string) (int64, error) {
	var sum int64
	err := functions.List(tx, sc, nil, storage.ListOptions{}, func(k []string, f function) bool {
		if f.Name != except && f.Reserved != nil {
			sum += int64(*f.Reserved)
		}
		return true
	})
	return sum, err
}

// GetFunctionConcurrency returns the reserved concurrency.
func (l *Lambda) GetFunctionConcurrency(ctx *request.Context, in *lambdaapi.GetFunctionConcurrencyRequest) (*lambdaapi.GetFunctionConcurrencyResponse, error) {
	fn, _, _, err := l.read(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	return &lambdaapi.GetFunctionConcurrencyResponse{ReservedConcurrentExecutions: fn.Reserved}, nil
}

// DeleteFunctionConcurrency removes the reservation.
func (l *Lambda) DeleteFunctionConcurrency(ctx *request.Context, in *lambdaapi.DeleteFunctionConcurrencyRequest) (*lambdaapi.DeleteFunctionConcurrencyOutput, error) {
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	if err := l.updateFunction(ctx, name, func(fn *function) error { fn.Reserved = nil; return nil }); err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteFunctionConcurrencyOutput{}, nil
}

// GetAccountSettings reports the account's limits and usage.
func (l *Lambda) GetAccountSettings(ctx *request.Context, _ *lambdaapi.GetAccountSettingsRequest) (*lambdaapi.GetAccountSettingsResponse, error) {
	var count, size, reserved int64
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		if reserved, err = reservedTotal(tx, scope(ctx), ""); err != nil {
			return err
		}
		return versions.List(tx, scope(ctx), nil, storage.ListOptions{}, func(k []string, v version) bool {
			if k[1] == latest {
				count++
			}
			size += ptr.Deref(v.Config.CodeSize)
			return true
		})
	}); err != nil {
		return nil, err
	}
	return &lambdaapi.GetAccountSettingsResponse{
		AccountLimit: &lambdaapi.AccountLimit{
			TotalCodeSize: ptr.To(int64(80530636800)), CodeSizeUnzipped: ptr.To(int64(262144000)), CodeSizeZipped: ptr.To(int64(52428800)),
			ConcurrentExecutions: ptr.To(int32(accountConcurrency)), UnreservedConcurrentExecutions: ptr.To(int32(accountConcurrency - reserved)),
		},
		AccountUsage: &lambdaapi.AccountUsage{TotalCodeSize: ptr.To(size), FunctionCount: ptr.To(count)},
	}, nil
}
