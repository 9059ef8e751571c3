"""Correction v, listings cost what is under their prefix: ListObjectVersions copies no
version and reads no object body; ListObjects(V2) and ListObjectVersions read only the
keys under the request's prefix.

It exists because moto's ListObjectVersions deep-copied every version of every key in
the bucket on each call (to mark IsLatest on the copies), and a deep copy of an object
version copies its body (FakeKey.__getstate__ reads the whole value) and, for a
multipart object, every part's body too. One user storing 300 MB made every
ListObjectVersions call of every user, an empty trash's included, take 1.3-1.7 s; at
1 GiB, over 10 s. In S3 a listing is bounded by what it lists: "Returns metadata about
all versions of the objects in a bucket. You can also use request parameters as
selection criteria to return metadata about a subset of all the object versions", and
the response is the metadata (Key, VersionId, IsLatest, LastModified, ETag, Size,
StorageClass, Owner), never a body.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html;
likewise ListObjectsV2 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)
and ListObjects (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html).
moto's ListObjects(V2) copied no body but walked every key of the bucket.

What changes:
- Each bucket's key store keeps a sorted index of its key names, updated when a key
  name appears or disappears (KeyIndex); a listing takes the slice of names under its
  prefix (bisect), and skips a whole CommonPrefix at once.
- ListObjectVersions answers from the stored versions themselves, each wrapped in a
  small view that carries IsLatest (Listed), so nothing is copied and concurrent
  listings cannot disturb one another.
- Everything else is moto's answer, unchanged and pinned against moto's own code
  (test_listings.py): the same versions and delete markers, order, IsLatest,
  CommonPrefixes, MaxKeys, KeyMarker / VersionIdMarker and NextKeyMarker /
  NextVersionIdMarker, including moto's quirks (a KeyMarker without VersionIdMarker
  also skips the newest version at or after it; a VersionIdMarker that names no
  version lists nothing). One difference, where S3 wins: versions of one key stored
  within the same millisecond are listed newest first, the newest marked IsLatest, as
  S3 returns versions "in the order they were stored, returning the most recently
  stored first" (ListObjectVersions, Examples); moto's sort by LastModified left such
  ties oldest first and marked the older one IsLatest.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from moto.s3.models import FakeDeleteMarker, FakeKey, FakeTableStorageBucket, S3Backend
from moto.s3.utils import _VersionedKeyStore

MOTO_LIST_OBJECT_VERSIONS = S3Backend.list_object_versions
MOTO_LIST_OBJECTS = S3Backend.list_objects
"""moto's own listings, kept for the tests that pin these answers to moto's."""

INDEX_ATTRIBUTE = "_homedir_sorted_names"
"""Where a key store keeps its index (saved.py leaves it out of a save)."""
_INDEX_LOCK = threading.Lock()


class KeyIndex:
    """The sorted key names of a bucket's key store (moto's _VersionedKeyStore, a dict
    of key name -> versions, oldest first), kept beside it.

    Built on first use; afterwards every mutation that can add or remove a name
    (__setitem__, setlist, pop: all moto uses) brings the index in line with the dict,
    under one lock, after the dict changed: whichever of two racing mutations runs its
    update last sees the dict's final state."""

    _installed = False

    @staticmethod
    def install() -> None:
        if KeyIndex._installed:
            return
        KeyIndex._installed = True
        original_setitem = _VersionedKeyStore.__setitem__
        original_setlist = _VersionedKeyStore.setlist
        original_pop = _VersionedKeyStore.pop

        def __setitem__(store: Any, key: str, value: Any) -> Any:
            original_setitem(store, key, value)
            KeyIndex._sync(store, key)

        def setlist(store: Any, key: Any, list_: Any) -> Any:
            original_setlist(store, key, list_)
            KeyIndex._sync(store, key)

        def pop(store: Any, key: str) -> None:  # type: ignore[override]
            try:
                original_pop(store, key)
            finally:
                KeyIndex._sync(store, key)

        _VersionedKeyStore.__setitem__ = __setitem__  # type: ignore[method-assign]
        _VersionedKeyStore.setlist = setlist  # type: ignore[method-assign]
        _VersionedKeyStore.pop = pop  # type: ignore[method-assign,assignment]

    @staticmethod
    def _sync(store: Any, name: str) -> None:
        with _INDEX_LOCK:
            names = store.__dict__.get(INDEX_ATTRIBUTE)
            if names is None:
                return
            at = bisect.bisect_left(names, name)
            indexed = at < len(names) and names[at] == name
            if dict.__contains__(store, name):
                if not indexed:
                    names.insert(at, name)
            elif indexed:
                del names[at]

    @staticmethod
    def names(store: Any) -> list[str]:
        """The live sorted list (read it under no assumption of stability: slice it)."""
        names = store.__dict__.get(INDEX_ATTRIBUTE)
        if names is None:
            with _INDEX_LOCK:
                names = store.__dict__.get(INDEX_ATTRIBUTE)
                if names is None:
                    names = sorted(dict.keys(store))
                    store.__dict__[INDEX_ATTRIBUTE] = names
        return names

    @staticmethod
    def under(store: Any, prefix: str) -> list[str]:
        """The names that start with `prefix`, sorted: a copy of that slice only."""
        names = KeyIndex.names(store)
        with _INDEX_LOCK:
            low = bisect.bisect_left(names, prefix)
            high = _end_of(names, prefix, low)
            return names[low:high]

    @staticmethod
    def first_at_or_after(store: Any, marker: str) -> str | None:
        """The first name >= marker that has a version (moto lists no empty name)."""
        names = KeyIndex.names(store)
        with _INDEX_LOCK:
            candidates = names[bisect.bisect_left(names, marker):]
        for name in candidates:  # in practice the first: moto drops a key with no version
            if store.getlist(name):
                return name
        return None


