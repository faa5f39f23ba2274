#!/usr/bin/env bash
# S15 — load balancers when every target is unhealthy (seed 002).
#
# Two local HTTP servers with distinct bodies are the targets: IP targets
# of an ALB's target group, and — through two EC2 instances tagged
# niwa:target-address=127.0.0.1:<port> (how niwa backs an instance's
# address by a local server until instances run their own processes) —
# the instances of a Classic ELB. Health checks run on niwa's clock,
# moved with POST /_niwa/clock/advance; nothing sleeps for an interval.
# Observable:
#   healthy            → both load balancers answer from both targets;
#   health path broken → the ALB fails open and still answers from both,
#                        the Classic ELB answers 503;
#   one healed         → both answer only from it;
# describe-target-health / describe-instance-health show the states and
# reasons throughout; the ALB's DNS name resolves through niwa's DNS; a
# path rule and a fixed-response rule behave as configured.
set -euo pipefail
lib="$(cd "$(dirname "$0")/../lib" && pwd)"
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
NIWA_DNS_ADDR="${NIWA_DNS_ADDR:-127.0.0.1:5353}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S15 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
# Each target's pid is kept in a file: serve runs in a command
# substitution's subshell, where appending to an array of this shell's
# was lost and the targets outlived the script.
cleanup() {
  for f in "$work"/*.pid; do
    [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
suffix="$$"

# 1. Two targets: python's http.server in two directories, on free ports.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # dir body → port
  mkdir -p "$work/$1/b"
  echo "$2" > "$work/$1/index.html"; echo ok > "$work/$1/health.html"; echo "$2 path" > "$work/$1/b/index.html"
  local port; port="$(freeport)"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/$1" >/dev/null 2>&1 &
  echo "$!" > "$work/$1.pid"
  local end=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$port/health.html" >/dev/null; do
    [ "$SECONDS" -lt "$end" ] || fail "target $1 did not start"
  done
  echo "$port"
}
pa="$(serve a target-A)"
pb="$(serve b target-B)"

advance() { curl -sf -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=$1" >/dev/null || fail "clock advance"; }
# wait_for WHAT CMD...: moves the clock 10 s at a time (two checks of
# interval 5 s, the thresholds) until CMD holds. Checks run in the
# background once the clock makes them due, so the deadline is real time,
# generous for a loaded machine; it returns as soon as CMD holds.
wait_for() {
  local what="$1"; shift
  local end=$((SECONDS + 90))
  advance 10s
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "$what: target health: $(health | tr '\n' ';') instance health: $(ihealth | tr '\n' ';')"
    advance 10s
  done
}
alb_is() { [ "$(state_of "$pa")" = "$1" ] && [ "$(state_of "$pb")" = "$2" ]; }
clb_is() { [ "$(istate_of "$ia")" = "$1" ] && [ "$(istate_of "$ib")" = "$2" ]; }

# 2. ALB in the default VPC's subnets, IP target group with a health check.
vpc="$(aws ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId')"
read -r s1 s2 _ <<<"$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'Subnets[].SubnetId')"
tg="$(aws elbv2 create-target-group --name "s15-tg-$suffix" --protocol HTTP --port 80 --vpc-id "$vpc" --target-type ip \
  --health-check-path /health.html --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
  --healthy-threshold-count 2 --unhealthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')"
tgb="$(aws elbv2 create-target-group --name "s15-tgb-$suffix" --protocol HTTP --port 80 --vpc-id "$vpc" --target-type ip \
  --health-check-path /health.html --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
  --healthy-threshold-count 2 --unhealthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')"
aws elbv2 register-targets --target-group-arn "$tg" --targets "Id=127.0.0.1,Port=$pa" "Id=127.0.0.1,Port=$pb"
aws elbv2 register-targets --target-group-arn "$tgb" --targets "Id=127.0.0.1,Port=$pb"
health() { aws elbv2 describe-target-health --target-group-arn "$tg" --query 'TargetHealthDescriptions[].[Target.Port,TargetHealth.State,TargetHealth.Reason]' | sort; }
state_of() { health | awk -v p="$1" '$1==p {print $2, $3}'; }
[ "$(state_of "$pa")" = "unused Target.NotInUse" ] || fail "unused target group: $(health)"

read -r alb dns <<<"$(aws elbv2 create-load-balancer --name "s15-alb-$suffix" --subnets "$s1" "$s2" \
  --query 'LoadBalancers[0].[LoadBalancerArn,DNSName]')"
listener="$(aws elbv2 create-listener --load-balancer-arn "$alb" --protocol HTTP --port 80 \
  --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn')"
aws elbv2 create-rule --listener-arn "$listener" --priority 5 --conditions Field=path-pattern,Values='/b/*' \
  --actions "Type=forward,TargetGroupArn=$tgb" >/dev/null
aws elbv2 create-rule --listener-arn "$listener" --priority 10 --conditions Field=path-pattern,Values='/fixed*' \
  --actions 'Type=fixed-response,FixedResponseConfig={StatusCode=418,ContentType=text/plain,MessageBody=teapot}' >/dev/null
# initial until HealthyThreshold checks pass (the clock also moves by
# itself: on a slow machine the real 5 s ticks may already have made it healthy).
case "$(state_of "$pa")" in initial\ Elb.*|healthy\ None) ;; *) fail "registered target: $(health)";; esac
echo "registered: $(health | tr '\n' ';')"

# 3. Classic ELB with two instances backed by the same servers.
ami="$(aws ec2 describe-images --owners amazon --query 'Images[0].ImageId')"
ia="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --tag-specifications "ResourceType=instance,Tags=[{Key=niwa:target-address,Value=127.0.0.1:$pa}]" --query 'Instances[0].InstanceId')"
ib="$(aws ec2 run-instances --image-id "$ami" --instance-type t2.micro --tag-specifications "ResourceType=instance,Tags=[{Key=niwa:target-address,Value=127.0.0.1:$pb}]" --query 'Instances[0].InstanceId')"
end=$((SECONDS + 120)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  [ "$(aws ec2 describe-instances --instance-ids "$ia" "$ib" --query 'Reservations[].Instances[].State.Name' | tr -s '\t\n' ' ')" = "running running " ] && break
  advance 5s
done
clb="s15-clb-$suffix"
cdns="$(aws elb create-load-balancer --load-balancer-name "$clb" --subnets "$s1" "$s2" \
  --listeners Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80 --query DNSName)"
aws elb configure-health-check --load-balancer-name "$clb" \
  --health-check Target=HTTP:80/health.html,Interval=5,Timeout=2,UnhealthyThreshold=2,HealthyThreshold=2 >/dev/null
aws elb register-instances-with-load-balancer --load-balancer-name "$clb" --instances "$ia" "$ib" >/dev/null
ihealth() { [ -n "${clb:-}" ] || return 0; aws elb describe-instance-health --load-balancer-name "$clb" --query 'InstanceStates[].[InstanceId,State,ReasonCode]' | sort; }
istate_of() { ihealth | awk -v i="$1" '$1==i {print $2, $3}'; }
case "$(istate_of "$ia")" in "OutOfService ELB"|"InService N/A") ;; *) fail "registered instance: $(ihealth)";; esac

# bodies HOST N: the distinct bodies of N requests through the main port by Host.
bodies() { for _ in $(seq "$2"); do curl -s -H "Host: $1" "$AWS_ENDPOINT_URL/"; done | sort -u | tr '\n' ' '; }
code() { curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" "$AWS_ENDPOINT_URL${2:-/}"; }

# 4. Healthy: both balanced.
wait_for "targets healthy" alb_is "healthy None" "healthy None"
wait_for "instances in service" clb_is "InService N/A" "InService N/A"
[ "$(bodies "$dns" 6)" = "target-A target-B " ] || fail "ALB healthy: $(bodies "$dns" 6)"
[ "$(bodies "$cdns" 6)" = "target-A target-B " ] || fail "CLB healthy: $(bodies "$cdns" 6)"
echo "healthy: ALB and Classic answer from both"

# The ALB's name resolves through niwa's DNS and reaches the targets.
ip="$(python3 "$lib/dnsq.py" "$NIWA_DNS_ADDR" "$dns" A | awk '$1=="A" {print $2; exit}')"
[ -n "$ip" ] || fail "niwa's DNS does not answer $dns"
port="${AWS_ENDPOINT_URL##*:}"; port="${port%%/*}"
got="$(curl -s --resolve "$dns:$port:$ip" "http://$dns:$port/" || true)"
case "$got" in target-A|target-B) ;; *) fail "via DNS: $got";; esac
# The path rule and the fixed-response rule.
[ "$(curl -s -H "Host: $dns" "$AWS_ENDPOINT_URL/b/")" = "target-B path" ] || fail "path rule"
[ "$(code "$dns" /fixed-x)" = 418 ] && [ "$(curl -s -H "Host: $dns" "$AWS_ENDPOINT_URL/fixed")" = teapot ] || fail "fixed-response rule"
# The listener's own port answers too.
addr="$(curl -s "$AWS_ENDPOINT_URL/_niwa/elb/listeners" | python3 -c 'import json,sys; print([l["Address"] for l in json.load(sys.stdin)["Listeners"] if l["ListenerArn"]==sys.argv[1]][0])' "$listener")"
case "$(curl -s "http://$addr/")" in target-A|target-B) ;; *) fail "listener port $addr";; esac
echo "dns, rules and listener port ok"

# 5. Break the health check on both: ALB fails open, Classic answers 503.
rm "$work/a/health.html" "$work/b/health.html"
wait_for "targets unhealthy" alb_is "unhealthy Target.ResponseCodeMismatch" "unhealthy Target.ResponseCodeMismatch"
wait_for "instances out of service" clb_is "OutOfService Instance" "OutOfService Instance"
[ "$(bodies "$dns" 6)" = "target-A target-B " ] || fail "ALB did not fail open: $(bodies "$dns" 6)"
[ "$(code "$cdns")" = 503 ] || fail "Classic did not answer 503: $(code "$cdns")"
echo "all unhealthy: ALB fails open to both, Classic answers 503 ($(health | tr '\n' ';'))"

# 6. Heal one: only it serves.
echo ok > "$work/a/health.html"
wait_for "one target healed" alb_is "healthy None" "unhealthy Target.ResponseCodeMismatch"
wait_for "one instance healed" clb_is "InService N/A" "OutOfService Instance"
[ "$(bodies "$dns" 6)" = "target-A " ] || fail "ALB after heal: $(bodies "$dns" 6)"
[ "$(bodies "$cdns" 6)" = "target-A " ] || fail "CLB after heal: $(bodies "$cdns" 6)"
echo "one healed: both answer only from it"

aws elb delete-load-balancer --load-balancer-name "$clb"
aws elbv2 delete-load-balancer --load-balancer-arn "$alb"
echo "S15 OK"
