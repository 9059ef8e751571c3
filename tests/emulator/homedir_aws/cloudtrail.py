"""ag. CloudTrail "AWS API Call via CloudTrail" events for user pool operations, put on
the account's default event bus and delivered to the Lambda targets of the EventBridge
rules whose patterns match (moto 5.2.5 records no CloudTrail events, and its EventBridge
never hears of Cognito's calls).

What AWS does:

- "EventBridge receives AWS API call events from CloudTrail ... you must have a trail
  with logging on": the emulator models an account that has such a trail (a
  multi-Region trail, logging management events), so every successful call below is an
  event on the default bus of the pool's account and Region, with "detail-type": "AWS API
  Call via CloudTrail", "source": "aws.cognito-idp" and the CloudTrail record as "detail".
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
  Operations: AdminCreateUser, AdminDeleteUser, AdminDisableUser, AdminEnableUser,
  AdminResetUserPassword, AdminSetUserPassword, AdminUserGlobalSignOut,
  AdminUpdateUserAttributes, AdminDeleteUserAttributes, AdminAddUserToGroup,
  AdminRemoveUserFromGroup (IAM-authorized) and GlobalSignOut (access token). DeleteUser
  is not among them: moto 5.2.5 does not serve it at all.
  A call that fails (unknown user, refused, ...) is no event here (CloudTrail records
  failed calls with errorCode, but nothing in homedir matches on them).
- Cognito's record ("Amazon Cognito logging in AWS CloudTrail",
  https://docs.aws.amazon.com/cognito/latest/developerguide/logging-using-cloudtrail.html;
  "Example Amazon Cognito events",
  https://docs.aws.amazon.com/cognito/latest/developerguide/understanding-amazon-cognito-entries.html):
  "Amazon Cognito records UserSub but not UserName in CloudTrail logs for requests that
  are specific to a user" (the page's "Amazon Cognito User Pools" section in the version
  archived at github.com/awsdocs/amazon-cognito-developer-guide,
  doc_source/amazon-cognito-info-in-cloudtrail.md), and "obscures some private fields in
  your CloudTrail events with the value HIDDEN_FOR_SECURITY_REASONS" (the current page,
  "Confidential data in AWS CloudTrail"). So here:
    requestParameters: {"userPoolId": <the pool>, "username": "HIDDEN_FOR_SECURITY_REASONS"}
      plus the call's other parameters, camelCase, booleans and enumerations as sent
      (permanent, messageAction, desiredDeliveryMediums, forceAliasCreation), every other
      value (passwords, attributes, metadata, groupName) HIDDEN_FOR_SECURITY_REASONS;
      for GlobalSignOut {"accessToken": "HIDDEN_FOR_SECURITY_REASONS"};
    additionalEventData: {"sub": <the affected user's sub>}.
  NOT CONFIRMED by an AWS page: that the sub sits in additionalEventData.sub (no AWS
  example shows a user pool admin event; third-party consumers of these events read it
  there), that username is logged as HIDDEN_FOR_SECURITY_REASONS rather than left out
  (a real SignUp record quoted in aws-amplify/amplify-js#10374 shows
  "username": "HIDDEN_DUE_TO_SECURITY_REASONS"; the docs' value is used here), whether
  groupName is hidden, and what userPoolId a GlobalSignOut record carries
  (here none: the request has none; the sub still names the user).
  responseElements: null (AdminCreateUser's user is not echoed).
- userIdentity as CloudTrail writes it for the signer
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html):
  the account's root keys {"type": "Root", ...}; a function's or an identity's role
  credentials {"type": "AssumedRole", "principalId": "<role id>:<session>", "arn":
  "arn:aws:sts::<account>:assumed-role/<role>/<session>", "sessionContext":
  {"sessionIssuer": {"type": "Role", ...}}}; an access-token call (no IAM principal)
  {"type": "Unknown", "principalId": "Anonymous"} as in the SignUp record above.
- Rules: each ENABLED rule of the default bus whose EventPattern matches the event
  (moto's own matcher: exact values, prefix, suffix, anything-but, exists, numeric,
  equals-ignore-case, wildcard, $or, as "Amazon EventBridge event patterns" documents,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html)
  sends it to its Lambda targets asynchronously, as events.amazonaws.com with the rule's
  ARN as AWS:SourceArn, through lambdas.py's deliveries (a target whose resource-based
  policy does not allow that is not invoked: the delivery is "refused"). The target's
  Input (a JSON text, sent instead of the event) or InputPath (a JSONPath of the event:
  "$" or "$.a.b") is honoured. A DISABLED rule delivers nothing.
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from typing import Any, Callable

from moto.cognitoidp.models import CognitoIdpUserPool
from moto.cognitoidp.responses import CognitoIdpResponse

from .lambdas import EVENTS_PRINCIPAL, REGISTRY
from .userpools import pool_by_id, signed_in

HIDDEN = "HIDDEN_FOR_SECURITY_REASONS"
DETAIL_TYPE = "AWS API Call via CloudTrail"
ADMIN_OPERATIONS = ("AdminCreateUser", "AdminDeleteUser", "AdminDisableUser", "AdminEnableUser",
                    "AdminResetUserPassword", "AdminSetUserPassword", "AdminUserGlobalSignOut",
                    "AdminUpdateUserAttributes", "AdminDeleteUserAttributes", "AdminAddUserToGroup",
                    "AdminRemoveUserFromGroup")
TOKEN_OPERATIONS = ("GlobalSignOut",)
PLAIN_PARAMETERS = frozenset({"Permanent", "MessageAction", "DesiredDeliveryMediums", "ForceAliasCreation"})

_CALLER = threading.local()  # set by app.py for the Cognito request this thread serves


def set_caller(identity: dict[str, Any] | None, source_ip: str, user_agent: str) -> None:
    _CALLER.identity, _CALLER.source_ip, _CALLER.user_agent = identity, source_ip, user_agent


def user_identity(principal: Any, access_key: str | None, account: str) -> dict[str, Any]:
    """CloudTrail's userIdentity for a servicegate.Principal."""
    if principal.kind == "admin":
        return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                "accountId": account, "accessKeyId": access_key}
    if principal.kind in ("function", "issued"):
        role_id = principal.principal_id.removeprefix("AWS:").split(":", 1)[0]
        role_name = principal.role_arn.rsplit("/", 1)[-1]
        return {"type": "AssumedRole", "principalId": principal.principal_id.removeprefix("AWS:"),
                "arn": principal.arn, "accountId": account, "accessKeyId": access_key,
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id,
                                                     "arn": principal.role_arn, "accountId": account,
                                                     "userName": role_name},
                                   "attributes": {"mfaAuthenticated": "false"}}}
    return {"type": "Unknown", "principalId": "Anonymous"}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _request_parameters(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    if operation in TOKEN_OPERATIONS:
        return {"accessToken": HIDDEN}
    parameters: dict[str, Any] = {}
    for name, value in body.items():
        if name == "UserPoolId":
            parameters["userPoolId"] = value
        elif name in PLAIN_PARAMETERS:
            parameters[_camel(name)] = value
        else:
            parameters[_camel(name)] = HIDDEN
    return parameters


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_call_event(pool: CognitoIdpUserPool, operation: str, body: dict[str, Any], sub: str | None,
                   identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """The EventBridge event of one successful call, as delivered to rule targets."""
    account, region, when = pool.account_id, pool.region, _now()
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity or getattr(_CALLER, "identity", None) or {"type": "Unknown",
                                                                           "principalId": "Anonymous"},
        "eventTime": when, "eventSource": "cognito-idp.amazonaws.com", "eventName": operation,
        "awsRegion": region, "sourceIPAddress": getattr(_CALLER, "source_ip", None) or "127.0.0.1",
        "userAgent": getattr(_CALLER, "user_agent", None) or "",
        "requestParameters": _request_parameters(operation, body), "responseElements": None,
        "additionalEventData": {"sub": sub} if sub else {},
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()), "readOnly": False,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
        "eventCategory": "Management",
    }
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": DETAIL_TYPE, "source": "aws.cognito-idp",
            "account": account, "time": when, "region": region, "resources": [], "detail": detail}


