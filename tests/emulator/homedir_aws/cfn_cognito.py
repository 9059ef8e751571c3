"""z. The Cognito resource models of the emulator's CloudFormation (cfn.py): user pool, app
client, domain, identity pool and its role attachment, each as its Template Reference page
documents it, created in moto's Cognito services with the emulator's corrections (the
settings of correction x are then applied, the roles of y decide credentials).

What "honoured" means for each property is in docs/emulator.md; a property not listed in a
model's PROPERTIES, or a value below that the emulator cannot act on, fails the deploy
with its name.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import CognitoIdpUserPoolClient, cognitoidp_backends

from . import identitypools
from .cfn import ANY, Model, TemplateError, register

TEMPLATE_REFERENCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"


def _cognito(account_id: str, region: str) -> Any:
    return cognitoidp_backends[account_id][region]


def _subset(model: Model, path: str, values: Any, allowed: set[str]) -> None:
    for value in values or []:
        if value not in allowed:
            raise model.fail(f"{path} value {value}", f"is not one the emulator serves ({', '.join(sorted(allowed))})")


def _one_of(model: Model, path: str, value: Any, allowed: set[Any]) -> None:
    if value is not None and value not in allowed:
        raise model.fail(f"{path} value {value}", f"is not one the emulator serves ({', '.join(map(str, allowed))})")


class UserPool(Model):
    """AWS::Cognito::UserPool: a moto user pool with the template's configuration as its
    CreateUserPool / UpdateUserPool configuration. Replacement when UsernameAttributes,
    AliasAttributes or UsernameConfiguration change ("Settings you can't change", Amazon
    Cognito Developer Guide: https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-updating.html);
    Schema may only gain custom attributes (Cognito: "Existing schema attributes cannot be
    modified or deleted")."""

    TYPE = "AWS::Cognito::UserPool"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-userpool.html"
    NAME_PROPERTY = "UserPoolName"
    PROPERTIES = {
        "UserPoolName": ANY,
        "DeletionProtection": ANY,
        "UsernameAttributes": ANY,
        "UsernameConfiguration": {"CaseSensitive": ANY},
        "AutoVerifiedAttributes": ANY,
        "Schema": [{"Name": ANY, "AttributeDataType": ANY, "Required": ANY, "Mutable": ANY,
                    "DeveloperOnlyAttribute": ANY,
                    "StringAttributeConstraints": {"MinLength": ANY, "MaxLength": ANY},
                    "NumberAttributeConstraints": {"MinValue": ANY, "MaxValue": ANY}}],
        "Policies": {"PasswordPolicy": {"MinimumLength": ANY, "RequireUppercase": ANY, "RequireLowercase": ANY,
                                        "RequireNumbers": ANY, "RequireSymbols": ANY,
                                        "TemporaryPasswordValidityDays": ANY}},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": ANY, "Priority": ANY}]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": ANY},
        "MfaConfiguration": ANY,
        "EnabledMfas": ANY,
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ANY},
        "EmailConfiguration": {"EmailSendingAccount": ANY, "SourceArn": ANY, "From": ANY,
                               "ReplyToEmailAddress": ANY, "ConfigurationSet": ANY},
        "UserPoolTags": ANY,
        # af: the pre token generation trigger (V1_0); no other trigger is run locally
        "LambdaConfig": {"PreTokenGeneration": ANY, "PreTokenGenerationConfig": {"LambdaVersion": ANY,
                                                                                 "LambdaArn": ANY}},
    }
    REPLACEMENT = frozenset({"UsernameAttributes", "UsernameConfiguration"})
    ATTRIBUTES = frozenset({"Arn", "ProviderName", "ProviderURL", "UserPoolId"})

    def _checked(self, props: dict[str, Any]) -> dict[str, Any]:
        _subset(self, "UsernameAttributes", props.get("UsernameAttributes"), {"email"})
        _subset(self, "AutoVerifiedAttributes", props.get("AutoVerifiedAttributes"), {"email"})
        _subset(self, "EnabledMfas", props.get("EnabledMfas"), {"SOFTWARE_TOKEN_MFA"})
        _one_of(self, "MfaConfiguration", props.get("MfaConfiguration"), {"OFF", "ON", "OPTIONAL"})
        if props.get("MfaConfiguration", "OFF") != "OFF" and not props.get("EnabledMfas"):
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): MfaConfiguration "
                                f"{props['MfaConfiguration']} needs EnabledMfas")
        _one_of(self, "DeletionProtection", props.get("DeletionProtection"), {"ACTIVE", "INACTIVE"})
        _subset(self, "UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate",
                (props.get("UserAttributeUpdateSettings") or {}).get("AttributesRequireVerificationBeforeUpdate"),
                {"email"})
        recovery = (props.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
        _subset(self, "AccountRecoverySetting.RecoveryMechanisms.Name", [m.get("Name") for m in recovery],
                {"verified_email", "admin_only"})
        versioned = (props.get("LambdaConfig") or {}).get("PreTokenGenerationConfig") or {}
        _one_of(self, "LambdaConfig.PreTokenGenerationConfig.LambdaVersion", versioned.get("LambdaVersion"), {"V1_0"})
        config = {key: value for key, value in props.items() if key not in ("UserPoolName", "EnabledMfas")}
        return config

    def create(self) -> None:
        config = self._checked(self.properties)
        pool = _cognito(self.account_id, self.region).create_user_pool(self.name, config)
        self.physical_id = pool.id
        self._mfa(pool, self.properties)

    @staticmethod
    def _mfa(pool: Any, props: dict[str, Any]) -> None:
        pool.mfa_config = props.get("MfaConfiguration") or "OFF"
        pool.token_mfa_config = {"Enabled": True} if "SOFTWARE_TOKEN_MFA" in (props.get("EnabledMfas") or []) \
            else None

    def update(self, new: dict[str, Any]) -> None:
        backend = _cognito(self.account_id, self.region)
        pool = backend.describe_user_pool(self.physical_id)
        config = self._checked(new)
        old_schema = {item.get("Name"): item for item in self.properties.get("Schema") or []}
        new_schema = {item.get("Name"): item for item in new.get("Schema") or []}
        if any(new_schema.get(name) != item for name, item in old_schema.items()):
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): Schema: Existing schema attributes "
                                "cannot be modified or deleted.")
        added = [item for name, item in new_schema.items() if name not in old_schema]
        if added:
            pool.add_custom_attributes(added)
        config.pop("Schema", None)
        pool.name = new.get("UserPoolName") or pool.name
        backend.update_user_pool(self.physical_id, config)
        self._mfa(pool, new)

    def destroy(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool(self.physical_id)

    def attribute(self, name: str) -> Any:
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.physical_id}"
        return {
            "Arn": f"arn:aws:cognito-idp:{self.region}:{self.account_id}:userpool/{self.physical_id}",
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": self.physical_id,
        }[name]


