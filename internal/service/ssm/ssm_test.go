package ssm

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// fakeKeys stands in for KMS: data keys "encrypted" by XOR with a
// per-key pad, bound to the encryption context; deny refuses the caller.
type fakeKeys struct {
	mu   sync.Mutex
	deny map[string]bool // operation -> denied
	ecs  []map[string]string
}

func (f *fakeKeys) denied(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny[op] {
		return awserr.AccessDeniedException.New("User: arn:aws:iam::123456789012:user/u is not authorized to perform: kms:%s", op)
	}
	return nil
}

func (f *fakeKeys) Key(ctx *request.Context, keyID string) (kms.Key, error) {
	if keyID == "alias/missing" {
		return kms.Key{}, awserr.Code{Code: "NotFoundException", Status: 400, Sender: true}.New("Alias arn:aws:kms:us-east-1:123456789012:alias/missing is not found.")
	}
	return kms.Key{ARN: "arn:aws:kms:us-east-1:123456789012:key/" + keyID, Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", State: "Enabled"}, nil
}

func (f *fakeKeys) GenerateDataKey(ctx *request.Context, keyID string, ec map[string]string) (kms.DataKey, error) {
	k, err := f.Key(ctx, keyID)
	if err != nil {
		return kms.DataKey{}, err
	}
	if err := f.denied("GenerateDataKey"); err != nil {
		return kms.DataKey{}, err
	}
	f.mu.Lock()
	f.ecs = append(f.ecs, ec)
	f.mu.Unlock()
	pt := make([]byte, 32)
	rand.Read(pt)
	ct, _ := json.Marshal(map[string]any{"k": pt, "ec": ec, "key": k.ARN})
	return kms.DataKey{Plaintext: pt, Ciphertext: ct, KeyARN: k.ARN}, nil
}

func (f *fakeKeys) Decrypt(ctx *request.Context, blob []byte, ec map[string]string) ([]byte, string, error) {
	if err := f.denied("Decrypt"); err != nil {
		return nil, "", err
	}
	var d struct {
		K   []byte            `json:"k"`
		EC  map[string]string `json:"ec"`
		Key string            `json:"key"`
	}
	if json.Unmarshal(blob, &d) != nil || fmt.Sprint(d.EC) != fmt.Sprint(ec) {
		return nil, "", awserr.Code{Code: "InvalidCiphertextException", Status: 400, Sender: true}.New("")
	}
	return d.K, d.Key, nil
}

func (f *fakeKeys) Encrypt(*request.Context, string, []byte, map[string]string) ([]byte, string, error) {
	return nil, "", errors.New("unused")
}

type fakeImages struct{}

func (fakeImages) Public(region string) []Image {
	t := time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC)
	return []Image{
		{ID: "ami-00000000000000001", Name: "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64", Created: t},
		{ID: "ami-00000000000000002", Name: "al2023-ami-2023.5.20240101.0-kernel-6.1-x86_64", Created: t.AddDate(0, -6, 0)},
		{ID: "ami-00000000000000003", Name: "al2023-ami-2023.6.20241121.0-kernel-6.1-arm64", Created: t},
		{ID: "ami-00000000000000004", Name: "amzn2-ami-hvm-2.0.20241113.1-x86_64-gp2", Created: t},
	}
}

func (fakeImages) Exists(ctx *request.Context, id string) (bool, error) {
	return id == "ami-00000000000000001" || id == "ami-0123456789abcdef0", nil
}

// bus records published events.
type bus struct {
	mu  sync.Mutex
	evs []events.Event
}

func (b *bus) Publish(e events.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.evs = append(b.evs, e)
}

func (b *bus) of(detailType string) []events.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []events.Event
	for _, e := range b.evs {
		if e.DetailType == detailType {
			out = append(out, e)
		}
	}
	return out
}

type fixture struct {
	*SSM
	h    *servicetest.Harness
	keys *fakeKeys
	bus  *bus
	t    *testing.T
}

func newFixture(t *testing.T) *fixture {
	h := servicetest.New(t, "ssm")
	f := &fixture{h: h, keys: &fakeKeys{deny: map[string]bool{}}, bus: &bus{}, t: t}
	f.SSM = New(h.Store(), h.Clock, Options{Keys: f.keys, Images: fakeImages{}, Bus: f.bus})
	t.Cleanup(func() { f.Close() })
	return f
}

