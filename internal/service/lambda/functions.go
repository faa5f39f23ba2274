package lambda

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// runnable are the runtimes niwa runs as local processes.
var runnable = map[string]bool{
	"python3.8": true, "python3.9": true, "python3.10": true, "python3.11": true, "python3.12": true, "python3.13": true, "python3.14": true,
	"nodejs16.x": true, "nodejs18.x": true, "nodejs20.x": true, "nodejs22.x": true, "nodejs24.x": true,
	"provided": true, "provided.al2": true, "provided.al2023": true,
}

// deprecated are runtimes AWS no longer accepts for new or updated
// functions, with the runtime it recommends instead.
var deprecated = map[string]string{
	"python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13",
	"nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs4.3-edge": "nodejs22.x", "nodejs6.10": "nodejs22.x",
	"nodejs8.10": "nodejs22.x", "nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x",
	"dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8", "dotnetcore2.1": "dotnet8", "dotnetcore3.1": "dotnet8",
	"ruby2.5": "ruby3.3", "ruby2.7": "ruby3.3", "go1.x": "provided.al2023",
}

// reservedEnv are the variables Lambda sets itself and refuses to take
// from the function's configuration.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

func checkRuntime(runtime string) error {
	if rec, ok := deprecated[runtime]; ok {
		return errInvalidParam("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or updating functions.", runtime, rec)
	}
	return nil
}

