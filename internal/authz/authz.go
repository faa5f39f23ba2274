// Package authz maps each API operation niwa serves to the IAM actions it
// needs, the resource ARNs they apply to, and the service-specific
// condition keys (s3:prefix, s3:x-amz-acl, sts:ExternalId, ...), computed
// from the operation's typed input.
//
// The mapping is written once, as rules, not per operation by hand:
//   - the action is "<prefix>:<Operation>" unless the service's rename
//     table says otherwise (S3's ListObjectsV2 is s3:ListBucket, Lambda's
//     Invoke is lambda:InvokeFunction, SQS's batch calls need the single
//     action), names taken from AWS's Service Authorization Reference;
//   - the resource comes from the input's identifying members, found by
//     name through reflection (Bucket and Key, QueueUrl, TopicArn,
//     TableName, FunctionName, RoleName, KeyId, HostedZoneId...), with
//     the ARN format of the service;
//   - an operation whose input names no resource, and every operation of
//     a service without rules, is checked on "*" (the generic fallback),
//     which is what AWS does for actions without resource-level
//     permissions.
package authz

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// Check is one authorization question an operation asks.
type Check struct {
	Action   string
	Resource string
	// Context are service-specific condition keys for this check.
	Context iam.Context
}

// Env is where the request runs.
type Env struct {
	Account string
	Region  string
	// CallerARN is the caller, for operations that act on the caller
	// itself when a member is omitted (iam:GetUser).
	CallerARN string
	// IAMEntityARN, when set, finds the ARN of an existing IAM role,
	// user or group ("role", "user", "group") by name, with its path
	// (arn:aws:iam::<account>:role/<path>/<name>); without it, or for an
	// entity that does not exist, the ARN has the default path "/".
	IAMEntityARN func(kind, name string) (arn string, ok bool)
	// KMSAlias, when set, resolves a KMS alias ARN to the ARN of the key
	// it points at: AWS authorizes the key an alias names.
	KMSAlias func(aliasARN string) (keyARN string, ok bool)
}

// Prefix is the IAM service prefix of a niwa service name.
func Prefix(service string) string {
	switch service {
	case "dynamodbstreams":
		return "dynamodb"
	case "cloudwatch":
		return "cloudwatch"
	}
	return service
}

// Unauthenticated reports operations AWS serves without a signature: the
// federation calls authenticate by the assertion or token they carry.
func Unauthenticated(service, op string) bool {
	return service == "sts" && (op == "AssumeRoleWithSAML" || op == "AssumeRoleWithWebIdentity")
}

// Unchecked reports operations AWS never authorizes: anyone may ask who
// they are.
func Unchecked(service, op string) bool {
	return service == "sts" && op == "GetCallerIdentity"
}

// AllowedUnlessDenied reports operations a principal may call without a
// policy allowing them, unless a policy explicitly denies them: AWS lets
// IAM users get session tokens "without permissions" but honours a Deny.
func AllowedUnlessDenied(service, op string) bool {
	return service == "sts" && op == "GetSessionToken"
}

// For returns the checks for calling op of service with input (a pointer
// to the typed input shape).
func For(service, op string, input any, env Env) []Check {
	prefix := Prefix(service)
	action := prefix + ":" + op
	if r, ok := renames[service][op]; ok {
		action = prefix + ":" + r
	}
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return []Check{{Action: action, Resource: "*"}}
	}
	in := fields{v}
	var resources []string
	if rule, ok := resourceRules[service]; ok {
		resources = rule(op, in, env)
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx := requestTags(in)
	if kc, ok := contextRules[service]; ok {
		for k, vals := range kc(op, in) {
			ctx[k] = vals
		}
	}
	checks := make([]Check, 0, len(resources)+1)
	for _, r := range resources {
		checks = append(checks, Check{Action: action, Resource: r, Context: ctx})
	}
	if extra, ok := extraChecks[service]; ok {
		checks = append(checks, extra(op, in, env)...)
	}
	return checks
}

// fields reads members of an input struct by name.
type fields struct{ v reflect.Value }

// str returns a string member ("" when absent or not a string).
func (f fields) str(name string) string {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() {
		return ""
	}
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return ""
		}
		fv = fv.Elem()
	}
	switch fv.Kind() {
	case reflect.String:
		return fv.String()
	case reflect.Int32, reflect.Int64, reflect.Int:
		return strconv.FormatInt(fv.Int(), 10)
	}
	return ""
}

