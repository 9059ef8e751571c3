//! The identity pool and the user pool: authenticated identities only, one provider,
//! the client and e-mail settings the contract names, and the operator's controls
//! (SignUpMode, Mfa, RefreshTokenValidityDays, verified email changes).

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value as Yaml;

use super::support::*;

#[test]
fn identity_pool_has_unauthenticated_identities_off_and_one_provider() {
    let t = template();
    let pool = props(&t, "IdentityPool");
    assert_eq!(
        get(pool, "AllowUnauthenticatedIdentities"),
        Some(&Yaml::Bool(false)),
        "IdentityPool.AllowUnauthenticatedIdentities must be the literal false"
    );
    assert_eq!(
        get(pool, "AllowClassicFlow"),
        Some(&Yaml::Bool(false)),
        "IdentityPool.AllowClassicFlow is false"
    );
    let providers = at(pool, &["CognitoIdentityProviders"])
        .as_sequence()
        .expect("a list");
    assert_eq!(providers.len(), 1, "exactly one identity provider");
    let provider = &providers[0];
    assert_eq!(
        getatt_target(at(provider, &["ProviderName"])).as_deref(),
        Some("UserPool.ProviderName"),
        "the provider is this stack's user pool"
    );
    assert_eq!(
        ref_target(at(provider, &["ClientId"])),
        Some("UserPoolClient"),
        "the provider's client is this app client"
    );
    assert_eq!(
        get(provider, "ServerSideTokenCheck"),
        Some(&Yaml::Bool(true)),
        "ServerSideTokenCheck is on"
    );
    for other in [
        "SupportedLoginProviders",
        "OpenIdConnectProviderARNs",
        "SamlProviderARNs",
        "DeveloperProviderName",
    ] {
        assert!(
            get(pool, other).is_none(),
            "IdentityPool.{other} must not be set: one provider only"
        );
    }

    let attachments = resources_of_type(&t, "AWS::Cognito::IdentityPoolRoleAttachment");
    assert_eq!(attachments.len(), 1, "one role attachment");
    let attachment = at(attachments[0].1, &["Properties"]);
    assert_eq!(
        ref_target(at(attachment, &["IdentityPoolId"])),
        Some("IdentityPool"),
        "the attachment is for IdentityPool"
    );
    let roles = at(attachment, &["Roles"])
        .as_mapping()
        .expect("Roles is a mapping");
    assert_eq!(
        roles.len(),
        1,
        "only the authenticated role is attached (no unauthenticated role)"
    );
    assert_eq!(
        getatt_target(roles.get("authenticated").expect("an authenticated role")).as_deref(),
        Some("AuthenticatedRole.Arn"),
        "authenticated users get AuthenticatedRole"
    );
    assert!(
        get(attachment, "RoleMappings").is_none(),
        "no role mappings: every user gets the same per-user role"
    );
}

#[test]
fn user_pool_and_client_follow_the_contract() {
    let t = template();
    let pool = props(&t, "UserPool");
    assert_eq!(
        at(pool, &["UsernameAttributes"]),
        &Yaml::Sequence(vec!["email".into()]),
        "email is the username"
    );
    assert_eq!(
        at(pool, &["AutoVerifiedAttributes"]),
        &Yaml::Sequence(vec!["email".into()]),
        "email auto-verified"
    );
    let password = at(pool, &["Policies", "PasswordPolicy"]);
    for flag in [
        "RequireUppercase",
        "RequireLowercase",
        "RequireNumbers",
        "RequireSymbols",
    ] {
        assert_eq!(
            get(password, flag),
            Some(&Yaml::Bool(true)),
            "password policy {flag}"
        );
    }
    let min = at(password, &["MinimumLength"]);
    let min_value = match ref_target(min) {
        Some(param) => at(&t, &["Parameters", param, "MinValue"]).as_u64(),
        None => min.as_u64(),
    };
    assert!(
        min_value.is_some_and(|m| m >= 8),
        "passwords of at least 8 characters"
    );
    let client = props(&t, "UserPoolClient");
    assert_eq!(
        get(client, "GenerateSecret"),
        Some(&Yaml::Bool(false)),
        "public client: no secret"
    );
    assert_eq!(
        get(client, "PreventUserExistenceErrors").and_then(Yaml::as_str),
        Some("ENABLED"),
        "user existence hidden"
    );
    let flows: BTreeSet<&str> = at(client, &["ExplicitAuthFlows"])
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        flows,
        BTreeSet::from([
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH"
        ]),
        "auth flows"
    );
}

