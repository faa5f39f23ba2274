package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestLayerVersionPermissions covers AddLayerVersionPermission,
// GetLayerVersionPolicy and RemoveLayerVersionPermission, and that another
// account reads a layer version (GetLayerVersionByArn, a function's
// Layers) only while a statement grants it.
func TestLayerVersionPermissions(t *testing.T) {
	f := newFixture(t)
	pub, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("shared"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"python/x.py": "X=1"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := *pub.LayerVersionArn
	const other = "111122223333"
	otherCtx := f.h.CtxAs(servicetest.Root(other))

	// Another account is refused before any grant.
	if _, err := f.l.GetLayerVersionByArn(otherCtx, &lambdaapi.GetLayerVersionByArnRequest{Arn: ptr.To(arn)}); code(err) != "AccessDeniedException" || awserr.As(err).Code.Status != 403 {
		t.Fatalf("before grant: %v", err)
	}
	if _, err := f.l.GetLayerVersionPolicy(f.ctx(), &lambdaapi.GetLayerVersionPolicyRequest{LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1))}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("policy before grant: %v", err)
	}

	for _, c := range []struct {
		name string
		in   lambdaapi.AddLayerVersionPermissionRequest
		want string
	}{
		{"wrong action", lambdaapi.AddLayerVersionPermissionRequest{StatementId: ptr.To("a"), Action: ptr.To("lambda:InvokeFunction"), Principal: ptr.To(other)}, "InvalidParameterValueException"},
		{"bad principal", lambdaapi.AddLayerVersionPermissionRequest{StatementId: ptr.To("a"), Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To("bob")}, "InvalidParameterValueException"},
		{"org needs star", lambdaapi.AddLayerVersionPermissionRequest{StatementId: ptr.To("a"), Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To(other), OrganizationId: ptr.To("o-abcdefghij")}, "InvalidParameterValueException"},
		{"no such version", lambdaapi.AddLayerVersionPermissionRequest{VersionNumber: ptr.To(int64(9)), StatementId: ptr.To("a"), Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To(other)}, "ResourceNotFoundException"},
	} {
		in := c.in
		in.LayerName = ptr.To("shared")
		if in.VersionNumber == nil {
			in.VersionNumber = ptr.To(int64(1))
		}
		if _, err := f.l.AddLayerVersionPermission(f.ctx(), &in); code(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}

	add, err := f.l.AddLayerVersionPermission(f.ctx(), &lambdaapi.AddLayerVersionPermissionRequest{
		LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1)), StatementId: ptr.To("xaccount"),
		Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To(other),
	})
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(*add.Statement), &st); err != nil {
		t.Fatal(err)
	}
	if p, _ := st["Principal"].(map[string]any); p["AWS"] != "arn:aws:iam::"+other+":root" || st["Resource"] != arn {
		t.Errorf("statement = %s", *add.Statement)
	}
	if _, err := f.l.AddLayerVersionPermission(f.ctx(), &lambdaapi.AddLayerVersionPermissionRequest{
		LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1)), StatementId: ptr.To("xaccount"),
		Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To("*"),
	}); code(err) != "ResourceConflictException" {
		t.Errorf("duplicate sid: %v", err)
	}
	pol, err := f.l.GetLayerVersionPolicy(f.ctx(), &lambdaapi.GetLayerVersionPolicyRequest{LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1))})
	if err != nil || *pol.RevisionId != *add.RevisionId {
		t.Fatalf("GetLayerVersionPolicy: %v %+v", err, pol)
	}
	// LayerName is "the name or Amazon Resource Name (ARN) of the layer".
	layerARN := strings.TrimSuffix(arn, ":1")
	if pol, err := f.l.GetLayerVersionPolicy(f.ctx(), &lambdaapi.GetLayerVersionPolicyRequest{LayerName: ptr.To(layerARN), VersionNumber: ptr.To(int64(1))}); err != nil || *pol.RevisionId != *add.RevisionId {
		t.Fatalf("GetLayerVersionPolicy by layer ARN %s: %v %+v", layerARN, err, pol)
	}
	if v, err := f.l.GetLayerVersion(f.ctx(), &lambdaapi.GetLayerVersionRequest{LayerName: ptr.To(layerARN), VersionNumber: ptr.To(int64(1))}); err != nil || ptr.Deref(v.LayerVersionArn) != arn {
		t.Fatalf("GetLayerVersion by layer ARN: %v %+v", err, v)
	}

	// Granted: the other account reads it and can build a function on it.
	if _, err := f.l.GetLayerVersionByArn(otherCtx, &lambdaapi.GetLayerVersionByArnRequest{Arn: ptr.To(arn)}); err != nil {
		t.Fatalf("after grant: %v", err)
	}
	if _, err := f.l.resolveLayers(otherCtx, []string{arn}); err != nil {
		t.Fatalf("function layers after grant: %v", err)
	}
	// A third account is still refused.
	if _, err := f.l.resolveLayers(f.h.CtxAs(servicetest.Root("444455556666")), []string{arn}); code(err) != "AccessDeniedException" {
		t.Fatalf("third account: %v", err)
	}

	if _, err := f.l.RemoveLayerVersionPermission(f.ctx(), &lambdaapi.RemoveLayerVersionPermissionRequest{
		LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1)), StatementId: ptr.To("nope"),
	}); code(err) != "ResourceNotFoundException" {
		t.Errorf("remove unknown sid: %v", err)
	}
	if _, err := f.l.RemoveLayerVersionPermission(f.ctx(), &lambdaapi.RemoveLayerVersionPermissionRequest{
		LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1)), StatementId: ptr.To("xaccount"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.GetLayerVersionByArn(otherCtx, &lambdaapi.GetLayerVersionByArnRequest{Arn: ptr.To(arn)}); code(err) != "AccessDeniedException" {
		t.Fatalf("after removal: %v", err)
	}
	// The owner always reads its own layer.
	if _, err := f.l.GetLayerVersionByArn(f.ctx(), &lambdaapi.GetLayerVersionByArnRequest{Arn: ptr.To(arn)}); err != nil {
		t.Fatal(err)
	}
}

