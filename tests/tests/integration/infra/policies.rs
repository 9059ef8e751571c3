//! Isolation proven offline: the IAM documents in `infra-policies/` (which
//! `infra/template/iam.rs` proves equal to the template's) are evaluated with the `iam-rs`
//! policy evaluator.
//!
//! Before evaluation the deploy-time placeholders (`${HomeBucket}`, `${HomePrefix}`,
//! `${IdentityPool}`, `${AWS::Partition}`, ...) are replaced with test values, and the IAM
//! policy variable `${cognito-identity.amazonaws.com:sub}` with the calling identity's
//! Identity ID — which is what IAM does at request time. (iam-rs would substitute
//! variables in `Resource` by itself, but not inside `Condition` values, where the
//! `s3:prefix` check needs it.)
//!
//! The S3 cases live in `infra-policies/cases.json`, the one table the emulator's own
//! tests read too, so the two evaluators cannot drift; the trust-policy and
//! function-role cases are here. Expected decisions are exact: `Allow`;
//! `NotApplicable`, i.e. an implicit deny (no statement grants it, `ImplicitDeny` in
//! the table); or `Deny`, an explicit deny by a Deny statement (`ExplicitDeny`).

use homedir_tests::repo_text;
use iam_rs::{
    Arn, Context, ContextValue, Decision, EvaluationOptions, IAMPolicy, IAMRequest,
    PolicyEvaluator, Principal, PrincipalId, Validate,
};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const BUCKET: &str = "homedir-test-homebucket-1a2b3c4d5e6f";
const OTHER_BUCKET: &str = "homedir-other-homebucket-6f5e4d3c2b1a";
const HOME_PREFIX: &str = "home";
const TEAM_PREFIX: &str = "teams";
const IDENTITY_POOL: &str = "us-east-1:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const OTHER_IDENTITY_POOL: &str = "us-east-1:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
const USER_POOL_ID: &str = "us-east-1_AbC123xyz";
const OTHER_USER_POOL_ID: &str = "us-east-1_Other9876";

/// Identity IDs as Cognito hands them out: `<region>:<uuid>`.
const A: &str = "us-east-1:11111111-1111-1111-1111-111111111111";
const B: &str = "us-east-1:22222222-2222-2222-2222-222222222222";

const IAM_VARIABLE: &str = "${cognito-identity.amazonaws.com:sub}";

fn user_pool_arn(pool: &str) -> String {
    format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool}")
}

fn log_group_arn(function: &str) -> String {
    // The form of a log group's Fn::GetAtt Arn: it ends in `:*`.
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/homedir-test/{function}:*")
}

/// The value of every deploy-time placeholder (see infra-policies/README.md).
fn placeholders() -> Vec<(&'static str, String)> {
    vec![
        ("AWS::Partition", "aws".into()),
        ("AWS::Region", REGION.into()),
        ("AWS::AccountId", ACCOUNT.into()),
        ("AWS::URLSuffix", "amazonaws.com".into()),
        ("HomeBucket", BUCKET.into()),
        ("HomePrefix", HOME_PREFIX.into()),
        ("TeamPrefix", TEAM_PREFIX.into()),
        ("IdentityPool", IDENTITY_POOL.into()),
        ("UserPool.Arn", user_pool_arn(USER_POOL_ID)),
        ("ReadFileLogGroup.Arn", log_group_arn("read-file")),
        ("WriteFileLogGroup.Arn", log_group_arn("write-file")),
        ("ListLogGroup.Arn", log_group_arn("list")),
        ("DeleteLogGroup.Arn", log_group_arn("delete")),
        ("UsageLogGroup.Arn", log_group_arn("usage")),
        ("UsageTable.Arn", USAGE_TABLE_ARN.into()),
        (
            "IdentityTable.Arn",
            "arn:aws:dynamodb:us-east-1:123456789012:table/homedir-test-IdentityTable-1A2B3C"
                .into(),
        ),
        (
            "UserChangesTable.Arn",
            "arn:aws:dynamodb:us-east-1:123456789012:table/homedir-test-UserChangesTable-1A2B3C"
                .into(),
        ),
        ("TokenClaimsLogGroup.Arn", log_group_arn("token-claims")),
        ("UserChangesLogGroup.Arn", log_group_arn("user-changes")),
        ("QuotaDenyPolicy1", quota_policy_arn(1)),
        ("QuotaDenyPolicy2", quota_policy_arn(2)),
        ("QuotaDenyPolicy3", quota_policy_arn(3)),
        ("QuotaDenyPolicy4", quota_policy_arn(4)),
    ]
}

const USAGE_TABLE_ARN: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/homedir-test-UsageTable-1A2B3C";

/// The ARN `!Ref` of an `AWS::IAM::ManagedPolicy` returns.
fn quota_policy_arn(n: u8) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/homedir-test-QuotaDenyPolicy{n}-ABCDEF")
}

fn policy_text(file: &str) -> String {
    repo_text(&format!("infra-policies/{file}"))
}

/// The policy in `file` as IAM sees it for a request by `caller` (an Identity ID), or
/// with no caller for documents that must not contain the per-identity variable.
fn policy(file: &str, caller: Option<&str>) -> IAMPolicy {
    let mut text = policy_text(file);
    for (name, value) in placeholders() {
        text = text.replace(&format!("${{{name}}}"), &value);
    }
    match caller {
        Some(identity) => text = text.replace(IAM_VARIABLE, identity),
        None => assert!(
            !text.contains(IAM_VARIABLE),
            "{file} unexpectedly uses {IAM_VARIABLE}"
        ),
    }
    assert!(
        !text.contains("${"),
        "{file}: a placeholder has no test value:\n{text}"
    );
    IAMPolicy::from_json(&text)
        .unwrap_or_else(|e| panic!("{file} is not an IAM policy iam-rs can read: {e}"))
}

fn evaluate(
    case: &str,
    policies: Vec<IAMPolicy>,
    request: &IAMRequest,
    options: EvaluationOptions,
) -> Decision {
    PolicyEvaluator::with_policies(policies)
        .with_options(options)
        .evaluate(request)
        .unwrap_or_else(|e| panic!("case `{case}`: iam-rs could not evaluate: {e}"))
        .decision
}

fn expect(case: &str, decision: Decision, expected: Decision) {
    let meaning = |d: Decision| match d {
        Decision::Allow => "Allow",
        Decision::Deny => "explicit Deny",
        Decision::NotApplicable => "implicit deny (NotApplicable)",
    };
    assert_eq!(
        decision,
        expected,
        "case `{case}`: expected {}, got {}",
        meaning(expected),
        meaning(decision)
    );
}

// ------------------------------------------------------------- the per-user S3 role