// strs returns a []string member.
func (f fields) strs(name string) []string {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() || fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.String {
		return nil
	}
	out := make([]string, fv.Len())
	for i := range out {
		out[i] = fv.Index(i).String()
	}
	return out
}

// mapKeys returns the keys of a map member (DynamoDB's RequestItems).
func (f fields) mapKeys(name string) []string {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() || fv.Kind() != reflect.Map || fv.Type().Key().Kind() != reflect.String {
		return nil
	}
	var out []string
	for _, k := range fv.MapKeys() {
		out = append(out, k.String())
	}
	return out
}

// requestTags derives aws:RequestTag/<key> and aws:TagKeys from a Tags
// member, in any of the shapes the models use (a list of Key/Value or
// TagKey/TagValue structs, or a map).
func requestTags(in fields) iam.Context {
	ctx := iam.Context{}
	var keys []string
	add := func(k, v string) {
		ctx["aws:requesttag/"+strings.ToLower(k)] = []string{v}
		keys = append(keys, k)
	}
	// EC2 carries tags in TagSpecifications ([{ResourceType, Tags}]).
	var sources []reflect.Value
	for _, name := range []string{"Tags", "TagList"} {
		sources = append(sources, in.v.FieldByName(name))
	}
	if specs := in.v.FieldByName("TagSpecifications"); specs.IsValid() && specs.Kind() == reflect.Slice {
		for i := 0; i < specs.Len(); i++ {
			e := specs.Index(i)
			for e.Kind() == reflect.Pointer && !e.IsNil() {
				e = e.Elem()
			}
			if e.Kind() == reflect.Struct {
				sources = append(sources, e.FieldByName("Tags"))
			}
		}
	}
	for _, fv := range sources {
		if !fv.IsValid() {
			continue
		}
		switch fv.Kind() {
		case reflect.Map:
			if fv.Type().Key().Kind() == reflect.String && fv.Type().Elem().Kind() == reflect.String {
				for _, k := range fv.MapKeys() {
					add(k.String(), fv.MapIndex(k).String())
				}
			}
		case reflect.Slice:
			for i := 0; i < fv.Len(); i++ {
				e := fv.Index(i)
				for e.Kind() == reflect.Pointer && !e.IsNil() {
					e = e.Elem()
				}
				if e.Kind() != reflect.Struct {
					continue
				}
				tf := fields{e}
				k, val := tf.str("Key"), tf.str("Value")
				if k == "" {
					k, val = tf.str("TagKey"), tf.str("TagValue")
				}
				if k != "" {
					add(k, val)
				}
			}
		}
	}
	if len(keys) > 0 {
		ctx["aws:tagkeys"] = keys
	}
	return ctx
}

func arn(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}

// renames are operations whose IAM action is not the operation name
// (Service Authorization Reference).
var renames = map[string]map[string]string{
	// ReEncrypt needs kms:ReEncryptFrom on the source key (and
	// kms:ReEncryptTo on the destination: see kmsExtraChecks).
	"kms": {"ReEncrypt": "ReEncryptFrom"},
	"s3": {
		"ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
		"ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
		"HeadObject": "GetObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
		"UploadPartCopy": "PutObject", "CompleteMultipartUpload": "PutObject", "CopyObject": "PutObject",
		"ListMultipartUploads": "ListBucketMultipartUploads", "ListParts": "ListMultipartUploadParts",
		"DeleteObjects":                      "DeleteObject",
		"PutBucketNotificationConfiguration": "PutBucketNotification", "GetBucketNotificationConfiguration": "GetBucketNotification",
		"PutBucketLifecycleConfiguration": "PutLifecycleConfiguration", "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
		"PutBucketLifecycle": "PutLifecycleConfiguration", "GetBucketLifecycle": "GetLifecycleConfiguration",
		"DeleteBucketLifecycle": "PutLifecycleConfiguration",
		"PutBucketCors":         "PutBucketCORS", "GetBucketCors": "GetBucketCORS", "DeleteBucketCors": "PutBucketCORS",
		"PutBucketEncryption": "PutEncryptionConfiguration", "GetBucketEncryption": "GetEncryptionConfiguration",
		"DeleteBucketEncryption": "PutEncryptionConfiguration", "DeleteBucketTagging": "PutBucketTagging",
		"PutPublicAccessBlock": "PutBucketPublicAccessBlock", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
		"DeletePublicAccessBlock": "PutBucketPublicAccessBlock", "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
		"DeleteBucketReplication": "PutReplicationConfiguration", "PutBucketReplication": "PutReplicationConfiguration",
		"GetBucketReplication": "GetReplicationConfiguration", "GetObjectAttributes": "GetObject",
		"PutBucketAccelerateConfiguration": "PutAccelerateConfiguration", "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
		"DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration", "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
		"GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration", "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
		"DeleteBucketMetricsConfiguration": "PutMetricsConfiguration", "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
		"GetBucketMetricsConfiguration": "GetMetricsConfiguration", "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
		"DeleteBucketInventoryConfiguration": "PutInventoryConfiguration", "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
		"GetBucketInventoryConfiguration": "GetInventoryConfiguration", "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
		"PutObjectLockConfiguration": "PutBucketObjectLockConfiguration", "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
		"PutObjectLegalHold": "PutObjectLegalHold", "SelectObjectContent": "GetObject",
	},
	"sqs": {
		"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
		"ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
	},
	"sns": {"PublishBatch": "Publish"},
	"lambda": {
		"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction", "InvokeAsync": "InvokeAsync",
		"GetFunctionConfiguration": "GetFunctionConfiguration",
	},
}

