package cloudformation

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The AWS::Serverless-2016-10-31 transform (SAM): AWS::Serverless::*
// resources become the resources SAM's translator makes, under its
// logical id conventions (<Fn>Role, <Fn><Event>Permission,
// ServerlessRestApi, ServerlessRestApiProdStage, ...), so the Ref and
// Fn::GetAtt users write against those names resolve.

// samErrors are the errors the transform fails with, worded as AWS's.
type samErrors []string

func (e samErrors) err() error {
	if len(e) == 0 {
		return nil
	}
	return validation("Transform %s failed with: Invalid Serverless Application Specification document. Number of errors found: %d. %s",
		transformServerless, len(e), strings.Join(e, " "))
}

func (e *samErrors) add(logical, format string, args ...any) {
	*e = append(*e, fmt.Sprintf("Resource with id [%s] is invalid. ", logical)+fmt.Sprintf(format, args...))
}

// sam is one run of the transform.
type sam struct {
	env      transformEnv
	in       map[string]any // the template's Resources
	out      map[string]any // the processed Resources
	globals  map[string]map[string]any
	errs     samErrors
	renames  map[string]string // Ref X -> Ref Y (layer versions)
	implicit map[string]any    // paths of the implicit ServerlessRestApi
	explicit map[string]map[string]any
}

// serverless runs the SAM transform over doc.
func serverless(doc map[string]any, env transformEnv) (map[string]any, error) {
	res, _ := doc["Resources"].(map[string]any)
	s := &sam{env: env, in: res, out: map[string]any{}, globals: map[string]map[string]any{}, renames: map[string]string{},
		explicit: map[string]map[string]any{}}
	if g, ok := doc["Globals"]; ok {
		gm, ok := g.(map[string]any)
		if !ok {
			return nil, validation("Transform %s failed with: Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. Globals must be an object.", transformServerless)
		}
		for _, k := range sortedKeys(gm) {
			switch k {
			case "Function", "Api", "SimpleTable", "HttpApi", "LayerVersion":
				m, ok := gm[k].(map[string]any)
				if !ok {
					return nil, validation("Transform %s failed with: Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. '%s' must be an object.", transformServerless, k)
				}
				s.globals[k] = m
			default:
				return nil, validation("Transform %s failed with: Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. '%s' is not supported. Must be one of the following values - ['Function', 'Api', 'HttpApi', 'SimpleTable', 'LayerVersion']", transformServerless, k)
			}
		}
	}
	// Non-SAM resources pass through (S3 event sources add to them).
	for name, r := range res {
		m, _ := r.(map[string]any)
		if ty, _ := m["Type"].(string); !strings.HasPrefix(ty, "AWS::Serverless::") {
			s.out[name] = deepCopy(r)
		}
	}
	// APIs first, so functions' Api events can add paths to them.
	for _, name := range sortedKeys(res) {
		m, _ := res[name].(map[string]any)
		if ty, _ := m["Type"].(string); ty == "AWS::Serverless::Api" {
			s.api(name, m)
		}
	}
	for _, name := range sortedKeys(res) {
		m, _ := res[name].(map[string]any)
		ty, _ := m["Type"].(string)
		switch ty {
		case "AWS::Serverless::Function":
			before := make(map[string]bool, len(s.out))
			for k := range s.out {
				before[k] = true
			}
			s.function(name, m)
			// What the function's expansion makes shares its Condition.
			if c, ok := m["Condition"]; ok {
				for k, v := range s.out {
					if r, isMap := v.(map[string]any); isMap && !before[k] {
						if _, has := r["Condition"]; !has {
							r["Condition"] = c
						}
					}
				}
			}
		case "AWS::Serverless::SimpleTable":
			s.simpleTable(name, m)
		case "AWS::Serverless::LayerVersion":
			s.layer(name, m)
		case "AWS::Serverless::Api":
		case "AWS::Serverless::HttpApi":
			s.errs.add(name, "niwa does not implement API Gateway v2 (apigatewayv2), which AWS::Serverless::HttpApi makes.")
		default:
			if strings.HasPrefix(ty, "AWS::Serverless::") {
				s.errs.add(name, "niwa's SAM transform does not implement %s (it implements Function, Api, SimpleTable and LayerVersion).", ty)
			}
		}
	}
	if len(s.errs) == 0 {
		s.finishAPIs()
	}
	if err := s.errs.err(); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "Globals" {
			out[k] = v
		}
	}
	out["Resources"] = s.out
	if len(s.renames) > 0 {
		out = renameRefs(out, s.renames).(map[string]any)
	}
	return out, nil
}

// withGlobals merges a Globals section into a resource's properties:
// the resource's own values win; maps merge; lists concatenate.
func withGlobals(global, props map[string]any) map[string]any {
	out := deepCopy(props).(map[string]any)
	for k, g := range global {
		v, ok := out[k]
		if !ok {
			out[k] = deepCopy(g)
			continue
		}
		switch gv := g.(type) {
		case map[string]any:
			if pv, ok := v.(map[string]any); ok && !isIntrinsic(pv) && !isIntrinsic(gv) {
				out[k] = withGlobals(gv, pv)
			}
		case []any:
			if pv, ok := v.([]any); ok {
				out[k] = append(deepCopy(gv).([]any), pv...)
			}
		}
	}
	return out
}

func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = deepCopy(x[i])
		}
		return out
	}
	return v
}

