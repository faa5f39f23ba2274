#!/usr/bin/env bash
# S7 — SAML single sign-on (seed 001).
#
# An IAM SAML provider is created from the IdP's metadata; a role trusts it
# for sts:AssumeRoleWithSAML; the IdP (scenarios/S7-saml/idp, run with the
# Go toolchain) signs SAML responses whose Role attribute is
# "roleArn,providerArn". Observable: assume-role-with-saml returns
# credentials only for an assertion signed by the provider's key; the
# session is assumed-role/<role>/<user>; two users get two sessions; an
# assertion signed by another key, or expired, is refused.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "S7 FAILED: $*" >&2; exit 1; }

# The IdP: its own key and certificate, and another key nobody trusts.
(cd "$here/../.." && go build -o "$work/idp" ./scenarios/S7-saml/idp)
"$work/idp" init "$work/corp"
"$work/idp" init "$work/evil"

suffix="$(date +%s)$$"
provider=$(awscli iam create-saml-provider --name "corp-idp-$suffix" \
  --saml-metadata-document "file://$work/corp/metadata.xml" --query SAMLProviderArn --output text)
echo "provider: $provider"

cat > "$work/trust.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"$provider"},
 "Action":"sts:AssumeRoleWithSAML",
 "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}
JSON
role_name="saml-developer-$suffix"
role=$(awscli iam create-role --role-name "$role_name" --assume-role-policy-document "file://$work/trust.json" \
  --query Role.Arn --output text)
awscli iam attach-role-policy --role-name "$role_name" --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
echo "role: $role"

for user in alice bob; do
  assertion=$("$work/idp" assert "$work/corp" "$role" "$provider" "$user")
  out=$(awscli sts assume-role-with-saml --role-arn "$role" --principal-arn "$provider" \
    --saml-assertion "$assertion" --output json)
  arn=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AssumedRoleUser"]["Arn"])' <<<"$out")
  [ "$arn" = "arn:aws:sts::000000000000:assumed-role/$role_name/$user" ] || fail "session of $user is $arn"
  # The credentials sign requests as that session.
  read -r key secret token < <(python3 -c 'import json,sys; c=json.load(sys.stdin)["Credentials"]; print(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])' <<<"$out")
  who=$(AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_SESSION_TOKEN="$token" \
    awscli sts get-caller-identity --query Arn --output text)
  [ "$who" = "$arn" ] || fail "caller identity of $user's session is $who"
  echo "$user: $who"
done

# An assertion signed by a key the provider does not trust is refused.
forged=$("$work/idp" assert "$work/evil" "$role" "$provider" mallory)
if err=$(awscli sts assume-role-with-saml --role-arn "$role" --principal-arn "$provider" \
    --saml-assertion "$forged" 2>&1); then
  fail "an assertion signed by another key was accepted"
fi
grep -q InvalidIdentityToken <<<"$err" || fail "forged assertion: unexpected error: $err"
echo "forged assertion refused"

# So is an expired one.
old=$("$work/idp" assert "$work/corp" "$role" "$provider" alice expired)
if err=$(awscli sts assume-role-with-saml --role-arn "$role" --principal-arn "$provider" \
    --saml-assertion "$old" 2>&1); then
  fail "an expired assertion was accepted"
fi
grep -q ExpiredTokenException <<<"$err" || fail "expired assertion: unexpected error: $err"
echo "expired assertion refused"
echo "S7 OK"
