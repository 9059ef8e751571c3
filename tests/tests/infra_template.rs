//! Properties of `template.yaml` that no linter checks: the template's IAM documents
//! are *equal* to the files in `infra-policies/` (which `infra_policies.rs` evaluates),
//! the functions can never touch S3 with their own role, unauthenticated identities
//! are off, the bucket keeps versions and refuses plain HTTP, and every route sits
//! behind the Cognito JWT authorizer.
//!
//! The template is parsed with serde_yaml, where CloudFormation's short tags (`!Ref`,
//! `!Sub`, `!GetAtt`, `!If`, ...) arrive as tagged values. To compare a document with
//! its file, the template side is rewritten into the placeholder text the files use
//! (see infra-policies/README.md): `!Sub "s"` becomes `s` with Fn::Sub's `${!x}` escape
//! turned into the literal `${x}`, `!Ref X` becomes `${X}`, `!GetAtt X.Y` becomes
//! `${X.Y}`. Any other intrinsic inside a policy document fails the comparison.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map as JsonMap, Value as Json};
use serde_yaml::{Mapping, Value as Yaml};

// ------------------------------------------------------------------------- loading

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

fn template() -> Yaml {
    let path = repo_root().join("template.yaml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn policy_file(name: &str) -> Json {
    let path = repo_root().join("infra-policies").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn get<'a>(value: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    value.as_mapping().and_then(|m| m.get(key))
}

fn at<'a>(value: &'a Yaml, path: &[&str]) -> &'a Yaml {
    let mut current = value;
    for (i, key) in path.iter().enumerate() {
        current =
            get(current, key).unwrap_or_else(|| panic!("template has no {}", path[..=i].join(".")));
    }
    current
}

fn resources(t: &Yaml) -> &Mapping {
    at(t, &["Resources"])
        .as_mapping()
        .expect("Resources is a mapping")
}

fn resource<'a>(t: &'a Yaml, logical_id: &str) -> &'a Yaml {
    at(t, &["Resources", logical_id])
}

fn props<'a>(t: &'a Yaml, logical_id: &str) -> &'a Yaml {
    at(t, &["Resources", logical_id, "Properties"])
}

fn resources_of_type<'a>(t: &'a Yaml, ty: &str) -> Vec<(String, &'a Yaml)> {
    resources(t)
        .iter()
        .filter(|(_, r)| get(r, "Type").and_then(Yaml::as_str) == Some(ty))
        .map(|(k, r)| (k.as_str().expect("logical ids are strings").to_owned(), r))
        .collect()
}

fn tag_of(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        _ => None,
    }
}

/// `!Ref X` (or `{Ref: X}`) → Some("X").
fn ref_target(value: &Yaml) -> Option<&str> {
    match tag_of(value) {
        Some((tag, inner)) if tag == "Ref" => inner.as_str(),
        _ => get(value, "Ref").and_then(Yaml::as_str),
    }
}

/// `!GetAtt X.Y`, `!GetAtt [X, Y]` or `{Fn::GetAtt: ...}` → Some("X.Y").
fn getatt_target(value: &Yaml) -> Option<String> {
    let inner = match tag_of(value) {
        Some((tag, inner)) if tag == "GetAtt" => inner,
        _ => get(value, "Fn::GetAtt")?,
    };
    match inner {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Sequence(parts) => {
            let parts: Option<Vec<&str>> = parts.iter().map(Yaml::as_str).collect();
            Some(parts?.join("."))
        }
        _ => None,
    }
}

// ------------------------------------------------- template → placeholder text (JSON)

/// The names a `${...}` inside a `!Sub` may resolve to: parameters, resources,
/// `Resource.Attribute` and pseudo parameters. Anything else would make the stack fail
/// to deploy (or, for an IAM variable left unescaped, not be what IAM sees).
fn sub_variable_is_known(t: &Yaml, name: &str) -> bool {
    if name.starts_with("AWS::") {
        return matches!(
            name,
            "AWS::AccountId"
                | "AWS::Partition"
                | "AWS::Region"
                | "AWS::StackName"
                | "AWS::StackId"
                | "AWS::URLSuffix"
        );
    }
    let base = name.split('.').next().unwrap_or(name);
    let is_param = get(t, "Parameters").and_then(|p| get(p, base)).is_some();
    let is_resource = resources(t).get(base).is_some();
    if name.contains('.') {
        is_resource
    } else {
        is_param || is_resource
    }
}

