"""DynamoDB in the emulator: every write request is atomic and isolated, as DynamoDB
makes each item write and each transaction (correction ac, servicegate.py): concurrent
UpdateItem ADDs and TransactWriteItems on one item lose no update.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.AtomicCounters
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from harness import Emulator, client

THREADS = 16
EACH = 15


def _table(emulator: Emulator) -> tuple[object, str]:
    dynamodb = client(emulator, "dynamodb")
    name = f"counters-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return dynamodb, name


def test_concurrent_adds_to_one_item_lose_no_update(emulator: Emulator) -> None:
    dynamodb, name = _table(emulator)

    def add(_: int) -> None:
        mine = client(emulator, "dynamodb")
        for _ in range(EACH):
            mine.update_item(TableName=name, Key={"pk": {"S": "total"}}, UpdateExpression="ADD n :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(add, range(THREADS)))
    item = dynamodb.get_item(TableName=name, Key={"pk": {"S": "total"}}, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": str(THREADS * EACH)}


def test_concurrent_transactions_on_one_item_lose_no_update(emulator: Emulator) -> None:
    dynamodb, name = _table(emulator)

    def add(thread: int) -> None:
        mine = client(emulator, "dynamodb")
        for i in range(EACH):
            mine.transact_write_items(TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": f"v-{thread}-{i}"}, "size": {"N": "3"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": name, "Key": {"pk": {"S": "total"}}, "UpdateExpression": "ADD b :b, v :one",
                            "ExpressionAttributeValues": {":b": {"N": "3"}, ":one": {"N": "1"}}}},
            ])

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(add, range(THREADS)))
    item = dynamodb.get_item(TableName=name, Key={"pk": {"S": "total"}}, ConsistentRead=True)["Item"]
    assert (item["b"], item["v"]) == ({"N": str(3 * THREADS * EACH)}, {"N": str(THREADS * EACH)})
