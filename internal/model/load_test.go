package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/niwa-cloud/niwa/internal/sdkmodels"
)

func sdkModels(t testing.TB) string {
	t.Helper()
	dir, err := sdkmodels.Dir()
	if err != nil {
		t.Fatalf("locating aws-sdk-go's models: %v", err)
	}
	return dir
}

func TestLoadRealModels(t *testing.T) {
	dir := sdkModels(t)
	for _, svc := range []string{"sts", "iam", "s3", "sqs", "ec2", "dynamodb", "route53", "lambda"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "apis", svc, "*", "api-2.json"))
		if len(matches) == 0 {
			t.Fatalf("no model for %s", svc)
		}
		data, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		full, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		trimmed, err := Trim(data)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Load(trimmed)
		if err != nil {
			t.Fatalf("%s trimmed: %v", svc, err)
		}
		if len(full.Operations) != len(again.Operations) || len(full.Shapes) != len(again.Shapes) {
			t.Fatalf("%s: trim lost operations or shapes", svc)
		}
		for name, op := range full.Operations {
			if op.Service != full {
				t.Fatalf("%s.%s: Service is not the owning model", svc, name)
			}
		}
		if !reflect.DeepEqual(full.Metadata, again.Metadata) {
			t.Fatalf("%s: metadata differs", svc)
		}
		// Member order must survive: XML encodes in model order.
		for name, sh := range full.Shapes {
			o := again.Shapes[name]
			for i, m := range sh.Members {
				if o.Members[i].Name != m.Name {
					t.Fatalf("%s.%s member %d: %s != %s", svc, name, i, o.Members[i].Name, m.Name)
				}
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "apis/sqs/2012-11-05/api-2.json"))
	sqs, _ := Load(data)
	if !sqs.Metadata.AWSQueryCompatible {
		t.Fatal("sqs is awsQueryCompatible")
	}
	s3data, _ := os.ReadFile(filepath.Join(dir, "apis/s3/2006-03-01/api-2.json"))
	s3, _ := Load(s3data)
	put := s3.Operations["PutObject"]
	if u := put.URI(); len(u.Segments) != 2 || !u.Segments[1].Greedy || u.Segments[1].Label != "Key" {
		t.Fatalf("PutObject uri parsed as %+v", u)
	}
	if body, _ := put.Input.Shape.MemberByName("Body"); body == nil || !body.IsStreaming() {
		t.Fatal("PutObject Body should be streaming")
	}
}

func TestLoadProtocolTestShapes(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sdkModels(t), "protocol_tests", "*", "*.json"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var suites []struct {
			Metadata json.RawMessage `json:"metadata"`
			Shapes   json.RawMessage `json:"shapes"`
		}
		if err := json.Unmarshal(data, &suites); err != nil {
			t.Fatal(err)
		}
		for _, s := range suites {
			doc := `{"metadata":` + string(s.Metadata) + `,"shapes":` + string(s.Shapes) + `,"operations":{}}`
			if _, err := Load([]byte(doc)); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
}

func TestParseURITemplate(t *testing.T) {
	cases := []struct {
		in       string
		segs     int
		query    int
		greedyAt int
	}{
		{"/", 0, 0, -1},
		{"/{Bucket}?list-type=2", 1, 1, -1},
		{"/{Bucket}/{Key+}?uploads", 2, 1, 1},
		{"/2015-03-31/functions/{FunctionName}/invocations", 4, 0, -1},
	}
	for _, c := range cases {
		u, err := ParseURITemplate(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Segments) != c.segs || len(u.Query) != c.query {
			t.Errorf("%s: %+v", c.in, u)
		}
		for i, s := range u.Segments {
			if s.Greedy != (i == c.greedyAt) {
				t.Errorf("%s: greedy at %d", c.in, i)
			}
		}
	}
	if u, _ := ParseURITemplate("/{Bucket}?list-type=2"); u.Query[0].Key != "list-type" || u.Query[0].Value != "2" {
		t.Errorf("query literal: %+v", u.Query)
	}
}

// A loaded model lives as long as niwa and every collection marks it:
// Load lays it out in few objects (refs, shapes and operations in arrays,
// strings interned in slabs, no name map for small structures). EC2's
// model was ~40 000 live objects laid out one by one.
func TestLoadedModelObjects(t *testing.T) {
	matches, _ := filepath.Glob(filepath.Join(sdkModels(t), "apis", "ec2", "*", "api-2.json"))
	if len(matches) == 0 {
		t.Fatal("no model for ec2")
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	objects := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapObjects
	}
	before := objects()
	svc, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	live := int64(objects()) - int64(before)
	runtime.KeepAlive(svc)
	t.Logf("ec2: %d shapes, %d operations, %d live objects", len(svc.Shapes), len(svc.Operations), live)
	if live > 3000 {
		t.Errorf("EC2's loaded model is %d live objects, want at most 3000 (the race detector, which turns off the tiny allocator, makes ~1300)", live)
	}
}

// MemberByName finds every member of every structure, whether the shape
// keeps a name map (more than 8 members) or is scanned, and
// PayloadMember finds the payload member through it.
func TestMemberByName(t *testing.T) {
	for _, svc := range []string{"ec2", "s3"} {
		matches, _ := filepath.Glob(filepath.Join(sdkModels(t), "apis", svc, "*", "api-2.json"))
		data, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(data)
		if err != nil {
			t.Fatal(err)
		}
		small, large := 0, 0
		for name, sh := range m.Shapes {
			if sh.Name != name {
				t.Fatalf("%s: shape %q is named %q", svc, name, sh.Name)
			}
			if len(sh.Members) > linearMembers {
				large++
			} else if len(sh.Members) > 0 {
				small++
			}
			for i, mem := range sh.Members {
				got, ok := sh.MemberByName(mem.Name)
				if !ok || got != sh.Members[i] {
					t.Fatalf("%s.%s: MemberByName(%q) = %v, %v", svc, name, mem.Name, got, ok)
				}
			}
			if got, ok := sh.MemberByName("NoSuchMember"); ok {
				t.Fatalf("%s.%s: found %v for an unknown name", svc, name, got)
			}
			if sh.Payload != "" {
				if p := sh.PayloadMember(); p == nil || p.Name != sh.Payload {
					t.Fatalf("%s.%s: payload member %v, want %s", svc, name, p, sh.Payload)
				}
			}
		}
		if small == 0 || large == 0 {
			t.Fatalf("%s: %d small and %d large structures, want both", svc, small, large)
		}
	}
}