// renameRefs rewrites Ref X (and Fn::GetAtt X.*, DependsOn X) to their
// new logical ids.
func renameRefs(v any, renames map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k == "Ref" {
				if s, ok := e.(string); ok && renames[s] != "" {
					out[k] = renames[s]
					continue
				}
			}
			out[k] = renameRefs(e, renames)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = renameRefs(x[i], renames)
		}
		return out
	}
	return v
}

// logicalHash is the 10 hex characters SAM appends to the logical ids
// of resources that must be replaced when their content changes
// (deployments, versions, layer versions).
func logicalHash(v any) string {
	b, _ := json.Marshal(v)
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])[:10]
}

func sub(s string) map[string]any             { return map[string]any{"Fn::Sub": s} }
func subVars(s string, vars any) any          { return map[string]any{"Fn::Sub": []any{s, vars}} }
func ref(name string) map[string]any          { return map[string]any{"Ref": name} }
func getAtt(name, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{name, attr}} }

// samTags are SAM's tags on what it makes: lambda:createdBy=SAM, then
// the resource's Tags map.
func samTags(tags any) []any {
	out := []any{map[string]any{"Key": "lambda:createdBy", "Value": "SAM"}}
	if m, ok := tags.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			out = append(out, map[string]any{"Key": k, "Value": m[k]})
		}
	}
	return out
}

// passThrough copies the entries of a SAM resource that CloudFormation
// applies to any resource.
func passThrough(src map[string]any, dst map[string]any) map[string]any {
	for _, k := range []string{"Condition", "DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy"} {
		if v, ok := src[k]; ok {
			dst[k] = v
		}
	}
	return dst
}

// functionProperties are the properties of AWS::Serverless::Function.
var functionProperties = map[string]bool{
	"Handler": true, "Runtime": true, "CodeUri": true, "InlineCode": true, "ImageUri": true, "ImageConfig": true,
	"PackageType": true, "FunctionName": true, "Description": true, "MemorySize": true, "Timeout": true,
	"Role": true, "Policies": true, "AssumeRolePolicyDocument": true, "PermissionsBoundary": true,
	"RolePath": true, "Environment": true, "VpcConfig": true, "Events": true, "Tags": true, "Tracing": true,
	"KmsKeyArn": true, "Layers": true, "AutoPublishAlias": true, "AutoPublishCodeSha256": true,
	"AutoPublishAliasAllProperties": true, "VersionDescription": true, "DeploymentPreference": true,
	"ReservedConcurrentExecutions": true, "ProvisionedConcurrencyConfig": true, "DeadLetterQueue": true,
	"Architectures": true, "EphemeralStorage": true, "FileSystemConfigs": true, "LoggingConfig": true,
	"RuntimeManagementConfig": true, "SnapStart": true, "FunctionUrlConfig": true, "EventInvokeConfig": true,
	"CodeSigningConfigArn": true, "PropagateTags": true, "RecursiveLoop": true, "Metadata": true,
}

// lambdaCopied are the function properties Lambda's own type takes as
// they are.
var lambdaCopied = []string{"Handler", "Runtime", "FunctionName", "Description", "MemorySize", "Timeout",
	"Environment", "VpcConfig", "KmsKeyArn", "Layers", "ReservedConcurrentExecutions", "Architectures",
	"EphemeralStorage", "FileSystemConfigs", "LoggingConfig", "RuntimeManagementConfig", "SnapStart",
	"ImageConfig", "PackageType", "CodeSigningConfigArn", "RecursiveLoop"}

