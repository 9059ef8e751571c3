"""Correction ab, Lambda: the stack's functions known by name and ARN, run by
homedir-gateway, invoked through Lambda's Invoke API and by AWS services, each
invocation by a service allowed by the function's resource-based policy.

moto 5.2.5's Lambda runs functions in Docker and wants their code; locally the functions
are the workspace's binaries, which homedir-gateway (gateway/) runs under a Lambda
Runtime API. Here:

- A function (an AWS::Lambda::Function of the stack, cfn_lambda.py) is a record: its
  name and ARN, the binary that runs it (Metadata.BuildProperties.Binary, as `sam build`
  reads it for cargo-lambda), its role, environment, timeout and memory size, and the
  credentials of its execution role that Lambda hands the function ("Lambda ... provides
  the temporary credentials of the execution role to the function", the environment's
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN):
  https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
  Calls signed with them are the role's (servicegate.py, s3gate.py).
- Invoke (POST /2015-03-31/functions/{FunctionName}/invocations; the name, the ARN or a
  partial ARN, `$LATEST` the only qualifier): the caller must be allowed
  lambda:InvokeFunction on the function by its identity policies or by the function's
  resource-based policy (else 403 AccessDeniedException); DryRun answers 204 here;
  RequestResponse and Event are forwarded to the gateway (--lambda-gateway URL), which
  runs the binary and answers as Lambda does (gateway/src/invoke.rs).
  https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
  GetFunction, GetFunctionConfiguration, ListFunctions and GetPolicy answer the records.
- The resource-based policy is the statements the stack's AWS::Lambda::Permission
  resources add, as AddPermission writes them: Principal {"Service": ...} for a service,
  {"AWS": ...} for an account or ARN; SourceArn as ArnLike AWS:SourceArn, SourceAccount
  as StringEquals AWS:SourceAccount.
  https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
  https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
- An invocation by a service (S3 notifications, s3events.py; the pre token generation
  trigger, pretoken.py; EventBridge rules' targets, cloudtrail.py) is evaluated against that policy with the service as
  principal and the source's ARN and account as AWS:SourceArn / AWS:SourceAccount. What
  each source does when no statement allows it:
  * s3.amazonaws.com: PutBucketNotificationConfiguration (and so the bucket's
    NotificationConfiguration in a stack) fails with InvalidArgument "Unable to validate
    the following destination configurations" (s3events.py), and an event whose
    permission is gone by the time it is sent is not delivered;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
  * cognito-idp.amazonaws.com: the user pool operation that would run the trigger fails
    with "<Trigger> invocation failed due to error AccessDeniedException."
    (refusal_for, COGNITO_REFUSAL);
    https://repost.aws/knowledge-center/cognito-lambda-trigger-errors
  * events.amazonaws.com: the rule's target is not invoked; EventBridge counts a
    FailedInvocation and, after its retries, drops the event (recorded here as
    refused, not retried).
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
  A service invokes asynchronously (S3, EventBridge): the delivery is queued here and
  sent to the gateway as an Event invocation, which queues it again and retries a
  function error twice, as Lambda does; POST /_homedir/lambda/drain waits until both
  queues are empty.
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html

Control endpoints (app.py): GET /_homedir/lambda/functions (the records, credentials
included: deploy.py writes the gateway's --function-config from them), POST
/_homedir/lambda/function-key {"function": NAME|ARN} (which function's role the shared
function key AKIAHOMEDIRFUNCTION0 plays), GET /_homedir/lambda/deliveries, POST
/_homedir/lambda/drain {"timeout": SECONDS}.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import iam
from .wsgi import StartResponse, json_response, read_body

API_PREFIX = "/2015-03-31/functions"
INVOKE_ACTION = "lambda:InvokeFunction"
S3_PRINCIPAL = "s3.amazonaws.com"
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
EVENTS_PRINCIPAL = "events.amazonaws.com"
COGNITO_REFUSAL = "{trigger} invocation failed due to error AccessDeniedException."
KEPT_DELIVERIES = 10_000

_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::(.+))?$")
_PARTIAL = re.compile(r"^(\d{12}):function:([A-Za-z0-9_-]+)(?::(.+))?$")


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Function:
    """One deployed function, as Lambda keeps it, and the binary that runs it locally."""

    name: str
    arn: str
    account_id: str
    region: str
    binary: str
    role_arn: str
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = 3
    memory: int = 128
    description: str = ""
    runtime: str = ""
    handler: str = ""
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    statements: list[dict[str, Any]] = field(default_factory=list)
    access_key: str = field(default_factory=lambda: "ASIA" + _random(string.ascii_uppercase + string.digits, 16))
    secret_key: str = field(default_factory=lambda: _random(string.ascii_letters + string.digits + "/+", 40))
    session_token: str = field(default_factory=lambda: base64.b64encode(os.urandom(96)).decode())
    modified: float = field(default_factory=time.time)

    @property
    def principal(self) -> str:
        """The ARN its credentials act as: the role, assumed by Lambda for this function."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_arn.rsplit('/', 1)[-1]}/{self.name}"

    def policy(self) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Id": "default", "Statement": list(self.statements)}

    def configuration(self) -> dict[str, Any]:
        """GetFunctionConfiguration's answer."""
        return {
            "FunctionName": self.name, "FunctionArn": self.arn, "Runtime": self.runtime, "Role": self.role_arn,
            "Handler": self.handler, "Description": self.description, "Timeout": self.timeout,
            "MemorySize": self.memory, "Version": "$LATEST", "State": "Active", "PackageType": "Zip",
            "Architectures": list(self.architectures),
            "LastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(self.modified)),
            "Environment": {"Variables": dict(self.environment)},
        }