/// Turns the body of a `!Sub` into the placeholder text: `${!x}` (Fn::Sub's escape for a
/// literal) becomes `${x}`, and every unescaped `${name}` must name something the
/// template defines.
fn sub_text(t: &Yaml, s: &str, path: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("{path}: unclosed ${{ in !Sub {s:?}"))?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            if !sub_variable_is_known(t, name) {
                return Err(format!(
                    "{path}: !Sub {s:?} uses ${{{name}}}, which is no parameter, resource, attribute or pseudo \
                     parameter (an IAM policy variable must be written ${{!{name}}})"
                ));
            }
            out.push_str("${");
            out.push_str(name);
            out.push('}');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A policy document from the template in the placeholder form of infra-policies/.
fn as_placeholder_json(t: &Yaml, value: &Yaml, path: &str) -> Result<Json, String> {
    if let Some(target) = ref_target(value) {
        return Ok(Json::String(format!("${{{target}}}")));
    }
    if let Some(target) = getatt_target(value) {
        return Ok(Json::String(format!("${{{target}}}")));
    }
    let sub = match tag_of(value) {
        Some((tag, inner)) if tag == "Sub" => Some(inner),
        Some((tag, _)) => {
            return Err(format!(
                "{path}: intrinsic !{tag} has no placeholder form; keep policies to !Sub/!Ref/!GetAtt"
            ));
        }
        None => get(value, "Fn::Sub"),
    };
    if let Some(inner) = sub {
        let s = inner.as_str().ok_or_else(|| {
            format!("{path}: only the one-string form of !Sub is used in policies")
        })?;
        return Ok(Json::String(sub_text(t, s, path)?));
    }
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).map_err(|e| format!("{path}: {e}"))?,
        Yaml::String(s) => {
            if s.contains("${") {
                return Err(format!(
                    "{path}: plain string {s:?} contains ${{: CloudFormation would not substitute it; use !Sub"
                ));
            }
            Json::String(s.clone())
        }
        Yaml::Sequence(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| as_placeholder_json(t, v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(map) => {
            let mut out = JsonMap::new();
            for (k, v) in map {
                let k = k
                    .as_str()
                    .ok_or_else(|| format!("{path}: non-string key {k:?}"))?;
                if k.starts_with("Fn::") {
                    return Err(format!("{path}: intrinsic {k} has no placeholder form"));
                }
                out.insert(
                    k.to_owned(),
                    as_placeholder_json(t, v, &format!("{path}.{k}"))?,
                );
            }
            Json::Object(out)
        }
        Yaml::Tagged(_) => unreachable!("tags handled above"),
    })
}

fn assert_document_equals_file(t: &Yaml, document: &Yaml, path: &str, file: &str) {
    let from_template = as_placeholder_json(t, document, path).unwrap_or_else(|e| panic!("{e}"));
    let from_file = policy_file(file);
    assert_eq!(
        from_template,
        from_file,
        "{path} differs from infra-policies/{file}\n--- template (placeholder form)\n{}\n--- file\n{}",
        serde_json::to_string_pretty(&from_template).unwrap(),
        serde_json::to_string_pretty(&from_file).unwrap()
    );
}

/// The inline policies of a role, by PolicyName.
fn inline_policies<'a>(t: &'a Yaml, role: &str) -> BTreeMap<String, &'a Yaml> {
    let Some(policies) = get(props(t, role), "Policies") else {
        return BTreeMap::new();
    };
    policies
        .as_sequence()
        .unwrap_or_else(|| panic!("{role}.Policies is a list"))
        .iter()
        .map(|p| {
            let name = at(p, &["PolicyName"])
                .as_str()
                .expect("PolicyName is a plain string")
                .to_owned();
            (name, at(p, &["PolicyDocument"]))
        })
        .collect()
}

// ------------------------------------------------------- SAM Globals, as SAM merges

