"""z. The IAM models of the emulator's CloudFormation (cfn.py), as the Template Reference
documents AWS::IAM::Role, AWS::IAM::ManagedPolicy and AWS::IAM::Policy.

AWS::IAM::Role: the role, its trust policy, its inline policies
(stored as the JSON text IAM keeps and GetRolePolicy answers; moto's own model kept a
Python repr; a document without Version is accepted, as IAM accepts it, which moto
refused) and its managed policies (an AWS managed one, such as the
AWSLambdaBasicExecutionRole SAM attaches to a function's role, taken from moto's copy),
in moto's IAM. These stored documents are what
the emulator authorizes with: the trust policy when Cognito assumes the role
(identitypools.py), the inline and managed policies for every S3 request made with the
role's credentials (s3auth.py). Its PermissionsBoundary (a managed policy's ARN) is
set on the role as PutRolePermissionsBoundary sets it (GetRole answers it) and limits
what the identity policies grant (s3auth.py).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html

AWS::IAM::ManagedPolicy: a customer managed policy in moto's IAM (CreatePolicy), so
GetPolicy, GetPolicyVersion, ListPolicyVersions, CreatePolicyVersion (with
SetAsDefault), SetDefaultPolicyVersion and DeletePolicyVersion answer and act on it, and
attached to its Roles (AttachRolePolicy). What decides a request is the policy's default
version at the time of the request ("Versioning IAM policies": "the default version is
the operative version, that is, the version that is in effect for the principal
entities ... that the managed policy is attached to";
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
A stack update that changes PolicyDocument makes a new default version, as IAM updates a
managed policy; a policy holds at most five versions, and the page does not say how
CloudFormation makes room, so the emulator deletes the oldest non-default version when
five exist. Versions written outside the stack (the usage function's) stay until then.
Replacement when ManagedPolicyName, Path or Description change (the page marks them
"Update requires: Replacement"). Ref is the ARN.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html

AWS::IAM::Policy: an inline policy put on each of its Roles (PutRolePolicy), as the
role's own Policies are; changing PolicyName or the roles moves it. Ref is a generated
id, as CloudFormation's. Users and Groups are not modelled (the template has none).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-policy.html
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import iam_backends

from .cfn import ANY, Model, json_text, register


class Role(Model):
    """AWS::IAM::Role. Replacement when RoleName or Path change; everything else (trust
    policy, inline and managed policies, permissions boundary, description,
    MaxSessionDuration, tags) is updated in place."""

    TYPE = "AWS::IAM::Role"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html"
    NAME_PROPERTY = "RoleName"
    PROPERTIES = {
        "RoleName": ANY,
        "Description": ANY,
        "Path": ANY,
        "MaxSessionDuration": ANY,
        "AssumeRolePolicyDocument": ANY,
        "Policies": [{"PolicyName": ANY, "PolicyDocument": ANY}],
        "ManagedPolicyArns": ANY,
        "PermissionsBoundary": ANY,
        "Tags": [{"Key": ANY, "Value": ANY}],
    }
    REPLACEMENT = frozenset({"RoleName", "Path"})
    ATTRIBUTES = frozenset({"Arn", "RoleId"})

    def _iam(self) -> Any:
        return iam_backends[self.account_id]["aws"]

    def create(self) -> None:
        props = self.properties
        role = self._iam().create_role(
            role_name=self.name,
            assume_role_policy_document=json_text(props["AssumeRolePolicyDocument"]),
            path=props.get("Path", "/"),
            permissions_boundary=props.get("PermissionsBoundary") or None,
            description=props.get("Description", ""),
            tags=props.get("Tags") or [],
            max_session_duration=str(props.get("MaxSessionDuration", 3600)),
        )
        self.physical_id = role.name
        self._policies({}, props)

    def _policies(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        iam = self._iam()
        before = {p["PolicyName"]: json_text(p["PolicyDocument"]) for p in old.get("Policies") or []}
        after = {p["PolicyName"]: json_text(p["PolicyDocument"]) for p in new.get("Policies") or []}
        for name in before.keys() - after.keys():
            iam.delete_role_policy(self.physical_id, name)
        for name, document in after.items():
            if before.get(name) != document:
                _put_role_policy(iam, self.physical_id, name, document)
        old_managed, new_managed = set(old.get("ManagedPolicyArns") or []), set(new.get("ManagedPolicyArns") or [])
        for arn in old_managed - new_managed:
            iam.detach_role_policy(arn, self.physical_id)
        for arn in new_managed - old_managed:
            _aws_managed_policy(iam, arn)
            iam.attach_role_policy(arn, self.physical_id)

    def update(self, new: dict[str, Any]) -> None:
        iam = self._iam()
        trust = json_text(new["AssumeRolePolicyDocument"])
        if json_text(self.properties["AssumeRolePolicyDocument"]) != trust:
            iam.update_assume_role_policy(self.physical_id, trust)
        iam.update_role(self.physical_id, new.get("Description", ""), str(new.get("MaxSessionDuration", 3600)))
        iam.get_role(self.physical_id).tags = new.get("Tags") or []
        boundary = new.get("PermissionsBoundary") or None
        if boundary != (self.properties.get("PermissionsBoundary") or None):
            if boundary:
                iam.put_role_permissions_boundary(self.physical_id, boundary)
            else:
                iam.delete_role_permissions_boundary(self.physical_id)
        self._policies(self.properties, new)

    def destroy(self) -> None:
        iam = self._iam()
        role = iam.get_role(self.physical_id)
        for name in list(role.policies):
            iam.delete_role_policy(self.physical_id, name)
        for arn in list(role.managed_policies):
            iam.detach_role_policy(arn, self.physical_id)
        iam.delete_role(self.physical_id)

    def attribute(self, name: str) -> Any:
        role = self._iam().get_role(self.physical_id)
        return {"Arn": role.arn, "RoleId": role.id}[name]


def _put_role_policy(backend: Any, role_name: str, policy_name: str, document: str) -> None:
    """PutRolePolicy as IAM takes it: a document without Version is accepted ("If you
    do not include a Version element, the value defaults to 2008-10-17"; the SAM policy
    templates write none), which moto refused.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"""
    import json

    parsed = json.loads(document)
    if isinstance(parsed, dict) and "Version" not in parsed:
        from moto.iam.policy_validation import IAMPolicyDocumentValidator

        IAMPolicyDocumentValidator(json.dumps({"Version": "2012-10-17", **parsed})).validate()  # its syntax
        backend.get_role(role_name).put_policy(policy_name, document)
        return
    backend.put_role_policy(role_name, policy_name, document)


def _aws_managed_policy(backend: Any, arn: str) -> None:
    """An AWS managed policy (arn:aws:iam::aws:policy/...), such as the
    AWSLambdaBasicExecutionRole the SAM transform attaches to a function's generated
    role, made known to moto's IAM from moto's own copy of it. moto loads none of them
    unless told to (MOTO_IAM_LOAD_MANAGED_POLICIES), which costs every start-up.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies"""
    if arn in backend.managed_policies or not arn.startswith("arn:aws:iam::aws:policy/"):
        return
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    name = arn.rsplit("/", 1)[-1]
    data = json.loads(aws_managed_policies_data).get(name)
    if data is None:
        return  # attach_role_policy then says the policy does not exist
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


MAX_VERSIONS = 5
"""A managed policy's versions at most (CreatePolicyVersion)."""


