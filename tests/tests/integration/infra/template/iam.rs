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
    // Its managed policies are the four quota policies, and its boundary caps them.
    let managed: Vec<&str> = get(role, "ManagedPolicyArns")
        .and_then(Yaml::as_sequence)
        .expect("AuthenticatedRole.ManagedPolicyArns")
        .iter()
        .map(|arn| ref_target(arn).expect("a !Ref of a managed policy of this template"))
        .collect();
    let quota_policies: Vec<String> = (1..=4).map(|n| format!("QuotaDenyPolicy{n}")).collect();
    assert_eq!(
        managed, quota_policies,
        "AuthenticatedRole's managed policies are the four quota policies"
    );
    assert_eq!(
        get(role, "PermissionsBoundary").and_then(ref_target),
        Some("AuthenticatedBoundary"),
        "AuthenticatedRole: bounded by AuthenticatedBoundary"
    );
}

/// The boundary equals its file; the four quota policies equal theirs, attach to no
/// role of their own (the users' role names them) and only deny: under the boundary,
/// whatever the usage function writes into them can take away and never give.
#[test]
fn the_boundary_and_the_quota_policies_equal_their_files_and_the_quota_policies_only_deny() {
    let t = template();
    let boundary = props(&t, "AuthenticatedBoundary");
    assert_document_equals_file(
        &t,
        at(boundary, &["PolicyDocument"]),
        "AuthenticatedBoundary.PolicyDocument",
        "authenticated-boundary-policy.json",
    );
    assert!(
        get(boundary, "Roles").is_none(),
        "a boundary, attached to no role"
    );
    let mut quota_policies = BTreeSet::new();
    for (id, _) in resources_of_type(&t, "AWS::IAM::ManagedPolicy") {
        if id == "AuthenticatedBoundary" {
            continue;
        }
        let p = props(&t, &id);
        assert_document_equals_file(
            &t,
            at(p, &["PolicyDocument"]),
            &format!("{id}.PolicyDocument"),
            "quota-deny-policy.json",
        );
        for attachment in ["Roles", "Users", "Groups"] {
            assert!(get(p, attachment).is_none(), "{id}: no {attachment}");
        }
        quota_policies.insert(id);
    }
    assert_eq!(
        quota_policies,
        (1..=4).map(|n| format!("QuotaDenyPolicy{n}")).collect(),
        "four quota policies"
    );
    let file = policy_file("quota-deny-policy.json");
    for statement in file["Statement"].as_array().expect("statements") {
        assert_eq!(
            statement["Effect"], "Deny",
            "quota policies only deny: {statement}"
        );
    }
}

#[test]
fn the_usage_functions_policies_equal_their_files() {
    let t = template();
    assert_document_equals_file(
        &t,
        at(
            props(&t, "UsageFunctionRole"),
            &["AssumeRolePolicyDocument"],
        ),
        "UsageFunctionRole.AssumeRolePolicyDocument",
        "function-trust-policy.json",
    );
    let policies = inline_policies(&t, "UsageFunctionRole");
    assert_eq!(policies.len(), 1, "UsageFunctionRole: one inline policy");
    let (name, document) = policies.into_iter().next().unwrap();
    assert_document_equals_file(
        &t,
        document,
        &format!("UsageFunctionRole.Policies[{name}]"),
        "usage-function-policy.json",
    );
    let bucket_policy = props(&t, "UsageFunctionBucketPolicy");
    assert_document_equals_file(
        &t,
        at(bucket_policy, &["PolicyDocument"]),
        "UsageFunctionBucketPolicy.PolicyDocument",
        "usage-function-bucket-policy.json",
    );
    let roles: Vec<Option<&str>> = at(bucket_policy, &["Roles"])
        .as_sequence()
        .expect("Roles")
        .iter()
        .map(ref_target)
        .collect();
    assert_eq!(
        roles,
        [Some("UsageFunctionRole")],
        "attached to the usage function's role only"
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
        "AWS::IAM::ManagedPolicy AuthenticatedBoundary",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy1",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy2",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy3",
        "AWS::IAM::ManagedPolicy QuotaDenyPolicy4",
        "AWS::IAM::Policy UsageFunctionBucketPolicy",
        // who may invoke the usage function: S3 (this account's buckets) and its schedule
        "AWS::Lambda::Permission UsageFunctionS3Permission",
        "AWS::Lambda::Permission UsageRecountSchedulePermission",
        "AWS::S3::BucketPolicy HomeBucketPolicy",
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
        6,
        "six functions expected, found {:?}",
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
            "UsageFunctionRole".to_owned()
        ]),
        "the four API functions share FunctionRole, the web page and the usage function have their own"
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
    // No standalone policy resource attaches anything to a function role but the usage
    // function's listing of versions (UsageFunctionBucketPolicy: s3:ListBucketVersions
    // only, no object action); managed policies attach to no role of their own.
    assert!(resources_of_type(&t, "AWS::IAM::RolePolicy").is_empty());
    for (id, _) in resources_of_type(&t, "AWS::IAM::ManagedPolicy") {
        assert!(
            get(props(&t, &id), "Roles").is_none(),
            "{id}: attaches to no role itself"
        );
    }
    let standalone: Vec<String> = resources_of_type(&t, "AWS::IAM::Policy")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(standalone, ["UsageFunctionBucketPolicy"]);
    let listing = policy_file("usage-function-bucket-policy.json");
    let mut granted = BTreeSet::new();
    for statement in listing["Statement"].as_array().expect("statements") {
        granted.extend(actions_of(statement));
    }
    assert_eq!(
        granted,
        BTreeSet::from(["s3:ListBucketVersions".to_owned()]),
        "the usage function lists versions, and reads, writes or deletes nothing"
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
