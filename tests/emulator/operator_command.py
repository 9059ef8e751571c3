"""What the tests of `make team` and `make quota` share (test_team_command.py,
test_quota_command.py): a user pool of the test module's own with the one custom
attribute the command sets, shaped like the template's (the app client reads it and
cannot write it), an env file naming it as .local/stack.env names the stack's, users
in it, and the command run as a script or through make."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import claims_of, free_port, unique

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Homedir-Test-1"


@dataclass(frozen=True)
class Command:
    """`make VERB EMAIL=… ARGUMENT=…`, running scripts/SCRIPT, which sets custom:NAME
    (at most MAX_LENGTH characters)."""

    verb: str
    argument: str
    name: str
    max_length: int

    @property
    def script(self) -> Path:
        return REPO / "scripts" / f"{self.verb}.py"

    @property
    def attribute(self) -> str:
        return f"custom:{self.name}"

    def pool(self, idp: Any) -> dict[str, str]:
        pool_id = idp.create_user_pool(
            PoolName=unique(f"{self.verb}-command"), UsernameAttributes=["email"],
            Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                    {"Name": self.name, "AttributeDataType": "String", "Mutable": True,
                     "StringAttributeConstraints": {"MinLength": "1", "MaxLength": str(self.max_length)}}],
        )["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
            ReadAttributes=["email", "email_verified", self.attribute], WriteAttributes=["email"],
        )["UserPoolClient"]["ClientId"]
        return {"pool": pool_id, "client": client_id}

    def stack_env(self, url: str, pool: dict[str, str], directory: Path) -> Path:
        path = directory / "stack.env"
        path.write_text(f"AWS_ENDPOINT_URL={url}\nAWS_REGION=us-east-1\n"
                        f"USER_POOL_ID={pool['pool']}\nUSER_POOL_CLIENT_ID={pool['client']}\n")
        return path

    def user(self, idp: Any, pool: dict[str, str], prefix: str) -> str:
        email = f"{unique(prefix)}@example.com"
        idp.admin_create_user(UserPoolId=pool["pool"], Username=email, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": email}])
        idp.admin_set_user_password(UserPoolId=pool["pool"], Username=email, Password=PASSWORD, Permanent=True)
        return email

    def run(self, args: list[str], env_file: Path, make: bool = False) -> subprocess.CompletedProcess[str]:
        """scripts/VERB.py EMAIL VALUE, or `make VERB` with the same (make: EMAIL=… ARGUMENT=…)."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("AWS_ENDPOINT_URL", "USER_POOL_ID", "AWS_REGION", "EMAIL", self.argument)}
        env["HOMEDIR_STACK_ENV"] = str(env_file)
        if make:
            # The interpreter running the tests, and the venv taken as it is (-o): the test
            # must not create or reinstall the project venv.
            command = ["make", "-s", "--no-print-directory", "-o", ".venv/.installed", f"PY={sys.executable}",
                       self.verb, *args]
        else:
            command = [sys.executable, str(self.script), *args]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)

    def value_of(self, idp: Any, pool: dict[str, str], email: str) -> str | None:
        """The attribute as the pool holds it."""
        attributes = idp.admin_get_user(UserPoolId=pool["pool"], Username=email)["UserAttributes"]
        return next((entry["Value"] for entry in attributes if entry["Name"] == self.attribute), None)

    def token_value(self, idp: Any, pool: dict[str, str], email: str) -> str | None:
        """The claim in a fresh ID token."""
        result = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=pool["client"],
                                   AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
        return claims_of(result["AuthenticationResult"]["IdToken"]).get(self.attribute)

    def explains_usage_and_failures(self, pool: dict[str, str], stack_env: Path, tmp_path: Path,
                                    value: str, docs: str) -> None:
        """Bad usage exits 2 (no ARGUMENT at all is not an empty one); an unknown user, a
        stopped stack and an env file without an endpoint (a deployed stack: the AWS CLI
        command in `docs`) exit 1 with a line saying so. `value` is a valid ARGUMENT."""
        usage = self.run(["EMAIL=someone@example.com"], stack_env, make=True)
        assert usage.returncode == 2 and f"usage: make {self.verb} EMAIL=" in usage.stderr
        assert self.run([f"{self.argument}={value}"], stack_env, make=True).returncode == 2

        unknown = self.run(["nobody@example.com", value], stack_env)
        assert unknown.returncode == 1
        assert "no user nobody@example.com in the local user pool" in unknown.stderr

        stopped = tmp_path / "stopped.env"
        stopped.write_text(stack_env.read_text().replace(
            next(line for line in stack_env.read_text().splitlines() if line.startswith("AWS_ENDPOINT_URL=")),
            f"AWS_ENDPOINT_URL=http://127.0.0.1:{free_port()}"))
        down = self.run([f"{unique('x')}@example.com", value], stopped)
        assert down.returncode == 1 and "the local stack is not running" in down.stderr and "make dev" in down.stderr

        deployed = tmp_path / "deployed.env"
        deployed.write_text(f"AWS_REGION=us-east-1\nUSER_POOL_ID={pool['pool']}\n")
        no_endpoint = self.run(["someone@example.com", value], deployed)
        assert no_endpoint.returncode == 1 and docs in no_endpoint.stderr

    def help_line(self) -> str:
        """`make help`'s line for the verb."""
        listed = subprocess.run(["make", "-s", "--no-print-directory", "help"], cwd=REPO, capture_output=True,
                                text=True, timeout=30)
        return next(line for line in listed.stdout.splitlines() if line.strip().startswith(f"make {self.verb}"))
