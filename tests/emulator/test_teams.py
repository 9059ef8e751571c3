"""Team spaces in the emulator: the identity pool's principal tags (attributes for access
control) from the ID token's claims to the credentials GetCredentialsForIdentity issues,
and from there to S3's decisions, as AWS documents them (identitypools.py, s3gate.py,
iam.py); and team spaces in the stack template.yaml deploys (custom:team, the app
client's read and write attributes, IdentityPoolTeamTag).

Users here are the operator's: created and given a team with the administrator's key, as
`make team` does, then signed in through the app client like anyone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness import REGION, Emulator, Stack, claims_of, client, status_and_code, unique

from homedir_aws import iam

PASSWORD = "Homedir-Teams-1"


def failure(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


# --------------------------------------------------------------------------
# Members of the stack's own pool
# --------------------------------------------------------------------------


class Member:
    """A user of a user pool, signed in, with credentials from an identity pool."""

    def __init__(self, emulator: Emulator, pool: str, app: str, identity_pool: str, team: str | None):
        self.emulator, self.pool, self.app, self.identity_pool = emulator, pool, app, identity_pool
        self.idp = client(emulator, "cognito-idp")
        self.email = f"{unique('member')}@example.com"
        attributes = [{"Name": "email", "Value": self.email}, {"Name": "email_verified", "Value": "true"}]
        if team is not None:
            attributes.append({"Name": "custom:team", "Value": team})
        self.idp.admin_create_user(UserPoolId=pool, Username=self.email, MessageAction="SUPPRESS",
                                   UserAttributes=attributes)
        self.idp.admin_set_user_password(UserPoolId=pool, Username=self.email, Password=PASSWORD, Permanent=True)

    def id_token(self) -> str:
        return self.idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=self.app, AuthParameters={
            "USERNAME": self.email, "PASSWORD": PASSWORD})["AuthenticationResult"]["IdToken"]

    def logins(self) -> dict[str, str]:
        return {f"cognito-idp.{REGION}.amazonaws.com/{self.pool}": self.id_token()}

    def credentials(self) -> dict[str, Any]:
        cognito = client(self.emulator, "cognito-identity")
        logins = self.logins()
        identity_id = cognito.get_id(IdentityPoolId=self.identity_pool, Logins=logins)["IdentityId"]
        return cognito.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)

    def s3(self) -> Any:
        issued = self.credentials()["Credentials"]
        return client(self.emulator, "s3", (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"]))

    def set_team(self, team: str | None) -> None:
        if team is None:
            self.idp.admin_delete_user_attributes(UserPoolId=self.pool, Username=self.email,
                                                  UserAttributeNames=["custom:team"])
        else:
            self.idp.admin_update_user_attributes(UserPoolId=self.pool, Username=self.email,
                                                  UserAttributes=[{"Name": "custom:team", "Value": team}])


def member(emulator: Emulator, stack: Stack, team: str | None) -> Member:
    return Member(emulator, stack["USER_POOL_ID"], stack["USER_POOL_CLIENT_ID"], stack["IDENTITY_POOL_ID"], team)


def team_key(stack: Stack, team: str, name: str) -> str:
    return f"{stack.get('TEAM_PREFIX', 'teams')}/{team}/{name}"


# --------------------------------------------------------------------------
# The deployed stack (its tag mapping, schema and client: test_deploy.py)
# --------------------------------------------------------------------------


def test_members_share_their_team_space_and_nobody_else_reaches_it(emulator: Emulator, stack: Stack) -> None:
    alice, carol = member(emulator, stack, "acme"), member(emulator, stack, "acme")
    bob, dave = member(emulator, stack, "globex"), member(emulator, stack, None)
    assert claims_of(alice.id_token())["custom:team"] == "acme"
    assert "custom:team" not in claims_of(dave.id_token())
    bucket, key = stack["BUCKET_NAME"], team_key(stack, "acme", unique("report.txt"))
    alice_s3, carol_s3, bob_s3, dave_s3 = (m.s3() for m in (alice, carol, bob, dave))

    written = alice_s3.put_object(Bucket=bucket, Key=key, Body=b"q3")
    assert carol_s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"q3"
    listed = carol_s3.list_objects_v2(Bucket=bucket, Prefix=team_key(stack, "acme", ""))
    assert key in [entry["Key"] for entry in listed.get("Contents", [])]
    carol_s3.put_object(Bucket=bucket, Key=key, Body=b"q3, reviewed")
    for outsider in (bob_s3, dave_s3):  # another team, no team: nothing of acme's
        assert status_and_code(lambda: outsider.get_object(Bucket=bucket, Key=key)) == (403, "AccessDenied")
        assert status_and_code(lambda: outsider.put_object(Bucket=bucket, Key=key, Body=b"x")) == (403, "AccessDenied")
        assert status_and_code(lambda: outsider.list_objects_v2(
            Bucket=bucket, Prefix=team_key(stack, "acme", ""))) == (403, "AccessDenied")
    # Bob's own team space is his; nobody deletes a version, not even a member.
    bob_s3.put_object(Bucket=bucket, Key=team_key(stack, "globex", "x"), Body=b"g")
    assert status_and_code(lambda: alice_s3.delete_object(
        Bucket=bucket, Key=key, VersionId=written["VersionId"])) == (403, "AccessDenied")
    # acme is not acme-2, and the teams/ root is nobody's.
    assert status_and_code(lambda: alice_s3.put_object(
        Bucket=bucket, Key=team_key(stack, "acme-2", "x"), Body=b"x")) == (403, "AccessDenied")
    assert status_and_code(lambda: alice_s3.list_objects_v2(
        Bucket=bucket, Prefix=team_key(stack, "", ""))) == (403, "AccessDenied")


def test_a_team_change_reaches_the_next_credentials_not_the_current_ones(emulator: Emulator, stack: Stack) -> None:
    """Session tags are set when the session is made (AssumeRoleWithWebIdentity): moving
    Carol changes her next token and credentials; the ones she holds keep acme until
    they expire."""
    carol = member(emulator, stack, "acme")
    bucket = stack["BUCKET_NAME"]
    before = carol.s3()
    carol.set_team("globex")
    after = carol.s3()
    acme, globex = team_key(stack, "acme", unique("f")), team_key(stack, "globex", unique("f"))
    before.put_object(Bucket=bucket, Key=acme, Body=b"1")
    assert status_and_code(lambda: before.put_object(Bucket=bucket, Key=globex, Body=b"1")) == (403, "AccessDenied")
    after.put_object(Bucket=bucket, Key=globex, Body=b"2")
    assert status_and_code(lambda: after.get_object(Bucket=bucket, Key=acme)) == (403, "AccessDenied")
    carol.set_team(None)
    gone = carol.s3()
    assert status_and_code(lambda: gone.get_object(Bucket=bucket, Key=globex)) == (403, "AccessDenied")


# --------------------------------------------------------------------------
# The mechanism, in pools of the tests' own
# --------------------------------------------------------------------------


TRUST_WITHOUT_TAG_SESSION = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "${IdentityPool}"},
                  "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]}


class Abac:
    """A user pool (custom:team), its client, an identity pool, a bucket, and a role for
    the pool whose policy is `statements` (BUCKET: the bucket's name; CLIENT: the app
    client's ID)."""

    def __init__(self, emulator: Emulator, statements: list[dict[str, Any]], trust: dict[str, Any] | None = None):
        self.emulator = emulator
        idp, cognito, iam_client = (client(emulator, name) for name in ("cognito-idp", "cognito-identity", "iam"))
        self.pool = idp.create_user_pool(
            PoolName=unique("abac"), UsernameAttributes=["email"],
            Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                    {"Name": "team", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
        self.app = idp.create_user_pool_client(
            UserPoolId=self.pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
            ReadAttributes=["email", "email_verified", "custom:team"],
        )["UserPoolClient"]["ClientId"]
        self.provider = f"cognito-idp.{REGION}.amazonaws.com/{self.pool}"
        self.identity_pool = cognito.create_identity_pool(
            IdentityPoolName=unique("abac").replace("-", "_"), AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{"ProviderName": self.provider, "ClientId": self.app}],
        )["IdentityPoolId"]
        self.bucket = f"{unique('abac')}-bucket"
        client(emulator, "s3").create_bucket(Bucket=self.bucket)
        trust_text = json.dumps(trust) if trust else (iam.POLICY_DIR / "authenticated-trust-policy.json").read_text()
        role = unique("abac-role")
        arn = iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=trust_text.replace(
            "${IdentityPool}", self.identity_pool))["Role"]["Arn"]
        policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
        policy = policy.replace("BUCKET", self.bucket).replace("CLIENT", self.app)
        iam_client.put_role_policy(RoleName=role, PolicyName="abac", PolicyDocument=policy)
        cognito.set_identity_pool_roles(IdentityPoolId=self.identity_pool, Roles={"authenticated": arn})
        self.cognito = cognito

    def map_tags(self, tags: dict[str, str], use_defaults: bool = False) -> dict[str, Any]:
        return self.cognito.set_principal_tag_attribute_map(
            IdentityPoolId=self.identity_pool, IdentityProviderName=self.provider,
            UseDefaults=use_defaults, PrincipalTags=tags)

    def member(self, team: str | None) -> Member:
        return Member(self.emulator, self.pool, self.app, self.identity_pool, team)

    def admin_put(self, key: str) -> None:
        client(self.emulator, "s3").put_object(Bucket=self.bucket, Key=key, Body=b"x")


def reads(statement_resource: str, condition: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": statement_resource}
    if condition:
        statement["Condition"] = condition
    return [statement]


def test_principal_tag_maps_are_set_and_read_per_provider(emulator: Emulator) -> None:
    abac = Abac(emulator, reads("arn:aws:s3:::BUCKET/${aws:PrincipalTag/team}/*"))
    answer = abac.map_tags({"team": "custom:team"})
    assert (answer["IdentityPoolId"], answer["IdentityProviderName"]) == (abac.identity_pool, abac.provider)
    assert (answer["UseDefaults"], answer["PrincipalTags"]) == (False, {"team": "custom:team"})
    read = abac.cognito.get_principal_tag_attribute_map(IdentityPoolId=abac.identity_pool,
                                                        IdentityProviderName=abac.provider)
    assert (read["UseDefaults"], read["PrincipalTags"]) == (False, {"team": "custom:team"})
    missing = "us-east-1:00000000-0000-0000-0000-000000000000"
    assert failure(lambda: abac.cognito.get_principal_tag_attribute_map(
        IdentityPoolId=missing, IdentityProviderName=abac.provider))[0] == "ResourceNotFoundException"
    assert failure(lambda: abac.cognito.set_principal_tag_attribute_map(
        IdentityPoolId=missing, IdentityProviderName=abac.provider,
        PrincipalTags={"team": "custom:team"}))[0] == "ResourceNotFoundException"


def test_a_mapped_claim_becomes_the_sessions_tag_and_a_missing_claim_none(emulator: Emulator) -> None:
    abac = Abac(emulator, reads("arn:aws:s3:::BUCKET/${aws:PrincipalTag/team}/*"))
    for key in ("acme/f", "globex/f"):
        abac.admin_put(key)
    untagged = abac.member("acme").s3()  # credentials issued before the map exists: no tag
    assert status_and_code(lambda: untagged.get_object(Bucket=abac.bucket, Key="acme/f")) == (403, "AccessDenied")
    abac.map_tags({"team": "custom:team"})
    acme = abac.member("acme").s3()
    assert acme.get_object(Bucket=abac.bucket, Key="acme/f")["Body"].read() == b"x"
    assert status_and_code(lambda: acme.get_object(Bucket=abac.bucket, Key="globex/f")) == (403, "AccessDenied")
    # No custom:team claim: no tag, so the Resource holding the variable matches nothing
    # (not even "/f", the key an empty value would make).
    abac.admin_put("/f")
    nobody = abac.member(None).s3()
    for key in ("acme/f", "/f"):
        assert status_and_code(lambda: nobody.get_object(Bucket=abac.bucket, Key=key)) == (403, "AccessDenied")


def test_default_mappings_tag_the_user_and_the_client(emulator: Emulator) -> None:
    """UseDefaults: for a user pool, sub -> username and aud -> client."""
    abac = Abac(emulator, reads("arn:aws:s3:::BUCKET/${aws:PrincipalTag/username}/*",
                                {"StringEquals": {"aws:PrincipalTag/client": "CLIENT"}}))
    abac.map_tags({}, use_defaults=True)
    user = abac.member(None)
    sub = claims_of(user.id_token())["sub"]
    abac.admin_put(f"{sub}/f")
    abac.admin_put("someone-else/f")
    s3 = user.s3()
    assert s3.get_object(Bucket=abac.bucket, Key=f"{sub}/f")["Body"].read() == b"x"
    assert status_and_code(lambda: s3.get_object(Bucket=abac.bucket, Key="someone-else/f")) == (403, "AccessDenied")
    read = abac.cognito.get_principal_tag_attribute_map(IdentityPoolId=abac.identity_pool,
                                                        IdentityProviderName=abac.provider)
    assert read["UseDefaults"] is True


def test_a_boolean_claim_is_tagged_as_its_json_text(emulator: Emulator) -> None:
    """email_verified is a JSON true in the ID token; the tag holds "true"."""
    abac = Abac(emulator, reads("arn:aws:s3:::BUCKET/*", {"StringEquals": {"aws:PrincipalTag/verified": "true"}}))
    abac.map_tags({"verified": "email_verified"})
    abac.admin_put("f")
    user = abac.member(None)
    assert claims_of(user.id_token())["email_verified"] is True
    assert user.s3().get_object(Bucket=abac.bucket, Key="f")["Body"].read() == b"x"


def test_tagging_a_session_needs_sts_tag_session_in_the_roles_trust(emulator: Emulator) -> None:
    """Without sts:TagSession, credentials that would carry a tag are refused as AWS
    refuses a role it cannot assume; a login whose token has no mapped claim (no tags)
    still gets credentials."""
    abac = Abac(emulator, reads("arn:aws:s3:::BUCKET/*"), trust=TRUST_WITHOUT_TAG_SESSION)
    abac.map_tags({"team": "custom:team"})
    assert failure(lambda: abac.member("acme").credentials()) == (
        "InvalidIdentityPoolConfigurationException",
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
    assert abac.member(None).credentials()["Credentials"]["AccessKeyId"].startswith("ASIA")
    # The same pool with the template's trust (AssumeRoleWithWebIdentity and TagSession).
    tagged = Abac(emulator, reads("arn:aws:s3:::BUCKET/*"))
    tagged.map_tags({"team": "custom:team"})
    assert tagged.member("acme").credentials()["Credentials"]["AccessKeyId"].startswith("ASIA")
