"""af. Cognito user pools: the pre token generation Lambda trigger (event version V1_0),
run whenever the pool issues tokens (moto 5.2.5 stores LambdaConfig and never calls it).

What AWS does ("Pre token generation Lambda trigger",
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html;
the common parameters and limits, "Customizing user pool workflows with Lambda triggers",
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html):

- The pool's LambdaConfig.PreTokenGeneration (a function ARN), or
  LambdaConfig.PreTokenGenerationConfig {"LambdaVersion": "V1_0", "LambdaArn": ...}
  (LambdaConfigType, https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_LambdaConfigType.html),
  set by CreateUserPool, UpdateUserPool or the stack's AWS::Cognito::UserPool. Before the
  pool issues ID and access tokens Cognito invokes the function synchronously with
  {"version": "1", "triggerSource", "region", "userPoolId", "userName",
   "callerContext": {"awsSdkVersion", "clientId"},
   "request": {"userAttributes": {every attribute, "sub" included, and
               "cognito:user_status"}, "groupConfiguration": {"groupsToOverride",
               "iamRolesToOverride", "preferredRole"}, "clientMetadata" (when the call
               sent ClientMetadata)},
   "response": {"claimsOverrideDetails": null}}.
  triggerSource: TokenGeneration_Authentication ("after user authentication flows have
  completed": InitiateAuth / AdminInitiateAuth with a password, RespondToAuthChallenge /
  AdminRespondToAuthChallenge finishing an MFA challenge), TokenGeneration_RefreshTokens
  (REFRESH_TOKEN_AUTH / REFRESH_TOKEN), TokenGeneration_NewPasswordChallenge (a
  NEW_PASSWORD_REQUIRED answer that ends with tokens). TokenGeneration_HostedAuth and
  TokenGeneration_AuthenticateDevice are never sent: no hosted UI, no device tracking here.
- The answer's response.claimsOverrideDetails: claimsToAddOrOverride ({"claim":
  "string"}) added to or replacing claims of the ID token; claimsToSuppress removed ("If a
  value is both suppressed and replaced, then it will be suppressed"); groupOverrideDetails
  replaces cognito:groups (in ID and access tokens), cognito:roles and
  cognito:preferred_role ("If you provide an empty or null object ... the groups are
  suppressed"). "You can not modify the following claims": acr, amr, aud, at_hash,
  auth_time, azp, cognito:username, exp, iat, identities, iss, jti, nbf, nonce, origin_jti,
  sub, token_use. The page does not say whether trying is an error: here such entries are
  ignored (the claim keeps Cognito's value) and the sign-in succeeds. A null
  claimsOverrideDetails leaves the tokens as they were. The ID token is then signed as the
  emulator signs every token (moto's key), so the added claims verify.
- "Your Lambda function must respond within 5 seconds. If it does not, Amazon Cognito
  retries the call. After 3 unsuccessful attempts, the function times out": three attempts
  of 5 s here, then UnexpectedLambdaException "PreTokenGeneration invocation failed due to
  error TimeoutError." (the wording is the emulator's, after Cognito's refusal message).
- Errors (no token is issued; HTTP 400 like every Cognito error; InitiateAuth's Errors:
  https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html):
  a function error: UserLambdaValidationException "PreTokenGeneration failed with error
  <errorMessage>."; an answer that is not the event's shape (not an object, response or
  claimsOverrideDetails not objects, a claim value not a string, claimsToSuppress not a
  list of strings): InvalidLambdaResponseException "Unrecognizable lambda output"; a
  function whose resource-based policy does not let cognito-idp.amazonaws.com invoke it for
  the pool's ARN (AWS:SourceArn, AWS:SourceAccount), or that does not exist:
  UnexpectedLambdaException "PreTokenGeneration invocation failed due to error
  AccessDeniedException." / "... ResourceNotFoundException." (lambdas.py, COGNITO_REFUSAL;
  https://repost.aws/knowledge-center/cognito-lambda-trigger-errors).
- PreTokenGenerationConfig with LambdaVersion V2_0 or V3_0 (Essentials/Plus plans, access
  token customization) is refused by CreateUserPool / UpdateUserPool / the stack with
  InvalidParameterException: not emulated.

The invocation goes through the emulator's Lambda (lambdas.py, ab): RequestResponse on
homedir-gateway, at most 5 s each attempt.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

from joserfc import jwt
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.cognitoidp.responses import CognitoIdpResponse

from .lambdas import COGNITO_PRINCIPAL, COGNITO_REFUSAL, REGISTRY, LambdaError
from .userpools import cognito_error, jwt_claims

TRIGGER = "PreTokenGeneration"
TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
AWS_SDK_VERSION = "aws-sdk-unknown-unknown"
RESERVED_CLAIMS = frozenset({
    "acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat", "identities", "iss",
    "jti", "nbf", "nonce", "origin_jti", "sub", "token_use"})
GROUP_CLAIMS = ("cognito:groups", "cognito:roles", "cognito:preferred_role")

_CALL = threading.local()  # the token-issuing call in progress on this thread
_OVERRIDE = threading.local()  # the function's answer, while the tokens are signed


def trigger_arn(pool: CognitoIdpUserPool) -> str | None:
    """The V1_0 pre token generation function of the pool, if any."""
    config = pool.extended_config.get("LambdaConfig") or {}
    versioned = config.get("PreTokenGenerationConfig") or {}
    if versioned.get("LambdaArn"):
        return versioned["LambdaArn"]
    return config.get("PreTokenGeneration") or None


def check_lambda_config(config: Any) -> None:
    """CreateUserPool / UpdateUserPool: only V1_0 is emulated."""
    versioned = (config or {}).get("PreTokenGenerationConfig") if isinstance(config, dict) else None
    if versioned and versioned.get("LambdaVersion", "V1_0") != "V1_0":
        raise cognito_error("InvalidParameterException",
                            f"PreTokenGenerationConfig LambdaVersion {versioned.get('LambdaVersion')} is not emulated "
                            "locally (only V1_0)")


def _pool_arn(pool: CognitoIdpUserPool) -> str:
    return f"arn:aws:cognito-idp:{pool.region}:{pool.account_id}:userpool/{pool.id}"


def _event(pool: CognitoIdpUserPool, client_id: str, username: str, source: str,
           metadata: dict[str, Any] | None) -> dict[str, Any]:
    user = pool._get_user(username)
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    attributes["cognito:user_status"] = getattr(user.status, "value", str(user.status))
    groups = sorted(user.groups, key=lambda g: (g.precedence if g.precedence is not None else 1 << 31))
    roles = [g.role_arn for g in groups if g.role_arn]
    request: dict[str, Any] = {
        "userAttributes": attributes,
        "groupConfiguration": {"groupsToOverride": [g.group_name for g in groups], "iamRolesToOverride": roles,
                               "preferredRole": roles[0] if roles else None},
    }
    if metadata:
        request["clientMetadata"] = dict(metadata)
    return {"version": "1", "triggerSource": source, "region": pool.region, "userPoolId": pool.id,
            "userName": user.username, "callerContext": {"awsSdkVersion": AWS_SDK_VERSION, "clientId": client_id},
            "request": request, "response": {"claimsOverrideDetails": None}}


def _unexpected(kind: str) -> Exception:
    return cognito_error("UnexpectedLambdaException", f"{TRIGGER} invocation failed due to error {kind}.")


def _invalid() -> Exception:
    return cognito_error("InvalidLambdaResponseException", "Unrecognizable lambda output")


def run_trigger(pool: CognitoIdpUserPool, arn: str, event: dict[str, Any]) -> dict[str, Any] | None:
    """Invoke the function as Cognito does; its claimsOverrideDetails (None: no change)."""
    function = REGISTRY.find(arn)
    if function is None:
        raise _unexpected("ResourceNotFoundException")
    if not REGISTRY.service_may_invoke(function, COGNITO_PRINCIPAL, _pool_arn(pool), pool.account_id):
        raise cognito_error("UnexpectedLambdaException", COGNITO_REFUSAL.format(trigger=TRIGGER))
    payload = json.dumps(event).encode()
    for _ in range(ATTEMPTS):
        try:
            status, headers, body = REGISTRY.call_gateway(function, payload, "RequestResponse",
                                                          timeout=TIMEOUT_SECONDS)
        except TimeoutError:
            continue
        except LambdaError as error:
            raise _unexpected(error.kind) from error
        break
    else:
        raise _unexpected("TimeoutError")
    failed = any(name.lower() == "x-amz-function-error" for name, _ in headers)
    if failed or not status.startswith("200"):
        try:
            message = json.loads(body).get("errorMessage") or ""
        except (ValueError, AttributeError):
            message = body.decode(errors="replace")
        raise cognito_error("UserLambdaValidationException", f"{TRIGGER} failed with error {message}.")
    return _overrides(body)


def _overrides(body: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(body)
    except ValueError:
        raise _invalid() from None
    if not isinstance(answer, dict) or not isinstance(answer.get("response", {}), dict):
        raise _invalid()
    details = (answer.get("response") or {}).get("claimsOverrideDetails")
    if details is None:
        return None
    if not isinstance(details, dict):
        raise _invalid()
    added = details.get("claimsToAddOrOverride") or {}
    suppressed = details.get("claimsToSuppress") or []
    groups = details.get("groupOverrideDetails")
    if not isinstance(added, dict) or not all(isinstance(v, str) for v in added.values()):
        raise _invalid()
    if not isinstance(suppressed, list) or not all(isinstance(v, str) for v in suppressed):
        raise _invalid()
    if groups is not None and not isinstance(groups, dict):
        raise _invalid()
    return details


def apply(claims: dict[str, Any], details: dict[str, Any], token_use: str) -> dict[str, Any]:
    """The claims of a token once the function's answer is applied."""
    claims = dict(claims)
    if token_use == "id":
        for name, value in (details.get("claimsToAddOrOverride") or {}).items():
            if name not in RESERVED_CLAIMS and name not in GROUP_CLAIMS:
                claims[name] = value
        for name in details.get("claimsToSuppress") or []:
            if name not in RESERVED_CLAIMS:
                claims.pop(name, None)
    if "groupOverrideDetails" in details:
        groups = details.get("groupOverrideDetails") or {}
        names, roles, preferred = (groups.get("groupsToOverride") or [], groups.get("iamRolesToOverride") or [],
                                   groups.get("preferredRole"))
        for claim in GROUP_CLAIMS if token_use == "id" else ("cognito:groups",):
            claims.pop(claim, None)
        if names:
            claims["cognito:groups"] = list(names)
        if token_use == "id" and roles:
            claims["cognito:roles"] = list(roles)
        if token_use == "id" and preferred:
            claims["cognito:preferred_role"] = preferred
    return claims


