"""Correction ad, S3 event notifications to Lambda functions, and correction ae,
lifecycle rules run on demand.

ad. moto 5.2.5 stores a bucket's NotificationConfiguration but delivers to its own
Docker-run Lambda only, for PutObject, CopyObject and CompleteMultipartUpload (with a
stray ObjectCreated:Put and ObjectTagging:Put besides), and for deletes only when a key
loses its last version: no delete markers, no version deletes, no DeleteObjects of a
versioned key. It checks no destination. Here (moto's own sending is off):

- PutBucketNotificationConfiguration (and a stack's NotificationConfiguration) accepts
  LambdaFunctionConfigurations for the event types below, each with at most one prefix
  and one suffix rule; configurations whose event types and key filters overlap are
  refused ("Configuration is ambiguously defined"); each function must exist and let
  s3.amazonaws.com invoke it for this bucket and account (lambdas.py), else
  400 InvalidArgument "Unable to validate the following destination configurations",
  unless x-amz-skip-destination-validation: true. Topic, queue and EventBridge
  destinations and other event types are 501 NotImplemented: the emulator delivers to
  functions only.
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
- Every way an object is created or removed makes a record: PutObject
  (ObjectCreated:Put), CopyObject (ObjectCreated:Copy), CompleteMultipartUpload
  (ObjectCreated:CompleteMultipartUpload), DeleteObject and each key of DeleteObjects:
  a version deleted (ObjectRemoved:Delete, its versionId; in an unversioned bucket the
  object) or a delete marker added (ObjectRemoved:DeleteMarkerCreated, the marker's
  versionId); a lifecycle run's expirations (LifecycleExpiration:Delete,
  LifecycleExpiration:DeleteMarkerCreated; below).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
- A record is sent to every configuration whose event type (or its `*`) and key filter
  match, one record per invocation, asynchronously (queued after the request, delivered
  through Lambda's Invoke path: lambdas.py, then homedir-gateway's Event queue), as the
  event message structure documents it: eventVersion 2.1 (2.3 for lifecycle events),
  eventSource aws:s3, awsRegion, eventTime (ISO 8601, milliseconds), eventName without
  "s3:", userIdentity.principalId (the caller: AWS:ROLE-ID:SESSION for role credentials,
  the account for the admin key, s3.amazonaws.com for lifecycle), requestParameters.
  sourceIPAddress, responseElements (x-amz-request-id, x-amz-id-2), and s3: the
  configuration's id, the bucket (name, ownerIdentity, arn) and the object: key
  URL-encoded as a form value ("red flower.jpg" is "red+flower.jpg"), size and eTag
  (unquoted) for created objects, versionId in a versioned bucket, and sequencer, a
  hexadecimal string that grows with every event of a key.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configure-notification.html
  The page's lifecycle example carries key and sequencer only: removal and delete-marker
  records here carry no size nor eTag. No s3:TestEvent is sent to functions (S3 sends it
  to queues and topics).

ae. Lifecycle rules run when asked (POST /_homedir/s3/lifecycle {"bucket": NAME, "now":
ISO-8601 | epoch seconds, or "days": N from now}), with "now" as the time of the run, so
a test can be 31 days later in an instant. A run applies every Enabled rule whose filter
(a prefix: Filter.Prefix, And.Prefix or the legacy Prefix; other filters refuse the run)
matches, in one pass, in this order: NoncurrentVersionExpiration (a noncurrent version,
delete markers included, expires NoncurrentDays after it became noncurrent, i.e. after
its successor was stored, rounded up to the next midnight UTC; NewerNoncurrentVersions N
keeps the N newest noncurrent versions of each key), Expiration Days / Date of current
versions (a delete marker in a versioned bucket, dated midnight of the run's day; the
object itself in an unversioned one), expired object delete markers (a delete marker
that is a key's only version, with ExpiredObjectDeleteMarker or with Expiration Days),
and AbortIncompleteMultipartUpload (DaysAfterInitiation after the upload started,
rounded up to midnight). Each removal is an event as above.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
S3 runs lifecycle rules once a day, asynchronously; here nothing runs unless asked.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import quote_plus

from moto.s3.exceptions import InvalidArgumentError, S3ClientError
from moto.s3.models import FakeBucket, FakeDeleteMarker, FakeKey, S3Backend

from .lambdas import REGISTRY, S3_PRINCIPAL

EVENTS = {
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
}
"""The event types the emulator emits (and so accepts in a configuration)."""

CREATED_BY = {"PutObject": "ObjectCreated:Put", "PostObject": "ObjectCreated:Post",
              "CopyObject": "ObjectCreated:Copy", "CompleteMultipartUpload": "ObjectCreated:CompleteMultipartUpload"}
REMOVING = {"DeleteObject", "DeleteObjects"}
SKIP_VALIDATION = "HTTP_X_AMZ_SKIP_DESTINATION_VALIDATION"
NEWER_VERSIONS = "homedir_newer_noncurrent_versions"  # where cfn_s3.py keeps NewerNoncurrentVersions
LIFECYCLE = "s3.amazonaws.com"


class NotImplementedHere(S3ClientError):
    """S3's 501 NotImplemented: "A header you provided implies functionality that is
    not implemented" (Error responses), here naming what the emulator does not do."""

    code = "NotImplemented"

    def __init__(self, message: str):
        super().__init__("NotImplemented", message)


