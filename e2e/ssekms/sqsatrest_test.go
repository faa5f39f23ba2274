package ssekms

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// dataDirHolds reports whether any file under dir contains s.
func dataDirHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = bytes.Contains(b, []byte(s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestSQSBodiesEncryptedAtRest: with --data-dir, the body of a message
// sent to an SSE-KMS queue is nowhere in niwa's files in plain text (the
// same body sent to a plain queue is, which shows the check can see it),
// and after a kill -9 and restart the message is received intact: its
// data key is decrypted through KMS again.
func TestSQSBodiesEncryptedAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := framework.StartBinary(t, "--data-dir", dir)
	const secret = "niwa-secret-body-7f3a9c"
	out := n.Python(t, `
import boto3
kms, sqs = boto3.client("kms"), boto3.client("sqs")
key = kms.create_key()["KeyMetadata"]["KeyId"]
enc = sqs.create_queue(QueueName="enc", Attributes={"KmsMasterKeyId": key})["QueueUrl"]
plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
sqs.send_message(QueueUrl=enc, MessageBody="`+secret+`-enc")
sqs.send_message(QueueUrl=plain, MessageBody="`+secret+`-plain")
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %q", out)
	}
	n.Kill9AndRestart()
	if !dataDirHolds(t, dir, secret+"-plain") {
		t.Fatal("the plain queue's body is not in the data directory: the check cannot see bodies")
	}
	if dataDirHolds(t, dir, secret+"-enc") {
		t.Fatal("the SSE-KMS queue's body is stored in plain text")
	}
	out = n.Python(t, `
import boto3
sqs = boto3.client("sqs")
url = sqs.get_queue_url(QueueName="enc")["QueueUrl"]
msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
assert [m["Body"] for m in msgs] == ["`+secret+`-enc"], msgs
import hashlib
assert msgs[0]["MD5OfBody"] == hashlib.md5(msgs[0]["Body"].encode()).hexdigest(), msgs
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3 after restart: %q", out)
	}
}
