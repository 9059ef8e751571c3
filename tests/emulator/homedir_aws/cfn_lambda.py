"""z. The Lambda and CloudWatch Logs models of the emulator's CloudFormation (cfn.py), as
the Template Reference documents AWS::Lambda::Function, AWS::Lambda::Permission and
AWS::Logs::LogGroup.

A function is registered with the emulator's Lambda (lambdas.py, correction ab): its
name and ARN resolve (Ref, Fn::GetAtt Arn), so what refers to it deploys (a bucket's
notification, a permission), the Invoke API answers it, and homedir-gateway runs the
binary its resource's Metadata names (BuildProperties.Binary, what `sam build` builds
with cargo-lambda: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-rust.html).
Code is kept, not fetched: the local build runs. A function without that Metadata fails
the deploy by name. Lambda refuses a role it cannot assume (InvalidParameterValueException
"The role defined for the function cannot be assumed by Lambda"): the role must exist
and trust lambda.amazonaws.com with sts:AssumeRole.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html

A permission adds its statement to the function's resource-based policy, as AddPermission
writes it; the emulator's Lambda decides service invocations with it.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html
https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html

A log group is created in moto's CloudWatch Logs (DescribeLogGroups answers it, with its
retention) so that its name and ARN resolve for the roles and functions that name it;
nothing is written to it: homedir-gateway prints the functions' logs.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
"""

from __future__ import annotations

import json
import time
from typing import Any

from . import iam
from .cfn import ANY, Model, TemplateError, register
from .lambdas import REGISTRY, Function as FunctionRecord

LAMBDA_PRINCIPAL = ("Service", "lambda.amazonaws.com")


class Function(Model):
    """AWS::Lambda::Function. Replacement when FunctionName changes; everything else
    (role, environment, timeout, memory, the binary in Metadata) in place, the function's
    credentials kept."""

    TYPE = "AWS::Lambda::Function"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html"
    NAME_PROPERTY = "FunctionName"
    PROPERTIES = {
        "FunctionName": ANY,
        "Code": {"S3Bucket": ANY, "S3Key": ANY, "S3ObjectVersion": ANY, "ZipFile": ANY, "ImageUri": ANY},
        "PackageType": ANY,
        "Handler": ANY,
        "Runtime": ANY,
        "Architectures": ANY,
        "MemorySize": ANY,
        "Timeout": ANY,
        "Role": ANY,
        "Description": ANY,
        "Environment": {"Variables": ANY},
        "EphemeralStorage": {"Size": ANY},
        "LoggingConfig": {"LogFormat": ANY, "LogGroup": ANY, "ApplicationLogLevel": ANY, "SystemLogLevel": ANY},
        "Tags": [{"Key": ANY, "Value": ANY}],
    }
    REPLACEMENT = frozenset({"FunctionName"})
    ATTRIBUTES = frozenset({"Arn"})
    USES_METADATA = True

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.physical_id}"

    def _binary(self) -> str:
        binary = (self.metadata.get("BuildProperties") or {}).get("Binary")
        if not isinstance(binary, str) or not binary:
            raise TemplateError(
                f"{self.logical_resource_id} ({self.TYPE}): no Metadata.BuildProperties.Binary: the local emulator "
                "cannot tell which binary of the workspace runs it (homedir-gateway serves binaries by name)")
        return binary

    def _check_role(self, role_arn: str) -> None:
        from .identitypools import find_role

        role = find_role(self.account_id, role_arn) if isinstance(role_arn, str) else None
        trusted = False
        if role is not None:
            document = role.assume_role_policy_document
            document = json.loads(document) if isinstance(document, str) else document
            trusted = iam.evaluate_trust(document, "sts:AssumeRole", LAMBDA_PRINCIPAL, {}) == iam.ALLOW
        if not trusted:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}) failed: InvalidParameterValueException: "
                                "The role defined for the function cannot be assumed by Lambda.")

    def _record(self, props: dict[str, Any], previous: FunctionRecord | None) -> FunctionRecord:
        self._check_role(props.get("Role"))
        variables = (props.get("Environment") or {}).get("Variables") or {}
        record = FunctionRecord(
            name=self.physical_id, arn=self.arn, account_id=self.account_id, region=self.region,
            binary=self._binary(), role_arn=props["Role"],
            environment={str(k): v if isinstance(v, str) else json.dumps(v) for k, v in variables.items()},
            timeout=int(props.get("Timeout", 3)), memory=int(props.get("MemorySize", 128)),
            description=props.get("Description", ""), runtime=props.get("Runtime", ""),
            handler=props.get("Handler", ""), architectures=list(props.get("Architectures") or ["x86_64"]))
        if previous is not None:  # the same function: its policy and credentials stay
            record.statements = previous.statements
            record.access_key, record.secret_key = previous.access_key, previous.secret_key
            record.session_token = previous.session_token
        return record

    def create(self) -> None:
        self.physical_id = self.properties.get("FunctionName") or self.name
        REGISTRY.register(self._record(self.properties, None))

    def update(self, new: dict[str, Any]) -> None:
        previous = REGISTRY.functions.get(self.arn)
        record = self._record(new, previous)
        record.modified = time.time()
        REGISTRY.register(record)

    def destroy(self) -> None:
        REGISTRY.remove(self.arn)

    def attribute(self, name: str) -> Any:
        return self.arn


