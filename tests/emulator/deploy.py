"""Deploy template.yaml into the local emulator, as `sam deploy` deploys it into AWS, and
write the stack's settings to an env file.

    python tests/emulator/deploy.py --endpoint URL --out .local/stack.env
        [--stack homedir-local] [--region us-east-1] [--template template.yaml]
        [--parameter KEY=VALUE]... [--demo-users] [--signing-key PATH] [--no-fixtures]
        [--wait SECONDS] [--cache DIR]

1. The SAM template is transformed to plain CloudFormation offline with aws-sam-translator
   (the library `sam validate` and the SAM transform use), with the template's own
   parameters and defaults (plus any --parameter); CodeUri is stubbed, as no code is
   uploaded.
2. What the local stack does not run is left out, and said so, resource by resource:
   the HTTP API and its stage (homedir-gateway serves its routes), the permissions that
   let that API invoke the functions, and the alarms, topic and budget (they watch the
   deployed API and functions; they exist only with AlarmEmail). Outputs that name a
   left-out resource are left out too. A kept resource that refers to a left-out one
   fails the deploy. The functions are deployed (the emulator's Lambda knows their
   names, ARNs, roles, environments and binaries; homedir-gateway runs the binaries),
   with their permissions, roles and log groups.
3. The rest is created as a CloudFormation stack through the emulator's CloudFormation
   endpoint (CreateStack), or, when the stack exists (make dev's saved state, a second
   run), updated in place (UpdateStack), or left alone when neither the template nor the
   parameters changed. The emulator models every resource type and property the
   template uses; anything else fails the deploy with its name (homedir_aws/cfn.py).
4. The settings come from the stack: its outputs (Region, UserPoolId, UserPoolClientId,
   IdentityPoolId, BucketName), its HomePrefix parameter, and write-file's UPLOAD_ID_KEY
   read from the stack's UploadIdKey secret (as the deployment resolves it into the
   function's environment: never an output). The stack's functions: FUNCTION_BINARIES
   (their binaries, Metadata.BuildProperties.Binary) and FUNCTIONS_CONFIG, a file beside
   the settings with each binary's function name, ARN, timeout, memory size,
   environment (the template's, as deployed) and role credentials, for
   homedir-gateway's --function-config; the emulator's function key
   (AKIAHOMEDIRFUNCTION0) is bound to the role of the function built from
   --function-key-binary (read-file: the file API's).
5. Unless --no-fixtures, provision.py adds what only tests need (the demo users, a second
   user pool and client, a client the identity pool does not list).

All calls use the emulator's admin key: this script never touches real AWS. With --wait,
it transforms the template first and then waits (up to SECONDS) for the emulator to
answer: scripts/local-stack.sh starts it beside the emulator, so the transform runs while
the emulator starts.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE = ROOT / "template.yaml"
STACK = "homedir-local"
REGION = "us-east-1"
ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
ADMIN_SECRET_KEY = "local"
CODE_URI = "s3://homedir-local-code/functions.zip"
SECRET_RESOURCE = "UploadIdKey"

LEFT_OUT = {
    "AWS::ApiGatewayV2::Api": "the HTTP API (homedir-gateway serves its routes)",
    "AWS::ApiGatewayV2::Stage": "the HTTP API (homedir-gateway serves its routes)",
    "AWS::SNS::Topic": "alarms and budget (they watch the deployed API and functions)",
    "AWS::SNS::TopicPolicy": "alarms and budget (they watch the deployed API and functions)",
    "AWS::CloudWatch::Alarm": "alarms and budget (they watch the deployed API and functions)",
    "AWS::Budgets::Budget": "alarms and budget (they watch the deployed API and functions)",
}
"""Resource types the local stack leaves out, and why (said at every deploy)."""

ONLY_FOR = "resources only the left-out ones use"
PERMISSIONS_OF = "the HTTP API's permissions to invoke the functions (homedir-gateway serves the routes)"
FUNCTION_KEY_BINARY = "read-file"


class DeployError(Exception):
    """The deploy failed; the message says why (the emulator's reason included)."""


# --------------------------------------------------------------------------
# 1. The SAM transform, offline
# --------------------------------------------------------------------------


def load_template(path: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text())


def transform(sam_template: Mapping[str, Any], parameters: Mapping[str, str], region: str,
              stack_name: str) -> dict[str, Any]:
    """The SAM template as plain CloudFormation (aws-sam-translator, no AWS call)."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(dict(sam_template))
    function_globals = (template.get("Globals") or {}).get("Function")
    if isinstance(function_globals, dict) and "CodeUri" in function_globals:
        function_globals["CodeUri"] = CODE_URI
    for resource in (template.get("Resources") or {}).values():
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in (resource.get("Properties") or {}):
            resource["Properties"]["CodeUri"] = CODE_URI
    declared = template.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, value in parameters.items():  # CloudFormation hands lists to the transform as lists
        values[name] = value.split(",") if (declared.get(name) or {}).get("Type") == "CommaDelimitedList" else value
    values.update({"AWS::Region": region, "AWS::StackName": stack_name, "AWS::Partition": "aws",
                   "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com"})
    session = boto3.Session(region_name=region, aws_access_key_id=ADMIN_ACCESS_KEY,
                            aws_secret_access_key=ADMIN_SECRET_KEY)
    translated = Translator(None, Parser(), boto_session=session).translate(
        template, parameter_values=values, get_managed_policy_map=lambda: {})
    return json.loads(json.dumps(translated))  # plain dicts and lists


# --------------------------------------------------------------------------
# 2. What the local stack leaves out
# --------------------------------------------------------------------------


@dataclass
class Plan:
    template: dict[str, Any]
    left_out: dict[str, list[str]] = field(default_factory=dict)  # reason -> logical ids
    left_out_outputs: list[str] = field(default_factory=list)


_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def _references(value: Any) -> set[str]:
    """Names a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub), as
    homedir_aws/cfn.py's references() (not imported: it loads moto)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    found.add(target.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found.update(m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(text))
                if isinstance(inner, list) and len(inner) > 1:
                    found |= _references(inner[1])
            else:
                found |= _references(inner)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def condition_holds(template: Mapping[str, Any], name: str | None, parameters: Mapping[str, str]) -> bool:
    """A template condition, evaluated with the parameters (and defaults) as CloudFormation
    would: Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition, Ref, Fn::Join."""
    if not name:
        return True
    declared = template.get("Parameters") or {}

    def value(expression: Any) -> Any:
        if isinstance(expression, dict) and "Ref" in expression:
            ref = expression["Ref"]
            spec = declared.get(ref) or {}
            raw = parameters.get(ref, spec.get("Default"))
            if spec.get("Type") == "CommaDelimitedList":
                return [] if raw is None else (raw if isinstance(raw, list) else str(raw).split(","))
            return "" if raw is None else str(raw)
        if isinstance(expression, dict) and "Fn::Join" in expression:
            separator, items = expression["Fn::Join"]
            items = value(items)
            return separator.join(str(value(i)) for i in items) if isinstance(items, list) else str(items)
        if isinstance(expression, dict) and "Condition" in expression:
            return condition_holds(template, expression["Condition"], parameters)
        if isinstance(expression, list):
            return [value(item) for item in expression]
        if isinstance(expression, dict):
            return truth(expression)
        return str(expression).lower() if isinstance(expression, bool) else str(expression)

    def truth(expression: Any) -> bool:
        (operator, arguments), = expression.items()
        if operator == "Fn::Equals":
            return str(value(arguments[0])) == str(value(arguments[1]))
        if operator == "Fn::Not":
            return not truth_of(arguments[0])
        if operator == "Fn::And":
            return all(truth_of(a) for a in arguments)
        if operator == "Fn::Or":
            return any(truth_of(a) for a in arguments)
        if operator == "Condition":
            return condition_holds(template, arguments, parameters)
        raise DeployError(f"condition {name}: {operator} is not evaluated by deploy.py")

    def truth_of(expression: Any) -> bool:
        return truth(expression) if isinstance(expression, dict) else bool(expression)

    return truth((template.get("Conditions") or {})[name])


