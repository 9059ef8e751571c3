"""The emulator as one WSGI app and a server: HomedirMiddleware in front of moto's own
WSGI app, the control endpoints under /_homedir, start-up and the command line.

It exists to tie the corrections together in the order a request meets them: the
control endpoints, moto's own /moto-api, the user pools' public documents (counted, and
faultable as "jwks"), CORS preflights (cors.py), then for every AWS request the call log
(calls.py), an injected fault (faults.py), and for S3 the gate and the S3 corrections
(s3.py); Lambda's API is the emulator's own (lambdas.py); every other call passes the
service gate (servicegate.py: the roles of functions, DynamoDB for every caller), then
goes to moto as it is. Cognito's corrections are installed into
moto itself (cognito.py), as is the delete-marker and folder listing patch (versions.py).

d. Control endpoints:
       GET  /_homedir/health       -> {"ok": true}
       GET  /_homedir/calls        -> {"calls": [...], "jwks_fetches": N}
       POST /_homedir/calls/reset  -> clears both (not the faults)
       POST /_homedir/faults, POST /_homedir/faults/reset (faults.py)
       GET  /_homedir/codes?pool=ID&username=NAME, POST /_homedir/codes/expire,
       POST /_homedir/auth-sessions/expire (the user pool codes and sessions of
       corrections p and q: userpools.py, codes.py, totp.py)
       GET  /_homedir/lambda/functions, POST /_homedir/lambda/function-key,
       POST /_homedir/lambda/gateway, GET /_homedir/lambda/deliveries,
       POST /_homedir/lambda/drain (the functions and their deliveries: lambdas.py, ab)
       POST /_homedir/s3/lifecycle (a bucket's lifecycle rules run now: s3events.py, ae)
e. Start-up. With --state-dir, writes signing-key.pem (moto's ID-token signing key as
   PKCS#8 PEM; test-only, so tests can forge validly signed tokens that are expired or for
   the wrong audience) and emulator.pid. Prints "ready http://HOST:PORT" once the server
   answers (--port 0 picks a free port) and stops cleanly on SIGTERM/SIGINT: new requests
   are refused (503) and those in flight finish before anything is saved.
w. With --saved-state FILE, loads FILE before serving and saves to it on the clean stop
   (saved.py); one line on stderr says which: "state: fresh (...)", "state: resumed FILE
   (saved ...): <what>; loaded in S s", then "state: saved FILE: <what>; in S s". A FILE
   that does not load stops the start (exit status 2, "state: cannot resume ..."),
   leaving FILE as it was.

The request log shows method, path and status only: never query strings (presigned URLs
carry session tokens there) nor headers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from . import cfn, cloudtrail, pretoken, s3events, servicegate
from .calls import CallLog
from .cognito import CognitoIdentityCorrections, IdentityRegistry, moto_signing_key_pem
from .cors import Cors
from .faults import FaultError, Faults, fault_response, jwks_fault_status, parse_fault
from .lambdas import REGISTRY as LAMBDAS, serve_api as serve_lambda_api
from .listings import Listings
from .poolsettings import PoolSettings
from .saved import SavedStateError, load, save
from .request import is_signed, read_request
from .s3 import S3Service
from .s3auth import DeployedPolicies
from .s3gate import S3Gate
from .userpools import UnknownResource, UserPoolCorrections
from .versions import Versions
from .wsgi import StartResponse, json_response, read_body, request_path

DEFAULT_CREDENTIALS_TTL = "90"
TTL_ENV = "HOMEDIR_EMULATOR_CREDENTIALS_TTL"
EMULATOR_PATH = "/_homedir"

# A user pool's public documents, fetched unsigned. Pool IDs contain "_", which
# bucket names can't, so no path-style S3 request looks like this.
_USER_POOL_WELL_KNOWN = re.compile(
    r"^/[a-z0-9-]+_[A-Za-z0-9]+/\.well-known/(jwks\.json|openid-configuration)$"
)


class HomedirMiddleware:
    """Serves /_homedir/*, logs AWS calls, injects faults and guards S3 before moto."""

    def __init__(self, moto_app: Any, gate: S3Gate, calls: CallLog, faults: Faults,
                 user_pools: UserPoolCorrections | None = None):
        self.moto_app = moto_app
        self.calls = calls
        self.faults = faults
        self.user_pools = user_pools or UserPoolCorrections()
        self.s3 = S3Service(moto_app, gate)
        self.services = servicegate.ServiceGate(gate.registry, gate.policies)
        self._flight = threading.Condition()
        self._in_flight = 0
        self._stopping = False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with self._flight:
            if self._stopping:
                return json_response(start_response, "503 Service Unavailable", {"error": "the emulator is stopping"})
            self._in_flight += 1
        try:
            return self._serve(environ, start_response)
        finally:
            with self._flight:
                self._in_flight -= 1
                self._flight.notify_all()

    def stop_serving(self, timeout: float = 10.0) -> bool:
        """Refuse new requests (503; a kept-alive connection can still bring some after
        the server stops accepting) and wait for those in flight; False on timeout."""
        with self._flight:
            self._stopping = True
            return self._flight.wait_for(lambda: self._in_flight == 0, timeout)

    def _serve(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        if path == EMULATOR_PATH or path.startswith(EMULATOR_PATH + "/"):
            return self._emulator_endpoint(environ, path, start_response)
        if path == "/moto-api" or path.startswith("/moto-api/"):
            return self.moto_app(environ, start_response)
        well_known = not is_signed(environ) and _USER_POOL_WELL_KNOWN.match(path)
        if well_known:
            if well_known.group(1) == "jwks.json":
                self.calls.count_jwks_fetch()
                fault = self.faults.take("jwks")
                if fault and fault.kind != "delay":
                    return json_response(start_response, jwks_fault_status(fault.kind), {"error": fault.kind})
                if fault:
                    time.sleep(fault.delay_secs)
            return self.moto_app(environ, start_response)

        if Cors.is_preflight(environ):
            if path == "/":
                return Cors.cognito_preflight(environ, start_response)
            return Cors.s3_preflight(environ, read_request(environ), start_response)

        request = read_request(environ)
        start_response = Cors.around(environ, request, start_response)
        self.calls.record(request)
        fault = self.faults.take(request.operation)
        if fault and fault.kind != "delay":
            return fault_response(fault.kind, request, start_response)
        if fault:
            time.sleep(fault.delay_secs)
        if request.service == "lambda":  # correction ab
            return serve_lambda_api(
                environ, path, request.operation,
                lambda action, resource, function: self.services.authorize_lambda(
                    request, time.time(), action, resource, function),
                start_response)
        if request.service != "s3":
            refused = self.services.check(environ, request, time.time())  # correction ac
            if refused is not None:
                return servicegate.answer(start_response, refused)
            if request.service == "cognito-idp":  # who the CloudTrail record names (ag)
                principal = self.services.principal(request, time.time())
                cloudtrail.set_caller(cloudtrail.user_identity(principal, request.access_key, _account()),
                                      environ.get("REMOTE_ADDR") or "127.0.0.1",
                                      environ.get("HTTP_USER_AGENT") or "")
            if request.service == servicegate.DYNAMODB:  # each request atomic, as DynamoDB's are
                with servicegate.DYNAMODB_LOCK:
                    return list(self.moto_app(environ, start_response))
            return self.moto_app(environ, start_response)

        return self.s3(environ, request, start_response)

    def _emulator_endpoint(
        self, environ: dict[str, Any], path: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        query = {name: values[0] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        routes: dict[tuple[str, str], Callable[[Any], Any]] = {
            ("GET", f"{EMULATOR_PATH}/health"): lambda _: {"ok": True},
            ("GET", f"{EMULATOR_PATH}/calls"): lambda _: self.calls.snapshot(),
            ("POST", f"{EMULATOR_PATH}/calls/reset"): lambda _: _done(self.calls.reset),
            ("POST", f"{EMULATOR_PATH}/faults"): lambda body: _done(lambda: self.faults.add(parse_fault(body))),
            ("POST", f"{EMULATOR_PATH}/faults/reset"): lambda _: _done(self.faults.reset),
            ("GET", f"{EMULATOR_PATH}/codes"): lambda _: self.user_pools.codes_listing(query),
            ("POST", f"{EMULATOR_PATH}/codes/expire"): self.user_pools.expire_codes,
            ("POST", f"{EMULATOR_PATH}/auth-sessions/expire"): self.user_pools.expire_session,
            ("GET", f"{EMULATOR_PATH}/lambda/functions"): lambda _: {"functions": LAMBDAS.listing()},
            ("POST", f"{EMULATOR_PATH}/lambda/function-key"): _bind_function_key,
            ("POST", f"{EMULATOR_PATH}/lambda/gateway"): _set_gateway,
            ("GET", f"{EMULATOR_PATH}/lambda/deliveries"): lambda _: {"deliveries": LAMBDAS.deliveries()},
            ("POST", f"{EMULATOR_PATH}/lambda/drain"): lambda body: LAMBDAS.drain(
                float((body or {}).get("timeout", 60))),
            ("POST", f"{EMULATOR_PATH}/s3/lifecycle"): self._run_lifecycle,
        }
        handler = routes.get((environ["REQUEST_METHOD"], path.rstrip("/")))
        if handler is None:
            return json_response(start_response, "404 Not Found", {"error": "unknown emulator endpoint"})
        try:
            body = json.loads(read_body(environ) or b"null")
            return json_response(start_response, "200 OK", handler(body))
        except (ValueError, FaultError) as error:
            return json_response(start_response, "400 Bad Request", {"error": str(error)})
        except UnknownResource as error:
            return json_response(start_response, "404 Not Found", {"error": str(error)})

    def _run_lifecycle(self, body: Any) -> dict[str, Any]:
        """Correction ae: the bucket's lifecycle rules, run as of the body's time."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        if not isinstance(body, dict) or not body.get("bucket"):
            raise ValueError('the body names no "bucket"')
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        if body["bucket"] not in backend.buckets:
            raise UnknownResource(f"no bucket {body['bucket']}")
        now = s3events.parse_now(body)
        report = s3events.run_lifecycle(backend, body["bucket"], now, self.s3.writes.holding)
        return {"now": now.isoformat(), **report}


def _account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return DEFAULT_ACCOUNT_ID


def _done(action: Callable[[], Any]) -> dict[str, bool]:
    action()
    return {"ok": True}


def _bind_function_key(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body.get("function"):
        raise ValueError('the body names no "function"')
    try:
        function = LAMBDAS.bind_function_key(str(body["function"]))
    except ValueError as error:
        raise UnknownResource(str(error)) from error
    return {"ok": True, "function": function.arn, "role": function.role_arn}


def _set_gateway(body: Any) -> dict[str, Any]:
    url = (body or {}).get("url") if isinstance(body, dict) else None
    if url is not None and not str(url).startswith("http"):
        raise ValueError("url must be http://HOST:PORT or null")
    LAMBDAS.gateway = str(url).rstrip("/") if url else None
    return {"ok": True, "gateway": LAMBDAS.gateway}


class QuietRequestHandler(MotoRequestHandler):
    """Logs method, path and status only: query strings may hold session tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "")).path
        self.log("info", "%s %s %s", getattr(self, "command", "-"), path, code)


# --------------------------------------------------------------------------
# Start-up
# --------------------------------------------------------------------------


def build_app(credentials_ttl: float) -> HomedirMiddleware:
    registry = IdentityRegistry(credentials_ttl)
    CognitoIdentityCorrections(registry).install()
    user_pools = UserPoolCorrections()
    user_pools.install()
    PoolSettings().install()  # after p-s: x wraps their handlers
    pretoken.install()  # after x: the trigger runs once the flow and token checks passed
    cloudtrail.install()  # last: records the calls the corrections above answered
    Listings.install()  # before Versions: o filters v's folders
    Versions.install()
    s3events.install()  # after Versions: its delete_object is the one watched
    S3Service.install()
    cfn.install()
    moto_app = DomainDispatcherApplication(create_backend_app)
    gate = S3Gate(registry, DeployedPolicies())
    return HomedirMiddleware(moto_app, gate, CallLog(), Faults(), user_pools)


def write_state(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    key_path = state_dir / "signing-key.pem"
    key_path.write_bytes(moto_signing_key_pem())
    key_path.chmod(0o600)
    (state_dir / "emulator.pid").write_text(f"{os.getpid()}\n")


def wait_until_healthy(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}{EMULATOR_PATH}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="moto with homedir's Cognito Identity and S3 corrections")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--state-dir", type=Path, help="where to write signing-key.pem and emulator.pid")
    parser.add_argument(
        "--saved-state", type=Path, metavar="FILE",
        help="load FILE at start if it exists, save everything to it on a clean stop (make dev's local data)",
    )
    parser.add_argument(
        "--lambda-gateway", metavar="URL", default=os.environ.get("HOMEDIR_LAMBDA_GATEWAY") or None,
        help="homedir-gateway's URL (http://127.0.0.1:PORT): where the functions run (env HOMEDIR_LAMBDA_GATEWAY)",
    )
    parser.add_argument(
        "--credentials-ttl",
        type=float,
        default=os.environ.get(TTL_ENV, DEFAULT_CREDENTIALS_TTL),  # argparse applies `type` to it
        help=f"lifetime in seconds of issued credentials (default 90, env {TTL_ENV})",
    )
    return parser.parse_args(argv)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def resume(app: HomedirMiddleware, path: Path) -> bool:
    """Correction w at start: load the saved state if there is one; False if it does not load."""
    if not path.exists():
        _say(f"state: fresh (nothing saved at {path} yet)")
        return True
    try:
        found, saved_at, seconds = load(app, path)
    except SavedStateError as error:
        _say(f"state: cannot resume: {error}. The file is left as it is; remove it to start clean.")
        return False
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(saved_at))
    _say(f"state: resumed {path} (saved {when}): {found}; loaded in {seconds:.2f} s")
    return True


def keep(app: HomedirMiddleware, path: Path) -> bool:
    """Correction w at a clean stop: save everything; False if that failed."""
    if not app.stop_serving():
        _say("state: requests still running after 10 s; saving anyway")
    try:
        found, seconds = save(app, path)
    except Exception as error:  # say so: the previous save (if any) is still in place
        _say(f"state: NOT saved to {path}: {type(error).__name__}: {error}")
        return False
    _say(f"state: saved {path}: {found}; in {seconds:.2f} s")
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = build_app(args.credentials_ttl)
    LAMBDAS.gateway = args.lambda_gateway.rstrip("/") if args.lambda_gateway else None
    if args.saved_state and not resume(app, args.saved_state):
        return 2
    server = make_server(args.host, args.port, app, threaded=True, request_handler=QuietRequestHandler)
    url = f"http://{args.host}:{server.server_port}"

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    serving.start()
    try:
        if args.state_dir:
            write_state(args.state_dir)
        wait_until_healthy(url)
        print(f"ready {url}", flush=True)
        stop.wait()
    finally:
        server.shutdown()
        serving.join(timeout=5)
        saved = keep(app, args.saved_state) if args.saved_state else True
        if args.state_dir:
            (args.state_dir / "emulator.pid").unlink(missing_ok=True)
    return 0 if saved else 1

