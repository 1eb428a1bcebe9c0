#!/usr/bin/env bash
# After a deploy: the stack's API answers, through API Gateway and the
# function, without storing anything — an empty order must be refused with
# the contract's 400, and the CORS preflight must be answered.
#
#   scripts/smoke.sh <stack-name>
set -euo pipefail

STACK=${1:?usage: scripts/smoke.sh <stack-name>}
say() { printf '\033[1msmoke:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31msmoke: error:\033[0m %s\n' "$*" >&2; exit 1; }

url=$(aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text)
[[ "$url" == https://* ]] || die "stack $STACK has no ApiUrl output"

body=$(mktemp)
trap 'rm -f "$body"' EXIT
# A fresh stage may take a few seconds to answer.
for attempt in 1 2 3 4 5; do
    status=$(curl -sS -o "$body" -w '%{http_code}' -X POST "$url" \
        -H 'content-type: application/json' --data '{}' || true)
    [[ "$status" == 400 ]] && break
    sleep $((attempt * 3))
done
[[ "$status" == 400 ]] || die "POST $url with {} answered $status, not 400: $(cat "$body")"
jq -e '.error == "Validation failed" and (.errors | length) > 0' "$body" >/dev/null \
    || die "the 400 is not the contract's validation error: $(cat "$body")"
say "POST $url refuses an empty order: $(jq -c '.errors | map(.field)' "$body")"

status=$(curl -sS -o /dev/null -w '%{http_code}' -X OPTIONS "$url" \
    -H 'origin: https://example.com' -H 'access-control-request-method: POST')
[[ "$status" == 2* ]] || die "the CORS preflight answered $status"
say "OPTIONS $url answers $status"