def plan(template: Mapping[str, Any], parameters: Mapping[str, str]) -> Plan:
    """The template without what the local stack leaves out, and what that is."""
    resources: dict[str, Any] = dict(template.get("Resources") or {})
    reason_of: dict[str, str] = {lid: LEFT_OUT[r["Type"]] for lid, r in resources.items() if r["Type"] in LEFT_OUT}
    for lid, resource in resources.items():  # a permission for what is left out (the HTTP API) goes with it
        if resource["Type"] == "AWS::Lambda::Permission" and _references(resource.get("Properties")) & set(reason_of):
            reason_of[lid] = PERMISSIONS_OF
    referrers: dict[str, set[str]] = {lid: set() for lid in resources}
    needs: dict[str, set[str]] = {}
    for lid, resource in resources.items():
        depends = resource.get("DependsOn") or []
        needs[lid] = (_references(resource.get("Properties")) | set([depends] if isinstance(depends, str)
                                                                      else depends)) & set(resources)
        for other in needs[lid]:
            referrers[other].add(lid)
    changed = True
    while changed:  # what exists only for left-out resources goes with them
        changed = False
        for lid in resources:
            if lid in reason_of or not (needs[lid] & set(reason_of)):
                continue
            if referrers[lid] and referrers[lid] <= set(reason_of):
                reason_of[lid] = ONLY_FOR
                changed = True
    for lid in resources:
        if lid not in reason_of and needs[lid] & set(reason_of):
            blocked = sorted(needs[lid] & set(reason_of))
            raise DeployError(f"{lid} ({resources[lid]['Type']}) refers to {', '.join(blocked)}, which the local "
                              "stack leaves out: it cannot be deployed locally as it is")
    kept = copy.deepcopy(dict(template))
    kept["Resources"] = {lid: r for lid, r in resources.items() if lid not in reason_of}
    outputs = dict(template.get("Outputs") or {})
    dropped = sorted(name for name, output in outputs.items() if _references(output) & set(reason_of))
    kept["Outputs"] = {name: output for name, output in outputs.items() if name not in dropped}
    if not kept["Outputs"]:
        kept.pop("Outputs")
    result = Plan(kept, left_out_outputs=[o for o in dropped
                                          if condition_holds(template, outputs[o].get("Condition"), parameters)])
    for lid, reason in reason_of.items():
        if condition_holds(template, resources[lid].get("Condition"), parameters):
            result.left_out.setdefault(reason, []).append(lid)
    return result


