//! The IAM documents: each equals its file in `infra-policies/`, no other document
//! exists, and no function role or function policy can reach S3.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::support::*;

#[test]
fn authenticated_role_trust_policy_equals_infra_policies_file() {
    let t = template();
    assert_document_equals_file(
        &t,
        at(
            props(&t, "AuthenticatedRole"),
            &["AssumeRolePolicyDocument"],
        ),
        "AuthenticatedRole.AssumeRolePolicyDocument",
        "authenticated-trust-policy.json",
    );
}

#[test]
fn authenticated_role_s3_policy_equals_infra_policies_file_and_is_its_only_permission() {
    let t = template();
    let role = props(&t, "AuthenticatedRole");
    let policies = inline_policies(&t, "AuthenticatedRole");
    assert_eq!(
        policies.len(),
        1,
        "AuthenticatedRole has exactly one inline policy, found {:?}",
        policies.keys()
    );
    let (name, document) = policies.into_iter().next().unwrap();
    assert_document_equals_file(
        &t,
        document,
        &format!("AuthenticatedRole.Policies[{name}]"),
        "authenticated-s3-policy.json",
    );
    // Its managed policies are the four quota deny policies and nothing else, each
    // deployed as infra-policies/quota-deny-policy.json (naming no one) and holding
    // Deny statements only; its boundary is AuthenticatedBoundary.
    let managed: Vec<&str> = at(role, &["ManagedPolicyArns"])
        .as_sequence()
        .expect("ManagedPolicyArns is a list")
        .iter()
        .map(|arn| ref_target(arn).expect("!Ref of a policy of this template"))
        .collect();
    assert_eq!(
        managed, QUOTA_POLICIES,
        "AuthenticatedRole's managed policies are the four quota deny policies"
    );
    assert_eq!(
        ref_target(at(role, &["PermissionsBoundary"])),
        Some("AuthenticatedBoundary"),
        "AuthenticatedRole is bounded by AuthenticatedBoundary"
    );
}

const QUOTA_POLICIES: [&str; 4] = [
    "QuotaDenyPolicy1",
    "QuotaDenyPolicy2",
    "QuotaDenyPolicy3",
    "QuotaDenyPolicy4",
];

/// Attached to nothing by themselves (no Roles, Users or Groups): only the users' role
/// names them, as its managed policies and its boundary.
fn assert_attached_through_the_role_only(t: &Yaml, id: &str) {
    let p = props(t, id);
    for field in ["Roles", "Users", "Groups"] {
        assert!(
            get(p, field).is_none(),
            "{id}: attached only by AuthenticatedRole, no {field}"
        );
    }
}

#[test]
fn the_quota_deny_policies_equal_infra_policies_file_and_only_deny() {
    let t = template();
    for id in QUOTA_POLICIES {
        assert_attached_through_the_role_only(&t, id);
        let document = at(props(&t, id), &["PolicyDocument"]);
        assert_document_equals_file(
            &t,
            document,
            &format!("{id}.PolicyDocument"),
            "quota-deny-policy.json",
        );
    }
    for statement in policy_file("quota-deny-policy.json")["Statement"]
        .as_array()
        .expect("a list")
    {
        assert_eq!(statement["Effect"], "Deny", "{statement}");
        assert_eq!(statement["Action"], "s3:PutObject", "{statement}");
    }
}

#[test]
fn the_users_boundary_equals_infra_policies_file() {
    let t = template();
    assert_attached_through_the_role_only(&t, "AuthenticatedBoundary");
    assert_document_equals_file(
        &t,
        at(props(&t, "AuthenticatedBoundary"), &["PolicyDocument"]),
        "AuthenticatedBoundary.PolicyDocument",
        "authenticated-boundary-policy.json",
    );
}