# --------------------------------------------------------------------------
# Which request is under way (thread-local): who, from where, what
# --------------------------------------------------------------------------


@dataclass
class Happening:
    """One event, as found while the request ran; made into a record at the end."""

    bucket: FakeBucket
    name: str  # eventName, e.g. ObjectCreated:Put
    key: str
    version: Any  # the FakeKey or FakeDeleteMarker (created), or None
    version_id: str | None
    sequencer: str


@dataclass
class Context:
    operation: str
    principal_id: str
    source_ip: str
    lifecycle: bool = False
    event_time: datetime.datetime | None = None
    created: list[tuple[FakeBucket, Any, str]] = field(default_factory=list)
    happenings: list[Happening] = field(default_factory=list)


_current = threading.local()
_counter = itertools.count(1)
_counter_lock = threading.Lock()
_last_sequencer = 0


def _sequencer() -> str:
    """A hexadecimal string that grows with every event (S3 grows it per key)."""
    global _last_sequencer
    with _counter_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:018X}"


@contextlib.contextmanager
def request_context(operation: str, principal_id: str, source_ip: str, lifecycle: bool = False,
            event_time: datetime.datetime | None = None) -> Iterator[Context]:
    context = Context(operation, principal_id, source_ip, lifecycle, event_time)
    previous = getattr(_current, "context", None)
    _current.context = context
    try:
        yield context
    finally:
        _current.context = previous


def _context() -> Context | None:
    return getattr(_current, "context", None)


# --------------------------------------------------------------------------
# Hooks in moto's S3 backend
# --------------------------------------------------------------------------