class ManagedPolicy(Model):
    """AWS::IAM::ManagedPolicy (see the module's docstring)."""

    TYPE = "AWS::IAM::ManagedPolicy"
    PAGE = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
            "aws-resource-iam-managedpolicy.html")
    NAME_PROPERTY = "ManagedPolicyName"
    PROPERTIES = {
        "ManagedPolicyName": ANY,
        "Description": ANY,
        "Path": ANY,
        "PolicyDocument": ANY,
        "Roles": ANY,
    }
    REPLACEMENT = frozenset({"ManagedPolicyName", "Path", "Description"})
    ATTRIBUTES = frozenset({"PolicyArn", "PolicyId", "DefaultVersionId", "AttachmentCount", "IsAttachable"})

    def _iam(self) -> Any:
        return iam_backends[self.account_id]["aws"]

    def create(self) -> None:
        props = self.properties
        name = props.get("ManagedPolicyName") or self.name
        policy = self._iam().create_policy(
            description=props.get("Description", ""), path=props.get("Path", "/"),
            policy_document=_versioned(json_text(props["PolicyDocument"])), policy_name=name, tags=[])
        self.physical_id = policy.arn
        self._roles([], props.get("Roles") or [])

    def _roles(self, old: list[str], new: list[str]) -> None:
        iam = self._iam()
        for role in [r for r in old if r not in new]:
            try:
                iam.detach_role_policy(self.physical_id, role)
            except Exception:  # the role is gone already
                pass
        for role in [r for r in new if r not in old]:
            iam.attach_role_policy(self.physical_id, role)

    def update(self, new: dict[str, Any]) -> None:
        iam = self._iam()
        document = _versioned(json_text(new["PolicyDocument"]))
        if document != _versioned(json_text(self.properties["PolicyDocument"])):
            policy = iam.get_policy(self.physical_id)
            if len(policy.versions) >= MAX_VERSIONS:
                oldest = next(v for v in policy.versions if not v.is_default)
                iam.delete_policy_version(self.physical_id, oldest.version_id)
            iam.create_policy_version(self.physical_id, document, set_as_default=True)
        self._roles(self.properties.get("Roles") or [], new.get("Roles") or [])

    def destroy(self) -> None:
        """DeletePolicy's order: detached from every role, its other versions deleted."""
        iam = self._iam()
        if self.physical_id not in iam.managed_policies:
            return
        for role in list(iam.roles.values()):
            if self.physical_id in role.managed_policies:
                iam.detach_role_policy(self.physical_id, role.name)
        policy = iam.get_policy(self.physical_id)
        for version in [v for v in policy.versions if not v.is_default]:
            iam.delete_policy_version(self.physical_id, version.version_id)
        iam.delete_policy(self.physical_id)

    def attribute(self, name: str) -> Any:
        policy = self._iam().get_policy(self.physical_id)
        return {"PolicyArn": policy.arn, "PolicyId": policy.id, "DefaultVersionId": policy.default_version_id,
                "AttachmentCount": policy.attachment_count, "IsAttachable": "true"}[name]


