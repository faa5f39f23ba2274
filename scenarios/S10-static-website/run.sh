#!/usr/bin/env bash
# S10 — Static website on S3 with a custom domain (seed 002).
#
# A bucket named like the domain with index.html and error.html, static
# website hosting enabled, and a public-read bucket policy (after turning
# off the bucket's Block Public Access, as S3 requires since 2023).
# Observable at the website endpoint: index.html for / and for
# directories, error.html with 404 for missing keys, 403 before the
# policy allows anonymous reads.
# Then the DNS half: a Route53 hosted zone for the domain and an A alias
# record to the region's S3 website endpoint. The name resolves through
# niwa's DNS server (NIWA_DNS_ADDR, default 127.0.0.1:5353) to niwa's
# address, and fetching http://<domain>/ there serves the site.
set -euo pipefail
lib="$(cd "$(dirname "$0")/../lib" && pwd)"   # dnsq.py, the DNS client for machines without dig

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S10 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
domain="www.kabegiwablog-$(date +%s)$$.com"
zone="${domain#www.}"
zone_id="" alias_batch=""
cleanup() {
  if [ -n "$zone_id" ]; then
    if [ -n "$alias_batch" ]; then
      awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
        --change-batch "${alias_batch/\"CREATE\"/\"DELETE\"}" >/dev/null 2>&1 || true
    fi
    awscli route53 delete-hosted-zone --id "$zone_id" >/dev/null 2>&1 || true
  fi
  awscli s3 rb "s3://$domain" --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# resolve NAME prints the IPv4 addresses of NAME's A answer, asking niwa's
# DNS server directly: dig when installed, else a stdlib-only python client.
resolve() {
  local host="${NIWA_DNS_ADDR%:*}" port="${NIWA_DNS_ADDR##*:}"
  if command -v dig >/dev/null 2>&1; then
    dig +norecurse +noall +answer @"$host" -p "$port" "$1" A | awk '$4 == "A" {print $5}'
    return
  fi
  python3 "$lib/dnsq.py" "$NIWA_DNS_ADDR" "$1" A | awk '$1 == "A" {print $2}'
}

# The hosted zone id of each region's S3 website endpoint, from the
# Amazon S3 endpoints table: an alias to the website endpoint names it.
website_zone_id() {
  case "$1" in
    us-east-1) echo Z3AQBSTGFYJSTF ;;      us-east-2) echo Z2O1EMRO9K5GLX ;;
    us-west-1) echo Z2F56UZL2M1ACD ;;      us-west-2) echo Z3BJ6K6RIION7M ;;
    ap-northeast-1) echo Z2M4EHUR26P7ZW ;; ap-northeast-2) echo Z3W03O7B5YMIYP ;;
    ap-southeast-1) echo Z3O0J2DXBE1FTB ;; ap-southeast-2) echo Z1WCIGYICN2BYD ;;
    eu-west-1) echo Z1BKCTXD74EZPE ;;      eu-central-1) echo Z21DNDUVLTQW6Q ;;
    *) fail "no S3 website hosted zone id known for $1" ;;
  esac
}

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

# The DNS half: a hosted zone for the domain and an A alias record to the
# website endpoint of the bucket's region, as the tutorial creates them.
zone_id=$(awscli route53 create-hosted-zone --name "$zone" --caller-reference "s10-$(date +%s%N)" \
  --query HostedZone.Id --output text)
case "$zone_id" in /hostedzone/Z*) ;; *) fail "hosted zone id $zone_id" ;; esac
website_zone=$(website_zone_id "$region")
alias_batch=$(printf '{"Comment":"S10","Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"%s","Type":"A","AliasTarget":{"HostedZoneId":"%s","DNSName":"s3-website-%s.amazonaws.com","EvaluateTargetHealth":false}}}]}' \
  "$domain" "$website_zone" "$region")
change=$(awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" --change-batch "$alias_batch" \
  --query ChangeInfo.Id --output text)
awscli route53 wait resource-record-sets-changed --id "$change"
[ "$(awscli route53 list-resource-record-sets --hosted-zone-id "$zone_id" \
  --query "ResourceRecordSets[?Type=='A'].AliasTarget.DNSName" --output text)" = "s3-website-$region.amazonaws.com." ] ||
  fail "the alias record is not listed"

# The name resolves through niwa's DNS server to niwa's address...
ip=$(resolve "$domain" | head -n1)
case "$ip" in [0-9]*.[0-9]*.[0-9]*.[0-9]*) ;; *) fail "$domain resolved to '$ip'" ;; esac
# ...and a browser fetching http://<domain>/ there gets the site: S3
# serves the bucket the Host names. curl --resolve sends exactly what a
# browser sends after that lookup.
custom="http://$domain:$port"
code=$(curl -s --resolve "$domain:$port:$ip" -o "$work/custom-top" -w '%{http_code}' "$custom/")
[ "$code" = 200 ] && grep -q 'top page' "$work/custom-top" || fail "$custom/ answered $code: $(cat "$work/custom-top")"
code=$(curl -s --resolve "$domain:$port:$ip" -o "$work/custom-blog" -w '%{http_code}' "$custom/blog/")
[ "$code" = 200 ] && grep -q 'blog index' "$work/custom-blog" || fail "$custom/blog/ answered $code"
code=$(curl -s --resolve "$domain:$port:$ip" -o "$work/custom-missing" -w '%{http_code}' "$custom/no/such/page.html")
[ "$code" = 404 ] && grep -q 'not found page' "$work/custom-missing" ||
  fail "$custom/no/such/page.html answered $code: $(cat "$work/custom-missing")"

awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
  --change-batch "${alias_batch/\"CREATE\"/\"DELETE\"}" >/dev/null
alias_batch=""
awscli route53 delete-hosted-zone --id "$zone_id" >/dev/null
zone_id=""
awscli s3 rb "s3://$domain" --force >/dev/null
echo "S10 OK"
