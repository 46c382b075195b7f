#!/usr/bin/env bash
# Deploys docpipe's AWS shape with one command, from an empty account.
#
# Usage: deploy/deploy.sh STACK_NAME [options]
#
#   (no mode flag)      deploy or update: check tools and credentials, create the
#                       artifacts bucket and the ECR repository when absent, build
#                       and push the image (tag = git commit), package and upload
#                       the Lambda (key = content hash), create or update the
#                       CloudFormation stack, wait, print its outputs and how to
#                       open the dashboard
#   --delete            empty the stack's buckets (every version and delete
#                       marker), delete the stack and wait; asks first (--yes: don't)
#   --purge             with --delete: also remove the ECR repository and the
#                       artifacts bucket (kept by default: cheap, and reused)
#   --outputs           only print the stack's outputs and how to open the dashboard
#
#   --region R          region (default: $AWS_REGION, $AWS_DEFAULT_REGION, then the
#                       AWS CLI's configured region)
#   --params FILE       template parameters, CloudFormation's JSON format:
#                       [{"ParameterKey": "K", "ParameterValue": "V"}, ...]
#   --template FILE     the template (default deploy/cloudformation/docpipe.yaml)
#   --image URI         use this image; no Docker build or push, no ECR repository
#   --binary FILE       package this Linux x86-64 docpipe binary for the Lambda
#                       (deploy/package-lambda.sh) instead of building the zip in Docker
#   --lambda-zip FILE   upload this Lambda zip as it is
#   --endpoint-url URL  send every AWS CLI call to URL (S3/CloudFormation-compatible
#                       servers, tests)
#   --dry-run           print every step and command, run none: no AWS call, no Docker
#   --yes               do not ask before deleting
#   -h, --help          this text
#
# Exit codes: 0 done; 1 a step failed; 2 usage error (bad flag, stack name,
# parameters file).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=deploy/deploy.sh
# AWS CLI v2 pipes output through a pager by default; v1 ignores this.
export AWS_PAGER=""

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}
usage_error() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  printf 'Run %s --help for usage.\n' "$PROG" >&2
  exit 2
}

# ---------------------------------------------------------------- arguments
STACK=""
REGION_FLAG=""
PARAMS_FILE=""
TEMPLATE="$ROOT/deploy/cloudformation/docpipe.yaml"
IMAGE=""
BINARY=""
LAMBDA_ZIP=""
ENDPOINT_URL=""
DRY_RUN=0
MODE=deploy
PURGE=0
YES=0

while [ "$#" -gt 0 ]; do
  arg=$1
  shift
  value=""
  inline=0
  case "$arg" in
    --*=*)
      value=${arg#*=}
      arg=${arg%%=*}
      inline=1
      ;;
  esac
  case "$arg" in
    --region | --params | --template | --image | --binary | --lambda-zip | --endpoint-url)
      if [ "$inline" = 0 ]; then
        if [ "$#" -eq 0 ]; then usage_error "$arg needs a value"; fi
        value=$1
        shift
      fi
      [ -n "$value" ] || usage_error "$arg needs a value"
      ;;
    *)
      if [ "$inline" = 1 ]; then usage_error "$arg takes no value"; fi
      ;;
  esac
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --region) REGION_FLAG=$value ;;
    --params) PARAMS_FILE=$value ;;
    --template) TEMPLATE=$value ;;
    --image) IMAGE=$value ;;
    --binary) BINARY=$value ;;
    --lambda-zip) LAMBDA_ZIP=$value ;;
    --endpoint-url) ENDPOINT_URL=$value ;;
    --dry-run) DRY_RUN=1 ;;
    --delete) MODE=delete ;;
    --outputs) MODE=outputs ;;
    --purge) PURGE=1 ;;
    --yes) YES=1 ;;
    -*) usage_error "unknown option: $arg" ;;
    *)
      if [ -n "$STACK" ]; then usage_error "one stack name only (got '$STACK' and '$arg')"; fi
      STACK=$arg
      ;;
  esac
done

[ -n "$STACK" ] || usage_error "missing STACK_NAME"
# CloudFormation's rule for stack names.
if ! printf '%s' "$STACK" | grep -Eq '^[A-Za-z][-A-Za-z0-9]{0,127}$'; then
  usage_error "invalid stack name '$STACK': a letter, then letters, digits and hyphens (at most 128)"
