//! The user directory's records (docs/security.md, "The user check" and "The
//! identity_id claim"): the two tables, the pre-token-generation trigger and the
//! CloudTrail rule, each function with one narrow permission, and the API functions'
//! two new ones.

use serde_json::json;

use super::support::*;

#[test]
fn the_tables_are_on_demand_and_keyed_as_the_code_reads_them() {
    let t = template();
    let identities = props(&t, "IdentityTable");
    assert_eq!(
        at(identities, &["BillingMode"]).as_str(),
        Some("PAY_PER_REQUEST")
    );
    assert_eq!(
        as_placeholder_json(&t, at(identities, &["KeySchema"]), "KeySchema").unwrap(),
        json!([{"AttributeName": "sub", "KeyType": "HASH"}])
    );
    let changes = props(&t, "UserChangesTable");
    assert_eq!(
        at(changes, &["BillingMode"]).as_str(),
        Some("PAY_PER_REQUEST")
    );
    assert_eq!(
        as_placeholder_json(&t, at(changes, &["KeySchema"]), "KeySchema").unwrap(),
        json!([
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"}
        ])
    );
    assert_eq!(
        as_placeholder_json(&t, at(changes, &["TimeToLiveSpecification"]), "TTL").unwrap(),
        json!({"AttributeName": "expires_at", "Enabled": true}),
        "entries expire on their own (the code writes expires_at)"
    );
    for (id, effective, _) in functions(&t) {
        if id == "WebFunction" {
            continue;
        }
        let variables = at(&effective, &["Environment", "Variables"]);
        assert_eq!(
            ref_target(at(variables, &["IDENTITY_TABLE"])),
            Some("IdentityTable"),
            "{id}"
        );
        assert_eq!(
            ref_target(at(variables, &["USER_CHANGES_TABLE"])),
            Some("UserChangesTable"),
            "{id}"
        );
    }
}

/// The user pool runs the trigger, whose fixed name its ARN is built from (a reference
/// would be a cycle: the function's environment names the pool), and only this pool
/// may invoke it.
#[test]
fn the_user_pool_runs_the_token_claims_trigger_and_only_it_may_invoke_it() {
    let t = template();
    let text = |value: &serde_yaml::Value| -> String {
        tag_of(value)
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
            .or_else(|| value.as_str().map(str::to_owned))
            .expect("a !Sub")
    };
    let arn = text(at(
        props(&t, "UserPool"),
        &["LambdaConfig", "PreTokenGeneration"],
    ));
    let name = text(at(props(&t, "TokenClaimsFunction"), &["FunctionName"]));
    assert_eq!(name, "${AWS::StackName}-token-claims");
    assert_eq!(
        arn,
        format!(
            "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"
        ),
        "the pool's trigger is the function of that name, in this account and Region"
    );
    let function = resource(&t, "TokenClaimsFunction");
    assert_eq!(
        at(function, &["Metadata", "BuildProperties", "Binary"]).as_str(),
        Some("token-claims")
    );
    assert!(
        at(props(&t, "TokenClaimsFunction"), &["Timeout"]).as_u64() <= Some(5),
        "no longer than Cognito waits for a trigger"
    );
    let permission = props(&t, "TokenClaimsPermission");
    assert_eq!(
        at(permission, &["Principal"]).as_str(),
        Some("cognito-idp.amazonaws.com")
    );
    assert_eq!(
        getatt_target(at(permission, &["SourceArn"])).as_deref(),
        Some("UserPool.Arn")
    );
    assert_eq!(
        getatt_target(at(permission, &["FunctionName"])).as_deref(),
        Some("TokenClaimsFunction.Arn")
    );
}

#[test]
fn the_cloudtrail_rule_sends_every_ending_operation_to_the_user_changes_function() {
    let t = template();
    let rule = props(&t, "UserChangesRule");
    let pattern = as_placeholder_json(&t, at(rule, &["EventPattern"]), "EventPattern").unwrap();
    assert_eq!(pattern["source"], json!(["aws.cognito-idp"]));
    assert_eq!(
        pattern["detail-type"],
        json!(["AWS API Call via CloudTrail"])
    );
    assert_eq!(
        pattern["detail"]["eventSource"],
        json!(["cognito-idp.amazonaws.com"])
    );
    let mut names: Vec<String> = pattern["detail"]["eventName"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|name| name.as_str().expect("text").to_owned())
        .collect();
    names.sort();
    let mut ending: Vec<String> = homedir::directory::ENDING_OPERATIONS
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    ending.sort();
    assert_eq!(
        names, ending,
        "the rule sends exactly what the function records"
    );
    let targets = at(rule, &["Targets"]).as_sequence().expect("a list");
    assert_eq!(targets.len(), 1);
    assert_eq!(
        getatt_target(at(&targets[0], &["Arn"])).as_deref(),
        Some("UserChangesFunction.Arn")
    );
    let permission = props(&t, "UserChangesRulePermission");
    assert_eq!(
        at(permission, &["Principal"]).as_str(),
        Some("events.amazonaws.com")
    );
    assert_eq!(
        getatt_target(at(permission, &["SourceArn"])).as_deref(),
        Some("UserChangesRule.Arn")
    );
    assert_eq!(
        at(
            resource(&t, "UserChangesFunction"),
            &["Metadata", "BuildProperties", "Binary"]
        )
        .as_str(),
        Some("user-changes")
    );
}

#[test]
fn each_directory_role_equals_its_infra_policies_file() {
    let t = template();
    for (role, file) in [
        ("TokenClaimsRole", "token-claims-policy.json"),
        ("UserChangesRole", "user-changes-policy.json"),
    ] {
        let policies = inline_policies(&t, role);
        assert_eq!(policies.len(), 1, "{role}: one inline policy");
        let (name, document) = policies.into_iter().next().unwrap();
        assert_document_equals_file(&t, document, &format!("{role}.Policies[{name}]"), file);
        assert!(
            get(props(&t, role), "ManagedPolicyArns").is_none(),
            "{role}: nothing attached"
        );
    }
    for (function, role) in [
        ("TokenClaimsFunction", "TokenClaimsRole.Arn"),
        ("UserChangesFunction", "UserChangesRole.Arn"),
    ] {
        assert_eq!(
            getatt_target(at(props(&t, function), &["Role"])).as_deref(),
            Some(role)
        );
    }
}
