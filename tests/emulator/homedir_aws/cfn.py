"""z. CloudFormation: a stack of the template's resources, created, updated and deleted as
CloudFormation documents it, with a resource model for every type and property the
template uses (cfn_cognito.py, cfn_iam.py, cfn_s3.py, cfn_secrets.py).

moto 5.2.5's CloudFormation has no model for any AWS::Cognito::* type nor for
AWS::S3::BucketPolicy; for a type it does not model it logs a warning, skips the
resource and still reports CREATE_COMPLETE (a Fn::GetAtt of a skipped resource fails
the whole stack). Its AWS::S3::Bucket applies encryption and tags only, dropping
versioning, lifecycle, CORS, public access block and ownership without a word; its
AWS::IAM::Role keeps inline policies as a Python repr and updates nothing but the
description. Its updates compare raw template text (a parameter used inside Fn::Sub
changes nothing), run in template order (a resource can be updated with the old value of
one it references), and leave None in place of a resource whose type cannot update.
Its DeletionPolicy knows Retain only. `AWS::NoValue` in a list leaves a None element,
and a CommaDelimitedList parameter's default stays one string.

Here, as the CloudFormation User Guide and Template Reference document it:
- Every resource type of a stack must have a model here, and every property (nested ones
  too) must be one its model honours; otherwise CreateStack / UpdateStack fail, before
  anything is created or changed, with a ValidationError naming the resource, the type
  and the property (a template that cannot be run locally is never run half).
  Resource attributes other than Type, Properties, Condition, DependsOn, Metadata,
  DeletionPolicy and UpdateReplacePolicy fail the same way.
  Resource type reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
  Resource attributes: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-product-attribute-reference.html
- Parameters are checked as CloudFormation checks them (Type Number, AllowedValues,
  AllowedPattern, MinLength / MaxLength, MinValue / MaxValue, unknown keys); a value
  that fails says which parameter and why. A CommaDelimitedList, given or default, is a
  list of strings.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
- Rules: each rule whose RuleCondition holds asserts its Assertions with the parameters'
  values (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Contains, Ref); one that fails stops
  CreateStack / UpdateStack with its AssertDescription. Other rule functions fail the
  deploy naming them.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
- `AWS::NoValue` removes the property, or the list element, it stands for.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
- Dynamic references in a resource's properties are resolved when it is created or
  updated: `{{resolve:secretsmanager:ID:SecretString[:json-key[:stage[:version]]]}}` from
  the emulator's Secrets Manager, `{{resolve:ssm:NAME[:version]}}` from its SSM;
  `ssm-secure` fails the deploy by name.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html
- A model that reads its resource's Metadata (a function's binary,
  Metadata.BuildProperties.Binary) gets it, and an update that changes only the Metadata
  reaches it (for other models, as in CloudFormation, Metadata changes nothing).
- A creation that fails rolls back: what was created is deleted (except
  DeletionPolicy: Retain) and the stack is gone; the error names the resource.
- UpdateStack: resources are visited in dependency order (Ref, Fn::GetAtt, Fn::Sub,
  DependsOn), each resolved against the new parameters and the already updated
  resources it references; one whose resolved properties changed is updated in place, or
  replaced when a changed property is one its page marks "Update requires: Replacement"
  (the old one is then deleted once the update is done, unless UpdateReplacePolicy:
  Retain). A resource the template no longer has, or whose Condition turned false, is
  deleted unless its DeletionPolicy keeps it. Unchanged resources are not touched (a
  generated secret keeps its value).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html
- DeleteStack keeps resources whose DeletionPolicy is Retain or RetainExceptOnCreate
  (RetainExceptOnCreate only lets a rollback of the creating operation delete them).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html

Stacks are created synchronously (moto's way): CreateStack returns once the stack is
CREATE_COMPLETE, or fails with the reason. SAM templates must be transformed first
(tests/emulator/deploy.py does it offline with aws-sam-translator).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, Callable, ClassVar, Iterable, Mapping


def _share_region_lists() -> None:
    """Start-up time only, no behaviour: moto's CloudFormation imports every service it
    has models for, and EC2's module builds its region list at import with three new
    boto3 sessions, each loading botocore's endpoint data afresh (about half the import's
    time), and moto loads it once more for its backends' regions. moto's own session
    answers the same lists, once each."""
    import boto3.session
    from moto.core.base_backend import AccountSpecificBackend

    original = boto3.session.Session.get_available_regions
    shared = AccountSpecificBackend.get_session()  # moto's own: botocore's data loaded once

    @functools.lru_cache(maxsize=None)
    def regions(service: str, partition: str, non_regional: bool) -> tuple[str, ...]:
        return tuple(original(shared, service, partition, non_regional))

    def get_available_regions(self: Any, service_name: str, partition_name: str = "aws",
                              allow_non_regional: bool = False) -> list[str]:
        return list(regions(service_name, partition_name, allow_non_regional))

    boto3.session.Session.get_available_regions = get_available_regions


_share_region_lists()  # before moto's CloudFormation (and, through it, EC2) is imported

from moto.cloudformation import parsing  # noqa: E402
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError  # noqa: E402
from moto.cloudformation.models import CloudFormationBackend, Stack  # noqa: E402
from moto.cloudformation.parsing import ResourceMap  # noqa: E402

from .refs import references  # noqa: E402

RESOURCE_ATTRIBUTES = {"Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy",
                       "UpdateReplacePolicy"}
RETAINING_POLICIES = {"Retain", "RetainExceptOnCreate"}

ANY = None
"""A property whose value the model takes as it is (a leaf of a schema)."""

Schema = Mapping[str, Any]
"""Supported properties: name -> ANY, a nested Schema, or [Schema] (a list of objects)."""

INTRINSICS = {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64",
              "Fn::FindInMap", "Fn::ImportValue", "Fn::GetAZs", "Fn::ToJsonString", "Fn::Cidr",
              "Fn::Length", "Fn::If"}


class TemplateError(ValidationError):
    """A template, parameter or property the emulator cannot run: answered as
    CloudFormation's ValidationError with the reason."""

    def __init__(self, message: str):
        super().__init__(message=message)
        self.reason = message