func checkEnv(env *lambdaapi.Environment) error {
	if env == nil {
		return nil
	}
	var bad []string
	size := 0
	for k, v := range env.Variables {
		size += len(k) + len(v)
		for _, r := range reservedEnv {
			if k == r {
				bad = append(bad, k)
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return errInvalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(bad, ", "))
	}
	if size > 4096 {
		return errInvalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	return nil
}

func checkTimeout(t *int32) error {
	if t != nil && *t > 900 {
		return lambdaapi.ErrInvalidParameterValueException.New("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900", *t)
	}
	return nil
}

// snapStartRuntimes are the runtimes AWS takes SnapStart for.
var snapStartRuntimes = map[string]bool{
	"java11": true, "java17": true, "java21": true, "java25": true,
	"python3.12": true, "python3.13": true, "python3.14": true,
	"dotnet8": true, "dotnet10": true,
}

// snapStart validates a SnapStart setting as AWS does and returns what
// the configuration reports. niwa records the setting and reports it
// (published versions say OptimizationStatus On) but takes no snapshot:
// every cold start runs the function's initialization, which only makes
// cold starts slower, never different.
func snapStart(in *lambdaapi.SnapStart, runtime string) (*lambdaapi.SnapStartResponse, error) {
	apply := "None"
	if in != nil && in.ApplyOn != nil {
		apply = *in.ApplyOn
	}
	switch apply {
	case "None":
		return &lambdaapi.SnapStartResponse{ApplyOn: ptr.To("None"), OptimizationStatus: ptr.To("Off")}, nil
	case "PublishedVersions":
		if !snapStartRuntimes[runtime] {
			return nil, errInvalidParam("%s is not supported for SnapStart enabled functions.", runtime)
		}
		return &lambdaapi.SnapStartResponse{ApplyOn: ptr.To(apply), OptimizationStatus: ptr.To("Off")}, nil
	}
	return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]", apply)
}

// errImage answers container-image functions. AWS would create them from
// an ECR image; niwa runs functions as local processes and has no
// container runtime, so it says so rather than store a function it could
// never run.
func errImage() error {
	return errInvalidParam("niwa cannot run container image functions (PackageType Image, Code.ImageUri): it runs functions as local processes from .zip deployment packages and has no container runtime. Deploy the function as a .zip package (a provided.al2023 bootstrap for custom runtimes) instead.")
}

func (l *Lambda) checkRole(role string) error {
	if l.opt.Roles == nil {
		return nil
	}
	ok, err := l.opt.Roles(role)
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidParam("The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

// CreateFunction stores a function and its $LATEST configuration. The
// function is usable at once; the response says Pending, as AWS's does,
// and the next read says Active.
func (l *Lambda) CreateFunction(ctx *request.Context, in *lambdaapi.CreateFunctionRequest) (*lambdaapi.FunctionConfiguration, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	if qual != "" {
		return nil, errInvalidParam("Unqualified function name expected, got %s", ptr.Deref(in.FunctionName))
	}
	if err := l.checkKMSKey(ctx, in.KMSKeyArn); err != nil {
		return nil, err
	}
	pkg := "Zip"
	if in.PackageType != nil {
		pkg = *in.PackageType
	}
	if pkg != "Zip" && pkg != "Image" {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]", pkg)
	}
	if pkg == "Image" || (in.Code != nil && in.Code.ImageUri != nil) || in.ImageConfig != nil {
		return nil, errImage()
	}
	if in.Runtime == nil || in.Handler == nil {
		return nil, errInvalidParam("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := checkRuntime(*in.Runtime); err != nil {
		return nil, err
	}
	if err := checkTimeout(in.Timeout); err != nil {
		return nil, err
	}
	if err := checkEnv(in.Environment); err != nil {
		return nil, err
	}
	snap, err := snapStart(in.SnapStart, *in.Runtime)
	if err != nil {
		return nil, err
	}
	if err := l.checkRole(ptr.Deref(in.Role)); err != nil {
		return nil, err
	}
	code, err := l.codeFrom(ctx, in.Code)
	if err != nil {
		return nil, err
	}
	layers, err := l.resolveLayers(ctx, in.Layers)
	if err != nil {
		return nil, err
	}
	vpc, err := l.vpcConfig(ctx, in.VpcConfig)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	cfg := lambdaapi.FunctionConfiguration{
		FunctionName:     ptr.To(name),
		FunctionArn:      ptr.To(functionARN(sc, name)),
		Runtime:          in.Runtime,
		Role:             in.Role,
		Handler:          in.Handler,
		CodeSize:         ptr.To(code.Ref.Size),
		Description:      ptr.To(ptr.Deref(in.Description)),
		Timeout:          ptr.To(int32(3)),
		MemorySize:       ptr.To(int32(128)),
		LastModified:     ptr.To(lastModified(now)),
		CodeSha256:       ptr.To(code.Sha256),
		Version:          ptr.To(latest),
		RevisionId:       ptr.To(awsid.UUID()),
		PackageType:      ptr.To("Zip"),
		Architectures:    []string{"x86_64"},
		EphemeralStorage: &lambdaapi.EphemeralStorage{Size: ptr.To(int32(512))},
		TracingConfig:    &lambdaapi.TracingConfigResponse{Mode: ptr.To("PassThrough")},
		State:            ptr.To("Active"),
		LastUpdateStatus: ptr.To("Successful"),
		Layers:           layers,
		VpcConfig:        vpc,
		DeadLetterConfig: in.DeadLetterConfig,
		KMSKeyArn:        in.KMSKeyArn,
		SnapStart:        snap,
		LoggingConfig:    &lambdaapi.LoggingConfig{LogFormat: ptr.To("Text"), LogGroup: ptr.To("/aws/lambda/" + name)},
		RuntimeVersionConfig: &lambdaapi.RuntimeVersionConfig{
			RuntimeVersionArn: ptr.To(fmt.Sprintf("arn:aws:lambda:%s::runtime:%s", sc.Region, "0000000000000000000000000000000000000000000000000000000000000000")),
		},
	}
	if in.Timeout != nil {
		cfg.Timeout = in.Timeout
	}
	if in.MemorySize != nil {
		cfg.MemorySize = in.MemorySize
	}
	if len(in.Architectures) > 0 {
		cfg.Architectures = in.Architectures
	}
	if in.EphemeralStorage != nil && in.EphemeralStorage.Size != nil {
		cfg.EphemeralStorage = in.EphemeralStorage
	}
	if in.TracingConfig != nil && in.TracingConfig.Mode != nil {
		cfg.TracingConfig = &lambdaapi.TracingConfigResponse{Mode: in.TracingConfig.Mode}
	}
	if in.Environment != nil {
		cfg.Environment = &lambdaapi.EnvironmentResponse{Variables: in.Environment.Variables}
	}
	if in.LoggingConfig != nil {
		if in.LoggingConfig.LogGroup != nil {
			cfg.LoggingConfig.LogGroup = in.LoggingConfig.LogGroup
		}
		if in.LoggingConfig.LogFormat != nil {
			cfg.LoggingConfig.LogFormat = in.LoggingConfig.LogFormat
		}
		cfg.LoggingConfig.ApplicationLogLevel = in.LoggingConfig.ApplicationLogLevel
		cfg.LoggingConfig.SystemLogLevel = in.LoggingConfig.SystemLogLevel
	}
	fn := function{Name: name, Tags: in.Tags, NextVersion: 1, Created: now}
	var published *version
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := functions.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return errConflict("Function already exist: %s", name)
		}
		if in.CodeSigningConfigArn != nil {
			c, err := l.codeSigningConfig(tx, sc, *in.CodeSigningConfigArn)
			if err != nil {
				return err
			}
			if err := l.checkUnsignedCode(ctx, tx, sc, *c.CodeSigningConfigArn, name); err != nil {
				return err
			}
			if err := functionCodeSigning.Put(tx, sc, *c.CodeSigningConfigArn, name); err != nil {
				return err
			}
		}
		v := version{Config: cfg, Code: code.Ref}
		if err := versions.Put(tx, sc, v, name, versionKey(latest)); err != nil {
			return err
		}
		if in.Publish != nil && *in.Publish {
			p, err := publish(tx, sc, &fn, v, "")
			if err != nil {
				return err
			}
			published = &p
		}
		return functions.Put(tx, sc, fn, name)
	})
	if err != nil {
		_ = l.opt.Blobs.Delete(code.Ref.ID)
		return nil, err
	}
	out := cfg
	if published != nil {
		out = published.Config
	}
	out.State = ptr.To("Pending")
	out.StateReason = ptr.To("The function is being created.")
	out.StateReasonCode = ptr.To("Creating")
	out.LastUpdateStatus = nil
	return &out, nil
}