def _end_of(names: list[str], prefix: str, low: int) -> int:
    """The index after the last name in names[low:] that starts with prefix."""
    if not prefix:
        return len(names)
    last = ord(prefix[-1])
    if last < 0x10FFFF:  # names starting with prefix are exactly those in [prefix, bound)
        return bisect.bisect_left(names, prefix[:-1] + chr(last + 1), low)
    high = low
    while high < len(names) and names[high].startswith(prefix):
        high += 1
    return high


def _past_folder(names: list[str], folder: str, at: int) -> int:
    """The index of the first name after names[at] that is not under `folder`."""
    return _end_of(names, folder, at)


class Listed:
    """A stored version or delete marker as ListObjectVersions shows it: the object
    itself, plus IsLatest. moto set is_latest on deep copies; this view copies nothing."""

    __slots__ = ("of", "is_latest")

    def __init__(self, of: Any, is_latest: bool):
        self.of = of
        self.is_latest = is_latest

    def __getattr__(self, name: str) -> Any:
        return getattr(self.of, name)


def _newest_first(store: Any, name: str) -> list[Any]:
    versions = store.getlist(name) or []  # oldest first, the current one last
    return versions[::-1]


def list_object_versions(
    backend: Any,
    bucket_name: str,
    delimiter: str | None = None,
    key_marker: str | None = None,
    max_keys: int | None = 1000,
    prefix: str = "",
    version_id_marker: str | None = None,
) -> tuple[list[Any], list[str], list[Any], str | None, str | None]:
    """moto's S3Backend.list_object_versions, same answer, over the prefix's keys only."""
    bucket = backend.get_bucket(bucket_name)
    store = bucket.keys
    prefix = prefix or ""
    names = KeyIndex.under(store, prefix)

    versions: list[Any] = []
    delete_markers: list[Any] = []
    common_prefixes: set[str] = set()
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None
    last_item_added: Any = None

    # Where moto's walk over every version of the bucket stops skipping.
    at, skip = 0, 0
    if key_marker is not None:
        at = bisect.bisect_left(names, key_marker)
        if not version_id_marker:
            # moto skips every version before key_marker and the first one at or after it.
            first = KeyIndex.first_at_or_after(store, key_marker)
            if first is not None and first.startswith(prefix):
                at, skip = bisect.bisect_left(names, first), 1
        else:
            # moto skips up to and including the version named by both markers; if no
            # version has that name and id, it skips everything.
            ids = [version.version_id for version in _newest_first(store, key_marker)]
            if version_id_marker not in ids:
                return [], [], [], None, None
            if at < len(names) and names[at] == key_marker:
                skip = ids.index(version_id_marker) + 1

    while at < len(names):
        name = names[at]
        listed = _newest_first(store, name)
        first_shown = skip
        skip = 0
        if first_shown >= len(listed):
            at += 1
            continue
        rest = name[len(prefix):]
        if delimiter and delimiter in rest:
            folder = name[: len(prefix) + rest.index(delimiter) + len(delimiter)]
            if folder != key_marker:
                common_prefixes.add(folder)
                if max_keys is not None and \
                        len(versions) + len(delete_markers) + len(common_prefixes) >= max_keys:
                    next_key_marker, next_version_id_marker = folder, None
                    break
            # Every later version under the folder adds nothing (moto walks them one by one).
            at = _past_folder(names, folder, at)
            continue
        truncated = False
        for position in range(first_shown, len(listed)):
            version = listed[position]
            if max_keys is not None and \
                    len(versions) + len(delete_markers) + len(common_prefixes) >= max_keys:
                next_key_marker = last_item_added.name if last_item_added is not None else name
                next_version_id_marker = last_item_added.version_id if last_item_added is not None else None
                truncated = True
                break
            last_item_added = version
            shown = Listed(version, is_latest=position == 0)
            (versions if isinstance(version, FakeKey) else delete_markers).append(shown)
        if truncated:
            break
        at += 1

    return versions, sorted(common_prefixes), delete_markers, next_key_marker, next_version_id_marker