# --------------------------------------------------------------------------
# Resource models
# --------------------------------------------------------------------------


class Model:
    """One resource of a stack. A subclass models one type as its Template Reference page
    documents it: the properties it honours (PROPERTIES), those whose change replaces the
    resource (REPLACEMENT), what Ref and Fn::GetAtt return, and create/update/destroy in
    terms of the emulator's services. Instances keep identifiers and the resolved
    properties they were last given, never moto objects (the saved state pickles them)."""

    TYPE: ClassVar[str] = ""
    PAGE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""
    PROPERTIES: ClassVar[Schema] = {}
    REPLACEMENT: ClassVar[frozenset[str]] = frozenset()
    ATTRIBUTES: ClassVar[frozenset[str]] = frozenset()
    USES_METADATA: ClassVar[bool] = False
    metadata: dict[str, Any] = {}  # the resource's Metadata (read by USES_METADATA models)

    def __init__(self, logical_id: str, name: str, properties: dict[str, Any], account_id: str, region: str):
        self.logical_resource_id = logical_id
        self.cf_resource_type = self.TYPE
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region = region
        self.physical_id = ""

    # The interface moto's CloudFormation calls

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attribute: str) -> bool:
        return attribute in cls.ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> "Model":
        logical_id = kwargs.get("LogicalId", resource_name)
        properties = dict(cloudformation_json.get("Properties") or {})
        check_properties(cls, logical_id, properties)
        properties = resolve_dynamic_references(properties, account_id, region_name, logical_id)
        resource = cls(logical_id, resource_name, properties, account_id, region_name)
        resource.metadata = dict(cloudformation_json.get("Metadata") or {})
        try:
            resource.create()
        except TemplateError:
            raise
        except Exception as error:  # a service refused: name the resource
            raise TemplateError(f"{logical_id} ({cls.TYPE}) failed to create: {_reason(error)}") from error
        return resource

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: "Model", new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> "Model":
        original_resource.apply(dict(cloudformation_json.get("Properties") or {}))
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        """Not used: a stack deletes resources through their own delete()."""

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute: str) -> Any:
        if attribute not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self.attribute(attribute)

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str | None = None, region: str | None = None) -> None:
        self.destroy()

    # Updates

    def needs_replacement(self, new: Mapping[str, Any]) -> bool:
        return any(self.properties.get(name) != new.get(name) for name in self.REPLACEMENT)

    def apply(self, new: dict[str, Any]) -> None:
        """Update in place to the resolved properties `new` (the caller checked them)."""
        try:
            self.update(new)
        except TemplateError:
            raise
        except Exception as error:
            raise TemplateError(
                f"{self.logical_resource_id} ({self.TYPE}) failed to update: {_reason(error)}") from error
        self.properties = new

    # What a model implements

    def create(self) -> None:
        raise NotImplementedError

    def update(self, new: dict[str, Any]) -> None:
        raise NotImplementedError

    def destroy(self) -> None:
        raise NotImplementedError

    def attribute(self, name: str) -> Any:
        raise UnformattedGetAttTemplateException()

    # Helpers for models

    def fail(self, path: str, why: str) -> TemplateError:
        return TemplateError(f"{self.logical_resource_id} ({self.TYPE}): property {path} {why} "
                             f"(the local emulator cannot honour it; {self.PAGE})")