fi
if [ "$PURGE" = 1 ] && [ "$MODE" != delete ]; then usage_error "--purge goes with --delete"; fi
if [ -n "$BINARY" ] && [ -n "$LAMBDA_ZIP" ]; then usage_error "--binary and --lambda-zip exclude each other"; fi
if [ "$MODE" = deploy ]; then
  [ -f "$TEMPLATE" ] || usage_error "template not found: $TEMPLATE (use --template FILE)"
  if [ -n "$BINARY" ] && [ ! -x "$BINARY" ]; then usage_error "--binary: not an executable file: $BINARY"; fi
  if [ -n "$LAMBDA_ZIP" ] && [ ! -f "$LAMBDA_ZIP" ]; then usage_error "--lambda-zip: no such file: $LAMBDA_ZIP"; fi
fi
case "$ENDPOINT_URL" in
  "" | http://* | https://*) ;;
  *) usage_error "--endpoint-url must start with http:// or https://" ;;
esac

# ---------------------------------------------------------------- printing
STEP=0
step() {
  STEP=$((STEP + 1))
  printf '\n[%d] %s\n' "$STEP" "$*"
}
note() { printf '    %s\n' "$*"; }

# One argument as the shell would need it, in QUOTED; values of secret-looking
# template parameters (Key=value where the key names a secret, password,
# token or API key and the value is not an ARN) are shown as ****. Bash's own
# matching, no grep or subshell: a dry run prints thousands of arguments.
quote_arg() {
  local a=$1 key_lower
  key_lower=${a%%=*}
  key_lower=${key_lower,,}
  if [[ $a == *=* && $key_lower =~ ^[a-z0-9]*(secret|password|token|apikey|api_key|credential)[a-z0-9]*$ &&
    ${a#*=} != arn:* ]]; then
    a="${a%%=*}=****"
  fi
  case "$a" in
    "" | *[!A-Za-z0-9_./:=@,+%^-]*)
      local q="'"
      QUOTED="'${a//$q/$q\\$q$q}'"
      ;;
    *) QUOTED=$a ;;
  esac
}
show() {
  local line="" a QUOTED
  for a in "$@"; do
    quote_arg "$a"
    line="$line $QUOTED"
  done
  printf '    $%s\n' "$line"
}
# run CMD...: print it; run it unless --dry-run.
run() {
  show "$@"
  if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

# The AWS CLI with the resolved region (and endpoint).
awscli() {
  if [ -n "$ENDPOINT_URL" ]; then
    aws --region "$REGION" --endpoint-url "$ENDPOINT_URL" "$@"
  else
    aws --region "$REGION" "$@"
  fi
}
aws_show() {
  if [ -n "$ENDPOINT_URL" ]; then
    show aws --region "$REGION" --endpoint-url "$ENDPOINT_URL" "$@"
  else
    show aws --region "$REGION" "$@"
  fi
}
# aws_run ARGS...: print and run an AWS CLI call (not with --dry-run).
aws_run() {
  aws_show "$@"
  if [ "$DRY_RUN" = 0 ]; then awscli "$@"; fi
}
# aws_run_quiet ARGS...: the same, the call's output discarded.
aws_run_quiet() {
  aws_show "$@"
  if [ "$DRY_RUN" = 0 ]; then awscli "$@" >/dev/null; fi
}
# aws_get VAR PLACEHOLDER ARGS...: print the call; store its output in VAR
# (with --dry-run: PLACEHOLDER). Fails as the call fails.
aws_get() {
  local _ag_var=$1 _ag_placeholder=$2 _ag_out
  shift 2
  aws_show "$@"
  if [ "$DRY_RUN" = 1 ]; then
    _ag_out=$_ag_placeholder
  else
    _ag_out=$(awscli "$@") || return 1
  fi
  printf -v "$_ag_var" '%s' "$_ag_out"
}
# aws_try VAR ARGS...: like aws_get, for calls whose failure is an answer
# ("does not exist"): returns the CLI's status; VAR gets stdout or, on
# failure, stderr. With --dry-run: status 0, VAR empty.
aws_try() {
  local _at_var=$1 _at_out _at_err _at_rc=0
  shift
  aws_show "$@"
  if [ "$DRY_RUN" = 1 ]; then
    printf -v "$_at_var" '%s' ""
    return 0
  fi
  _at_err=$(mktemp)
  _at_out=$(awscli "$@" 2>"$_at_err") || _at_rc=$?
  if [ "$_at_rc" -ne 0 ]; then _at_out=$(cat "$_at_err"); fi
  rm -f "$_at_err"
  printf -v "$_at_var" '%s' "$_at_out"
  return "$_at_rc"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# ---------------------------------------------------------------- parameters file
# Reads [{ParameterKey, ParameterValue}, ...] into PARAM_OVERRIDES (Key=Value
# items for `aws cloudformation deploy`). python3 parses the JSON (jq is less
# often installed); keys deploy.sh sets itself are refused.
PARAM_OVERRIDES=()
OWN_PARAMS="ImageUri LambdaCodeBucket LambdaCodeKey"
read_params_file() {
  local file=$1 parsed item
  parsed=$(mktemp "${TMPDIR:-/tmp}/docpipe-params.XXXXXX")
  if [ ! -f "$file" ] || [ ! -r "$file" ]; then usage_error "parameters file not found: $file"; fi
  command -v python3 >/dev/null 2>&1 || die "reading --params needs python3"
  python3 - "$file" "$OWN_PARAMS" >"$parsed" <<'PY' || { rm -f "$parsed"; usage_error "bad parameters file $file: see above"; }
import json, sys
path, own = sys.argv[1], sys.argv[2].split()
try:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"not valid JSON: {e}")
if not isinstance(data, list):
    sys.exit('expected a JSON array of {"ParameterKey": ..., "ParameterValue": ...} objects')
seen = set()
for i, p in enumerate(data):
    if not isinstance(p, dict) or not isinstance(p.get("ParameterKey"), str) or "ParameterValue" not in p:
        sys.exit(f"entry {i}: needs ParameterKey and ParameterValue")
    extra = set(p) - {"ParameterKey", "ParameterValue"}
    if extra:
        sys.exit(f"entry {i} ({p['ParameterKey']}): unsupported fields {sorted(extra)}")
    key, value = p["ParameterKey"], p["ParameterValue"]
    if not key.isalnum():
        sys.exit(f"entry {i}: invalid ParameterKey {key!r}")
    if key in own:
        sys.exit(f"{key} is set by deploy.sh (use --image / --lambda-zip); remove it from the file")
    if key in seen:
        sys.exit(f"{key} appears twice")
    seen.add(key)
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (int, float)):
        value = str(value)
    elif isinstance(value, list):
        value = ",".join(str(v) for v in value)
    elif not isinstance(value, str):
        sys.exit(f"{key}: ParameterValue must be a string")
    sys.stdout.write(f"{key}={value}\0")
PY
  while IFS= read -r -d '' item; do
    PARAM_OVERRIDES+=("$item")
  done <"$parsed"
  rm -f "$parsed"
}
if [ "$MODE" = deploy ] && [ -n "$PARAMS_FILE" ]; then
  read_params_file "$PARAMS_FILE"
  # Catch typos before CloudFormation does: each key must be a template parameter.
  for item in ${PARAM_OVERRIDES[@]+"${PARAM_OVERRIDES[@]}"}; do
    key=${item%%=*}
    if ! grep -Eq "^[[:space:]]+$key:|\"$key\"[[:space:]]*:" "$TEMPLATE"; then
      usage_error "parameter $key (from $PARAMS_FILE) is not declared in $TEMPLATE"
    fi
  done
fi

# ---------------------------------------------------------------- region
REGION=""
REGION_SOURCE=""
if [ -n "$REGION_FLAG" ]; then
  REGION=$REGION_FLAG REGION_SOURCE="--region"
elif [ -n "${AWS_REGION:-}" ]; then
  REGION=$AWS_REGION REGION_SOURCE="AWS_REGION"
elif [ -n "${AWS_DEFAULT_REGION:-}" ]; then
  REGION=$AWS_DEFAULT_REGION REGION_SOURCE="AWS_DEFAULT_REGION"
elif command -v aws >/dev/null 2>&1 && REGION=$(aws configure get region 2>/dev/null) && [ -n "$REGION" ]; then
  REGION_SOURCE="aws configure get region"
fi
[ -n "$REGION" ] || usage_error "no region: give --region, or set AWS_REGION, or 'aws configure set region REGION'"
printf '%s' "$REGION" | grep -Eq '^[a-z]{2}(-[a-z]+)+-[0-9]+$' || usage_error "invalid region '$REGION'"

# ---------------------------------------------------------------- names
# ECR repositories and S3 buckets want lower case, no doubled or trailing hyphens.
SLUG=$(printf '%s' "$STACK" | tr '[:upper:]' '[:lower:]' | tr -s '-' | sed 's/-*$//')
ECR_REPO=$SLUG
set_artifacts_bucket() {
  local account=$1 slug=$SLUG max hash
  max=$((63 - ${#account} - ${#REGION} - 12)) # "-artifacts-" and "-"
  if [ "${#slug}" -gt "$max" ]; then
    hash=$(printf '%s' "$STACK" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-6)
    slug=$(printf '%s' "$slug" | cut -c1-$((max - 7)) | sed 's/-*$//')-$hash
  fi
  ARTIFACTS_BUCKET="$slug-artifacts-$account-$REGION"
}
image_tag() {
  local commit stamp
  stamp=$(date -u +%Y%m%d%H%M%S)
  if command -v git >/dev/null 2>&1 && git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git -C "$ROOT" rev-parse --short=12 HEAD)
    # Uncommitted changes go into the build context: a new tag each time, so
    # ECS sees a new image.
    if [ -n "$(git -C "$ROOT" status --porcelain)" ]; then
      printf '%s-dirty-%s' "$commit" "$stamp"
    else
      printf '%s' "$commit"
    fi
  else
    printf 'build-%s' "$stamp"
  fi
}

# ---------------------------------------------------------------- steps
if [ "$DRY_RUN" = 1 ]; then
  printf 'DRY RUN: nothing below is executed; no AWS call, no Docker.\n'
fi
printf 'docpipe %s: stack %s in %s (region from %s)\n' "$MODE" "$STACK" "$REGION" "$REGION_SOURCE"
if [ -n "$ENDPOINT_URL" ]; then printf 'AWS endpoint: %s\n' "$ENDPOINT_URL"; fi

check_tools() {
  step "Check tools"
  local tool why missing=0
  for tool in "$@"; do
    case "$tool" in
      aws) why="AWS CLI v2 (v1 works too)" ;;
      docker) why="Docker with BuildKit: builds the image and the Lambda zip" ;;
      zip) why="packages the Lambda (--binary)" ;;
      ldd) why="finds the binary's libraries (--binary)" ;;
      *) why="" ;;
    esac
    if command -v "$tool" >/dev/null 2>&1; then
      note "ok       $tool ($why)"
    else
      note "MISSING  $tool ($why)"
      missing=1
    fi
  done
  if [ "$missing" = 1 ]; then
    if [ "$DRY_RUN" = 1 ]; then
      note "(a real run stops here until the missing tools are installed)"
    else
      die "install the missing tools above (see the README's deployment guide)"
    fi
  fi
  case " $* " in
    *" docker "*)
      if [ "$DRY_RUN" = 0 ]; then
        docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable (is Docker running? 'docker info' fails)"
        docker buildx version >/dev/null 2>&1 || die "Docker's BuildKit (buildx) is missing: it builds the Lambda zip (--output)"
      fi
      ;;
  esac
}

