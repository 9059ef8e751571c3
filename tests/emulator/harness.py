"""What the emulator's tests share: starting and provisioning the emulator, AWS clients
with the admin, function and issued keys, plain HTTP requests (presigned URLs, CORS),
and forging ID tokens. Fixtures are in conftest.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = Path(__file__).resolve().parent
ADMIN_KEY = ("AKIAHOMEDIRADMIN000", "local")
FUNCTION_KEY = ("AKIAHOMEDIRFUNCTION0", "local")
REGION = "us-east-1"
IDENTITY_ID = re.compile(r"^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

Stack = dict[str, str]
"""The provisioned stack's settings (provision.py's KEY=VALUE lines)."""


# --------------------------------------------------------------------------
# Running the scripts
# --------------------------------------------------------------------------


@dataclass
class Emulator:
    process: subprocess.Popen[str]
    url: str
    state_dir: Path
    gateway_port: int | None = None  # where its Lambda finds homedir-gateway (--lambda-gateway)
    # Gateways provision() started for a stack's user pool functions; stopped with it.
    served: list[Any] = field(default_factory=list)

    def stop(self) -> int:
        for gateway in self.served:
            gateway.stop()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def get_json(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def post_json(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_emulator(state_dir: Path, port: int, *extra_args: str, gateway_port: int | None = None) -> Emulator:
    """Start the launcher and wait for its `ready URL` line. With `gateway_port`, its
    Lambda runs functions on a homedir-gateway there (start_gateway)."""
    log = open(state_dir.parent / f"{state_dir.name}.log", "w")
    gateway = ["--lambda-gateway", f"http://127.0.0.1:{gateway_port}"] if gateway_port else []
    process = subprocess.Popen(
        [sys.executable, str(HERE / "homedir_emulator.py"), "--port", str(port),
         "--state-dir", str(state_dir), *gateway, *extra_args],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    readable, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if readable else ""
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"emulator did not start: {line!r}, see {log.name}")
    return Emulator(process, line.split()[1], state_dir, gateway_port)


# --------------------------------------------------------------------------
# homedir-gateway: the functions' binaries, for the Lambda tests
# --------------------------------------------------------------------------

BIN_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or HERE.parents[1] / "target") / "debug"


@dataclass
class Gateway:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the gateway and its function processes
        self.process.wait(timeout=10)

    def post_json(self, path: str, body: Any = None, timeout: float = 60) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)


def start_gateway(port: int, directory: Path, env: dict[str, str], functions: tuple[str, ...] = ("test-recorder",),
                  config: Path | None = None, retry_delays: str = "0.2,0.3") -> Gateway:
    """homedir-gateway on 127.0.0.1:`port` serving `functions` (built binaries of the
    workspace: `make test` builds them first) with `env` as its --env-file."""
    binary = BIN_DIR / "homedir-gateway"
    missing = [name for name in ("homedir-gateway", *functions) if not (BIN_DIR / name).is_file()]
    if missing:
        pytest.fail(f"no {', '.join(missing)} in {BIN_DIR}: run `cargo build --workspace --bins` first")
    directory.mkdir(parents=True, exist_ok=True)
    env_file = directory / "functions.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    log = directory / "gateway.log"
    arguments = [str(binary), "--listen", f"127.0.0.1:{port}", "--bin-dir", str(BIN_DIR), "--env-file", str(env_file),
                 "--functions", ",".join(functions), "--async-retry-delays", retry_delays]
    if config is not None:
        arguments += ["--function-config", str(config)]
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=open(log, "w"), process_group=0)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/_homedir/health", timeout=1):
                return Gateway(process, url, log)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"homedir-gateway did not start: {log.read_text()}")
            time.sleep(0.05)


def provision(emulator: Emulator, out: Path, *extra_args: str) -> dict[str, str]:
    """Deploy template.yaml into the emulator (deploy.py, with provision.py's fixtures and
    the demo users) and return the settings it wrote."""
    subprocess.run(
        [sys.executable, str(HERE / "deploy.py"), "--endpoint", emulator.url, "--region", REGION,
         "--out", str(out), "--demo-users", "--signing-key", str(emulator.state_dir / "signing-key.pem"),
         *extra_args],
        check=True, capture_output=True, text=True,
    )
    settings = dict(line.split("=", 1) for line in out.read_text().splitlines())
    if emulator.gateway_port is None and not emulator.served:
        # Every sign-in to the stack's user pool runs its token-claims trigger, as in AWS:
        # serve the pool's functions (scripts/local-stack.sh does the same). An emulator
        # started with a gateway port has its gateway from the test (conftest's gateway).
        gateway = start_gateway(free_port(), out.parent / "user-pool-functions", {
            "AWS_ENDPOINT_URL": emulator.url, "AWS_REGION": REGION},
            functions=("token-claims", "user-changes"), config=Path(settings["FUNCTIONS_CONFIG"]))
        emulator.served.append(gateway)
        emulator.post_json("/_homedir/lambda/gateway", {"url": gateway.url})
    return settings


# --------------------------------------------------------------------------
# AWS clients and tokens
# --------------------------------------------------------------------------


def client(
    emulator: Emulator, service: str, key: tuple[str, ...] = ADMIN_KEY, signature_version: str | None = None
) -> Any:
    access_key, secret_key, *session_token = key
    return boto3.client(
        service, region_name=REGION, endpoint_url=emulator.url,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        aws_session_token=session_token[0] if session_token else None,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      signature_version=signature_version),
    )


def sign_in(emulator: Emulator, client_id: str, email: str, password: str) -> dict[str, str]:
    return client(emulator, "cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]


def id_token(emulator: Emulator, stack: dict[str, str], email: str = "alice@example.com") -> str:
    return sign_in(emulator, stack["USER_POOL_CLIENT_ID"], email, stack["DEMO_PASSWORD"])["IdToken"]


def provider(stack: dict[str, str], pool_key: str = "USER_POOL_ID") -> str:
    return f"cognito-idp.{REGION}.amazonaws.com/{stack[pool_key]}"


def get_id(emulator: Emulator, stack: dict[str, str], logins: dict[str, str] | None) -> str:
    arguments = {"IdentityPoolId": stack["IDENTITY_POOL_ID"]}
    if logins is not None:
        arguments["Logins"] = logins
    return client(emulator, "cognito-identity").get_id(**arguments)["IdentityId"]


def credentials(emulator: Emulator, identity_id: str, logins: dict[str, str] | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"IdentityId": identity_id}
    if logins is not None:
        arguments["Logins"] = logins
    return client(emulator, "cognito-identity").get_credentials_for_identity(**arguments)["Credentials"]


def user_credentials(emulator: Emulator, stack: dict[str, str], email: str) -> tuple[tuple[str, ...], str]:
    """The user's issued (access key, secret, session token) and home prefix."""
    logins = {provider(stack): id_token(emulator, stack, email)}
    identity_id = get_id(emulator, stack, logins)
    issued = credentials(emulator, identity_id, logins)
    return (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"]), f"home/{identity_id}/"


def user_s3(
    emulator: Emulator, stack: dict[str, str], email: str, signature_version: str | None = None
) -> tuple[Any, str]:
    """An S3 client with the user's issued credentials, and the user's home prefix.
    signature_version "s3v4" makes it presign with SigV4 too (boto3 would presign SigV2)."""
    key, home = user_credentials(emulator, stack, email)
    return client(emulator, "s3", key, signature_version=signature_version), home


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def status_and_code(call: Callable[[], Any]) -> tuple[int, str]:
    """(HTTP status, error code) of an SDK call that must fail."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def run_together(target: Callable[[int], Any], count: int) -> None:
    """Call target(0) ... target(count - 1) each in a thread of its own, all started
    before any is waited for: racing requests."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def unique(name: str) -> str:
    """`name` behind a random prefix: a key no other test (or earlier run) wrote."""
    return f"{uuid.uuid4().hex[:8]}-{name}"


# --------------------------------------------------------------------------
# Plain HTTP: presigned URLs, CORS, hand-signed requests
# --------------------------------------------------------------------------


def presign(s3: Any, method: str, params: dict[str, Any], expires: int = 300) -> str:
    return s3.generate_presigned_url(method, Params=params, ExpiresIn=expires)


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 120) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of a plain HTTP request, errors included."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def code_of(body: bytes) -> str:
    """The <Code> of an S3 XML error body; "" if there is none."""
    text = body.decode("utf-8", "replace")
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else ""