// resourceRules compute resource ARNs per service.
var resourceRules = map[string]func(op string, in fields, env Env) []string{
	"s3": func(op string, in fields, env Env) []string {
		b := in.str("Bucket")
		if b == "" {
			return nil
		}
		if k := in.str("Key"); k != "" {
			return []string{"arn:aws:s3:::" + b + "/" + k}
		}
		if op == "DeleteObjects" {
			// One check per key would need the Delete member; the
			// bucket's objects is what AWS checks per key.
			return []string{"arn:aws:s3:::" + b + "/*"}
		}
		return []string{"arn:aws:s3:::" + b}
	},
	"sqs": func(op string, in fields, env Env) []string {
		if u := in.str("QueueUrl"); u != "" {
			return []string{QueueARN(u, env)}
		}
		if n := in.str("QueueName"); n != "" {
			acct := in.str("QueueOwnerAWSAccountId")
			if acct == "" {
				acct = env.Account
			}
			return []string{arn("sqs", env.Region, acct, n)}
		}
		return nil
	},
	"sns": func(op string, in fields, env Env) []string {
		for _, m := range []string{"TopicArn", "TargetArn", "ResourceArn", "PlatformApplicationArn", "EndpointArn"} {
			if a := in.str(m); a != "" {
				return []string{a}
			}
		}
		if s := in.str("SubscriptionArn"); strings.Count(s, ":") >= 6 {
			return []string{s[:strings.LastIndexByte(s, ':')]}
		}
		if n := in.str("Name"); n != "" && op == "CreateTopic" {
			return []string{arn("sns", env.Region, env.Account, n)}
		}
		return nil
	},
	"dynamodb": dynamoResources,
	"dynamodbstreams": func(op string, in fields, env Env) []string {
		if s := in.str("StreamArn"); s != "" {
			return []string{s}
		}
		if t := in.str("TableName"); t != "" {
			return []string{arn("dynamodb", env.Region, env.Account, "table/"+t+"/stream/*")}
		}
		return nil
	},
	"lambda": func(op string, in fields, env Env) []string {
		if f := in.str("FunctionName"); f != "" {
			a := FunctionARN(f, env)
			if qualifiedOps[op] {
				// Invoke and permission changes act on the version or
				// alias named: a policy on the unqualified ARN does not
				// cover them ("function:name:*" does).
				if q := functionQualifier(f, in.str("Qualifier")); q != "" {
					a += ":" + q
				}
			}
			return []string{a}
		}
		if l := in.str("LayerName"); l != "" {
			if strings.HasPrefix(l, "arn:") {
				return []string{l}
			}
			res := "layer:" + l
			if v := in.str("VersionNumber"); v != "" {
				res += ":" + v
			}
			return []string{arn("lambda", env.Region, env.Account, res)}
		}
		if u := in.str("UUID"); u != "" {
			return []string{arn("lambda", env.Region, env.Account, "event-source-mapping:"+u)}
		}
		if r := in.str("Resource"); strings.HasPrefix(r, "arn:") {
			return []string{r}
		}
		return nil
	},
	// CloudWatch: alarms (arn:...:alarm:<name>), dashboards (global,
	// arn:aws:cloudwatch::<acct>:dashboard/<name>) and insight rules.
	"cloudwatch": func(op string, in fields, env Env) []string {
		if a := in.str("ResourceARN"); a != "" {
			return []string{a}
		}
		res := func(member, format string, region string) []string {
			var out []string
			for _, n := range append(in.strs(member+"s"), in.str(member)) {
				if n != "" {
					out = append(out, arn("cloudwatch", region, env.Account, fmt.Sprintf(format, n)))
				}
			}
			return out
		}
		if r := res("AlarmName", "alarm:%s", env.Region); r != nil {
			return r
		}
		if r := res("DashboardName", "dashboard/%s", ""); r != nil {
			return r
		}
		return res("RuleName", "insight-rule/%s", env.Region)
	},
	"logs": func(op string, in fields, env Env) []string {
		g := in.str("LogGroupName")
		if g == "" {
			g = in.str("LogGroupIdentifier")
			if strings.HasPrefix(g, "arn:") {
				return []string{g}
			}
		}
		if g == "" {
			if a := in.str("ResourceArn"); a != "" {
				return []string{a}
			}
			return nil
		}
		res := "log-group:" + g
		if s := in.str("LogStreamName"); s != "" {
			return []string{arn("logs", env.Region, env.Account, res+":log-stream:"+s)}
		}
		return []string{arn("logs", env.Region, env.Account, res+":*")}
	},
	"events": func(op string, in fields, env Env) []string {
		rule := in.str("Rule")
		if rule == "" && strings.Contains(op, "Rule") {
			rule = in.str("Name")
		}
		bus := in.str("EventBusName")
		if rule != "" {
			if bus != "" && bus != "default" && !strings.HasPrefix(bus, "arn:") {
				rule = bus + "/" + rule
			}
			return []string{arn("events", env.Region, env.Account, "rule/"+rule)}
		}
		if a := in.str("ResourceARN"); a != "" {
			return []string{a}
		}
		if op == "PutEvents" {
			return []string{arn("events", env.Region, env.Account, "event-bus/default")}
		}
		return nil
	},
	"kms": kmsResources,
	"route53": func(op string, in fields, env Env) []string {
		id := in.str("HostedZoneId")
		if id == "" && strings.Contains(op, "HostedZone") && op != "CreateHostedZone" && !strings.HasPrefix(op, "List") {
			id = in.str("Id")
		}
		if id == "" {
			return nil
		}
		id = strings.TrimPrefix(id, "/hostedzone/")
		return []string{"arn:aws:route53:::hostedzone/" + id}
	},
	"ec2": func(op string, in fields, env Env) []string {
		if strings.HasPrefix(op, "Describe") {
			return nil
		}
		ids := in.strs("InstanceIds")
		if id := in.str("InstanceId"); id != "" {
			ids = append(ids, id)
		}
		if len(ids) == 0 && !strings.HasPrefix(op, "Create") && !strings.HasPrefix(op, "Run") {
			// Operations on one existing resource are checked on it (its
			// tags are ec2:ResourceTag); creations keep "*" until their
			// several resource types are mapped.
			for _, m := range ec2IDMembers {
				if id := in.str(m); id != "" {
					ids = append(ids, id)
					break
				}
			}
		}
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			switch typ := ec2Type(id); typ {
			case "":
			case "image": // public images belong to no account
				out = append(out, arn("ec2", env.Region, "", typ+"/"+id))
			default:
				out = append(out, arn("ec2", env.Region, env.Account, typ+"/"+id))
			}
		}
		return out
	},
	"iam": iamResources,
	"sts": func(op string, in fields, env Env) []string {
		if r := in.str("RoleArn"); r != "" {
			return []string{r}
		}
		if op == "GetFederationToken" {
			return []string{"arn:aws:sts::" + env.Account + ":federated-user/" + in.str("Name")}
		}
		return nil
	},
}

