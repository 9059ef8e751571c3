"""The local stack is template.yaml, deployed (deploy.py, homedir_aws/cfn*.py): what is
created and what is left out, the settings from the stack, each resource model's
properties as the services then answer them, what fails a deploy (with its name), a
template change reaching the stack with no other edit, updates in place, the deployed
policy documents equal to infra-policies/, and provision.py's fixtures creating nothing
the template declares."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import deploy
import provision
from harness import HERE, REGION, Emulator, Stack, claims_of, client, error_code, get_id, provider, unique, \
    user_credentials

PASSWORD = "Homedir-Deploy-1"
POLICIES = HERE.parents[1] / "infra-policies"


def sam_template() -> dict[str, Any]:
    return deploy.load_template(deploy.TEMPLATE)


def deploy_variant(emulator: Emulator, name: str, parameters: dict[str, str] | None = None,
                   edit: Callable[[dict[str, Any]], None] | None = None, said: list[str] | None = None
                   ) -> tuple[deploy.Deployed, dict[str, str]]:
    """template.yaml (edited by `edit`) deployed as stack `name` with `parameters`; the
    stack and its settings, with a user (alice) and PASSWORD in them."""
    template = sam_template()
    if edit:
        edit(template)
    deployed = deploy.deploy(emulator.url, name, parameters or {}, sam_template=template,
                             say=(said.append if said is not None else lambda line: None))
    settings = deploy.stack_settings(emulator.url, deployed)
    provision.ensure_confirmed_user(client(emulator, "cognito-idp"), settings["USER_POOL_ID"],
                                    "alice@example.com", PASSWORD)
    settings.update({"DEMO_PASSWORD": PASSWORD})
    return deployed, settings


def statement(template: dict[str, Any], sid: str) -> dict[str, Any]:
    document = template["Resources"]["AuthenticatedRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def without_delete(template: dict[str, Any]) -> None:
    """The role's own-files statement without s3:DeleteObject."""
    statement(template, "ReadWriteDeleteOwnFilesOnly")["Action"].remove("s3:DeleteObject")


def failure_of(call: Callable[[], Any]) -> str:
    with pytest.raises(deploy.DeployError) as raised:
        call()
    return str(raised.value)


# --------------------------------------------------------------------------
# What the local stack is
# --------------------------------------------------------------------------


def test_the_local_stack_is_the_template_without_what_the_gateway_serves(
    emulator: Emulator, stack: Stack, tmp_path: Path
) -> None:
    expected = deploy.plan(deploy.transform(sam_template(), {}, REGION, "homedir-local"), {})
    listed = client(emulator, "cloudformation").list_stack_resources(StackName="homedir-local")
    created = {r["LogicalResourceId"]: r["ResourceType"] for r in listed["StackResourceSummaries"]}
    assert created == {lid: r["Type"] for lid, r in expected.template["Resources"].items()
                       if "Condition" not in r}  # UserPoolDomain: only with HostedUiDomainPrefix
    assert set(created) >= {"UserPool", "UserPoolClient", "IdentityPool", "IdentityPoolRoleAttachment",
                            "IdentityPoolTeamTag", "AuthenticatedRole", "HomeBucket", "HomeBucketPolicy",
                            "UploadIdKey", "ReadFileFunction", "WriteFileFunction", "ListFunction", "DeleteFunction",
                            "WebFunction", "UsageFunction", "FunctionRole", "WebFunctionRole", "UsageFunctionRole",
                            "ReadFileLogGroup", "ApiAccessLogGroup", "UsageTable", "AuthenticatedBoundary",
                            "QuotaDenyPolicy1", "QuotaDenyPolicy4", "UsageFunctionBucketPolicy",
                            "UsageFunctionS3Permission", "UsageRecountSchedule", "UsageRecountSchedulePermission"}
    left_out = {lid for ids in expected.left_out.values() for lid in ids}
    assert left_out == {"HttpApi", "HttpApiApiGatewayDefaultStage", "ReadFileFunctionReadFilePermission",
                        "WriteFileFunctionWriteFilePermission", "WriteFileFunctionStartOrCompleteUploadPermission",
                        "WriteFileFunctionResumeUploadPermission", "WriteFileFunctionAbortUploadPermission",
                        "ListFunctionListPermission", "DeleteFunctionDeletePermission", "WebFunctionPagePermission",
                        "WebFunctionAssetsPermission"}
    assert not left_out & set(created)

    # The deploy says so when it runs, naming every resource it leaves out.
    run = subprocess.run(
        [sys.executable, str(HERE / "deploy.py"), "--endpoint", emulator.url, "--stack", unique("said"),
         "--out", str(tmp_path / "said.env"),
         # the function key stays bound to the suite's stack (the other tests' AdminGetUser)
         "--function-key-binary", "no-such-binary"], capture_output=True, text=True, check=True)
    for lid in left_out | {"ApiUrl", "WebUrl"}:
        assert lid in run.stderr, lid
    assert "created from template.yaml" in run.stderr


