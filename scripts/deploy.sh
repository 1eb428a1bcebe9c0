#!/usr/bin/env bash
# `make deploy ENV=<dev|staging|prod>`: package the functions, upload them, and
# create or update the stack `order-fleet-<env>` from infra/template.yaml with
# infra/parameters/<env>.json. infra/README.md explains each step.
#
#   CODE_BUCKET=<bucket> scripts/deploy.sh <env>
#
# Environment:
#   CODE_BUCKET    (required) an S3 bucket in the target account and region for
#                  the zips and the template (it is over CloudFormation's 51 KB
#                  inline limit)
#   ARCH           arm64 (default, the template's default) or x86_64
#   CODE_VERSION   the key prefix's last part; default: the commit (plus
#                  -dirty-<time> for an uncommitted tree), so each deploy
#                  changes the functions' S3 keys and so their code
#   SKIP_PACKAGE=1 reuse target/lambda/<arch>/*.zip (CI builds them in an earlier job)
#   AWS_REGION / AWS_PROFILE as for any AWS CLI call
set -euo pipefail

cd "$(dirname "$0")/.."

FUNCTIONS=(order-api email-worker audit-worker outbox-relay)
ENV_NAME=${1:-}
ARCH=${ARCH:-arm64}

say() { printf '\033[1mdeploy:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mdeploy: error:\033[0m %s\n' "$*" >&2; exit 1; }

case "$ENV_NAME" in
    dev|staging|prod) ;;
    local) die "local is the moto stack: run \`make dev\`" ;;
    *) die "usage: CODE_BUCKET=<bucket> scripts/deploy.sh <dev|staging|prod>" ;;
esac
PARAMETERS=infra/parameters/$ENV_NAME.json
[[ -f "$PARAMETERS" ]] || die "$PARAMETERS is missing"
[[ -n "${CODE_BUCKET:-}" ]] || die "set CODE_BUCKET to an S3 bucket in the target account (see infra/README.md)"
command -v aws >/dev/null || die "the AWS CLI v2 is not installed (https://docs.aws.amazon.com/cli/)"
command -v jq >/dev/null || die "jq is not installed"

if [[ -z "${CODE_VERSION:-}" ]]; then
    CODE_VERSION=$(git rev-parse --short=12 HEAD)
    if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
        CODE_VERSION+="-dirty-$(date -u +%Y%m%dT%H%M%SZ)"
    fi
fi
PREFIX=order-fleet/$CODE_VERSION
STACK=order-fleet-$ENV_NAME
OUT=${CARGO_TARGET_DIR:-target}/lambda/$ARCH

if [[ "${SKIP_PACKAGE:-}" != 1 ]]; then
    scripts/package.sh "$ARCH"
fi
for function in "${FUNCTIONS[@]}"; do
    [[ -f "$OUT/$function.zip" ]] || die "$OUT/$function.zip is missing: run \`make package ARCH=$ARCH\`"
done

say "uploading the $ARCH zips to s3://$CODE_BUCKET/$PREFIX/"
for function in "${FUNCTIONS[@]}"; do
    aws s3 cp --only-show-errors "$OUT/$function.zip" "s3://$CODE_BUCKET/$PREFIX/$function.zip"
done

# The environment's parameters, then what this deploy decides.
mapfile -t overrides < <(
    jq -r --arg bucket "$CODE_BUCKET" --arg prefix "$PREFIX" --arg arch "$ARCH" --arg env "$ENV_NAME" '
        .Parameters
        + {Environment: $env, CodeBucket: $bucket, CodeKeyPrefix: $prefix, Architecture: $arch}
        | to_entries[] | "\(.key)=\(.value)"' "$PARAMETERS"
)

say "deploying stack $STACK (Environment=$ENV_NAME, code $PREFIX)"
aws cloudformation deploy \
    --stack-name "$STACK" \
    --template-file infra/template.yaml \
    --s3-bucket "$CODE_BUCKET" \
    --s3-prefix "$PREFIX" \
    --capabilities CAPABILITY_IAM \
    --no-fail-on-empty-changeset \
    --tags "application=order-fleet" "environment=$ENV_NAME" \
    --parameter-overrides "${overrides[@]}"

api_url=$(aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text)
say "done: POST orders to $api_url"
