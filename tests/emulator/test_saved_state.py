"""Correction w, saved state (homedir_aws/saved.py): with --saved-state FILE the emulator
keeps what it holds across a restart (what `make dev` runs with); without it, every start
is fresh and private (what `make test` and the Rust suites run with)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import HERE, Emulator, client, codes, error_code, free_port, provision, start_emulator, totp, unique, \
    user_credentials, user_s3

PASSWORD = "Homedir-Saved-1"
SAME_SETTINGS = ("STACK_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "IDENTITY_POOL_ID", "BUCKET_NAME",
                 "UPLOAD_ID_KEY", "OTHER_USER_POOL_ID", "OTHER_USER_POOL_CLIENT_ID", "OTHER_CLIENT_ID")


def _log(emulator: Emulator) -> str:
    return (emulator.state_dir.parent / f"{emulator.state_dir.name}.log").read_text()


def _state_lines(emulator: Emulator) -> list[str]:
    return [line for line in _log(emulator).splitlines() if line.startswith("state: ")]


def _mfa_pool(idp: Any) -> tuple[str, str, str]:
    """A pool that requires TOTP MFA: (its name, its id, its app client), as test_mfa.py
    makes them."""
    name = unique("saved-mfa")
    pool = idp.create_user_pool(PoolName=name, UsernameAttributes=["email"],
                                AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="ON",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    app = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    return name, pool, app


def _password_sign_in(idp: Any, app: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=app,
                             AuthParameters={"USERNAME": email, "PASSWORD": password})


def test_local_data_survives_a_restart(tmp_path: Path) -> None:
    """Objects with their versions and delete markers, a multipart upload in progress,
    users and their passwords, a sign-up code not yet used, a TOTP authenticator, the
    Identity ID of each user (so their home prefix), credentials already issued: all
    there after a clean stop and a start with the same FILE. deploy.py, run again, finds
    the stack (up to date: nothing created, the same UploadIdKey) and the fixtures."""
    saved = tmp_path / "emulator-state.bin"
    first = start_emulator(tmp_path / "first", free_port(), "--saved-state", str(saved))
    try:
        stack = provision(first, tmp_path / "first.env")
        bucket = stack["BUCKET_NAME"]
        alice_key, home = user_credentials(first, stack, "alice@example.com")
        alice = client(first, "s3", alice_key)
        for body in (b"one", b"two"):
            alice.put_object(Bucket=bucket, Key=home + "notes/a.txt", Body=body)
        alice.put_object(Bucket=bucket, Key=home + "notes/b.txt", Body=b"gone")
        alice.delete_object(Bucket=bucket, Key=home + "notes/b.txt")
        history = alice.list_object_versions(Bucket=bucket, Prefix=home)
        history.pop("ResponseMetadata")

        admin = client(first, "s3")
        part = bytes(range(256)) * (5 * 1024 * 1024 // 256)
        upload = admin.create_multipart_upload(Bucket=bucket, Key=home + "big.bin")["UploadId"]
        first_etag = admin.upload_part(Bucket=bucket, Key=home + "big.bin", UploadId=upload, PartNumber=1,
                                       Body=part)["ETag"]

        idp = client(first, "cognito-idp")
        carol = f"{unique('carol')}@example.com"
        idp.sign_up(ClientId=stack["USER_POOL_CLIENT_ID"], Username=carol, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": carol}])
        carol_code = codes(first, stack["USER_POOL_ID"], carol)[0]["code"]

        # A new default version of a quota policy, as the usage function writes them.
        iam = client(first, "iam")
        quota_policy = client(first, "cloudformation").describe_stack_resource(
            StackName="homedir-local", LogicalResourceId="QuotaDenyPolicy1")["StackResourceDetail"]["PhysicalResourceId"]
        written = iam.get_policy_version(PolicyArn=quota_policy, VersionId="v1")["PolicyVersion"]["Document"]
        written["Statement"][0]["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:sub"] = [home.split("/")[1]]
        iam.create_policy_version(PolicyArn=quota_policy, PolicyDocument=json.dumps(written), SetAsDefault=True)

        mfa_name, mfa_pool, mfa_app = _mfa_pool(idp)
        dave = f"{unique('dave')}@example.com"
        idp.admin_create_user(UserPoolId=mfa_pool, Username=dave, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=mfa_pool, Username=dave, Password=PASSWORD, Permanent=True)
        setup = _password_sign_in(idp, mfa_app, dave)
        associated = idp.associate_software_token(Session=setup["Session"])
        secret = associated["SecretCode"]
        verified = idp.verify_software_token(Session=associated["Session"], UserCode=totp(secret))
        idp.respond_to_auth_challenge(ClientId=mfa_app, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                      ChallengeResponses={"USERNAME": dave})
    finally:
        assert first.stop() == 0
    assert _state_lines(first)[0].startswith(f"state: fresh (nothing saved at {saved}")
    assert _state_lines(first)[-1].startswith(
        f"state: saved {saved}: 1 bucket, 1 object (3 versions, 1 delete marker, 10 B), 3 user pools with 4 users, "
        "1 identity; in ")

    second = start_emulator(tmp_path / "second", free_port(), "--saved-state", str(saved))
    try:
        assert _state_lines(second)[0].startswith(f"state: resumed {saved} (saved ")
        again = provision(second, tmp_path / "second.env")
        assert {name: again[name] for name in SAME_SETTINGS} == {name: stack[name] for name in SAME_SETTINGS}
        stacks = client(second, "cloudformation").describe_stacks()["Stacks"]
        assert [(s["StackName"], s["StackStatus"]) for s in stacks] == [("homedir-local", "CREATE_COMPLETE")]
        idp = client(second, "cognito-idp")
        pools = [pool["Name"] for pool in idp.list_user_pools(MaxResults=60)["UserPools"]]
        assert sorted(pools) == sorted(["homedir-local-users", "homedir-local-users-other", mfa_name])
        identity_pools = client(second, "cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"]
        assert [pool["IdentityPoolName"] for pool in identity_pools] == ["homedir-local-identities"]
        assert [b["Name"] for b in client(second, "s3").list_buckets()["Buckets"]] == [bucket]

        # The same Identity ID, so the same home; and its history, bodies included.
        alice_again, home_again = user_s3(second, again, "alice@example.com")
        assert home_again == home
        listed = alice_again.list_object_versions(Bucket=bucket, Prefix=home)
        listed.pop("ResponseMetadata")
        assert listed == history
        oldest = [v for v in history["Versions"] if v["Key"] == home + "notes/a.txt"][-1]["VersionId"]
        read = alice_again.get_object(Bucket=bucket, Key=home + "notes/a.txt", VersionId=oldest)["Body"].read()
        assert read == b"one"
        assert alice_again.get_object(Bucket=bucket, Key=home + "notes/a.txt")["Body"].read() == b"two"
        # Credentials issued before the restart, still within their lifetime.
        issued_before = client(second, "s3", alice_key)
        assert issued_before.get_object(Bucket=bucket, Key=home + "notes/a.txt")["Body"].read() == b"two"

        # The upload in progress goes on where it was.
        admin = client(second, "s3")
        parts = admin.list_parts(Bucket=bucket, Key=home + "big.bin", UploadId=upload)["Parts"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, first_etag, len(part))]
        last = admin.upload_part(Bucket=bucket, Key=home + "big.bin", UploadId=upload, PartNumber=2, Body=b"end")
        admin.complete_multipart_upload(Bucket=bucket, Key=home + "big.bin", UploadId=upload, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": first_etag}, {"PartNumber": 2, "ETag": last["ETag"]}]})
        assert admin.get_object(Bucket=bucket, Key=home + "big.bin")["Body"].read() == part + b"end"

        # Users, passwords, codes and authenticators.
        assert "IdToken" in _password_sign_in(idp, again["USER_POOL_CLIENT_ID"], "alice@example.com",
                                              again["DEMO_PASSWORD"])["AuthenticationResult"]
        idp.confirm_sign_up(ClientId=again["USER_POOL_CLIENT_ID"], Username=carol, ConfirmationCode=carol_code)
        assert "IdToken" in _password_sign_in(idp, again["USER_POOL_CLIENT_ID"], carol)["AuthenticationResult"]
        challenge = _password_sign_in(idp, mfa_app, dave)
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        signed_in = idp.respond_to_auth_challenge(
            ClientId=mfa_app, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": dave, "SOFTWARE_TOKEN_MFA_CODE": totp(secret)})
        assert "IdToken" in signed_in["AuthenticationResult"]

        # The quota policy's versions, the default one deciding; the stack's EventBridge
        # rule; and a stack update after the restart (it resolves the rule's ARN).
        versions = client(second, "iam").list_policy_versions(PolicyArn=quota_policy)["Versions"]
        assert [(v["VersionId"], v["IsDefaultVersion"]) for v in sorted(versions, key=lambda v: v["VersionId"])] == \
            [("v1", False), ("v2", True)]
        assert error_code(lambda: issued_before.put_object(Bucket=bucket, Key=home + "full.txt", Body=b"")) == \
            "AccessDenied"
        rule = client(second, "cloudformation").describe_stack_resource(
            StackName="homedir-local", LogicalResourceId="UsageRecountSchedule")["StackResourceDetail"]
        assert client(second, "events").describe_rule(Name=rule["PhysicalResourceId"])["ScheduleExpression"] == \
            "rate(1 hour)"
        provision(second, tmp_path / "third.env", "--parameter", "QuotaBytes=1048576")
        stacks = client(second, "cloudformation").describe_stacks()["Stacks"]
        assert [(s["StackName"], s["StackStatus"]) for s in stacks] == [("homedir-local", "UPDATE_COMPLETE")]
    finally:
        assert second.stop() == 0
    assert _state_lines(second)[-1].startswith(f"state: saved {saved}: 1 bucket, 2 objects")


def test_without_saved_state_every_start_is_fresh(emulator: Emulator) -> None:
    """The suites' emulators (make test, the Rust suites) run without --saved-state:
    nothing is loaded, nothing is saved."""
    assert _state_lines(emulator) == []
    assert not any(path.suffix == ".bin" for path in emulator.state_dir.iterdir())


@pytest.mark.parametrize("damage", ["garbage", "cut short"])
def test_a_saved_state_that_does_not_load_stops_the_start(tmp_path: Path, damage: str) -> None:
    """The emulator refuses to start (exit status 2) and says why and what to do; the
    file is left exactly as it was."""
    saved = tmp_path / "emulator-state.bin"
    if damage == "garbage":
        saved.write_bytes(b"not a saved state")
    else:
        whole = start_emulator(tmp_path / "whole", free_port(), "--saved-state", str(saved))
        assert whole.stop() == 0
        saved.write_bytes(saved.read_bytes()[:-5])
    kept = saved.read_bytes()
    result = subprocess.run(
        [sys.executable, str(HERE / "homedir_emulator.py"), "--port", str(free_port()),
         "--saved-state", str(saved)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "state: cannot resume" in result.stderr and "remove it to start clean" in result.stderr
    assert saved.read_bytes() == kept
