#!/usr/bin/env bash
# S17 — Key management with KMS (seed 002).
#
# The tutorial compares KMS with CloudHSM: with KMS the keys live in AWS,
# under policies AWS enforces, and both AWS services and your own
# applications use them. This script does exactly that with the aws CLI
# and openssl:
#   1. a key and an alias; Encrypt/Decrypt with an encryption context
#      (the wrong context does not decrypt);
#   2. a data key used client-side: openssl encrypts a file with the
#      plaintext data key, which is then thrown away; KMS decrypts the
#      stored encrypted data key to decrypt the file again;
#   3. S3 SSE-KMS under a key whose policy lets one IAM user (alice)
#      decrypt: she reads the object, bob (whose IAM policy allows s3 and
#      kms:* on every resource) is refused, because the key policy does not
#      delegate to IAM;
#   4. a disabled key refuses: Encrypt, and reading the object, fail until
#      the key is enabled again.
# Observable: each step's result as stated, checked below.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S17 FAILED: $*" >&2; exit 1; }
# must_fail CODE CMD...: the command fails and its error names CODE.
must_fail() {
  local code="$1"; shift
  local err
  if err=$("$@" 2>&1 >/dev/null); then fail "succeeded, want $code: $*"; fi
  case "$err" in *"$code"*) ;; *) fail "want $code from: $* — got: $err" ;; esac
}
hex() { od -An -v -tx1 | tr -d ' \n'; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
suffix="$(date +%s)$$"
account=$(awscli sts get-caller-identity --query Account --output text)

# 1. A key, an alias, Encrypt and Decrypt.
key_id=$(awscli kms create-key --description "S17 demo key" --query KeyMetadata.KeyId --output text)
key_arn=$(awscli kms describe-key --key-id "$key_id" --query KeyMetadata.Arn --output text)
alias="alias/s17-demo-$suffix"
awscli kms create-alias --alias-name "$alias" --target-key-id "$key_id"
[ "$(awscli kms describe-key --key-id "$alias" --query KeyMetadata.KeyId --output text)" = "$key_id" ] || fail "the alias does not name the key"

printf 'the launch code is 0000' > "$work/secret.txt"
awscli kms encrypt --key-id "$alias" --plaintext "fileb://$work/secret.txt" --encryption-context purpose=s17 \
  --query CiphertextBlob --output text | base64 -d > "$work/secret.enc"
cmp -s "$work/secret.enc" "$work/secret.txt" && fail "the ciphertext is the plaintext"
awscli kms decrypt --ciphertext-blob "fileb://$work/secret.enc" --encryption-context purpose=s17 \
  --query Plaintext --output text | base64 -d > "$work/secret.out"
cmp -s "$work/secret.out" "$work/secret.txt" || fail "decrypt did not give the plaintext back"
[ "$(awscli kms decrypt --ciphertext-blob "fileb://$work/secret.enc" --encryption-context purpose=s17 --query KeyId --output text)" = "$key_arn" ] \
  || fail "decrypt did not name the key"
must_fail InvalidCiphertextException awscli kms decrypt --ciphertext-blob "fileb://$work/secret.enc" --encryption-context purpose=other

# 2. Envelope encryption: a data key used client-side with openssl.
awscli kms generate-data-key --key-id "$alias" --key-spec AES_256 --output json > "$work/datakey.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(d["Plaintext"]); open(sys.argv[3],"w").write(d["CiphertextBlob"])' \
  "$work/datakey.json" "$work/dk.plain.b64" "$work/dk.enc.b64"
head -c 100000 /dev/urandom > "$work/data.bin"
iv=$(head -c 16 /dev/urandom | hex)
openssl enc -aes-256-cbc -K "$(base64 -d < "$work/dk.plain.b64" | hex)" -iv "$iv" -in "$work/data.bin" -out "$work/data.bin.enc"
rm "$work/dk.plain.b64"   # only the encrypted data key is kept
base64 -d < "$work/dk.enc.b64" > "$work/dk.enc"
dk=$(awscli kms decrypt --ciphertext-blob "fileb://$work/dk.enc" --query Plaintext --output text | base64 -d | hex)
[ ${#dk} = 64 ] || fail "the data key is ${#dk} hex digits, want 64"
openssl enc -d -aes-256-cbc -K "$dk" -iv "$iv" -in "$work/data.bin.enc" -out "$work/data.bin.out"
cmp -s "$work/data.bin.out" "$work/data.bin" || fail "openssl did not decrypt with the data key KMS returned"

# 3. S3 SSE-KMS readable only by the principal the key policy allows.
for u in alice bob; do
  awscli iam create-user --user-name "s17-$u-$suffix" >/dev/null
done
alice="arn:aws:iam::$account:user/s17-alice-$suffix"
bucket="s17-vault-$suffix"
awscli s3 mb "s3://$bucket" >/dev/null
read_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'"$bucket"'/*"}]}'
awscli iam put-user-policy --user-name "s17-alice-$suffix" --policy-name read --policy-document "$read_policy"
# bob's own policy allows everything in KMS: the key policy still decides.
awscli iam put-user-policy --user-name "s17-bob-$suffix" --policy-name read --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","kms:*"],"Resource":"*"}]}'
# The account administers the key and writes with it; only alice decrypts.
cat > "$work/key-policy.json" <<JSON
{"Version":"2012-10-17","Statement":[
 {"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::$account:root"},
  "Action":["kms:Describe*","kms:Get*","kms:List*","kms:Put*","kms:Create*","kms:Update*","kms:Enable*","kms:Disable*",
            "kms:Revoke*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion",
            "kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*"},
 {"Sid":"AliceDecrypts","Effect":"Allow","Principal":{"AWS":"$alice"},"Action":"kms:Decrypt","Resource":"*"}]}
JSON
awscli kms put-key-policy --key-id "$key_id" --policy-name default --policy "file://$work/key-policy.json"

printf 'payroll 2017\n' > "$work/payroll.txt"
awscli s3 cp "$work/payroll.txt" "s3://$bucket/payroll.txt" --sse aws:kms --sse-kms-key-id "$alias" >/dev/null
sse=$(awscli s3api head-object --bucket "$bucket" --key payroll.txt --query '[ServerSideEncryption,SSEKMSKeyId]' --output text)
[ "$sse" = "aws:kms	$key_arn" ] || fail "head-object reports '$sse', want aws:kms under $key_arn"

for u in alice bob; do
  awscli iam create-access-key --user-name "s17-$u-$suffix" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text > "$work/$u.creds"
done
# as_user NAME CMD...: runs CMD with the user's access key.
as_user() {
  local creds
  creds=$(cat "$work/$1.creds"); shift
  AWS_ACCESS_KEY_ID="${creds%%	*}" AWS_SECRET_ACCESS_KEY="${creds##*	}" "$@"
}
as_user alice awscli s3 cp "s3://$bucket/payroll.txt" "$work/alice.txt" >/dev/null
cmp -s "$work/alice.txt" "$work/payroll.txt" || fail "alice did not read the object"
must_fail AccessDenied as_user bob awscli s3 cp "s3://$bucket/payroll.txt" "$work/bob.txt"
must_fail AccessDeniedException as_user bob awscli kms decrypt --ciphertext-blob "fileb://$work/secret.enc" --encryption-context purpose=s17
# Not even the account's root decrypts: the key policy does not let it.
must_fail AccessDenied awscli s3 cp "s3://$bucket/payroll.txt" "$work/root.txt"

# 4. A disabled key refuses.
awscli kms disable-key --key-id "$key_id"
[ "$(awscli kms describe-key --key-id "$key_id" --query KeyMetadata.KeyState --output text)" = Disabled ] || fail "the key is not Disabled"
must_fail DisabledException awscli kms encrypt --key-id "$alias" --plaintext "fileb://$work/secret.txt"
must_fail KMS.DisabledException as_user alice awscli s3 cp "s3://$bucket/payroll.txt" "$work/alice2.txt"
awscli kms enable-key --key-id "$key_id"
as_user alice awscli s3 cp "s3://$bucket/payroll.txt" "$work/alice3.txt" >/dev/null
cmp -s "$work/alice3.txt" "$work/payroll.txt" || fail "alice cannot read once the key is enabled again"

awscli s3 rb "s3://$bucket" --force >/dev/null
echo "S17 OK"