/// SAM's Globals semantics: maps merge key by key (the resource wins), lists are
/// concatenated (globals first), scalars from the resource replace the global.
fn merge_globals(global: &Yaml, local: &Yaml) -> Yaml {
    match (global, local) {
        (Yaml::Mapping(g), Yaml::Mapping(l)) => {
            let mut out = g.clone();
            for (k, lv) in l {
                let merged = match g.get(k) {
                    Some(gv) => merge_globals(gv, lv),
                    None => lv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Mapping(out)
        }
        (Yaml::Sequence(g), Yaml::Sequence(l)) => {
            Yaml::Sequence(g.iter().chain(l).cloned().collect())
        }
        (_, l) => l.clone(),
    }
}

/// Every function resource with its effective properties (Globals applied).
fn functions(t: &Yaml) -> Vec<(String, Yaml, &Yaml)> {
    let globals = get(t, "Globals")
        .and_then(|g| get(g, "Function"))
        .cloned()
        .unwrap_or(Yaml::Mapping(Mapping::new()));
    let mut out = Vec::new();
    for (id, r) in resources_of_type(t, "AWS::Serverless::Function") {
        let local = get(r, "Properties")
            .cloned()
            .unwrap_or(Yaml::Mapping(Mapping::new()));
        out.push((id, merge_globals(&globals, &local), r));
    }
    for (id, r) in resources_of_type(t, "AWS::Lambda::Function") {
        let local = get(r, "Properties")
            .cloned()
            .unwrap_or(Yaml::Mapping(Mapping::new()));
        out.push((id, local, r));
    }
    out
}

const BINARIES: [&str; 5] = ["read-file", "write-file", "list", "delete", "web"];

/// The web page's routes: the only ones without the JWT authorizer.
const PUBLIC_ROUTES: [&str; 2] = ["GET / -> WebFunction", "GET /assets/{name} -> WebFunction"];

// ======================================================================== the tests

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
    assert!(
        get(role, "ManagedPolicyArns").is_none(),
        "AuthenticatedRole has no managed policy"
    );
    assert!(
        get(role, "PermissionsBoundary").is_none(),
        "AuthenticatedRole: no boundary expected (nothing to bound)"
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
        "AWS::S3::BucketPolicy HomeBucketPolicy",
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
        5,
        "five functions expected, found {:?}",
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
        BTreeSet::from(["FunctionRole".to_owned(), "WebFunctionRole".to_owned()]),
        "the four API functions share FunctionRole, the web page has its own"
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
    // No standalone policy resource attaches anything to the function role.
    for ty in [
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
    ] {
        assert!(
            resources_of_type(&t, ty).is_empty(),
            "no {ty} resources (they could attach S3 to a function role)"
        );
    }
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
fn bucket_versioning_is_on_and_noncurrent_versions_expire_by_parameter() {
    let t = template();
    let bucket = props(&t, "HomeBucket");
    assert_eq!(
        at(bucket, &["VersioningConfiguration", "Status"]).as_str(),
        Some("Enabled"),
        "HomeBucket versioning must be Enabled"
    );
    let rules = at(bucket, &["LifecycleConfiguration", "Rules"])
        .as_sequence()
        .expect("a list of rules");
    let expiring: Vec<&Yaml> = rules
        .iter()
        .filter(|r| get(r, "NoncurrentVersionExpiration").is_some())
        .collect();
    assert_eq!(expiring.len(), 1, "one rule expires noncurrent versions");
    assert_eq!(
        at(expiring[0], &["Status"]).as_str(),
        Some("Enabled"),
        "the noncurrent-version rule is enabled"
    );
    assert_eq!(
        ref_target(at(
            expiring[0],
            &["NoncurrentVersionExpiration", "NoncurrentDays"]
        )),
        Some("NoncurrentVersionExpirationDays"),
        "noncurrent versions expire after the parameterised number of days"
    );
    for rule in rules {
        assert!(
            get(rule, "ExpirationInDays").is_none() && get(rule, "ExpirationDate").is_none(),
            "no rule expires current files"
        );
    }
}

#[test]
fn bucket_policy_denies_requests_without_tls() {
    let t = template();
    let document = as_placeholder_json(
        &t,
        at(props(&t, "HomeBucketPolicy"), &["PolicyDocument"]),
        "HomeBucketPolicy",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let statements = document["Statement"]
        .as_array()
        .expect("a list of statements");
    let denies_plain_http = statements.iter().any(|s| {
        let secure_transport = &s["Condition"]["Bool"]["aws:SecureTransport"];
        s["Effect"] == "Deny"
            && s["Principal"] == "*"
            && s["Action"] == "s3:*"
            && (secure_transport == "false" || secure_transport == &Json::Bool(false))
            && s["Resource"]
                == serde_json::json!([
                    "arn:${AWS::Partition}:s3:::${HomeBucket}",
                    "arn:${AWS::Partition}:s3:::${HomeBucket}/*"
                ])
    });
    assert!(
        denies_plain_http,
        "HomeBucketPolicy must Deny s3:* to everyone on the bucket and its objects when aws:SecureTransport is false"
    );
}

#[test]
fn bucket_blocks_all_public_access_and_is_encrypted_and_owner_enforced() {
    let t = template();
    let bucket = props(&t, "HomeBucket");
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            get(at(bucket, &["PublicAccessBlockConfiguration"]), flag),
            Some(&Yaml::Bool(true)),
            "HomeBucket.PublicAccessBlockConfiguration.{flag} must be true"
        );
    }
    let rules = at(bucket, &["OwnershipControls", "Rules"])
        .as_sequence()
        .expect("a list");
    assert_eq!(rules.len(), 1, "one ownership rule");
    assert_eq!(
        at(&rules[0], &["ObjectOwnership"]).as_str(),
        Some("BucketOwnerEnforced"),
        "ACLs disabled"
    );
    let encryption = at(
        bucket,
        &["BucketEncryption", "ServerSideEncryptionConfiguration"],
    )
    .as_sequence()
    .expect("a list");
    assert!(!encryption.is_empty(), "default encryption is configured");
    assert!(get(bucket, "AccessControl").is_none(), "no canned ACL");
    assert!(
        get(bucket, "WebsiteConfiguration").is_none(),
        "no website hosting"
    );
}

#[test]
fn every_route_but_the_web_pages_requires_the_cognito_jwt_authorizer() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    assert_eq!(apis.len(), 1, "one HTTP API");
    let (api_id, api) = &apis[0];
    for raw in [
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Api",
        "AWS::Serverless::Api",
        "AWS::ApiGateway::RestApi",
    ] {
        assert!(
            resources_of_type(&t, raw).is_empty(),
            "no {raw}: every route comes from the one SAM HTTP API"
        );
    }
    let auth = at(api, &["Properties", "Auth"]);
    let default = at(auth, &["DefaultAuthorizer"])
        .as_str()
        .expect("DefaultAuthorizer is a name")
        .to_owned();
    let authorizer = at(auth, &["Authorizers", &default]);
    assert_eq!(
        at(authorizer, &["IdentitySource"]).as_str(),
        Some("$request.header.Authorization"),
        "the JWT comes from the Authorization header"
    );
    assert!(
        get(authorizer, "AuthorizationScopes").is_none(),
        "no scopes: an ID token carries none, so any scope would reject every caller"
    );
    assert!(
        get(authorizer, "FunctionArn").is_none(),
        "a JWT authorizer, not a Lambda authorizer"
    );
    let jwt = at(authorizer, &["JwtConfiguration"]);
    let issuer = get(jwt, "issuer")
        .or_else(|| get(jwt, "Issuer"))
        .expect("JwtConfiguration.issuer");
    assert_eq!(
        as_placeholder_json(&t, issuer, "issuer").unwrap(),
        Json::String("https://${UserPool.ProviderName}".into()),
        "issuer = https://cognito-idp.<region>.amazonaws.com/<user pool id>"
    );
    let audience = get(jwt, "audience")
        .or_else(|| get(jwt, "Audience"))
        .expect("JwtConfiguration.audience");
    assert_eq!(
        as_placeholder_json(&t, audience, "audience").unwrap(),
        serde_json::json!(["${UserPoolClient}"]),
        "audience = this app client only"
    );
    assert!(
        get(auth, "EnableIamAuthorizer").is_none(),
        "no IAM authorizer alongside"
    );

    let mut routes = BTreeSet::new();
    let mut public = BTreeSet::new();
    for (id, effective, _) in functions(&t) {
        let events = get(&effective, "Events")
            .and_then(Yaml::as_mapping)
            .cloned()
            .unwrap_or_default();
        for (name, event) in &events {
            let name = name.as_str().unwrap_or("?");
            let ty = at(event, &["Type"]).as_str().unwrap_or("?");
            assert_eq!(
                ty, "HttpApi",
                "{id}.{name}: only HttpApi events (an Api event would bypass the JWT authorizer)"
            );
            let p = at(event, &["Properties"]);
            assert_eq!(
                get(p, "ApiId").and_then(ref_target),
                Some(api_id.as_str()),
                "{id}.{name}: ApiId must be the HTTP API with the authorizer (without it SAM makes an implicit API with no auth)"
            );
            let method = at(p, &["Method"])
                .as_str()
                .expect("Method")
                .to_ascii_uppercase();
            let path = at(p, &["Path"]).as_str().expect("Path").to_owned();
            let route = format!("{method} {path} -> {id}");
            if let Some(event_auth) = get(p, "Auth") {
                let authorizer = get(event_auth, "Authorizer").and_then(Yaml::as_str);
                if authorizer == Some("NONE") {
                    public.insert(route.clone());
                } else {
                    assert_eq!(
                        authorizer,
                        Some(default.as_str()),
                        "{id}.{name}: the route overrides the authorizer"
                    );
                }
                assert!(
                    get(event_auth, "AuthorizationScopes").is_none(),
                    "{id}.{name}: no scopes"
                );
            }
            assert!(routes.insert(route), "{id}.{name}: duplicate route");
        }
    }
    let expected: BTreeSet<String> = [
        "GET /read-file -> ReadFileFunction",
        "PUT /write-file -> WriteFileFunction",
        "POST /write-file -> WriteFileFunction",
        "GET /write-file -> WriteFileFunction",
        "DELETE /write-file -> WriteFileFunction",
        "GET /list -> ListFunction",
        "DELETE /delete -> DeleteFunction",
    ]
    .into_iter()
    .chain(PUBLIC_ROUTES)
    .map(String::from)
    .collect();
    assert_eq!(
        routes, expected,
        "exactly the routes of the contract (write-file: PUT a small file, POST start or \
         complete a multipart upload, GET resume it, DELETE abort it; the web page)"
    );
    assert_eq!(
        public,
        PUBLIC_ROUTES.into_iter().map(String::from).collect(),
        "only the web page's routes go without the JWT authorizer (Auth.Authorizer NONE)"
    );
}

#[test]
fn every_function_is_arm64_provided_al2023_built_by_cargo_lambda_with_json_logs() {
    let t = template();
    let mut binaries = BTreeSet::new();
    for (id, effective, raw) in functions(&t) {
        assert_eq!(
            at(&effective, &["Runtime"]).as_str(),
            Some("provided.al2023"),
            "{id}: Runtime provided.al2023"
        );
        assert_eq!(
            at(&effective, &["Architectures"]),
            &Yaml::Sequence(vec![Yaml::String("arm64".into())]),
            "{id}: Architectures [arm64]"
        );
        assert_eq!(
            at(&effective, &["Handler"]).as_str(),
            Some("bootstrap"),
            "{id}: Handler bootstrap"
        );
        assert_eq!(
            at(&effective, &["CodeUri"]).as_str(),
            Some("."),
            "{id}: CodeUri is the workspace root"
        );
        assert_eq!(
            at(raw, &["Metadata", "BuildMethod"]).as_str(),
            Some("rust-cargolambda"),
            "{id}: rust-cargolambda build"
        );
        let binary = at(raw, &["Metadata", "BuildProperties", "Binary"])
            .as_str()
            .expect("Binary")
            .to_owned();
        assert!(
            BINARIES.contains(&binary.as_str()),
            "{id}: Binary {binary} is one of the workspace's four"
        );
        assert!(
            binaries.insert(binary.clone()),
            "{id}: Binary {binary} used twice"
        );
        assert_eq!(
            at(&effective, &["LoggingConfig", "LogFormat"]).as_str(),
            Some("JSON"),
            "{id}: JSON logs"
        );
        let memory = at(&effective, &["MemorySize"])
            .as_u64()
            .expect("MemorySize is a number");
        assert!((128..=10240).contains(&memory), "{id}: MemorySize {memory}");
        let timeout = at(&effective, &["Timeout"])
            .as_u64()
            .expect("Timeout is a number");
        assert!(
            timeout < 30,
            "{id}: Timeout {timeout} s must stay under the HTTP API's 30 s integration timeout"
        );

        let env = at(&effective, &["Environment", "Variables"]);
        for (var, target) in [
            ("USER_POOL_ID", "UserPool"),
            ("USER_POOL_CLIENT_ID", "UserPoolClient"),
            ("IDENTITY_POOL_ID", "IdentityPool"),
            ("BUCKET_NAME", "HomeBucket"),
            ("HOME_PREFIX", "HomePrefix"),
            ("USER_CHECK_TTL_SECS", "UserCheckTtlSecs"),
        ] {
            assert_eq!(
                get(env, var).and_then(ref_target),
                Some(target),
                "{id}: {var} = !Ref {target}"
            );
        }
        assert_eq!(
            get(env, "RUST_LOG").and_then(Yaml::as_str),
            Some("info"),
            "{id}: RUST_LOG=info"
        );
        assert!(
            get(env, "AWS_REGION").is_none(),
            "{id}: AWS_REGION is reserved and set by Lambda"
        );
        assert!(
            get(env, "AWS_ENDPOINT_URL").is_none(),
            "{id}: no endpoint override in AWS"
        );
    }
    assert_eq!(
        binaries,
        BINARIES.iter().map(|b| b.to_string()).collect(),
        "one function per binary"
    );
}

#[test]
fn parameters_defaults_match_the_contract() {
    let t = template();
    let p = at(&t, &["Parameters"]);
    assert_eq!(
        at(p, &["HomePrefix", "Default"]).as_str(),
        Some("home"),
        "HomePrefix defaults to home"
    );
    assert_eq!(
        at(p, &["UserCheckTtlSecs", "Default"]).as_u64(),
        Some(60),
        "USER_CHECK_TTL_SECS defaults to 60"
    );
    assert!(
        get(p, "NoncurrentVersionExpirationDays").is_some(),
        "noncurrent version expiry is a parameter"
    );
    assert!(
        get(p, "CallbackUrls").is_some(),
        "optional hosted-UI callback URLs are a parameter"
    );
    // HomePrefix ends up inside IAM ARNs and conditions: it must not be able to carry a
    // wildcard, a policy variable or a slash at either end.
    // Segments of letters, digits, `_` and `-` joined by `/`: no `*`, `?`, `$`, `{`, `.`.
    let pattern = at(p, &["HomePrefix", "AllowedPattern"])
        .as_str()
        .expect("HomePrefix has an AllowedPattern");
    assert_eq!(
        pattern, "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        "HomePrefix must stay limited to [A-Za-z0-9_-] segments (it lands in IAM ARNs and conditions)"
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

#[test]
fn outputs_are_the_ones_the_e2e_suite_reads() {
    let t = template();
    let outputs: BTreeSet<&str> = at(&t, &["Outputs"])
        .as_mapping()
        .unwrap()
        .keys()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        outputs,
        BTreeSet::from([
            "ApiUrl",
            "Region",
            "UserPoolId",
            "UserPoolClientId",
            "IdentityPoolId",
            "BucketName",
            "WebUrl"
        ]),
        "stack outputs"
    );
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

// ------------------------------------------------------------------- lifecycle

fn policy_of<'a>(t: &'a Yaml, logical_id: &str, attribute: &str) -> Option<&'a str> {
    get(resource(t, logical_id), attribute).and_then(Yaml::as_str)
}

/// The home folders are named after Identity IDs that exist only in this identity pool,
/// whose identities are users of this user pool: the bucket, both pools and the bucket
/// policy survive stack deletion and replacement. Only the rollback of the operation
/// that created them may delete the bucket, its policy and the identity pool (no
/// orphan after a failed first deploy); the user pool is plain Retain because its
/// deletion protection would make such a rollback fail.
#[test]
fn stateful_resources_survive_stack_deletion_and_replacement() {
    let t = template();
    for (id, deletion) in [
        ("UserPool", "Retain"),
        ("IdentityPool", "RetainExceptOnCreate"),
        ("HomeBucket", "RetainExceptOnCreate"),
        ("HomeBucketPolicy", "RetainExceptOnCreate"),
    ] {
        assert_eq!(
            policy_of(&t, id, "DeletionPolicy"),
            Some(deletion),
            "{id}: DeletionPolicy {deletion}"
        );
        assert_eq!(
            policy_of(&t, id, "UpdateReplacePolicy"),
            Some("Retain"),
            "{id}: UpdateReplacePolicy Retain (a replacement must not delete the old one)"
        );
    }
    // Whatever is added later: no user pool, identity pool, bucket or bucket policy of
    // this template may be deleted by a stack operation.
    for ty in [
        "AWS::Cognito::UserPool",
        "AWS::Cognito::IdentityPool",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
    ] {
        for (id, _) in resources_of_type(&t, ty) {
            assert!(
                matches!(
                    policy_of(&t, &id, "DeletionPolicy"),
                    Some("Retain" | "RetainExceptOnCreate")
                ),
                "{ty} {id} must be retained on stack deletion"
            );
            assert_eq!(
                policy_of(&t, &id, "UpdateReplacePolicy"),
                Some("Retain"),
                "{ty} {id} must be retained on replacement"
            );
        }
    }
}

#[test]
fn user_pool_has_deletion_protection() {
    let t = template();
    assert_eq!(
        get(props(&t, "UserPool"), "DeletionProtection").and_then(Yaml::as_str),
        Some("ACTIVE"),
        "UserPool.DeletionProtection ACTIVE: deleting the pool by hand needs a deliberate step first"
    );
}

/// The decision README.md explains: the authenticated role and its attachment go with
/// the stack, so a deleted stack leaves an identity pool that issues no credentials
/// (no direct S3 access for anyone) while files and Identity IDs survive.
#[test]
fn authenticated_role_and_its_attachment_are_deleted_with_the_stack() {
    let t = template();
    for id in ["AuthenticatedRole", "IdentityPoolRoleAttachment"] {
        for attribute in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert!(
                matches!(policy_of(&t, id, attribute), None | Some("Delete")),
                "{id}.{attribute}: deleted with the stack (see README, Deleting the stack)"
            );
        }
    }
}