def test_settings_come_from_the_stack(emulator: Emulator, stack: Stack) -> None:
    cloudformation = client(emulator, "cloudformation")
    described = cloudformation.describe_stacks(StackName="homedir-local")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    assert set(outputs) == {"Region", "UserPoolId", "UserPoolClientId", "IdentityPoolId", "BucketName",
                            "UsageTableName", "UsageFunctionName", "IdentityTableName", "UserChangesTableName"}
    assert (stack["AWS_REGION"], stack["USER_POOL_ID"], stack["USER_POOL_CLIENT_ID"], stack["IDENTITY_POOL_ID"],
            stack["BUCKET_NAME"]) == (outputs["Region"], outputs["UserPoolId"], outputs["UserPoolClientId"],
                                      outputs["IdentityPoolId"], outputs["BucketName"])
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert (stack["HOME_PREFIX"], stack["TEAM_PREFIX"]) == (parameters["HomePrefix"], parameters["TeamPrefix"])
    # UPLOAD_ID_KEY is the stack's secret, as the deployment resolves it: never an output.
    secret = cloudformation.describe_stack_resource(
        StackName="homedir-local", LogicalResourceId="UploadIdKey")["StackResourceDetail"]["PhysicalResourceId"]
    assert client(emulator, "secretsmanager").get_secret_value(SecretId=secret)["SecretString"] == \
        stack["UPLOAD_ID_KEY"]
    assert stack["UPLOAD_ID_KEY"] not in json.dumps(described, default=str)


# --------------------------------------------------------------------------
# Each resource model, as the services answer it
# --------------------------------------------------------------------------


def test_the_user_pool_has_the_templates_settings(emulator: Emulator, stack: Stack) -> None:
    idp = client(emulator, "cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=stack["USER_POOL_ID"])["UserPool"]
    assert pool["Name"] == "homedir-local-users"
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True, "RequireNumbers": True,
        "RequireSymbols": True, "TemporaryPasswordValidityDays": 7}
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]}
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert pool["MfaConfiguration"] == "OFF"
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    schema = {a["Name"]: a for a in pool["SchemaAttributes"]}
    assert schema["email"]["Required"] is True
    assert schema["custom:team"]["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "63"}
    # Deletion protection, as Cognito applies it.
    assert error_code(lambda: idp.delete_user_pool(UserPoolId=stack["USER_POOL_ID"])) == \
        "InvalidParameterException"
    # Case-insensitive user names: alice signs in as ALICE.
    assert "IdToken" in idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=stack["USER_POOL_CLIENT_ID"],
        AuthParameters={"USERNAME": "ALICE@Example.com", "PASSWORD": stack["DEMO_PASSWORD"]})["AuthenticationResult"]