def list_objects(
    backend: Any, bucket: Any, prefix: str | None, delimiter: str | None, marker: str | None, max_keys: int | None
) -> tuple[list[Any], list[str], bool, str | None]:
    """moto's S3Backend.list_objects (ListObjects, and ListObjectsV2 through it), same
    answer, over the prefix's keys only."""
    if isinstance(bucket, FakeTableStorageBucket):  # moto's MethodNotAllowed
        return MOTO_LIST_OBJECTS(backend, bucket, prefix, delimiter, marker, max_keys)
    store = bucket.keys
    prefix = prefix or ""
    names = KeyIndex.under(store, prefix)
    keys: list[Any] = []
    folders: list[str] = []
    at = 0
    while at < len(names):
        name = names[at]
        rest = name[len(prefix):]
        if delimiter and delimiter in rest:
            folder = prefix + rest.split(delimiter)[0] + delimiter
            folders.append(folder)
            at = _past_folder(names, folder, at)
            continue
        current = store.get(name)
        if current is not None and not isinstance(current, FakeDeleteMarker):
            keys.append(current)
        at += 1

    result: Any = keys  # sorted by name already, as moto sorts them
    if marker:
        limit = backend._pagination_tokens.get(marker) or marker
        result = backend._get_results_from_token(result, limit)
    if max_keys is not None:
        result, truncated, next_marker = backend._truncate_result(result, max_keys)
    else:
        truncated, next_marker = False, None
    return result, folders, truncated, next_marker


class Listings:
    """Correction v, installed into moto's S3Backend."""

    @staticmethod
    def install() -> None:
        KeyIndex.install()
        S3Backend.list_object_versions = list_object_versions  # type: ignore[method-assign]
        S3Backend.list_objects = list_objects  # type: ignore[method-assign]
