package s3

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestBucketWritesMoveTheGeneration holds the package to bucketCache's
// rule: every write of a bucket record (buckets.Put, buckets.Delete) is
// made inside a function given to updateBuckets, which moves the cache's
// generation, so that no request reads a bucket as it was before a
// change that has been answered.
func TestBucketWritesMoveTheGeneration(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	writes := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The spans of the functions handed to updateBuckets.
		var inside [][2]token.Pos
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "updateBuckets" {
				for _, a := range call.Args {
					if fl, ok := a.(*ast.FuncLit); ok {
						inside = append(inside, [2]token.Pos{fl.Pos(), fl.End()})
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "buckets" {
				return true
			}
			switch sel.Sel.Name {
			case "Put", "Delete", "DeleteExisting":
			default:
				return true
			}
			writes++
			for _, in := range inside {
				if sel.Pos() >= in[0] && sel.End() <= in[1] {
					return true
				}
			}
			t.Errorf("%s: buckets.%s outside updateBuckets: the bucket cache would not see it", fset.Position(sel.Pos()), sel.Sel.Name)
			return true
		})
	}
	if writes == 0 {
		t.Fatal("found no bucket writes: the check reads nothing")
	}
}

// TestBucketCacheSeesChanges: each change to a bucket's configuration
// is what the very next request reads, though every request before it
// read the bucket through the cache: versioning, encryption, Block
// Public Access, the bucket policy, notifications, and the bucket's
// creation, deletion and the reset of all state.
func TestBucketCacheSeesChanges(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	const b = "cached-bucket"
	// A bucket asked for before it exists is cached as missing.
	if _, err := f.s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr.To(b)}); codeOf(err) != "NoSuchBucket" {
		t.Fatalf("before CreateBucket: %v", err)
	}
	f.bucket(t, b)
	if _, err := f.s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr.To(b)}); err != nil {
		t.Fatalf("after CreateBucket: %v", err)
	}

	t.Run("versioning", func(t *testing.T) {
		v, err := f.s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: ptr.To(b)})
		if err != nil || v.Status != nil {
			t.Fatalf("before: %+v %v", v, err)
		}
		if _, err := f.s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr.To(b),
			VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}}); err != nil {
			t.Fatal(err)
		}
		v, err = f.s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: ptr.To(b)})
		if err != nil || ptr.Deref(v.Status) != "Enabled" {
			t.Fatalf("after: %+v %v", v, err)
		}
	})

	t.Run("encryption", func(t *testing.T) {
		get := func() string {
			out, err := f.s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr.To(b)})
			if err != nil {
				t.Fatal(err)
			}
			return ptr.Deref(out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
		}
		if got := get(); got != "AES256" {
			t.Fatalf("default: %q", got)
		}
		if _, err := f.s.PutBucketEncryption(ctx, &s3api.PutBucketEncryptionInput{Bucket: ptr.To(b),
			ServerSideEncryptionConfiguration: &s3api.ServerSideEncryptionConfiguration{Rules: []s3api.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3api.ServerSideEncryptionByDefault{SSEAlgorithm: ptr.To("aws:kms")}}}}}); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != "aws:kms" {
			t.Fatalf("after PutBucketEncryption: %q", got)
		}
	})

	t.Run("public access block", func(t *testing.T) {
		get := func() bool {
			out, err := f.s.GetPublicAccessBlock(ctx, &s3api.GetPublicAccessBlockInput{Bucket: ptr.To(b)})
			if err != nil {
				t.Fatal(err)
			}
			return ptr.Deref(out.PublicAccessBlockConfiguration.BlockPublicPolicy)
		}
		if !get() {
			t.Fatal("a new bucket blocks public policies")
		}
		if _, err := f.s.PutPublicAccessBlock(ctx, &s3api.PutPublicAccessBlockInput{Bucket: ptr.To(b),
			PublicAccessBlockConfiguration: &s3api.PublicAccessBlockConfiguration{BlockPublicPolicy: ptr.To(false)}}); err != nil {
			t.Fatal(err)
		}
		if get() {
			t.Fatal("after PutPublicAccessBlock: still blocking public policies")
		}
	})

	t.Run("policy", func(t *testing.T) {
		arn := "arn:aws:s3:::" + b + "/k"
		if doc, owner, found, err := f.s.ResourcePolicy(context.Background(), arn); err != nil || !found || doc != "" || owner != testAccount {
			t.Fatalf("before: %q %q %v %v", doc, owner, found, err)
		}
		pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`
		if _, err := f.s.PutBucketPolicy(ctx, &s3api.PutBucketPolicyInput{Bucket: ptr.To(b), Policy: ptr.To(pol)}); err != nil {
			t.Fatal(err)
		}
		if doc, _, _, err := f.s.ResourcePolicy(context.Background(), arn); err != nil || doc != pol {
			t.Fatalf("after PutBucketPolicy: %q %v", doc, err)
		}
		if _, err := f.s.DeleteBucketPolicy(ctx, &s3api.DeleteBucketPolicyInput{Bucket: ptr.To(b)}); err != nil {
			t.Fatal(err)
		}
		if doc, _, _, err := f.s.ResourcePolicy(context.Background(), arn); err != nil || doc != "" {
			t.Fatalf("after DeleteBucketPolicy: %q %v", doc, err)
		}
	})

	t.Run("notification", func(t *testing.T) {
		var mu sync.Mutex
		var got []events.Message
		f.bus.Handle("sqs", events.HandlerFunc(func(ctx context.Context, m events.Message) error {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
			return nil
		}))
		f.put(t, b, "before.txt", "x")
		cfg := &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{{
			QueueArn: ptr.To("arn:aws:sqs:ap-northeast-1:000000000000:q"), Events: []string{"s3:ObjectCreated:*"}}}}
		if _, err := f.s.PutBucketNotificationConfiguration(ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr.To(b), NotificationConfiguration: cfg}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(got) // the validation message and the test event
		mu.Unlock()
		f.put(t, b, "after.txt", "x")
		mu.Lock()
		defer mu.Unlock()
		if len(got) != n+1 || !strings.Contains(got[n].Body, `"key":"after.txt"`) {
			t.Fatalf("the PUT after PutBucketNotificationConfiguration sent %d events: %+v", len(got)-n, got[n:])
		}
	})

	t.Run("deletion and reset", func(t *testing.T) {
		const gone = "deleted-bucket"
		f.bucket(t, gone)
		if _, err := f.s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr.To(gone)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: ptr.To(gone)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr.To(gone)}); codeOf(err) != "NoSuchBucket" {
			t.Fatalf("after DeleteBucket: %v", err)
		}
		if err := f.h.Backend.Reset(); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Declare().Reset(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr.To(b)}); codeOf(err) != "NoSuchBucket" {
			t.Fatalf("after a reset: %v", err)
		}
	})
}

// TestObjectCacheSeesWrites: GET and HEAD read an object's record
// through the object decode cache; an overwrite (new body, ETag and
// metadata), a tagging change and a delete are each what the very next
// read answers, and what one read was given is not changed by the next.
func TestObjectCacheSeesWrites(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	f.bucket(t, "objcache")
	in := func() *s3api.GetObjectInput {
		return &s3api.GetObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k")}
	}
	if _, err := f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k"),
		Body: strings.NewReader("one"), Metadata: map[string]string{"v": "1"}}); err != nil {
		t.Fatal(err)
	}
	body, first := f.get(t, in())
	if body != "one" || first.Metadata["v"] != "1" {
		t.Fatalf("first: %q %v", body, first.Metadata)
	}
	firstETag := ptr.Deref(first.ETag)
	if _, err := f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k"),
		Body: strings.NewReader("second"), Metadata: map[string]string{"v": "2"}}); err != nil {
		t.Fatal(err)
	}
	body, second := f.get(t, in())
	if body != "second" || second.Metadata["v"] != "2" || ptr.Deref(second.ETag) == firstETag || ptr.Deref(second.ContentLength) != 6 {
		t.Fatalf("after the overwrite: %q %v %s %d", body, second.Metadata, ptr.Deref(second.ETag), ptr.Deref(second.ContentLength))
	}
	if first.Metadata["v"] != "1" || ptr.Deref(first.ETag) != firstETag {
		t.Fatalf("the first answer changed: %v %s", first.Metadata, ptr.Deref(first.ETag))
	}
	if _, err := f.s.PutObjectTagging(ctx, &s3api.PutObjectTaggingInput{Bucket: ptr.To("objcache"), Key: ptr.To("k"),
		Tagging: &s3api.Tagging{TagSet: []s3api.Tag{{Key: ptr.To("a"), Value: ptr.To("b")}}}}); err != nil {
		t.Fatal(err)
	}
	head, err := f.s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k")})
	if err != nil || ptr.Deref(head.TagCount) != 1 {
		t.Fatalf("HEAD after PutObjectTagging: %v %v", head, err)
	}
	if _, out := f.get(t, in()); ptr.Deref(out.TagCount) != 1 {
		t.Fatalf("after PutObjectTagging: tag count %v", out.TagCount)
	}
	if _, err := f.s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr.To("objcache"), Key: ptr.To("k")}); codeOf(err) != "NoSuchKey" {
		t.Fatalf("after DeleteObject: %v", err)
	}
}

// TestBucketCacheConcurrent: readers of a bucket's policy while it is
// rewritten see one of the policies written, and once the writes are
// answered, the last.
func TestBucketCacheConcurrent(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "busy")
	policy := func(i int) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"s` + string(rune('a'+i)) + `","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::busy/*"}]}`
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				doc, _, found, err := f.s.ResourcePolicy(context.Background(), "arn:aws:s3:::busy")
				if err != nil || !found || doc != "" && !strings.Contains(doc, `"Sid":"s`) {
					t.Errorf("read %q %v %v", doc, found, err)
					return
				}
			}
		}()
	}
	for i := range 10 {
		if _, err := f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To("busy"), Policy: ptr.To(policy(i))}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if doc, _, _, err := f.s.ResourcePolicy(context.Background(), "arn:aws:s3:::busy"); err != nil || doc != policy(9) {
		t.Fatalf("after the writes: %q %v", doc, err)
	}
}

// TestBucketLookupAllocations: a read of a bucket no write has changed
// since it was cached is a map lookup (no transaction, no copy).
func TestBucketLookupAllocations(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "quiet")
	if _, ok, err := f.s.lookupBucket("quiet"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, ok, err := f.s.lookupBucket("quiet"); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}); n != 0 {
		t.Fatalf("a cached bucket's read allocates %v times", n)
	}
}