// TestLayerPolicyGoesWithVersion: deleting a layer version drops its
// permissions.
func TestLayerPolicyGoesWithVersion(t *testing.T) {
	f := newFixture(t)
	if _, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("l"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"a": "b"})},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.AddLayerVersionPermission(f.ctx(), &lambdaapi.AddLayerVersionPermissionRequest{
		LayerName: ptr.To("l"), VersionNumber: ptr.To(int64(1)), StatementId: ptr.To("all"),
		Action: ptr.To("lambda:GetLayerVersion"), Principal: ptr.To("*"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.DeleteLayerVersion(f.ctx(), &lambdaapi.DeleteLayerVersionRequest{LayerName: ptr.To("l"), VersionNumber: ptr.To(int64(1))}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.l.layerPolicy(scope(f.ctx()), "l", 1); err != nil || ok {
		t.Fatalf("policy survived deletion: ok=%v err=%v", ok, err)
	}
}

// objectsOf is S3 holding one object per "bucket/key".
type objectsOf map[string][]byte

func (o objectsOf) OpenObject(_ context.Context, bucket, key, _ string) (io.ReadCloser, int64, error) {
	b, ok := o[bucket+"/"+key]
	if !ok {
		return nil, 0, awserr.Code{Code: "NoSuchKey", Status: 404, Sender: true}.New("The specified key does not exist.")
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

// TestPublishLayerFromS3 reads layer content from an S3 object, and words
// a missing object as AWS does.
func TestPublishLayerFromS3(t *testing.T) {
	f := newFixture(t)
	zipped := zipOf(t, map[string]string{"python/lib.py": "V=2"})
	f.l.SetObjectSource(objectsOf{"b/layer.zip": zipped})
	out, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("froms3"), Content: &lambdaapi.LayerVersionContentInput{S3Bucket: ptr.To("b"), S3Key: ptr.To("layer.zip")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Content.CodeSize != int64(len(zipped)) {
		t.Errorf("CodeSize = %d, want %d", *out.Content.CodeSize, len(zipped))
	}
	_, err = f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("froms3"), Content: &lambdaapi.LayerVersionContentInput{S3Bucket: ptr.To("b"), S3Key: ptr.To("missing.zip")},
	})
	if code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), "S3 Error Code: NoSuchKey") {
		t.Errorf("missing object: %v", err)
	}
}

// TestLayerReferences: a function's Layers are checked as AWS checks
// them — at most five, each an existing layer version.
func TestLayerReferences(t *testing.T) {
	f := newFixture(t)
	pub, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("refs"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"python/x.py": "X=1"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := *pub.LayerVersionArn
	if _, err := f.l.resolveLayers(f.ctx(), []string{arn}); err != nil {
		t.Fatalf("an existing version: %v", err)
	}
	for _, c := range []struct {
		name   string
		layers []string
		msg    string
	}{
		{"six layers", []string{arn, arn, arn, arn, arn, arn}, "Cannot reference more than 5 layers."},
		{"no such version", []string{strings.TrimSuffix(arn, ":1") + ":7"}, "Layer version " + strings.TrimSuffix(arn, ":1") + ":7 does not exist."},
		{"not a layer version ARN", []string{"refs"}, "Layer version refs does not exist."},
	} {
		_, err := f.l.resolveLayers(f.ctx(), c.layers)
		if code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want InvalidParameterValueException %q", c.name, err, c.msg)
		}
	}
	if _, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{LayerName: ptr.To("refs")}); code(err) != "InvalidParameterValueException" {
		t.Errorf("no content: %v", err)
	}
}