def install() -> None:
    """moto's own sending off; objects created and removed noted for the request under
    way; notification configurations validated as S3 validates them. After versions.py
    (its delete_object is the one wrapped)."""
    from moto.s3 import notifications

    notifications.send_event = lambda *args, **kwargs: None
    notifications.send_test_event = lambda *args, **kwargs: None

    original_put = S3Backend.put_object

    def put_object(backend: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        key = original_put(backend, bucket_name, key_name, *args, **kwargs)
        context = _context()
        if context is not None and context.operation in CREATED_BY and key is not None:
            # Under the key's lock (correction i): the sequencer follows the writes' order.
            context.created.append((backend.get_bucket(bucket_name), key, _sequencer()))
        return key

    S3Backend.put_object = put_object  # type: ignore[method-assign]

    original_delete = S3Backend.delete_object

    def delete_object(backend: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None,
                      bypass: bool = False) -> Any:
        result = original_delete(backend, bucket_name, key_name, version_id=version_id, bypass=bypass)
        context = _context()
        if context is None or not (context.lifecycle or context.operation in REMOVING):
            return result
        success, meta = result if isinstance(result, tuple) else (bool(result), None)
        if not success:
            return result
        bucket = backend.get_bucket(bucket_name)
        meta = meta or {}
        prefix = "LifecycleExpiration" if context.lifecycle else "ObjectRemoved"
        if version_id is None and meta.get("delete-marker") == "true":
            name, removed_version = f"{prefix}:DeleteMarkerCreated", meta.get("version-id")
        else:
            name = f"{prefix}:Delete"
            removed_version = version_id if getattr(bucket, "is_versioned", False) or version_id else None
        context.happenings.append(Happening(bucket, name, key_name, None, removed_version, _sequencer()))
        return result

    S3Backend.delete_object = delete_object  # type: ignore[method-assign]

    original_create_upload = S3Backend.create_multipart_upload

    def create_multipart_upload(backend: S3Backend, *args: Any, **kwargs: Any) -> Any:
        multipart = original_create_upload(backend, *args, **kwargs)
        multipart.homedir_initiated = time.time()  # AbortIncompleteMultipartUpload counts from here
        return multipart

    S3Backend.create_multipart_upload = create_multipart_upload  # type: ignore[method-assign]

    original_set = FakeBucket.set_notification_configuration

    def set_notification_configuration(bucket: FakeBucket, configuration: dict[str, Any] | None) -> None:
        validate(bucket, configuration or {})
        original_set(bucket, configuration)

    FakeBucket.set_notification_configuration = set_notification_configuration  # type: ignore[method-assign]


def note_created() -> None:
    """At the end of a successful creating request: its happenings, in order."""
    context = _context()
    if context is None:
        return
    for bucket, key, sequencer in context.created[-1:]:
        context.happenings.append(Happening(bucket, CREATED_BY[context.operation], key.name, key,
                                            key.version_id if bucket.is_versioned else None, sequencer))
    context.created.clear()


# --------------------------------------------------------------------------
# Validation of a configuration
# --------------------------------------------------------------------------

_validation = threading.local()


@contextlib.contextmanager
def destination_validation(skip: bool) -> Iterator[None]:
    """x-amz-skip-destination-validation for the request under way."""
    _validation.skip = skip
    try:
        yield
    finally:
        _validation.skip = False


def _filters(configuration: dict[str, Any]) -> tuple[str, str]:
    rules = ((configuration.get("Filter") or {}).get("S3Key") or {}).get("FilterRule") or []
    found: dict[str, str] = {}
    for rule in rules:
        name = str(rule.get("Name", "")).lower()
        if name not in ("prefix", "suffix"):
            raise InvalidArgumentError("filter rule name must be either prefix or suffix",
                                       "FilterRule.Name", str(rule.get("Name")))
        if name in found:
            raise InvalidArgumentError("Cannot specify more than one prefix rule in a filter." if name == "prefix"
                                       else "Cannot specify more than one suffix rule in a filter.",
                                       "FilterRule.Name", name)
        found[name] = str(rule.get("Value") or "")
    return found.get("prefix", ""), found.get("suffix", "")


def _events_overlap(first: list[str], second: list[str]) -> bool:
    def family(event: str) -> str:
        return event.rsplit(":", 1)[0]

    for a in first:
        for b in second:
            if a == b or (a.endswith(":*") and family(a) == family(b)) or (b.endswith(":*") and family(b) == family(a)):
                return True
    return False


def _overlapping(a: str, b: str, starts: bool) -> bool:
    """Two prefixes overlap if one starts the other; two suffixes if one ends the other."""
    if starts:
        return a.startswith(b) or b.startswith(a)
    return a.endswith(b) or b.endswith(a)


def validate(bucket: FakeBucket, configuration: dict[str, Any]) -> None:
    for kind in ("TopicConfiguration", "QueueConfiguration"):
        if configuration.get(kind):
            raise NotImplementedHere(f"the local emulator delivers notifications to Lambda functions only, "
                                     f"not {kind}s")
    if configuration.get("EventBridgeConfiguration") is not None:
        raise NotImplementedHere("the local emulator delivers notifications to Lambda functions only, "
                                 "not to EventBridge")
    functions = configuration.get("CloudFunctionConfiguration") or []
    parsed = []
    for entry in functions:
        events = entry.get("Event") or []
        events = events if isinstance(events, list) else [events]
        for event in events:
            if not event.startswith("s3:"):
                event = "s3:" + event
            if event not in EVENTS:
                raise NotImplementedHere(f"the local emulator does not emit {event} events (it emits "
                                         f"{', '.join(sorted(EVENTS))})")
        parsed.append((entry, [e if e.startswith("s3:") else "s3:" + e for e in events], _filters(entry)))
    for (first, first_events, (p1, s1)), (second, second_events, (p2, s2)) in itertools.combinations(parsed, 2):
        if _events_overlap(first_events, second_events) and _overlapping(p1, p2, True) and _overlapping(s1, s2, False):
            raise InvalidArgumentError(
                "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes "
                "are overlapping for the same event type.", "FilterRule", f"{p1}|{s1}")
    if getattr(_validation, "skip", False):
        return
    refused = []
    for entry, _, _ in parsed:
        arn = entry.get("CloudFunction", "")
        function = REGISTRY.find(arn)
        if function is None or not REGISTRY.service_may_invoke(function, S3_PRINCIPAL, f"arn:aws:s3:::{bucket.name}",
                                                               bucket.account_id):
            refused.append(arn)
    if refused:
        raise InvalidArgumentError("Unable to validate the following destination configurations", refused[0],
                                   f"Not authorized to invoke function [{refused[0]}].")


# --------------------------------------------------------------------------
# Records, and their delivery
# --------------------------------------------------------------------------


def _iso(moment: datetime.datetime | None = None) -> str:
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def _request_ids() -> dict[str, str]:
    return {"x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(48)).decode()}


def _object(happening: Happening) -> dict[str, Any]:
    described: dict[str, Any] = {"key": quote_plus(happening.key, safe="")}
    version = happening.version
    if isinstance(version, FakeKey):
        described["size"] = version.size
        described["eTag"] = version.etag.replace('"', "")
    if happening.version_id is not None:
        described["versionId"] = happening.version_id
    described["sequencer"] = happening.sequencer
    return described


def record(context: Context, happening: Happening, configuration_id: str) -> dict[str, Any]:
    bucket = happening.bucket
    return {"Records": [{
        "eventVersion": "2.3" if context.lifecycle else "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": _iso(context.event_time),
        "eventName": happening.name,
        "userIdentity": {"principalId": context.principal_id},
        "requestParameters": {"sourceIPAddress": context.source_ip},
        "responseElements": _request_ids(),
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": bucket.account_id},
                       "arn": f"arn:aws:s3:::{bucket.name}"},
            "object": _object(happening),
        },
    }]}