def describe_left_out(found: Plan) -> list[str]:
    lines = [f"  {reason}: {', '.join(ids)}" for reason, ids in found.left_out.items()]
    if found.left_out_outputs:
        lines.append(f"  outputs naming them: {', '.join(found.left_out_outputs)}")
    return lines


# --------------------------------------------------------------------------
# 3. The stack, created or updated through the emulator's CloudFormation
# --------------------------------------------------------------------------


def admin_session(region: str) -> boto3.Session:
    return boto3.Session(aws_access_key_id=ADMIN_ACCESS_KEY, aws_secret_access_key=ADMIN_SECRET_KEY,
                         region_name=region)


def client(session: boto3.Session, service: str, endpoint: str) -> Any:
    return session.client(service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


@dataclass
class Deployed:
    stack: dict[str, Any]
    action: str  # "created", "updated" or "up to date"
    plan: Plan
    seconds: float

    def output(self, name: str) -> str:
        for output in self.stack.get("Outputs") or []:
            if output["OutputKey"] == name:
                return output["OutputValue"]
        raise DeployError(f"the stack {self.stack['StackName']} has no output {name}")

    def has_parameter(self, name: str) -> bool:
        return any(p["ParameterKey"] == name for p in self.stack.get("Parameters") or [])

    def parameter(self, name: str) -> str:
        for parameter in self.stack.get("Parameters") or []:
            if parameter["ParameterKey"] == name:
                return parameter["ParameterValue"]
        raise DeployError(f"the stack {self.stack['StackName']} has no parameter {name}")


def _stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def _effective(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """Every parameter's value as the stack would resolve it: given, else the default."""
    values = {}
    for name, spec in (template.get("Parameters") or {}).items():
        value = given.get(name, spec.get("Default"))
        values[name] = ",".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    return values


def wait_for(endpoint: str, seconds: float) -> None:
    """Until the emulator answers its health check; DeployError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/_homedir/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise DeployError(f"the emulator at {endpoint} did not answer within {seconds:.0f} s")
        time.sleep(0.05)


def cached_transform(template_path: Path, parameters: Mapping[str, str], region: str, stack_name: str,
                     cache: Path | None) -> dict[str, Any]:
    """transform() of the template file, or the same result kept in `cache` from a run
    with the same template text, parameters, region, stack name, translator and
    deploy.py (make dev's restarts skip importing aws-sam-translator)."""
    if cache is None:
        return transform(load_template(template_path), parameters, region, stack_name)
    from importlib.metadata import version

    key = hashlib.sha256(json.dumps([
        template_path.read_text(), sorted(parameters.items()), region, stack_name,
        version("aws-sam-translator"), Path(__file__).read_text(),
    ]).encode()).hexdigest()
    kept = cache / f"{stack_name}.json"
    try:
        found = json.loads(kept.read_text())
        if found.get("key") == key:
            return found["template"]
    except (OSError, ValueError):
        pass
    template = transform(load_template(template_path), parameters, region, stack_name)
    cache.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(kept.name + f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"key": key, "template": template}))
    partial.replace(kept)
    return template


def deploy(endpoint: str, stack_name: str = STACK, parameters: Mapping[str, str] | None = None,
           template_path: Path = TEMPLATE, region: str = REGION, sam_template: Mapping[str, Any] | None = None,
           say: Callable[[str], None] = lambda line: print(line, file=sys.stderr), wait: float = 0,
           cache: Path | None = None) -> Deployed:
    """Transform, plan and create or update the stack; DeployError if it fails. With
    `wait`, the emulator may still be starting: it is waited for after the transform.
    With `cache`, the transform of an unchanged template is reused."""
    started = time.monotonic()
    parameters = dict(parameters or {})
    try:
        if sam_template is not None:
            template = transform(sam_template, parameters, region, stack_name)
        else:
            template = cached_transform(template_path, parameters, region, stack_name, cache)
    except Exception as error:  # the translator's own messages name the problem
        raise DeployError(f"the SAM transform of {template_path.name} failed: {error}") from error
    found = plan(template, parameters)
    body = json.dumps(found.template, sort_keys=True)
    declared = found.template.get("Parameters") or {}
    given = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in sorted(parameters.items()) if k in declared]
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise DeployError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")

    if wait:
        wait_for(endpoint, wait)
        started = time.monotonic()  # the deploy's own time, not the emulator's start
    session = admin_session(region)
    cloudformation = client(session, "cloudformation", endpoint)
    existing = _stack(cloudformation, stack_name)
    try:
        if existing is None:
            cloudformation.create_stack(StackName=stack_name, TemplateBody=body, Parameters=given)
            action = "created"
        else:
            current = cloudformation.get_template(StackName=stack_name)["TemplateBody"]
            current_text = current if isinstance(current, str) else json.dumps(current, sort_keys=True)
            current_values = {p["ParameterKey"]: p["ParameterValue"] for p in existing.get("Parameters") or []}
            wanted = _effective(found.template, parameters)
            if current_text == body and all(current_values.get(k) == v for k, v in wanted.items()):
                action = "up to date"
            else:
                cloudformation.update_stack(StackName=stack_name, TemplateBody=body, Parameters=given)
                action = "updated"
    except ClientError as error:
        raise DeployError(f"stack {stack_name}: {error.response['Error'].get('Message', error)}") from error
    stack = _stack(cloudformation, stack_name)
    if stack is None or not stack["StackStatus"].endswith("_COMPLETE") or "ROLLBACK" in stack["StackStatus"]:
        raise DeployError(f"stack {stack_name}: {stack['StackStatus'] if stack else 'gone'}")
    deployed = Deployed(stack, action, found, time.monotonic() - started)
    resources = sum(1 for r in found.template["Resources"].values()
                    if condition_holds(found.template, r.get("Condition"), parameters))
    say(f"deploy: stack {stack_name} {action} from {template_path.name} ({resources} resources) "
        f"in {deployed.seconds:.2f} s; left out of the local stack:")
    for line in describe_left_out(found):
        say(line)
    return deployed


