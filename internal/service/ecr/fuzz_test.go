package ecr

import (
	"testing"
	"time"
)

// FuzzLifecyclePolicy: any text is a policy or ECR's refusal, and a
// policy accepted evaluates without panicking.
func FuzzLifecyclePolicy(f *testing.F) {
	f.Add(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["v*"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`)
	f.Add(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`)
	f.Add(`{"rules":[{}]}`)
	f.Add(`{"rules":null}`)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := parseLifecycle(text)
		if err != nil {
			return
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		imgs := []imageRecord{{Digest: "a", Tags: []string{"v1"}, PushedAt: now.Add(-48 * time.Hour)}, {Digest: "b", PushedAt: now}}
		for _, r := range p.evaluate(imgs, now) {
			if r.Digest != "a" && r.Digest != "b" {
				t.Fatalf("unknown image %q expired", r.Digest)
			}
		}
	})
}

// FuzzManifest: any manifest text is read or refused with an AWS error.
func FuzzManifest(f *testing.F) {
	f.Add(manifestOf("sha256:"+string(make([]byte, 0))), "")
	f.Add(`{"schemaVersion":2,"manifests":[{"digest":"sha256:x"}]}`, mediaOCIIndex)
	f.Add(`{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:x"}]}`, "")
	f.Add(`[]`, "text/plain")
	f.Fuzz(func(t *testing.T, text, mediaType string) {
		m, mt, err := parseManifest(text, mediaType)
		if err != nil {
			return
		}
		if mt == "" {
			t.Fatal("accepted manifest without a media type")
		}
		_ = m.blobDigests()
		_ = m.size()
	})
}
