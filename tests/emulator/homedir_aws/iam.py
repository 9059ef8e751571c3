"""A small IAM policy evaluator: enough of IAM to decide S3 requests exactly as AWS does
for homedir's documents (infra-policies/), and a bit more.

It exists because the emulator must say Allow or Deny for the *real* policy documents,
not for a hand-written imitation of them; the shared case table
(infra-policies/cases.json) pins it to the Rust evaluator (iam-rs) so the two cannot drift.

What it follows (AWS IAM User Guide):
- Policy evaluation logic, "Determining whether a request is allowed or denied within an
  account": an explicit Deny in any document wins; otherwise an Allow in any (identity or
  resource policy, same account) grants; otherwise the request is implicitly denied.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- IAM JSON policy elements: Action / NotAction (case-insensitive, `*` and `?` wildcards).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
- IAM JSON policy elements: Resource / NotResource (case-sensitive; `*` and `?` within each
  colon-separated ARN segment).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
- IAM JSON policy elements: Principal (`"*"` / `{"AWS": "*"}` is everyone).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- IAM JSON policy elements: Condition operators (String*, Numeric*, Bool, Arn*, Null,
  ...IfExists; a key absent from the request context makes positive operators false and
  negated operators true).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- Creating a condition with multiple context keys or values (keys and operators ANDed,
  values of one key ORed).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- Single-valued vs. multivalued context keys (ForAnyValue / ForAllValues).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- IAM policy elements: Variables and tags (`${key}` in Resource and in string / ARN
  condition values; `${*}`, `${?}`, `${$}`; `${aws:PrincipalTag/K}` is the session's tag K).
  A variable with no value (its key absent, e.g. the tag of a session without it): a
  Resource / NotResource entry holding it matches no resource; a condition value holding
  it is matched by nothing, so StringEquals / StringLike are false for it and
  StringNotEquals / StringNotLike true ("Policy variables with no value").
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
- Role trust policies (evaluate_trust): a resource-based policy attached to the role, whose
  statements name no Resource; `Principal` `{"Federated": "cognito-identity.amazonaws.com"}`
  matches that identity provider, `{"Service": ...}` a service, `{"AWS": ...}` an ARN.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

Not supported (raises UnsupportedPolicy, so a document using it fails loudly rather than
being misjudged): NotPrincipal, Date*, IpAddress, Binary operators, variables with
defaults.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

ALLOW = "Allow"
IMPLICIT_DENY = "ImplicitDeny"
EXPLICIT_DENY = "ExplicitDeny"

ContextValue = str | bool | int | float | list[str]
Context = Mapping[str, ContextValue]

POLICY_DIR = Path(__file__).resolve().parents[3] / "infra-policies"


class UnsupportedPolicy(ValueError):
    """The document uses something this evaluator does not implement."""


# --------------------------------------------------------------------------
# Wildcards
# --------------------------------------------------------------------------


# A `*` or `?` that a policy variable put into a pattern (`${*}`, `${?}`, or a value
# containing one) is a literal character, not a wildcard. Until matching, such characters
# travel as these private-use code points.
_LITERAL_STAR, _LITERAL_QUESTION = "\ue000", "\ue001"
_LITERALS = str.maketrans({_LITERAL_STAR: "*", _LITERAL_QUESTION: "?"})


def _protect(value: str) -> str:
    return value.replace("*", _LITERAL_STAR).replace("?", _LITERAL_QUESTION)


def unprotect(value: str) -> str:
    """The text with variable-inserted wildcard characters back to plain characters."""
    return value.translate(_LITERALS)


@lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (
        ".*" if ch == "*" else "." if ch == "?" else re.escape(unprotect(ch)) for ch in pattern
    )
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """`*` any run of characters (including none), `?` exactly one; whole-string match."""
    return _wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ArnLike / Resource matching: each of the six colon-delimited parts is matched
    separately, so a wildcard never spans a `:` between parts (the resource part, the
    sixth, may itself contain colons). A pattern that is neither `*` nor an ARN is not a
    valid policy (IAM refuses to store it); a value that is not an ARN matches nothing."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or pattern_parts[0] != "arn":
        raise UnsupportedPolicy(f"not an ARN pattern: {pattern!r}")
    if len(arn_parts) != 6:
        return False
    return all(wildcard_match(p, a) for p, a in zip(pattern_parts, arn_parts))


# --------------------------------------------------------------------------
# Policy variables
# --------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": _LITERAL_STAR, "?": _LITERAL_QUESTION, "$": "$"}


class _Unresolved(Exception):
    """A policy variable names a key that the request context does not have."""


def substitute_variables(text: str, context: Context) -> str:
    """Replace ${key} by the context value; raise _Unresolved if the key is absent.
    Inserted `*` and `?` stay literal (see _protect); call unprotect() for plain text."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _SPECIAL:
            return _SPECIAL[name]
        if "," in name:
            raise UnsupportedPolicy(f"policy variable with a default value: ${{{name}}}")
        value = lookup(context, name)
        if value is None or isinstance(value, list):
            raise _Unresolved(name)
        return _protect(str(value).lower() if isinstance(value, bool) else str(value))

    return _VARIABLE.sub(replace, text)