#[test]
fn usage_function_role_policies_equal_infra_policies_files() {
    let t = template();
    let role = props(&t, "UsageFunctionRole");
    assert!(
        get(role, "ManagedPolicyArns").is_none(),
        "UsageFunctionRole: no managed policies"
    );
    assert_document_equals_file(
        &t,
        at(role, &["AssumeRolePolicyDocument"]),
        "UsageFunctionRole.AssumeRolePolicyDocument",
        "function-trust-policy.json",
    );
    let policies = inline_policies(&t, "UsageFunctionRole");
    assert_eq!(
        policies.len(),
        1,
        "one inline policy, found {:?}",
        policies.keys()
    );
    let (name, document) = policies.into_iter().next().unwrap();
    assert_document_equals_file(
        &t,
        document,
        &format!("UsageFunctionRole.Policies[{name}]"),
        "usage-function-policy.json",
    );
    let bucket_policy = props(&t, "UsageFunctionBucketPolicy");
    let roles: Vec<&str> = at(bucket_policy, &["Roles"])
        .as_sequence()
        .expect("Roles is a list")
        .iter()
        .filter_map(ref_target)
        .collect();
    assert_eq!(
        roles,
        ["UsageFunctionRole"],
        "the bucket policy is the usage function's alone"
    );
    for field in ["Users", "Groups"] {
        assert!(
            get(bucket_policy, field).is_none(),
            "UsageFunctionBucketPolicy: no {field}"
        );
    }
    assert_document_equals_file(
        &t,
        at(bucket_policy, &["PolicyDocument"]),
        "UsageFunctionBucketPolicy.PolicyDocument",
        "usage-function-bucket-policy.json",
    );
}

#[test]
fn bucket_policy_equals_infra_policies_file() {
    let t = template();
    let policy = props(&t, "HomeBucketPolicy");
    assert_eq!(
        ref_target(at(policy, &["Bucket"])),
        Some("HomeBucket"),
        "HomeBucketPolicy applies to HomeBucket"
    );
    assert_document_equals_file(
        &t,
        at(policy, &["PolicyDocument"]),
        "HomeBucketPolicy.PolicyDocument",
        "bucket-policy.json",
    );
}

#[test]
fn function_role_policy_equals_infra_policies_file() {
    let t = template();
    let policies = inline_policies(&t, "FunctionRole");
    assert_eq!(
        policies.len(),
        1,
        "FunctionRole has exactly one inline policy, found {:?}",
        policies.keys()
    );
    let (name, document) = policies.into_iter().next().unwrap();
    assert_document_equals_file(
        &t,
        document,
        &format!("FunctionRole.Policies[{name}]"),
        "function-policy.json",
    );
}

#[test]
fn function_role_trust_policy_equals_infra_policies_file() {
    let t = template();
    assert_document_equals_file(
        &t,
        at(props(&t, "FunctionRole"), &["AssumeRolePolicyDocument"]),
        "FunctionRole.AssumeRolePolicyDocument",
        "function-trust-policy.json",
    );
}

