// Package kms holds the end-to-end tests of KMS: keys and aliases,
// encryption with encryption context, signatures checked by openssl
// against GetPublicKey, MACs, and authorization by key policies and
// grants, driven by the aws CLI (v1 and v2), boto3 and aws-sdk-go-v2.
// The harness is e2e/framework.
package kms

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