# --------------------------------------------------------------------------
# Installing into moto
# --------------------------------------------------------------------------


def _source_of(handler_name: str, response: CognitoIdpResponse) -> str:
    if handler_name in ("initiate_auth", "admin_initiate_auth"):
        flow = response._get_param("AuthFlow")
        return "TokenGeneration_RefreshTokens" if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN") \
            else "TokenGeneration_Authentication"
    if response._get_param("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        return "TokenGeneration_NewPasswordChallenge"
    return "TokenGeneration_Authentication"


def _marking(name: str, handler: Callable[[CognitoIdpResponse], Any]) -> Callable[[CognitoIdpResponse], Any]:
    def marked(response: CognitoIdpResponse) -> Any:
        _CALL.source = _source_of(name, response)
        # ClientMetadata reaches this trigger from (Admin)RespondToAuthChallenge only (the page)
        _CALL.metadata = (response._get_param("ClientMetadata") or None) if "respond" in name else None
        try:
            return handler(response)
        finally:
            _CALL.source = _CALL.metadata = None
    return marked


def install() -> None:
    """After the other user pool corrections (p-s, x): the token-issuing handlers say
    which trigger source they are; every token issued goes through the trigger."""
    for name in ("initiate_auth", "admin_initiate_auth", "respond_to_auth_challenge",
                 "admin_respond_to_auth_challenge"):
        setattr(CognitoIdpResponse, name, _marking(name, getattr(CognitoIdpResponse, name)))

    # Every path that issues tokens (moto's _log_user_in, its USER_PASSWORD_AUTH and
    # refresh flows) makes the access token first, then the ID token.
    original_access = CognitoIdpUserPool.create_access_token
    original_id = CognitoIdpUserPool.create_id_token

    def create_access_token(pool: CognitoIdpUserPool, client_id: str, username: str,
                            origin_jti: str) -> tuple[str, int]:
        _OVERRIDE.details = None
        arn = trigger_arn(pool)
        if arn is not None:
            source = getattr(_CALL, "source", None) or "TokenGeneration_Authentication"
            try:
                details = run_trigger(pool, arn, _event(pool, client_id, username, source,
                                                        getattr(_CALL, "metadata", None)))
            except Exception:
                if source != "TokenGeneration_RefreshTokens":  # a sign-in's new refresh token is not issued
                    for token, issued in list(pool.refresh_tokens.items()):
                        if issued is not None and issued[2] == origin_jti:
                            pool.refresh_tokens[token] = None
                raise
            _OVERRIDE.details = details
        return original_access(pool, client_id, username, origin_jti)

    def create_id_token(pool: CognitoIdpUserPool, client_id: str, username: str,
                        origin_jti: str) -> tuple[str, int]:
        try:
            return original_id(pool, client_id, username, origin_jti)
        finally:
            _OVERRIDE.details = None

    CognitoIdpUserPool.create_access_token = create_access_token
    CognitoIdpUserPool.create_id_token = create_id_token

    original_jwt = CognitoIdpUserPool.create_jwt

    def create_jwt(pool: CognitoIdpUserPool, client_id: str, username: str, token_use: str,
                   expires_in: int = 60 * 60, extra_data: dict[str, Any] | None = None) -> tuple[str, int]:
        token, seconds = original_jwt(pool, client_id, username, token_use, expires_in, extra_data)
        details = getattr(_OVERRIDE, "details", None)
        if details is None or token_use not in ("id", "access"):
            return token, seconds
        claims = apply(jwt_claims(token), details, token_use)
        return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, pool.json_web_key), seconds

    CognitoIdpUserPool.create_jwt = create_jwt

    original_create = CognitoIdpBackend.create_user_pool
    original_update = CognitoIdpBackend.update_user_pool

    def create_user_pool(backend: CognitoIdpBackend, name: str, extended_config: dict[str, Any]) -> Any:
        check_lambda_config((extended_config or {}).get("LambdaConfig"))
        return original_create(backend, name, extended_config)

    def update_user_pool(backend: CognitoIdpBackend, user_pool_id: str, extended_config: dict[str, Any]) -> None:
        check_lambda_config((extended_config or {}).get("LambdaConfig"))
        original_update(backend, user_pool_id, extended_config)

    CognitoIdpBackend.create_user_pool = create_user_pool
    CognitoIdpBackend.update_user_pool = update_user_pool