// function expands AWS::Serverless::Function.
func (s *sam) function(name string, r map[string]any) {
	own, _ := r["Properties"].(map[string]any)
	if own == nil {
		own = map[string]any{}
	}
	p := withGlobals(s.globals["Function"], own)
	for _, k := range sortedKeys(p) {
		if !functionProperties[k] {
			s.errs.add(name, "property %s not defined for resource of type AWS::Serverless::Function", k)
			return
		}
	}
	fn := map[string]any{}
	for _, k := range lambdaCopied {
		if v, ok := p[k]; ok {
			fn[k] = v
		}
	}
	code, ok := s.code(name, p)
	if !ok {
		return
	}
	fn["Code"] = code
	if v, ok := p["Tracing"]; ok {
		fn["TracingConfig"] = map[string]any{"Mode": v}
	}
	if dlq, ok := p["DeadLetterQueue"].(map[string]any); ok {
		fn["DeadLetterConfig"] = map[string]any{"TargetArn": dlq["TargetArn"]}
	}
	fn["Tags"] = samTags(p["Tags"])
	role, hasRole := p["Role"]
	if hasRole {
		fn["Role"] = role
	} else {
		fn["Role"] = getAtt(name+"Role", "Arn")
	}
	s.out[name] = passThrough(r, map[string]any{"Type": "AWS::Lambda::Function", "Properties": fn})

	// What invokes the function: the alias when AutoPublishAlias is set.
	target := any(ref(name))
	targetArn := any(getAtt(name, "Arn"))
	if alias, ok := p["AutoPublishAlias"]; ok {
		an, _ := alias.(string)
		if an == "" || !validLogicalID(an) {
			s.errs.add(name, "AutoPublishAlias must be an alphanumeric string.")
			return
		}
		ver := name + "Version" + logicalHash(fn)
		s.out[ver] = map[string]any{"Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain",
			"Properties": map[string]any{"FunctionName": ref(name), "Description": p["VersionDescription"]}}
		if p["VersionDescription"] == nil {
			delete(s.out[ver].(map[string]any)["Properties"].(map[string]any), "Description")
		}
		aliasID := name + "Alias" + an
		aliasProps := map[string]any{"Name": an, "FunctionName": ref(name), "FunctionVersion": getAtt(ver, "Version")}
		if pc, ok := p["ProvisionedConcurrencyConfig"]; ok {
			aliasProps["ProvisionedConcurrencyConfig"] = pc
		}
		s.out[aliasID] = map[string]any{"Type": "AWS::Lambda::Alias", "Properties": aliasProps}
		target, targetArn = ref(aliasID), ref(aliasID)
	}
	if dp, ok := p["DeploymentPreference"].(map[string]any); ok {
		if _, ok := p["AutoPublishAlias"]; !ok {
			s.errs.add(name, "'DeploymentPreference' requires AutoPublishAlias property to be specified.")
			return
		}
		// niwa shifts traffic to the new version at once (as AllAtOnce):
		// no CodeDeploy application is made; the type is only checked.
		if ty, ok := dp["Type"].(string); ok && !validDeploymentType(ty) {
			s.errs.add(name, "Invalid deployment preference type %s.", ty)
			return
		}
	}
	managed := []any{sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}
	if _, ok := p["Tracing"]; ok {
		managed = append(managed, sub("arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"))
	}
	if _, ok := p["VpcConfig"]; ok {
		managed = append(managed, sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"))
	}
	events, _ := p["Events"].(map[string]any)
	if _, ok := p["Events"]; ok && events == nil {
		s.errs.add(name, "Events must be an object.")
		return
	}
	for _, ev := range sortedKeys(events) {
		e, _ := events[ev].(map[string]any)
		if e == nil {
			s.errs.add(name, "Event with id [%s] is invalid. Events must be objects.", ev)
			return
		}
		if pol := s.event(name, ev, e, target, targetArn); pol != "" {
			managed = appendUniqueAny(managed, sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"+pol))
		}
	}
	if fu, ok := p["FunctionUrlConfig"].(map[string]any); ok {
		up := map[string]any{"TargetFunctionArn": target, "AuthType": fu["AuthType"]}
		if c, ok := fu["Cors"]; ok {
			up["Cors"] = c
		}
		if m, ok := fu["InvokeMode"]; ok {
			up["InvokeMode"] = m
		}
		s.out[name+"Url"] = map[string]any{"Type": "AWS::Lambda::Url", "Properties": up}
		if at, _ := fu["AuthType"].(string); at == "NONE" {
			s.out[name+"UrlPublicPermissions"] = map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{
				"Action": "lambda:InvokeFunctionUrl", "FunctionName": target, "Principal": "*", "FunctionUrlAuthType": "NONE"}}
		}
	}
	if hasRole {
		return
	}
	roleProps := map[string]any{"Tags": samTags(p["Tags"])}
	if d, ok := p["AssumeRolePolicyDocument"]; ok {
		roleProps["AssumeRolePolicyDocument"] = d
	} else {
		roleProps["AssumeRolePolicyDocument"] = map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Action": []any{"sts:AssumeRole"}, "Effect": "Allow",
				"Principal": map[string]any{"Service": []any{"lambda.amazonaws.com"}}}}}
	}
	if b, ok := p["PermissionsBoundary"]; ok {
		roleProps["PermissionsBoundary"] = b
	}
	if rp, ok := p["RolePath"]; ok {
		roleProps["Path"] = rp
	}
	var inline []any
	policies := p["Policies"]
	if _, isList := policies.([]any); !isList && policies != nil {
		policies = []any{policies}
	}
	pl, _ := policies.([]any)
	for i, pol := range pl {
		policyName := fmt.Sprintf("%sRolePolicy%d", name, i)
		switch x := pol.(type) {
		case string:
			if strings.HasPrefix(x, "arn:") {
				managed = append(managed, x)
			} else {
				managed = append(managed, sub("arn:${AWS::Partition}:iam::aws:policy/"+managedPolicyPath(x)+x))
			}
		case map[string]any:
			if isIntrinsic(x) {
				managed = append(managed, x)
				continue
			}
			if _, ok := x["Statement"]; ok {
				inline = append(inline, map[string]any{"PolicyName": policyName, "PolicyDocument": x})
				continue
			}
			if len(x) != 1 {
				s.errs.add(name, "Policy at index %d in the 'Policies' property is not valid", i)
				return
			}
			tmpl := sortedKeys(x)[0]
			stmts, err := policyTemplate(tmpl, x[tmpl])
			if err != "" {
				s.errs.add(name, "%s", err)
				return
			}
			inline = append(inline, map[string]any{"PolicyName": policyName,
				"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": stmts}})
		default:
			s.errs.add(name, "Policy at index %d in the 'Policies' property is not valid", i)
			return
		}
	}
	roleProps["ManagedPolicyArns"] = managed
	if len(inline) > 0 {
		roleProps["Policies"] = inline
	}
	roleRes := map[string]any{"Type": "AWS::IAM::Role", "Properties": roleProps}
	if c, ok := r["Condition"]; ok {
		roleRes["Condition"] = c
	}
	s.out[name+"Role"] = roleRes
}

func validDeploymentType(t string) bool {
	switch t {
	case "AllAtOnce", "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
		"Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
		"Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes":
		return true
	}
	return strings.HasPrefix(t, "CodeDeployDefault.")
}