_DYNAMIC = re.compile(r"\{\{resolve:([a-z-]+):(.*?)\}\}")
_SECRET_ARN = re.compile(r"^(arn:[^:]+:secretsmanager:[^:]+:\d+:secret:[^:]+)(?::(.*))?$")


def _resolve_one(service: str, reference: str, account_id: str, region: str, logical_id: str) -> str:
    if service == "secretsmanager":
        match = _SECRET_ARN.match(reference)
        secret_id, rest = (match.group(1), match.group(2) or "") if match else (reference.partition(":")[0],
                                                                                reference.partition(":")[2])
        parts = rest.split(":") if rest else []
        parts += [""] * (4 - len(parts))
        kind, json_key, stage, version = parts[:4]
        if kind not in ("", "SecretString"):
            raise TemplateError(f"{logical_id}: dynamic reference {{{{resolve:secretsmanager:{reference}}}}}: "
                                "only SecretString can be resolved")
        from moto.secretsmanager.models import secretsmanager_backends

        value = secretsmanager_backends[account_id][region].get_secret_value(
            secret_id, version or None, stage or (None if version else "AWSCURRENT"))["SecretString"]
        return str(json.loads(value)[json_key]) if json_key else value
    if service == "ssm":
        from moto.ssm.models import ssm_backends

        name, _, version = reference.partition(":")
        found = ssm_backends[account_id][region].get_parameter(f"{name}:{version}" if version else name)
        return found.value
    raise TemplateError(f"{logical_id}: dynamic reference {{{{resolve:{service}:...}}}} is not resolved by the "
                        "local emulator (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                        "dynamic-references.html)")


def resolve_dynamic_references(value: Any, account_id: str, region: str, logical_id: str) -> Any:
    """Every {{resolve:...}} in the properties replaced by what it names."""
    if isinstance(value, str) and "{{resolve:" in value:
        try:
            return _DYNAMIC.sub(lambda m: _resolve_one(m.group(1), m.group(2), account_id, region, logical_id), value)
        except TemplateError:
            raise
        except Exception as error:
            raise TemplateError(f"{logical_id}: a dynamic reference cannot be resolved: {_reason(error)}") from error
    if isinstance(value, dict):
        return {key: resolve_dynamic_references(inner, account_id, region, logical_id) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolve_dynamic_references(inner, account_id, region, logical_id) for inner in value]
    return value


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or getattr(error, "description", None) or str(error)
    return f"{type(error).__name__}: {message}"


MODELS: dict[str, type[Model]] = {}


def register(*models: type[Model]) -> None:
    for model in models:
        MODELS[model.TYPE] = model


# --------------------------------------------------------------------------
# Checking templates, properties and parameters
# --------------------------------------------------------------------------


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSICS


def _alternatives(value: Any) -> list[Any]:
    """The values a property may take: both branches of an Fn::If, none for
    AWS::NoValue, else the value itself."""
    if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
        branches = value["Fn::If"]
        if isinstance(branches, list) and len(branches) == 3:
            return _alternatives(branches[1]) + _alternatives(branches[2])
    if value == {"Ref": "AWS::NoValue"} or value is None:
        return []
    return [value]


def unsupported_properties(schema: Any, value: Any, path: str) -> list[str]:
    """Paths of properties in `value` (a template's, intrinsics allowed) that `schema`
    does not know."""
    found: list[str] = []
    for alternative in _alternatives(value):
        if schema is ANY or _is_intrinsic(alternative):
            continue
        if isinstance(schema, list):
            if isinstance(alternative, list):
                for index, item in enumerate(alternative):
                    found += unsupported_properties(schema[0], item, f"{path}[{index}]")
            continue
        if not isinstance(alternative, dict):
            continue
        for name, inner in alternative.items():
            where = f"{path}.{name}" if path else name
            if name not in schema:
                found.append(where)
            else:
                found += unsupported_properties(schema[name], inner, where)
    return sorted(set(found))


def check_properties(model: type[Model], logical_id: str, properties: Mapping[str, Any]) -> None:
    unknown = unsupported_properties(model.PROPERTIES, dict(properties), "")
    if unknown:
        raise TemplateError(
            f"{logical_id} ({model.TYPE}): the local emulator cannot honour "
            f"{'property' if len(unknown) == 1 else 'properties'} {', '.join(unknown)} "
            f"(it models {', '.join(sorted(model.PROPERTIES))}; {model.PAGE})")


