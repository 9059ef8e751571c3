"""The users' role as deployed from template.yaml: its permissions boundary and the quota
deny policies (AWS::IAM::ManagedPolicy) decide S3 requests made with credentials the
identity pool issued, as IAM decides them (s3auth.DeployedPolicies):

- a managed policy decides by its default version at the time of the request, so a new
  default version applies to credentials issued before it ("Versioning IAM policies",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html);
- the permissions boundary caps what the identity policies grant: an action the role's
  policy allows and the boundary does not is denied ("Permissions boundaries for IAM
  entities", https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html);
- an explicit Deny anywhere wins ("Policy evaluation logic",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).

Each test puts back what it changed (the emulator is shared by the whole suite)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Iterator

import pytest

from harness import Emulator, Stack, client, error_code

IDENTITY_VARIABLE = "cognito-identity.amazonaws.com:sub"


def _resource(emulator: Emulator, stack: Stack, logical_id: str) -> str:
    return client(emulator, "cloudformation").describe_stack_resource(
        StackName=stack["STACK_NAME"], LogicalResourceId=logical_id)["StackResourceDetail"]["PhysicalResourceId"]


def _role_name(emulator: Emulator, stack: Stack) -> str:
    return _resource(emulator, stack, "AuthenticatedRole")


def _default_document(iam: Any, arn: str) -> tuple[str, dict[str, Any]]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return version, document if isinstance(document, dict) else json.loads(urllib.request.unquote(document))


class NewDefault:
    """A new default version of a managed policy for the length of a `with`; the
    previous default is the default again afterwards, and the new version is gone."""

    def __init__(self, iam: Any, arn: str, document: dict[str, Any]):
        self.iam, self.arn, self.document = iam, arn, document

    def __enter__(self) -> str:
        self.previous, _ = _default_document(self.iam, self.arn)
        self.version = self.iam.create_policy_version(
            PolicyArn=self.arn, PolicyDocument=json.dumps(self.document), SetAsDefault=True)["PolicyVersion"]["VersionId"]
        return self.version

    def __exit__(self, *_: Any) -> None:
        self.iam.set_default_policy_version(PolicyArn=self.arn, VersionId=self.previous)
        self.iam.delete_policy_version(PolicyArn=self.arn, VersionId=self.version)


@pytest.fixture
def iam(emulator: Emulator) -> Iterator[Any]:
    yield client(emulator, "iam")


def test_the_users_role_is_deployed_with_its_boundary_and_the_four_quota_policies(
        emulator: Emulator, stack: Stack, iam: Any) -> None:
    role = iam.get_role(RoleName=_role_name(emulator, stack))["Role"]
    boundary = _resource(emulator, stack, "AuthenticatedBoundary")
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]}
    assert attached == {_resource(emulator, stack, f"QuotaDenyPolicy{n}") for n in range(1, 5)}
    for n in range(1, 5):  # as deployed they name no one: the usage function writes who is over quota
        arn = _resource(emulator, stack, f"QuotaDenyPolicy{n}")
        version, document = _default_document(iam, arn)
        assert version == "v1"
        assert [s["Effect"] for s in document["Statement"]] == ["Deny", "Deny"]
        assert document["Statement"][0]["Condition"]["StringEquals"][IDENTITY_VARIABLE] == ["/"]


def test_a_new_default_version_of_a_quota_policy_denies_credentials_already_issued(
        emulator: Emulator, stack: Stack, iam: Any, alice: Any, bob: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    (a, alice_home), (b, bob_home) = alice, bob
    alice_id = alice_home.split("/")[1]
    a.put_object(Bucket=bucket, Key=alice_home + "quota/before.txt", Body=b"before")
    arn = _resource(emulator, stack, "QuotaDenyPolicy3")
    _, document = _default_document(iam, arn)
    document["Statement"][0]["Condition"]["StringEquals"][IDENTITY_VARIABLE] = [alice_id]
    with NewDefault(iam, arn, document):
        # the same credentials, issued before the version existed
        assert error_code(lambda: a.put_object(Bucket=bucket, Key=alice_home + "quota/after.txt",
                                               Body=b"x")) == "AccessDenied"
        assert error_code(lambda: a.create_multipart_upload(Bucket=bucket, Key=alice_home + "quota/big")) == \
            "AccessDenied"
        assert error_code(lambda: a.copy_object(
            Bucket=bucket, Key=alice_home + "quota/copy.txt",
            CopySource={"Bucket": bucket, "Key": alice_home + "quota/before.txt"})) == "AccessDenied"
        # reads, lists and deletes still work: a full user can clean up
        assert a.get_object(Bucket=bucket, Key=alice_home + "quota/before.txt")["Body"].read() == b"before"
        a.list_objects_v2(Bucket=bucket, Prefix=alice_home)
        # a user the version does not name is unaffected
        b.put_object(Bucket=bucket, Key=bob_home + "quota/bob.txt", Body=b"bob")
    # the previous default (naming no one) decides again
    a.put_object(Bucket=bucket, Key=alice_home + "quota/after.txt", Body=b"after")
    a.delete_object(Bucket=bucket, Key=alice_home + "quota/after.txt")
    a.delete_object(Bucket=bucket, Key=alice_home + "quota/before.txt")
    b.delete_object(Bucket=bucket, Key=bob_home + "quota/bob.txt")


def test_a_version_that_is_not_the_default_decides_nothing(
        emulator: Emulator, stack: Stack, iam: Any, alice: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    a, alice_home = alice
    arn = _resource(emulator, stack, "QuotaDenyPolicy2")
    _, document = _default_document(iam, arn)
    document["Statement"][0]["Condition"]["StringEquals"][IDENTITY_VARIABLE] = [alice_home.split("/")[1]]
    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document),
                                        SetAsDefault=False)["PolicyVersion"]["VersionId"]
    try:
        a.put_object(Bucket=bucket, Key=alice_home + "quota/kept.txt", Body=b"kept")
    finally:
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    a.delete_object(Bucket=bucket, Key=alice_home + "quota/kept.txt")


def test_the_boundary_denies_what_it_lacks_even_when_the_roles_policy_allows_it(
        emulator: Emulator, stack: Stack, iam: Any, alice: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    a, alice_home = alice
    key = alice_home + "boundary/tagged.txt"
    a.put_object(Bucket=bucket, Key=key, Body=b"tagged")
    role = _role_name(emulator, stack)
    extra = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObjectTagging",
        "Resource": f"arn:aws:s3:::{bucket}/home/${{{IDENTITY_VARIABLE}}}/*"}]}
    boundary = _resource(emulator, stack, "AuthenticatedBoundary")
    _, widened = _default_document(iam, boundary)
    widened["Statement"].append({"Sid": "AlsoTags", "Effect": "Allow", "Action": "s3:GetObjectTagging",
                                 "Resource": f"arn:aws:s3:::{bucket}/home/${{{IDENTITY_VARIABLE}}}/*"})
    assert error_code(lambda: a.get_object_tagging(Bucket=bucket, Key=key)) == "AccessDenied"  # nothing allows it
    iam.put_role_policy(RoleName=role, PolicyName="test-tags", PolicyDocument=json.dumps(extra))
    try:
        # the role's policy allows it, the boundary does not: denied
        assert error_code(lambda: a.get_object_tagging(Bucket=bucket, Key=key)) == "AccessDenied"
        with NewDefault(iam, boundary, widened):  # both allow it: allowed
            assert a.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []
        assert error_code(lambda: a.get_object_tagging(Bucket=bucket, Key=key)) == "AccessDenied"
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="test-tags")
    # the boundary alone grants nothing: it allows the action, no identity policy does
    with NewDefault(iam, boundary, widened):
        assert error_code(lambda: a.get_object_tagging(Bucket=bucket, Key=key)) == "AccessDenied"
    a.delete_object(Bucket=bucket, Key=key)


def test_a_deny_in_the_boundary_wins(emulator: Emulator, stack: Stack, iam: Any, alice: Any) -> None:
    bucket = stack["BUCKET_NAME"]
    a, alice_home = alice
    boundary = _resource(emulator, stack, "AuthenticatedBoundary")
    _, narrowed = _default_document(iam, boundary)
    narrowed["Statement"].append({"Sid": "NoReads", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})
    a.put_object(Bucket=bucket, Key=alice_home + "boundary/read.txt", Body=b"read")
    with NewDefault(iam, boundary, narrowed):
        assert error_code(lambda: a.get_object(Bucket=bucket, Key=alice_home + "boundary/read.txt")) == "AccessDenied"
    assert a.get_object(Bucket=bucket, Key=alice_home + "boundary/read.txt")["Body"].read() == b"read"
    a.delete_object(Bucket=bucket, Key=alice_home + "boundary/read.txt")


def _function_iam(emulator: Emulator, binary: str) -> Any:
    functions = emulator.get_json("/_homedir/lambda/functions")["functions"]
    found = next(f for f in functions if f["Binary"] == binary)
    credentials = found["Credentials"]
    return client(emulator, "iam", (credentials["AWS_ACCESS_KEY_ID"], credentials["AWS_SECRET_ACCESS_KEY"],
                                    credentials["AWS_SESSION_TOKEN"]))


def test_the_usage_function_may_write_versions_of_the_quota_policies_and_of_nothing_else(
        emulator: Emulator, stack: Stack, iam: Any) -> None:
    usage = _function_iam(emulator, "usage")
    arn = _resource(emulator, stack, "QuotaDenyPolicy4")
    _, document = _default_document(iam, arn)
    versions = usage.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v1"]
    created = usage.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document),
                                          SetAsDefault=True)["PolicyVersion"]["VersionId"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    usage.delete_policy_version(PolicyArn=arn, VersionId=created)
    boundary = _resource(emulator, stack, "AuthenticatedBoundary")
    assert error_code(lambda: usage.create_policy_version(
        PolicyArn=boundary, PolicyDocument=json.dumps(document), SetAsDefault=True)) == "AccessDenied"
    assert error_code(lambda: usage.put_role_policy(
        RoleName=_role_name(emulator, stack), PolicyName="x", PolicyDocument=json.dumps(document))) == "AccessDenied"
