package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsFresh fails when internal/api differs from what the
// generator writes now: run `go generate ./internal/api` and commit.
func TestGeneratedCodeIsFresh(t *testing.T) {
	dir, err := sdkModels()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services() {
		files, err := generate(dir, s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join("..", "api", s.Name, name))
			if err != nil {
				t.Errorf("%s/%s: %v (run go generate ./internal/api)", s.Name, name, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("internal/api/%s/%s is stale: run go generate ./internal/api", s.Name, name)
			}
		}
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"Bucket": "Bucket", "requestId": "RequestId", "x-amz-meta": "XAmzMeta", "3dModel": "X3dModel",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAllShapesIsFresh: internal/codegen/allshapes lists the structure types
// the generator writes now.
func TestAllShapesIsFresh(t *testing.T) {
	dir, err := sdkModels()
	if err != nil {
		t.Fatal(err)
	}
	want, err := allShapesFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("allshapes", "shapes.go"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("internal/codegen/allshapes/shapes.go is stale (%v): run go generate ./internal/api", err)
	}
}