// ------------------------------------------------- conditions, as CloudFormation

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

// ------------------------------------------------------------- large files (issue 8)

fn parameter<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    at(t, &["Parameters", name])
}

fn strings(value: &Yaml, what: &str) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("{what} is a list"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{what}: {v:?} is a string"))
                .to_owned()
        })
        .collect()
}

#[test]
fn incomplete_multipart_uploads_are_aborted_after_the_parameterised_days() {
    let t = template();
    let p = parameter(&t, "AbortIncompleteUploadDays");
    assert_eq!(at(p, &["Type"]).as_str(), Some("Number"));
    assert_eq!(at(p, &["Default"]).as_u64(), Some(2), "default 2 days");
    assert_eq!(at(p, &["MinValue"]).as_u64(), Some(1), "at least 1 day");
    let rules = at(
        props(&t, "HomeBucket"),
        &["LifecycleConfiguration", "Rules"],
    )
    .as_sequence()
    .expect("a list of rules");
    let aborting: Vec<&Yaml> = rules
        .iter()
        .filter(|r| get(r, "AbortIncompleteMultipartUpload").is_some())
        .collect();
    assert_eq!(aborting.len(), 1, "one rule aborts incomplete uploads");
    assert_eq!(at(aborting[0], &["Status"]).as_str(), Some("Enabled"));
    assert!(
        get(aborting[0], "Prefix").is_none() && get(aborting[0], "TagFilters").is_none(),
        "the rule covers the whole bucket"
    );
    assert_eq!(
        ref_target(at(
            aborting[0],
            &["AbortIncompleteMultipartUpload", "DaysAfterInitiation"]
        )),
        Some("AbortIncompleteUploadDays"),
        "the days come from the parameter"
    );
}