def send(context: Context) -> int:
    """Queue a delivery per matching configuration of each happening; how many."""
    sent = 0
    for happening in context.happenings:
        configuration = happening.bucket.notification_configuration
        if configuration is None:
            continue
        for notification in configuration.cloud_function:
            if notification.matches("s3:" + happening.name, happening.key):
                REGISTRY.deliver(S3_PRINCIPAL, notification.arn, record(context, happening, notification.id),
                                 f"arn:aws:s3:::{happening.bucket.name}", happening.bucket.account_id,
                                 f"{happening.name} {happening.bucket.name}/{happening.key}")
                sent += 1
    context.happenings.clear()
    return sent


def has_functions(bucket: Any) -> bool:
    configuration = getattr(bucket, "notification_configuration", None)
    return bool(configuration is not None and configuration.cloud_function)


def principal_id(caller: Any) -> str:
    """userIdentity.principalId of a request's caller: the account for the admin key,
    AWS:ROLE-ID:SESSION for role credentials (s3gate.Caller)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    from .identitypools import find_role

    if caller is None:
        return DEFAULT_ACCOUNT_ID
    role = find_role(DEFAULT_ACCOUNT_ID, caller.role_arn)
    return f"AWS:{role.id if role is not None else 'AROA'}:{caller.session}"


def observe(environ: dict[str, Any], request: Any, caller: Any,
            call: Callable[[Callable[..., Any]], Any], start_response: Callable[..., Any]) -> Any:
    """An S3 request as `call` answers it, its events (ad) queued once it succeeded, and
    PutBucketNotificationConfiguration with its x-amz-skip-destination-validation."""
    if request.operation == "PutBucketNotificationConfiguration":
        skip = environ.get(SKIP_VALIDATION, "").strip().lower() == "true"
        with destination_validation(skip):
            return list(call(start_response))
    if request.operation not in CREATED_BY and request.operation not in REMOVING:
        return call(start_response)
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(request.bucket)
    if bucket is None or not has_functions(bucket):
        return call(start_response)
    statuses: list[str] = []

    def remember(status: str, headers: Any, *rest: Any) -> Any:
        statuses.append(status)
        return start_response(status, headers, *rest)

    with request_context(request.operation, principal_id(caller), environ.get("REMOTE_ADDR", "127.0.0.1")) as context:
        body = list(call(remember))
        if statuses and statuses[0].startswith("2"):
            note_created()
            send(context)
    return body


# --------------------------------------------------------------------------
# ae. Lifecycle rules, run on demand
# --------------------------------------------------------------------------


class LifecycleError(ValueError):
    """A run the emulator cannot do (unknown bucket, a filter it does not evaluate)."""


def _midnight_after(moment: datetime.datetime, days: int) -> datetime.datetime:
    """moment + days, rounded up to the next midnight UTC (S3's rule for days)."""
    later = moment + datetime.timedelta(days=days)
    midnight = later.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == later else midnight + datetime.timedelta(days=1)


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(tzinfo=datetime.timezone.utc) if moment.tzinfo is None else moment


def _rule_prefix(rule: Any) -> str:
    lc_filter = getattr(rule, "filter", None)
    if lc_filter is not None:
        if getattr(lc_filter, "tag_key", None):
            raise LifecycleError(f"rule {rule.id}: tag filters are not run by the local emulator")
        and_filter = getattr(lc_filter, "and_filter", None)
        if and_filter is not None:
            if getattr(and_filter, "tags", None):
                raise LifecycleError(f"rule {rule.id}: tag filters are not run by the local emulator")
            return getattr(and_filter, "prefix", None) or ""
        return lc_filter.prefix or ""
    return rule.prefix or ""


def _date(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return _utc(datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")))


def run_lifecycle(backend: S3Backend, bucket_name: str, now: datetime.datetime,
                  lock_key: Callable[[str, str], Any]) -> dict[str, Any]:
    """Apply the bucket's Enabled rules once, as of `now` (see the module's docstring)."""
    now = _utc(now)
    bucket = backend.buckets.get(bucket_name)
    if bucket is None:
        raise LifecycleError(f"no bucket {bucket_name}")
    rules = [rule for rule in bucket.rules if rule.status == "Enabled"]
    prefixes = [(rule, _rule_prefix(rule)) for rule in rules]
    report: dict[str, list[dict[str, Any]]] = {"expired_versions": [], "delete_markers_created": [],
                                               "expired_delete_markers": [], "aborted_uploads": [],
                                               "objects_expired": []}
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with request_context("Lifecycle", LIFECYCLE, LIFECYCLE, lifecycle=True, event_time=now) as context:
        names = sorted(dict.keys(bucket.keys))
        for name in names:
            with lock_key(bucket_name, name):
                _noncurrent(backend, bucket, name, prefixes, now, report,
                            lambda rule: getattr(rule, NEWER_VERSIONS, None))
                _expire_current(backend, bucket, name, prefixes, now, midnight, report)
                _expired_markers(backend, bucket, name, prefixes, report)
        for upload_id, multipart in list(bucket.multiparts.items()):
            for rule, prefix in prefixes:
                if rule.aimu_days is None or not multipart.key_name.startswith(prefix):
                    continue
                started = getattr(multipart, "homedir_initiated", None)
                if started is None:
                    multipart.homedir_initiated = started = time.time()
                begun = datetime.datetime.fromtimestamp(started, datetime.timezone.utc)
                if now >= _midnight_after(begun, int(rule.aimu_days)):
                    backend.abort_multipart_upload(bucket_name, upload_id)
                    report["aborted_uploads"].append({"key": multipart.key_name, "upload_id": upload_id})
                    break
        report["events"] = send(context)  # type: ignore[assignment]
    return report


def _versions(bucket: FakeBucket, name: str) -> list[Any]:
    return list(bucket.keys.getlist(name, default=[])) if name in bucket.keys else []


def _noncurrent(backend: S3Backend, bucket: FakeBucket, name: str, prefixes: list[tuple[Any, str]],
                now: datetime.datetime, report: dict[str, Any], newer: Callable[[Any], Any]) -> None:
    versions = _versions(bucket, name)  # oldest first
    if len(versions) < 2:
        return
    doomed: dict[str, Any] = {}
    noncurrent = versions[:-1]
    for rule, prefix in prefixes:
        if rule.nve_noncurrent_days is None or not name.startswith(prefix):
            continue
        keep = int(newer(rule) or 0)
        newest_first = list(reversed(range(len(noncurrent))))
        for rank, index in enumerate(newest_first):
            if rank < keep:
                continue
            became_noncurrent = _utc(versions[index + 1].last_modified)
            if now >= _midnight_after(became_noncurrent, int(rule.nve_noncurrent_days)):
                doomed[str(noncurrent[index].version_id)] = noncurrent[index]
    for version_id, version in doomed.items():
        backend.delete_object(bucket.name, name, version_id=version_id)
        report["expired_versions"].append({"key": name, "version_id": version_id,
                                           "delete_marker": isinstance(version, FakeDeleteMarker)})


def _expire_current(backend: S3Backend, bucket: FakeBucket, name: str, prefixes: list[tuple[Any, str]],
             now: datetime.datetime, midnight: datetime.datetime, report: dict[str, Any]) -> None:
    versions = _versions(bucket, name)
    if not versions or not isinstance(versions[-1], FakeKey):
        return
    current = versions[-1]
    for rule, prefix in prefixes:
        if not name.startswith(prefix):
            continue
        due = None
        if rule.expiration_days:
            due = _midnight_after(_utc(current.last_modified), int(rule.expiration_days))
        elif rule.expiration_date:
            due = _date(rule.expiration_date)
        if due is None or now < due:
            continue
        if bucket.is_versioned:
            _, meta = backend.delete_object(bucket.name, name)
            marker_id = (meta or {}).get("version-id")
            for version in _versions(bucket, name):
                if isinstance(version, FakeDeleteMarker) and str(version.version_id) == str(marker_id):
                    version.last_modified = midnight.replace(tzinfo=None)  # "00:00 UTC of the current day"
            report["delete_markers_created"].append({"key": name, "version_id": marker_id})
        else:
            backend.delete_object(bucket.name, name)
            report["objects_expired"].append({"key": name})
        return


def _expired_markers(backend: S3Backend, bucket: FakeBucket, name: str, prefixes: list[tuple[Any, str]],
                     report: dict[str, Any]) -> None:
    versions = _versions(bucket, name)
    if len(versions) != 1 or not isinstance(versions[0], FakeDeleteMarker):
        return
    for rule, prefix in prefixes:
        marker_rule = str(rule.expired_object_delete_marker).lower() == "true" or rule.expiration_days
        if marker_rule and name.startswith(prefix):
            marker_id = str(versions[0].version_id)
            backend.delete_object(bucket.name, name, version_id=marker_id)
            report["expired_delete_markers"].append({"key": name, "version_id": marker_id})
            return


def parse_now(body: dict[str, Any]) -> datetime.datetime:
    """The run's time: "now" (ISO 8601 or epoch seconds), or "days" after the real now."""
    if body.get("now") is not None and body.get("days") is not None:
        raise ValueError("give now or days, not both")
    if body.get("now") is not None:
        value = body["now"]
        if isinstance(value, (int, float)):
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        return _utc(datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    days = float(body.get("days") or 0)
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


def json_of(report: dict[str, Any]) -> str:
    return json.dumps(report)
