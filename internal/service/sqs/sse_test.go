package sqs

import (
	"crypto/rand"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// countingKeys is a KMS that counts the data keys it makes; a data key's
// "encryption" is the key itself reversed, enough to round-trip.
type countingKeys struct {
	generated, decrypted int
}

func (k *countingKeys) Key(*request.Context, string) (kmsseam.Key, error) {
	return kmsseam.Key{ARN: "arn:aws:kms:ap-northeast-1:" + account + ":key/k", State: "Enabled", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}, nil
}

func (k *countingKeys) Check(ctx *request.Context, keyID, _ string) (kmsseam.Key, error) {
	return k.Key(ctx, keyID)
}

func (k *countingKeys) CheckService(ctx *request.Context, keyID, _, _ string, _ map[string]string) (kmsseam.Key, error) {
	return k.Key(ctx, keyID)
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

func (k *countingKeys) GenerateDataKey(*request.Context, string, map[string]string) (kmsseam.DataKey, error) {
	k.generated++
	p := make([]byte, 32)
	_, _ = rand.Read(p)
	return kmsseam.DataKey{Plaintext: p, Ciphertext: reversed(p)}, nil
}

func (k *countingKeys) Decrypt(_ *request.Context, blob []byte, _ map[string]string) ([]byte, string, error) {
	k.decrypted++
	return reversed(blob), "k", nil
}

func (k *countingKeys) Encrypt(*request.Context, string, []byte, map[string]string) ([]byte, string, error) {
	panic("unused")
}

// TestSSEDataKeyReuse: an SSE-KMS queue encrypts bodies under one data key
// for KmsDataKeyReusePeriodSeconds, then asks KMS for a new one; bodies
// are stored sealed and received in plain text; a fresh instance (a
// restart) decrypts the data key through KMS once.
func TestSSEDataKeyReuse(t *testing.T) {
	f := newFixture(t)
	keys := &countingKeys{}
	f.opts.DataKeys = keys
	url := f.create("enc", map[string]string{"KmsMasterKeyId": "alias/k", "KmsDataKeyReusePeriodSeconds": "60"})
	f.send(url, "one")
	f.send(url, "two")
	if keys.generated != 1 {
		t.Fatalf("%d data keys for two sends within the reuse period", keys.generated)
	}
	f.clock.Advance(61 * time.Second)
	f.send(url, "three")
	if keys.generated != 2 {
		t.Fatalf("%d data keys after the reuse period", keys.generated)
	}
	stored := 0
	for _, m := range f.storedMessages(t, "enc") {
		if m.Body != "" || m.Sealed == nil {
			t.Errorf("message stored with body %q, sealed %v", m.Body, m.Sealed != nil)
		}
		stored++
	}
	if stored != 3 {
		t.Fatalf("%d messages stored", stored)
	}

	// A fresh instance over the same store has no data key in memory.
	g := &fixture{SQS: New(f.h.Store(), f.clock), h: f.h, clock: f.clock, t: t}
	g.opts.DataKeys = keys
	out, err := g.ReceiveMessage(g.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: int32p(10)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range out.Messages {
		got[*m.Body] = true
		if *m.MD5OfBody != md5Hex([]byte(*m.Body)) {
			t.Errorf("MD5OfBody of %q is %s", *m.Body, *m.MD5OfBody)
		}
	}
	if len(got) != 3 || !got["one"] || !got["two"] || !got["three"] {
		t.Errorf("received %v", got)
	}
	if keys.decrypted != 2 {
		t.Errorf("%d KMS decryptions for two data keys", keys.decrypted)
	}
}

func int32p(v int32) *int32 { return &v }

// storedMessages reads the messages of a queue as stored.
func (f *fixture) storedMessages(t *testing.T, name string) []message {
	t.Helper()
	var out []message
	err := f.store.View(func(tx storage.Tx) error {
		return messages.List(tx, storage.Scope{Account: account, Region: "ap-northeast-1"}, []string{name}, storage.ListOptions{}, func(_ []string, m message) bool {
			out = append(out, m)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
