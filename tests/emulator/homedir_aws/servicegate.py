"""Correction ac, execution roles and calls to services other than S3: a call signed
with a function's credentials is the function's role's, and is allowed only if the
role's deployed identity policies allow the action on the resource; DynamoDB and Lambda
calls are authorized for every caller.

moto checks no IAM at all, and the emulator used to let the functions' key call any
service but S3. AWS evaluates every signed call against the caller's policies ("Policy
evaluation logic": an explicit Deny wins, else an Allow is needed):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
So here, before moto sees a request (S3 has its own gate, s3gate.py):

- Who calls (Principal): the admin key (the account, unrestricted); a function's
  credentials (lambdas.py: the role of that function, acting as
  arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION), and the shared function key
  AKIAHOMEDIRFUNCTION0, which plays the role of the function deploy.py binds it to (the
  file API's, read-file's; harnesses run the functions in-process with it); credentials
  the identity pool issued (the pool's role, with the Identity ID and principal tags,
  as for S3); any other key; no signature.
- Function keys: decided by the role's identity policies within its permissions boundary
  (s3auth.DeployedPolicies.identity_decision); every call but STS GetCallerIdentity (which needs no permission,
  https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html) is
  authorized with the role's documents as IAM holds them now, so "the function's role
  reaches only that table" holds locally, and AdminGetUser needs the role's statement on
  the user pool. Unbound function key: every non-S3 call is refused.
- DynamoDB: every caller (issued credentials too: the identity pool's role must allow
  it); an unknown key is 400 UnrecognizedClientException, no signature 400
  MissingAuthenticationTokenException.
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CommonErrors.html
- DynamoDB requests are served one at a time (DYNAMODB_LOCK): moto applies an
  UpdateItem's ADD or a transaction as a read, then a write, in Python, so two at once on
  one item could lose an update; DynamoDB makes every item write atomic and every
  transaction serializable (test_dynamodb.py).
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.AtomicCounters
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation
- Lambda: lambdas.py asks authorize() for each call (identity policies, or the
  function's resource-based policy naming the caller).
- Everything else (Cognito with issued or unknown keys, unsigned calls) goes to moto
  as before.

Actions and resources, from the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html,
.../list_amazoncognitouserpools.html, .../list_amazoncognitoidentity.html,
.../list_awslambda.html): SERVICE:OPERATION on the resource the request names:
a DynamoDB table (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME, .../index/NAME for a
Query or Scan of an index; BatchGetItem and BatchWriteItem once per table of the batch,
TransactWriteItems and TransactGetItems as PutItem / UpdateItem / DeleteItem /
ConditionCheckItem / GetItem per item), a user pool (UserPoolId), an identity pool
(IdentityPoolId), a function, an IAM managed policy (PolicyArn) or role (RoleName; the
usage function writes new versions of the quota policies); "*" for operations naming none. Condition keys:
dynamodb:LeadingKeys (the partition key values of the items a request reads or writes:
GetItem, PutItem, UpdateItem, DeleteItem, the batches and transactions, a Query whose
key condition is the partition key's equality; absent otherwise, as for a Scan),
dynamodb:Select and dynamodb:ReturnValues when the request sends them; aws:SecureTransport
true (the emulator stands in for the HTTPS endpoints); the Identity ID and principal
tags for issued credentials.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
Not emulated: dynamodb:Attributes and the other fine-grained keys (absent from the
context: a policy that needs them is never satisfied by a positive operator), PartiQL
resources (authorized on "*"), resource-based policies of DynamoDB tables, signature
verification of non-S3 calls (the key and session token are checked, not the signature).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID

from . import iam
from .cognito import IdentityRegistry
from .lambdas import REGISTRY, Function, LambdaError, Lambdas
from .request import AwsRequest
from .s3auth import IDENTITY_VARIABLE, DeployedPolicies
from .wsgi import StartResponse, header, read_body

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
_REGION = re.compile(r"Credential=[^/\s,]+/[^/]*/([^/]*)/")
_ALWAYS_ALLOWED = {("sts", "GetCallerIdentity")}
DYNAMODB = "dynamodb"
DYNAMODB_LOCK = threading.Lock()
"""Held while moto serves one DynamoDB request (see the module's docstring)."""


@dataclass
class Principal:
    """Who signed a request, and what decides for them."""

    kind: str  # admin, function, issued, unbound, unknown, anonymous
    arn: str = ""
    role_arn: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    function: Function | None = None
    principal_id: str = ""  # as S3 event records name the caller (userIdentity.principalId)


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    context: tuple[tuple[str, Any], ...] = ()


class ServiceGate:
    """Decides non-S3 requests signed with role credentials by the role's documents."""

    def __init__(self, registry: IdentityRegistry, policies: DeployedPolicies | None = None,
                 lambdas: Lambdas = REGISTRY):
        self.registry = registry
        self.policies = policies or DeployedPolicies()
        self.lambdas = lambdas

    # ------------------------------------------------------------------ who

    def principal(self, request: AwsRequest, now: float) -> Principal:
        key = request.access_key
        if key is None:
            return Principal("anonymous")
        if key == ADMIN_ACCESS_KEY:
            return Principal("admin", f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root",
                             principal_id=DEFAULT_ACCOUNT_ID)
        function = self.lambdas.by_access_key(key)
        if function is not None:
            if function.access_key == key and request.session_token not in (None, function.session_token):
                return Principal("unknown")
            role = _role(function.role_arn)
            role_id = role.id if role is not None else "AROA"
            return Principal("function", function.principal, function.role_arn, {}, function,
                             f"AWS:{role_id}:{function.name}")
        from .s3gate import FUNCTION_ACCESS_KEY

        if key == FUNCTION_ACCESS_KEY:
            return Principal("unbound")
        issued = self.registry.credentials(key)
        if issued is not None:
            if request.session_token != issued.session_token or now >= issued.expires_at:
                return Principal("unknown")
            role_name = issued.role_arn.rsplit("/", 1)[-1]
            context: dict[str, Any] = {IDENTITY_VARIABLE: issued.identity_id}
            for tag, value in issued.tags:
                context[f"aws:PrincipalTag/{tag}"] = value
            role = _role(issued.role_arn)
            return Principal("issued", f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/{role_name}/"
                             "CognitoIdentityCredentials", issued.role_arn, context,
                             principal_id=f"AWS:{role.id if role is not None else 'AROA'}:CognitoIdentityCredentials")
        return Principal("unknown")

    # ------------------------------------------------------------------ deciding

    def decide(self, principal: Principal, checks: Iterable[Check],
               resource_policy: dict[str, Any] | None = None) -> tuple[str, Check] | None:
        """None if every check is allowed; else the decision and the check that failed."""
        if principal.kind == "admin":
            return None
        for check in checks:
            context = {"aws:SecureTransport": True, **principal.context, **dict(check.context)}
            request = iam.Request(check.action, check.resource, context, principal.arn or None)
            # the role's identity policies within its permissions boundary (s3auth.py)
            decision = self.policies.identity_decision(principal.role_arn, request) if principal.role_arn \
                else iam.IMPLICIT_DENY
            if decision == iam.IMPLICIT_DENY and resource_policy is not None:
                decision = iam.evaluate([resource_policy], request)
            if decision != iam.ALLOW:
                return decision, check
        return None

    def authorize_lambda(self, request: AwsRequest, now: float, action: str, resource: str,
                         function: Function | None) -> LambdaError | None:
        """lambdas.serve_api's question: may this caller do `action` on `resource`?"""
        principal = self.principal(request, now)
        if principal.kind == "anonymous":
            return LambdaError("403 Forbidden", "MissingAuthenticationTokenException", "Missing Authentication Token")
        if principal.kind in ("unknown", "unbound"):
            return LambdaError("403 Forbidden", "UnrecognizedClientException",
                               "The security token included in the request is invalid.")
        refused = self.decide(principal, [Check(action, resource)], function.policy() if function else None)
        if refused is None:
            return None
        decision, _ = refused
        why = "with an explicit deny" if decision == iam.EXPLICIT_DENY else \
            "because no resource-based policy allows the " + action + " action"
        return LambdaError("403 Forbidden", "AccessDeniedException",
                           f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} {why}")

    def check(self, environ: dict[str, Any], request: AwsRequest, now: float
              ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """An error answer for a non-S3, non-Lambda request, or None to let it through."""
        principal = self.principal(request, now)
        service = request.service
        if service == DYNAMODB:
            if principal.kind == "anonymous":
                return _json_error(request, "400 Bad Request", "MissingAuthenticationTokenException",
                                   "Request is missing Authentication Token")
            if principal.kind in ("unknown", "unbound"):
                return _json_error(request, "400 Bad Request", "UnrecognizedClientException",
                                   "The security token included in the request is invalid.")
        elif principal.kind not in ("function", "unbound"):
            return None  # as before: only the functions' calls are decided here
        if principal.kind == "unbound":
            return _denied(environ, request, f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/unbound/function",
                           f"{service}:{request.operation}", "*",
                           "because the function key plays no function's role (deploy.py binds it)")
        if (service, request.operation) in _ALWAYS_ALLOWED:
            return None
        checks = required_checks(environ, request)
        refused = self.decide(principal, checks)
        if refused is None:
            return None
        decision, failed = refused
        why = "with an explicit deny in an identity-based policy" if decision == iam.EXPLICIT_DENY else \
            f"because no identity-based policy allows the {failed.action} action"
        return _denied(environ, request, principal.arn, failed.action, failed.resource, why)


def _role(arn: str) -> Any:
    from .identitypools import find_role

    return find_role(arn.split(":")[4], arn) if arn.count(":") >= 5 else None


# --------------------------------------------------------------------------
# Actions, resources and context of a request
# --------------------------------------------------------------------------


def _region(environ: dict[str, Any]) -> str:
    match = _REGION.search(header(environ, "Authorization"))
    return match.group(1) if match and match.group(1) else "us-east-1"


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = json.loads(read_body(environ) or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def required_checks(environ: dict[str, Any], request: AwsRequest) -> list[Check]:
    region, service, operation = _region(environ), request.service, request.operation
    if service == DYNAMODB:
        return dynamodb_checks(operation, _body(environ), region)
    action = f"{service}:{operation}"
    if service == "cognito-idp":
        pool = _body(environ).get("UserPoolId")
        if isinstance(pool, str) and pool:
            pool_region = pool.split("_", 1)[0] if "_" in pool else region
            return [Check(action, f"arn:aws:cognito-idp:{pool_region}:{DEFAULT_ACCOUNT_ID}:userpool/{pool}")]
    if service == "cognito-identity":
        pool = _body(environ).get("IdentityPoolId")
        if isinstance(pool, str) and pool:
            return [Check(action, f"arn:aws:cognito-identity:{region}:{DEFAULT_ACCOUNT_ID}:identitypool/{pool}")]
    if service == "iam":
        # The policy a policy operation names (CreatePolicyVersion, ListPolicyVersions,
        # DeletePolicyVersion, GetPolicy, ...: resource type "policy"), the role a role
        # operation names; https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
        form = parse_qs(read_body(environ).decode("utf-8", "replace"))
        policy = (form.get("PolicyArn") or [""])[0]
        if policy:
            return [Check(action, policy)]
        role = (form.get("RoleName") or [""])[0]
        if role:
            return [Check(action, f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/{role}")]
    return [Check(action, "*")]


def _table_arn(region: str, table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{region}:{DEFAULT_ACCOUNT_ID}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _hash_key(region: str, table: str) -> str | None:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    found = backend.tables.get(table)
    return getattr(found, "hash_key_attr", None) if found is not None else None


def _attribute_text(value: Any) -> str | None:
    """A DynamoDB attribute value ({"S": "x"}, {"N": "1"}, {"B": "..."}) as IAM sees it."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, inner), = value.items()
        if kind in ("S", "N", "B") and isinstance(inner, str):
            return inner
    return None


def _leading_keys(region: str, table: str, items: Iterable[Any]) -> list[str]:
    name = _hash_key(region, table)
    if name is None:
        return []
    found = []
    for item in items:
        if isinstance(item, dict):
            text = _attribute_text(item.get(name))
            if text is not None:
                found.append(text)
    return found


def _query_leading_key(region: str, body: dict[str, Any]) -> list[str]:
    table = body.get("TableName") or ""
    name = _hash_key(region, table)
    if name is None:
        return []
    legacy = (body.get("KeyConditions") or {}).get(name)
    if isinstance(legacy, dict) and legacy.get("ComparisonOperator") == "EQ":
        values = legacy.get("AttributeValueList") or []
        text = _attribute_text(values[0]) if values else None
        return [text] if text is not None else []
    expression = body.get("KeyConditionExpression") or ""
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    for left, right in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", expression):
        if names.get(left, left) == name:
            text = _attribute_text(values.get(right))
            return [text] if text is not None else []
    return []


def _context(body: dict[str, Any], leading: list[str] | None) -> tuple[tuple[str, Any], ...]:
    context: list[tuple[str, Any]] = []
    if leading:
        context.append(("dynamodb:LeadingKeys", leading))
    for name, key in (("Select", "dynamodb:Select"), ("ReturnValues", "dynamodb:ReturnValues")):
        if isinstance(body.get(name), str):
            context.append((key, body[name]))
    return tuple(context)


_TRANSACT_ACTIONS = {"Put": ("dynamodb:PutItem", "Item"), "Update": ("dynamodb:UpdateItem", "Key"),
                     "Delete": ("dynamodb:DeleteItem", "Key"), "ConditionCheck": ("dynamodb:ConditionCheckItem", "Key"),
                     "Get": ("dynamodb:GetItem", "Key")}
_PARTIQL = {"SELECT": "dynamodb:PartiQLSelect", "INSERT": "dynamodb:PartiQLInsert",
            "UPDATE": "dynamodb:PartiQLUpdate", "DELETE": "dynamodb:PartiQLDelete"}


def dynamodb_checks(operation: str, body: dict[str, Any], region: str) -> list[Check]:
    action = f"dynamodb:{operation}"
    if operation in ("GetItem", "DeleteItem", "UpdateItem", "PutItem"):
        table = body.get("TableName") or ""
        item = body.get("Item" if operation == "PutItem" else "Key")
        return [Check(action, _table_arn(region, table), _context(body, _leading_keys(region, table, [item])))]
    if operation == "Query":
        table = body.get("TableName") or ""
        return [Check(action, _table_arn(region, table, body.get("IndexName")),
                      _context(body, _query_leading_key(region, body)))]
    if operation == "Scan":
        return [Check(action, _table_arn(region, body.get("TableName") or "", body.get("IndexName")),
                      _context(body, None))]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        checks = []
        for table, requests in (body.get("RequestItems") or {}).items():
            if operation == "BatchGetItem":
                items = (requests or {}).get("Keys") or []
            else:
                items = [(entry.get("PutRequest") or {}).get("Item") or (entry.get("DeleteRequest") or {}).get("Key")
                         for entry in requests or [] if isinstance(entry, dict)]
            checks.append(Check(action, _table_arn(region, table), _context({}, _leading_keys(region, table, items))))
        return checks or [Check(action, "*")]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for entry in body.get("TransactItems") or []:
            for kind, (item_action, field_name) in _TRANSACT_ACTIONS.items():
                if isinstance(entry, dict) and kind in entry:
                    part = entry[kind] or {}
                    table = part.get("TableName") or ""
                    checks.append(Check(item_action, _table_arn(region, table),
                                        _context({}, _leading_keys(region, table, [part.get(field_name)]))))
        return checks or [Check(action, "*")]
    if operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        statement = str(body.get("Statement") or "").strip().split(" ", 1)[0].upper()
        return [Check(_PARTIQL.get(statement, action), "*")]
    if operation in ("TagResource", "UntagResource", "ListTagsOfResource"):
        return [Check(action, str(body.get("ResourceArn") or "*"))]
    table = body.get("TableName")
    return [Check(action, _table_arn(region, table) if isinstance(table, str) and table else "*")]


# --------------------------------------------------------------------------
# Answers, in each protocol's shape
# --------------------------------------------------------------------------


def _json_error(request: AwsRequest, status: str, kind: str, message: str
                ) -> tuple[str, list[tuple[str, str]], bytes]:
    prefix = "com.amazonaws.dynamodb.v20120810#" if request.service == DYNAMODB else ""
    body = json.dumps({"__type": prefix + kind, "message": message}).encode()
    content_type = "application/x-amz-json-1.0" if request.service == DYNAMODB else "application/x-amz-json-1.1"
    return status, [("Content-Type", content_type), ("x-amzn-ErrorType", kind), ("Content-Length", str(len(body)))], body


def _denied(environ: dict[str, Any], request: AwsRequest, who: str, action: str, resource: str, why: str
            ) -> tuple[str, list[tuple[str, str]], bytes]:
    message = f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"
    if header(environ, "X-Amz-Target"):
        return _json_error(request, "400 Bad Request", "AccessDeniedException", message)
    body = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{_xml(message)}</Message></Error><RequestId>homedir</RequestId></ErrorResponse>").encode()
    return "403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def answer(start_response: StartResponse, refused: tuple[str, list[tuple[str, str]], bytes]) -> list[bytes]:
    status, headers, body = refused
    start_response(status, headers)
    return [body]