@dataclass
class Delivery:
    """One invocation of a function by a service, on its way to the gateway."""

    id: int
    source: str
    function_arn: str
    payload: bytes
    source_arn: str | None
    source_account: str | None
    label: str
    status: str = "queued"  # queued, delivered, refused, failed
    detail: str = ""

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "function": self.function_arn, "label": self.label,
                "status": self.status, "detail": self.detail,
                "source_arn": self.source_arn, "source_account": self.source_account}


class LambdaError(Exception):
    """An error answer of the Lambda API: status, x-amzn-ErrorType and message."""

    def __init__(self, status: str, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message

    def answer(self, start_response: StartResponse) -> list[bytes]:
        body = json.dumps({"Type": "User", "Message": self.message}).encode()
        start_response(self.status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.kind),
                                     ("Content-Length", str(len(body)))])
        return [body]


def not_found(reference: str) -> LambdaError:
    return LambdaError("404 Not Found", "ResourceNotFoundException", f"Function not found: {reference}")


class Lambdas:
    """The functions, their policies and credentials, and the deliveries to them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.functions: dict[str, Function] = {}  # arn -> record
        self.gateway: str | None = None
        self.function_key_function: str | None = None  # the ARN whose role AKIAHOMEDIRFUNCTION0 plays
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._deliveries: list[Delivery] = []
        self._next_delivery = 1
        self._busy = 0
        self._idle = threading.Condition()
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ records

    def register(self, function: Function) -> None:
        with self._lock:
            self.functions[function.arn] = function

    def remove(self, arn: str) -> None:
        with self._lock:
            self.functions.pop(arn, None)

    def find(self, reference: str, account: str | None = None, region: str | None = None) -> Function | None:
        """The function a FunctionName names: its name, ARN or partial ARN, with no
        qualifier or `$LATEST`."""
        reference = urllib.parse.unquote(reference)
        qualifier = None
        match = _ARN.match(reference)
        if match:
            region, account, name, qualifier = match.groups()
        else:
            partial = _PARTIAL.match(reference)
            if partial:
                account, name, qualifier = partial.groups()
            else:
                name, _, qualifier = reference.partition(":")
                qualifier = qualifier or None
        if qualifier not in (None, "$LATEST"):
            return None
        with self._lock:
            for function in self.functions.values():
                if function.name == name and account in (None, function.account_id) and \
                        region in (None, function.region):
                    return function
        return None

    def by_access_key(self, access_key: str | None) -> Function | None:
        if not access_key:
            return None
        with self._lock:
            if access_key == _function_key():
                return self.functions.get(self.function_key_function or "")
            for function in self.functions.values():
                if function.access_key == access_key:
                    return function
        return None

    def bind_function_key(self, reference: str) -> Function:
        function = self.find(reference)
        if function is None:
            raise ValueError(f"no function {reference}")
        with self._lock:
            self.function_key_function = function.arn
        return function

    def add_statement(self, function_arn: str, statement: dict[str, Any]) -> None:
        with self._lock:
            function = self.functions.get(function_arn)
            if function is None:
                raise not_found(function_arn)
            function.statements = [s for s in function.statements if s.get("Sid") != statement["Sid"]] + [statement]

    def remove_statement(self, function_arn: str, sid: str) -> None:
        with self._lock:
            function = self.functions.get(function_arn)
            if function is not None:
                function.statements = [s for s in function.statements if s.get("Sid") != sid]

    def listing(self) -> list[dict[str, Any]]:
        """Every function with its binary and credentials (the control endpoint)."""
        with self._lock:
            return [{**function.configuration(), "Binary": function.binary,
                     "Credentials": {"AWS_ACCESS_KEY_ID": function.access_key,
                                     "AWS_SECRET_ACCESS_KEY": function.secret_key,
                                     "AWS_SESSION_TOKEN": function.session_token}}
                    for function in self.functions.values()]

    # ------------------------------------------------------------------ permissions

    @staticmethod
    def service_may_invoke(function: Function, service: str, source_arn: str | None,
                           source_account: str | None) -> bool:
        """Whether the function's resource-based policy lets `service` invoke it for
        that source (the context IAM gives a service principal's call)."""
        context: dict[str, Any] = {}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        if source_account:
            context["aws:SourceAccount"] = source_account
        request = iam.Request(INVOKE_ACTION, function.arn, context, None, ("Service", service))
        return iam.evaluate([function.policy()], request) == iam.ALLOW

    @staticmethod
    def refusal_for(service: str, trigger: str = "") -> str:
        """What the source says when the function's policy does not let it invoke."""
        if service == COGNITO_PRINCIPAL:
            return COGNITO_REFUSAL.format(trigger=trigger or "Trigger")
        if service == S3_PRINCIPAL:
            return "Not authorized to invoke function"
        return "the target's resource-based policy does not allow the invocation (a FailedInvocation)"

    # ------------------------------------------------------------------ the gateway

    def call_gateway(self, function: Function, payload: bytes, invocation_type: str,
                     timeout: float | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        """Forward an invocation to homedir-gateway: its status, headers and body. With
        `timeout` (a service that waits only so long: Cognito's 5 s), TimeoutError when
        no answer came in time."""
        if not self.gateway:
            raise LambdaError("500 Internal Server Error", "ServiceException",
                              f"the local emulator has no functions gateway to run {function.name} "
                              "(start it with --lambda-gateway URL; scripts/local-stack.sh --gateway-port)")
        url = f"{self.gateway}{API_PREFIX}/{urllib.parse.quote(function.binary)}/invocations"
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout or function.timeout + 30) as answer:
                return f"{answer.status} {answer.reason}", list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as error:
            return f"{error.code} {error.reason}", list(error.headers.items()), error.read()
        except TimeoutError:
            if timeout is None:
                raise LambdaError("500 Internal Server Error", "ServiceException",
                                  f"homedir-gateway did not answer for {function.name} in time") from None
            raise
        except urllib.error.URLError as error:
            if timeout is not None and isinstance(error.reason, TimeoutError):
                raise TimeoutError(str(error)) from error
            raise LambdaError("500 Internal Server Error", "ServiceException",
                              f"the local emulator cannot reach homedir-gateway at {self.gateway} to run "
                              f"{function.name} ({error})") from error
        except OSError as error:
            raise LambdaError("500 Internal Server Error", "ServiceException",
                              f"the local emulator cannot reach homedir-gateway at {self.gateway} to run "
                              f"{function.name} ({error})") from error

    # ------------------------------------------------------------------ deliveries

    def deliver(self, source: str, function_arn: str, payload: Any, source_arn: str | None,
                source_account: str | None, label: str = "") -> Delivery:
        """Queue an asynchronous invocation of the function by `source` (a service
        principal); sent in order by one worker."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        with self._idle:
            delivery = Delivery(self._next_delivery, source, function_arn, body, source_arn, source_account, label)
            self._next_delivery += 1
            self._deliveries.append(delivery)
            del self._deliveries[:-KEPT_DELIVERIES]
            self._busy += 1
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="lambda-deliveries", daemon=True)
                self._worker.start()
        self._queue.put(delivery)
        return delivery

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                self._send(delivery)
            except Exception as error:  # never lose the worker
                delivery.status, delivery.detail = "failed", f"{type(error).__name__}: {error}"
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _send(self, delivery: Delivery) -> None:
        with self._lock:
            function = self.functions.get(delivery.function_arn)
        if function is None:
            delivery.status, delivery.detail = "refused", "the function does not exist"
            return
        if not self.service_may_invoke(function, delivery.source, delivery.source_arn, delivery.source_account):
            delivery.status, delivery.detail = "refused", self.refusal_for(delivery.source)
            return
        try:
            status, _, body = self.call_gateway(function, delivery.payload, "Event")
        except LambdaError as error:
            delivery.status, delivery.detail = "failed", error.message
            return
        if status.startswith("202"):
            delivery.status = "delivered"
        else:
            delivery.status, delivery.detail = "failed", f"the gateway answered {status}: {body[:300]!r}"

    def deliveries(self) -> list[dict[str, Any]]:
        with self._idle:
            return [delivery.view() for delivery in self._deliveries]

    def drain(self, timeout: float) -> dict[str, Any]:
        """Wait until every queued delivery was sent, then until the gateway's
        asynchronous queues are empty (retries included), at most `timeout` seconds."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._idle:
            drained = self._idle.wait_for(lambda: self._busy == 0, max(0.0, deadline - time.monotonic()))
            pending = self._busy
        answer: dict[str, Any] = {"drained": drained, "pending": pending}
        if not self.gateway:
            answer["gateway"] = None
            return answer
        remaining = max(0.0, deadline - time.monotonic())
        try:
            with urllib.request.urlopen(urllib.request.Request(
                    f"{self.gateway}/_homedir/drain?timeout={remaining:.3f}", method="POST"),
                    timeout=remaining + 10) as reply:
                gateway = json.load(reply)
        except OSError as error:
            answer.update(drained=False, gateway={"error": str(error)})
            return answer
        answer["gateway"] = gateway
        answer["drained"] = drained and bool(gateway.get("drained"))
        return answer


REGISTRY = Lambdas()
"""The emulator's one Lambda (the stack's models register into it; app.py serves it)."""


def _function_key() -> str:
    from .s3gate import FUNCTION_ACCESS_KEY

    return FUNCTION_ACCESS_KEY


# --------------------------------------------------------------------------
# The Lambda API on the emulator's endpoint
# --------------------------------------------------------------------------


def operation_of(method: str, path: str) -> str:
    """The Lambda operation a REST path names."""
    rest = path[len(API_PREFIX):].strip("/")
    parts = rest.split("/") if rest else []
    if not parts:
        return "ListFunctions" if method == "GET" else "CreateFunction"
    if len(parts) == 1:
        return {"GET": "GetFunction", "DELETE": "DeleteFunction"}.get(method, f"{method.title()}Function")
    tail = parts[1]
    if tail == "invocations":
        return "Invoke"
    if tail == "configuration":
        return "GetFunctionConfiguration" if method == "GET" else "UpdateFunctionConfiguration"
    if tail == "policy":
        return {"GET": "GetPolicy", "POST": "AddPermission", "DELETE": "RemovePermission"}.get(method, "Policy")
    return f"{method.title()}{tail.title()}"


def function_name_in(path: str) -> str:
    rest = path[len(API_PREFIX):].strip("/")
    return urllib.parse.unquote(rest.split("/")[0]) if rest else ""


Authorizer = Callable[[str, str, Function | None], "LambdaError | None"]


def serve_api(environ: dict[str, Any], path: str, operation: str, authorize: Authorizer,
              start_response: StartResponse) -> Iterable[bytes]:
    """The Lambda API for the registered functions. `authorize(action, resource,
    function)` answers a LambdaError for a caller who may not, else None."""
    registry = REGISTRY
    try:
        if operation == "ListFunctions":
            refused = authorize("lambda:ListFunctions", "*", None)
            if refused:
                raise refused
            with registry._lock:
                listed = [function.configuration() for function in registry.functions.values()]
            return json_response(start_response, "200 OK", {"Functions": listed})
        reference = function_name_in(path)
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        qualifier = (query.get("Qualifier") or [None])[0]
        function = registry.find(reference if not qualifier else f"{reference}:{qualifier}")
        actions = {"Invoke": INVOKE_ACTION, "GetFunction": "lambda:GetFunction",
                   "GetFunctionConfiguration": "lambda:GetFunctionConfiguration", "GetPolicy": "lambda:GetPolicy"}
        action = actions.get(operation)
        if action is None:
            raise LambdaError("400 Bad Request", "InvalidParameterValueException",
                              f"the local emulator does not serve Lambda's {operation}: the stack deploys functions")
        resource = function.arn if function else _arn_of(reference)
        refused = authorize(action, resource, function)
        if refused:
            raise refused
        if function is None:
            raise not_found(resource)
        if operation == "GetFunction":
            return json_response(start_response, "200 OK", {
                "Configuration": function.configuration(),
                "Code": {"RepositoryType": "S3", "Location": f"local build: the {function.binary} binary"}})
        if operation == "GetFunctionConfiguration":
            return json_response(start_response, "200 OK", function.configuration())
        if operation == "GetPolicy":
            if not function.statements:
                raise LambdaError("404 Not Found", "ResourceNotFoundException",
                                  "The resource you requested does not exist.")
            return json_response(start_response, "200 OK", {"Policy": json.dumps(function.policy()),
                                                            "RevisionId": str(int(function.modified))})
        kind = environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse"
        if kind == "DryRun":
            start_response("204 No Content", [("x-amzn-RequestId", _request_id())])
            return [b""]
        status, headers, body = registry.call_gateway(function, read_body(environ), kind)
        kept = [(name, value) for name, value in headers
                if name.lower() in ("content-type", "x-amz-function-error", "x-amz-executed-version",
                                    "x-amzn-requestid", "x-amzn-errortype")]
        start_response(status, kept + [("Content-Length", str(len(body)))])
        return [body]
    except LambdaError as error:
        return error.answer(start_response)


def _arn_of(reference: str) -> str:
    if reference.startswith("arn:"):
        return reference
    from moto.core import DEFAULT_ACCOUNT_ID

    return f"arn:aws:lambda:us-east-1:{DEFAULT_ACCOUNT_ID}:function:{reference.split(':')[0]}"


def _request_id() -> str:
    return f"{_random('0123456789abcdef', 8)}-{_random('0123456789abcdef', 4)}-4{_random('0123456789abcdef', 3)}-" \
           f"a{_random('0123456789abcdef', 3)}-{_random('0123456789abcdef', 12)}"


# --------------------------------------------------------------------------
# Saved state (correction w)
# --------------------------------------------------------------------------


def saved_state() -> dict[str, Any]:
    with REGISTRY._lock:
        return {"functions": dict(REGISTRY.functions), "function_key": REGISTRY.function_key_function}


def restore_state(state: dict[str, Any] | None) -> None:
    if not state:
        return
    with REGISTRY._lock:
        REGISTRY.functions.update(state.get("functions") or {})
        REGISTRY.function_key_function = state.get("function_key")
