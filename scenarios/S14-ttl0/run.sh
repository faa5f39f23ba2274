#!/usr/bin/env bash
# S14 — Route53 TTL 0 (seed 002).
#
# Route53 accepts TTLs from 0 to 2147483647. A record with TTL 0 is
# answered with TTL 0, so every lookup reaches the authoritative server
# and a change is visible on the very next query.
# Observable: niwa's DNS server (NIWA_DNS_ADDR, default 127.0.0.1:5353)
# answers the record with TTL 0; an UPSERT shows on the next query; TTLs
# outside 0-2147483647 are refused.
set -euo pipefail
lib="$(cd "$(dirname "$0")/../lib" && pwd)"   # dnsq.py, the DNS client for machines without dig

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S14 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
zone_id=""
cleanup() {
  if [ -n "$zone_id" ]; then
    awscli route53 list-resource-record-sets --hosted-zone-id "$zone_id" \
      --query "ResourceRecordSets[?Type=='A']" --output json > "$work/left.json" 2>/dev/null || true
    python3 - "$work/left.json" > "$work/del.json" <<'PY' 2>/dev/null || true
import json, sys
sets = json.load(open(sys.argv[1]))
print(json.dumps({"Changes": [{"Action": "DELETE", "ResourceRecordSet": s} for s in sets]}))
PY
    if grep -q Name "$work/del.json" 2>/dev/null; then
      awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" --change-batch "file://$work/del.json" >/dev/null 2>&1 || true
    fi
    awscli route53 delete-hosted-zone --id "$zone_id" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# lookup NAME TYPE prints "TTL VALUE" for each answer, asking niwa's DNS
# server directly: dig when installed, else a stdlib-only python client.
lookup() {
  local host="${NIWA_DNS_ADDR%:*}" port="${NIWA_DNS_ADDR##*:}"
  if command -v dig >/dev/null 2>&1; then
    dig +norecurse +noall +answer @"$host" -p "$port" "$1" "$2" | awk '{print $2, $5}'
    return
  fi
  python3 "$lib/dnsq.py" --ttl "$NIWA_DNS_ADDR" "$1" "$2"
}

domain="ttl0-$(date +%s)-$$.example.com"
zone_id=$(awscli route53 create-hosted-zone --name "$domain" --caller-reference "s14-$(date +%s%N)" \
  --query HostedZone.Id --output text)
case "$zone_id" in /hostedzone/Z*) ;; *) fail "hosted zone id $zone_id" ;; esac

batch() { # action name ttl value
  printf '{"Comment":"S14","Changes":[{"Action":"%s","ResourceRecordSet":{"Name":"%s","Type":"A","TTL":%s,"ResourceRecords":[{"Value":"%s"}]}}]}' "$@"
}

# TTL 0 is accepted...
change_id=$(awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
  --change-batch "$(batch CREATE "www.$domain" 0 192.0.2.10)" --query ChangeInfo.Id --output text)
awscli route53 wait resource-record-sets-changed --id "$change_id"
[ "$(awscli route53 get-change --id "$change_id" --query ChangeInfo.Status --output text)" = INSYNC ] || fail "change not INSYNC"
[ "$(awscli route53 list-resource-record-sets --hosted-zone-id "$zone_id" \
  --query "ResourceRecordSets[?Name=='www.$domain.'].TTL | [0]" --output text)" = 0 ] || fail "stored TTL is not 0"

# ...and the top of the range too; outside it is refused.
awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
  --change-batch "$(batch CREATE "max.$domain" 2147483647 192.0.2.11)" >/dev/null
if awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
  --change-batch "$(batch CREATE "over.$domain" 2147483648 192.0.2.12)" >/dev/null 2>"$work/err"; then
  fail "TTL 2147483648 accepted"
fi
grep -q "InvalidInput" "$work/err" || fail "TTL 2147483648: $(cat "$work/err")"

# niwa's DNS answers with TTL 0.
answer=$(lookup "www.$domain" A)
[ "$answer" = "0 192.0.2.10" ] || fail "DNS answer '$answer', want '0 192.0.2.10'"
answer=$(lookup "max.$domain" A)
[ "$answer" = "2147483647 192.0.2.11" ] || fail "DNS answer '$answer', want '2147483647 192.0.2.11'"

# A change is visible on the next query.
awscli route53 change-resource-record-sets --hosted-zone-id "$zone_id" \
  --change-batch "$(batch UPSERT "www.$domain" 0 192.0.2.20)" >/dev/null
answer=$(lookup "www.$domain" A)
[ "$answer" = "0 192.0.2.20" ] || fail "after UPSERT: '$answer', want '0 192.0.2.20'"

echo "S14 OK: www.$domain answers TTL 0 from $NIWA_DNS_ADDR"
