"""Correction ad, S3 event notifications (s3events.py): requests served at once each
make their own records. Every PutObject of many at once, to one key or to many, is one
ObjectCreated:Put record of that key: the request under way is a thread's own, never
another request's.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html"""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from harness import Emulator, Stack, client
from homedir_aws import s3events

PUTS = 40


def _deliveries(emulator: Emulator) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{emulator.url}/_homedir/lambda/deliveries") as answer:
        return json.load(answer)["deliveries"]


def test_the_request_under_way_is_each_threads_own() -> None:
    assert isinstance(s3events._current, threading.local)


def test_puts_at_once_each_make_one_record_of_their_own_key(emulator: Emulator, stack: Stack) -> None:
    bucket = stack["BUCKET_NAME"]
    root = f"home/us-east-1:{uuid.uuid4()}/"

    def put(i: int) -> None:
        client(emulator, "s3").put_object(Bucket=bucket, Key=f"{root}k{i % 10}-{i // 20}.txt", Body=b"x" * i)

    with ThreadPoolExecutor(PUTS) as pool:
        list(pool.map(put, range(PUTS)))
    labels = Counter(str(d["label"]) for d in _deliveries(emulator) if root in str(d["label"]))
    expected = Counter(f"ObjectCreated:Put {bucket}/{root}k{i % 10}-{i // 20}.txt" for i in range(PUTS))
    assert labels == expected
