"""Usage and quotas on the real path, locally: template.yaml deployed with a 1 MiB home
quota (QuotaBytes), the workspace's own `usage` binary served by homedir-gateway with the
settings and role credentials the stack gave it (deploy.py's FUNCTIONS_CONFIG), the
bucket's notifications delivered to it by the emulator (corrections ab, ad), its totals
in the emulator's DynamoDB, its deny documents written as new default versions of the
quota policies in the emulator's IAM, and S3 deciding with them (c). Users write with
their own credentials, as any user could. An operator's recount (the usage function
invoked with {"recount": ROOT, "bucket": B}) repairs a total corrupted on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import REGION, Emulator, Gateway, Stack, client, error_code, free_port, provision, start_emulator, \
    start_gateway, user_credentials

QUOTA = 1024 * 1024


@pytest.fixture(scope="module")
def quota_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Stack, Gateway]]:
    directory = tmp_path_factory.mktemp("usage")
    gateway_port = free_port()
    emulator = start_emulator(directory / "state", free_port(), gateway_port=gateway_port)
    gateway = None
    try:
        stack = provision(emulator, directory / "stack.env", "--parameter", f"QuotaBytes={QUOTA}")
        gateway = start_gateway(gateway_port, directory / "gateway",
                                {"AWS_ENDPOINT_URL": emulator.url, "AWS_REGION": REGION},
                                functions=("usage",), config=Path(stack["FUNCTIONS_CONFIG"]))
        yield emulator, stack, gateway
    finally:
        if gateway is not None:
            gateway.stop()
        emulator.stop()


def _drain(emulator: Emulator) -> None:
    answer = emulator.post_json("/_homedir/lambda/drain", {"timeout": 60})
    assert answer["drained"], answer


def _total(emulator: Emulator, stack: Stack, home: str) -> dict[str, Any]:
    table = client(emulator, "cloudformation").describe_stack_resource(
        StackName=stack["STACK_NAME"], LogicalResourceId="UsageTable")["StackResourceDetail"]["PhysicalResourceId"]
    item = client(emulator, "dynamodb").get_item(
        TableName=table, Key={"space": {"S": home}, "item": {"S": "total"}}, ConsistentRead=True).get("Item") or {}
    return {name: next(iter(value.values())) for name, value in item.items()}


def test_writes_are_tallied_and_a_full_home_is_denied_new_objects_by_iam(
        quota_stack: tuple[Emulator, Stack, Gateway]) -> None:
    emulator, stack, gateway = quota_stack
    bucket = stack["BUCKET_NAME"]
    alice_key, alice_home = user_credentials(emulator, stack, "alice@example.com")
    bob_key, bob_home = user_credentials(emulator, stack, "bob@example.com")
    alice, bob = client(emulator, "s3", alice_key), client(emulator, "s3", bob_key)
    body = b"a" * (600 * 1024)

    alice.put_object(Bucket=bucket, Key=alice_home + "big.bin", Body=body)
    bob.put_object(Bucket=bucket, Key=bob_home + "small.txt", Body=b"bob")
    _drain(emulator)
    total = _total(emulator, stack, alice_home)
    assert (int(total["bytes"]), int(total["versions"])) == (len(body), 1), (total, gateway.log.read_text()[-3000:])
    assert int(_total(emulator, stack, bob_home)["bytes"]) == 3  # Bob's never moves with Alice's

    # An overwrite keeps the old version (versioned bucket): it counts, and the home is full.
    alice.put_object(Bucket=bucket, Key=alice_home + "big.bin", Body=body)
    _drain(emulator)
    total = _total(emulator, stack, alice_home)
    assert (int(total["bytes"]), int(total["versions"])) == (2 * len(body), 2)
    # The usage function wrote a deny version naming her; her credentials, issued before
    # it, may write nothing new, and still read, list and delete.
    assert error_code(lambda: alice.put_object(Bucket=bucket, Key=alice_home + "more.txt", Body=b"x")) == \
        "AccessDenied"
    assert alice.get_object(Bucket=bucket, Key=alice_home + "big.bin")["Body"].read() == body
    alice.list_objects_v2(Bucket=bucket, Prefix=alice_home)
    alice_id = alice_home.split("/")[1]
    iam = client(emulator, "iam")
    named = []
    for number in range(1, 5):
        arn = client(emulator, "cloudformation").describe_stack_resource(
            StackName=stack["STACK_NAME"], LogicalResourceId=f"QuotaDenyPolicy{number}")["StackResourceDetail"][
            "PhysicalResourceId"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        named.append(str(document))
    assert sum(alice_id in text for text in named) == 1, named  # one deny document names her
    # A user under quota is unaffected.
    bob.put_object(Bucket=bucket, Key=bob_home + "second.txt", Body=b"bob")

    # A delete adds a marker, which holds no bytes: the versions still count.
    alice.delete_object(Bucket=bucket, Key=alice_home + "big.bin")
    _drain(emulator)
    assert int(_total(emulator, stack, alice_home)["bytes"]) == 2 * len(body)
    assert int(_total(emulator, stack, bob_home)["bytes"]) == 6

    # The lifecycle rules expire the old versions (a year later): each expiration is an
    # event that subtracts its version, the home is under quota again, and the usage
    # function takes her out of the deny documents.
    emulator.post_json("/_homedir/s3/lifecycle", {"bucket": bucket, "days": 400})
    _drain(emulator)
    total = _total(emulator, stack, alice_home)
    assert (int(total["bytes"]), int(total["versions"])) == (0, 0), total
    alice.put_object(Bucket=bucket, Key=alice_home + "more.txt", Body=b"x")


def test_a_recount_repairs_a_total_corrupted_on_purpose_and_reports_the_drift(
        quota_stack: tuple[Emulator, Stack, Gateway]) -> None:
    emulator, stack, _ = quota_stack
    bucket = stack["BUCKET_NAME"]
    bob_key, bob_home = user_credentials(emulator, stack, "bob@example.com")
    bob = client(emulator, "s3", bob_key)
    bob.put_object(Bucket=bucket, Key=bob_home + "recount/one.txt", Body=b"12345")
    _drain(emulator)
    exact = _total(emulator, stack, bob_home)
    table = client(emulator, "cloudformation").describe_stack_resource(
        StackName=stack["STACK_NAME"], LogicalResourceId="UsageTable")["StackResourceDetail"]["PhysicalResourceId"]
    client(emulator, "dynamodb").update_item(
        TableName=table, Key={"space": {"S": bob_home}, "item": {"S": "total"}},
        UpdateExpression="SET #b = :b, #v = :v", ExpressionAttributeNames={"#b": "bytes", "#v": "versions"},
        ExpressionAttributeValues={":b": {"N": "999999"}, ":v": {"N": "42"}})
    assert int(_total(emulator, stack, bob_home)["bytes"]) == 999999

    # An operator's recount: the usage function invoked through Lambda's Invoke API.
    function = next(o["OutputValue"] for o in client(emulator, "cloudformation").describe_stacks(
        StackName=stack["STACK_NAME"])["Stacks"][0]["Outputs"] if o["OutputKey"] == "UsageFunctionName")
    answer = client(emulator, "lambda").invoke(
        FunctionName=function, Payload=json.dumps({"recount": bob_home, "bucket": bucket}).encode())
    assert "FunctionError" not in answer, answer["Payload"].read()
    drift = json.loads(answer["Payload"].read())
    assert (drift["bytes_before"], drift["versions_before"]) == (999999, 42), drift
    assert (drift["bytes"], drift["versions"]) == (int(exact["bytes"]), int(exact["versions"])), drift
    assert drift["total_repaired"] is True and drift["added"] == drift["removed"] == 0, drift
    total = _total(emulator, stack, bob_home)
    assert (total["bytes"], total["versions"]) == (exact["bytes"], exact["versions"])
