//! The identity pool and the user pool: authenticated identities only, one provider,
//! the client and e-mail settings the contract names.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value as Yaml};

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

/// The value of a condition expression for the given parameter values (the intrinsics
/// the template's conditions use; anything else fails the test).
fn condition_holds(t: &Yaml, expression: &Yaml, parameters: &BTreeMap<&str, &str>) -> bool {
    let (tag, inner) = tag_of(expression)
        .unwrap_or_else(|| panic!("a condition is an intrinsic, found {expression:?}"));
    let items = || inner.as_sequence().expect("a list of operands");
    match tag.as_str() {
        "Not" => !condition_holds(t, &items()[0], parameters),
        "And" => items().iter().all(|c| condition_holds(t, c, parameters)),
        "Or" => items().iter().any(|c| condition_holds(t, c, parameters)),
        "Condition" => {
            let name = inner.as_str().expect("a condition name");
            condition_holds(t, at(t, &["Conditions", name]), parameters)
        }
        "Equals" => {
            let value = |v: &Yaml| -> String {
                if let Some(name) = ref_target(v) {
                    let default = get(at(t, &["Parameters", name]), "Default")
                        .and_then(Yaml::as_str)
                        .unwrap_or_default();
                    parameters.get(name).copied().unwrap_or(default).to_owned()
                } else {
                    v.as_str()
                        .unwrap_or_else(|| panic!("unsupported operand {v:?}"))
                        .to_owned()
                }
            };
            value(&items()[0]) == value(&items()[1])
        }
        other => panic!("condition intrinsic !{other} is not supported by this test"),
    }
}

/// `value` with every `!If` resolved and `!Ref AWS::NoValue` removed, as CloudFormation
/// does at deploy time. `!Ref` of a parameter becomes its value.
fn resolve(t: &Yaml, value: &Yaml, parameters: &BTreeMap<&str, &str>) -> Option<Yaml> {
    if let Some(target) = ref_target(value) {
        if target == "AWS::NoValue" {
            return None;
        }
        if let Some(v) = parameters.get(target) {
            return Some(Yaml::String((*v).to_owned()));
        }
        return Some(value.clone());
    }
    if let Some((tag, inner)) = tag_of(value) {
        if tag == "If" {
            let branches = inner.as_sequence().expect("!If [condition, then, else]");
            let name = branches[0].as_str().expect("a condition name");
            let holds = condition_holds(t, at(t, &["Conditions", name]), parameters);
            return resolve(t, &branches[if holds { 1 } else { 2 }], parameters);
        }
        return Some(value.clone());
    }
    match value {
        Yaml::Mapping(map) => {
            let mut out = Mapping::new();
            for (k, v) in map {
                if let Some(v) = resolve(t, v, parameters) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Yaml::Mapping(out))
        }
        Yaml::Sequence(items) => Some(Yaml::Sequence(
            items
                .iter()
                .filter_map(|v| resolve(t, v, parameters))
                .collect(),
        )),
        other => Some(other.clone()),
    }
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

fn yaml(text: &str) -> Yaml {
    serde_yaml::from_str(text).unwrap()
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