#[test]
fn every_iam_document_in_the_template_is_one_of_the_checked_ones() {
    let t = template();
    let mut found = BTreeSet::new();
    for ty in [
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SecretsManager::ResourcePolicy",
        "AWS::Lambda::Permission",
        "AWS::Serverless::Connector",
    ] {
        for (id, _) in resources_of_type(&t, ty) {
            found.insert(format!("{ty} {id}"));
        }
    }
    let expected: BTreeSet<String> = [
        "AWS::IAM::Role AuthenticatedRole",
        "AWS::IAM::Role FunctionRole",
        "AWS::IAM::Role WebFunctionRole",
        "AWS::IAM::Role UsageFunctionRole",
        // the user directory's two functions (pinned in directory.rs)
        "AWS::IAM::Role TokenClaimsRole",
        "AWS::IAM::Role UserChangesRole",
        "AWS::Lambda::Permission TokenClaimsPermission",
        "AWS::Lambda::Permission UserChangesRulePermission",
        "AWS::IAM::Policy UsageFunctionBucketPolicy",
        "AWS::IAM::ManagedPolicy AuthenticatedBoundary",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy1",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy2",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy3",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy4",
        "AWS::S3::BucketPolicy HomeBucketPolicy",
        // who may invoke the usage function: S3 of this account, the recount schedule
        // (pinned in usage.rs)
        "AWS::Lambda::Permission UsageFunctionS3Permission",
        "AWS::Lambda::Permission UsageRecountSchedulePermission",
        // pinned statement by statement in alarms.rs
        "AWS::SNS::TopicPolicy AlarmTopicPolicy",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(
        found, expected,
        "an IAM document was added or removed without a file in infra-policies/ and a test"
    );
}

/// True when an IAM action pattern could grant an S3 action: `*`, `s3:…`, or a service
/// part with a wildcard (`s*:Get*`, `*:*`). Compared case-insensitively, as IAM does.
fn could_grant_s3(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    if action == "*" {
        return true;
    }
    let service = action.split(':').next().unwrap_or("");
    service == "s3" || service.contains('*') || service.contains('?') || service.starts_with("s3")
}

fn actions_of(statement: &Json) -> Vec<String> {
    match statement.get("Action") {
        Some(Json::String(a)) => vec![a.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn assert_no_s3_in_document(what: &str, document: &Json) {
    let statements = match document.get("Statement") {
        Some(Json::Array(s)) => s.clone(),
        Some(single @ Json::Object(_)) => vec![single.clone()],
        other => panic!("{what}: Statement missing or malformed: {other:?}"),
    };
    for statement in &statements {
        let effect = statement.get("Effect").and_then(Json::as_str);
        if effect != Some("Allow") {
            continue;
        }
        assert!(
            statement.get("NotAction").is_none(),
            "{what}: an Allow with NotAction grants everything else, S3 included: {statement}"
        );
        for action in actions_of(statement) {
            assert!(
                !could_grant_s3(&action),
                "{what}: action {action:?} could grant S3 access: {statement}"
            );
        }
    }
}

#[test]
fn no_function_role_or_function_policy_has_any_s3_action() {
    let t = template();
    let fns = functions(&t);
    assert_eq!(
        fns.len(),
        8,
        "eight functions expected, found {:?}",
        fns.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let mut roles = BTreeSet::new();
    for (id, effective, _) in &fns {
        // SAM's Policies (policy templates, managed policy names, inline documents) would
        // build a role of its own: the functions must use the explicit role instead.
        assert!(
            get(effective, "Policies").is_none(),
            "{id}: no SAM Policies (the role is explicit)"
        );
        assert!(
            get(effective, "Connectors").is_none(),
            "{id}: no SAM connectors (they grant S3 access)"
        );
        let role =
            get(effective, "Role").unwrap_or_else(|| panic!("{id}: an explicit Role is required"));
        let role_id = getatt_target(role)
            .and_then(|s| s.strip_suffix(".Arn").map(String::from))
            .unwrap_or_else(|| {
                panic!("{id}: Role must be !GetAtt <role in this template>.Arn, found {role:?}")
            });
        roles.insert(role_id);
    }
    assert_eq!(
        roles,
        BTreeSet::from([
            "FunctionRole".to_owned(),
            "WebFunctionRole".to_owned(),
            "UsageFunctionRole".to_owned(),
            "TokenClaimsRole".to_owned(),
            "UserChangesRole".to_owned()
        ]),
        "the four API functions share FunctionRole; the web page, the usage function and the two directory functions have their own"
    );
    for role in &roles {
        let p = props(&t, role);
        assert!(
            get(p, "ManagedPolicyArns").is_none(),
            "{role}: no managed policies (AWS-managed ones may include S3)"
        );
        for (name, document) in inline_policies(&t, role) {
            let json = as_placeholder_json(&t, document, &format!("{role}.Policies[{name}]"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_no_s3_in_document(&format!("{role}.Policies[{name}]"), &json);
        }
    }
    // No standalone policy resource attaches anything to the API functions' or the web
    // function's role: the one AWS::IAM::Policy is the usage function's (its one S3
    // action, ListBucketVersions under the spaces' prefixes, is pinned in
    // infra::policies), the managed policies attach to nothing by themselves (the
    // users' role names them), and there is no RolePolicy.
    assert!(
        resources_of_type(&t, "AWS::IAM::RolePolicy").is_empty(),
        "no AWS::IAM::RolePolicy resources"
    );
    let standalone: Vec<String> = resources_of_type(&t, "AWS::IAM::Policy")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        standalone,
        ["UsageFunctionBucketPolicy"],
        "one AWS::IAM::Policy"
    );
    let attached_to: Vec<&str> = at(props(&t, "UsageFunctionBucketPolicy"), &["Roles"])
        .as_sequence()
        .expect("Roles")
        .iter()
        .filter_map(ref_target)
        .collect();
    assert_eq!(attached_to, ["UsageFunctionRole"]);
    for (id, resource) in resources_of_type(&t, "AWS::IAM::ManagedPolicy") {
        let p = at(resource, &["Properties"]);
        for field in ["Roles", "Users", "Groups"] {
            assert!(
                get(p, field).is_none(),
                "{id}: attaches itself through {field}"
            );
        }
    }
    let usage = policy_file("usage-function-bucket-policy.json");
    let s3_actions: Vec<String> = usage["Statement"]
        .as_array()
        .expect("a list")
        .iter()
        .flat_map(actions_of)
        .collect();
    assert_eq!(
        s3_actions,
        ["s3:ListBucketVersions"],
        "the usage function lists versions and nothing else in S3"
    );
    assert_no_s3_in_document(
        "infra-policies/usage-function-policy.json",
        &policy_file("usage-function-policy.json"),
    );
    // And the file the template must equal.
    assert_no_s3_in_document(
        "infra-policies/function-policy.json",
        &policy_file("function-policy.json"),
    );
}

#[test]
fn s3_detector_recognises_every_way_of_granting_s3() {
    for granting in [
        "*",
        "s3:GetObject",
        "S3:getobject",
        "s3:*",
        "s*:*",
        "*:*",
        "s?:GetObject",
        "s3-object-lambda:*",
    ] {
        assert!(
            could_grant_s3(granting),
            "{granting} must count as an S3 grant"
        );
    }
    for harmless in [
        "cognito-idp:AdminGetUser",
        "logs:PutLogEvents",
        "sts:AssumeRole",
    ] {
        assert!(!could_grant_s3(harmless), "{harmless} is not an S3 grant");
    }
}

#[test]
fn placeholder_rewriting_rejects_what_cloudformation_would_not_substitute() {
    let t = template();
    let plain: Yaml = serde_yaml::from_str(r#"Resource: "arn:aws:s3:::${HomeBucket}""#).unwrap();
    assert!(
        as_placeholder_json(&t, &plain, "plain").is_err(),
        "a plain string with ${{}} is not substituted by CloudFormation"
    );
    let unescaped: Yaml = serde_yaml::from_str(
        r#"Resource: !Sub "arn:aws:s3:::${HomeBucket}/${cognito-identity.amazonaws.com:sub}""#,
    )
    .unwrap();
    assert!(
        as_placeholder_json(&t, &unescaped, "unescaped").is_err(),
        "an IAM variable inside !Sub must be escaped as ${{!...}}"
    );
    let escaped: Yaml = serde_yaml::from_str(
        r#"Resource: !Sub "arn:aws:s3:::${HomeBucket}/${!cognito-identity.amazonaws.com:sub}""#,
    )
    .unwrap();
    assert_eq!(
        as_placeholder_json(&t, &escaped, "escaped").unwrap(),
        serde_json::json!({"Resource": "arn:aws:s3:::${HomeBucket}/${cognito-identity.amazonaws.com:sub}"}),
        "the escape becomes the literal IAM variable"
    );
    let join: Yaml = serde_yaml::from_str(r#"Resource: !Join ["", [a, b]]"#).unwrap();
    assert!(
        as_placeholder_json(&t, &join, "join").is_err(),
        "other intrinsics have no placeholder form"
    );
}
