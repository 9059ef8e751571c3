//! Team spaces in the template: the `custom:team` attribute only an operator writes,
//! the identity pool's principal tag made of it, the role allowed to tag its sessions,
//! and `TeamPrefix` validated like `HomePrefix` and kept apart from it.

use std::collections::BTreeSet;

use serde_yaml::Value as Yaml;

use super::support::*;

#[test]
fn team_prefix_is_a_parameter_like_home_prefix_and_differs_from_it() {
    let t = template();
    let team = parameter(&t, "TeamPrefix");
    let home = parameter(&t, "HomePrefix");
    assert_eq!(at(team, &["Default"]).as_str(), Some("teams"));
    // It lands in IAM ARNs and conditions: plain segments only, exactly as HomePrefix.
    for key in ["AllowedPattern", "MaxLength", "Type"] {
        assert_eq!(get(team, key), get(home, key), "TeamPrefix.{key}");
    }
    let assertions = at(&t, &["Rules", "SpacesApart", "Assertions"])
        .as_sequence()
        .expect("the SpacesApart rule");
    let rule = serde_yaml::to_string(&assertions[0]["Assert"]).expect("YAML");
    assert!(
        rule.contains("!Not")
            && rule.contains("!Equals")
            && rule.contains("TeamPrefix")
            && rule.contains("HomePrefix"),
        "SpacesApart asserts TeamPrefix != HomePrefix: {rule}"
    );
    for (id, effective, _) in functions(&t) {
        let env = at(&effective, &["Environment", "Variables"]);
        assert_eq!(
            get(env, "TEAM_PREFIX").and_then(ref_target),
            Some("TeamPrefix"),
            "{id}: TEAM_PREFIX = !Ref TeamPrefix"
        );
    }
}

#[test]
fn custom_team_is_an_optional_attribute_of_one_to_63_characters() {
    let t = template();
    let schema = at(props(&t, "UserPool"), &["Schema"])
        .as_sequence()
        .expect("Schema");
    let team = schema
        .iter()
        .find(|a| a["Name"].as_str() == Some("team"))
        .expect("the team attribute (custom:team)");
    assert_eq!(team["AttributeDataType"].as_str(), Some("String"));
    assert_eq!(
        team["Required"],
        Yaml::Bool(false),
        "not every user has a team"
    );
    assert_eq!(
        team["Mutable"],
        Yaml::Bool(true),
        "operators move users between teams"
    );
    assert!(
        get(team, "DeveloperOnlyAttribute").is_none(),
        "a custom: attribute, readable by the client (dev: attributes are legacy)"
    );
    let bounds = &team["StringAttributeConstraints"];
    assert_eq!(bounds["MinLength"].as_str(), Some("1"));
    assert_eq!(
        bounds["MaxLength"].as_str(),
        Some("63"),
        "a team name is 1-63 characters"
    );
}

/// Without `WriteAttributes` an app client may write every mutable attribute: a user
/// could give themselves any team with SignUp or UpdateUserAttributes. The list is
/// explicit and holds no custom attribute; `custom:team` is readable, so it is in the
/// ID token.
#[test]
fn the_app_client_reads_custom_team_and_cannot_write_it() {
    let t = template();
    let client = props(&t, "UserPoolClient");
    let write: BTreeSet<String> = strings(at(client, &["WriteAttributes"]), "WriteAttributes")
        .into_iter()
        .collect();
    assert_eq!(write, BTreeSet::from(["email".to_owned()]));
    let read: BTreeSet<String> = strings(at(client, &["ReadAttributes"]), "ReadAttributes")
        .into_iter()
        .collect();
    assert!(
        read.contains("custom:team"),
        "custom:team is a claim of the ID token"
    );
    assert!(read.contains("email") && read.contains("email_verified"));
}

#[test]
fn the_identity_pool_tags_sessions_with_the_team_claim() {
    let t = template();
    let tags = resources_of_type(&t, "AWS::Cognito::IdentityPoolPrincipalTag");
    assert_eq!(tags.len(), 1, "one principal tag map");
    let map = at(tags[0].1, &["Properties"]);
    assert_eq!(
        ref_target(at(map, &["IdentityPoolId"])),
        Some("IdentityPool")
    );
    assert_eq!(
        getatt_target(at(map, &["IdentityProviderName"])).as_deref(),
        Some("UserPool.ProviderName"),
        "the map is for this stack's user pool, the pool's only provider"
    );
    assert_eq!(get(map, "UseDefaults"), Some(&Yaml::Bool(false)));
    let principal_tags = at(map, &["PrincipalTags"])
        .as_mapping()
        .expect("PrincipalTags");
    assert_eq!(
        principal_tags.len(),
        1,
        "team, nothing else: {principal_tags:?}"
    );
    assert_eq!(
        principal_tags.get("team").and_then(Yaml::as_str),
        Some("custom:team"),
        "the tag the role's policy reads (aws:PrincipalTag/team) is the custom:team claim"
    );
    // The policy's principal tag and the map's agree.
    let policy = serde_json::to_string(&policy_file("authenticated-s3-policy.json")).unwrap();
    assert!(policy.contains("${aws:PrincipalTag/team}"));
    let trust = policy_file("authenticated-trust-policy.json");
    let actions = &trust["Statement"][0]["Action"];
    assert!(
        actions
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "sts:TagSession")),
        "the role's trust allows the identity pool to tag its sessions: {actions}"
    );
}