// managedPolicyPath is the path of AWS managed policies SAM users name
// without one.
func managedPolicyPath(name string) string {
	switch name {
	case "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaSQSQueueExecutionRole",
		"AWSLambdaDynamoDBExecutionRole", "AWSLambdaKinesisExecutionRole", "AWSLambdaRole", "AWSLambdaENIManagementAccess",
		"AWSLambdaMSKExecutionRole":
		return "service-role/"
	}
	return ""
}

func appendUniqueAny(l []any, v any) []any {
	b, _ := json.Marshal(v)
	for _, x := range l {
		if xb, _ := json.Marshal(x); string(xb) == string(b) {
			return l
		}
	}
	return append(l, v)
}

// code is the function's Lambda Code from CodeUri, InlineCode or
// ImageUri.
func (s *sam) code(name string, p map[string]any) (map[string]any, bool) {
	if v, ok := p["InlineCode"]; ok {
		return map[string]any{"ZipFile": v}, true
	}
	if v, ok := p["ImageUri"]; ok {
		return map[string]any{"ImageUri": v}, true
	}
	switch u := p["CodeUri"].(type) {
	case string:
		bucket, key, ok := strings.Cut(strings.TrimPrefix(u, "s3://"), "/")
		if !strings.HasPrefix(u, "s3://") || !ok || bucket == "" || key == "" {
			s.errs.add(name, "'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter. (niwa has no `sam package`: upload the code with `aws cloudformation package` or give an S3 URI.)")
			return nil, false
		}
		code := map[string]any{"S3Bucket": bucket, "S3Key": key}
		if k, v, ok := strings.Cut(key, "?versionId="); ok {
			code["S3Key"], code["S3ObjectVersion"] = k, v
		}
		return code, true
	case map[string]any:
		if isIntrinsic(u) {
			s.errs.add(name, "'CodeUri' requires Bucket and Key properties to be specified.")
			return nil, false
		}
		if u["Bucket"] == nil || u["Key"] == nil {
			s.errs.add(name, "'CodeUri' requires Bucket and Key properties to be specified.")
			return nil, false
		}
		code := map[string]any{"S3Bucket": u["Bucket"], "S3Key": u["Key"]}
		if v, ok := u["Version"]; ok {
			code["S3ObjectVersion"] = v
		}
		return code, true
	case nil:
		s.errs.add(name, "Only one of 'InlineCode' or 'CodeUri' can be set.")
		return nil, false
	}
	s.errs.add(name, "'CodeUri' must be a string or an object.")
	return nil, false
}