FLOWS = {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
         "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_AUTH"}
VALIDITY_LIMITS = {  # CreateUserPoolClient: 5 minutes to 1 day; refresh 60 minutes to 10 years
    "IdToken": (300, 86400), "AccessToken": (300, 86400), "RefreshToken": (3600, 315360000)}


class UserPoolClient(Model):
    """AWS::Cognito::UserPoolClient: a moto app client whose configuration is the
    template's (CreateUserPoolClient / UpdateUserPoolClient: settings not given go back
    to their defaults). Replacement when UserPoolId or GenerateSecret change."""

    TYPE = "AWS::Cognito::UserPoolClient"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-userpoolclient.html"
    NAME_PROPERTY = ""
    PROPERTIES = {
        "ClientName": ANY,
        "UserPoolId": ANY,
        "GenerateSecret": ANY,
        "ExplicitAuthFlows": ANY,
        "PreventUserExistenceErrors": ANY,
        "EnableTokenRevocation": ANY,
        "IdTokenValidity": ANY,
        "AccessTokenValidity": ANY,
        "RefreshTokenValidity": ANY,
        "TokenValidityUnits": {"IdToken": ANY, "AccessToken": ANY, "RefreshToken": ANY},
        "AuthSessionValidity": ANY,
        "ReadAttributes": ANY,
        "WriteAttributes": ANY,
        "SupportedIdentityProviders": ANY,
        "AllowedOAuthFlowsUserPoolClient": ANY,
        "AllowedOAuthFlows": ANY,
        "AllowedOAuthScopes": ANY,
        "CallbackURLs": ANY,
        "LogoutURLs": ANY,
        "DefaultRedirectURI": ANY,
    }
    REPLACEMENT = frozenset({"UserPoolId", "GenerateSecret"})
    ATTRIBUTES = frozenset({"ClientId", "ClientSecret", "Name"})

    def _config(self, props: dict[str, Any]) -> dict[str, Any]:
        _subset(self, "ExplicitAuthFlows", props.get("ExplicitAuthFlows"), FLOWS)
        _subset(self, "SupportedIdentityProviders", props.get("SupportedIdentityProviders"), {"COGNITO"})
        _one_of(self, "PreventUserExistenceErrors", props.get("PreventUserExistenceErrors"), {"ENABLED", "LEGACY"})
        units = props.get("TokenValidityUnits") or {}
        for token, (low, high) in VALIDITY_LIMITS.items():
            value = props.get(f"{token}Validity")
            if value is None:
                continue
            default_unit = "days" if token == "RefreshToken" else "hours"
            unit = units.get(token) or default_unit
            seconds = int(value) * {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[unit]
            if not low <= seconds <= high:
                raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): {token}Validity {value} {unit} "
                                    "is outside what Cognito accepts")
        config = {key: value for key, value in props.items() if key not in ("UserPoolId", "GenerateSecret")}
        config.setdefault("ClientName", self.name)
        return config

    def create(self) -> None:
        client = _cognito(self.account_id, self.region).create_user_pool_client(
            self.properties["UserPoolId"], bool(self.properties.get("GenerateSecret")), self._config(self.properties))
        self.physical_id = client.id

    def _client(self) -> CognitoIdpUserPoolClient:
        backend = _cognito(self.account_id, self.region)
        return backend.describe_user_pool_client(self.properties["UserPoolId"], self.physical_id)

    def update(self, new: dict[str, Any]) -> None:
        client = self._client()
        defaults = CognitoIdpUserPoolClient(client.user_pool_id, client.generate_secret, None).extended_config
        client.extended_config = {**defaults, **self._config(new)}

    def destroy(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool_client(self.properties["UserPoolId"],
                                                                        self.physical_id)

    def attribute(self, name: str) -> Any:
        client = self._client()
        return {"ClientId": client.id, "ClientSecret": client.secret if client.generate_secret else None,
                "Name": client.extended_config.get("ClientName")}[name]


class UserPoolDomain(Model):
    """AWS::Cognito::UserPoolDomain: a prefix domain of the pool (CreateUserPoolDomain).
    The hosted UI and its OAuth endpoints are not served locally: the domain is kept and
    described (DescribeUserPoolDomain, DescribeUserPool's Domain). Replacement when
    Domain or UserPoolId change; custom domains (CustomDomainConfig) are not modelled."""

    TYPE = "AWS::Cognito::UserPoolDomain"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-userpooldomain.html"
    PROPERTIES = {"Domain": ANY, "UserPoolId": ANY}
    REPLACEMENT = frozenset({"Domain", "UserPoolId"})
    ATTRIBUTES = frozenset({"CloudFrontDistribution"})

    def create(self) -> None:
        backend = _cognito(self.account_id, self.region)
        if backend.describe_user_pool_domain(self.properties["Domain"]) is not None:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): Domain already exists.")
        backend.create_user_pool_domain(self.properties["UserPoolId"], self.properties["Domain"])
        self.physical_id = self.properties["Domain"]

    def update(self, new: dict[str, Any]) -> None:
        """Nothing but the replacement properties to change."""

    def destroy(self) -> None:
        _cognito(self.account_id, self.region).delete_user_pool_domain(self.physical_id)

    def attribute(self, name: str) -> Any:
        domain = _cognito(self.account_id, self.region).describe_user_pool_domain(self.physical_id)
        return domain.to_json().get("DomainDescription", {}).get("CloudFrontDistribution") if domain else None