#[test]
fn bucket_cors_lets_browsers_get_and_put_presigned_urls_and_read_the_etag() {
    let t = template();
    let rules = at(props(&t, "HomeBucket"), &["CorsConfiguration", "CorsRules"])
        .as_sequence()
        .expect("a list of CORS rules");
    assert_eq!(rules.len(), 1, "one CORS rule");
    let rule = &rules[0];
    assert_eq!(
        ref_target(at(rule, &["AllowedOrigins"])),
        Some("CorsAllowedOrigins"),
        "the bucket allows the same origins as the API"
    );
    let methods: BTreeSet<String> = strings(at(rule, &["AllowedMethods"]), "AllowedMethods")
        .into_iter()
        .collect();
    assert_eq!(
        methods,
        BTreeSet::from(["GET".to_owned(), "HEAD".to_owned(), "PUT".to_owned()]),
        "presigned GET/HEAD (downloads) and PUT (upload parts) only; no DELETE or POST"
    );
    let allowed = strings(at(rule, &["AllowedHeaders"]), "AllowedHeaders");
    assert!(
        allowed.iter().any(|h| h == "*")
            || ["content-type", "content-length"]
                .iter()
                .all(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h))),
        "a presigned PUT's content-type and content-length are allowed: {allowed:?}"
    );
    let exposed = strings(at(rule, &["ExposedHeaders"]), "ExposedHeaders");
    for header in ["ETag", "Last-Modified", "x-amz-version-id"] {
        assert!(
            exposed.iter().any(|h| h.eq_ignore_ascii_case(header)),
            "{header} is exposed (a browser completes an upload with the parts' ETags): {exposed:?}"
        );
    }
}