# --------------------------------------------------------------------------
# 4. The settings, from the stack
# --------------------------------------------------------------------------


def stack_settings(endpoint: str, deployed: Deployed, region: str = REGION) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": deployed.output("Region"),
        "STACK_NAME": deployed.stack["StackName"],
        "USER_POOL_ID": deployed.output("UserPoolId"),
        "USER_POOL_CLIENT_ID": deployed.output("UserPoolClientId"),
        "IDENTITY_POOL_ID": deployed.output("IdentityPoolId"),
        "BUCKET_NAME": deployed.output("BucketName"),
        "HOME_PREFIX": deployed.parameter("HomePrefix"),
        **({"TEAM_PREFIX": deployed.parameter("TeamPrefix")} if deployed.has_parameter("TeamPrefix") else {}),
        # the usage table (its output), for suites that run the API with its quota gate
        **({"USAGE_TABLE": deployed.output("UsageTableName")}
           if any(o["OutputKey"] == "UsageTableName" for o in deployed.stack.get("Outputs") or []) else {}),
    }


def upload_id_key(endpoint: str, stack_name: str, region: str = REGION) -> str:
    """write-file's UPLOAD_ID_KEY: the stack's UploadIdKey secret, as the deployment
    resolves {{resolve:secretsmanager:...}} into the function's environment."""
    session = admin_session(region)
    resource = client(session, "cloudformation", endpoint).describe_stack_resource(
        StackName=stack_name, LogicalResourceId=SECRET_RESOURCE)["StackResourceDetail"]
    return client(session, "secretsmanager", endpoint).get_secret_value(
        SecretId=resource["PhysicalResourceId"])["SecretString"]