class Permission(Model):
    """AWS::Lambda::Permission: one statement of the function's resource-based policy.
    Every property requires replacement (the page says so of each)."""

    TYPE = "AWS::Lambda::Permission"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html"
    PROPERTIES = {"Action": ANY, "FunctionName": ANY, "Principal": ANY, "SourceArn": ANY, "SourceAccount": ANY}
    REPLACEMENT = frozenset({"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount"})

    function_arn = ""

    def statement(self) -> dict[str, Any]:
        props = self.properties
        principal = str(props["Principal"])
        if principal == "*":
            who: Any = "*"
        elif principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
            who = {"Service": principal}
        elif principal.isdigit():
            who = {"AWS": f"arn:aws:iam::{principal}:root"}
        else:
            who = {"AWS": principal}
        condition: dict[str, Any] = {}
        if props.get("SourceAccount"):
            condition["StringEquals"] = {"AWS:SourceAccount": str(props["SourceAccount"])}
        if props.get("SourceArn"):
            condition["ArnLike"] = {"AWS:SourceArn": str(props["SourceArn"])}
        statement = {"Sid": self.physical_id, "Effect": "Allow", "Principal": who, "Action": props["Action"],
                     "Resource": self.function_arn}
        if condition:
            statement["Condition"] = condition
        return statement

    def create(self) -> None:
        function = REGISTRY.find(str(self.properties["FunctionName"]), self.account_id)
        if function is None:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}) failed: ResourceNotFoundException: "
                                f"Function not found: {self.properties['FunctionName']}")
        self.physical_id = self.name
        self.function_arn = function.arn
        REGISTRY.add_statement(function.arn, self.statement())

    def update(self, new: dict[str, Any]) -> None:
        """Never called: every change replaces a permission."""

    def destroy(self) -> None:
        REGISTRY.remove_statement(self.function_arn, self.physical_id)


class LogGroup(Model):
    """AWS::Logs::LogGroup. Replacement when LogGroupName or LogGroupClass change."""

    TYPE = "AWS::Logs::LogGroup"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html"
    NAME_PROPERTY = "LogGroupName"
    PROPERTIES = {"LogGroupName": ANY, "RetentionInDays": ANY, "LogGroupClass": ANY,
                  "Tags": [{"Key": ANY, "Value": ANY}]}
    REPLACEMENT = frozenset({"LogGroupName", "LogGroupClass"})
    ATTRIBUTES = frozenset({"Arn"})

    def _logs(self) -> Any:
        from moto.logs.models import logs_backends

        return logs_backends[self.account_id][self.region]

    def create(self) -> None:
        self.physical_id = self.properties.get("LogGroupName") or self.name
        tags = {tag["Key"]: tag["Value"] for tag in self.properties.get("Tags") or []}
        self._logs().create_log_group(self.physical_id, tags)
        self.update(self.properties)

    def update(self, new: dict[str, Any]) -> None:
        logs = self._logs()
        if new.get("RetentionInDays") is not None:
            logs.put_retention_policy(self.physical_id, int(new["RetentionInDays"]))
        else:
            logs.delete_retention_policy(self.physical_id)

    def destroy(self) -> None:
        try:
            self._logs().delete_log_group(self.physical_id)
        except Exception:  # already gone
            pass

    def attribute(self, name: str) -> Any:
        return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{self.physical_id}:*"


register(Function, Permission, LogGroup)