func (f *fixture) ctx() *request.Context {
	c := f.h.Ctx()
	c.Service = "ssm"
	return c
}

func (f *fixture) put(in *ssmapi.PutParameterInput) *ssmapi.PutParameterOutput {
	f.t.Helper()
	out, err := f.PutParameter(f.ctx(), in)
	if err != nil {
		f.t.Fatalf("PutParameter %s: %v", ptr.Deref(in.Name), err)
	}
	return out
}

func (f *fixture) get(name string, decrypt bool) (*ssmapi.Parameter, error) {
	out, err := f.GetParameter(f.ctx(), &ssmapi.GetParameterInput{Name: ptr.To(name), WithDecryption: ptr.To(decrypt)})
	if err != nil {
		return nil, err
	}
	return out.Parameter, nil
}

// wantCode fails unless err is the AWS error code (and, when msg is not
// empty, its message contains msg).
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("error = %v, want %s containing %q", err, code, msg)
	}
}

func str(s string) *string { return &s }

func TestPutParameterValidation(t *testing.T) {
	long := strings.Repeat("a", 4097)
	cases := []struct {
		name string
		in   ssmapi.PutParameterInput
		code string
		msg  string
	}{
		{"reserved aws path", ssmapi.PutParameterInput{Name: str("/aws/x"), Value: str("v"), Type: str("String")}, "AccessDeniedException", "No access to reserved parameter name: /aws/x."},
		{"reserved AWS case-insensitive", ssmapi.PutParameterInput{Name: str("/AWS/x"), Value: str("v"), Type: str("String")}, "AccessDeniedException", "reserved"},
		{"reserved ssm path", ssmapi.PutParameterInput{Name: str("/ssm/x"), Value: str("v"), Type: str("String")}, "ValidationException", `can't be prefixed with "aws" or "ssm"`},
		{"reserved ssm name", ssmapi.PutParameterInput{Name: str("ssmfoo"), Value: str("v"), Type: str("String")}, "ValidationException", `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`},
		{"bad character", ssmapi.PutParameterInput{Name: str("/a b"), Value: str("v"), Type: str("String")}, "ValidationException", "3 symbols .-_"},
		{"not fully qualified", ssmapi.PutParameterInput{Name: str("a/b"), Value: str("v"), Type: str("String")}, "ValidationException", "fully qualified"},
		{"too long", ssmapi.PutParameterInput{Name: str("/" + strings.Repeat("n", 1011)), Value: str("v"), Type: str("String")}, "ValidationException", "1011"},
		{"16 levels", ssmapi.PutParameterInput{Name: str(strings.Repeat("/l", 16)), Value: str("v"), Type: str("String")}, "HierarchyLevelLimitExceededException", "maximum of 15 levels"},
		{"no type", ssmapi.PutParameterInput{Name: str("/new"), Value: str("v")}, "ValidationException", "A parameter type is required when you create a parameter."},
		{"standard too big", ssmapi.PutParameterInput{Name: str("/big"), Value: &long, Type: str("String")}, "ValidationException", "Standard tier parameters support a maximum parameter value of 4096 characters."},
		{"advanced too big", ssmapi.PutParameterInput{Name: str("/big"), Value: str(strings.Repeat("a", 8193)), Type: str("String"), Tier: str("Advanced")}, "ValidationException", "8192"},
		{"pattern mismatch", ssmapi.PutParameterInput{Name: str("/p"), Value: str("abc1"), Type: str("String"), AllowedPattern: str("^[a-z]+$")}, "ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: ^[a-z]+$"},
		{"bad pattern", ssmapi.PutParameterInput{Name: str("/p"), Value: str("abc"), Type: str("String"), AllowedPattern: str("(")}, "InvalidAllowedPatternException", ""},
		{"key on String", ssmapi.PutParameterInput{Name: str("/k"), Value: str("v"), Type: str("String"), KeyId: str("alias/x")}, "ValidationException", "KeyId is required for SecureString type parameter only."},
		{"bad data type", ssmapi.PutParameterInput{Name: str("/d"), Value: str("v"), Type: str("String"), DataType: str("Text")}, "ValidationException", "The following data type is not supported: Text (Data type names are all lowercase.)"},
		{"ami malformed", ssmapi.PutParameterInput{Name: str("/ami"), Value: str("image-1"), Type: str("String"), DataType: str("aws:ec2:image")}, "ValidationException", "ami-12345abcdeEXAMPLE"},
		{"ami missing", ssmapi.PutParameterInput{Name: str("/ami"), Value: str("ami-0000000000000dead"), Type: str("String"), DataType: str("aws:ec2:image")}, "ValidationException", "does not exist"},
		{"tags with overwrite", ssmapi.PutParameterInput{Name: str("/t"), Value: str("v"), Type: str("String"), Overwrite: ptr.To(true), Tags: []ssmapi.Tag{{Key: str("k"), Value: str("v")}}}, "ValidationException", "tags and overwrite can't be used together"},
		{"policies on standard", ssmapi.PutParameterInput{Name: str("/pol"), Value: str("v"), Type: str("String"), Policies: str(`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}}]`)}, "ValidationException", "advanced"},
		{"policy type", ssmapi.PutParameterInput{Name: str("/pol"), Value: str("v"), Type: str("String"), Tier: str("Advanced"), Policies: str(`[{"Type":"Rotate","Version":"1.0","Attributes":{}}]`)}, "InvalidPolicyTypeException", ""},
		{"policy attribute", ssmapi.PutParameterInput{Name: str("/pol"), Value: str("v"), Type: str("String"), Tier: str("Advanced"), Policies: str(`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"x","Unit":"Days"}}]`)}, "InvalidPolicyAttributeException", ""},
		{"policy past", ssmapi.PutParameterInput{Name: str("/pol"), Value: str("v"), Type: str("String"), Tier: str("Advanced"), Policies: str(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2020-01-01T00:00:00Z"}}]`)}, "InvalidPolicyAttributeException", ""},
		{"two expirations", ssmapi.PutParameterInput{Name: str("/pol"), Value: str("v"), Type: str("String"), Tier: str("Advanced"), Policies: str(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}},{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2031-01-01T00:00:00Z"}}]`)}, "IncompatiblePolicyException", ""},
		{"secure with missing key", ssmapi.PutParameterInput{Name: str("/s"), Value: str("v"), Type: str("SecureString"), KeyId: str("alias/missing")}, "InvalidKeyId", "alias/missing is not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.PutParameter(f.ctx(), &c.in)
			wantCode(t, err, c.code, c.msg)
			if _, err := f.get(ptr.Deref(c.in.Name), false); err == nil && !strings.HasPrefix(ptr.Deref(c.in.Name), "/aws/") {
				t.Fatal("a refused PutParameter stored the parameter")
			}
		})
	}
}

func TestVersionsOverwriteAndSelectors(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/app/v"), Value: str("one"), Type: str("String"), Description: str("first")})
	_, err := f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/app/v"), Value: str("two"), Type: str("String")})
	wantCode(t, err, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	out := f.put(&ssmapi.PutParameterInput{Name: str("/app/v"), Value: str("two"), Overwrite: ptr.To(true)})
	if *out.Version != 2 || *out.Tier != "Standard" {
		t.Fatalf("overwrite: %+v", out)
	}
	_, err = f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/app/v"), Value: str("x"), Type: str("StringList"), Overwrite: ptr.To(true)})
	wantCode(t, err, "HierarchyTypeMismatchException", "changing a parameter type in a hierarchy")

	for _, c := range []struct {
		ref, value, selector string
		version              int64
		code                 string
	}{
		{"/app/v", "two", "", 2, ""},
		{"/app/v:1", "one", ":1", 1, ""},
		{"/app/v:3", "", "", 0, "ParameterVersionNotFound"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/app/v", "two", "", 2, ""},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/app/v:1", "one", ":1", 1, ""},
		{"/app/none", "", "", 0, "ParameterNotFound"},
		{"/app/v:nolabel", "", "", 0, "ParameterNotFound"},
	} {
		p, err := f.get(c.ref, false)
		if c.code != "" {
			wantCode(t, err, c.code, "")
			continue
		}
		if err != nil || *p.Value != c.value || *p.Version != c.version || ptr.Deref(p.Selector) != c.selector || *p.Name != "/app/v" {
			t.Fatalf("%s: %+v %v", c.ref, p, err)
		}
	}
	// The description carries over to a version that does not set one.
	h, err := f.GetParameterHistory(f.ctx(), &ssmapi.GetParameterHistoryInput{Name: str("/app/v")})
	if err != nil || len(h.Parameters) != 2 || ptr.Deref(h.Parameters[1].Description) != "first" || *h.Parameters[0].Value != "one" {
		t.Fatalf("history: %+v %v", h, err)
	}
	if ev := f.bus.of("Parameter Store Change"); len(ev) != 2 || !bytes.Contains(ev[1].Detail, []byte(`"operation":"Update"`)) {
		t.Fatalf("change events: %+v", ev)
	}
}

func TestVersionLimit(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/lim"), Value: str("v1"), Type: str("String")})
	if _, err := f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/lim"), Labels: []string{"first"}}); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 100; i++ {
		f.put(&ssmapi.PutParameterInput{Name: str("/lim"), Value: str(fmt.Sprint("v", i)), Overwrite: ptr.To(true)})
	}
	_, err := f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/lim"), Value: str("v101"), Overwrite: ptr.To(true)})
	wantCode(t, err, "ParameterMaxVersionLimitExceeded", "Version 1, the oldest version, can't be deleted because it has a label associated with it.")
	if _, err := f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/lim"), ParameterVersion: ptr.To(int64(50)), Labels: []string{"first"}}); err != nil {
		t.Fatal(err)
	}
	if out := f.put(&ssmapi.PutParameterInput{Name: str("/lim"), Value: str("v101"), Overwrite: ptr.To(true)}); *out.Version != 101 {
		t.Fatalf("version %d", *out.Version)
	}
	_, err = f.get("/lim:1", false)
	wantCode(t, err, "ParameterVersionNotFound", "could not find version 1 of /lim")
	if p, err := f.get("/lim:first", false); err != nil || *p.Version != 50 {
		t.Fatalf("label moved: %+v %v", p, err)
	}
	var n int
	var token *string
	for {
		h, err := f.GetParameterHistory(f.ctx(), &ssmapi.GetParameterHistoryInput{Name: str("/lim"), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(h.Parameters)
		if token = h.NextToken; token == nil {
			break
		}
	}
	if n != 100 {
		t.Fatalf("history holds %d versions, want 100", n)
	}
}

func TestLabels(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/l"), Value: str("a"), Type: str("String")})
	f.put(&ssmapi.PutParameterInput{Name: str("/l"), Value: str("b"), Overwrite: ptr.To(true)})
	out, err := f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/l"), ParameterVersion: ptr.To(int64(1)),
		Labels: []string{"prod", "awsy", "ssmx", "1st", "has/slash", "ok_label.v-1", strings.Repeat("x", 101)}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out.InvalidLabels) != fmt.Sprint([]string{"awsy", "ssmx", "1st", "has/slash", strings.Repeat("x", 101)}) || *out.ParameterVersion != 1 {
		t.Fatalf("label: %+v", out)
	}
	if p, _ := f.get("/l:prod", false); *p.Value != "a" || *p.Selector != ":prod" {
		t.Fatalf("label selector: %+v", p)
	}
	// Moving a label to another version.
	if _, err := f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/l"), Labels: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.get("/l:prod", false); *p.Value != "b" {
		t.Fatalf("label did not move: %+v", p)
	}
	_, err = f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/l"), ParameterVersion: ptr.To(int64(9)), Labels: []string{"x"}})
	wantCode(t, err, "ParameterVersionNotFound", "")
	var many []string
	for i := 0; i < 10; i++ {
		many = append(many, fmt.Sprint("l", i))
	}
	_, err = f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/l"), Labels: many})
	wantCode(t, err, "ParameterVersionLabelLimitExceeded", "maximum 10 labels")
	un, err := f.UnlabelParameterVersion(f.ctx(), &ssmapi.UnlabelParameterVersionInput{Name: str("/l"), ParameterVersion: ptr.To(int64(2)), Labels: []string{"prod", "nope"}})
	if err != nil || fmt.Sprint(un.RemovedLabels) != "[prod]" || fmt.Sprint(un.InvalidLabels) != "[nope]" {
		t.Fatalf("unlabel: %+v %v", un, err)
	}
	_, err = f.get("/l:prod", false)
	wantCode(t, err, "ParameterNotFound", "")
}

func TestSecureString(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/sec/pw"), Value: str("hunter2"), Type: str("SecureString")})
	p, err := f.get("/sec/pw", true)
	if err != nil || *p.Value != "hunter2" {
		t.Fatalf("decrypted: %+v %v", p, err)
	}
	enc, _ := f.get("/sec/pw", false)
	if *enc.Value == "hunter2" || strings.Contains(*enc.Value, "hunter2") {
		t.Fatalf("value without decryption: %q", *enc.Value)
	}
	// At rest, the stored record holds no plaintext.
	raw := rawStore(t, f)
	if bytes.Contains(raw, []byte("hunter2")) {
		t.Fatal("plaintext stored at rest")
	}
	if ec := f.keys.ecs[0]; ec["PARAMETER_ARN"] != "arn:aws:ssm:us-east-1:123456789012:parameter/sec/pw" {
		t.Fatalf("encryption context %v", ec)
	}
	d, _ := f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{})
	if len(d.Parameters) != 1 || ptr.Deref(d.Parameters[0].KeyId) != "alias/aws/ssm" {
		t.Fatalf("describe: %+v", d.Parameters)
	}
	f.keys.deny["Decrypt"] = true
	_, err = f.get("/sec/pw", true)
	wantCode(t, err, "AccessDeniedException", "kms:Decrypt")
	if p, err := f.get("/sec/pw", false); err != nil || *p.Value != *enc.Value {
		t.Fatalf("without decryption the caller needs no kms:Decrypt: %v", err)
	}
	gp, err := f.GetParameters(f.ctx(), &ssmapi.GetParametersInput{Names: []string{"/sec/pw"}, WithDecryption: ptr.To(true)})
	wantCode(t, err, "AccessDeniedException", "")
	_ = gp
	f.keys.deny["GenerateDataKey"] = true
	_, err = f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/sec/pw"), Value: str("new"), Overwrite: ptr.To(true)})
	wantCode(t, err, "AccessDeniedException", "")
	if h, _ := f.GetParameterHistory(f.ctx(), &ssmapi.GetParameterHistoryInput{Name: str("/sec/pw")}); len(h.Parameters) != 1 {
		t.Fatal("a refused overwrite made a version")
	}
}

func rawStore(t *testing.T, f *fixture) []byte {
	var all []byte
	if err := f.store.View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			all = append(append(all, k...), v...)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	return all
}

type storageTx = storage.Tx

var (
	scopeNone = storage.Scope{}
	listFirst = storage.ListOptions{Limit: 1}
)

// TestStorageErrors: when storage fails, handlers answer the failure,
// never "not found" or an empty listing.
func TestStorageErrors(t *testing.T) {
	h := servicetest.New(t, "ssm")
	st := servicetest.NewFaulty(h.Store())
	s := New(st, h.Clock, Options{Keys: &fakeKeys{deny: map[string]bool{}}})
	defer s.Close()
	ctx := h.Ctx()
	if _, err := s.PutParameter(ctx, &ssmapi.PutParameterInput{Name: str("/f"), Value: str("v"), Type: str("String")}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	st.Fail(boom)
	calls := map[string]func() error{
		"GetParameter": func() error { _, err := s.GetParameter(ctx, &ssmapi.GetParameterInput{Name: str("/f")}); return err },
		"GetParameters": func() error {
			_, err := s.GetParameters(ctx, &ssmapi.GetParametersInput{Names: []string{"/f"}})
			return err
		},
		"GetParametersByPath": func() error {
			_, err := s.GetParametersByPath(ctx, &ssmapi.GetParametersByPathInput{Path: str("/")})
			return err
		},
		"DescribeParameters": func() error { _, err := s.DescribeParameters(ctx, &ssmapi.DescribeParametersInput{}); return err },
		"PutParameter": func() error {
			_, err := s.PutParameter(ctx, &ssmapi.PutParameterInput{Name: str("/g"), Value: str("v"), Type: str("String")})
			return err
		},
		"DeleteParameter": func() error {
			_, err := s.DeleteParameter(ctx, &ssmapi.DeleteParameterInput{Name: str("/f")})
			return err
		},
		"GetParameterHistory": func() error {
			_, err := s.GetParameterHistory(ctx, &ssmapi.GetParameterHistoryInput{Name: str("/f")})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, boom) {
			t.Errorf("%s: %v, want the storage error", name, err)
		}
	}
	st.Fail(nil)
	if p, err := s.GetParameter(ctx, &ssmapi.GetParameterInput{Name: str("/f")}); err != nil || *p.Parameter.Value != "v" {
		t.Fatalf("after the fault: %v %v", p, err)
	}
}