def stack_functions(endpoint: str, stack_name: str, region: str = REGION) -> list[dict[str, Any]]:
    """The stack's functions as the emulator's Lambda holds them (binary and role
    credentials included), in the stack's order."""
    session = admin_session(region)
    listed = client(session, "cloudformation", endpoint).list_stack_resources(StackName=stack_name)
    names = [r["PhysicalResourceId"] for r in listed["StackResourceSummaries"]
             if r["ResourceType"] == "AWS::Lambda::Function"]
    with urllib.request.urlopen(f"{endpoint}/_homedir/lambda/functions", timeout=10) as answer:
        records = {f["FunctionName"]: f for f in json.load(answer)["functions"]}
    found = [records[name] for name in names if name in records]
    binaries = [f["Binary"] for f in found]
    twice = sorted({b for b in binaries if binaries.count(b) > 1})
    if twice:
        raise DeployError(f"the stack's functions share the binaries {', '.join(twice)}: homedir-gateway serves each "
                          "binary as one function")
    return found


def function_config(functions: list[dict[str, Any]]) -> dict[str, Any]:
    """homedir-gateway's --function-config: each binary's function."""
    return {"functions": {f["Binary"]: {
        "name": f["FunctionName"], "arn": f["FunctionArn"], "timeout": f["Timeout"], "memory": f["MemorySize"],
        "environment": f["Environment"]["Variables"], "credentials": f["Credentials"],
    } for f in functions}}