def check_template(template: Mapping[str, Any]) -> None:
    """Every resource of a kind the emulator models, with properties it honours."""
    if not isinstance(template, Mapping):
        raise TemplateError("Template format error: not a JSON or YAML object")
    if template.get("Transform"):
        raise TemplateError("Template format error: transforms are not run by the local emulator "
                            "(tests/emulator/deploy.py transforms a SAM template offline first)")
    resources = template.get("Resources")
    if not isinstance(resources, Mapping) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    problems = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            problems.append(f"{logical_id}: not an object")
            continue
        kind = resource.get("Type")
        model = MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            problems.append(f"{logical_id}: the local emulator has no model for {kind} "
                            f"(it models {', '.join(sorted(MODELS))})")
            continue
        extra = sorted(set(resource) - RESOURCE_ATTRIBUTES)
        if extra:
            problems.append(f"{logical_id} ({kind}): resource attribute {', '.join(extra)} is not honoured "
                            "by the local emulator")
        try:
            check_properties(model, logical_id, resource.get("Properties") or {})
        except TemplateError as error:
            problems.append(error.reason)
    if problems:
        raise TemplateError("; ".join(problems))


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def check_parameters(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """The values CreateStack / UpdateStack pass, checked against the template's
    Parameters as CloudFormation checks them (defaults are the template author's)."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for name, spec in declared.items():
        if name in given:
            value = given[name]
        elif "Default" in spec:
            continue
        else:
            raise TemplateError(f"Parameters: [{name}] must have values")
        kind = spec.get("Type", "String")
        values = [str(v) for v in value] if isinstance(value, list) else (
            str(value).split(",") if kind == "CommaDelimitedList" or kind.startswith("List<") else [str(value)])
        for item in values:
            problem = _parameter_problem(spec, kind, item)
            if problem:
                described = spec.get("ConstraintDescription")
                raise TemplateError(f"Parameter '{name}' {problem}" + (f" ({described})" if described else ""))


def _parameter_problem(spec: Mapping[str, Any], kind: str, value: str) -> str | None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        return f"must be one of AllowedValues: {', '.join(str(a) for a in allowed)}"
    if kind in ("Number", "List<Number>"):
        number = _number(value)
        if number is None:
            return "must be a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"must be a number not less than {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"must be a number not greater than {spec['MaxValue']}"
        return None
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        return f"must match pattern {pattern}"
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"must contain at least {spec['MinLength']} characters"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"cannot be longer than {spec['MaxLength']} characters"
    return None


def check_rules(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """The template's Rules, asserted with the parameters' values (given, else default)."""
    declared = template.get("Parameters") or {}

    def value(expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            (function, argument), = expression.items()
            if function == "Ref":
                spec = declared.get(argument)
                if spec is None:
                    raise TemplateError(f"Template error: a rule refers to {argument}, which is not a parameter")
                raw = given.get(argument, spec.get("Default"))
                if spec.get("Type") == "CommaDelimitedList" or str(spec.get("Type", "")).startswith("List<"):
                    return raw if isinstance(raw, list) else str(raw).split(",")
                return "" if raw is None else str(raw)
            if function == "Fn::Equals":
                return str(value(argument[0])) == str(value(argument[1]))
            if function == "Fn::Not":
                return not value(argument[0])
            if function == "Fn::And":
                return all(value(item) for item in argument)
            if function == "Fn::Or":
                return any(value(item) for item in argument)
            if function == "Fn::Contains":
                return str(value(argument[1])) in [str(item) for item in value(argument[0])]
            raise TemplateError(f"Template error: rule function {function} is not evaluated by the local emulator")
        if isinstance(expression, list):
            return [value(item) for item in expression]
        return expression

    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not value(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions") or []:
            if not value(assertion.get("Assert")):
                why = assertion.get("AssertDescription") or "an assertion failed"
                raise TemplateError(f"Template error: rule {name}: {why}")


def _given_parameters(parameters: Any) -> dict[str, Any]:
    if isinstance(parameters, Mapping):
        return dict(parameters)
    return {p["ParameterKey"]: p.get("ParameterValue") for p in parameters or [] if "ParameterKey" in p}


# --------------------------------------------------------------------------
# Dependencies
# --------------------------------------------------------------------------

def dependency_order(resources: Mapping[str, Any], wanted: Iterable[str]) -> list[str]:
    """`wanted` logical ids, each after every resource it depends on."""
    wanted = list(wanted)
    wanted_set = set(wanted)

    def needs(logical_id: str) -> set[str]:
        resource = resources[logical_id]
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        return (references(resource.get("Properties")) | set(depends)) & wanted_set - {logical_id}

    order: list[str] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(logical_id: str) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":  # CloudFormation's words
            cycle = path[path.index(logical_id):]
            raise TemplateError(f"Circular dependency between resources: [{', '.join(sorted(cycle))}]")
        state[logical_id] = "visiting"
        path.append(logical_id)
        for other in sorted(needs(logical_id)):
            visit(other)
        path.pop()
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in wanted:
        visit(logical_id)
    return order


# --------------------------------------------------------------------------
# Installing into moto's CloudFormation
# --------------------------------------------------------------------------


def _resources_of(resource_map: ResourceMap) -> dict[str, Model]:
    return {key: value for key, value in resource_map._parsed_resources.items() if isinstance(value, Model)}


def _condition_holds(resource_map: ResourceMap, resource: Mapping[str, Any]) -> bool:
    condition = resource.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


def _delete_resources(resource_map: ResourceMap, logical_ids: Iterable[str], keep: Callable[[str], bool],
                      json_map: Mapping[str, Any]) -> None:
    """Delete these parsed resources, dependants first; those `keep` names stay."""
    parsed = _resources_of(resource_map)
    present = [lid for lid in logical_ids if lid in parsed]
    known = {lid: json_map.get(lid, {"Type": parsed[lid].TYPE}) for lid in present}
    for logical_id in reversed(dependency_order(known, present)):
        if not keep(logical_id):
            parsed[logical_id].delete()
        resource_map._parsed_resources.pop(logical_id, None)


def _load_parameters(original: Callable[[ResourceMap], None]) -> Callable[[ResourceMap], None]:
    def load_parameters(self: ResourceMap) -> None:
        original(self)
        for name, spec in (self._template.get("Parameters") or {}).items():
            value = self.resolved_parameters.get(name)
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                self.resolved_parameters[name] = value.split(",")
                self._parsed_resources[name] = self.resolved_parameters[name]
    return load_parameters


def _clean_json(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        cleaned = original(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(cleaned, list):
            return [item for item in cleaned if item is not None]  # AWS::NoValue in a list
        return cleaned
    return clean_json


def _update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """ResourceMap.update, as CloudFormation updates a stack (see the module's docstring)."""
    old_json = self._resource_json_map
    self._template = template
    self.input_parameters = dict(parameters or {})  # a parameter not given is back to its default
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    self._resource_json_map = template["Resources"]
    wanted = [lid for lid, resource in self._resource_json_map.items() if _condition_holds(self, resource)]
    parsed = _resources_of(self)

    gone = [lid for lid in parsed if lid not in wanted]
    _delete_resources(self, gone, lambda lid: old_json.get(lid, {}).get("DeletionPolicy") in RETAINING_POLICIES,
                      old_json)

    replaced: list[tuple[Model, str | None]] = []
    for logical_id in dependency_order(self._resource_json_map, wanted):
        existing = self._parsed_resources.get(logical_id)
        if not isinstance(existing, Model):
            self[logical_id]  # a new resource (its references are created on the way)
            continue
        resource_json = copy.deepcopy(self._resource_json_map[logical_id])
        model = MODELS[resource_json["Type"]]
        if model is not type(existing):
            raise TemplateError(f"{logical_id}: Update of resource type is not permitted "
                                f"({existing.TYPE} to {resource_json['Type']})")
        resolved = parsing.clean_json(resource_json, self)
        new_properties = dict(resolved.get("Properties") or {})
        new_metadata = dict(resolved.get("Metadata") or {})
        check_properties(model, logical_id, new_properties)
        new_properties = resolve_dynamic_references(new_properties, self._account_id, self._region_name, logical_id)
        same_metadata = not model.USES_METADATA or new_metadata == getattr(existing, "metadata", {})
        if new_properties == existing.properties and same_metadata:
            continue
        if existing.needs_replacement(new_properties):
            name = new_properties.get(model.NAME_PROPERTY) if model.NAME_PROPERTY else None
            if not name:
                name = parsing.generate_resource_name(model.TYPE, self["AWS::StackName"], logical_id)
            created = model.create_from_cloudformation_json(
                name, {"Properties": new_properties, "Metadata": new_metadata}, self._account_id, self._region_name,
                LogicalId=logical_id)
            self._parsed_resources[logical_id] = created
            replaced.append((existing, self._resource_json_map[logical_id].get("UpdateReplacePolicy")))
        else:
            old_metadata = getattr(existing, "metadata", {})
            existing.metadata = new_metadata
            try:
                existing.apply(new_properties)
            except Exception:
                existing.metadata = old_metadata
                raise
    for old, policy in replaced:  # the cleanup phase
        if policy != "Retain":
            old.delete()


def _delete(self: ResourceMap) -> None:
    """ResourceMap.delete: every resource but those DeletionPolicy keeps."""
    _delete_resources(
        self, list(_resources_of(self)),
        lambda lid: self._resource_json_map.get(lid, {}).get("DeletionPolicy") in RETAINING_POLICIES,
        self._resource_json_map)


def _create_stack(original: Callable[..., Stack]) -> Callable[..., Stack]:
    def create_stack(backend: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any],
                     *args: Any, **kwargs: Any) -> Stack:
        parsed = Stack.parse_template(template)
        check_template(parsed)
        check_parameters(parsed, _given_parameters(parameters))
        check_rules(parsed, _given_parameters(parameters))
        dependency_order(parsed["Resources"], parsed["Resources"])  # a cycle fails before anything is made
        try:
            return original(backend, name, template, parameters, *args, **kwargs)
        except Exception as error:
            stack = next((s for s in backend.stacks.values() if s.name == name), None)
            if stack is not None:  # roll back what was created, and forget the stack
                resources = stack.resource_map
                _delete_resources(
                    resources, list(_resources_of(resources)),
                    lambda lid: resources._resource_json_map.get(lid, {}).get("DeletionPolicy") == "Retain",
                    resources._resource_json_map)
                backend.stacks.pop(stack.stack_id, None)
            if isinstance(error, TemplateError):
                raise
            raise TemplateError(f"Stack {name} failed to create and was rolled back: {_reason(error)}") from error
    return create_stack


def _update_stack(original: Callable[..., Stack]) -> Callable[..., Stack]:
    def update_stack(backend: CloudFormationBackend, name: str, template: str, role_arn: str | None,
                     parameters: Any, tags: Any) -> Stack:
        stack = backend.get_stack(name)
        parsed = Stack.parse_template(template) if template else stack.template_dict
        check_template(parsed)
        given = {key: value for key, value in _given_parameters(parameters).items()}
        previous = dict(stack.resource_map.input_parameters)
        for entry in parameters or []:
            if isinstance(entry, Mapping) and entry.get("UsePreviousValue") and entry.get("ParameterKey") in previous:
                given[entry["ParameterKey"]] = previous[entry["ParameterKey"]]
        given = {key: value for key, value in given.items() if value is not None}
        check_parameters(parsed, given)
        check_rules(parsed, given)
        old_template, old_parameters = stack.template, previous
        try:
            return original(backend, name, template or old_template, role_arn, parameters, tags)
        except Exception as error:
            try:  # roll back to the previous template and parameters
                stack.template = old_template
                stack._parse_template()
                stack.resource_map.update(stack.template_dict, old_parameters)
                stack.output_map = stack._create_output_map()
                stack.status = "UPDATE_ROLLBACK_COMPLETE"
            except Exception:
                stack.status = "UPDATE_ROLLBACK_FAILED"
            if isinstance(error, TemplateError):
                raise
            raise TemplateError(f"Stack {name} failed to update and was rolled back: {_reason(error)}") from error
    return update_stack


def _parameter_list(self: Stack) -> list[dict[str, Any]]:
    """DescribeStacks' Parameters: a list parameter as CloudFormation shows it, its values
    joined by commas (moto showed a Python repr)."""
    hidden = self.resource_map.no_echo_parameter_keys
    return [{"ParameterKey": key,
             "ParameterValue": "****" if key in hidden else
             ",".join(map(str, value)) if isinstance(value, list) else value}
            for key, value in self.resource_map.resolved_parameters.items()]


def _creation_order(self: ResourceMap) -> list[str]:
    """The order CreateStack creates resources in: each after every resource it refers to
    or names in DependsOn. moto honoured DependsOn only for resources it reached first
    in template order: one created earlier because another referred to it (the bucket,
    named by a policy) skipped its DependsOn (the bucket's on the permission S3 checks).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html"""
    return dependency_order(self._resource_json_map, self._resource_json_map)


def _stack_resources(self: Stack) -> list[Any]:
    """Only resources that exist (moto lists a false Condition's resource as None)."""
    return [resource for resource in self.resource_map.values() if resource is not None]


_installed = False


def install() -> None:
    """Register the models and correct moto's CloudFormation (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    from . import (  # noqa: F401 (they register their models)
        cfn_cognito, cfn_dynamodb, cfn_events, cfn_iam, cfn_lambda, cfn_s3, cfn_secrets)

    original_map = parsing.get_model_map
    original_list = parsing.get_model_list
    parsing.get_model_map = lambda: {**original_map(), **MODELS}
    parsing.get_model_list = lambda: [m for m in original_list() if m.cloudformation_type() not in MODELS] + list(
        MODELS.values())
    parsing.clean_json = _clean_json(parsing.clean_json)
    ResourceMap.load_parameters = _load_parameters(ResourceMap.load_parameters)
    ResourceMap.update = _update
    ResourceMap._ResourceMap__get_resources_in_dependency_order = _creation_order
    ResourceMap.delete = _delete
    CloudFormationBackend.create_stack = _create_stack(CloudFormationBackend.create_stack)
    CloudFormationBackend.update_stack = _update_stack(CloudFormationBackend.update_stack)
    Stack.stack_resources = property(_stack_resources)
    Stack.parameter_list = property(_parameter_list)
    cfn_s3.install()


def json_text(document: Any) -> str:
    """A policy document as IAM and S3 keep it: JSON text, whatever the template wrote."""
    return document if isinstance(document, str) else json.dumps(document)