def test_the_app_client_has_the_templates_flows_lifetimes_and_attributes(emulator: Emulator, stack: Stack) -> None:
    idp = client(emulator, "cognito-idp")
    app = idp.describe_user_pool_client(UserPoolId=stack["USER_POOL_ID"],
                                        ClientId=stack["USER_POOL_CLIENT_ID"])["UserPoolClient"]
    assert app["ClientName"] == "homedir-local-client" and "ClientSecret" not in app
    assert app["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (app["IdTokenValidity"], app["AccessTokenValidity"], app["RefreshTokenValidity"]) == (60, 60, 30)
    assert app["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "days"}
    assert (app["ReadAttributes"], app["WriteAttributes"]) == (["email", "email_verified", "custom:team", "custom:quota"],
                                                                  ["email"])
    assert (app["PreventUserExistenceErrors"], app["EnableTokenRevocation"]) == ("ENABLED", True)
    assert app["AllowedOAuthFlowsUserPoolClient"] is False
    # A flow the client does not allow is refused; the tokens live 60 minutes.
    assert error_code(lambda: idp.admin_initiate_auth(
        UserPoolId=stack["USER_POOL_ID"], ClientId=stack["USER_POOL_CLIENT_ID"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": stack["DEMO_PASSWORD"]})) == \
        "InvalidParameterException"
    tokens = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=stack["USER_POOL_CLIENT_ID"], AuthParameters={
        "USERNAME": "alice@example.com", "PASSWORD": stack["DEMO_PASSWORD"]})["AuthenticationResult"]
    claims = claims_of(tokens["IdToken"])
    assert claims["exp"] - claims["iat"] == 3600 and tokens["ExpiresIn"] == 3600


def test_token_lifetimes_follow_the_client(emulator: Emulator) -> None:
    def five_minute_tokens(template: dict[str, Any]) -> None:
        properties = template["Resources"]["UserPoolClient"]["Properties"]
        properties["IdTokenValidity"] = properties["AccessTokenValidity"] = 5

    _, settings = deploy_variant(emulator, unique("lifetimes"), edit=five_minute_tokens)
    tokens = client(emulator, "cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=settings["USER_POOL_CLIENT_ID"],
        AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": PASSWORD})["AuthenticationResult"]
    for token in (tokens["IdToken"], tokens["AccessToken"]):
        claims = claims_of(token)
        assert claims["exp"] - claims["iat"] == 300
    assert tokens["ExpiresIn"] == 300


def test_the_identity_pool_its_roles_and_its_tags(emulator: Emulator, stack: Stack) -> None:
    identity = client(emulator, "cognito-identity")
    pool = identity.describe_identity_pool(IdentityPoolId=stack["IDENTITY_POOL_ID"])
    assert pool["IdentityPoolName"] == "homedir-local-identities"
    assert (pool["AllowUnauthenticatedIdentities"], pool["AllowClassicFlow"]) == (False, False)
    assert pool["CognitoIdentityProviders"] == [
        {"ProviderName": provider(stack), "ClientId": stack["USER_POOL_CLIENT_ID"], "ServerSideTokenCheck": True}]
    roles = identity.get_identity_pool_roles(IdentityPoolId=stack["IDENTITY_POOL_ID"])["Roles"]
    role_name = client(emulator, "cloudformation").describe_stack_resource(
        StackName="homedir-local", LogicalResourceId="AuthenticatedRole")["StackResourceDetail"]["PhysicalResourceId"]
    assert roles == {"authenticated": client(emulator, "iam").get_role(RoleName=role_name)["Role"]["Arn"]}
    tags = identity.get_principal_tag_attribute_map(IdentityPoolId=stack["IDENTITY_POOL_ID"],
                                                    IdentityProviderName=provider(stack))
    assert (tags["UseDefaults"], tags["PrincipalTags"]) == (False, {"team": "custom:team"})


def test_the_bucket_has_the_templates_settings(emulator: Emulator, stack: Stack) -> None:
    s3, bucket = client(emulator, "s3"), stack["BUCKET_NAME"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert set(rules) == {"expire-noncurrent-versions", "remove-expired-delete-markers",
                          "abort-incomplete-multipart-uploads"}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["remove-expired-delete-markers"]["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT", "HEAD"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "Last-Modified", "x-amz-version-id"], "MaxAgeSeconds": 3600}]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyRequestsWithoutTls", "DenyTlsOlderThan12"]


def test_newer_noncurrent_versions_is_kept(emulator: Emulator) -> None:
    _, settings = deploy_variant(emulator, unique("keep"), {"NoncurrentVersionsToKeep": "3"})
    rules = {r["ID"]: r for r in client(emulator, "s3").get_bucket_lifecycle_configuration(
        Bucket=settings["BUCKET_NAME"])["Rules"]}
    assert rules["limit-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 1, "NewerNoncurrentVersions": 3}


def test_every_conditional_branch_of_the_template_deploys(emulator: Emulator) -> None:
    """The template's optional parts, each set: a hosted UI domain and OAuth client, an
    SES sender, MFA ON, invite-only sign-up, fewer kept versions, listed CORS origins,
    alarms and a budget (left out, and said)."""
    said: list[str] = []
    name = unique("branches")
    _, settings = deploy_variant(emulator, name, {
        "HostedUiDomainPrefix": name, "CallbackUrls": "https://example.com/cb,https://example.com/cb2",
        "LogoutUrls": "https://example.com/out", "SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "SesFromAddress": "homedir <no-reply@example.com>", "Mfa": "ON", "SignUpMode": "invite-only",
        "NoncurrentVersionsToKeep": "3", "AlarmEmail": "ops@example.com", "BudgetLimit": "10",
        "CorsAllowedOrigins": "https://a.example,https://b.example"}, said=said)
    assert deploy_resources(said) == "49"  # the 48 of the default stack, and the domain
    assert "AlarmTopic, AlarmTopicPolicy, ApiErrorRateAlarm" in "\n".join(said) and "AlarmTopicArn" in "\n".join(said)
    idp = client(emulator, "cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=settings["USER_POOL_ID"])["UserPool"]
    assert pool["Domain"] == name and pool["MfaConfiguration"] == "ON"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "DEVELOPER", "From": "homedir <no-reply@example.com>",
                                          "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com"}
    assert idp.get_user_pool_mfa_config(UserPoolId=settings["USER_POOL_ID"])["SoftwareTokenMfaConfiguration"] == \
        {"Enabled": True}
    app = idp.describe_user_pool_client(UserPoolId=settings["USER_POOL_ID"],
                                        ClientId=settings["USER_POOL_CLIENT_ID"])["UserPoolClient"]
    assert (app["AllowedOAuthFlowsUserPoolClient"], app["AllowedOAuthFlows"], app["CallbackURLs"], app["LogoutURLs"]) \
        == (True, ["code"], ["https://example.com/cb", "https://example.com/cb2"], ["https://example.com/out"])
    assert idp.describe_user_pool_domain(Domain=name)["DomainDescription"]["UserPoolId"] == settings["USER_POOL_ID"]
    cors = client(emulator, "s3").get_bucket_cors(Bucket=settings["BUCKET_NAME"])["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["https://a.example", "https://b.example"]


def deploy_resources(said: list[str]) -> str:
    """The number of resources the deploy's first line reports."""
    return said[0].split(" resources)")[0].rsplit("(", 1)[1]


# --------------------------------------------------------------------------
# The deployed documents are the reviewed files
# --------------------------------------------------------------------------


def _file(name: str, placeholders: dict[str, str]) -> Any:
    text = (POLICIES / name).read_text()
    for key, value in placeholders.items():
        text = text.replace("${" + key + "}", value)
    return json.loads(text)


def test_infra_policies_files_equal_the_deployed_documents(emulator: Emulator, stack: Stack) -> None:
    """infra-policies/ stays the reviewed source: what the stack deployed into the
    emulator's IAM and S3 (and what the emulator authorizes with) is exactly those
    files, CloudFormation's placeholders filled."""
    iam = client(emulator, "iam")
    arn = client(emulator, "cognito-identity").get_identity_pool_roles(
        IdentityPoolId=stack["IDENTITY_POOL_ID"])["Roles"]["authenticated"]
    role = iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]
    placeholders = {"AWS::Partition": "aws", "HomeBucket": stack["BUCKET_NAME"], "HomePrefix": stack["HOME_PREFIX"],
                    "TeamPrefix": stack["TEAM_PREFIX"], "IdentityPool": stack["IDENTITY_POOL_ID"]}
    assert role["AssumeRolePolicyDocument"] == _file("authenticated-trust-policy.json", placeholders)
    names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    assert names == ["per-user-home"]
    inline = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="per-user-home")["PolicyDocument"]
    assert inline == _file("authenticated-s3-policy.json", placeholders)
    bucket_policy = json.loads(client(emulator, "s3").get_bucket_policy(Bucket=stack["BUCKET_NAME"])["Policy"])
    assert bucket_policy == _file("bucket-policy.json", placeholders)


# --------------------------------------------------------------------------
# What fails a deploy, and says why
# --------------------------------------------------------------------------


def test_a_property_the_emulator_cannot_honour_fails_the_deploy_with_its_name(emulator: Emulator) -> None:
    def with_trigger(template: dict[str, Any]) -> None:
        template["Resources"]["UserPool"]["Properties"]["LambdaConfig"] = {
            "PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:gate"}

    name = unique("trigger")
    message = failure_of(lambda: deploy_variant(emulator, name, edit=with_trigger))
    assert "UserPool (AWS::Cognito::UserPool)" in message and "LambdaConfig" in message
    assert "aws-resource-cognito-userpool.html" in message
    # Nothing was created: no stack, no pool.
    assert error_code(lambda: client(emulator, "cloudformation").describe_stacks(StackName=name)) == \
        "ValidationError"
    pools = client(emulator, "cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    assert f"{name}-users" not in [p["Name"] for p in pools]

    def with_transition(template: dict[str, Any]) -> None:
        rules = template["Resources"]["HomeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        rules[0]["Transitions"] = [{"StorageClass": "GLACIER", "TransitionInDays": 30}]

    message = failure_of(lambda: deploy_variant(emulator, unique("nested"), edit=with_transition))
    assert "HomeBucket (AWS::S3::Bucket)" in message and "LifecycleConfiguration.Rules[0].Transitions" in message

    def with_queue(template: dict[str, Any]) -> None:
        template["Resources"]["DeadLetters"] = {"Type": "AWS::SQS::Queue", "Properties": {}}

    message = failure_of(lambda: deploy_variant(emulator, unique("queue"), edit=with_queue))
    assert "DeadLetters: the local emulator has no model for AWS::SQS::Queue" in message

    def with_sms(template: dict[str, Any]) -> None:
        template["Resources"]["UserPool"]["Properties"]["EnabledMfas"] = ["SMS_MFA"]

    message = failure_of(lambda: deploy_variant(emulator, unique("sms"), {"Mfa": "OPTIONAL"}, edit=with_sms))
    assert "EnabledMfas value SMS_MFA" in message


def test_parameters_and_rules_are_checked_as_cloudformation_checks_them(emulator: Emulator) -> None:
    message = failure_of(lambda: deploy_variant(emulator, unique("short"), {"MinimumPasswordLength": "7"}))
    assert "Parameter 'MinimumPasswordLength' must be a number not less than 8" in message
    message = failure_of(lambda: deploy_variant(emulator, unique("same"), {"TeamPrefix": "home"}))
    assert "rule SpacesApart: TeamPrefix must differ from HomePrefix" in message
    message = failure_of(lambda: deploy_variant(emulator, unique("mode"), {"SignUpMode": "closed"}))
    assert "Parameter 'SignUpMode' must be one of AllowedValues: open, invite-only" in message
    assert "do not exist in the template" in failure_of(
        lambda: deploy_variant(emulator, unique("unknown"), {"NoSuchParameter": "1"}))


# --------------------------------------------------------------------------
# A template change reaches the local stack, with no other edit
# --------------------------------------------------------------------------


def test_a_changed_parameter_reaches_the_pool_and_the_bucket(emulator: Emulator) -> None:
    _, settings = deploy_variant(emulator, unique("params"),
                                 {"MinimumPasswordLength": "12", "NoncurrentVersionExpirationDays": "7"})
    idp = client(emulator, "cognito-idp")
    policy = idp.describe_user_pool(UserPoolId=settings["USER_POOL_ID"])["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 12
    refused = lambda: idp.sign_up(ClientId=settings["USER_POOL_CLIENT_ID"], Username="short@example.com",  # noqa
                                  Password="Eleven-ch1!", UserAttributes=[{"Name": "email", "Value": "short@example.com"}])
    assert error_code(refused) == "InvalidPasswordException"
    rules = {r["ID"]: r for r in client(emulator, "s3").get_bucket_lifecycle_configuration(
        Bucket=settings["BUCKET_NAME"])["Rules"]}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}


def test_a_changed_role_statement_changes_what_s3_decides(emulator: Emulator, stack: Stack) -> None:
    _, settings = deploy_variant(emulator, unique("nodelete"), edit=without_delete)
    for target, deleted in ((stack, True), (settings, False)):
        key, home = user_credentials(emulator, target, "alice@example.com")
        s3 = client(emulator, "s3", key, signature_version="s3v4")
        name = home + unique("statement.txt")
        s3.put_object(Bucket=target["BUCKET_NAME"], Key=name, Body=b"x")
        if deleted:
            s3.delete_object(Bucket=target["BUCKET_NAME"], Key=name)
        else:
            assert error_code(lambda: s3.delete_object(Bucket=target["BUCKET_NAME"], Key=name)) == "AccessDenied"


def test_team_spaces_follow_the_deployed_principal_tag(emulator: Emulator, stack: Stack) -> None:
    idp = client(emulator, "cognito-idp")
    email = f"{unique('member')}@example.com"
    provision.ensure_confirmed_user(idp, stack["USER_POOL_ID"], email, PASSWORD)
    idp.admin_update_user_attributes(UserPoolId=stack["USER_POOL_ID"], Username=email,
                                     UserAttributes=[{"Name": "custom:team", "Value": "acme"}])
    key, _ = user_credentials(emulator, {**stack, "DEMO_PASSWORD": PASSWORD}, email)
    s3 = client(emulator, "s3", key, signature_version="s3v4")
    bucket, teams = stack["BUCKET_NAME"], stack["TEAM_PREFIX"]
    s3.put_object(Bucket=bucket, Key=f"{teams}/acme/{unique('plan.txt')}", Body=b"ours")
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key=f"{teams}/globex/x.txt", Body=b"x")) == "AccessDenied"
    # alice has no team: no tag, no team space.
    alice_key, _ = user_credentials(emulator, stack, "alice@example.com")
    alice = client(emulator, "s3", alice_key, signature_version="s3v4")
    assert error_code(lambda: alice.put_object(Bucket=bucket, Key=f"{teams}/acme/y.txt", Body=b"y")) == "AccessDenied"


# --------------------------------------------------------------------------
# Redeploying: the stack is updated in place
# --------------------------------------------------------------------------


def test_redeploying_updates_the_stack_in_place(emulator: Emulator) -> None:
    name = unique("update")
    first, settings = deploy_variant(emulator, name)
    assert first.action == "created"
    key, home = user_credentials(emulator, settings, "alice@example.com")
    s3 = client(emulator, "s3", key, signature_version="s3v4")
    kept = home + "kept.txt"
    s3.put_object(Bucket=settings["BUCKET_NAME"], Key=kept, Body=b"kept")
    s3.put_object(Bucket=settings["BUCKET_NAME"], Key=home + "doomed.txt", Body=b"x")

    said: list[str] = []
    again, same = deploy_variant(emulator, name, said=said)
    assert again.action == "up to date" and same == settings and "up to date" in said[0]

    updated, after = deploy_variant(emulator, name, {"MinimumPasswordLength": "10"}, edit=without_delete)
    assert updated.action == "updated"
    for setting in ("USER_POOL_ID", "USER_POOL_CLIENT_ID", "IDENTITY_POOL_ID", "BUCKET_NAME", "HOME_PREFIX"):
        assert after[setting] == settings[setting], setting
    assert deploy.upload_id_key(emulator.url, name) == deploy.upload_id_key(emulator.url, name)
    idp = client(emulator, "cognito-idp")
    policy = idp.describe_user_pool(UserPoolId=after["USER_POOL_ID"])["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 10
    # The same credentials, issued before the update, are decided by the new statement.
    assert error_code(lambda: s3.delete_object(Bucket=settings["BUCKET_NAME"], Key=home + "doomed.txt")) == \
        "AccessDenied"
    assert s3.get_object(Bucket=settings["BUCKET_NAME"], Key=kept)["Body"].read() == b"kept"
    assert get_id(emulator, after, {provider(after): idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=after["USER_POOL_CLIENT_ID"],
        AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]}) \
        == home.split("/")[1]

    # Back to the template's defaults: a parameter no longer given returns to its default.
    back, _ = deploy_variant(emulator, name)
    assert back.action == "updated"
    assert idp.describe_user_pool(UserPoolId=after["USER_POOL_ID"])["UserPool"]["Policies"]["PasswordPolicy"][
        "MinimumLength"] == 8


def test_a_change_cloudformation_replaces_for_replaces_and_keeps_what_the_template_retains(
    emulator: Emulator
) -> None:
    name = unique("replace")
    _, settings = deploy_variant(emulator, name)

    def case_sensitive(template: dict[str, Any]) -> None:
        template["Resources"]["UserPool"]["Properties"]["UsernameConfiguration"]["CaseSensitive"] = True

    _, after = deploy_variant(emulator, name, edit=case_sensitive)
    assert after["USER_POOL_ID"] != settings["USER_POOL_ID"]  # "Update requires: Replacement"
    assert after["USER_POOL_CLIENT_ID"] != settings["USER_POOL_CLIENT_ID"]  # its UserPoolId changed
    idp = client(emulator, "cognito-idp")
    # UpdateReplacePolicy: Retain keeps the old pool, users and all.
    assert idp.describe_user_pool(UserPoolId=settings["USER_POOL_ID"])["UserPool"]["Name"] == f"{name}-users"
    identity = client(emulator, "cognito-identity").describe_identity_pool(IdentityPoolId=after["IDENTITY_POOL_ID"])
    assert identity["CognitoIdentityProviders"][0]["ClientId"] == after["USER_POOL_CLIENT_ID"]

    # Deleting the stack keeps what DeletionPolicy retains (pools, bucket) and deletes the
    # rest, the role and its attachment among them: the retained identity pool issues no
    # more credentials, even to a user signed in before.
    token = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=after["USER_POOL_CLIENT_ID"], AuthParameters={
        "USERNAME": "alice@example.com", "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]
    logins = {provider(after): token}
    identity_id = get_id(emulator, after, logins)
    client(emulator, "cloudformation").delete_stack(StackName=name)
    assert idp.describe_user_pool(UserPoolId=after["USER_POOL_ID"])["UserPool"]["Name"] == f"{name}-users"
    assert client(emulator, "s3").head_bucket(Bucket=after["BUCKET_NAME"])
    assert error_code(lambda: idp.describe_user_pool_client(UserPoolId=after["USER_POOL_ID"],
                                                            ClientId=after["USER_POOL_CLIENT_ID"])) == \
        "ResourceNotFoundException"
    assert client(emulator, "cognito-identity").get_identity_pool_roles(
        IdentityPoolId=after["IDENTITY_POOL_ID"])["Roles"] == {}
    assert error_code(lambda: client(emulator, "cognito-identity").get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins)) == "InvalidIdentityPoolConfigurationException"


# --------------------------------------------------------------------------
# provision.py: fixtures only
# --------------------------------------------------------------------------


CREATING = re.compile(r"^(Admin)?(Create|Put|Set|Attach|Add|Update|Tag)")


def test_fixtures_create_nothing_the_template_declares(emulator: Emulator) -> None:
    """provision.py adds what only tests need and restates nothing of the template: it
    creates one user pool and two app clients (its named fixtures) and users, and no
    resource of any other kind the template declares (identity pools, roles, policies,
    buckets, bucket settings, secrets, pool settings)."""
    name = unique("fixtures")
    deployed, settings = deploy_variant(emulator, name)
    idp = client(emulator, "cognito-idp")
    pools_before = {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
    emulator.get_json("/_homedir/calls/reset", method="POST")
    added = provision.fixtures(deploy.admin_session(REGION), emulator.url, name, settings["USER_POOL_ID"], True)
    calls = [call["operation"] for call in emulator.get_json("/_homedir/calls")["calls"]]
    creating = sorted({op for op in calls if CREATING.match(op)})
    assert creating == ["AdminCreateUser", "AdminSetUserPassword", "CreateUserPool", "CreateUserPoolClient"], calls
    assert calls.count("CreateUserPool") == 1 and calls.count("CreateUserPoolClient") == 2
    new_pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Id"] not in pools_before]
    assert [p["Name"] for p in new_pools] == [f"{name}-users-other"]
    clients = {c["ClientName"] for c in idp.list_user_pool_clients(UserPoolId=settings["USER_POOL_ID"],
                                                                   MaxResults=60)["UserPoolClients"]}
    assert clients == {f"{name}-client", f"{name}-client-unlisted"}
    assert added["OTHER_USER_POOL_ID"] == new_pools[0]["Id"]
    # Run again (a resumed make dev): found by name, nothing created but the demo users' password.
    emulator.get_json("/_homedir/calls/reset", method="POST")
    assert provision.fixtures(deploy.admin_session(REGION), emulator.url, name, settings["USER_POOL_ID"], True) == added
    calls = [call["operation"] for call in emulator.get_json("/_homedir/calls")["calls"]]
    assert {op for op in calls if CREATING.match(op)} == {"AdminCreateUser", "AdminSetUserPassword"}
    assert deployed.action == "created"


# --------------------------------------------------------------------------
# Identity pool roles (y), as Cognito Identity applies them
# --------------------------------------------------------------------------


def test_a_deleted_user_gets_no_credentials_with_server_side_token_check(emulator: Emulator, stack: Stack) -> None:
    idp = client(emulator, "cognito-idp")
    email = f"{unique('deleted')}@example.com"
    provision.ensure_confirmed_user(idp, stack["USER_POOL_ID"], email, PASSWORD)
    token = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=stack["USER_POOL_CLIENT_ID"], AuthParameters={
        "USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]
    logins = {provider(stack): token}
    identity_id = get_id(emulator, stack, logins)
    idp.admin_disable_user(UserPoolId=stack["USER_POOL_ID"], Username=email)  # disabled: still served
    client(emulator, "cognito-identity").get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    idp.admin_delete_user(UserPoolId=stack["USER_POOL_ID"], Username=email)
    assert error_code(lambda: client(emulator, "cognito-identity").get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins)) == "NotAuthorizedException"
    # GetId provides no credentials: not checked ("before the identity pool provides an
    # OIDC token or AWS credentials").
    assert get_id(emulator, stack, logins) == identity_id


def test_credentials_need_a_role_whose_trust_policy_allows_the_pool(emulator: Emulator, stack: Stack) -> None:
    """A role trusting another identity pool is refused, as STS refuses Cognito."""
    iam = client(emulator, "iam")
    trust = json.loads(json.dumps(_file("authenticated-trust-policy.json", {"IdentityPool": "us-east-1:other"})))
    role = iam.create_role(RoleName=unique("elsewhere"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    identity = client(emulator, "cognito-identity")
    pool_id = identity.create_identity_pool(
        IdentityPoolName=unique("pool"), AllowUnauthenticatedIdentities=False, CognitoIdentityProviders=[
            {"ProviderName": provider(stack), "ClientId": stack["USER_POOL_CLIENT_ID"]}])["IdentityPoolId"]
    identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role})
    logins = {provider(stack): client(emulator, "cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=stack["USER_POOL_CLIENT_ID"], AuthParameters={
            "USERNAME": "alice@example.com", "PASSWORD": stack["DEMO_PASSWORD"]})["AuthenticationResult"]["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert error_code(lambda: identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)) == \
        "InvalidIdentityPoolConfigurationException"
    trust["Statement"][0]["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"] = pool_id
    iam.update_assume_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyDocument=json.dumps(trust))
    issued = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    assert issued["AccessKeyId"].startswith("ASIA")
    assert error_code(lambda: identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"admin": role})) == \
        "InvalidParameterException"


def test_a_temporary_password_expires(emulator: Emulator, stack: Stack) -> None:
    from homedir_aws import poolsettings

    class Pool:
        extended_config = {"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 7}}}

    class User:
        status = "FORCE_CHANGE_PASSWORD"

    user = User()
    setattr(user, poolsettings.TEMPORARY_SINCE, time.time() - 8 * 86400)
    assert poolsettings.temporary_password_expired(Pool(), user, time.time())  # type: ignore[arg-type]
    setattr(user, poolsettings.TEMPORARY_SINCE, time.time() - 6 * 86400)
    assert not poolsettings.temporary_password_expired(Pool(), user, time.time())  # type: ignore[arg-type]
    assert poolsettings.token_seconds({"RefreshTokenValidity": 30, "TokenValidityUnits": {"RefreshToken": "days"}},
                                      "RefreshToken") == 30 * 86400
    assert poolsettings.token_seconds({}, "IdToken") == 3600
    assert poolsettings.token_seconds({"IdTokenValidity": 2}, "IdToken") == 7200  # hours by default


def test_the_deploy_copies_nothing_of_the_template_by_hand() -> None:
    """deploy.py and provision.py name no property of a template resource: the local stack
    comes from template.yaml alone."""
    for script in ("deploy.py", "provision.py"):
        text = (HERE / script).read_text()
        for template_only in ("MinimumLength", "AllowedOrigins", "NoncurrentDays", "per-user-home",
                              "ServerSideTokenCheck", "AutoVerifiedAttributes", "VersioningConfiguration"):
            assert template_only not in text, (script, template_only)
    assert copy  # the module's helpers copy templates, never edit the one on disk


def test_the_transform_is_kept_for_an_unchanged_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """make dev's restarts reuse the transform of an unchanged template.yaml; any change
    to it (or to the parameters) transforms it again."""
    template = tmp_path / "template.yaml"
    template.write_text(deploy.TEMPLATE.read_text())
    cache = tmp_path / "cache"
    first = deploy.cached_transform(template, {}, REGION, "cached", cache)
    assert (cache / "cached.json").is_file()

    def no_transform(*args: Any) -> Any:
        raise AssertionError("transformed again")

    monkeypatch.setattr(deploy, "transform", no_transform)
    assert deploy.cached_transform(template, {}, REGION, "cached", cache) == first
    with pytest.raises(AssertionError, match="transformed again"):  # other parameters
        deploy.cached_transform(template, {"MinimumPasswordLength": "10"}, REGION, "cached", cache)
    template.write_text(template.read_text() + "\n# edited\n")
    with pytest.raises(AssertionError, match="transformed again"):  # another template
        deploy.cached_transform(template, {}, REGION, "cached", cache)
