"""Lambda as the local stack runs it (corrections ab and ac): the stack's functions
deployed from template.yaml and known by name and ARN, Lambda's Invoke API answered on
the emulator's endpoint by forwarding to homedir-gateway (RequestResponse, Event with
its retries, DryRun), who may invoke, and each function's own role deciding what its
credentials may do. The functions here run test-recorder (gateway/src/bin/), a function
that records and echoes its events (the `gateway` fixture)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Callable

import deploy
from harness import FUNCTION_KEY, REGION, Emulator, Gateway, Stack, client, error_code, free_port, http, \
    start_gateway, status_and_code, unique, user_credentials
from test_deploy import deploy_variant, failure_of

RECORDER = {"BuildProperties": {"Binary": "test-recorder"}}


def with_recorder(name: str = "Recorder", **properties: Any) -> Callable[[dict[str, Any]], None]:
    """A template edit: a function that test-recorder runs (extra SAM properties given)."""
    def edit(template: dict[str, Any]) -> None:
        template["Resources"][name] = {"Type": "AWS::Serverless::Function", "Metadata": RECORDER,
                                       "Properties": {"Description": "test-recorder", **properties}}
    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(template: dict[str, Any]) -> None:
        for one in edits:
            one(template)
    return edit


def resource_id(emulator: Emulator, stack_name: str, logical_id: str) -> str:
    return client(emulator, "cloudformation").describe_stack_resource(
        StackName=stack_name, LogicalResourceId=logical_id)["StackResourceDetail"]["PhysicalResourceId"]


def functions_of(emulator: Emulator, stack_name: str) -> dict[str, dict[str, Any]]:
    """The stack's functions by logical id, as the emulator's Lambda holds them."""
    records = {f["FunctionName"]: f for f in emulator.get_json("/_homedir/lambda/functions")["functions"]}
    listed = client(emulator, "cloudformation").list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: records[r["PhysicalResourceId"]] for r in listed
            if r["ResourceType"] == "AWS::Lambda::Function"}


def credentials_of(function: dict[str, Any]) -> tuple[str, str, str]:
    found = function["Credentials"]
    return found["AWS_ACCESS_KEY_ID"], found["AWS_SECRET_ACCESS_KEY"], found["AWS_SESSION_TOKEN"]


def drain(emulator: Emulator, timeout: float = 30) -> dict[str, Any]:
    answer = emulator.post_json("/_homedir/lambda/drain", {"timeout": timeout})
    assert answer["drained"], answer
    return answer


def recorded(gateway_log: Path, marker: str) -> list[dict[str, Any]]:
    """What test-recorder received whose event holds `marker`, oldest first."""
    if not gateway_log.exists():
        return []
    lines = [json.loads(line) for line in gateway_log.read_text().splitlines() if line.strip()]
    return [line for line in lines if marker in json.dumps(line["event"])]


def recorder_log(gateway: Gateway) -> Path:
    return gateway.log.parent / "recorded.jsonl"


# --------------------------------------------------------------------------
# The stack's functions
# --------------------------------------------------------------------------


def test_the_stacks_functions_are_deployed_with_their_binaries_roles_and_environments(
        emulator: Emulator, stack: Stack) -> None:
    functions = functions_of(emulator, "homedir-local")
    binaries = {lid: f["Binary"] for lid, f in functions.items()}
    assert binaries.items() >= {"ReadFileFunction": "read-file", "WriteFileFunction": "write-file",
                                "ListFunction": "list", "DeleteFunction": "delete", "WebFunction": "web"}.items()
    assert stack["FUNCTION_BINARIES"].split(",") == list(binaries.values())
    iam = client(emulator, "iam")
    function_role = iam.get_role(RoleName=resource_id(emulator, "homedir-local", "FunctionRole"))["Role"]["Arn"]
    web_role = iam.get_role(RoleName=resource_id(emulator, "homedir-local", "WebFunctionRole"))["Role"]["Arn"]
    assert functions["ReadFileFunction"]["Role"] == functions["ListFunction"]["Role"] == function_role
    assert functions["WebFunction"]["Role"] == web_role
    # The template's environment as deployed, its dynamic reference resolved.
    write = functions["WriteFileFunction"]
    assert write["Environment"]["Variables"]["UPLOAD_ID_KEY"] == stack["UPLOAD_ID_KEY"]
    assert write["Environment"]["Variables"]["USER_POOL_ID"] == stack["USER_POOL_ID"]
    assert (write["Timeout"], write["MemorySize"], write["Runtime"]) == (15, 256, "provided.al2023")
    # The Lambda API answers it.
    lam = client(emulator, "lambda")
    configuration = lam.get_function(FunctionName=write["FunctionName"])["Configuration"]
    assert configuration["FunctionArn"] == write["FunctionArn"] == \
        f"arn:aws:lambda:{REGION}:123456789012:function:{write['FunctionName']}"
    assert write["FunctionName"] in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    # The gateway's --function-config holds the same.
    config = json.loads(Path(stack["FUNCTIONS_CONFIG"]).read_text())["functions"]
    assert config["write-file"]["name"] == write["FunctionName"]
    assert config["write-file"]["credentials"] == write["Credentials"]
    # Their log groups exist (nothing is written to them: the gateway prints the logs).
    groups = {g["logGroupName"]: g for g in client(emulator, "logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/homedir-local/")["logGroups"]}  # other tests' stacks have theirs
    assert groups["/aws/lambda/homedir-local/read-file"]["retentionInDays"] == 365


def test_a_function_lambda_could_not_run_fails_the_deploy_by_name(emulator: Emulator) -> None:
    def without_binary(template: dict[str, Any]) -> None:
        with_recorder()(template)
        template["Resources"]["Recorder"]["Metadata"] = {"BuildMethod": "rust-cargolambda"}

    message = failure_of(lambda: deploy_variant(emulator, unique("nobinary"), edit=without_binary))
    assert "Recorder (AWS::Lambda::Function)" in message and "Metadata.BuildProperties.Binary" in message

    def untrusted_role(template: dict[str, Any]) -> None:
        template["Resources"]["EdgeRole"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}}}
        with_recorder(Role={"Fn::GetAtt": ["EdgeRole", "Arn"]})(template)

    message = failure_of(lambda: deploy_variant(emulator, unique("untrusted"), edit=untrusted_role))
    assert "The role defined for the function cannot be assumed by Lambda" in message

    def with_dead_letters(template: dict[str, Any]) -> None:
        with_recorder(DeadLetterQueue={"Type": "SQS", "TargetArn": "arn:aws:sqs:us-east-1:123456789012:q"})(template)

    message = failure_of(lambda: deploy_variant(emulator, unique("dlq"), edit=with_dead_letters))
    assert "DeadLetterConfig" in message


# --------------------------------------------------------------------------
# Invoke
# --------------------------------------------------------------------------


def test_invoke_runs_the_function_on_the_gateway_and_answers_as_lambda(emulator: Emulator, gateway: Gateway) -> None:
    name = unique("invoke")
    deploy_variant(emulator, name, edit=with_recorder())
    recorder = functions_of(emulator, name)["Recorder"]
    lam = client(emulator, "lambda")
    marker = unique("event")
    partial = recorder["FunctionArn"].split(":", 4)[4]
    for reference in (recorder["FunctionName"], recorder["FunctionArn"], partial, recorder["FunctionName"] + ":$LATEST"):
        answer = lam.invoke(FunctionName=reference, Payload=json.dumps({"marker": marker}).encode())
        assert (answer["StatusCode"], answer.get("FunctionError"), answer["ExecutedVersion"]) == (200, None, "$LATEST")
        assert json.loads(answer["Payload"].read())["event"] == {"marker": marker}
    assert len(recorded(recorder_log(gateway), marker)) == 4
    # An empty payload is {}.
    assert json.loads(lam.invoke(FunctionName=recorder["FunctionName"])["Payload"].read())["event"] == {}

    # A function error is 200 with X-Amz-Function-Error and the error document.
    failed = lam.invoke(FunctionName=recorder["FunctionName"], Payload=b'{"recorder": {"fail": true}}')
    assert (failed["StatusCode"], failed["FunctionError"]) == (200, "Unhandled")
    assert json.loads(failed["Payload"].read())["errorType"] == "RecorderFailure"
    crashed = lam.invoke(FunctionName=recorder["FunctionName"], Payload=b'{"recorder": {"exit": 3}}')
    assert (crashed["StatusCode"], crashed["FunctionError"]) == (200, "Unhandled")
    assert json.loads(crashed["Payload"].read())["errorType"] == "Runtime.ExitError"

    # Refusals before anything runs.
    assert status_and_code(lambda: lam.invoke(FunctionName=unique("missing"))) == (404, "ResourceNotFoundException")
    assert status_and_code(lambda: lam.invoke(FunctionName=recorder["FunctionName"], Qualifier="1")) == \
        (404, "ResourceNotFoundException")
    assert status_and_code(lambda: lam.invoke(FunctionName=recorder["FunctionName"], Payload=b"{not json")) == \
        (400, "InvalidRequestContentException")

    # DryRun: 204, nothing runs. Event: 202, run from the queue.
    dry = lam.invoke(FunctionName=recorder["FunctionName"], InvocationType="DryRun",
                     Payload=json.dumps({"dry": marker}).encode())
    assert dry["StatusCode"] == 204
    queued = lam.invoke(FunctionName=recorder["FunctionName"], InvocationType="Event",
                        Payload=json.dumps({"queued": marker}).encode())
    assert queued["StatusCode"] == 202
    drain(emulator)
    assert len(recorded(recorder_log(gateway), marker)) == 5  # the event, not the dry run


def test_event_invocations_are_retried_twice_then_dropped(emulator: Emulator, gateway: Gateway) -> None:
    """Lambda runs a failing event twice more (after 1 and 2 minutes; this gateway
    waits 0.2 s and 0.3 s), with the same request id, then drops it."""
    name = unique("retried")
    deploy_variant(emulator, name, edit=with_recorder())
    recorder = functions_of(emulator, name)["Recorder"]
    marker = unique("recorder-must-fail")  # test-recorder fails events that hold RECORDER_FAIL_MARK
    client(emulator, "lambda").invoke(FunctionName=recorder["FunctionName"], InvocationType="Event",
                                      Payload=json.dumps({"marker": marker}).encode())
    drain(emulator)
    attempts = recorded(recorder_log(gateway), marker)
    assert len(attempts) == 3 and len({a["request_id"] for a in attempts}) == 1
    outcome = [o for o in json.load(urllib.request.urlopen(gateway.url + "/_homedir/async"))["invocations"]
               if o["request_id"] == attempts[0]["request_id"]]
    assert [(o["result"], o["attempts"]) for o in outcome] == [("failed", 3)]


def test_invoke_is_authorized_as_lambda_authorizes_it(emulator: Emulator, stack: Stack, gateway: Gateway) -> None:
    name = unique("callers")

    def edit(template: dict[str, Any]) -> None:
        with_recorder()(template)
        # A second function whose role may invoke the first (the SAM policy template).
        with_recorder("Invoker", Policies=[{"LambdaInvokePolicy": {"FunctionName": {"Ref": "Recorder"}}}])(template)

    deploy_variant(emulator, name, edit=edit)
    functions = functions_of(emulator, name)
    target = functions["Recorder"]["FunctionName"]
    payload = json.dumps({"marker": unique("authorized")}).encode()

    def invoke_with(key: tuple[str, ...]) -> tuple[int, str]:
        return status_and_code(lambda: client(emulator, "lambda", key).invoke(FunctionName=target, Payload=payload))

    alice, _ = user_credentials(emulator, stack, "alice@example.com")
    assert invoke_with(alice) == (403, "AccessDeniedException")
    assert invoke_with(credentials_of(functions_of(emulator, "homedir-local")["ReadFileFunction"])) == \
        (403, "AccessDeniedException")
    assert invoke_with(FUNCTION_KEY) == (403, "AccessDeniedException")  # it plays read-file's role
    assert invoke_with(("AKIAEXAMPLEUNKNOWN01", "secret")) == (403, "UnrecognizedClientException")
    status, _, body = http("POST", f"{emulator.url}/2015-03-31/functions/{target}/invocations", b"{}")
    assert (status, json.loads(body)["Message"]) == (403, "Missing Authentication Token")
    allowed = client(emulator, "lambda", credentials_of(functions["Invoker"])).invoke(FunctionName=target,
                                                                                      Payload=payload)
    assert allowed["StatusCode"] == 200 and "FunctionError" not in allowed


def test_the_gateway_runs_a_function_with_its_template_environment_and_role_credentials(
        emulator: Emulator, gateway: Gateway, tmp_path: Path) -> None:
    """The deploy's --function-config: each function's name and ARN, its template
    environment (under the gateway's --env-file) and its role's credentials (over it)."""
    name = unique("configured")
    deploy_variant(emulator, name, edit=with_recorder(Environment={"Variables": {
        "FROM_TEMPLATE": "yes", "RUST_LOG": "trace"}}))
    functions = deploy.stack_functions(emulator.url, name)
    config = tmp_path / "functions.json"
    config.write_text(json.dumps(deploy.function_config(functions)))
    port = free_port()
    own = start_gateway(port, tmp_path / "gateway", {"AWS_ENDPOINT_URL": emulator.url, "RUST_LOG": "warn",
                                                     "AWS_ACCESS_KEY_ID": FUNCTION_KEY[0]}, config=config)
    try:
        assert emulator.post_json("/_homedir/lambda/gateway", {"url": own.url})["gateway"] == own.url
        recorder = functions_of(emulator, name)["Recorder"]
        answer = json.loads(client(emulator, "lambda").invoke(FunctionName=recorder["FunctionName"])["Payload"].read())
    finally:
        emulator.post_json("/_homedir/lambda/gateway", {"url": gateway.url})
        own.stop()
    environment = answer["environment"]
    assert answer["function"] == environment["AWS_LAMBDA_FUNCTION_NAME"] == recorder["FunctionName"]
    assert environment["FROM_TEMPLATE"] == "yes" and environment["RUST_LOG"] == "warn"  # the local settings win
    assert environment["AWS_ACCESS_KEY_ID"] == recorder["Credentials"]["AWS_ACCESS_KEY_ID"]  # Lambda's win
    assert environment["AWS_SESSION_TOKEN"] is True and environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"


# --------------------------------------------------------------------------
# c. The functions' roles are real
# --------------------------------------------------------------------------


def test_a_functions_credentials_are_its_roles(emulator: Emulator, stack: Stack) -> None:
    """The file API's role may AdminGetUser on the stack's user pool and nothing else: no
    S3, no other pool, no DynamoDB; the shared function key plays the same role."""
    read_file = credentials_of(functions_of(emulator, "homedir-local")["ReadFileFunction"])
    for key in (read_file, FUNCTION_KEY):
        idp = client(emulator, "cognito-idp", key)
        assert idp.admin_get_user(UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")["Enabled"]
        assert error_code(lambda: idp.admin_get_user(UserPoolId=stack["OTHER_USER_POOL_ID"],
                                                     Username="alice@example.com")) == "AccessDeniedException"
        assert error_code(lambda: idp.admin_disable_user(UserPoolId=stack["USER_POOL_ID"],
                                                         Username="alice@example.com")) == "AccessDeniedException"
        assert error_code(lambda: client(emulator, "dynamodb", key).list_tables()) == "AccessDeniedException"
        assert error_code(lambda: client(emulator, "s3", key, signature_version="s3v4").list_objects_v2(
            Bucket=stack["BUCKET_NAME"], Prefix="home/")) == "AccessDenied"
    # The web page's role may call nothing at all.
    web = credentials_of(functions_of(emulator, "homedir-local")["WebFunction"])
    assert error_code(lambda: client(emulator, "cognito-idp", web).admin_get_user(
        UserPoolId=stack["USER_POOL_ID"], Username="alice@example.com")) == "AccessDeniedException"
    # A function's key with another session token is no key at all.
    forged = (read_file[0], read_file[1], read_file[2][:-4] + "AAAA")
    assert error_code(lambda: client(emulator, "dynamodb", forged).list_tables()) == "UnrecognizedClientException"


def test_a_changed_function_role_statement_changes_the_next_decision(emulator: Emulator) -> None:
    """The role's documents are read at each call: a stack update that grants the
    function a table reaches its (unchanged) credentials at once."""
    name = unique("grant")

    def edit(granted: bool) -> Callable[[dict[str, Any]], None]:
        def apply(template: dict[str, Any]) -> None:
            template["Resources"]["Notes"] = {"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
            policies = [{"DynamoDBReadPolicy": {"TableName": {"Ref": "Notes"}}}] if granted else []
            with_recorder(Policies=policies)(template)
        return apply

    deploy_variant(emulator, name, edit=edit(False))
    recorder = functions_of(emulator, name)["Recorder"]
    table = resource_id(emulator, name, "Notes")
    dynamodb = client(emulator, "dynamodb", credentials_of(recorder))
    assert error_code(lambda: dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})) == "AccessDeniedException"
    deploy.deploy(emulator.url, name, {}, sam_template=_template(edit(True)), say=lambda line: None)
    assert functions_of(emulator, name)["Recorder"]["Credentials"] == recorder["Credentials"]
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}}).get("Item") is None


def _template(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    template = deploy.load_template(deploy.TEMPLATE)
    edit(template)
    return template


def test_the_function_key_plays_the_role_of_the_function_deploy_binds_it_to(emulator: Emulator, stack: Stack) -> None:
    functions = functions_of(emulator, "homedir-local")
    bound = emulator.post_json("/_homedir/lambda/function-key", {"function": functions["ReadFileFunction"]["FunctionArn"]})
    assert bound["role"] == functions["ReadFileFunction"]["Role"]
    status, _, body = http("POST", f"{emulator.url}/_homedir/lambda/function-key", json.dumps(
        {"function": unique("missing")}).encode(), {"Content-Type": "application/json"})
    assert status == 404, body