ACCOUNT=""
check_identity() {
  step "Check credentials"
  local ident
  aws_get ident "<account-id>	<caller-arn>" sts get-caller-identity --query '[Account,Arn]' --output text ||
    die "no usable AWS credentials (aws sts get-caller-identity failed: see above; 'aws configure' or set AWS_PROFILE)"
  ACCOUNT=$(printf '%s' "$ident" | cut -f1)
  note "account $ACCOUNT as $(printf '%s' "$ident" | cut -f2)"
}

STACK_STATUS=""
read_stack_status() {
  local out
  if aws_try out cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' --output text; then
    STACK_STATUS=${out:-<status>}
  elif grep -q 'does not exist' <<<"$out"; then
    STACK_STATUS=NONE
  else
    printf '%s\n' "$out" >&2
    die "cannot read the stack's status"
  fi
}

ensure_artifacts_bucket() {
  step "Artifacts bucket $ARTIFACTS_BUCKET (Lambda code, large templates)"
  local out
  if aws_try out s3api head-bucket --bucket "$ARTIFACTS_BUCKET" && [ "$DRY_RUN" = 0 ]; then
    note "exists"
    return
  fi
  if [ "$DRY_RUN" = 0 ] && printf '%s' "$out" | grep -Eq '403|Forbidden'; then
    die "bucket $ARTIFACTS_BUCKET belongs to another account"
  fi
  if [ "$DRY_RUN" = 1 ]; then note "when absent:"; fi
  if [ "$REGION" = us-east-1 ]; then
    aws_run_quiet s3api create-bucket --bucket "$ARTIFACTS_BUCKET"
  else
    aws_run_quiet s3api create-bucket --bucket "$ARTIFACTS_BUCKET" \
      --create-bucket-configuration "LocationConstraint=$REGION"
  fi
  aws_run s3api put-public-access-block --bucket "$ARTIFACTS_BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws_run s3api put-bucket-encryption --bucket "$ARTIFACTS_BUCKET" --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  # Old Lambda zips are not needed once the function has its code; 90 days
  # leaves room for rollbacks to recent versions.
  aws_run s3api put-bucket-lifecycle-configuration --bucket "$ARTIFACTS_BUCKET" --lifecycle-configuration \
    '{"Rules":[{"ID":"expire-old-artifacts","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":90},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1}}]}'
}