// codeFrom stores the code of a CreateFunction or UpdateFunctionCode.
func (l *Lambda) codeFrom(ctx *request.Context, code *lambdaapi.FunctionCode) (storedCode, error) {
	if code == nil || (len(code.ZipFile) == 0 && code.S3Bucket == nil && code.S3Key == nil) {
		return storedCode{}, errInvalidParam("Please provide a source for function code.")
	}
	var c storedCode
	var err error
	if len(code.ZipFile) > 0 {
		if code.S3Bucket != nil || code.S3Key != nil {
			return storedCode{}, errInvalidParam("Please do not provide other FunctionCode parameters when providing a ZipFile.")
		}
		c, err = l.storeZip(code.ZipFile)
	} else if code.S3Bucket == nil || code.S3Key == nil {
		return storedCode{}, errInvalidParam("Please provide both S3Bucket and S3Key.")
	} else {
		c, err = l.codeFromS3(ctx, *code.S3Bucket, *code.S3Key, ptr.Deref(code.S3ObjectVersion))
	}
	if err != nil {
		return storedCode{}, err
	}
	if err := l.checkCodeStorage(scope(ctx), c.Ref.Size); err != nil {
		l.opt.Blobs.Delete(c.Ref.ID)
		return storedCode{}, err
	}
	return c, nil
}

