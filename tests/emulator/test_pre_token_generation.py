"""Correction af: the pre token generation Lambda trigger (V1_0) of a user pool, run by
the emulator's Lambda on a homedir-gateway of its own (the function's template
environment, with RECORDER_RESPONSE / RECORDER_SLEEP_MS / RECORDER_FAIL_MARK set for the
case, decides what test-recorder answers), before every token the pool issues."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import deploy
from harness import REGION, Emulator, Gateway, client, free_port, start_gateway, unique
from homedir_aws.cognito import moto_public_key, verify_id_token
from test_deploy import PASSWORD, deploy_variant
from test_lambda import both, functions_of, with_recorder

ALICE = "alice@example.com"
ADDED = {"claimsOverrideDetails": {
    "claimsToAddOrOverride": {"homedir:plan": "team", "sub": "forged-sub", "cognito:username": "forged",
                              "token_use": "access", "email": "other@example.com"},
    "claimsToSuppress": ["email_verified", "aud", "iss"]}}


def _trigger(function_name: str) -> Any:
    """The stack's pool runs Recorder (named, as the functions' environment names the
    pool) before issuing tokens; Cognito may invoke it for this pool only."""
    def edit(template: dict[str, Any]) -> None:
        template["Resources"]["Recorder"]["Properties"]["FunctionName"] = function_name
        template["Resources"]["UserPool"]["Properties"]["LambdaConfig"] = {"PreTokenGeneration": {
            "Fn::Sub": f"arn:aws:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"}}
        _permission(template)
    return edit


def _permission(template: dict[str, Any]) -> None:
    template["Resources"]["RecorderCognitoPermission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Recorder"},
        "Principal": "cognito-idp.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["UserPool", "Arn"]}}}


@pytest.fixture(scope="module")
def trigger_stack(emulator: Emulator) -> dict[str, str]:
    name = unique("pretoken")
    _, settings = deploy_variant(emulator, name, edit=both(with_recorder(), _trigger(f"{name}-recorder")))
    settings["STACK"] = name
    return settings


@contextlib.contextmanager
def recorder_gateway(emulator: Emulator, stack_name: str, directory: Path, **environment: str
                     ) -> Iterator[tuple[Gateway, Path]]:
    """A gateway running the stack's Recorder with `environment` added to its template
    environment, in place of the shared one while the block runs."""
    config = deploy.function_config(deploy.stack_functions(emulator.url, stack_name))
    log = directory / "recorded.jsonl"
    config["functions"]["test-recorder"]["environment"].update({"RECORDER_LOG": str(log), **environment})
    path = directory / "functions.json"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    own = start_gateway(free_port(), directory / "gateway", {"AWS_ENDPOINT_URL": emulator.url, "RUST_LOG": "warn"},
                        config=path)
    previous = emulator.post_json("/_homedir/lambda/gateway", {"url": own.url})
    try:
        yield own, log
    finally:
        emulator.post_json("/_homedir/lambda/gateway", {"url": f"http://127.0.0.1:{emulator.gateway_port}"})
        own.stop()
    assert previous["gateway"] == own.url


def events_in(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line)["event"] for line in log.read_text().splitlines() if line.strip()]


def sign_in(emulator: Emulator, settings: dict[str, str], username: str = ALICE,
            password: str = PASSWORD) -> dict[str, Any]:
    return client(emulator, "cognito-idp").initiate_auth(
        ClientId=settings["USER_POOL_CLIENT_ID"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password})


def claims_of(settings: dict[str, str], id_token: str) -> dict[str, Any]:
    """The ID token's claims, verified as Cognito Identity verifies one."""
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{settings['USER_POOL_ID']}"
    return verify_id_token(id_token, issuer, {settings["USER_POOL_CLIENT_ID"]}, moto_public_key(), time.time())


def failure(call: Any) -> tuple[int, str, str]:
    try:
        call()
    except Exception as error:  # botocore ClientError
        response = error.response  # type: ignore[attr-defined]
        return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]
    raise AssertionError("the call succeeded")