// ec2IDMembers name the resource of an EC2 operation, most specific
// first (AssociateRouteTable acts on the route table, not the subnet).
var ec2IDMembers = []string{"RouteTableId", "NetworkInterfaceId", "VpcEndpointId", "NatGatewayId", "InternetGatewayId",
	"AllocationId", "VolumeId", "SnapshotId", "GroupId", "SubnetId", "VpcId", "ImageId"}

// ec2Type is the ARN resource type of an EC2 id, by its prefix
// (Service Authorization Reference resource types).
func ec2Type(id string) string {
	prefix, _, ok := strings.Cut(id, "-")
	if !ok {
		return ""
	}
	return map[string]string{
		"i": "instance", "vpc": "vpc", "subnet": "subnet", "sg": "security-group", "rtb": "route-table",
		"igw": "internet-gateway", "vol": "volume", "vpce": "vpc-endpoint", "nat": "natgateway",
		"eipalloc": "elastic-ip", "ami": "image", "snap": "snapshot", "eni": "network-interface",
	}[prefix]
}

func dynamoResources(op string, in fields, env Env) []string {
	table := func(t string) string {
		if strings.HasPrefix(t, "arn:") {
			return t
		}
		return arn("dynamodb", env.Region, env.Account, "table/"+t)
	}
	if t := in.str("TableName"); t != "" {
		if ix := in.str("IndexName"); ix != "" && (op == "Query" || op == "Scan") {
			return []string{table(t) + "/index/" + ix}
		}
		return []string{table(t)}
	}
	if a := in.str("ResourceArn"); a != "" {
		return []string{a}
	}
	var out []string
	for _, t := range in.mapKeys("RequestItems") {
		out = append(out, table(t))
	}
	return out
}

