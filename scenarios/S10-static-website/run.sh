#!/usr/bin/env bash
# S10 (S3 half) — Static website on S3 with a custom domain (seed 002).
#
# A bucket named like the domain with index.html and error.html, static
# website hosting enabled, and a public-read bucket policy (after turning
# off the bucket's Block Public Access, as S3 requires since 2023).
# Observable at the website endpoint: index.html for / and for
# directories, error.html with 404 for missing keys, 403 before the
# policy allows anonymous reads. The DNS half (Route53 alias to the
# website endpoint) is Route53's.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S10 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

domain="www.kabegiwablog-$(date +%s)$$.com"
region="$AWS_DEFAULT_REGION"
port="${AWS_ENDPOINT_URL##*:}"
port="${port%%/*}"
site="http://$domain.s3-website-$region.localhost:$port"

awscli s3 mb "s3://$domain" >/dev/null
echo '<html><body>top page</body></html>' > "$work/index.html"
echo '<html><body>not found page</body></html>' > "$work/error.html"
echo '<html><body>blog index</body></html>' > "$work/blog-index.html"
awscli s3 cp "$work/index.html" "s3://$domain/index.html" --content-type text/html >/dev/null
awscli s3 cp "$work/error.html" "s3://$domain/error.html" --content-type text/html >/dev/null
awscli s3 cp "$work/blog-index.html" "s3://$domain/blog/index.html" --content-type text/html >/dev/null
awscli s3 website "s3://$domain/" --index-document index.html --error-document error.html
[ "$(awscli s3api get-bucket-website --bucket "$domain" --query IndexDocument.Suffix --output text)" = index.html ] ||
  fail "get-bucket-website"

# No policy yet: the website endpoint refuses anonymous readers.
code=$(curl -s -o /dev/null -w '%{http_code}' "$site/")
[ "$code" = 403 ] || fail "without a policy / answered $code, want 403"

awscli s3api delete-public-access-block --bucket "$domain"
awscli s3api put-bucket-policy --bucket "$domain" --policy "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Sid\": \"PublicReadGetObject\", \"Effect\": \"Allow\", \"Principal\": \"*\",
                  \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::$domain/*\"}]}"

code=$(curl -s -o "$work/top" -w '%{http_code}' "$site/")
[ "$code" = 200 ] && grep -q 'top page' "$work/top" || fail "/ answered $code: $(cat "$work/top")"
code=$(curl -s -o "$work/blog" -w '%{http_code}' "$site/blog/")
[ "$code" = 200 ] && grep -q 'blog index' "$work/blog" || fail "/blog/ answered $code"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$site/blog")
[ "$code" = "302 $site/blog/" ] || fail "/blog answered $code, want a redirect to /blog/"
code=$(curl -s -o "$work/missing" -w '%{http_code}' "$site/no/such/page.html")
[ "$code" = 404 ] && grep -q 'not found page' "$work/missing" || fail "missing key answered $code: $(cat "$work/missing")"
# The other website endpoint form.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$domain.s3-website.$region.localhost:$port/index.html")
[ "$code" = 200 ] || fail "s3-website.<region> form answered $code"

awscli s3 rb "s3://$domain" --force >/dev/null
echo "S10 OK"
