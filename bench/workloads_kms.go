package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// kmsWorkloads: Encrypt of a 1 KiB plaintext under a symmetric key
// (SYMMETRIC_DEFAULT, the default key spec) made in setup — the call an
// application's envelope encryption or a service's server-side
// encryption makes per object.
func kmsWorkloads() []workload {
	var keys perServer[string]
	plaintext := bytes.Repeat([]byte("k"), 1024)
	return []workload{
		{name: "KMS Encrypt 1KiB", setup: func(ctx context.Context, cfg aws.Config) error {
			out, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("bench")})
			if err != nil {
				return err
			}
			keys.set(cfg, aws.ToString(out.KeyMetadata.KeyId))
			return nil
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			out, err := kms.NewFromConfig(cfg).Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keys.get(cfg)), Plaintext: plaintext})
			if err == nil && len(out.CiphertextBlob) <= len(plaintext) {
				err = fmt.Errorf("ciphertext of %d bytes for a %d-byte plaintext", len(out.CiphertextBlob), len(plaintext))
			}
			return err
		}},
	}
}