def test_the_trigger_sees_the_user_and_its_claims_are_in_the_signed_id_token(
        emulator: Emulator, trigger_stack: dict[str, str], tmp_path: Path) -> None:
    pool_id, client_id = trigger_stack["USER_POOL_ID"], trigger_stack["USER_POOL_CLIENT_ID"]
    idp = client(emulator, "cognito-idp")
    recorder = functions_of(emulator, trigger_stack["STACK"])["Recorder"]
    # The stack's LambdaConfig reached the pool.
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"] == \
        {"PreTokenGeneration": recorder["FunctionArn"]}
    user = idp.admin_get_user(UserPoolId=pool_id, Username=ALICE)
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]

    with recorder_gateway(emulator, trigger_stack["STACK"], tmp_path, RECORDER_RESPONSE=json.dumps(ADDED)) as (_, log):
        result = sign_in(emulator, trigger_stack)["AuthenticationResult"]
        claims = claims_of(trigger_stack, result["IdToken"])
        # Added and overridden; reserved claims keep Cognito's values; suppressed ones gone.
        assert claims["homedir:plan"] == "team" and claims["email"] == "other@example.com"
        assert (claims["sub"], claims["cognito:username"], claims["token_use"], claims["aud"]) == \
            (sub, user["Username"], "id", client_id)
        assert claims["iss"].endswith(pool_id) and "email_verified" not in claims
        # The V1 event, as sent.
        [event] = events_in(log)
        assert {k: event[k] for k in ("version", "triggerSource", "region", "userPoolId", "userName")} == {
            "version": "1", "triggerSource": "TokenGeneration_Authentication", "region": REGION,
            "userPoolId": pool_id, "userName": user["Username"]}
        assert event["callerContext"]["clientId"] == client_id and event["callerContext"]["awsSdkVersion"]
        attributes = event["request"]["userAttributes"]
        assert (attributes["sub"], attributes["email"], attributes["email_verified"],
                attributes["cognito:user_status"]) == (sub, ALICE, "true", "CONFIRMED")
        assert event["request"]["groupConfiguration"] == \
            {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None}
        assert "clientMetadata" not in event["request"]
        assert event["response"] == {"claimsOverrideDetails": None}
        # The access token is not customized by a V1 trigger.
        access = idp.get_user(AccessToken=result["AccessToken"])
        assert access["Username"] == user["Username"]

        # Refreshing runs it again, as TokenGeneration_RefreshTokens.
        refreshed = idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})
        assert claims_of(trigger_stack, refreshed["AuthenticationResult"]["IdToken"])["homedir:plan"] == "team"
        assert events_in(log)[-1]["triggerSource"] == "TokenGeneration_RefreshTokens"

        # A temporary password's NEW_PASSWORD_REQUIRED: TokenGeneration_NewPasswordChallenge,
        # with the challenge answer's ClientMetadata.
        newcomer = unique("newcomer") + "@example.com"
        idp.admin_create_user(UserPoolId=pool_id, Username=newcomer, TemporaryPassword="Temporary-1pass",
                              MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": newcomer},
                                              {"Name": "email_verified", "Value": "true"}])
        challenge = sign_in(emulator, trigger_stack, newcomer, "Temporary-1pass")
        assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        answered = idp.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": newcomer, "NEW_PASSWORD": PASSWORD}, ClientMetadata={"origin": "cli"})
        assert claims_of(trigger_stack, answered["AuthenticationResult"]["IdToken"])["homedir:plan"] == "team"
        last = events_in(log)[-1]
        assert (last["triggerSource"], last["request"]["clientMetadata"]) == \
            ("TokenGeneration_NewPasswordChallenge", {"origin": "cli"})

    # A trigger answering the event unchanged (claimsOverrideDetails null) changes nothing.
    with recorder_gateway(emulator, trigger_stack["STACK"], tmp_path / "plain",
                          RECORDER_RESPONSE=json.dumps({"claimsOverrideDetails": None})):
        plain = claims_of(trigger_stack, sign_in(emulator, trigger_stack)["AuthenticationResult"]["IdToken"])
        assert "homedir:plan" not in plain and plain["email"] == ALICE and plain["email_verified"] is True


def test_a_failing_garbled_slow_or_refused_trigger_fails_the_sign_in(
        emulator: Emulator, trigger_stack: dict[str, str], tmp_path: Path) -> None:
    stack = trigger_stack["STACK"]
    with recorder_gateway(emulator, stack, tmp_path / "fail", RECORDER_FAIL_MARK="TokenGeneration"):
        status, code, message = failure(lambda: sign_in(emulator, trigger_stack))
        assert (status, code) == (400, "UserLambdaValidationException")
        assert message.startswith("PreTokenGeneration failed with error test-recorder was asked to fail")
    with recorder_gateway(emulator, stack, tmp_path / "garbled", RECORDER_RESPONSE='"not the event"'):
        assert failure(lambda: sign_in(emulator, trigger_stack)) == \
            (400, "InvalidLambdaResponseException", "Unrecognizable lambda output")
    with recorder_gateway(emulator, stack, tmp_path / "slow", RECORDER_SLEEP_MS="5600") as (_, log):
        started = time.monotonic()
        assert failure(lambda: sign_in(emulator, trigger_stack)) == \
            (400, "UnexpectedLambdaException", "PreTokenGeneration invocation failed due to error TimeoutError.")
        assert time.monotonic() - started >= 15  # three attempts of 5 s
    # Another pool naming the same function: its policy allows this stack's pool only.
    idp = client(emulator, "cognito-idp")
    recorder = functions_of(emulator, stack)["Recorder"]
    other = idp.create_user_pool(PoolName=unique("other"), LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V1_0", "LambdaArn": recorder["FunctionArn"]}})["UserPool"]
    other_client = idp.create_user_pool_client(UserPoolId=other["Id"], ClientName="c",
                                               ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                                  "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    idp.admin_create_user(UserPoolId=other["Id"], Username="carol", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=other["Id"], Username="carol", Password=PASSWORD, Permanent=True)
    settings = {"USER_POOL_ID": other["Id"], "USER_POOL_CLIENT_ID": other_client["ClientId"]}
    assert failure(lambda: sign_in(emulator, settings, "carol")) == \
        (400, "UnexpectedLambdaException", "PreTokenGeneration invocation failed due to error AccessDeniedException.")
    # Without the trigger, the same pool issues tokens as before.
    idp.update_user_pool(UserPoolId=other["Id"], LambdaConfig={})
    assert claims_of(settings, sign_in(emulator, settings, "carol")["AuthenticationResult"]["IdToken"])[
        "cognito:username"] == "carol"
    # V2_0 and V3_0 (access token customization) are not emulated.
    assert failure(lambda: idp.update_user_pool(UserPoolId=other["Id"], LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": recorder["FunctionArn"]}}))[:2] == \
        (400, "InvalidParameterException")
