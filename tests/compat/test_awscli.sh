#!/usr/bin/env bash
#   The AWS CLI against a zynamo gateway: create-table, put-item, query,
#   scan. Usage: test_awscli.sh ENDPOINT-URL. No network, no real
#   credentials: everything goes to ENDPOINT-URL.
set -euo pipefail
endpoint=$1
export AWS_ACCESS_KEY_ID=zynamo AWS_SECRET_ACCESS_KEY=zynamo
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
#   Debian's awscli unless AWS_CLI names another
cli=${AWS_CLI:-$( [ -x /usr/bin/aws ] && echo /usr/bin/aws || command -v aws )}
aws=("$cli" dynamodb --endpoint-url "$endpoint" --output json)
table="cli-$$-$RANDOM"

fail () { echo "test_awscli: $*" >&2; exit 1; }

"${aws[@]}" create-table --table-name "$table" \
    --attribute-definitions AttributeName=pk,AttributeType=S \
        AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST > /dev/null
for _ in $(seq 200); do
    status=$("${aws[@]}" describe-table --table-name "$table" \
        --query Table.TableStatus --output text)
    [ "$status" = ACTIVE ] && break
    sleep 0.05
done
[ "$status" = ACTIVE ] || fail "table not ACTIVE: $status"

for n in 1 2 3; do
    "${aws[@]}" put-item --table-name "$table" \
        --item "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"$n\"},\"v\":{\"S\":\"v$n\"}}"
done
"${aws[@]}" put-item --table-name "$table" \
    --item '{"pk":{"S":"b"},"sk":{"N":"1"}}'

count=$("${aws[@]}" query --table-name "$table" \
    --key-condition-expression "pk = :p AND sk >= :s" \
    --expression-attribute-values '{":p":{"S":"a"},":s":{"N":"2"}}' \
    --query Count --output text)
[ "$count" = 2 ] || fail "query count $count, expected 2"
values=$("${aws[@]}" query --table-name "$table" \
    --key-condition-expression "pk = :p" \
    --expression-attribute-values '{":p":{"S":"a"}}' \
    --query 'Items[].v.S' --output text)
[ "$values" = "v1	v2	v3" ] || fail "query values '$values'"

count=$("${aws[@]}" scan --table-name "$table" --query Count --output text)
[ "$count" = 4 ] || fail "scan count $count, expected 4"
# the CLI follows LastEvaluatedKey page by page
count=$("${aws[@]}" scan --table-name "$table" --page-size 1 \
    --query 'Items[].pk.S' --output text | wc -w)
[ "$count" = 4 ] || fail "paged scan saw $count items, expected 4"

if "${aws[@]}" describe-table --table-name "no-such-$table" 2> err.$$; then
    fail "describe-table of a missing table succeeded"
fi
grep -q ResourceNotFoundException err.$$ || fail "wrong error: $(cat err.$$)"
rm -f err.$$

"${aws[@]}" delete-table --table-name "$table" > /dev/null
echo "test_awscli: ok"