// event expands one of a function's event sources; it returns the AWS
// managed policy the function's role needs for it ("" for none).
func (s *sam) event(fn, ev string, e map[string]any, target, targetArn any) string {
	ty, _ := e["Type"].(string)
	p, _ := e["Properties"].(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	logical := fn + ev
	permission := func(id string, principal string, extra map[string]any) {
		props := map[string]any{"Action": "lambda:InvokeFunction", "FunctionName": target, "Principal": principal}
		for k, v := range extra {
			props[k] = v
		}
		s.out[id] = map[string]any{"Type": "AWS::Lambda::Permission", "Properties": props}
	}
	copyKeys := func(dst map[string]any, keys ...string) {
		for _, k := range keys {
			if v, ok := p[k]; ok {
				dst[k] = v
			}
		}
	}
	switch ty {
	case "SQS", "DynamoDB", "Kinesis", "MQ", "MSK":
		esm := map[string]any{"FunctionName": target}
		switch ty {
		case "SQS":
			esm["EventSourceArn"] = p["Queue"]
		case "DynamoDB", "Kinesis":
			esm["EventSourceArn"] = p["Stream"]
		default:
			esm["EventSourceArn"] = p["Broker"]
		}
		if esm["EventSourceArn"] == nil {
			s.errs.add(fn, "Event with id [%s] is invalid. No %s specified.", ev, map[string]string{"SQS": "Queue", "DynamoDB": "Stream", "Kinesis": "Stream"}[ty])
			return ""
		}
		copyKeys(esm, "BatchSize", "Enabled", "StartingPosition", "StartingPositionTimestamp", "MaximumBatchingWindowInSeconds",
			"FilterCriteria", "FunctionResponseTypes", "MaximumRetryAttempts", "BisectBatchOnFunctionError",
			"MaximumRecordAgeInSeconds", "ParallelizationFactor", "DestinationConfig", "TumblingWindowInSeconds",
			"ScalingConfig", "Topics", "Queues")
		s.out[logical] = map[string]any{"Type": "AWS::Lambda::EventSourceMapping", "Properties": esm}
		return map[string]string{"SQS": "AWSLambdaSQSQueueExecutionRole", "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
			"Kinesis": "AWSLambdaKinesisExecutionRole", "MSK": "AWSLambdaMSKExecutionRole"}[ty]
	case "Schedule", "CloudWatchEvent", "EventBridgeRule":
		rule := map[string]any{}
		if ty == "Schedule" {
			if p["Schedule"] == nil {
				s.errs.add(fn, "Event with id [%s] is invalid. Missing required property 'Schedule'.", ev)
				return ""
			}
			rule["ScheduleExpression"] = p["Schedule"]
			state := any("ENABLED")
			if en, ok := p["Enabled"]; ok {
				if b, _ := scalarString(en); b == "false" {
					state = "DISABLED"
				}
			}
			if st, ok := p["State"]; ok {
				state = st
			}
			rule["State"] = state
		} else {
			if p["Pattern"] == nil {
				s.errs.add(fn, "Event with id [%s] is invalid. Missing required property 'Pattern'.", ev)
				return ""
			}
			rule["EventPattern"] = p["Pattern"]
			copyKeys(rule, "EventBusName", "State")
		}
		copyKeys(rule, "Name", "Description")
		tgt := map[string]any{"Arn": targetArn, "Id": logical + "LambdaTarget"}
		for _, k := range []string{"Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig"} {
			if v, ok := p[k]; ok {
				tgt[k] = v
			}
		}
		if t, ok := p["Target"].(map[string]any); ok && t["Id"] != nil {
			tgt["Id"] = t["Id"]
		}
		rule["Targets"] = []any{tgt}
		s.out[logical] = map[string]any{"Type": "AWS::Events::Rule", "Properties": rule}
		permission(logical+"Permission", "events.amazonaws.com", map[string]any{"SourceArn": getAtt(logical, "Arn")})
	case "ScheduleV2":
		if p["ScheduleExpression"] == nil {
			s.errs.add(fn, "Event with id [%s] is invalid. Missing required property 'ScheduleExpression'.", ev)
			return ""
		}
		sch := map[string]any{"FlexibleTimeWindow": map[string]any{"Mode": "OFF"}}
		copyKeys(sch, "ScheduleExpression", "ScheduleExpressionTimezone", "Name", "Description", "GroupName",
			"StartDate", "EndDate", "State", "KmsKeyArn", "FlexibleTimeWindow")
		tgt := map[string]any{"Arn": targetArn}
		if in, ok := p["Input"]; ok {
			tgt["Input"] = in
		}
		if rp, ok := p["RetryPolicy"]; ok {
			tgt["RetryPolicy"] = rp
		}
		if rarn, ok := p["RoleArn"]; ok {
			tgt["RoleArn"] = rarn
		} else {
			tgt["RoleArn"] = getAtt(logical+"Role", "Arn")
			s.out[logical+"Role"] = map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
				"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
					"Action": []any{"sts:AssumeRole"}, "Effect": "Allow",
					"Principal": map[string]any{"Service": []any{"scheduler.amazonaws.com"}}}}},
				"Policies": []any{map[string]any{"PolicyName": logical + "LambdaPolicy", "PolicyDocument": map[string]any{"Version": "2012-10-17",
					"Statement": []any{map[string]any{"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": targetArn}}}}},
			}}
		}
		sch["Target"] = tgt
		s.out[logical] = map[string]any{"Type": "AWS::Scheduler::Schedule", "Properties": sch}
	case "SNS":
		if p["Topic"] == nil {
			s.errs.add(fn, "Event with id [%s] is invalid. Missing required property 'Topic'.", ev)
			return ""
		}
		sub := map[string]any{"Endpoint": targetArn, "Protocol": "lambda", "TopicArn": p["Topic"]}
		copyKeys(sub, "FilterPolicy", "FilterPolicyScope", "Region", "RedrivePolicy")
		s.out[logical] = map[string]any{"Type": "AWS::SNS::Subscription", "Properties": sub}
		permission(logical+"Permission", "sns.amazonaws.com", map[string]any{"SourceArn": p["Topic"]})
	case "S3":
		br, _ := p["Bucket"].(map[string]any)
		bucket, _ := br["Ref"].(string)
		bm, _ := s.out[bucket].(map[string]any)
		if bt, _ := bm["Type"].(string); bt != "AWS::S3::Bucket" {
			s.errs.add(fn, "Event with id [%s] is invalid. S3 events must reference an S3 bucket in the same template.", ev)
			return ""
		}
		permID := logical + "Permission"
		permission(permID, "s3.amazonaws.com", map[string]any{"SourceAccount": ref("AWS::AccountId")})
		props, _ := bm["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			bm["Properties"] = props
		}
		nc, _ := props["NotificationConfiguration"].(map[string]any)
		if nc == nil {
			nc = map[string]any{}
			props["NotificationConfiguration"] = nc
		}
		lc, _ := nc["LambdaConfigurations"].([]any)
		evs := p["Events"]
		if l, ok := evs.([]any); ok {
			for _, x := range l {
				c := map[string]any{"Event": x, "Function": targetArn}
				if f, ok := p["Filter"]; ok {
					c["Filter"] = f
				}
				lc = append(lc, c)
			}
		} else {
			c := map[string]any{"Event": evs, "Function": targetArn}
			if f, ok := p["Filter"]; ok {
				c["Filter"] = f
			}
			lc = append(lc, c)
		}
		nc["LambdaConfigurations"] = lc
		deps := []any{}
		switch d := bm["DependsOn"].(type) {
		case string:
			deps = append(deps, d)
		case []any:
			deps = append(deps, d...)
		}
		bm["DependsOn"] = append(deps, permID)
	case "Api":
		path, _ := p["Path"].(string)
		method, _ := p["Method"].(string)
		if path == "" || method == "" {
			s.errs.add(fn, "Event with id [%s] is invalid. Event is missing key 'Path' or 'Method'.", ev)
			return ""
		}
		method = strings.ToLower(method)
		api := "ServerlessRestApi"
		var paths map[string]any
		if ra, ok := p["RestApiId"].(map[string]any); ok {
			api, _ = ra["Ref"].(string)
			def, ok := s.explicit[api]
			if !ok {
				s.errs.add(fn, "Event with id [%s] is invalid. RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template.", ev)
				return ""
			}
			paths = def
		} else if _, ok := p["RestApiId"]; ok {
			s.errs.add(fn, "Event with id [%s] is invalid. RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template.", ev)
			return ""
		} else {
			if s.implicit == nil {
				s.implicit = map[string]any{}
			}
			paths = s.implicit
		}
		if paths != nil {
			op := map[string]any{"x-amazon-apigateway-integration": map[string]any{"type": "aws_proxy", "httpMethod": "POST",
				"uri": subVars("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
					map[string]any{"__FunctionArn__": targetArn})}, "responses": map[string]any{}}
			if auth, ok := p["Auth"].(map[string]any); ok {
				if k, _ := scalarString(auth["ApiKeyRequired"]); k == "true" {
					op["security"] = []any{map[string]any{"api_key": []any{}}}
				}
			}
			pm, _ := paths[path].(map[string]any)
			if pm == nil {
				pm = map[string]any{}
				paths[path] = pm
			}
			key := method
			if method == "any" {
				key = "x-amazon-apigateway-any-method"
			}
			pm[key] = op
		}
		swaggerPath := path
		// Path parameters match any value in the permission's ARN.
		for strings.Contains(swaggerPath, "{") {
			i := strings.Index(swaggerPath, "{")
			j := strings.Index(swaggerPath[i:], "}")
			if j < 0 {
				break
			}
			swaggerPath = swaggerPath[:i] + "*" + swaggerPath[i+j+1:]
		}
		verb := strings.ToUpper(method)
		if method == "any" {
			verb = "*"
		}
		permission(logical+"PermissionProd", "apigateway.amazonaws.com", map[string]any{"SourceArn": subVars(
			"arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/"+verb+swaggerPath,
			map[string]any{"__ApiId__": ref(api), "__Stage__": "*"})})
	case "HttpApi":
		s.errs.add(fn, "Event with id [%s] is invalid. niwa does not implement API Gateway v2 (apigatewayv2), which HttpApi events need.", ev)
	case "":
		s.errs.add(fn, "Event with id [%s] is invalid. Missing required property 'Type'.", ev)
	default:
		s.errs.add(fn, "Event with id [%s] is invalid. niwa's SAM transform does not implement the event source type %s (it implements Api, S3, SQS, SNS, DynamoDB, Kinesis, Schedule, ScheduleV2, CloudWatchEvent and EventBridgeRule).", ev, ty)
	}
	return ""
}