# --------------------------------------------------------------------------
# The default event bus: rules, patterns, targets
# --------------------------------------------------------------------------


def _input_path(event: dict[str, Any], path: str) -> Any:
    if path in ("$", ""):
        return event
    found: Any = event
    for part in path.removeprefix("$.").split("."):
        if not isinstance(found, dict) or part not in found:
            return None
        found = found[part]
    return found


def put_event(account: str, region: str, event: dict[str, Any]) -> list[str]:
    """Send the event to every matching rule's Lambda targets; the rules' names."""
    from moto.events.models import events_backends

    bus = events_backends[account][region].event_buses.get("default")
    matched: list[str] = []
    for rule in list(bus.rules.values()) if bus is not None else []:
        if rule.state != "ENABLED" or rule.scheduled_expression:
            continue
        if rule.event_pattern is None or not rule.event_pattern.get_pattern() or \
                not rule.event_pattern.matches_event(event):
            continue
        matched.append(rule.name)
        for target in rule.targets:
            arn = target.get("Arn") or ""
            if ":lambda:" not in arn:
                continue
            if target.get("Input") is not None:
                payload: Any = str(target["Input"]).encode()
            elif target.get("InputPath"):
                payload = _input_path(event, target["InputPath"])
            else:
                payload = event
            REGISTRY.deliver(EVENTS_PRINCIPAL, arn, payload, rule.arn, account,
                             label=f"rule {rule.name}: {event['detail'].get('eventName')}")
    return matched


# --------------------------------------------------------------------------
# Installing into moto's user pool handlers
# --------------------------------------------------------------------------


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def _recording(operation: str, handler: Callable[[CognitoIdpResponse], Any]) -> Callable[[CognitoIdpResponse], Any]:
    def recorded(response: CognitoIdpResponse) -> Any:
        body = json.loads(response.body or "{}") if isinstance(response.body, (str, bytes)) else {}
        pool, sub = _subject(operation, response)
        result = handler(response)  # a failed call raises: no event
        if pool is not None:
            if operation == "AdminCreateUser":
                user = pool._get_user(response._get_param("Username"))
                sub = user.id if user is not None else None
            put_event(pool.account_id, pool.region, api_call_event(pool, operation, body, sub))
        return result
    return recorded


def _subject(operation: str, response: CognitoIdpResponse) -> tuple[CognitoIdpUserPool | None, str | None]:
    """The pool and the affected user's sub, read before the call changes them."""
    try:
        if operation in TOKEN_OPERATIONS:
            signed = signed_in(response._get_param("AccessToken"))
            return signed.context.pool, signed.user.id
        pool = pool_by_id(response._get_param("UserPoolId") or "")
    except Exception:  # the call itself will say what is wrong
        return None, None
    user = pool._get_user(response._get_param("Username") or "") if operation != "AdminCreateUser" else None
    return pool, user.id if user is not None else None


def install() -> None:
    """Last of the user pool corrections: wraps the handlers as the others left them."""
    for operation in ADMIN_OPERATIONS + TOKEN_OPERATIONS:
        name = _snake(operation)
        setattr(CognitoIdpResponse, name, _recording(operation, getattr(CognitoIdpResponse, name)))