// getFunction reads a function and the version a qualifier names
// ($LATEST, a version number or an alias).
func (l *Lambda) getFunction(tx storage.Tx, sc storage.Scope, name, qual string) (function, version, error) {
	fn, ok, err := functions.Get(tx, sc, name)
	if err != nil {
		return fn, version{}, err
	}
	arn := functionARN(sc, name)
	if !ok {
		if qual != "" {
			arn += ":" + qual
		}
		return fn, version{}, errNotFound("Function not found: %s", arn)
	}
	v := latest
	if qual != "" && qual != latest {
		if _, err := strconv.Atoi(qual); err == nil {
			v = qual
		} else {
			a, ok, err := aliases.Get(tx, sc, name, qual)
			if err != nil {
				return fn, version{}, err
			}
			if !ok {
				return fn, version{}, errNotFound("Function not found: %s:%s", arn, qual)
			}
			v = ptr.Deref(a.FunctionVersion)
		}
	}
	ver, ok, err := versions.Get(tx, sc, name, versionKey(v))
	if err != nil {
		return fn, ver, err
	}
	if !ok {
		return fn, ver, errNotFound("Function not found: %s:%s", arn, qual)
	}
	return fn, ver, nil
}

// asNamed returns a configuration with the FunctionArn AWS shows for the
// qualifier a caller used: unqualified when none was given, else
// qualified with it ($LATEST, the version number or the alias name, while
// Version says which version an alias points to).
func asNamed(sc storage.Scope, cfg lambdaapi.FunctionConfiguration, qual string) lambdaapi.FunctionConfiguration {
	if qual != "" {
		cfg.FunctionArn = ptr.To(functionARN(sc, ptr.Deref(cfg.FunctionName)) + ":" + qual)
	}
	return cfg
}

func (l *Lambda) read(ctx *request.Context, raw string, qualifier *string) (function, version, string, error) {
	name, qual, err := parseName(ctx, raw, qualifier)
	if err != nil {
		return function{}, version{}, "", err
	}
	var fn function
	var v version
	err = l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		fn, v, err = l.getFunction(tx, scope(ctx), name, qual)
		return err
	})
	return fn, v, qual, err
}

// GetFunction returns the configuration, code location and tags.
func (l *Lambda) GetFunction(ctx *request.Context, in *lambdaapi.GetFunctionRequest) (*lambdaapi.GetFunctionResponse, error) {
	fn, v, qual, err := l.read(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	cfg := asNamed(scope(ctx), v.Config, qual)
	out := &lambdaapi.GetFunctionResponse{
		Configuration: &cfg,
		Code: &lambdaapi.FunctionCodeLocation{
			RepositoryType: ptr.To("S3"),
			Location:       ptr.To(l.opt.Endpoint() + "/_niwa/lambda/code/" + v.Code.ID),
		},
		Tags: fn.Tags,
	}
	if fn.Reserved != nil {
		out.Concurrency = &lambdaapi.Concurrency{ReservedConcurrentExecutions: fn.Reserved}
	}
	return out, nil
}

// GetFunctionConfiguration returns one version's configuration.
func (l *Lambda) GetFunctionConfiguration(ctx *request.Context, in *lambdaapi.GetFunctionConfigurationRequest) (*lambdaapi.FunctionConfiguration, error) {
	_, v, qual, err := l.read(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	cfg := asNamed(scope(ctx), v.Config, qual)
	return &cfg, nil
}

// ListFunctions pages through functions by name ($LATEST, or every
// version with FunctionVersion=ALL).
func (l *Lambda) ListFunctions(ctx *request.Context, in *lambdaapi.ListFunctionsRequest) (*lambdaapi.ListFunctionsResponse, error) {
	sc := scope(ctx)
	max := 50
	if in.MaxItems != nil {
		max = int(*in.MaxItems)
		if max > 50 {
			max = 50
		}
	}
	all := ptr.Deref(in.FunctionVersion) == "ALL"
	if in.FunctionVersion != nil && !all {
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", *in.FunctionVersion)
	}
	var after []string
	if in.Marker != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.Marker)
		if err != nil {
			return nil, errInvalidParam("Invalid marker: %s", *in.Marker)
		}
		after = strings.Split(string(raw), "\x00")
	}
	out := &lambdaapi.ListFunctionsResponse{Functions: []lambdaapi.FunctionConfiguration{}}
	var lastKey []string
	err := l.opt.Store.View(func(tx storage.Tx) error {
		return versions.List(tx, sc, nil, storage.ListOptions{After: after}, func(key []string, v version) bool {
			if !all && key[1] != latest {
				return true
			}
			if len(out.Functions) == max {
				out.NextMarker = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(strings.Join(lastKey, "\x00"))))
				return false
			}
			cfg := v.Config
			if all {
				// Listing every version, AWS qualifies $LATEST's ARN
				// too, as ListVersionsByFunction does.
				cfg = asNamed(sc, cfg, ptr.Deref(cfg.Version))
			}
			out.Functions = append(out.Functions, cfg)
			lastKey = key
			return true
		})
	})
	return out, err
}

