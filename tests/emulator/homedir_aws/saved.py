"""w. Saved state (the emulator's own tooling, for `make dev`, like d and e): with
--saved-state FILE the emulator loads FILE at start, if it exists, and saves everything
it holds to FILE on a clean stop (SIGTERM, SIGINT), so local data survives a restart.

moto has no persistence in server mode: its backends live in memory and die with the
process. What is saved:
- moto's backends for S3 (buckets with their settings, every object version and delete
  marker, multipart uploads in progress), Cognito user pools (pools, app clients,
  users with their passwords, attributes and MFA settings, issued refresh tokens and
  their revocations), Cognito identity pools (pools, identities), IAM (the role
  provision.py creates, the stack's managed policies with all their versions),
  DynamoDB (tables and items), CloudWatch Logs (the stack's log groups) and EventBridge
  (the stack's rules, so their ARNs still resolve when the stack is updated);
- the emulator's own state: the identity registry (correction a: one Identity ID per
  user, so a user's home prefix, home/<Identity ID>/, stays theirs), credentials issued
  and not yet expired (b), the user pool codes not yet used and their attempt counts (p),
  TOTP authenticators and MFA sessions (q), the stack's functions with their policies
  and credentials (ab).
Not saved: the call log and faults (test tooling), and per-key write locks.

The file is written beside FILE and renamed over it only once complete (and synced),
so a stop that is interrupted, or a kill, leaves the previous save in place. Layout:
MAGIC, the object bodies back to back (streamed from moto's buffers, never all in
memory), a pickle of everything else, and a trailer (the pickle's offset and length,
END). The pickle records moto's own classes, so a file is only loaded by the moto
version and format that wrote it; anything else is refused with a message, not
guessed at. A file that does not load is never deleted or overwritten by the start
that refused it.

Pickle loads run code named in the file: load only files this emulator wrote.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
import pickle
import struct
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import moto
from joserfc import jwk
from moto.cloudformation.models import cloudformation_backends
from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import cognitoidp_backends
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import events_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.s3.models import FakeDeleteMarker, FakeKey, s3_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.s3.utils import _VersionedKeyStore

from . import lambdas
from .listings import INDEX_ATTRIBUTE

MAGIC = b"HOMEDIR-EMULATOR-STATE\n"
END = b"HOMEDIR-STATE-END"
TRAILER = struct.Struct(">QQ")
FORMAT = 2  # 2: the stack (CloudFormation, Secrets Manager) and the pools' roles; no home buckets
CHUNK = 8 * 1024 * 1024

BACKENDS = {
    "s3": s3_backends,
    "cognito-idp": cognitoidp_backends,
    "cognito-identity": cognitoidentity_backends,
    "iam": iam_backends,
    "cloudformation": cloudformation_backends,
    "secretsmanager": secretsmanager_backends,
    "dynamodb": dynamodb_backends,
    "logs": logs_backends,
    "events": events_backends,
}


class SavedStateError(Exception):
    """The saved state cannot be loaded; the message says why and what to do."""


@dataclass
class Summary:
    buckets: int = 0
    objects: int = 0
    versions: int = 0
    delete_markers: int = 0
    bytes: int = 0
    user_pools: int = 0
    users: int = 0
    identities: int = 0

    def __str__(self) -> str:
        def count(number: int, one: str, many: str) -> str:
            return f"{number} {one if number == 1 else many}"

        return (f"{count(self.buckets, 'bucket', 'buckets')}, {count(self.objects, 'object', 'objects')} "
                f"({count(self.versions, 'version', 'versions')}, "
                f"{count(self.delete_markers, 'delete marker', 'delete markers')}, {_size(self.bytes)}), "
                f"{count(self.user_pools, 'user pool', 'user pools')} with {count(self.users, 'user', 'users')}, "
                f"{count(self.identities, 'identity', 'identities')}")


def _size(number: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1000 or unit == "GB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1000  # type: ignore[assignment]
    return f"{number} B"


def summary(app: Any) -> Summary:
    """What the emulator holds now: for the start-up and stop messages."""
    found = Summary()
    for account in s3_backends.values():
        for backend in account.values():
            for bucket in backend.buckets.values():
                found.buckets += 1
                for name in list(dict.keys(bucket.keys)):
                    versions = bucket.keys.getlist(name) or []
                    if versions and isinstance(versions[-1], FakeKey):
                        found.objects += 1
                    for version in versions:
                        if isinstance(version, FakeKey):
                            found.versions += 1
                            found.bytes += version.size
                        elif isinstance(version, FakeDeleteMarker):
                            found.delete_markers += 1
    for account in cognitoidp_backends.values():
        for backend in account.values():
            for pool in backend.user_pools.values():
                found.user_pools += 1
                found.users += len(pool.users)
    found.identities = len(app.s3.gate.registry._by_id)
    return found


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------


class _Pickler(pickle.Pickler):
    """Pickles moto's objects, with three exceptions moto's own pickling gets wrong or
    cannot do: an object's body goes to the bodies region (streamed, not read into
    memory as FakeKey.__getstate__ would), a bucket's key store keeps every version
    (its dict pickling would go through its items(), which yields only the current
    one), and a user pool's signing key (a joserfc RSAKey) is saved as its JWK."""

    def __init__(self, file: BinaryIO, bodies: BinaryIO):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.bodies = bodies

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, FakeKey):
            return _new, (type(obj),), self._key_state(obj), None, None, _set_key_state
        if isinstance(obj, _VersionedKeyStore):
            state = ({name: dict.__getitem__(obj, name) for name in list(dict.keys(obj))},
                     {k: v for k, v in obj.__dict__.items() if k != INDEX_ATTRIBUTE})  # rebuilt on use
            return _new, (type(obj),), state, None, None, _set_store_state
        if isinstance(obj, jwk.RSAKey):
            return _rsa_key, (tuple(sorted(obj.as_dict(private=True).items())),)
        return NotImplemented

    def _key_state(self, key: FakeKey) -> dict[str, Any]:
        state = {name: value for name, value in key.__dict__.items() if name not in ("_value_buffer", "lock")}
        offset, length = self.bodies.tell(), 0
        with key.lock:
            try:
                key._value_buffer.seek(0)
                while True:
                    chunk = key._value_buffer.read(CHUNK)
                    if not chunk:
                        break
                    self.bodies.write(chunk)
                    length += len(chunk)
            except ValueError:  # a disposed key's closed buffer: moto pickles it empty too
                pass
        state["_homedir_body"] = (offset, length)
        return state