fn user_pool_email(t: &Yaml, source_arn: &str, from: &str) -> Yaml {
    let parameters = BTreeMap::from([("SesSourceArn", source_arn), ("SesFromAddress", from)]);
    resolve(
        t,
        at(props(t, "UserPool"), &["EmailConfiguration"]),
        &parameters,
    )
    .expect("EmailConfiguration is always set")
}

#[test]
fn user_pool_email_is_cognito_default_unless_an_ses_sender_is_given() {
    let t = template();
    let p = at(&t, &["Parameters"]);
    for name in ["SesSourceArn", "SesFromAddress"] {
        assert_eq!(
            at(p, &[name, "Default"]).as_str(),
            Some(""),
            "{name} is optional (default empty)"
        );
    }
    assert_eq!(
        at(p, &["SesSourceArn", "AllowedPattern"]).as_str(),
        Some("^(arn:[a-z-]+:ses:[a-z0-9-]+:[0-9]{12}:identity/.+)?$"),
        "SesSourceArn is empty or an SES identity ARN"
    );

    let arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.com";
    assert_eq!(
        user_pool_email(&t, "", ""),
        yaml("EmailSendingAccount: COGNITO_DEFAULT"),
        "no SES sender: Cognito's default email (50 a day per account)"
    );
    assert_eq!(
        user_pool_email(&t, "", "homedir <no-reply@example.com>"),
        yaml("EmailSendingAccount: COGNITO_DEFAULT"),
        "a From without an SES identity is ignored"
    );
    assert_eq!(
        user_pool_email(&t, arn, ""),
        yaml(&format!(
            "{{EmailSendingAccount: DEVELOPER, SourceArn: \"{arn}\"}}"
        )),
        "an SES identity: Cognito sends through it"
    );
    assert_eq!(
        user_pool_email(&t, arn, "homedir <no-reply@example.com>"),
        yaml(&format!(
            "{{EmailSendingAccount: DEVELOPER, SourceArn: \"{arn}\", From: \"homedir <no-reply@example.com>\"}}"
        )),
        "an SES identity and a From"
    );
}

/// The user pool's settings as deployed with `parameters` (the others at their default).
fn user_pool(t: &Yaml, parameters: &[(&str, &str)]) -> Yaml {
    let parameters: BTreeMap<&str, &str> = parameters.iter().copied().collect();
    resolve(t, props(t, "UserPool"), &parameters).expect("UserPool has properties")
}

/// SignUpMode: open by default; invite-only makes AdminCreateUser the only way in, and
/// the page learns which (WEB_SIGN_UP) to offer sign-up or not.
#[test]
fn sign_up_is_open_by_default_and_invite_only_leaves_accounts_to_operators() {
    let t = template();
    assert_eq!(
        declaration(&t, "SignUpMode"),
        yaml("{Type: String, Default: open, AllowedValues: [open, invite-only]}"),
        "SignUpMode: open (default) or invite-only"
    );
    let raw = at(
        props(&t, "UserPool"),
        &["AdminCreateUserConfig", "AllowAdminCreateUserOnly"],
    );
    assert_eq!(
        tag_of(raw).map(|(tag, _)| tag).as_deref(),
        Some("If"),
        "AllowAdminCreateUserOnly follows SignUpMode"
    );
    for (mode, admin_only) in [("open", false), ("invite-only", true)] {
        assert_eq!(
            at(
                &user_pool(&t, &[("SignUpMode", mode)]),
                &["AdminCreateUserConfig", "AllowAdminCreateUserOnly"]
            ),
            &Yaml::Bool(admin_only),
            "SignUpMode {mode}: AllowAdminCreateUserOnly {admin_only}"
        );
    }
    let (_, defaults, _) = functions(&t)
        .into_iter()
        .find(|(id, _, _)| id == "WebFunction")
        .expect("a WebFunction");
    assert_eq!(
        ref_target(at(&defaults, &["Environment", "Variables", "WEB_SIGN_UP"])),
        Some("SignUpMode"),
        "the web page's WEB_SIGN_UP is SignUpMode (open or invite-only)"
    );
    for (id, effective, _) in functions(&t) {
        if id != "WebFunction" {
            assert!(
                get(at(&effective, &["Environment", "Variables"]), "WEB_SIGN_UP").is_none(),
                "{id}: only the web page reads WEB_SIGN_UP"
            );
        }
    }
}

