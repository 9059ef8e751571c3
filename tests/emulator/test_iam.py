"""The emulator's IAM evaluator (homedir_aws/iam.py): the shared case table, then each
rule of the IAM docs it implements, positive and negative. No emulator process is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from homedir_aws import iam
from homedir_aws.iam import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, evaluate

CASES_FILE = iam.POLICY_DIR / "cases.json"
IDENTITY_VARIABLE = "cognito-identity.amazonaws.com:sub"


# --------------------------------------------------------------------------
# infra-policies/cases.json: the table iam-rs also decides
# --------------------------------------------------------------------------


def _table() -> dict[str, Any]:
    return json.loads(CASES_FILE.read_text())


def _fill(value: Any, names: dict[str, str]) -> Any:
    """{bucket}, {other_bucket}, {prefix}, {A}, {B} in strings and string lists."""
    if isinstance(value, str):
        for name, replacement in names.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    return value


def _case_context(case: dict[str, Any], names: dict[str, str], identity_id: str,
                  tags: dict[str, str]) -> dict[str, Any]:
    context = {key: _fill(value, names) for key, value in case.get("context", {}).items()}
    if "aws:SecureTransport" not in context:  # the table's default: TLS 1.3
        context.update({"aws:SecureTransport": True, "s3:TlsVersion": 1.3})
    context[IDENTITY_VARIABLE] = identity_id
    for key, value in tags.items():  # the session's principal tags, as the S3 gate adds them
        context[f"aws:PrincipalTag/{key}"] = value
    return context


def decide_case(table: dict[str, Any], case: dict[str, Any]) -> str:
    names = {**table["values"], **table["identities"]}
    documents = iam.load_case_documents(table)
    identity_id = table["identities"][case["identity"]]
    tags = table.get("principal_tags", {}).get(case["identity"], {})
    request = Request(case["action"], _fill(case["resource"], names), _case_context(case, names, identity_id, tags))
    return evaluate(documents, request)


_CASES = _table()["cases"]


@pytest.mark.parametrize("case", _CASES, ids=[case["name"] for case in _CASES])
def test_shared_case_table(case: dict[str, Any]) -> None:
    assert decide_case(_table(), case) == case["expect"]


def test_case_names_are_unique() -> None:
    names = [case["name"] for case in _CASES]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------
# Evaluation logic
# --------------------------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


OBJECT = "arn:aws:s3:::bucket/home/x/f"


def decide(*statements: dict[str, Any], action: str = "s3:GetObject", resource: str = OBJECT,
           context: dict[str, Any] | None = None) -> str:
    return evaluate([doc(*statements)], Request(action, resource, context or {}))


def test_explicit_deny_in_any_document_wins_over_allow_in_another() -> None:
    request = Request("s3:GetObject", OBJECT, {})
    assert evaluate([doc(allow()), doc(deny())], request) == EXPLICIT_DENY
    assert evaluate([doc(allow()), doc()], request) == ALLOW
    assert evaluate([doc(), doc()], request) == IMPLICIT_DENY


def test_actions_are_case_insensitive_with_wildcards() -> None:
    assert decide(allow("S3:getobject")) == ALLOW
    assert decide(allow("s3:Get*")) == ALLOW
    assert decide(allow("s3:GetObjec?")) == ALLOW
    assert decide(allow(["s3:PutObject", "s3:*Object"])) == ALLOW
    assert decide(allow("s3:GetObjectVersion")) == IMPLICIT_DENY
    assert decide(allow("s3:Put*")) == IMPLICIT_DENY


def test_not_action_and_not_resource() -> None:
    assert decide({"Effect": "Allow", "NotAction": "s3:PutObject", "Resource": "*"}) == ALLOW
    assert decide({"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}) == IMPLICIT_DENY
    assert decide({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::other/*"}) == ALLOW
    assert decide({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::bucket/*"}) == IMPLICIT_DENY


def test_resources_are_case_sensitive_and_wildcards_stay_within_arn_parts() -> None:
    assert decide(allow(resource="arn:aws:s3:::bucket/home/?/*")) == ALLOW
    assert decide(allow(resource="arn:aws:s3:::bucket/HOME/*")) == IMPLICIT_DENY
    assert decide(allow(resource="arn:aws:s3:::bucket")) == IMPLICIT_DENY  # the bucket, not its objects
    assert decide(allow(resource="arn:*:s3:::bucket/*")) == ALLOW
    assert decide(allow(resource="arn:aws:s3:::*")) == ALLOW  # `*` within the resource part spans `/`
    # `*` in the service part cannot swallow the region part that follows it.
    assert decide(allow(resource="arn:aws:s*:::bucket/*"), resource="arn:aws:s3:x::bucket/f") == IMPLICIT_DENY
    with pytest.raises(iam.UnsupportedPolicy):  # neither "*" nor an ARN: IAM refuses the policy
        decide(allow(resource="bucket/*"))


def test_principal_star_matches_everyone_and_arns_match_the_principal() -> None:
    assert decide(allow(Principal="*")) == ALLOW
    assert decide(allow(Principal={"AWS": "*"})) == ALLOW
    named = allow(Principal={"AWS": "arn:aws:iam::123456789012:role/r"})
    assert evaluate([doc(named)], Request("s3:GetObject", OBJECT, {}, "arn:aws:iam::123456789012:role/r")) == ALLOW
    assert evaluate([doc(named)], Request("s3:GetObject", OBJECT, {}, None)) == IMPLICIT_DENY


def test_policy_variables_in_resources_and_condition_values() -> None:
    statement = allow(resource="arn:aws:s3:::bucket/home/${aws:userid}/*",
                      Condition={"StringLike": {"s3:prefix": "home/${aws:userid}/*"}})
    assert decide(statement, context={"aws:userid": "x", "s3:prefix": "home/x/a"}) == ALLOW
    assert decide(statement, context={"aws:userid": "y", "s3:prefix": "home/y/a"}) == IMPLICIT_DENY
    # A variable whose key is absent matches nothing.
    assert decide(statement, context={"s3:prefix": "home//a"}) == IMPLICIT_DENY
    assert decide(allow(resource="arn:aws:s3:::bucket/home/${?}/f")) == IMPLICIT_DENY  # a literal `?`


def test_a_principal_tag_is_a_variable_and_a_context_key() -> None:
    """${aws:PrincipalTag/K} is the session tag K's value, and aws:PrincipalTag/K is in the
    request context for conditions (IAM User Guide, "IAM policy elements: Variables and
    tags"; AWS global condition context keys, aws:PrincipalTag/tag-key)."""
    statement = allow(resource="arn:aws:s3:::bucket/teams/${aws:PrincipalTag/team}/*",
                      Condition={"StringLike": {"aws:PrincipalTag/team": "ac*"}})
    acme = {"aws:PrincipalTag/team": "acme"}
    assert decide(statement, resource="arn:aws:s3:::bucket/teams/acme/f", context=acme) == ALLOW
    assert decide(statement, resource="arn:aws:s3:::bucket/teams/acme-2/f", context=acme) == IMPLICIT_DENY
    assert decide(statement, resource="arn:aws:s3:::bucket/teams/globex/f",
                  context={"aws:PrincipalTag/team": "globex"}) == IMPLICIT_DENY  # the condition
    # Tag keys are case-insensitive, like every context key.
    assert decide(statement, resource="arn:aws:s3:::bucket/teams/acme/f",
                  context={"aws:principaltag/TEAM": "acme"}) == ALLOW


def test_a_principal_tag_with_no_value_follows_iams_rule() -> None:
    """A variable with no value (https://docs.aws.amazon.com/IAM/latest/UserGuide/
    reference_policies_variables.html#policy-vars-no-value): in a Resource it matches no
    resource (not even the key it would form with an empty value); in a Condition value,
    StringEquals / StringLike do not match and StringNotEquals / StringNotLike do."""
    in_resource = allow(resource="arn:aws:s3:::bucket/teams/${aws:PrincipalTag/team}/*")
    assert decide(in_resource, resource="arn:aws:s3:::bucket/teams//f") == IMPLICIT_DENY
    assert decide(in_resource, resource="arn:aws:s3:::bucket/teams/${aws:PrincipalTag/team}/f") == IMPLICIT_DENY
    # Another resource of the same statement still matches.
    both = allow(resource=["arn:aws:s3:::bucket/teams/${aws:PrincipalTag/team}/*", "arn:aws:s3:::bucket/x"])
    assert decide(both, resource="arn:aws:s3:::bucket/x") == ALLOW
    context = {"k": "v"}
    for operator, expected in (("StringEquals", False), ("StringLike", False),
                               ("StringNotEquals", True), ("StringNotLike", True)):
        assert cond({operator: {"k": "${aws:PrincipalTag/team}"}}, context) is expected, operator
        assert cond({operator: {"k": ["${aws:PrincipalTag/team}", "w"]}}, context) is expected, operator
    # The tag itself as a condition key: Null sees it absent, a negated operator holds.
    assert cond({"Null": {"aws:PrincipalTag/team": "true"}}, {}) is True
    assert cond({"Null": {"aws:PrincipalTag/team": "false"}}, {}) is False
    assert cond({"StringNotLike": {"aws:PrincipalTag/team": ["", "*/*"]}}, {}) is True
    # An empty tag is a value: present for Null, and matched by "".
    empty = {"aws:PrincipalTag/team": ""}
    assert cond({"Null": {"aws:PrincipalTag/team": "false"}}, empty) is True
    assert cond({"StringNotLike": {"aws:PrincipalTag/team": ["", "*/*"]}}, empty) is False
    assert decide(in_resource, resource="arn:aws:s3:::bucket/teams//f", context=empty) == ALLOW


# --------------------------------------------------------------------------
# Condition operators
# --------------------------------------------------------------------------


def cond(block: dict[str, Any], context: dict[str, Any]) -> bool:
    return iam.evaluate_condition(block, context)


@pytest.mark.parametrize("operator, value, actual, expected", [
    ("StringEquals", "STANDARD", "STANDARD", True),
    ("StringEquals", "STANDARD", "standard", False),
    ("StringEquals", "STAND*", "STANDARD", False),  # no wildcards
    ("StringNotEquals", "STANDARD", "GLACIER", True),
    ("StringNotEquals", ["STANDARD", "GLACIER"], "GLACIER", False),  # none of the values may match
    ("StringEqualsIgnoreCase", "STANDARD", "standard", True),
    ("StringNotEqualsIgnoreCase", "STANDARD", "standard", False),
    ("StringLike", "home/*", "home/a/b", True),
    ("StringLike", "home/?", "home/ab", False),
    ("StringNotLike", "home/*", "other/a", True),
    ("NumericLessThan", "1.2", 1.1, True),
    ("NumericLessThan", "1.2", 1.3, False),
    ("NumericLessThanEquals", "1.2", 1.2, True),
    ("NumericGreaterThan", "1000", 1001, True),
    ("NumericGreaterThanEquals", "1000", 999, False),
    ("NumericEquals", "5", "5.0", True),
    ("NumericNotEquals", "5", 6, True),
    ("Bool", "false", False, True),
    ("Bool", "true", False, False),
    ("Bool", "true", "true", False),  # a string is not a Boolean
    ("ArnLike", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", True),
    ("ArnEquals", "arn:aws:s3:::b/*", "arn:aws:s3:::c/k", False),
    ("ArnNotLike", "arn:aws:s3:::b/*", "arn:aws:s3:::c/k", True),
])
def test_operator_on_a_present_key(operator: str, value: Any, actual: Any, expected: bool) -> None:
    assert cond({operator: {"k": value}}, {"k": actual}) is expected


@pytest.mark.parametrize("operator, expected", [
    ("StringEquals", False), ("StringLike", False), ("NumericLessThan", False), ("Bool", False),
    ("ArnLike", False),
    # Negated operators are true when the key is absent: that is why the policy has Null guards.
    ("StringNotEquals", True), ("StringNotLike", True), ("StringNotEqualsIgnoreCase", True),
    ("NumericNotEquals", True), ("ArnNotLike", True),
    ("StringEqualsIfExists", True), ("StringNotEqualsIfExists", True), ("NumericLessThanIfExists", True),
])
def test_operator_on_an_absent_key(operator: str, expected: bool) -> None:
    assert cond({operator: {"k": "v"}}, {}) is expected


def test_if_exists_applies_the_operator_when_the_key_is_present() -> None:
    assert cond({"StringEqualsIfExists": {"k": "v"}}, {"k": "v"}) is True
    assert cond({"StringEqualsIfExists": {"k": "v"}}, {"k": "w"}) is False


def test_null_checks_presence() -> None:
    assert cond({"Null": {"k": "true"}}, {}) is True
    assert cond({"Null": {"k": "true"}}, {"k": "v"}) is False
    assert cond({"Null": {"k": "false"}}, {"k": "v"}) is True
    assert cond({"Null": {"k": "false"}}, {}) is False


def test_keys_and_operators_are_anded_and_values_ored() -> None:
    guard = {"StringNotEquals": {"s": "STANDARD"}, "Null": {"s": "false"}}
    assert cond(guard, {"s": "GLACIER"}) is True
    assert cond(guard, {"s": "STANDARD"}) is False
    assert cond(guard, {}) is False
    two_keys = {"StringEquals": {"a": "1", "b": "2"}}
    assert cond(two_keys, {"a": "1", "b": "2"}) is True
    assert cond(two_keys, {"a": "1", "b": "3"}) is False
    assert cond({"StringEquals": {"a": ["1", "2"]}}, {"a": "2"}) is True


def test_set_operators_on_multivalued_keys() -> None:
    any_value = {"ForAnyValue:StringLike": {"amr": "authenticated"}}
    assert cond(any_value, {"amr": ["unauthenticated", "authenticated"]}) is True
    assert cond(any_value, {"amr": ["unauthenticated"]}) is False
    assert cond(any_value, {}) is False
    all_values = {"ForAllValues:StringEquals": {"tags": ["a", "b"]}}
    assert cond(all_values, {"tags": ["a", "b"]}) is True
    assert cond(all_values, {"tags": ["a", "c"]}) is False
    assert cond(all_values, {}) is True  # vacuously, as the IAM docs warn


def test_context_keys_are_case_insensitive() -> None:
    assert cond({"Bool": {"aws:securetransport": "true"}}, {"aws:SecureTransport": True}) is True


def test_unsupported_elements_fail_loudly() -> None:
    with pytest.raises(iam.UnsupportedPolicy):
        cond({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {})
    with pytest.raises(iam.UnsupportedPolicy):
        decide({"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "*", "Resource": "*"})


# --------------------------------------------------------------------------
# The real documents, filled as CloudFormation fills them
# --------------------------------------------------------------------------


def test_infra_documents_have_no_placeholder_left_but_iam_policy_variables() -> None:
    documents = iam.load_documents(
        ["authenticated-s3-policy.json", "bucket-policy.json"],
        {"AWS::Partition": "aws", "HomeBucket": "b", "HomePrefix": "home", "TeamPrefix": "teams"},
    )
    text = json.dumps(documents)
    for variable in (IDENTITY_VARIABLE, "aws:PrincipalTag/team"):
        text = text.replace("${" + variable + "}", "")
    assert text.count("${") == 0
    assert Path(iam.POLICY_DIR).name == "infra-policies"
