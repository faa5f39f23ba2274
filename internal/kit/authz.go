package kit

import (
	"context"
	"net/http"
	"reflect"
	"strconv"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Authz is how a service's operations are authorized. The action of an
// operation is "<Prefix>:<Operation>" unless Renames says otherwise; its
// resources are what Resources computes from the typed input ("*" when
// none); its condition keys are aws:RequestTag/aws:TagKeys (read by the
// platform from any Tags member) plus what Context adds; Extra adds
// second questions (a copy reads its source too).
type Authz struct {
	// Prefix is the IAM service prefix; "" means the service's name.
	Prefix string
	// Renames are operations whose IAM action is not the operation name
	// (Service Authorization Reference): S3's ListObjectsV2 is
	// s3:ListBucket.
	Renames map[string]string
	// Rename computes the renames Renames does not list, for services
	// whose actions follow from their model (API Gateway's are the HTTP
	// verbs) and read it on first use rather than at start-up; nil for
	// most.
	Rename func(op string) (string, bool)
	// Resources returns the ARNs op acts on; nil or empty means "*".
	Resources func(op string, in Input, env Env) []string
	// Context returns service-specific condition keys (s3:prefix,
	// kms:EncryptionContext:<key>).
	Context func(op string, in Input) iam.Context
	// Extra returns further checks op needs.
	Extra func(op string, in Input, env Env) []Check
	// Policies reads the resource policies of the service's resources
	// (Declaration.Namespace); nil when the service keeps none.
	Policies PolicySource
	// PolicyName is what the policies are called in decisions ("trust
	// policy"); "" means "<namespace> resource policy".
	PolicyName string
	// PolicyRequired means the resource policy must allow a request
	// itself, whatever the identity policies say (KMS key policies).
	PolicyRequired bool
	// Unauthenticated operations are served without a signature: they
	// authenticate by what they carry (STS's SAML and web identity
	// federation).
	Unauthenticated map[string]bool
	// Unchecked operations are never authorized (sts:GetCallerIdentity).
	Unchecked map[string]bool
	// AllowedUnlessDenied operations need no policy allowing them, only
	// none denying them (sts:GetSessionToken).
	AllowedUnlessDenied map[string]bool
	// HandlerRefuses reports calls the handler refuses whatever the
	// policies say (STS: root may not assume roles), which authorization
	// lets through so that the handler's own error answers.
	HandlerRefuses func(op string, caller request.Caller) bool
	// GrantedWithoutPolicy reports calls the service's own settings allow
	// with no policy saying so (IAM: a password policy that lets users
	// change their passwords lets each call ChangePassword and
	// GetAccountPasswordPolicy); an error refuses the call. It is asked
	// after Unchecked and HandlerRefuses, before the policies.
	GrantedWithoutPolicy func(ctx *request.Context, op string) (bool, error)
	// S3Signatures: requests are authenticated as S3's are (SigV2 and
	// SigV4, the bucket of a virtual-host address in the signed
	// resource) and their refusals worded in S3's vocabulary ("Access
	// Denied" to anonymous callers).
	S3Signatures bool
	// AllowsAnonymous: unsigned requests are authorized (by resource
	// policies and ACLs) rather than refused as unauthenticated (S3).
	AllowsAnonymous bool
	// ACLAllows reports whether something besides policies (S3's bucket
	// and object ACLs) grants account ("" for an anonymous caller) action
	// on resource. It stands in for the resource policy only: it never
	// overrides an explicit Deny or a missing identity-side allow.
	ACLAllows func(ctx context.Context, action, resource, account string) (bool, error)
	// PerItem operations answer each item of a batch on its own (S3
	// DeleteObjects): a refused resource check refuses that item, which
	// the authorizer lists in request.Context.DeniedItems for the
	// handler, not the request.
	PerItem map[string]bool
	// RequestContext adds condition keys the service reads from the HTTP
	// request itself (S3: aws:Referer, s3:authType, s3:TlsVersion) to
	// every check of one of its actions.
	RequestContext func(r *http.Request) iam.Context
	// Existence is a question op asks only to decide what a refused
	// caller learns (S3: a read of a missing key answers 404 only to
	// callers allowed s3:ListBucket, 403 otherwise); nil asks none.
	Existence *Existence
	// NewResource operations create the resource they name: an existing
	// resource of that name (another account's bucket) neither grants
	// nor refuses them, so its policy and owner do not apply.
	NewResource map[string]bool
	// CallerContext adds condition keys the service derives from the
	// caller and where the request came from, to every check of one of
	// its actions (KMS: kms:CallerAccount, kms:ViaService). ctx.Service
	// is the service whose request asks (another one when a service uses
	// a KMS key on its caller's behalf).
	CallerContext func(ctx *request.Context, callerAccount string) iam.Context
	// DenialMessage words a refusal the service words its own way
	// (STS: a trust policy that does not name the caller); ok false
	// keeps the engine's message.
	DenialMessage func(req iam.Request, dec iam.Decision) (msg string, ok bool)
	// Precondition is the service's own refusal of a request before IAM
	// is asked, whoever the caller (S3: a bucket owned by another account
	// than the caller expects); nil refuses nothing.
	Precondition func(ctx *request.Context, input any) error
	// NamesRoles: the service's operations name IAM roles without
	// handing them to the service to act as (IAM, STS), so they ask no
	// iam:PassRole.
	NamesRoles bool
	// NotForFederated: sessions from GetFederationToken may call none of
	// the service's operations but the Unchecked ones (IAM, STS).
	NotForFederated bool
}

// Action is op's IAM action under prefix.
func (a Authz) Action(prefix, op string) string {
	if r, ok := a.Renames[op]; ok {
		return prefix + ":" + r
	}
	if a.Rename != nil {
		if r, ok := a.Rename(op); ok {
			return prefix + ":" + r
		}
	}
	return prefix + ":" + op
}

// Existence is Authz.Existence: the check to ask, its condition keys and
// how to learn whether the thing exists, apart, so that a request
// builds only what its answer needs. Every GET of an existing key asks
// the check, most of them of callers whose policies read no condition
// key and who are allowed it: the keys and the look-up are then never
// built (five allocations a request when they came with the check, as
// a map and a closure).
type Existence struct {
	// Check is the question op asks, its Context left to Keys; ok false
	// asks none.
	Check func(op string, in Input) (c Check, ok bool)
	// Keys are the check's own condition keys (S3: s3:prefix), built
	// only when a policy could read them or a refusal names them.
	Keys func(op string, in Input) iam.Context
	// Exists reports whether the thing exists, asked only when the check
	// is refused.
	Exists func(ctx context.Context, op string, in Input) (bool, error)
}

// Check is one authorization question an operation asks.
type Check struct {
	Action   string
	Resource string
	// Context are service-specific condition keys for this check.
	Context iam.Context
	// PerItem marks a check of one item of a batch that answers per item
	// (Authz.PerItem).
	PerItem bool
}

// Env is where the request runs.
type Env struct {
	// Ctx is the request's context, for rules that read the service's
	// state (a KMS alias resolves to its key).
	Ctx     context.Context
	Account string
	Region  string
	// CallerARN is the caller, for operations that act on the caller
	// itself when a member is omitted (iam:GetUser).
	CallerARN string
}

// ARN builds an ARN in the aws partition.
func ARN(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}

// Input reads members of a typed input struct by name, so that rules
// can be written once for every operation naming a member alike.
type Input struct{ v reflect.Value }

// NewInput wraps a pointer to (or value of) an input struct. ok is false
// when input is not a struct.
func NewInput(input any) (Input, bool) {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return Input{v}, v.Kind() == reflect.Struct
}

// ValueInput wraps a struct value (an element of a list member).
func ValueInput(v reflect.Value) Input {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return Input{v}
}

// Value is the input struct itself.
func (f Input) Value() reflect.Value { return f.v }

func (f Input) field(name string) reflect.Value {
	if !f.v.IsValid() || f.v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return f.v.FieldByName(name)
}

// Str returns a string (or integer) member ("" when absent).
func (f Input) Str(name string) string {
	return StrValue(f.field(name))
}

// StrValue is Input.Str of a member's value: a string or integer,
// through a pointer; "" for an invalid or nil value or another kind.
func StrValue(fv reflect.Value) string {
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

// Strs returns a []string member.
func (f Input) Strs(name string) []string {
	fv := f.field(name)
	if !fv.IsValid() || fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.String {
		return nil
	}
	out := make([]string, fv.Len())
	for i := range out {
		out[i] = fv.Index(i).String()
	}
	return out
}

// MapKeys returns the keys of a map member (DynamoDB's RequestItems).
func (f Input) MapKeys(name string) []string {
	fv := f.field(name)
	if !fv.IsValid() || fv.Kind() != reflect.Map || fv.Type().Key().Kind() != reflect.String {
		return nil
	}
	var out []string
	for _, k := range fv.MapKeys() {
		out = append(out, k.String())
	}
	return out
}

// Bool returns a bool (or *bool) member, false when absent.
func (f Input) Bool(name string) bool { return BoolValue(f.field(name)) }

// BoolValue reads a bool (or *bool) field's value, false when it is
// absent or not a bool.
func BoolValue(fv reflect.Value) bool {
	if !fv.IsValid() {
		return false
	}
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return false
		}
		fv = fv.Elem()
	}
	return fv.Kind() == reflect.Bool && fv.Bool()
}

// Bytes returns a []byte member (nil when absent).
func (f Input) Bytes(name string) []byte {
	fv := f.field(name)
	if !fv.IsValid() || fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.Uint8 {
		return nil
	}
	return fv.Bytes()
}

// StrMap returns a map[string]string member.
func (f Input) StrMap(name string) map[string]string {
	fv := f.field(name)
	if !fv.IsValid() || fv.Kind() != reflect.Map || fv.Type().Key().Kind() != reflect.String || fv.Type().Elem().Kind() != reflect.String {
		return nil
	}
	out := make(map[string]string, fv.Len())
	for _, k := range fv.MapKeys() {
		out[k.String()] = fv.MapIndex(k).String()
	}
	return out
}