// api records an AWS::Serverless::Api; its resources are made once the
// functions have added their paths (finishAPIs).
func (s *sam) api(name string, r map[string]any) {
	own, _ := r["Properties"].(map[string]any)
	if own == nil {
		own = map[string]any{}
	}
	p := withGlobals(s.globals["Api"], own)
	if _, ok := p["StageName"]; !ok {
		s.errs.add(name, "Missing required property 'StageName'.")
		return
	}
	if _, ok := p["DefinitionBody"].(map[string]any); ok {
		// Its own definition holds its paths.
		s.explicit[name] = nil
		return
	}
	s.explicit[name] = map[string]any{}
}

// finishAPIs makes the RestApi, Deployment and Stage of each API.
func (s *sam) finishAPIs() {
	for _, name := range sortedKeys(s.in) {
		m, _ := s.in[name].(map[string]any)
		if ty, _ := m["Type"].(string); ty != "AWS::Serverless::Api" {
			continue
		}
		own, _ := m["Properties"].(map[string]any)
		p := withGlobals(s.globals["Api"], own)
		body, _ := p["DefinitionBody"].(map[string]any)
		if body == nil {
			body = s.swagger(s.explicit[name], p)
		}
		s.restAPI(name, m, p, body)
	}
	if s.implicit != nil {
		p := withGlobals(s.globals["Api"], map[string]any{"StageName": "Prod"})
		p["StageName"] = "Prod"
		s.restAPI("ServerlessRestApi", nil, p, s.swagger(s.implicit, p))
	}
}

func (s *sam) swagger(paths map[string]any, p map[string]any) map[string]any {
	body := map[string]any{"swagger": "2.0", "info": map[string]any{"version": "1.0", "title": ref("AWS::StackName")},
		"paths": paths}
	needsKey := false
	for _, pm := range paths {
		for _, op := range pm.(map[string]any) {
			if _, ok := op.(map[string]any)["security"]; ok {
				needsKey = true
			}
		}
	}
	if auth, ok := p["Auth"].(map[string]any); ok {
		if k, _ := scalarString(auth["ApiKeyRequired"]); k == "true" {
			needsKey = true
			for _, pm := range paths {
				for _, op := range pm.(map[string]any) {
					op.(map[string]any)["security"] = []any{map[string]any{"api_key": []any{}}}
				}
			}
		}
	}
	if needsKey {
		body["securityDefinitions"] = map[string]any{"api_key": map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}}
	}
	return body
}