#[test]
fn api_cors_allows_every_method_of_the_routes() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    let (_, api) = &apis[0];
    let cors = at(api, &["Properties", "CorsConfiguration"]);
    assert_eq!(
        ref_target(at(cors, &["AllowOrigins"])),
        Some("CorsAllowedOrigins")
    );
    let methods: BTreeSet<String> = strings(at(cors, &["AllowMethods"]), "AllowMethods")
        .into_iter()
        .collect();
    for method in ["GET", "PUT", "POST", "DELETE", "OPTIONS"] {
        assert!(
            methods.contains(method),
            "{method} is allowed by the API's CORS"
        );
    }
}

#[test]
fn api_cors_exposes_the_headers_clients_read() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    let (_, api) = &apis[0];
    let cors = at(api, &["Properties", "CorsConfiguration"]);
    let exposed: BTreeSet<String> = strings(at(cors, &["ExposeHeaders"]), "ExposeHeaders")
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    // etag and last-modified for conditional writes and caching, retry-after on 503,
    // x-version-id: the version a read served or a delete made (a browser cannot read
    // a response header the API does not expose).
    assert_eq!(
        exposed,
        BTreeSet::from(["etag", "last-modified", "retry-after", "x-version-id"].map(String::from)),
        "the API's CORS exposes exactly these headers"
    );
}