def bind_function_key(endpoint: str, functions: list[dict[str, Any]], binary: str) -> str | None:
    """The emulator's function key plays the role of the function built from `binary`
    (the in-process harnesses run the file API with it); None if the stack has none."""
    for function in functions:
        if function["Binary"] == binary:
            request = urllib.request.Request(
                f"{endpoint}/_homedir/lambda/function-key", method="POST",
                data=json.dumps({"function": function["FunctionArn"]}).encode(),
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10):
                return function["FunctionArn"]
    return None


def write_env_file(path: Path, settings: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    partial.replace(path)


def parse_parameters(pairs: Iterable[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise SystemExit(f"deploy.py: --parameter wants KEY=VALUE, not {pair!r}")
        parameters[key] = value
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy template.yaml into the local emulator.")
    parser.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, required=True, help="env file to write, e.g. .local/stack.env")
    parser.add_argument("--stack", default=STACK, help=f"stack name (default {STACK})")
    parser.add_argument("--region", default=REGION)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="a template parameter (repeatable); the others keep their defaults")
    parser.add_argument("--demo-users", action="store_true", help="also create alice and bob, confirmed")
    parser.add_argument("--signing-key", type=Path, help="the emulator's signing-key.pem, recorded for tests")
    parser.add_argument("--no-fixtures", action="store_true", help="deploy only: no test fixtures")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep the transformed template in DIR: an unchanged template is not transformed again")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                        help="the emulator may still be starting: transform first, then wait for it")
    parser.add_argument("--function-key-binary", default=FUNCTION_KEY_BINARY, metavar="BINARY",
                        help="the function whose role the emulator's function key plays (default read-file)")
    args = parser.parse_args(argv)

    endpoint = args.endpoint.rstrip("/")
    try:
        deployed = deploy(endpoint, args.stack, parse_parameters(args.parameter), args.template, args.region,
                          wait=args.wait, cache=args.cache)
        settings = stack_settings(endpoint, deployed, args.region)
        if not args.no_fixtures:
            sys.path.insert(0, str(HERE))
            import provision

            settings.update(provision.fixtures(admin_session(args.region), endpoint, args.stack,
                                               settings["USER_POOL_ID"], args.demo_users))
        if args.signing_key:
            settings["EMULATOR_SIGNING_KEY"] = str(args.signing_key.resolve())
        settings["UPLOAD_ID_KEY"] = upload_id_key(endpoint, args.stack, args.region)
        functions = stack_functions(endpoint, args.stack, args.region)
        config = args.out.with_name(args.out.stem + ".functions.json")
        config.parent.mkdir(parents=True, exist_ok=True)
        partial = config.with_name(config.name + ".tmp")
        partial.write_text(json.dumps(function_config(functions), indent=1))
        partial.chmod(0o600)  # role credentials and UPLOAD_ID_KEY
        partial.replace(config)
        settings["FUNCTION_BINARIES"] = ",".join(f["Binary"] for f in functions)
        settings["FUNCTIONS_CONFIG"] = str(config.resolve())
        bound = bind_function_key(endpoint, functions, args.function_key_binary)
        if bound:
            print(f"deploy: the function key (AKIAHOMEDIRFUNCTION0) plays the role of {bound}", file=sys.stderr)
        else:
            print(f"deploy: no function of the stack is built from {args.function_key_binary}: the function key "
                  "plays no role", file=sys.stderr)
    except DeployError as error:
        print(f"deploy: FAILED: {error}", file=sys.stderr)
        return 1
    write_env_file(args.out, settings)
    print(f"deploy: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    sys.exit(main())