def lookup(context: Context, key: str) -> ContextValue | None:
    """Context keys are case-insensitive in IAM."""
    if key in context:
        return context[key]
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


# --------------------------------------------------------------------------
# Condition operators
# --------------------------------------------------------------------------


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[Any, str], bool]:
    def match(actual: Any, expected: str) -> bool:
        a, e = _as_number(actual), _as_number(expected)
        return a is not None and e is not None and compare(a, e)

    return match


@dataclass(frozen=True)
class Operator:
    """One base condition operator: how a single context value matches a single policy
    value, whether it is a negation, and whether policy variables apply to its values."""

    match: Callable[[Any, str], bool]
    negated: bool = False
    variables: bool = False


_STRING_EQUALS = Operator(lambda a, e: _as_text(a) == unprotect(e), variables=True)
_STRING_EQUALS_IC = Operator(lambda a, e: _as_text(a).lower() == unprotect(e).lower(), variables=True)
_STRING_LIKE = Operator(lambda a, e: wildcard_match(e, _as_text(a)), variables=True)
_ARN_LIKE = Operator(lambda a, e: isinstance(a, str) and arn_match(e, a), variables=True)
_NUMERIC_EQUALS = Operator(_numeric(lambda a, e: a == e))

OPERATORS: dict[str, Operator] = {
    "StringEquals": _STRING_EQUALS,
    "StringNotEquals": Operator(_STRING_EQUALS.match, negated=True, variables=True),
    "StringEqualsIgnoreCase": _STRING_EQUALS_IC,
    "StringNotEqualsIgnoreCase": Operator(_STRING_EQUALS_IC.match, negated=True, variables=True),
    "StringLike": _STRING_LIKE,
    "StringNotLike": Operator(_STRING_LIKE.match, negated=True, variables=True),
    "NumericEquals": _NUMERIC_EQUALS,
    "NumericNotEquals": Operator(_NUMERIC_EQUALS.match, negated=True),
    "NumericLessThan": Operator(_numeric(lambda a, e: a < e)),
    "NumericLessThanEquals": Operator(_numeric(lambda a, e: a <= e)),
    "NumericGreaterThan": Operator(_numeric(lambda a, e: a > e)),
    "NumericGreaterThanEquals": Operator(_numeric(lambda a, e: a >= e)),
    "Bool": Operator(lambda a, e: isinstance(a, bool) and _as_text(a) == unprotect(e).lower(), variables=True),
    "ArnEquals": _ARN_LIKE,  # the IAM docs define ArnEquals and ArnLike identically
    "ArnLike": _ARN_LIKE,
    "ArnNotEquals": Operator(_ARN_LIKE.match, negated=True, variables=True),
    "ArnNotLike": Operator(_ARN_LIKE.match, negated=True, variables=True),
}