func iamResources(op string, in fields, env Env) []string {
	acct := "arn:aws:iam::" + env.Account + ":"
	// The entity an operation acts on comes first: AttachRolePolicy is
	// checked on the role, not on the policy.
	entity := func(kind, member string) []string {
		name := in.str(member)
		if strings.HasPrefix(op, "Create") && strings.HasSuffix(op, kindOp[kind]) {
			// A new entity's ARN carries the Path it is created with.
			return []string{acct + kind + pathOr(in.str("Path")) + name}
		}
		if env.IAMEntityARN != nil && kind != "instance-profile" {
			if a, ok := env.IAMEntityARN(kind, name); ok {
				return []string{a}
			}
		}
		return []string{acct + kind + "/" + name}
	}
	switch {
	case in.str("RoleName") != "":
		return entity("role", "RoleName")
	case in.str("GroupName") != "":
		return entity("group", "GroupName")
	case in.str("UserName") != "":
		return entity("user", "UserName")
	case in.str("InstanceProfileName") != "":
		return entity("instance-profile", "InstanceProfileName")
	case in.str("PolicyArn") != "":
		return []string{in.str("PolicyArn")}
	case in.str("SAMLProviderArn") != "":
		return []string{in.str("SAMLProviderArn")}
	case in.str("OpenIDConnectProviderArn") != "":
		return []string{in.str("OpenIDConnectProviderArn")}
	case in.str("PolicySourceArn") != "":
		return []string{in.str("PolicySourceArn")}
	case op == "CreatePolicy" && in.str("PolicyName") != "":
		return []string{acct + "policy" + pathOr(in.str("Path")) + in.str("PolicyName")}
	case op == "CreateSAMLProvider" && in.str("Name") != "":
		return []string{acct + "saml-provider/" + in.str("Name")}
	}
	// Operations on the caller itself when the user is omitted.
	switch op {
	case "GetUser", "ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
		"ListUserPolicies", "ListAttachedUserPolicies", "ListGroupsForUser", "ChangePassword",
		"GetLoginProfile", "ListUserTags", "ListSigningCertificates", "ListSSHPublicKeys", "ListMFADevices":
		if strings.Contains(env.CallerARN, ":user/") {
			return []string{env.CallerARN}
		}
	}
	return nil
}