#[test]
fn max_upload_bytes_is_a_bounded_parameter_given_to_every_function() {
    let t = template();
    let p = parameter(&t, "MaxUploadBytes");
    assert_eq!(at(p, &["Type"]).as_str(), Some("Number"));
    assert_eq!(
        at(p, &["Default"]).as_u64(),
        Some(5 * 1024 * 1024 * 1024),
        "default 5 GiB"
    );
    assert_eq!(at(p, &["MinValue"]).as_u64(), Some(1));
    assert_eq!(
        at(p, &["MaxValue"]).as_u64(),
        Some(5 * 1024 * 1024 * 1024 * 1024),
        "at most S3's 5 TiB object limit"
    );
    let global = at(
        &t,
        &[
            "Globals",
            "Function",
            "Environment",
            "Variables",
            "MAX_UPLOAD_BYTES",
        ],
    );
    assert_eq!(ref_target(global), Some("MaxUploadBytes"));
    for (id, effective, _) in functions(&t) {
        assert_eq!(
            ref_target(at(
                &effective,
                &["Environment", "Variables", "MAX_UPLOAD_BYTES"]
            )),
            Some("MaxUploadBytes"),
            "{id}: MAX_UPLOAD_BYTES comes from the parameter"
        );
    }
}

// ------------------------------------------------------------------ the web page