REPO_URI=""
ensure_ecr_repository() {
  step "ECR repository $ECR_REPO"
  local out
  if aws_try out ecr describe-repositories --repository-names "$ECR_REPO" \
    --query 'repositories[0].repositoryUri' --output text && [ "$DRY_RUN" = 0 ]; then
    REPO_URI=$out
    note "exists: $REPO_URI"
    return
  fi
  if [ "$DRY_RUN" = 0 ] && ! grep -q 'RepositoryNotFoundException' <<<"$out"; then
    printf '%s\n' "$out" >&2
    die "cannot read ECR repository $ECR_REPO"
  fi
  if [ "$DRY_RUN" = 1 ]; then note "when absent:"; fi
  aws_get REPO_URI "$ACCOUNT.dkr.ecr.$REGION.amazonaws.com/$ECR_REPO" ecr create-repository \
    --repository-name "$ECR_REPO" --image-scanning-configuration scanOnPush=true \
    --encryption-configuration encryptionType=AES256 --query 'repository.repositoryUri' --output text ||
    die "cannot create ECR repository $ECR_REPO"
  # Keep the 20 newest images.
  aws_run_quiet ecr put-lifecycle-policy --repository-name "$ECR_REPO" --lifecycle-policy-text \
    '{"rules":[{"rulePriority":1,"description":"keep the 20 newest images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":20},"action":{"type":"expire"}}]}'
}