# --------------------------------------------------------------------------
# User pool codes and TOTP
# --------------------------------------------------------------------------


def codes(emulator: Emulator, pool_id: str, username: str) -> list[dict[str, Any]]:
    """The codes the emulator kept for a user instead of e-mailing them, oldest first
    (GET /_homedir/codes)."""
    query = urllib.parse.urlencode({"pool": pool_id, "username": username})
    return emulator.get_json(f"/_homedir/codes?{query}")["codes"]


def code_of_kind(emulator: Emulator, pool_id: str, username: str, kind: str) -> str:
    """The current code of one kind (sign_up, forgot_password, attribute)."""
    matching = [entry["code"] for entry in codes(emulator, pool_id, username) if entry["kind"] == kind]
    assert matching, f"no {kind} code for {username}"
    return matching[-1]


def totp(secret: str, at: float | None = None, digits: int = 6, step: int = 30) -> str:
    """RFC 6238 TOTP of a base32 secret: HMAC-SHA1 of the 30-second step counter, RFC
    4226 dynamic truncation. Written here independently of the emulator's, and checked
    against the RFC's own test vectors (test_totp_helper_matches_rfc_6238)."""
    padded = secret.upper() + "=" * (-len(secret) % 8)
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(base64.b32decode(padded), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


# --------------------------------------------------------------------------
# Forging tokens
# --------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = "dummy") -> str:
    header = b64url(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def moto_key(stack: dict[str, str]) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(Path(stack["EMULATOR_SIGNING_KEY"]).read_bytes(), None)