fn object(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

fn bucket(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

fn home(identity: &str, rest: &str) -> String {
    format!("{HOME_PREFIX}/{identity}/{rest}")
}

/// The session Cognito's GetCredentialsForIdentity hands back, as S3 sees the caller.
fn role_session() -> Principal {
    Principal::Aws(PrincipalId::String(format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-AuthenticatedRole-ABCDEF/CognitoIdentityCredentials"
    )))
}

/// `infra-policies/cases.json`: the one table of S3 authorization cases, shared with the
/// emulator's own tests (its `about` field documents the format).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseTable {
    #[allow(dead_code)]
    about: Vec<String>,
    placeholders: BTreeMap<String, String>,
    values: BTreeMap<String, String>,
    identities: BTreeMap<String, String>,
    /// Identity name → the session tags its credentials carry (absent: none).
    principal_tags: BTreeMap<String, BTreeMap<String, String>>,
    documents: Vec<String>,
    /// The role's permissions boundary, applied to every case.
    boundary: String,
    cases: Vec<S3Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct S3Case {
    name: String,
    identity: String,
    action: String,
    resource: String,
    context: serde_json::Map<String, Json>,
    /// Documents attached to the role for this case alone.
    #[serde(default)]
    attached: Vec<String>,
    /// The S3 operation the emulator's HTTP replay sends (IAM sees `action`).
    #[serde(default)]
    #[allow(dead_code)]
    operation: Option<String>,
    expect: Expected,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
enum Expected {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
}

impl Expected {
    fn decision(self) -> Decision {
        match self {
            Expected::Allow => Decision::Allow,
            Expected::ImplicitDeny => Decision::NotApplicable,
            Expected::ExplicitDeny => Decision::Deny,
        }
    }
}

fn case_table() -> CaseTable {
    serde_json::from_str(&policy_text("cases.json"))
        .unwrap_or_else(|e| panic!("infra-policies/cases.json does not follow its format: {e}"))
}

impl CaseTable {
    /// `{bucket}`, `{other_bucket}`, `{prefix}`, `{A}`, `{B}` replaced by their values.
    fn expand(&self, case: &str, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, value) in self.values.iter().chain(&self.identities) {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        assert!(
            !out.contains('{') && !out.contains('}'),
            "case `{case}`: {text:?} names a value the table does not define"
        );
        out
    }

    /// The request context of a case, typed as the table's `about` says; a request
    /// that says nothing about its transport came over TLS 1.3.
    fn context(&self, case: &S3Case) -> Context {
        let mut context = Context::new();
        for (key, value) in &case.context {
            let typed = match value {
                Json::String(s) => ContextValue::String(self.expand(&case.name, s)),
                Json::Bool(b) => ContextValue::Boolean(*b),
                Json::Number(n) => ContextValue::Number(n.as_f64().expect("a finite number")),
                Json::Array(items) => ContextValue::StringList(
                    items
                        .iter()
                        .map(|item| {
                            let s = item.as_str().unwrap_or_else(|| {
                                panic!("case `{}`: {key} lists a non-string", case.name)
                            });
                            self.expand(&case.name, s)
                        })
                        .collect(),
                ),
                other => panic!("case `{}`: {key} has no context type: {other}", case.name),
            };
            context.insert(key.clone(), typed);
        }
        // The identity pool's sessions carry the caller's Identity ID as a key.
        context.insert(
            "cognito-identity.amazonaws.com:sub".into(),
            ContextValue::String(self.identity(case).to_owned()),
        );
        for (key, value) in self.tags(&case.identity) {
            context.insert(
                format!("aws:PrincipalTag/{key}"),
                ContextValue::String(value.clone()),
            );
        }
        if !case.context.contains_key("aws:SecureTransport") {
            context.insert("aws:SecureTransport".into(), ContextValue::Boolean(true));
            context.insert("s3:TlsVersion".into(), ContextValue::Number(1.3));
        }
        context
    }

    /// The session tags of the identity named `who`.
    fn tags(&self, who: &str) -> BTreeMap<String, String> {
        self.principal_tags.get(who).cloned().unwrap_or_default()
    }

    /// A document of the table as IAM sees it for a request by the identity `who`.
    fn document(&self, file: &str, who: &str) -> IAMPolicy {
        self.parse(file, &policy_text(file), who)
    }

    /// `text` (the content of `file`) with the table's placeholders, the caller's
    /// Identity ID and principal tags filled in, as an iam-rs policy.
    fn parse(&self, file: &str, text: &str, who: &str) -> IAMPolicy {
        let identity = self
            .identities
            .get(who)
            .unwrap_or_else(|| panic!("identity {who} is not in `identities`"));
        let mut text = text.to_owned();
        for (name, value) in &self.placeholders {
            text = text.replace(&format!("${{{name}}}"), value);
        }
        text = text.replace(IAM_VARIABLE, identity);
        let document: Json =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
        let text = with_principal_tags(document, &self.tags(who)).to_string();
        assert!(
            !text.contains("${"),
            "{file}: a placeholder has no value in cases.json:\n{text}"
        );
        IAMPolicy::from_json(&text)
            .unwrap_or_else(|e| panic!("{file} is not an IAM policy iam-rs can read: {e}"))
    }

    fn identity(&self, case: &S3Case) -> &str {
        self.identities.get(&case.identity).unwrap_or_else(|| {
            panic!(
                "case `{}`: identity {} is not in `identities`",
                case.name, case.identity
            )
        })
    }

    /// The files in effect for a case: the table's documents and the case's own.
    fn files<'a>(&'a self, case: &'a S3Case) -> impl Iterator<Item = &'a String> {
        self.documents.iter().chain(&case.attached)
    }

    /// The decision for one case: the table's documents and the case's attached ones
    /// together, as S3 evaluates a same-account request (an explicit deny in any wins;
    /// an allow in any grants), within the role's permissions boundary.
    fn decide(&self, case: &S3Case) -> Decision {
        self.identity(case);
        let documents = self
            .files(case)
            .map(|file| self.document(file, &case.identity))
            .collect();
        let boundary = self.document(&self.boundary, &case.identity);
        self.decide_with(case, documents, boundary)
    }

    /// `documents` decide; an allow stands only if `boundary` allows too ("Permissions
    /// boundaries for IAM entities": the effective permissions are what both allow; an
    /// explicit deny in either wins). The bucket policy, one of the documents, only
    /// denies, so no resource-policy grant past the boundary arises.
    fn decide_with(
        &self,
        case: &S3Case,
        documents: Vec<IAMPolicy>,
        boundary: IAMPolicy,
    ) -> Decision {
        match self.decide_documents(case, documents) {
            Decision::Allow => match self.decide_documents(case, vec![boundary]) {
                Decision::Allow => Decision::Allow,
                Decision::Deny => Decision::Deny,
                Decision::NotApplicable => Decision::NotApplicable,
            },
            other => other,
        }
    }

    fn decide_documents(&self, case: &S3Case, documents: Vec<IAMPolicy>) -> Decision {
        let resource = self.expand(&case.name, &case.resource);
        let request = IAMRequest::new_with_context(
            role_session(),
            &case.action,
            Arn::parse(&resource)
                .unwrap_or_else(|e| panic!("case `{}`: bad ARN {resource}: {e}", case.name)),
            self.context(case),
        );
        evaluate(
            &case.name,
            documents,
            &request,
            EvaluationOptions::default(),
        )
    }
}

/// `${aws:PrincipalTag/K}` in `document` resolved as IAM resolves it for a session
/// with `tags` (IAM User Guide, "Policy variables with no value":
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value>).
/// A present tag is its value. For an absent one, a `Resource` (or `NotResource`)
/// entry holding it matches no resource, so the entry is dropped (a statement left
/// with none applies to nothing and is dropped too); in a `Condition` value it is
/// effectively null, which `StringEquals`/`StringLike` never match and
/// `StringNotEquals`/`StringNotLike` always do: a value no request carries has exactly
/// that effect. (iam-rs alone would put an empty string there, so `teams//*` would
/// match `teams//f`.)
fn with_principal_tags(mut document: Json, tags: &BTreeMap<String, String>) -> Json {
    const NO_VALUE: &str = "\u{0}no value\u{0}";
    let resolve = |text: &str| -> Option<String> {
        let mut out = text.to_owned();
        while let Some(start) = out.find("${aws:PrincipalTag/") {
            let end = start + out[start..].find('}')?;
            let key = &out[start + "${aws:PrincipalTag/".len()..end];
            let value = tags.get(key)?.clone();
            out.replace_range(start..=end, &value);
        }
        Some(out)
    };
    let statements = document["Statement"]
        .as_array_mut()
        .expect("Statement list");
    statements.retain_mut(|statement| {
        for element in ["Resource", "NotResource"] {
            let Some(resources) = statement.get_mut(element) else {
                continue;
            };
            let kept: Vec<Json> = match resources {
                Json::String(one) => vec![Json::String(one.clone())],
                Json::Array(many) => many.clone(),
                _ => continue,
            }
            .into_iter()
            .filter_map(|r| r.as_str().and_then(resolve).map(Json::String))
            .collect();
            if kept.is_empty() {
                return false;
            }
            *resources = Json::Array(kept);
        }
        if let Some(Json::Object(operators)) = statement.get_mut("Condition") {
            for keys in operators.values_mut() {
                let Json::Object(keys) = keys else { continue };
                for values in keys.values_mut() {
                    let fill = |v: &mut Json| {
                        if let Json::String(text) = v {
                            *text = resolve(text).unwrap_or_else(|| NO_VALUE.to_owned());
                        }
                    };
                    match values {
                        Json::Array(many) => many.iter_mut().for_each(fill),
                        one => fill(one),
                    }
                }
            }
        }
        true
    });
    document
}

#[test]
fn principal_tags_resolve_as_iam_resolves_them() {
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": ["arn:aws:s3:::b/t/${aws:PrincipalTag/team}/*", "arn:aws:s3:::b/x"]},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}",
         "Condition": {"StringLike": {"s3:prefix": "t/${aws:PrincipalTag/team}/*"}}}
    ]});
    let acme = BTreeMap::from([("team".to_owned(), "acme".to_owned())]);
    let tagged = with_principal_tags(document.clone(), &acme);
    assert_eq!(
        tagged["Statement"][0]["Resource"],
        serde_json::json!(["arn:aws:s3:::b/t/acme/*", "arn:aws:s3:::b/x"])
    );
    assert_eq!(
        tagged["Statement"][1]["Condition"]["StringLike"]["s3:prefix"],
        "t/acme/*"
    );
    let untagged = with_principal_tags(document, &BTreeMap::new());
    // The resource with the variable matches nothing: only the plain one is left, and
    // the statement whose only resource held it is gone.
    assert_eq!(
        untagged["Statement"],
        serde_json::json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/x"]}])
    );
}

fn meaning(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "Allow",
        Decision::Deny => "ExplicitDeny",
        Decision::NotApplicable => "ImplicitDeny",
    }
}

/// Every case of `infra-policies/cases.json`, evaluated with iam-rs; one failure
/// report names every case that did not get its expected decision.
#[test]
fn every_s3_case_of_the_shared_table_gets_its_expected_decision() {
    let table = case_table();
    assert!(
        table.cases.len() >= 100,
        "the table lost cases: {} left",
        table.cases.len()
    );
    let mut failures = Vec::new();
    for case in &table.cases {
        let got = table.decide(case);
        if got != case.expect.decision() {
            failures.push(format!(
                "  {}: {} {} {:?} context {}: expected {:?}, got {}",
                case.name,
                case.identity,
                case.action,
                table.expand(&case.name, &case.resource),
                serde_json::Value::Object(case.context.clone()),
                case.expect,
                meaning(got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases in infra-policies/cases.json failed:\n{}",
        failures.len(),
        table.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_shared_table_is_well_formed_and_agrees_with_these_tests() {
    let table = case_table();
    let mut names = BTreeSet::new();
    for case in &table.cases {
        assert!(
            names.insert(case.name.as_str()),
            "case `{}` appears twice",
            case.name
        );
        assert!(
            case.action.starts_with("s3:"),
            "case `{}`: the table holds S3 cases only",
            case.name
        );
        assert!(
            case.resource.starts_with("arn:aws:s3:::"),
            "case `{}`: resource is an S3 ARN",
            case.name
        );
    }
    // Every kind of decision is exercised, by both identities.
    for expected in [
        Expected::Allow,
        Expected::ImplicitDeny,
        Expected::ExplicitDeny,
    ] {
        assert!(
            table.cases.iter().any(|c| c.expect == expected),
            "no {expected:?} case"
        );
    }
    assert_eq!(
        table.documents,
        ["authenticated-s3-policy.json", "bucket-policy.json"],
        "the S3 cases evaluate the role's policy and the bucket policy together"
    );
    assert_eq!(
        table.boundary, "authenticated-boundary-policy.json",
        "within the role's permissions boundary"
    );
    for case in &table.cases {
        for file in &case.attached {
            assert!(
                ["quota-deny-example.json", "boundary-probe-policy.json"].contains(&file.as_str()),
                "case `{}` attaches {file}, which the replay does not know",
                case.name
            );
        }
        if let Some(operation) = &case.operation {
            assert!(
                [
                    "CreateMultipartUpload",
                    "UploadPart",
                    "CompleteMultipartUpload",
                    "CopyObject"
                ]
                .contains(&operation.as_str())
                    && case.action == "s3:PutObject",
                "case `{}`: operation {operation} is one IAM authorizes as s3:PutObject",
                case.name
            );
        }
    }
    // The table's values are the ones the rest of this file uses.
    let rust = placeholders();
    for (name, value) in &table.placeholders {
        let ours = rust
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        assert_eq!(ours, Some(value.as_str()), "placeholder {name}");
    }
    assert_eq!(table.values["bucket"], BUCKET);
    assert_eq!(table.values["other_bucket"], OTHER_BUCKET);
    assert_eq!(table.values["prefix"], HOME_PREFIX);
    assert_eq!(table.values["team_prefix"], TEAM_PREFIX);
    assert_eq!(
        table.placeholders["TeamPrefix"],
        table.values["team_prefix"]
    );
    for who in table.principal_tags.keys() {
        assert!(
            table.identities.contains_key(who),
            "principal_tags names {who}, who is not in `identities`"
        );
    }
    assert_eq!(table.placeholders["HomeBucket"], table.values["bucket"]);
    assert_eq!(table.placeholders["HomePrefix"], table.values["prefix"]);
    assert_eq!(table.identities["A"], A);
    assert_eq!(table.identities["B"], B);
}

/// Every statement of the table's documents, of its boundary and of every document a
/// case attaches decides at least one case: with the statement removed, some case
/// (among those the file is in effect for) changes its decision. A statement no case
/// depends on would be untested.
#[test]
fn every_statement_of_the_evaluated_documents_decides_some_case() {
    let table = case_table();
    let mut files: Vec<String> = table.documents.clone();
    files.push(table.boundary.clone());
    for case in &table.cases {
        for file in &case.attached {
            if !files.contains(file) {
                files.push(file.clone());
            }
        }
    }
    for file in &files {
        let document: Json = serde_json::from_str(&policy_text(file)).expect("policy JSON");
        let count = document["Statement"].as_array().expect("a list").len();
        for index in 0..count {
            let sid = document["Statement"][index]["Sid"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            let mut without = document.clone();
            without["Statement"].as_array_mut().unwrap().remove(index);
            let without = without.to_string();
            let load = |f: &String, who: &str| {
                if f == file {
                    table.parse(f, &without, who)
                } else {
                    table.document(f, who)
                }
            };
            let changed = table.cases.iter().any(|case| {
                let in_effect = table.files(case).any(|f| f == file) || &table.boundary == file;
                if !in_effect {
                    return false;
                }
                let documents = table.files(case).map(|f| load(f, &case.identity)).collect();
                let boundary = load(&table.boundary, &case.identity);
                table.decide_with(case, documents, boundary) != case.expect.decision()
            });
            assert!(
                changed,
                "statement {sid} of {file} decides no case of cases.json: add one"
            );
        }
    }
}

/// The quota deny policy the template deploys (four times) names no one: attached to
/// every case, it changes no decision. And the example the quota cases attach is what
/// the usage function writes (shared/src/usage/deny.rs) for the homes of A and D and
/// the team globex, placeholders and all; the template's is what it writes for none.
#[test]
fn the_deployed_quota_policy_names_no_one_and_the_example_is_what_the_usage_function_writes() {
    use homedir::usage::deny::{Target, document};
    let table = case_table();
    let mut wrong = Vec::new();
    for case in &table.cases {
        let mut documents: Vec<IAMPolicy> = table
            .files(case)
            .map(|f| table.document(f, &case.identity))
            .collect();
        documents.push(table.document("quota-deny-policy.json", &case.identity));
        let boundary = table.document(&table.boundary, &case.identity);
        if table.decide_with(case, documents, boundary) != case.expect.decision() {
            wrong.push(case.name.clone());
        }
    }
    assert!(
        wrong.is_empty(),
        "quota-deny-policy.json changed the decision of {wrong:?}"
    );
    let placeholders = Target::placeholders();
    assert_eq!(
        document(&placeholders, &[], &[]),
        serde_json::from_str::<Json>(&policy_text("quota-deny-policy.json")).expect("JSON"),
        "the template's quota policy is deny.rs's document for no space"
    );
    let homes = [table.identities["A"].clone(), table.identities["D"].clone()];
    assert_eq!(
        document(&placeholders, &homes, &["globex".to_owned()]),
        serde_json::from_str::<Json>(&policy_text("quota-deny-example.json")).expect("JSON"),
        "quota-deny-example.json is deny.rs's document for the homes of A and D and the team globex"
    );
    assert_eq!(table.principal_tags["B"]["team"], "globex");
}

/// The boundary allows no more than the role's own policy: no action the role's
/// policy does not grant, on no resource outside the two spaces.
#[test]
fn the_boundary_names_only_actions_the_role_grants() {
    let actions = |file: &str| -> BTreeSet<String> {
        let document: Json = serde_json::from_str(&policy_text(file)).expect("JSON");
        let mut out = BTreeSet::new();
        for statement in document["Statement"].as_array().expect("a list") {
            if statement["Effect"] != "Allow" {
                continue;
            }
            assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());
            match &statement["Action"] {
                Json::String(a) => {
                    out.insert(a.clone());
                }
                Json::Array(items) => {
                    out.extend(items.iter().filter_map(|a| a.as_str().map(str::to_owned)))
                }
                other => panic!("{file}: Action {other}"),
            }
        }
        out
    };
    assert_eq!(
        actions("authenticated-boundary-policy.json"),
        actions("authenticated-s3-policy.json"),
        "the boundary allows exactly the actions the role's policy grants"
    );
}

/// Why the storage-class and encryption denies carry a `Null` guard: IAM (and iam-rs,
/// which follows AWS here) treats a negated operator on an absent key as true, so
/// `StringNotEquals` alone would deny every upload that sends no storage-class or
/// encryption header — which is almost all of them.
#[test]
fn string_not_equals_on_an_absent_key_matches_which_is_why_the_null_guards_exist() {
    let guarded = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
             "Condition": {"StringNotEquals": {"s3:x-amz-storage-class": "STANDARD"},
                           "Null": {"s3:x-amz-storage-class": "false"}}}
        ]
    });
    let mut unguarded = guarded.clone();
    unguarded["Statement"][1]["Condition"]
        .as_object_mut()
        .unwrap()
        .remove("Null");
    let decide = |document: &Json, class: Option<&str>| {
        let mut context = Context::new();
        if let Some(class) = class {
            context.insert(
                "s3:x-amz-storage-class".into(),
                ContextValue::String(class.into()),
            );
        }
        let request = IAMRequest::new_with_context(
            role_session(),
            "s3:PutObject",
            Arn::parse(&object(BUCKET, &home(A, "f"))).unwrap(),
            context,
        );
        evaluate(
            "null_guard",
            vec![IAMPolicy::from_json(&document.to_string()).unwrap()],
            &request,
            EvaluationOptions::default(),
        )
    };
    expect(
        "unguarded, header absent",
        decide(&unguarded, None),
        Decision::Deny,
    );
    expect(
        "guarded, header absent",
        decide(&guarded, None),
        Decision::Allow,
    );
    expect(
        "guarded, STANDARD",
        decide(&guarded, Some("STANDARD")),
        Decision::Allow,
    );
    expect(
        "guarded, GLACIER",
        decide(&guarded, Some("GLACIER")),
        Decision::Deny,
    );
}

// ----------------------------------------------------- the authenticated role's trust

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/homedir-test-AuthenticatedRole-ABCDEF";

fn amr_for_user_pool() -> Vec<String> {
    vec![
        format!("cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"),
        format!(
            "cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}:CLIENT:4a1b2c3d-0000-4000-8000-000000000001"
        ),
    ]
}

#[derive(Clone)]
enum Amr {
    Absent,
    Values(Vec<String>),
}

fn trust_decision(
    case: &str,
    federated: &str,
    action: &str,
    aud: Option<&str>,
    amr: Amr,
) -> Decision {
    let mut context = Context::new();
    if let Some(aud) = aud {
        context.insert(
            "cognito-identity.amazonaws.com:aud".into(),
            ContextValue::String(aud.into()),
        );
    }
    if let Amr::Values(values) = amr {
        context.insert(
            "cognito-identity.amazonaws.com:amr".into(),
            ContextValue::StringList(values),
        );
    }
    let request = IAMRequest::new_with_context(
        Principal::Federated(PrincipalId::String(federated.into())),
        action,
        Arn::parse(ROLE_ARN).unwrap(),
        context,
    );
    // A trust policy has no Resource element: the role it is attached to is the resource.
    let options = EvaluationOptions {
        ignore_resource_constraints: true,
        ..EvaluationOptions::default()
    };
    evaluate(
        case,
        vec![policy("authenticated-trust-policy.json", None)],
        &request,
        options,
    )
}

fn with_authenticated_at(position: usize) -> Amr {
    let mut values = amr_for_user_pool();
    values.insert(position, "authenticated".into());
    Amr::Values(values)
}

const COGNITO: &str = "cognito-identity.amazonaws.com";
const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

macro_rules! trust_cases {
    ($($name:ident: $federated:expr, $action:expr, $aud:expr, $amr:expr => $expected:ident;)+) => {
        $(
            #[test]
            fn $name() {
                let case = stringify!($name);
                let decision = trust_decision(case, $federated, $action, $aud, $amr);
                expect(case, decision, Decision::$expected);
            }
        )+
    };
}

trust_cases! {
    trust_allows_this_pool_with_authenticated_first:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), with_authenticated_at(0) => Allow;
    trust_allows_this_pool_with_authenticated_in_the_middle:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), with_authenticated_at(1) => Allow;
    trust_allows_this_pool_with_authenticated_last:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), with_authenticated_at(2) => Allow;
    trust_allows_this_pool_with_authenticated_alone:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Values(vec!["authenticated".into()]) => Allow;
    trust_denies_unauthenticated_amr:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Values(vec!["unauthenticated".into()]) => NotApplicable;
    trust_denies_another_identity_pool_aud:
        COGNITO, WEB_IDENTITY, Some(OTHER_IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    trust_denies_missing_aud:
        COGNITO, WEB_IDENTITY, None, with_authenticated_at(0) => NotApplicable;
    trust_denies_missing_amr:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Absent => NotApplicable;
    trust_denies_empty_amr:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Values(vec![]) => NotApplicable;
    trust_denies_amr_without_authenticated:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Values(amr_for_user_pool()) => NotApplicable;
    trust_denies_amr_authenticated_in_other_case:
        COGNITO, WEB_IDENTITY, Some(IDENTITY_POOL), Amr::Values(vec!["Authenticated".into()]) => NotApplicable;
    trust_denies_another_federated_principal_google:
        "accounts.google.com", WEB_IDENTITY, Some(IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    trust_denies_another_federated_principal_user_pool_as_oidc_provider:
        &format!("arn:aws:iam::{ACCOUNT}:oidc-provider/cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"),
        WEB_IDENTITY, Some(IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    trust_denies_plain_assume_role:
        COGNITO, "sts:AssumeRole", Some(IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    trust_denies_assume_role_with_saml:
        COGNITO, "sts:AssumeRoleWithSAML", Some(IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    // The identity pool's principal tag (team) needs sts:TagSession, on the same
    // conditions as the role itself (Amazon Cognito Developer Guide, "Using attributes
    // for access control policy example").
    trust_allows_this_pool_to_tag_the_session:
        COGNITO, "sts:TagSession", Some(IDENTITY_POOL), with_authenticated_at(0) => Allow;
    trust_denies_another_pool_to_tag_the_session:
        COGNITO, "sts:TagSession", Some(OTHER_IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
    trust_denies_guests_to_tag_the_session:
        COGNITO, "sts:TagSession", Some(IDENTITY_POOL), Amr::Values(vec!["unauthenticated".into()]) => NotApplicable;
    trust_denies_setting_a_source_identity:
        COGNITO, "sts:SetSourceIdentity", Some(IDENTITY_POOL), with_authenticated_at(0) => NotApplicable;
}

#[test]
fn trust_denies_another_federated_principal_as_a_service_principal() {
    // Same name, wrong principal type (a Service, not a Federated identity provider).
    let case = "trust_denies_another_federated_principal_as_a_service_principal";
    let mut context = Context::new();
    context.insert(
        "cognito-identity.amazonaws.com:aud".into(),
        ContextValue::String(IDENTITY_POOL.into()),
    );
    context.insert(
        "cognito-identity.amazonaws.com:amr".into(),
        ContextValue::StringList(vec!["authenticated".into()]),
    );
    let request = IAMRequest::new_with_context(
        Principal::Service(PrincipalId::String(COGNITO.into())),
        WEB_IDENTITY,
        Arn::parse(ROLE_ARN).unwrap(),
        context,
    );
    let options = EvaluationOptions {
        ignore_resource_constraints: true,
        ..EvaluationOptions::default()
    };
    let decision = evaluate(
        case,
        vec![policy("authenticated-trust-policy.json", None)],
        &request,
        options,
    );
    expect(case, decision, Decision::NotApplicable);
}

/// AWS compares a `Federated` principal exactly; iam-rs 0.8 also accepts any principal
/// that merely *starts with* the policy's (engine.rs, "For OIDC/SAML, match by prefix").
/// Rather than weaken the assertion, this case applies AWS's exact rule on top of the
/// evaluator: a request whose federated principal is not, letter for letter, one the
/// trust policy names is not allowed, whatever iam-rs says. (In AWS the case cannot
/// arise for this role anyway: the only non-ARN federated principals are AWS's own,
/// and any other identity provider is an `arn:aws:iam::…:oidc-provider/…` ARN.)
#[test]
fn trust_denies_another_federated_principal_sharing_the_cognito_prefix() {
    let case = "trust_denies_another_federated_principal_sharing_the_cognito_prefix";
    let principal = "cognito-identity.amazonaws.com.example.org";
    let evaluator = trust_decision(
        case,
        principal,
        WEB_IDENTITY,
        Some(IDENTITY_POOL),
        with_authenticated_at(0),
    );
    let aws = if trusted_federated_principals()
        .iter()
        .any(|p| p == principal)
    {
        evaluator
    } else {
        Decision::NotApplicable
    };
    expect(case, aws, Decision::NotApplicable);
}

/// Pins the evaluator limitation the case above works around: when an iam-rs upgrade
/// matches federated principals exactly, this fails, and the workaround can go.
#[test]
fn iam_rs_0_8_still_matches_federated_principals_by_prefix() {
    let case = "iam_rs_0_8_still_matches_federated_principals_by_prefix";
    let decision = trust_decision(
        case,
        "cognito-identity.amazonaws.com.example.org",
        WEB_IDENTITY,
        Some(IDENTITY_POOL),
        with_authenticated_at(0),
    );
    expect(case, decision, Decision::Allow);
}

/// The `Principal.Federated` values of the trust policy, as written.
fn trusted_federated_principals() -> Vec<String> {
    let document: serde_json::Value =
        serde_json::from_str(&policy_text("authenticated-trust-policy.json"))
            .expect("trust policy JSON");
    let statements = match &document["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    statements
        .iter()
        .flat_map(|statement| match &statement["Principal"]["Federated"] {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

// ------------------------------------------------------------- the functions' role

fn function_decision(case: &str, action: &str, resource: &str) -> Decision {
    let request = IAMRequest::new(
        Principal::Aws(PrincipalId::String(format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-FunctionRole-ABCDEF/homedir-test-ReadFileFunction"
        ))),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("case `{case}`: bad ARN {resource}: {e}")),
    );
    evaluate(
        case,
        vec![policy("function-policy.json", None)],
        &request,
        EvaluationOptions::default(),
    )
}

fn log_stream_arn(function: &str) -> String {
    format!(
        "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/homedir-test/{function}:log-stream:2026/11/22/[$LATEST]0123456789abcdef"
    )
}

macro_rules! function_cases {
    ($($name:ident: $action:literal, $resource:expr => $expected:ident;)+) => {
        $(
            #[test]
            fn $name() {
                let case = stringify!($name);
                let decision = function_decision(case, $action, &$resource);
                expect(case, decision, Decision::$expected);
            }
        )+
    };
}

function_cases! {
    function_may_admin_get_user_in_this_pool:       "cognito-idp:AdminGetUser", user_pool_arn(USER_POOL_ID) => Allow;
    function_denied_admin_get_user_in_another_pool: "cognito-idp:AdminGetUser", user_pool_arn(OTHER_USER_POOL_ID) => NotApplicable;
    function_denied_admin_disable_user:             "cognito-idp:AdminDisableUser", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_denied_admin_delete_user:              "cognito-idp:AdminDeleteUser", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_denied_list_users:                     "cognito-idp:ListUsers", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_may_put_log_events_in_own_log_group:   "logs:PutLogEvents", log_stream_arn("read-file") => Allow;
    function_may_create_log_stream_in_own_log_group: "logs:CreateLogStream", log_stream_arn("delete") => Allow;
    function_denied_put_log_events_elsewhere:
        "logs:PutLogEvents", format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/other:log-stream:x") => NotApplicable;
    function_denied_s3_get_object:                  "s3:GetObject", object(BUCKET, &home(A, "f")) => NotApplicable;
    function_denied_s3_put_object:                  "s3:PutObject", object(BUCKET, &home(A, "f")) => NotApplicable;
    function_denied_s3_delete_object:               "s3:DeleteObject", object(BUCKET, &home(A, "f")) => NotApplicable;
    function_denied_s3_list_bucket:                 "s3:ListBucket", bucket(BUCKET) => NotApplicable;
    function_denied_assume_the_authenticated_role:  "sts:AssumeRole", ROLE_ARN => NotApplicable;
    // Nothing that changes how a user signs in (issue 21: the identity_id claim comes
    // from a table, not from a user attribute the functions could write).
    function_denied_admin_update_user_attributes:   "cognito-idp:AdminUpdateUserAttributes", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_denied_admin_set_user_password:        "cognito-idp:AdminSetUserPassword", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_denied_admin_enable_user:              "cognito-idp:AdminEnableUser", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_denied_update_user_pool:               "cognito-idp:UpdateUserPool", user_pool_arn(USER_POOL_ID) => NotApplicable;
    function_may_record_identity_ids:               "dynamodb:PutItem", IDENTITY_TABLE_ARN => Allow;
    function_may_read_user_changes:                 "dynamodb:Query", USER_CHANGES_TABLE_ARN => Allow;
    function_denied_writing_user_changes:           "dynamodb:PutItem", USER_CHANGES_TABLE_ARN => NotApplicable;
    function_denied_reading_identity_ids_back:      "dynamodb:Query", IDENTITY_TABLE_ARN => NotApplicable;
}

const IDENTITY_TABLE_ARN: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/homedir-test-IdentityTable-1A2B3C";
const USER_CHANGES_TABLE_ARN: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/homedir-test-UserChangesTable-1A2B3C";

/// The two directory roles: each one action on its one table (and its log).
fn directory_decision(file: &str, action: &str, resource: &str) -> Decision {
    let request = IAMRequest::new(
        Principal::Aws(PrincipalId::String(format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-Directory-ABCDEF/homedir-test-directory"
        ))),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("{file}: bad ARN {resource}: {e}")),
    );
    evaluate(
        file,
        vec![policy(file, None)],
        &request,
        EvaluationOptions::default(),
    )
}

#[test]
fn the_directory_roles_have_one_action_on_one_table_and_nothing_in_the_user_pool() {
    let cases = [
        (
            "token-claims-policy.json",
            "dynamodb:GetItem",
            IDENTITY_TABLE_ARN,
            Decision::Allow,
        ),
        (
            "token-claims-policy.json",
            "dynamodb:PutItem",
            IDENTITY_TABLE_ARN,
            Decision::NotApplicable,
        ),
        (
            "token-claims-policy.json",
            "dynamodb:GetItem",
            USER_CHANGES_TABLE_ARN,
            Decision::NotApplicable,
        ),
        (
            "token-claims-policy.json",
            "dynamodb:GetItem",
            USAGE_TABLE_ARN,
            Decision::NotApplicable,
        ),
        (
            "user-changes-policy.json",
            "dynamodb:PutItem",
            USER_CHANGES_TABLE_ARN,
            Decision::Allow,
        ),
        (
            "user-changes-policy.json",
            "dynamodb:PutItem",
            IDENTITY_TABLE_ARN,
            Decision::NotApplicable,
        ),
        (
            "user-changes-policy.json",
            "dynamodb:Query",
            USER_CHANGES_TABLE_ARN,
            Decision::NotApplicable,
        ),
    ];
    for (file, action, resource, expected) in cases {
        expect(
            &format!("{file} {action} {resource}"),
            directory_decision(file, action, resource),
            expected,
        );
    }
    for file in ["token-claims-policy.json", "user-changes-policy.json"] {
        for action in [
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminUpdateUserAttributes",
            "cognito-idp:AdminDisableUser",
        ] {
            let pool = user_pool_arn(USER_POOL_ID);
            expect(
                &format!("{file} {action}"),
                directory_decision(file, action, &pool),
                Decision::NotApplicable,
            );
        }
        expect(
            &format!("{file} s3"),
            directory_decision(file, "s3:GetObject", &object(BUCKET, &home(A, "f"))),
            Decision::NotApplicable,
        );
    }
}

/// The functions' role reads the caller's total and records the owner's quota on it,
/// never a count: an UpdateItem naming any other attribute is refused.
fn dynamodb_decision(case: &str, action: &str, resource: &str, attributes: &[&str]) -> Decision {
    let mut context = Context::new();
    if !attributes.is_empty() {
        context.insert(
            "dynamodb:Attributes".into(),
            ContextValue::StringList(attributes.iter().map(|a| (*a).to_owned()).collect()),
        );
    }
    let request = IAMRequest::new_with_context(
        Principal::Aws(PrincipalId::String(format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-FunctionRole-ABCDEF/homedir-test-WriteFileFunction"
        ))),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("case `{case}`: bad ARN {resource}: {e}")),
        context,
    );
    evaluate(
        case,
        vec![policy("function-policy.json", None)],
        &request,
        EvaluationOptions::default(),
    )
}

const OTHER_TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/someone-elses-table";

#[test]
fn function_may_read_a_total_and_record_only_the_quota() {
    for (case, action, resource, attributes, expected) in [
        (
            "get_item",
            "dynamodb:GetItem",
            USAGE_TABLE_ARN,
            &[][..],
            Decision::Allow,
        ),
        (
            "get_item_elsewhere",
            "dynamodb:GetItem",
            OTHER_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
        (
            "record_quota",
            "dynamodb:UpdateItem",
            USAGE_TABLE_ARN,
            &["space", "item", "quota"],
            Decision::Allow,
        ),
        (
            "update_bytes",
            "dynamodb:UpdateItem",
            USAGE_TABLE_ARN,
            &["space", "item", "bytes"],
            Decision::NotApplicable,
        ),
        (
            "update_over",
            "dynamodb:UpdateItem",
            USAGE_TABLE_ARN,
            &["quota", "over"],
            Decision::NotApplicable,
        ),
        (
            "put_item",
            "dynamodb:PutItem",
            USAGE_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
        (
            "delete_item",
            "dynamodb:DeleteItem",
            USAGE_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
        (
            "query",
            "dynamodb:Query",
            USAGE_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
        (
            "scan",
            "dynamodb:Scan",
            USAGE_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
        (
            "transact",
            "dynamodb:TransactWriteItems",
            USAGE_TABLE_ARN,
            &[],
            Decision::NotApplicable,
        ),
    ] {
        let case = format!("function_dynamodb_{case}");
        expect(
            &case,
            dynamodb_decision(&case, action, resource, attributes),
            expected,
        );
    }
}

// ------------------------------------------------------------- the usage function's role

/// The usage function's two documents together (its role's inline policy and the
/// bucket one), for a request by its role.
fn usage_decision(case: &str, action: &str, resource: &str, prefix: Option<&str>) -> Decision {
    let mut context = Context::new();
    if let Some(prefix) = prefix {
        context.insert("s3:prefix".into(), ContextValue::String(prefix.into()));
    }
    let request = IAMRequest::new_with_context(
        Principal::Aws(PrincipalId::String(format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-UsageFunctionRole-ABCDEF/homedir-test-UsageFunction"
        ))),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("case `{case}`: bad ARN {resource}: {e}")),
        context,
    );
    evaluate(
        case,
        vec![
            policy("usage-function-policy.json", None),
            policy("usage-function-bucket-policy.json", None),
        ],
        &request,
        EvaluationOptions::default(),
    )
}

/// Only its table, listing versions under the spaces' prefixes, and new versions of the
/// four quota policies: no object, no other table, no other policy, no role.
#[test]
fn the_usage_function_reaches_its_table_the_spaces_versions_and_the_quota_policies_only() {
    let table_cases = [
        ("dynamodb:GetItem", USAGE_TABLE_ARN, Decision::Allow),
        ("dynamodb:PutItem", USAGE_TABLE_ARN, Decision::Allow),
        ("dynamodb:UpdateItem", USAGE_TABLE_ARN, Decision::Allow),
        ("dynamodb:Query", USAGE_TABLE_ARN, Decision::Allow),
        ("dynamodb:Scan", USAGE_TABLE_ARN, Decision::NotApplicable),
        (
            "dynamodb:DeleteTable",
            USAGE_TABLE_ARN,
            Decision::NotApplicable,
        ),
        (
            "dynamodb:UpdateTable",
            USAGE_TABLE_ARN,
            Decision::NotApplicable,
        ),
        ("dynamodb:GetItem", OTHER_TABLE_ARN, Decision::NotApplicable),
        ("dynamodb:PutItem", OTHER_TABLE_ARN, Decision::NotApplicable),
    ];
    for (action, resource, expected) in table_cases {
        let case = format!("usage {action} {resource}");
        expect(
            &case,
            usage_decision(&case, action, resource, None),
            expected,
        );
    }
    let policy_one = quota_policy_arn(1);
    let policy_four = quota_policy_arn(4);
    let other_policy = format!("arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess-ish");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/homedir-test-AuthenticatedRole-ABCDEF");
    let iam_cases = [
        (
            "iam:CreatePolicyVersion",
            policy_one.as_str(),
            Decision::Allow,
        ),
        (
            "iam:CreatePolicyVersion",
            policy_four.as_str(),
            Decision::Allow,
        ),
        (
            "iam:ListPolicyVersions",
            policy_one.as_str(),
            Decision::Allow,
        ),
        (
            "iam:DeletePolicyVersion",
            policy_four.as_str(),
            Decision::Allow,
        ),
        (
            "iam:CreatePolicyVersion",
            other_policy.as_str(),
            Decision::NotApplicable,
        ),
        (
            "iam:SetDefaultPolicyVersion",
            other_policy.as_str(),
            Decision::NotApplicable,
        ),
        (
            "iam:DeletePolicy",
            policy_one.as_str(),
            Decision::NotApplicable,
        ),
        (
            "iam:AttachRolePolicy",
            role.as_str(),
            Decision::NotApplicable,
        ),
        ("iam:PutRolePolicy", role.as_str(), Decision::NotApplicable),
        (
            "iam:DeleteRolePermissionsBoundary",
            role.as_str(),
            Decision::NotApplicable,
        ),
        (
            "iam:PutRolePermissionsBoundary",
            role.as_str(),
            Decision::NotApplicable,
        ),
        ("iam:CreatePolicyVersion", ROLE_ARN, Decision::NotApplicable),
    ];
    for (action, resource, expected) in iam_cases {
        let case = format!("usage {action} {resource}");
        expect(
            &case,
            usage_decision(&case, action, resource, None),
            expected,
        );
    }
    let home_a = format!("{HOME_PREFIX}/{A}/");
    let team = format!("{TEAM_PREFIX}/acme/");
    let s3_cases = [
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(format!("{HOME_PREFIX}/")),
            Decision::Allow,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(home_a.clone()),
            Decision::Allow,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(format!("{TEAM_PREFIX}/")),
            Decision::Allow,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(team),
            Decision::Allow,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(String::new()),
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some("other/".into()),
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucketVersions",
            bucket(BUCKET),
            Some(HOME_PREFIX.into()),
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucketVersions",
            bucket(OTHER_BUCKET),
            Some(home_a.clone()),
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucket",
            bucket(BUCKET),
            Some(home_a.clone()),
            Decision::NotApplicable,
        ),
        (
            "s3:ListBucketMultipartUploads",
            bucket(BUCKET),
            Some(home_a.clone()),
            Decision::NotApplicable,
        ),
        (
            "s3:GetObject",
            object(BUCKET, &home(A, "f")),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:GetObjectVersion",
            object(BUCKET, &home(A, "f")),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:PutObject",
            object(BUCKET, &home(A, "f")),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:DeleteObject",
            object(BUCKET, &home(A, "f")),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:DeleteObjectVersion",
            object(BUCKET, &home(A, "f")),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:PutBucketNotification",
            bucket(BUCKET),
            None,
            Decision::NotApplicable,
        ),
        (
            "s3:PutBucketPolicy",
            bucket(BUCKET),
            None,
            Decision::NotApplicable,
        ),
    ];
    for (action, resource, prefix, expected) in s3_cases {
        let case = format!("usage {action} {resource} prefix {prefix:?}");
        expect(
            &case,
            usage_decision(&case, action, &resource, prefix.as_deref()),
            expected,
        );
    }
    let logs = [
        (
            "logs:PutLogEvents",
            log_stream_arn("usage"),
            Decision::Allow,
        ),
        (
            "logs:CreateLogStream",
            log_stream_arn("usage"),
            Decision::Allow,
        ),
        (
            "logs:PutLogEvents",
            log_stream_arn("read-file"),
            Decision::NotApplicable,
        ),
    ];
    for (action, resource, expected) in logs {
        let case = format!("usage {action} {resource}");
        expect(
            &case,
            usage_decision(&case, action, &resource, None),
            expected,
        );
    }
}

// ------------------------------------------------------------------------- hygiene

#[test]
fn every_permission_policy_file_is_a_valid_iam_policy() {
    // iam-rs's validator wants a Resource in every statement, which a trust policy
    // never has, so the trust policies are only parsed (above), not validated here.
    let table = case_table();
    for (file, caller) in [
        ("authenticated-s3-policy.json", Some("A")),
        ("authenticated-boundary-policy.json", Some("A")),
        ("quota-deny-policy.json", Some("A")),
        ("quota-deny-example.json", Some("A")),
        ("bucket-policy.json", None),
        ("function-policy.json", None),
        ("usage-function-policy.json", None),
        ("usage-function-bucket-policy.json", None),
        ("token-claims-policy.json", None),
        ("user-changes-policy.json", None),
    ] {
        let parsed = match caller {
            // as IAM sees it for A, whose session carries a team tag
            Some(who) => table.parse(file, &policy_text(file), who),
            None => policy(file, None),
        };
        if let Err(e) = parsed.validate_result() {
            panic!("{file} does not validate: {e}");
        }
    }
}

/// The per-user policy grants exactly List/Get/Put/Delete, reading and listing versions,
/// the two multipart actions on the caller's own keys (abort an upload, list its
/// parts), and `s3:PutObjectAcl` for the one canned ACL `bucket-owner-full-control`
/// alone (what an upload that names an ACL needs besides `s3:PutObject`), spelled out
/// (no wildcard action, no NotAction or NotResource), and every other statement is a
/// Deny: deleting a version, suspending versioning, lifecycle, any other ACL, version
/// ACLs, tagging, object lock, the bucket-wide `ListBucketMultipartUploads` and bucket
/// settings stay implicitly denied whatever the resource. History can be read, never
/// destroyed.
#[test]
fn the_per_user_policy_grants_nine_actions_by_name_and_nothing_else() {
    let document: Json =
        serde_json::from_str(&policy_text("authenticated-s3-policy.json")).expect("JSON");
    let mut granted = BTreeSet::new();
    for statement in document["Statement"].as_array().expect("a list") {
        let sid = statement["Sid"].as_str().unwrap_or("?");
        for forbidden in ["NotAction", "NotResource", "NotPrincipal", "Principal"] {
            assert!(
                statement.get(forbidden).is_none(),
                "{sid}: no {forbidden} in an identity policy"
            );
        }
        let actions: Vec<&str> = match &statement["Action"] {
            Json::String(a) => vec![a.as_str()],
            Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
            other => panic!("{sid}: Action {other}"),
        };
        for action in &actions {
            assert!(
                !action.contains('*') && !action.contains('?'),
                "{sid}: wildcard action {action}"
            );
        }
        if statement["Effect"] == "Allow" {
            if actions.contains(&"s3:PutObjectAcl") {
                assert_eq!(
                    actions,
                    ["s3:PutObjectAcl"],
                    "{sid}: the ACL grant stands alone"
                );
                assert_eq!(
                    statement["Condition"]["StringEquals"],
                    serde_json::json!({"s3:x-amz-acl": "bucket-owner-full-control"}),
                    "{sid}: only the canned ACL bucket-owner-full-control"
                );
                for grant in ["full-control", "read", "read-acp", "write", "write-acp"] {
                    assert_eq!(
                        statement["Condition"]["Null"][format!("s3:x-amz-grant-{grant}")],
                        "true",
                        "{sid}: never with an x-amz-grant-{grant} header"
                    );
                }
            }
            granted.extend(actions);
        } else {
            assert_eq!(statement["Effect"], "Deny", "{sid}: Allow or Deny");
        }
    }
    assert_eq!(
        granted,
        BTreeSet::from([
            "s3:AbortMultipartUpload",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
            "s3:PutObjectAcl"
        ]),
        "the actions a signed-in user may use directly"
    );
    for never in [
        "s3:DeleteObjectVersion",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
        "s3:PutObjectVersionAcl",
        "s3:PutObjectVersionTagging",
        "s3:BypassGovernanceRetention",
    ] {
        assert!(
            !granted.contains(never),
            "{never} would let a user's credentials destroy history"
        );
    }
}

#[test]
fn the_per_user_policy_reaches_the_caller_only_through_the_identity_variable() {
    // The per-user documents must name no concrete identity: the caller's Identity ID
    // comes only from the IAM variable, which IAM fills in from the credentials.
    let text = policy_text("authenticated-s3-policy.json");
    assert_eq!(
        text.matches(IAM_VARIABLE).count(),
        3,
        "authenticated-s3-policy.json uses {IAM_VARIABLE} exactly three times (list condition, \
         object ARN, the ACL statement's object ARN)"
    );
    assert!(
        !text.contains("cognito-identity.amazonaws.com:sub}/\""),
        "the variable is always followed by /*"
    );
    for file in [
        "authenticated-trust-policy.json",
        "bucket-policy.json",
        "function-policy.json",
        "function-trust-policy.json",
        "usage-function-policy.json",
        "usage-function-bucket-policy.json",
        "token-claims-policy.json",
        "user-changes-policy.json",
    ] {
        assert!(
            !policy_text(file).contains(IAM_VARIABLE),
            "{file} does not depend on the caller"
        );
    }
}

#[test]
fn the_function_trust_policy_admits_only_lambda() {
    let trust = policy("function-trust-policy.json", None);
    let options = || EvaluationOptions {
        ignore_resource_constraints: true,
        ..EvaluationOptions::default()
    };
    let role =
        Arn::parse("arn:aws:iam::123456789012:role/homedir-test-FunctionRole-ABCDEF").unwrap();
    let lambda = IAMRequest::new(
        Principal::Service(PrincipalId::String("lambda.amazonaws.com".into())),
        "sts:AssumeRole",
        role.clone(),
    );
    expect(
        "function_trust_allows_lambda",
        evaluate(
            "function_trust_allows_lambda",
            vec![trust.clone()],
            &lambda,
            options(),
        ),
        Decision::Allow,
    );
    let ec2 = IAMRequest::new(
        Principal::Service(PrincipalId::String("ec2.amazonaws.com".into())),
        "sts:AssumeRole",
        role.clone(),
    );
    expect(
        "function_trust_denies_ec2",
        evaluate(
            "function_trust_denies_ec2",
            vec![trust.clone()],
            &ec2,
            options(),
        ),
        Decision::NotApplicable,
    );
    let cognito = IAMRequest::new(
        Principal::Federated(PrincipalId::String(COGNITO.into())),
        WEB_IDENTITY,
        role,
    );
    expect(
        "function_trust_denies_cognito_identities",
        evaluate(
            "function_trust_denies_cognito_identities",
            vec![trust],
            &cognito,
            options(),
        ),
        Decision::NotApplicable,
    );
}