IMAGE_URI=""
build_and_push_image() {
  local tag registry out
  tag=$(image_tag)
  IMAGE_URI="$REPO_URI:$tag"
  step "Image $IMAGE_URI"
  case "$tag" in
    *-dirty-* | build-*) ;;
    *)
      # A clean commit already pushed needs no new build.
      if aws_try out ecr describe-images --repository-name "$ECR_REPO" --image-ids "imageTag=$tag" \
        --query 'imageDetails[0].imageDigest' --output text && [ "$DRY_RUN" = 0 ]; then
        note "already in ECR ($out): not rebuilt"
        return
      fi
      if [ "$DRY_RUN" = 1 ]; then note "when the tag is not in ECR yet:"; fi
      ;;
  esac
  run env DOCKER_BUILDKIT=1 docker build --platform linux/amd64 -f "$ROOT/deploy/Dockerfile" \
    --target runtime -t "$IMAGE_URI" "$ROOT"
  registry=${REPO_URI%%/*}
  if [ -n "$ENDPOINT_URL" ]; then
    show aws --region "$REGION" --endpoint-url "$ENDPOINT_URL" ecr get-login-password '|' \
      docker login --username AWS --password-stdin "$registry"
  else
    show aws --region "$REGION" ecr get-login-password '|' docker login --username AWS --password-stdin "$registry"
  fi
  if [ "$DRY_RUN" = 0 ]; then
    awscli ecr get-login-password | docker login --username AWS --password-stdin "$registry" >/dev/null ||
      die "docker login to $registry failed"
  fi
  run docker push "$IMAGE_URI"
}

LAMBDA_KEY=""
package_and_upload_lambda() {
  step "Lambda package"
  local zip sha out
  if [ -n "$LAMBDA_ZIP" ]; then
    zip=$LAMBDA_ZIP
    note "using $zip"
  elif [ -n "$BINARY" ]; then
    zip="$WORK/docpipe-lambda.zip"
    run "$ROOT/deploy/package-lambda.sh" "$BINARY" "$zip"
  else
    # Built in Docker from the same sources as the image (any host OS).
    run env DOCKER_BUILDKIT=1 docker build --platform linux/amd64 -f "$ROOT/deploy/Dockerfile" \
      --target lambda-zip --output "type=local,dest=$WORK/lambda" "$ROOT"
    zip="$WORK/lambda/docpipe-lambda.zip"
  fi
  if [ "$DRY_RUN" = 1 ]; then
    sha="<sha256-of-zip>"
  else
    [ -f "$zip" ] || die "no Lambda zip at $zip"
    sha=$(sha256_of "$zip")
  fi
  # The key names the content: new code, new key, and CloudFormation updates
  # the function; the same code leaves it alone.
  LAMBDA_KEY="lambda/docpipe-lambda-$sha.zip"
  note "s3://$ARTIFACTS_BUCKET/$LAMBDA_KEY"
  if aws_try out s3api head-object --bucket "$ARTIFACTS_BUCKET" --key "$LAMBDA_KEY" && [ "$DRY_RUN" = 0 ]; then
    note "already uploaded"
    return
  fi
  if [ "$DRY_RUN" = 1 ]; then note "when absent:"; fi
  aws_run s3 cp "$zip" "s3://$ARTIFACTS_BUCKET/$LAMBDA_KEY" --only-show-errors
}

print_failed_events() {
  printf 'Latest failure events of %s:\n' "$STACK" >&2
  awscli cloudformation describe-stack-events --stack-name "$STACK" --max-items 40 \
    --query "StackEvents[?contains(ResourceStatus, 'FAILED')].[Timestamp,LogicalResourceId,ResourceStatus,ResourceStatusReason]" \
    --output text >&2 || true
}

deploy_stack() {
  step "CloudFormation stack $STACK (create or update, then wait)"
  local args size
  args=(cloudformation deploy --stack-name "$STACK" --template-file "$TEMPLATE"
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset)
  # Templates over 51,200 bytes must come from S3.
  size=$(wc -c <"$TEMPLATE" | tr -d ' ')
  if [ "$size" -gt 51200 ]; then
    args+=(--s3-bucket "$ARTIFACTS_BUCKET" --s3-prefix templates)
  fi
  args+=(--parameter-overrides "ImageUri=$IMAGE_URI" "LambdaCodeBucket=$ARTIFACTS_BUCKET" "LambdaCodeKey=$LAMBDA_KEY")
  args+=(${PARAM_OVERRIDES[@]+"${PARAM_OVERRIDES[@]}"})
  args+=(--tags "docpipe:stack=$STACK")
  # Prints "No changes to deploy" when the stack is already up to date.
  if ! aws_run "${args[@]}"; then
    print_failed_events
    die "the stack did not deploy (events above; troubleshooting in the README)"
  fi
}

output_value() { # KEY: from OUTPUTS (lines "key<TAB>value")
  awk -F '\t' -v k="$1" '$1 == k && !done { print $2; done = 1 }' <<<"$OUTPUTS"
}
# The stack's resources, one "type<TAB>logical id<TAB>physical id" line each,
# read by one call when first needed: every AWS CLI call costs about a second
# of CPU, and the dashboard looks up three of them.
STACK_RESOURCES=""
STACK_RESOURCES_READ=0
read_stack_resources() {
  [ "$STACK_RESOURCES_READ" = 0 ] || return 0
  STACK_RESOURCES_READ=1
  aws_get STACK_RESOURCES "" cloudformation describe-stack-resources --stack-name "$STACK" \
    --query 'StackResources[].[ResourceType,LogicalResourceId,PhysicalResourceId]' --output text ||
    STACK_RESOURCES=""
}
# resource_id VAR TYPE WORD: the physical id of the stack's first resource of
# TYPE whose logical id contains WORD (empty when none; "<TYPE>" with --dry-run).
resource_id() {
  local _ri_var=$1 _ri_out
  read_stack_resources
  if [ "$DRY_RUN" = 1 ]; then
    _ri_out="<$2>"
  else
    _ri_out=$(awk -F '\t' -v t="$2" -v w="$3" '$1 == t && (w == "" || index($2, w)) && !done { print $3; done = 1 }' \
      <<<"$STACK_RESOURCES")
  fi
  if [ "$_ri_out" = None ]; then _ri_out=""; fi
  printf -v "$_ri_var" '%s' "$_ri_out"
}

OUTPUTS=""
print_outputs() {
  step "Stack outputs"
  aws_get OUTPUTS "" cloudformation describe-stacks --stack-name "$STACK" \
    --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text ||
    die "cannot read the outputs of $STACK"
  if [ "$DRY_RUN" = 0 ]; then
    if [ -n "$OUTPUTS" ] && [ "$OUTPUTS" != None ]; then
      printf '%s\n' "$OUTPUTS" | awk -F '\t' '{ printf "    %-28s %s\n", $1, $2 }'
    else
      note "(none)"
    fi
  fi
}

print_dashboard() {
  step "Dashboard (docpipe serve on the head task, port 8265)"
  local url cluster service task eni ip secret
  url=$(output_value DashboardUrl)
  cluster=$(output_value ClusterName)
  service=$(output_value HeadServiceName)
  secret=$(output_value ApiTokenSecretArn)
  if [ -z "$cluster" ]; then resource_id cluster AWS::ECS::Cluster ""; fi
  if [ -z "$service" ]; then resource_id service AWS::ECS::Service Head; fi
  if [ -z "$secret" ]; then resource_id secret AWS::SecretsManager::Secret Token; fi
  service=${service##*/} # a service's physical id is its ARN
  if [ -n "$url" ]; then
    note "open $url and sign in with the API token below"
  elif [ -z "$cluster" ] || [ -z "$service" ]; then
    note "the stack has no head service (no ECS cluster or service with 'Head' in its name)"
  else
    aws_get task "<task-arn>" ecs list-tasks --cluster "$cluster" --service-name "$service" \
      --desired-status RUNNING --query 'taskArns[0]' --output text || task=""
    if [ -z "$task" ] || [ "$task" = None ]; then
      note "no head task is running yet; ECS may still be starting it. Later: $PROG $STACK --outputs"
    else
      aws_get eni "<eni-id>" ecs describe-tasks --cluster "$cluster" --tasks "$task" \
        --query "tasks[0].attachments[0].details[?name=='networkInterfaceId'].value | [0]" --output text || eni=""
      ip=""
      if [ -n "$eni" ] && [ "$eni" != None ]; then
        aws_get ip "<public-ip>" ec2 describe-network-interfaces --network-interface-ids "$eni" \
          --query 'NetworkInterfaces[0].Association.PublicIp' --output text || ip=""
      fi
      if [ -z "$ip" ] || [ "$ip" = None ]; then
        note "the head task has no public IP (private subnets): reach port 8265 through a VPN, bastion or load balancer"
      else
        note "open http://$ip:8265/ and sign in with the API token below (only your AllowedCidr reaches it)"
        note "plain HTTP: for TLS put a load balancer in front and run serve with --trusted-proxy <its address>"
      fi
    fi
  fi
  if [ -n "$secret" ]; then
    note "API token (the dashboard's sign-in page asks for it; API clients send it as a bearer token):"
    show aws --region "$REGION" secretsmanager get-secret-value --secret-id "$secret" --query SecretString --output text
  fi
}