def _versioned(document: str) -> str:
    """The document as moto's CreatePolicy validates it: moto refuses one without
    Version, which IAM accepts (it defaults to 2008-10-17); the template's all name
    2012-10-17, so this only keeps moto from refusing what IAM takes."""
    import json

    parsed = json.loads(document)
    if isinstance(parsed, dict) and "Version" not in parsed:
        return json.dumps({"Version": "2008-10-17", **parsed})
    return document


class Policy(Model):
    """AWS::IAM::Policy (see the module's docstring). No property requires replacement."""

    TYPE = "AWS::IAM::Policy"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-policy.html"
    PROPERTIES = {"PolicyName": ANY, "PolicyDocument": ANY, "Roles": ANY}
    REPLACEMENT = frozenset()

    def _iam(self) -> Any:
        return iam_backends[self.account_id]["aws"]

    def create(self) -> None:
        import uuid

        self.physical_id = f"{self.logical_resource_id[:5]}-{uuid.uuid4().hex[:12].upper()}"
        for role in self.properties.get("Roles") or []:
            _put_role_policy(self._iam(), role, self.properties["PolicyName"],
                             json_text(self.properties["PolicyDocument"]))

    def _remove(self, properties: dict[str, Any], keep: set[str]) -> None:
        iam = self._iam()
        for role in properties.get("Roles") or []:
            if role in keep:
                continue
            try:
                iam.delete_role_policy(role, properties["PolicyName"])
            except Exception:  # the role or the policy is gone already
                pass

    def update(self, new: dict[str, Any]) -> None:
        same_name = new["PolicyName"] == self.properties["PolicyName"]
        self._remove(self.properties, set(new.get("Roles") or []) if same_name else set())
        for role in new.get("Roles") or []:
            _put_role_policy(self._iam(), role, new["PolicyName"], json_text(new["PolicyDocument"]))

    def destroy(self) -> None:
        self._remove(self.properties, set())


register(Role, ManagedPolicy, Policy)