/// The web function makes no AWS call: its role writes its own log and nothing else,
/// it is the only function with that role, and its routes are GET only.
#[test]
fn web_function_role_writes_its_log_and_nothing_else() {
    let t = template();
    let fns = functions(&t);
    let users: Vec<&str> = fns
        .iter()
        .filter(|(_, effective, _)| {
            getatt_target(at(effective, &["Role"])).as_deref() == Some("WebFunctionRole.Arn")
        })
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(
        users,
        ["WebFunction"],
        "only the web function has WebFunctionRole"
    );
    assert_document_equals_file(
        &t,
        at(props(&t, "WebFunctionRole"), &["AssumeRolePolicyDocument"]),
        "WebFunctionRole.AssumeRolePolicyDocument",
        "function-trust-policy.json",
    );
    let role = props(&t, "WebFunctionRole");
    assert!(
        get(role, "ManagedPolicyArns").is_none(),
        "no managed policies"
    );
    let policies = inline_policies(&t, "WebFunctionRole");
    assert_eq!(policies.len(), 1, "one inline policy");
    let (name, document) = policies.into_iter().next().unwrap();
    let json = as_placeholder_json(&t, document, &format!("WebFunctionRole.Policies[{name}]"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json,
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "WriteOwnLogsOnly",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "${WebLogGroup.Arn}"
            }]
        }),
        "the web function may write its own log group and nothing else"
    );
    assert_eq!(
        at(props(&t, "WebLogGroup"), &["RetentionInDays"]),
        at(props(&t, "ReadFileLogGroup"), &["RetentionInDays"]),
        "the web log is kept as long as the others"
    );
}

#[test]
fn web_function_gets_the_page_settings_and_little_memory() {
    let t = template();
    let (_, effective, _) = functions(&t)
        .into_iter()
        .find(|(id, _, _)| id == "WebFunction")
        .expect("a WebFunction");
    let env = at(&effective, &["Environment", "Variables"]);
    assert_eq!(
        get(env, "USER_POOL_CLIENT_ID").and_then(ref_target),
        Some("UserPoolClient"),
        "the page signs in with the stack's app client"
    );
    let sub = |name: &str| {
        as_placeholder_json(&t, at(env, &[name]), name).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        sub("WEB_COGNITO_URL"),
        Json::String("https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/".into()),
        "the user pool API of the stack's region"
    );
    let origins = sub("WEB_S3_ORIGINS");
    let origins: Vec<&str> = origins.as_str().expect("a string").split(' ').collect();
    assert_eq!(
        origins,
        [
            "https://${HomeBucket}.s3.${AWS::Region}.${AWS::URLSuffix}",
            "https://${HomeBucket}.s3.${AWS::URLSuffix}"
        ],
        "the bucket's virtual-hosted origins, where presigned URLs point"
    );
    assert_eq!(
        at(env, &["WEB_API_BASE"]).as_str(),
        Some(""),
        "the API routes sit at the root of the page's origin"
    );
    let memory = at(&effective, &["MemorySize"]).as_u64().expect("a number");
    assert_eq!(memory, 128, "the page is served from memory");
}

/// The page PUTs parts straight to the bucket from its origin, the API's: the bucket's
/// CORS rule must allow that origin by default.
#[test]
fn the_default_cors_origins_let_the_stacks_own_page_upload_parts() {
    let t = template();
    let default = at(parameter(&t, "CorsAllowedOrigins"), &["Default"])
        .as_str()
        .expect("a default");
    assert_eq!(default, "*", "any origin, the page's included");
    let web_url = as_placeholder_json(&t, at(&t, &["Outputs", "WebUrl", "Value"]), "WebUrl")
        .unwrap_or_else(|e| panic!("{e}"));
    let api_url = as_placeholder_json(&t, at(&t, &["Outputs", "ApiUrl", "Value"]), "ApiUrl")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        web_url, api_url,
        "the page is served at the API's root, same origin"
    );
}
