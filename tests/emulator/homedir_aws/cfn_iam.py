"""z. The IAM role model of the emulator's CloudFormation (cfn.py), as the Template
Reference documents AWS::IAM::Role: the role, its trust policy, its inline policies
(stored as the JSON text IAM keeps and GetRolePolicy answers; moto's own model kept a
Python repr; a document without Version is accepted, as IAM accepts it, which moto
refused) and its managed policies (an AWS managed one, such as the
AWSLambdaBasicExecutionRole SAM attaches to a function's role, taken from moto's copy),
in moto's IAM. These stored documents are what
the emulator authorizes with: the trust policy when Cognito assumes the role
(identitypools.py), the inline and managed policies for every S3 request made with the
role's credentials (s3auth.py).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import iam_backends

from .cfn import ANY, Model, json_text, register


class Role(Model):
    """AWS::IAM::Role. Replacement when RoleName or Path change; everything else (trust
    policy, inline and managed policies, description, MaxSessionDuration, tags) is updated
    in place. PermissionsBoundary is not modelled."""

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
            permissions_boundary=None,
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


register(Role)