func (s *sam) restAPI(name string, src map[string]any, p map[string]any, body map[string]any) {
	rp := map[string]any{"Body": body}
	for _, k := range []string{"Name", "Description", "BinaryMediaTypes", "MinimumCompressionSize", "EndpointConfiguration",
		"DisableExecuteApiEndpoint", "Mode", "FailOnWarnings"} {
		if v, ok := p[k]; ok {
			rp[k] = v
		}
	}
	if ec, ok := p["EndpointConfiguration"].(string); ok {
		rp["EndpointConfiguration"] = map[string]any{"Types": []any{ec}}
	}
	api := map[string]any{"Type": "AWS::ApiGateway::RestApi", "Properties": rp}
	if src != nil {
		passThrough(src, api)
	}
	s.out[name] = api
	stage, _ := scalarString(p["StageName"])
	dep := name + "Deployment" + logicalHash(body)
	s.out[dep] = map[string]any{"Type": "AWS::ApiGateway::Deployment", "Properties": map[string]any{
		"RestApiId": ref(name), "Description": "RestApi deployment id: " + dep[len(name)+len("Deployment"):], "StageName": "Stage"}}
	stageProps := map[string]any{"DeploymentId": ref(dep), "RestApiId": ref(name), "StageName": p["StageName"]}
	for _, k := range []string{"Variables", "MethodSettings", "TracingEnabled", "CacheClusterEnabled", "CacheClusterSize", "AccessLogSetting"} {
		if v, ok := p[k]; ok {
			stageProps[k] = v
		}
	}
	if v, ok := p["Tags"].(map[string]any); ok {
		var tags []any
		for _, k := range sortedKeys(v) {
			tags = append(tags, map[string]any{"Key": k, "Value": v[k]})
		}
		stageProps["Tags"] = tags
	}
	stageID := name + alphanumeric(stage) + "Stage"
	s.out[stageID] = map[string]any{"Type": "AWS::ApiGateway::Stage", "Properties": stageProps}
}

// simpleTable expands AWS::Serverless::SimpleTable.
func (s *sam) simpleTable(name string, r map[string]any) {
	own, _ := r["Properties"].(map[string]any)
	if own == nil {
		own = map[string]any{}
	}
	p := withGlobals(s.globals["SimpleTable"], own)
	pk := map[string]any{"Name": "id", "Type": "String"}
	if v, ok := p["PrimaryKey"].(map[string]any); ok {
		pk = v
	}
	types := map[string]string{"String": "S", "Number": "N", "Binary": "B"}
	ty, _ := pk["Type"].(string)
	at, ok := types[ty]
	if !ok {
		s.errs.add(name, "Type of primary key must be one of [String, Number, Binary].")
		return
	}
	tp := map[string]any{
		"AttributeDefinitions": []any{map[string]any{"AttributeName": pk["Name"], "AttributeType": at}},
		"KeySchema":            []any{map[string]any{"AttributeName": pk["Name"], "KeyType": "HASH"}},
	}
	if pt, ok := p["ProvisionedThroughput"]; ok {
		tp["ProvisionedThroughput"] = pt
	} else {
		tp["BillingMode"] = "PAY_PER_REQUEST"
	}
	for _, k := range []string{"TableName", "SSESpecification", "PointInTimeRecoverySpecification"} {
		if v, ok := p[k]; ok {
			tp[k] = v
		}
	}
	if v, ok := p["Tags"].(map[string]any); ok {
		var tags []any
		for _, k := range sortedKeys(v) {
			tags = append(tags, map[string]any{"Key": k, "Value": v[k]})
		}
		tp["Tags"] = tags
	}
	s.out[name] = passThrough(r, map[string]any{"Type": "AWS::DynamoDB::Table", "Properties": tp})
}

// layer expands AWS::Serverless::LayerVersion into a layer version whose
// logical id carries a hash of its content, so a change publishes a new
// version; Ref to the SAM name follows it.
func (s *sam) layer(name string, r map[string]any) {
	own, _ := r["Properties"].(map[string]any)
	if own == nil {
		own = map[string]any{}
	}
	p := withGlobals(s.globals["LayerVersion"], own)
	lp := map[string]any{}
	switch u := p["ContentUri"].(type) {
	case string:
		bucket, key, ok := strings.Cut(strings.TrimPrefix(u, "s3://"), "/")
		if !strings.HasPrefix(u, "s3://") || !ok {
			s.errs.add(name, "'ContentUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.")
			return
		}
		lp["Content"] = map[string]any{"S3Bucket": bucket, "S3Key": key}
	case map[string]any:
		c := map[string]any{"S3Bucket": u["Bucket"], "S3Key": u["Key"]}
		if v, ok := u["Version"]; ok {
			c["S3ObjectVersion"] = v
		}
		lp["Content"] = c
	default:
		s.errs.add(name, "Missing required property 'ContentUri'.")
		return
	}
	if n, ok := p["LayerName"]; ok {
		lp["LayerName"] = n
	} else {
		lp["LayerName"] = name
	}
	for _, k := range []string{"Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"} {
		if v, ok := p[k]; ok {
			lp[k] = v
		}
	}
	policy := "Retain"
	if rp, ok := p["RetentionPolicy"].(string); ok {
		switch strings.ToLower(rp) {
		case "retain":
		case "delete":
			policy = "Delete"
		default:
			s.errs.add(name, "'RetentionPolicy' must be one of the following options: ['Retain', 'Delete'].")
			return
		}
	}
	id := name + logicalHash(lp)
	out := passThrough(r, map[string]any{"Type": "AWS::Lambda::LayerVersion", "Properties": lp})
	out["DeletionPolicy"] = policy
	s.out[id] = out
	s.renames[name] = id
}