class IdentityPool(Model):
    """AWS::Cognito::IdentityPool: a moto identity pool (CreateIdentityPool /
    UpdateIdentityPool), its CognitoIdentityProviders verified by corrections a and b
    (ServerSideTokenCheck included). Classic (basic) flow is kept and described, not
    served: GetOpenIdToken is moto's. Every property updates without interruption."""

    TYPE = "AWS::Cognito::IdentityPool"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-identitypool.html"
    NAME_PROPERTY = "IdentityPoolName"
    PROPERTIES = {
        "IdentityPoolName": ANY,
        "AllowUnauthenticatedIdentities": ANY,
        "AllowClassicFlow": ANY,
        "CognitoIdentityProviders": [{"ProviderName": ANY, "ClientId": ANY, "ServerSideTokenCheck": ANY}],
        "IdentityPoolTags": ANY,
    }
    ATTRIBUTES = frozenset({"Id", "Name"})

    def _backend(self) -> Any:
        return cognitoidentity_backends[self.account_id][self.region]

    @staticmethod
    def _tags(props: dict[str, Any]) -> dict[str, str]:
        tags = props.get("IdentityPoolTags") or []
        return {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else dict(tags)

    def create(self) -> None:
        name = self.properties.get("IdentityPoolName") or self.name.replace("-", "_")
        created = self._backend().create_identity_pool(
            identity_pool_name=name,
            allow_unauthenticated_identities=bool(self.properties.get("AllowUnauthenticatedIdentities")),
            supported_login_providers={}, developer_provider_name="", open_id_connect_provider_arns=[],
            cognito_identity_providers=self._providers(self.properties), saml_provider_arns=[],
            tags=self._tags(self.properties))
        self.physical_id = json.loads(created)["IdentityPoolId"]
        self._classic_flow(self.properties)

    @staticmethod
    def _providers(props: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"ProviderName": p["ProviderName"], "ClientId": p.get("ClientId"),
                 "ServerSideTokenCheck": bool(p.get("ServerSideTokenCheck", False))}
                for p in props.get("CognitoIdentityProviders") or []]

    def _classic_flow(self, props: dict[str, Any]) -> None:
        pool = self._backend().identity_pools[self.physical_id]
        setattr(pool, identitypools.CLASSIC_FLOW_ATTRIBUTE, bool(props.get("AllowClassicFlow", False)))

    def update(self, new: dict[str, Any]) -> None:
        pool = self._backend().identity_pools[self.physical_id]
        pool.identity_pool_name = new.get("IdentityPoolName") or pool.identity_pool_name
        pool.allow_unauthenticated_identities = bool(new.get("AllowUnauthenticatedIdentities"))
        pool.cognito_identity_providers = self._providers(new)
        pool.tags = self._tags(new)
        self._classic_flow(new)

    def destroy(self) -> None:
        self._backend().delete_identity_pool(self.physical_id)

    def attribute(self, name: str) -> Any:
        pool = self._backend().identity_pools[self.physical_id]
        return {"Id": self.physical_id, "Name": pool.identity_pool_name}[name]