def _policy_values(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    return [_as_text(value) for value in values]


def _resolved_values(values: list[str], operator: Operator, context: Context) -> list[str]:
    """Policy values with variables substituted; values naming an absent key drop out
    (such a value matches nothing)."""
    if not operator.variables:
        return values
    resolved = []
    for value in values:
        try:
            resolved.append(substitute_variables(value, context))
        except _Unresolved:
            continue
    return resolved


def _value_satisfies(operator: Operator, actual: Any, expected: list[str]) -> bool:
    """One context value against the policy's values: ORed for positive operators; for
    negated operators, true only if it matches none of them."""
    matched = any(operator.match(actual, value) for value in expected)
    return not matched if operator.negated else matched


def _null_check(key_present: bool, raw: Any) -> bool:
    """Null: "true" means the key must be absent, "false" that it must be present."""
    return any((value.lower() == "true") != key_present for value in _policy_values(raw))


def evaluate_condition_entry(name: str, key: str, raw: Any, context: Context) -> bool:
    """One `operator: {key: values}` entry."""
    qualifier, _, base = name.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedPolicy(f"condition set operator {qualifier!r}")
    actual = lookup(context, key)
    if base == "Null":
        return _null_check(actual is not None and actual != [], raw)
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    operator = OPERATORS.get(base)
    if operator is None:
        raise UnsupportedPolicy(f"condition operator {name!r}")
    expected = _resolved_values(_policy_values(raw), operator, context)

    if actual is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True  # vacuously true over an empty set
        if qualifier == "ForAnyValue":
            return False
        return operator.negated
    actual_values = actual if isinstance(actual, list) else [actual]
    results = [_value_satisfies(operator, value, expected) for value in actual_values]
    if qualifier == "ForAllValues":
        return all(results)
    if qualifier == "ForAnyValue":
        return any(results)
    if isinstance(actual, list):  # a multivalued key without a set operator: any value
        return any(results) if not operator.negated else all(results)
    return results[0]


def evaluate_condition(block: Mapping[str, Any], context: Context) -> bool:
    """All operators and all keys within them must hold (AND)."""
    for name, entries in block.items():
        if not isinstance(entries, Mapping):
            raise UnsupportedPolicy(f"condition operator {name!r} needs an object of keys")
        for key, raw in entries.items():
            if not evaluate_condition_entry(name, key, raw, context):
                return False
    return True


# --------------------------------------------------------------------------
# Statements and documents
# --------------------------------------------------------------------------


def _as_list(raw: Any) -> list[str]:
    return raw if isinstance(raw, list) else [raw]


@dataclass(frozen=True)
class Request:
    """What IAM authorizes: an action on a resource, with the request context. The
    principal ARN is used only to match a statement's `Principal` (None: anonymous);
    `federated` is a (kind, name) principal such as ("Federated",
    "cognito-identity.amazonaws.com"), as a trust policy sees who assumes the role.
    A trust policy's request has no resource (None)."""

    action: str
    resource: str | None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: str | None = None
    federated: tuple[str, str] | None = None


def _principal_matches(raw: Any, request: Request) -> bool:
    if raw == "*":
        return True
    if not isinstance(raw, Mapping):
        raise UnsupportedPolicy(f"Principal {raw!r}")
    principal = request.principal
    for kind, values in raw.items():
        for value in _as_list(values):
            if value == "*" and kind == "AWS":
                return True
            if principal is not None and kind == "AWS" and arn_match(value, principal):
                return True
            if request.federated is not None and (kind, value) == request.federated:
                return True
    return False


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(wildcard_match(pattern, action, ignore_case=True) for pattern in patterns)


def _resource_matches(patterns: Iterable[str], resource: str, context: Context) -> bool:
    for pattern in patterns:
        try:
            if arn_match(substitute_variables(pattern, context), resource):
                return True
        except _Unresolved:
            continue
    return False


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether the statement matches the request (its Effect is applied by the caller)."""
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal")
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    if "Action" in statement:
        if not _action_matches(_as_list(statement["Action"]), request.action):
            return False
    elif "NotAction" in statement:
        if _action_matches(_as_list(statement["NotAction"]), request.action):
            return False
    else:
        raise UnsupportedPolicy("statement without Action or NotAction")
    if request.resource is None:  # a trust policy: the role itself is the resource
        if "Resource" in statement or "NotResource" in statement:
            raise UnsupportedPolicy("a trust policy statement with Resource or NotResource")
    elif "Resource" in statement:
        if not _resource_matches(_as_list(statement["Resource"]), request.resource, request.context):
            return False
    elif "NotResource" in statement:
        if _resource_matches(_as_list(statement["NotResource"]), request.resource, request.context):
            return False
    else:
        raise UnsupportedPolicy("statement without Resource or NotResource")
    return evaluate_condition(statement.get("Condition", {}), request.context)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def evaluate(documents: Sequence[Mapping[str, Any]], request: Request) -> str:
    """"Allow", "ImplicitDeny" or "ExplicitDeny" for the request under all documents."""
    allowed = False
    for document in documents:
        for statement in _statements(document):
            effect = statement.get("Effect")
            if effect not in (ALLOW, "Deny"):
                raise UnsupportedPolicy(f"Effect {effect!r}")
            if statement_applies(statement, request):
                if effect == "Deny":
                    return EXPLICIT_DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def evaluate_trust(document: Mapping[str, Any], action: str, principal: tuple[str, str],
                   context: Context) -> str:
    """A role's trust policy deciding whether `principal` may `action` (e.g.
    sts:AssumeRoleWithWebIdentity) the role, with the request context."""
    return evaluate([document], Request(action, None, context, None, principal))


# --------------------------------------------------------------------------
# Loading infra-policies/ documents
# --------------------------------------------------------------------------


def fill_placeholders(text: str, placeholders: Mapping[str, str]) -> str:
    """Replace CloudFormation Fn::Sub placeholders (`${HomeBucket}`, `${AWS::Partition}`)
    by deploy-time values; IAM policy variables (`${aws:...}`, `${cognito-identity...}`)
    are left for request time."""
    for name, value in placeholders.items():
        text = text.replace("${" + name + "}", value)
    return text


def load_documents(names: Iterable[str], placeholders: Mapping[str, str],
                   directory: Path = POLICY_DIR) -> list[dict[str, Any]]:
    return [json.loads(fill_placeholders((directory / name).read_text(), placeholders)) for name in names]


QUOTA_DENY_FILE = "quota-deny-policy.json"
NO_ONE = "/"


def quota_deny_as_written(document: dict[str, Any], homes: Sequence[str], teams: Sequence[str]) -> dict[str, Any]:
    """infra-policies/quota-deny-policy.json as the usage function writes a new version of
    it (shared/src/usage/deny.rs): the ["/"] (no one) naming the spaces over quota, the
    Identity IDs `homes` under cognito-identity.amazonaws.com:sub and the team names
    `teams` under aws:PrincipalTag/team (an empty list stays ["/"])."""
    written = json.loads(json.dumps(document))
    names = {"cognito-identity.amazonaws.com:sub": list(homes), "aws:PrincipalTag/team": list(teams)}
    for statement in written.get("Statement", []):
        for key, values in (statement.get("Condition", {}).get("StringEquals") or {}).items():
            if values == [NO_ONE] and names.get(key):
                statement["Condition"]["StringEquals"][key] = names[key]
    return written


def load_case_documents(table: Mapping[str, Any], directory: Path = POLICY_DIR) -> list[dict[str, Any]]:
    """The case table's documents (infra-policies/cases.json), filled as its `about` says:
    the placeholders, and the quota deny document naming the table's `over_quota`."""
    over = table.get("over_quota") or {}
    homes = [table["identities"][name] for name in over.get("homes", [])]
    documents = []
    for name in table["documents"]:
        document = load_documents([name], table["placeholders"], directory)[0]
        if name == QUOTA_DENY_FILE:
            document = quota_deny_as_written(document, homes, over.get("teams", []))
        documents.append(document)
    return documents