// kindOp is the operation suffix that creates an entity kind
// (CreateRole, CreateUser, CreateGroup, CreateInstanceProfile).
var kindOp = map[string]string{"role": "Role", "user": "User", "group": "Group", "instance-profile": "InstanceProfile"}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// QueueARN turns a queue URL (http://host/<account>/<name>) into its ARN.
func QueueARN(u string, env Env) string {
	path := u
	if pu, err := url.Parse(u); err == nil && pu.Path != "" {
		path = pu.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	name, acct := parts[len(parts)-1], env.Account
	if len(parts) >= 2 {
		acct = parts[len(parts)-2]
	}
	return arn("sqs", env.Region, acct, name)
}

// FunctionARN turns a FunctionName (name, partial ARN, full ARN, with or
// without a qualifier) into the function's ARN (unqualified: policies
// name functions, and a qualifier is matched by "<arn>:*").
func FunctionARN(f string, env Env) string {
	if strings.HasPrefix(f, "arn:") {
		parts := strings.Split(f, ":")
		if len(parts) > 7 {
			return strings.Join(parts[:7], ":")
		}
		return f
	}
	parts := strings.Split(f, ":")
	switch {
	case len(parts) >= 3 && parts[1] == "function": // 123456789012:function:name
		return arn("lambda", env.Region, parts[0], "function:"+parts[2])
	case len(parts) == 2: // name:qualifier
		return arn("lambda", env.Region, env.Account, "function:"+parts[0])
	}
	return arn("lambda", env.Region, env.Account, "function:"+f)
}

// qualifiedOps are the Lambda operations whose resource is the function
// version or alias when one is named (Lambda's "Resources and
// conditions for Lambda actions": Invoke, AddPermission,
// RemovePermission act on "Function, Function version, Function
// alias"; the others on the function).
var qualifiedOps = map[string]bool{
	"Invoke": true, "InvokeAsync": true, "InvokeWithResponseStream": true,
	"AddPermission": true, "RemovePermission": true,
}

// functionQualifier is the version or alias a FunctionName carries
// (name:q, 123456789012:function:name:q, a qualified ARN) or else the
// Qualifier member.
func functionQualifier(f, q string) string {
	parts := strings.Split(f, ":")
	switch {
	case strings.HasPrefix(f, "arn:") && len(parts) > 7:
		return parts[7]
	case !strings.HasPrefix(f, "arn:") && len(parts) == 4 && parts[1] == "function":
		return parts[3]
	case len(parts) == 2:
		return parts[1]
	}
	return q
}

// KeyARN turns a KMS KeyId (id, key ARN, alias name or alias ARN) into
// an ARN.
func KeyARN(k string, env Env) string {
	switch {
	case strings.HasPrefix(k, "arn:"):
		return k
	case strings.HasPrefix(k, "alias/"):
		return arn("kms", env.Region, env.Account, k)
	}
	return arn("kms", env.Region, env.Account, "key/"+k)
}

// contextRules add service-specific condition keys.
var contextRules = map[string]func(op string, in fields) iam.Context{
	"kms": kmsContextRule,
	"s3": func(op string, in fields) iam.Context {
		c := iam.Context{}
		switch op {
		case "ListObjects", "ListObjectsV2", "ListObjectVersions":
			// s3:prefix is present (possibly empty) on every listing, so
			// that conditions on it behave as on AWS.
			c["s3:prefix"] = []string{in.str("Prefix")}
			c.Set("s3:delimiter", in.str("Delimiter"))
			c.Set("s3:max-keys", in.str("MaxKeys"))
		}
		c.Set("s3:x-amz-acl", in.str("ACL"))
		c.Set("s3:versionid", in.str("VersionId"))
		c.Set("s3:x-amz-server-side-encryption", in.str("ServerSideEncryption"))
		c.Set("s3:x-amz-copy-source", in.str("CopySource"))
		c.Set("s3:x-amz-storage-class", in.str("StorageClass"))
		return c
	},
	"sts": func(op string, in fields) iam.Context {
		c := iam.Context{}
		c.Set("sts:externalid", in.str("ExternalId"))
		c.Set("sts:rolesessionname", in.str("RoleSessionName"))
		c.Set("sts:sourceidentity", in.str("SourceIdentity"))
		return c
	},
	"iam": func(op string, in fields) iam.Context {
		c := iam.Context{}
		if op == "AttachRolePolicy" || op == "AttachUserPolicy" || op == "AttachGroupPolicy" ||
			op == "DetachRolePolicy" || op == "DetachUserPolicy" || op == "DetachGroupPolicy" {
			c.Set("iam:policyarn", in.str("PolicyArn"))
		}
		c.Set("iam:permissionsboundary", in.str("PermissionsBoundary"))
		return c
	},
}

// extraChecks are second questions some operations ask: a copy reads its
// source as well as writing its target.
var extraChecks = map[string]func(op string, in fields, env Env) []Check{
	"kms": kmsExtraChecks,
	"s3": func(op string, in fields, env Env) []Check {
		if op != "CopyObject" && op != "UploadPartCopy" {
			return nil
		}
		src := in.str("CopySource")
		if src == "" {
			return nil
		}
		if u, err := url.PathUnescape(src); err == nil {
			src = u
		}
		src = strings.TrimPrefix(src, "/")
		if i := strings.Index(src, "?versionId="); i >= 0 {
			src = src[:i]
		}
		return []Check{{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + src, Context: iam.Context{}}}
	},
}