// DeleteFunction deletes a function with everything attached, or one
// published version when a qualifier is given.
func (l *Lambda) DeleteFunction(ctx *request.Context, in *lambdaapi.DeleteFunctionRequest) (*lambdaapi.DeleteFunctionOutput, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	var blobs []string
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		fn, ok, err := functions.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("Function not found: %s", functionARN(sc, name))
		}
		if qual != "" {
			if qual == latest {
				return errInvalidParam("$LATEST version cannot be deleted without deleting the function.")
			}
			if _, err := strconv.Atoi(qual); err != nil {
				return errInvalidParam("Deletion of aliases is not supported.")
			}
			v, ok, err := versions.Get(tx, sc, name, versionKey(qual))
			if err != nil {
				return err
			}
			if !ok {
				return errNotFound("Function not found: %s:%s", functionARN(sc, name), qual)
			}
			var users []string
			if err := aliases.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, a lambdaapi.AliasConfiguration) bool {
				if ptr.Deref(a.FunctionVersion) == qual {
					users = append(users, ptr.Deref(a.Name))
				}
				return true
			}); err != nil {
				return err
			}
			if len(users) > 0 {
				return errConflict("Unable to delete version because the following aliases reference it: %v", users)
			}
			shared := false
			if err := versions.List(tx, sc, []string{name}, storage.ListOptions{}, func(k []string, o version) bool {
				shared = k[1] != versionKey(qual) && o.Code.ID == v.Code.ID
				return !shared
			}); err != nil {
				return err
			}
			if !shared {
				blobs = append(blobs, v.Code.ID)
			}
			if err := runtimeManagements.Delete(tx, sc, name, versionKey(qual)); err != nil {
				return err
			}
			return versions.Delete(tx, sc, name, versionKey(qual))
		}
		_ = fn
		var keys [][]string
		if err := versions.List(tx, sc, []string{name}, storage.ListOptions{}, func(k []string, v version) bool {
			keys = append(keys, k)
			blobs = append(blobs, v.Code.ID)
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := versions.Delete(tx, sc, k...); err != nil {
				return err
			}
		}
		for _, t := range []interface {
			deleteAll(tx storage.Tx, sc storage.Scope, name string) error
		}{aliasesT{}, policiesT{}, urlsT{}, invokeConfigsT{}, provisionedT{}, runtimeManagementsT{}} {
			if err := t.deleteAll(tx, sc, name); err != nil {
				return err
			}
		}
		if err := functionCodeSigning.Delete(tx, sc, name); err != nil {
			return err
		}
		return functions.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	l.exec.Evict(group(sc, name))
	seen := map[string]bool{}
	for _, id := range blobs {
		if !seen[id] && id != "" {
			seen[id] = true
			_ = l.opt.Blobs.Delete(id)
		}
	}
	return &lambdaapi.DeleteFunctionOutput{}, nil
}