# ---------------------------------------------------------------- delete
# Deletes every object version and delete marker, 1,000 at a time.
empty_bucket() {
  local bucket=$1 kind batch n file
  file="$WORK/delete-batch.json"
  for kind in Versions DeleteMarkers; do
    while :; do
      aws_get batch "" s3api list-object-versions --bucket "$bucket" --max-items 1000 \
        --query "{Objects: ${kind}[0:1000].{Key: Key, VersionId: VersionId}, Quiet: \`true\`}" --output json ||
        die "cannot list the objects of $bucket"
      if [ "$DRY_RUN" = 1 ]; then
        note "then, while any are listed:"
        aws_show s3api delete-objects --bucket "$bucket" --delete "file://$file"
        break
      fi
      n=$(printf '%s' "$batch" | { grep -o '"VersionId": ' || true; } | wc -l | tr -d ' ')
      [ "$n" -gt 0 ] || break
      printf '%s' "$batch" >"$file"
      batch=$(awscli s3api delete-objects --bucket "$bucket" --delete "file://$file" --output json) ||
        die "cannot delete objects of $bucket"
      # A here-string, not a pipe: grep -q stops at the first match, and with
      # pipefail a writer cut off by SIGPIPE would turn the match into "no".
      if grep -q '"Errors"' <<<"$batch"; then
        printf '%s\n' "$batch" >&2
        die "some objects of $bucket could not be deleted"
      fi
      if [ "$kind" = Versions ]; then note "deleted $n object versions"; else note "deleted $n delete markers"; fi
    done
  done
}

