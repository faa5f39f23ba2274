package model

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad loads the models the generator embeds (trimmed
// api-2.json, internal/api/<service>/model.json): what a service's first
// request pays, STS's being on the path to niwa's first answer.
func BenchmarkLoad(b *testing.B) {
	for _, svc := range []string{"sts", "iam", "s3", "dynamodb", "ec2"} {
		data, err := os.ReadFile(filepath.Join("..", "api", svc, "model.json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(svc, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