class IdentityPoolRoleAttachment(Model):
    """AWS::Cognito::IdentityPoolRoleAttachment: SetIdentityPoolRoles (identitypools.py,
    correction y), so GetIdentityPoolRoles answers the roles and GetCredentialsForIdentity
    issues credentials of them. RoleMappings are not modelled. Replacement when
    IdentityPoolId changes; deleting it leaves the pool without roles (no credentials)."""

    TYPE = "AWS::Cognito::IdentityPoolRoleAttachment"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-identitypoolroleattachment.html"
    PROPERTIES = {"IdentityPoolId": ANY, "Roles": ANY}
    REPLACEMENT = frozenset({"IdentityPoolId"})
    ATTRIBUTES = frozenset({"Id"})

    def _pool(self) -> Any:
        return identitypools.find_pool(self.account_id, self.properties["IdentityPoolId"])

    def create(self) -> None:
        identitypools.set_roles(self._pool(), self.properties.get("Roles") or {})
        self.physical_id = self.properties["IdentityPoolId"]

    def update(self, new: dict[str, Any]) -> None:
        identitypools.set_roles(identitypools.find_pool(self.account_id, new["IdentityPoolId"]),
                                new.get("Roles") or {})

    def destroy(self) -> None:
        try:
            identitypools.set_roles(self._pool(), {})
        except Exception:  # the pool is gone already
            pass

    def attribute(self, name: str) -> Any:
        return self.physical_id


class IdentityPoolPrincipalTag(Model):
    """AWS::Cognito::IdentityPoolPrincipalTag: SetPrincipalTagAttributeMap
    (identitypools.py, correction y): which claims of the provider's ID tokens become
    session tags on the credentials the pool issues, as aws:PrincipalTag/<tag> in every
    S3 request made with them. Replacement when IdentityPoolId or IdentityProviderName
    change; deleting it removes the mapping (no more tags)."""

    TYPE = "AWS::Cognito::IdentityPoolPrincipalTag"
    PAGE = TEMPLATE_REFERENCE + "aws-resource-cognito-identitypoolprincipaltag.html"
    PROPERTIES = {"IdentityPoolId": ANY, "IdentityProviderName": ANY, "PrincipalTags": ANY, "UseDefaults": ANY}
    REPLACEMENT = frozenset({"IdentityPoolId", "IdentityProviderName"})

    def _apply(self, props: dict[str, Any]) -> None:
        pool = identitypools.find_pool(self.account_id, props["IdentityPoolId"])
        identitypools.set_tag_map(pool, props["IdentityProviderName"], props.get("PrincipalTags") or {},
                                  bool(props.get("UseDefaults", False)))

    def create(self) -> None:
        self._apply(self.properties)
        self.physical_id = f"{self.properties['IdentityPoolId']}|{self.properties['IdentityProviderName']}"

    def update(self, new: dict[str, Any]) -> None:
        self._apply(new)

    def destroy(self) -> None:
        try:
            pool = identitypools.find_pool(self.account_id, self.properties["IdentityPoolId"])
        except Exception:  # the pool is gone already
            return
        identitypools.clear_tag_map(pool, self.properties["IdentityProviderName"])


register(UserPool, UserPoolClient, UserPoolDomain, IdentityPool, IdentityPoolRoleAttachment, IdentityPoolPrincipalTag)