// policyTemplate expands one of SAM's policy templates into its
// statements.
func policyTemplate(name string, arg any) ([]any, string) {
	params, _ := arg.(map[string]any)
	need := func(keys ...string) (map[string]any, string) {
		vars := map[string]any{}
		for _, k := range keys {
			v, ok := params[k]
			if !ok {
				return nil, fmt.Sprintf("Missing parameter(s) '%s' for policy template '%s'.", k, name)
			}
			vars[lowerFirst(k)] = v
		}
		return vars, ""
	}
	stmt := func(actions []string, vars map[string]any, resources ...string) map[string]any {
		acts := make([]any, len(actions))
		for i, a := range actions {
			acts[i] = a
		}
		res := make([]any, len(resources))
		for i, r := range resources {
			if r == "*" {
				res[i] = "*"
			} else if len(vars) == 0 {
				res[i] = sub(r)
			} else {
				res[i] = subVars(r, vars)
			}
		}
		return map[string]any{"Effect": "Allow", "Action": acts, "Resource": res}
	}
	table := "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}"
	switch name {
	case "DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBWritePolicy":
		vars, err := need("TableName")
		if err != "" {
			return nil, err
		}
		acts := map[string][]string{
			"DynamoDBCrudPolicy": {"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
				"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"},
			"DynamoDBReadPolicy":  {"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"},
			"DynamoDBWritePolicy": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"},
		}[name]
		if name == "DynamoDBWritePolicy" {
			return []any{stmt(acts, vars, table)}, ""
		}
		return []any{stmt(acts, vars, table, table+"/index/*")}, ""
	case "DynamoDBStreamReadPolicy":
		vars, err := need("TableName", "StreamName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}, vars, table+"/stream/${streamName}"),
			stmt([]string{"dynamodb:ListStreams"}, vars, table+"/stream/*")}, ""
	case "SQSPollerPolicy", "SQSSendMessagePolicy":
		vars, err := need("QueueName")
		if err != "" {
			return nil, err
		}
		q := "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}"
		if name == "SQSSendMessagePolicy" {
			return []any{stmt([]string{"sqs:SendMessage*"}, vars, q)}, ""
		}
		return []any{stmt([]string{"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
			"sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, vars, q)}, ""
	case "S3ReadPolicy", "S3WritePolicy", "S3CrudPolicy", "S3FullAccessPolicy":
		vars, err := need("BucketName")
		if err != "" {
			return nil, err
		}
		acts := map[string][]string{
			"S3ReadPolicy":  {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"},
			"S3WritePolicy": {"s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"},
			"S3CrudPolicy": {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject",
				"s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"},
			"S3FullAccessPolicy": {"s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl",
				"s3:DeleteObject", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", "s3:GetObjectTagging",
				"s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:ListBucket",
				"s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
		}[name]
		return []any{stmt(acts, vars, "arn:${AWS::Partition}:s3:::${bucketName}", "arn:${AWS::Partition}:s3:::${bucketName}/*")}, ""
	case "SNSPublishMessagePolicy":
		vars, err := need("TopicName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"sns:Publish"}, vars, "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}")}, ""
	case "LambdaInvokePolicy":
		vars, err := need("FunctionName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"lambda:InvokeFunction"}, vars, "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*")}, ""
	case "SSMParameterReadPolicy":
		vars, err := need("ParameterName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"ssm:DescribeParameters"}, nil, "*"),
			stmt([]string{"ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"}, vars,
				"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}")}, ""
	case "AWSSecretsManagerGetSecretValuePolicy":
		vars, err := need("SecretArn")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"secretsmanager:GetSecretValue"}, vars, "${secretArn}")}, ""
	case "KMSDecryptPolicy", "KMSEncryptPolicy":
		vars, err := need("KeyId")
		if err != "" {
			return nil, err
		}
		act := "kms:Decrypt"
		if name == "KMSEncryptPolicy" {
			act = "kms:Encrypt"
		}
		return []any{stmt([]string{act}, vars, "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}")}, ""
	case "CloudWatchPutMetricPolicy":
		return []any{stmt([]string{"cloudwatch:PutMetricData"}, nil, "*")}, ""
	case "EventBridgePutEventsPolicy":
		vars, err := need("EventBusName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"events:PutEvents"}, vars, "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBusName}")}, ""
	case "StepFunctionsExecutionPolicy":
		vars, err := need("StateMachineName")
		if err != "" {
			return nil, err
		}
		return []any{stmt([]string{"states:StartExecution"}, vars, "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}")}, ""
	case "VPCAccessPolicy":
		return []any{stmt([]string{"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
			"ec2:DetachNetworkInterface"}, nil, "*")}, ""
	case "CloudWatchLogsFullAccess":
		return []any{stmt([]string{"logs:*"}, nil, "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")}, ""
	}
	known := []string{"AWSSecretsManagerGetSecretValuePolicy", "CloudWatchLogsFullAccess", "CloudWatchPutMetricPolicy",
		"DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBStreamReadPolicy", "DynamoDBWritePolicy", "EventBridgePutEventsPolicy",
		"KMSDecryptPolicy", "KMSEncryptPolicy", "LambdaInvokePolicy", "S3CrudPolicy", "S3FullAccessPolicy", "S3ReadPolicy",
		"S3WritePolicy", "SNSPublishMessagePolicy", "SQSPollerPolicy", "SQSSendMessagePolicy", "SSMParameterReadPolicy",
		"StepFunctionsExecutionPolicy", "VPCAccessPolicy"}
	sort.Strings(known)
	return nil, fmt.Sprintf("Policy template '%s' is not supported by niwa (it has %s).", name, strings.Join(known, ", "))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
