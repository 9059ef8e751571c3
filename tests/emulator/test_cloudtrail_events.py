"""Correction ag: user pool calls as CloudTrail "AWS API Call via CloudTrail" events on
the default bus, delivered to the Lambda targets of the EventBridge rules that match them
(test-recorder on the shared gateway records what it gets)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import REGION, Emulator, Gateway, client, error_code, unique
from test_deploy import deploy_variant
from test_lambda import both, drain, functions_of, recorded, recorder_log, with_recorder

HIDDEN = "HIDDEN_FOR_SECURITY_REASONS"


def _rule(name: str, events: list[str], target: str, state: str = "ENABLED", **target_settings: Any
          ) -> dict[str, Any]:
    return {"Type": "AWS::Events::Rule", "Properties": {
        "State": state,
        "EventPattern": {"source": ["aws.cognito-idp"], "detail-type": ["AWS API Call via CloudTrail"],
                         "detail": {"eventSource": ["cognito-idp.amazonaws.com"], "eventName": events,
                                    "requestParameters": {"userPoolId": [{"Ref": "UserPool"}]}}},
        "Targets": [{"Id": name, "Arn": {"Fn::GetAtt": [target, "Arn"]}, **target_settings}]}}


def _allow(rule: str, function: str) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": function},
        "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}


def _rules(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    resources["UserLifecycle"] = _rule("UserLifecycle", ["AdminDisableUser", "AdminDeleteUser"], "Recorder")
    resources["UserLifecyclePermission"] = _allow("UserLifecycle", "Recorder")
    # Matches AdminEnableUser, but is disabled.
    resources["Dormant"] = _rule("Dormant", ["AdminEnableUser"], "Recorder", state="DISABLED")
    resources["DormantPermission"] = _allow("Dormant", "Recorder")
    # Sends only the record (InputPath) of a sign-out.
    resources["SignOuts"] = _rule("SignOuts", ["AdminUserGlobalSignOut"], "Recorder", InputPath="$.detail")
    resources["SignOutsPermission"] = _allow("SignOuts", "Recorder")
    # Its function's policy does not let EventBridge invoke it.
    resources["Unallowed"] = _rule("Unallowed", ["AdminDisableUser"], "Bystander")


@pytest.fixture(scope="module")
def rules_stack(emulator: Emulator) -> dict[str, str]:
    name = unique("trail")
    _, settings = deploy_variant(emulator, name, edit=both(with_recorder(), with_recorder("Bystander"), _rules))
    settings["STACK"] = name
    return settings


def _new_user(emulator: Emulator, pool_id: str) -> tuple[str, str]:
    username = unique("member") + "@example.com"
    created = client(emulator, "cognito-idp").admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}])
    sub = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}["sub"]
    return username, sub


def test_a_matching_rule_gets_each_call_as_cloudtrail_records_it(
        emulator: Emulator, gateway: Gateway, rules_stack: dict[str, str]) -> None:
    pool_id = rules_stack["USER_POOL_ID"]
    idp = client(emulator, "cognito-idp")
    username, sub = _new_user(emulator, pool_id)

    idp.admin_disable_user(UserPoolId=pool_id, Username=username)
    drain(emulator)
    [delivered] = recorded(recorder_log(gateway), sub)
    event = delivered["event"]
    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "region", "resources")} == {
        "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.cognito-idp",
        "account": "123456789012", "region": REGION, "resources": []}
    detail = event["detail"]
    assert {k: detail[k] for k in ("eventVersion", "eventSource", "eventName", "awsRegion", "readOnly", "eventType",
                                   "managementEvent", "recipientAccountId", "eventCategory", "responseElements")} == {
        "eventVersion": "1.08", "eventSource": "cognito-idp.amazonaws.com", "eventName": "AdminDisableUser",
        "awsRegion": REGION, "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": "123456789012", "eventCategory": "Management", "responseElements": None}
    # Cognito records the user's sub, not the user name.
    assert detail["requestParameters"] == {"userPoolId": pool_id, "username": HIDDEN}
    assert detail["additionalEventData"] == {"sub": sub}
    assert username not in json.dumps(event)
    assert detail["userIdentity"]["type"] == "Root" and detail["eventTime"] == event["time"]
    assert detail["eventID"] and detail["requestID"] and event["id"]

    # The rule whose target may not be invoked by EventBridge delivered nothing.
    bystander = functions_of(emulator, rules_stack["STACK"])["Bystander"]
    refused = [d for d in emulator.get_json("/_homedir/lambda/deliveries")["deliveries"]
               if d["function"] == bystander["FunctionArn"]]
    assert refused and {d["status"] for d in refused} == {"refused"}
    assert refused[-1]["source"] == "events.amazonaws.com" and "-Unallowed-" in refused[-1]["source_arn"]

    # A call the pattern does not name, and a disabled rule's: nothing.
    idp.admin_enable_user(UserPoolId=pool_id, Username=username)
    # A failed call: nothing.
    assert error_code(lambda: idp.admin_delete_user(UserPoolId=pool_id, Username=unique("nobody"))) == \
        "UserNotFoundException"
    # InputPath: the record alone.
    idp.admin_user_global_sign_out(UserPoolId=pool_id, Username=username)
    idp.admin_delete_user(UserPoolId=pool_id, Username=username)
    drain(emulator)
    got = [r["event"] for r in recorded(recorder_log(gateway), sub)]
    assert len(got) == 3
    assert got[1]["eventName"] == "AdminUserGlobalSignOut" and "detail" not in got[1]
    assert got[1]["additionalEventData"] == {"sub": sub}
    assert got[2]["detail"]["eventName"] == "AdminDeleteUser"
    assert got[2]["detail"]["additionalEventData"] == {"sub": sub}


def test_a_call_the_callers_role_refuses_is_no_event(
        emulator: Emulator, gateway: Gateway, rules_stack: dict[str, str]) -> None:
    """Signed with a function's credentials whose role may not call Cognito."""
    pool_id = rules_stack["USER_POOL_ID"]
    username, sub = _new_user(emulator, pool_id)
    recorder = functions_of(emulator, rules_stack["STACK"])["Recorder"]
    from test_lambda import credentials_of
    keys = credentials_of(recorder)
    # The recorder's role may not call Cognito: the refused call is no event either.
    assert error_code(lambda: client(emulator, "cognito-idp", keys).admin_disable_user(
        UserPoolId=pool_id, Username=username)) == "AccessDeniedException"
    drain(emulator)
    assert recorded(recorder_log(gateway), sub) == []