STACK_BUCKETS=""
empty_stack_buckets() {
  local b
  aws_get STACK_BUCKETS "<bucket>" cloudformation describe-stack-resources --stack-name "$STACK" \
    --query "StackResources[?ResourceType=='AWS::S3::Bucket'].PhysicalResourceId" --output text ||
    die "cannot list the buckets of $STACK"
  for b in $STACK_BUCKETS; do
    [ "$b" != None ] || continue
    note "emptying s3://$b"
    empty_bucket "$b"
  done
}

confirm_delete() {
  if [ "$YES" = 1 ] || [ "$DRY_RUN" = 1 ]; then return; fi
  if [ ! -t 0 ]; then usage_error "--delete removes the stack and all its data; add --yes when not running interactively"; fi
  printf 'This deletes stack %s in %s with its bucket contents, tables and queues.\n' "$STACK" "$REGION"
  if [ "$PURGE" = 1 ]; then
    printf 'With --purge also ECR repository %s (all images) and bucket %s.\n' "$ECR_REPO" "$ARTIFACTS_BUCKET"
  fi
  printf 'Type the stack name to confirm: '
  local answer=""
  read -r answer || true
  [ "$answer" = "$STACK" ] || { printf 'Not confirmed; nothing deleted.\n'; exit 1; }
}