def _new(cls: type) -> Any:
    return cls.__new__(cls)


@functools.lru_cache(maxsize=None)
def _rsa_key(jwk_items: tuple[tuple[str, Any], ...]) -> jwk.RSAKey:
    """A user pool's signing key from its JWK. Every pool holds moto's one bundled key,
    and importing it (recovering its primes) takes 0.1 s: imported once per load."""
    return jwk.RSAKey.import_key(dict(jwk_items))


def save(app: Any, path: Path) -> tuple[Summary, float]:
    """Write everything to `path` (atomically); (what was saved, seconds taken)."""
    started = time.monotonic()
    document = {
        "format": FORMAT,
        "moto": moto.__version__,
        "saved_at": time.time(),
        "backends": {  # service -> account -> region -> the backend's attributes
            service: {account_id: {region: backend.__dict__ for region, backend in account.items()}
                      for account_id, account in backends.items()}
            for service, backends in BACKENDS.items()
        },
        "bucket_accounts": dict(s3_backends.bucket_accounts),
        "emulator": _emulator_state(app),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            file.write(MAGIC)
            metadata = io.BytesIO()
            _Pickler(metadata, file).dump(document)
            offset = file.tell()
            file.write(metadata.getbuffer())
            file.write(TRAILER.pack(offset, metadata.tell()) + END)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return summary(app), time.monotonic() - started


def _emulator_state(app: Any) -> dict[str, Any]:
    registry = app.s3.gate.registry
    codes = app.user_pools.codes
    totp = app.user_pools.totp
    with registry._lock:
        identities = (dict(registry._by_login), dict(registry._by_id),
                      {key: issued for key, issued in registry._credentials.items() if issued.expires_at > time.time()})
    with codes.store._lock:
        pending_codes = {user: dict(kinds) for user, kinds in codes.store._codes.items()}
        next_code = next(codes.store._order)
        codes.store._order = itertools.count(next_code)
    with codes.attempts._lock:
        attempts = {key: list(calls) for key, calls in codes.attempts._calls.items()}
    with totp.authenticators._lock:
        authenticators = (dict(totp.authenticators._pending), dict(totp.authenticators._registered))
    with totp.sessions._lock:
        sessions = dict(totp.sessions._sessions)
    return {
        "identities": identities,
        "codes": (pending_codes, next_code),
        "attempts": attempts,
        "authenticators": authenticators,
        "sessions": sessions,
        "lambda": lambdas.saved_state(),
    }


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

_loading = threading.local()


def _set_key_state(key: FakeKey, state: dict[str, Any]) -> None:
    offset, length = state.pop("_homedir_body")
    key.__dict__.update(state)
    key.lock = threading.Lock()
    key._value_buffer = tempfile.SpooledTemporaryFile(max_size=key._max_buffer_size)
    bodies: BinaryIO = _loading.bodies
    bodies.seek(offset)
    remaining = length
    while remaining:
        chunk = bodies.read(min(CHUNK, remaining))
        if not chunk:
            raise SavedStateError("the saved state is cut short (an object's body is missing)")
        key._value_buffer.write(chunk)
        remaining -= len(chunk)


def _set_store_state(store: Any, state: tuple[dict[str, list[Any]], dict[str, Any]]) -> None:
    versions, attributes = state
    dict.update(store, versions)  # dict's own update: not the store's __setitem__ (which appends)
    store.__dict__.update(attributes)


def load(app: Any, path: Path) -> tuple[Summary, float, float]:
    """Load `path` into moto's backends and the emulator; (what was loaded, when it was
    saved (epoch seconds), seconds taken). SavedStateError if it cannot be loaded."""
    started = time.monotonic()
    try:
        file = open(path, "rb")
    except OSError as error:
        raise SavedStateError(f"cannot read {path}: {error.strerror}") from error
    with file:
        if file.read(len(MAGIC)) != MAGIC:
            raise SavedStateError(f"{path} is not a saved state of this emulator")
        file.seek(0, os.SEEK_END)
        size = file.tell()
        if size < len(MAGIC) + TRAILER.size + len(END):
            raise SavedStateError(f"{path} is cut short")
        file.seek(size - TRAILER.size - len(END))
        trailer = file.read(TRAILER.size + len(END))
        if trailer[TRAILER.size:] != END:
            raise SavedStateError(f"{path} is cut short (no end marker)")
        offset, length = TRAILER.unpack(trailer[:TRAILER.size])
        file.seek(offset)
        metadata = file.read(length)
        _loading.bodies = file
        try:
            document = _checked(pickle.loads(metadata), path)
        except SavedStateError:
            raise
        except Exception as error:  # an unpickling failure: say so, keep the file
            raise SavedStateError(f"{path} does not load ({type(error).__name__}: {error})") from error
        finally:
            _loading.bodies = None
    for service, accounts in document["backends"].items():
        backends = BACKENDS[service]
        for account_id, regions in accounts.items():
            for region, attributes in regions.items():
                backend = backends[account_id][region]
                backend.__dict__.clear()
                backend.__dict__.update(attributes)
    s3_backends.bucket_accounts.update(document["bucket_accounts"])
    _restore_emulator_state(app, document["emulator"])
    return summary(app), document["saved_at"], time.monotonic() - started


def _checked(document: Any, path: Path) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SavedStateError(f"{path} has another format than this emulator's ({FORMAT})")
    if document.get("moto") != moto.__version__:
        raise SavedStateError(
            f"{path} was saved by moto {document.get('moto')}, this emulator runs moto {moto.__version__}"
        )
    return document


def _restore_emulator_state(app: Any, state: dict[str, Any]) -> None:
    registry = app.s3.gate.registry
    by_login, by_id, issued = state["identities"]
    with registry._lock:
        registry._by_login.update(by_login)
        registry._by_id.update(by_id)
        registry._credentials.update(issued)
    codes = app.user_pools.codes
    pending_codes, next_code = state["codes"]
    with codes.store._lock:
        codes.store._codes.update(pending_codes)
        codes.store._order = itertools.count(next_code)
    with codes.attempts._lock:
        codes.attempts._calls.update({key: deque(calls) for key, calls in state["attempts"].items()})
    pending, registered = state["authenticators"]
    totp = app.user_pools.totp
    with totp.authenticators._lock:
        totp.authenticators._pending.update(pending)
        totp.authenticators._registered.update(registered)
    with totp.sessions._lock:
        totp.sessions._sessions.update(state["sessions"])
    lambdas.restore_state(state.get("lambda"))  # absent from a state saved before functions were deployed