/// Mfa: OFF by default; OPTIONAL and ON offer an authenticator app (TOTP) and nothing
/// else (no SMS: the stack has no SMS role or origination number).
#[test]
fn mfa_is_off_by_default_and_offers_only_an_authenticator_app() {
    let t = template();
    assert_eq!(
        declaration(&t, "Mfa"),
        yaml(r#"{Type: String, Default: "OFF", AllowedValues: ["OFF", "OPTIONAL", "ON"]}"#),
        "Mfa: OFF (default), OPTIONAL or ON"
    );
    let pool = props(&t, "UserPool");
    assert_eq!(
        ref_target(at(pool, &["MfaConfiguration"])),
        Some("Mfa"),
        "MfaConfiguration = !Ref Mfa"
    );
    for mode in ["OFF", "OPTIONAL", "ON"] {
        let deployed = user_pool(&t, &[("Mfa", mode)]);
        assert_eq!(
            at(&deployed, &["MfaConfiguration"]).as_str(),
            Some(mode),
            "Mfa {mode}: the pool's MfaConfiguration"
        );
        let enabled = get(&deployed, "EnabledMfas");
        if mode == "OFF" {
            assert_eq!(enabled, None, "Mfa OFF: no EnabledMfas");
        } else {
            assert_eq!(
                enabled,
                Some(&yaml("[SOFTWARE_TOKEN_MFA]")),
                "Mfa {mode}: an authenticator app (TOTP), the only factor"
            );
        }
    }
    for absent in ["SmsConfiguration", "SmsAuthenticationMessage"] {
        assert!(get(pool, absent).is_none(), "no SMS: UserPool.{absent}");
    }
}

/// RefreshTokenValidityDays: how long a stolen refresh token gives access. ID and
/// access tokens live an hour, the life of the credentials they are exchanged for.
#[test]
fn refresh_tokens_live_refresh_token_validity_days() {
    let t = template();
    assert_eq!(
        declaration(&t, "RefreshTokenValidityDays"),
        yaml("{Type: Number, Default: 30, MinValue: 1, MaxValue: 3650}"),
        "RefreshTokenValidityDays: 30 by default, 1 to 3650"
    );
    let client = props(&t, "UserPoolClient");
    assert_eq!(
        ref_target(at(client, &["RefreshTokenValidity"])),
        Some("RefreshTokenValidityDays"),
        "RefreshTokenValidity = !Ref RefreshTokenValidityDays"
    );
    assert_eq!(
        at(client, &["TokenValidityUnits"]),
        &yaml("{IdToken: minutes, AccessToken: minutes, RefreshToken: days}"),
        "the refresh token's validity is in days, the others' in minutes"
    );
    for token in ["IdTokenValidity", "AccessTokenValidity"] {
        assert_eq!(
            at(client, &[token]).as_u64(),
            Some(60),
            "{token}: 60 minutes"
        );
    }
    assert_eq!(
        get(client, "EnableTokenRevocation"),
        Some(&Yaml::Bool(true)),
        "a signed-out client revokes its refresh token"
    );
}

/// A new email takes effect only once its code is confirmed: until then the account
/// keeps its verified address, where reset codes go.
#[test]
fn email_changes_take_effect_only_once_verified() {
    let t = template();
    let pool = props(&t, "UserPool");
    let verified_first = strings(
        at(
            pool,
            &[
                "UserAttributeUpdateSettings",
                "AttributesRequireVerificationBeforeUpdate",
            ],
        ),
        "AttributesRequireVerificationBeforeUpdate",
    );
    assert_eq!(
        verified_first,
        ["email"],
        "email changes need the code sent to the new address"
    );
    // Cognito verifies (and so can hold back) only an auto-verified attribute.
    assert!(
        strings(
            at(pool, &["AutoVerifiedAttributes"]),
            "AutoVerifiedAttributes"
        )
        .contains(&"email".to_owned()),
        "email is auto-verified"
    );
    assert_eq!(
        at(pool, &["AccountRecoverySetting", "RecoveryMechanisms"]),
        &yaml("[{Name: verified_email, Priority: 1}]"),
        "password resets go to the verified email only"
    );
}