delete_stack() {
  read_stack_status
  confirm_delete
  if [ "$STACK_STATUS" = NONE ]; then
    note "stack $STACK does not exist"
  else
    step "Empty the stack's buckets (all versions and delete markers)"
    empty_stack_buckets
    step "Delete stack $STACK and wait"
    aws_run cloudformation delete-stack --stack-name "$STACK"
    if ! aws_run cloudformation wait stack-delete-complete --stack-name "$STACK"; then
      # Objects written while the workers were stopping keep a bucket from
      # being deleted: empty again and retry once.
      note "deletion did not complete; emptying the buckets again and retrying"
      empty_stack_buckets
      aws_run cloudformation delete-stack --stack-name "$STACK"
      if ! aws_run cloudformation wait stack-delete-complete --stack-name "$STACK"; then
        print_failed_events
        die "stack $STACK was not deleted (events above)"
      fi
    fi
    note "stack $STACK deleted"
  fi
  if [ "$PURGE" = 1 ]; then
    step "Purge: ECR repository $ECR_REPO and bucket $ARTIFACTS_BUCKET"
    local out
    if aws_try out ecr describe-repositories --repository-names "$ECR_REPO"; then
      aws_run_quiet ecr delete-repository --repository-name "$ECR_REPO" --force
    else
      note "no ECR repository $ECR_REPO"
    fi
    if aws_try out s3api head-bucket --bucket "$ARTIFACTS_BUCKET"; then
      empty_bucket "$ARTIFACTS_BUCKET"
      aws_run s3api delete-bucket --bucket "$ARTIFACTS_BUCKET"
    else
      note "no bucket $ARTIFACTS_BUCKET"
    fi
  else
    note "kept: ECR repository $ECR_REPO and bucket $ARTIFACTS_BUCKET (remove them with --delete --purge)"
  fi
}

# ---------------------------------------------------------------- main
WORK=$(mktemp -d "${TMPDIR:-/tmp}/docpipe-deploy.XXXXXX")
case "$MODE" in
  deploy)
    tools=(aws)
    if [ -n "$BINARY" ]; then tools+=(zip ldd); fi
    if [ -z "$IMAGE" ] || { [ -z "$BINARY" ] && [ -z "$LAMBDA_ZIP" ]; }; then tools+=(docker); fi
    check_tools "${tools[@]}"
    check_identity
    set_artifacts_bucket "$ACCOUNT"
    step "Plan"
    note "template          $TEMPLATE"
    note "artifacts bucket  $ARTIFACTS_BUCKET"
    if [ -n "$IMAGE" ]; then note "image             $IMAGE (given)"; else note "ECR repository    $ECR_REPO"; fi
    note "parameters        ${#PARAM_OVERRIDES[@]} from ${PARAMS_FILE:-(none: template defaults)}"
    read_stack_status
    case "$STACK_STATUS" in
      "<status>") note "create the stack when absent, update it otherwise" ;;
      NONE) note "stack $STACK does not exist yet: it will be created" ;;
      ROLLBACK_COMPLETE | ROLLBACK_FAILED | DELETE_FAILED)
        die "stack $STACK is $STACK_STATUS (a failed creation or deletion) and cannot be updated: run '$PROG $STACK --delete' first" ;;
      *_IN_PROGRESS)
        die "stack $STACK is $STACK_STATUS: wait until that operation ends" ;;
      *) note "stack $STACK exists ($STACK_STATUS): it will be updated" ;;
    esac
    ensure_artifacts_bucket
    if [ -n "$IMAGE" ]; then
      IMAGE_URI=$IMAGE
    else
      ensure_ecr_repository
      build_and_push_image
    fi
    package_and_upload_lambda
    deploy_stack
    print_outputs
    print_dashboard
    step "Done"
    note "update: re-run this command (new commit = new image tag, new binary = new Lambda key)"
    note "delete: $PROG $STACK --delete"
    ;;
  outputs)
    check_tools aws
    check_identity
    print_outputs
    print_dashboard
    ;;
  delete)
    check_tools aws
    check_identity
    set_artifacts_bucket "$ACCOUNT"
    delete_stack
    ;;
esac
