//! Isolation proven offline: the IAM documents in `infra-policies/` (which
//! `infra_template.rs` proves equal to the template's) are evaluated with the `iam-rs`
//! policy evaluator.
//!
//! Before evaluation the deploy-time placeholders (`${HomeBucket}`, `${HomePrefix}`,
//! `${IdentityPool}`, `${AWS::Partition}`, ...) are replaced with test values, and the IAM
//! policy variable `${cognito-identity.amazonaws.com:sub}` with the calling identity's
//! Identity ID — which is what IAM does at request time. (iam-rs would substitute
//! variables in `Resource` by itself, but not inside `Condition` values, where the
//! `s3:prefix` check needs it.)
//!
//! Expected decisions are exact: `Allow`; `NotApplicable`, i.e. an implicit deny (no
//! statement grants it); or `Deny`, an explicit deny by the bucket policy.

use iam_rs::{
    Arn, Context, ContextValue, Decision, EvaluationOptions, IAMPolicy, IAMRequest,
    PolicyEvaluator, Principal, PrincipalId, Validate,
};
use std::path::PathBuf;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const BUCKET: &str = "homedir-test-homebucket-1a2b3c4d5e6f";
const OTHER_BUCKET: &str = "homedir-other-homebucket-6f5e4d3c2b1a";
const HOME_PREFIX: &str = "home";
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
        ("IdentityPool", IDENTITY_POOL.into()),
        ("UserPool.Arn", user_pool_arn(USER_POOL_ID)),
        ("ReadFileLogGroup.Arn", log_group_arn("read-file")),
        ("WriteFileLogGroup.Arn", log_group_arn("write-file")),
        ("ListLogGroup.Arn", log_group_arn("list")),
        ("DeleteLogGroup.Arn", log_group_arn("delete")),
    ]
}

fn policy_text(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../infra-policies")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
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

/// The session Cognito's GetCredentialsForIdentity hands back, as S3 sees the caller.
fn role_session() -> Principal {
    Principal::Aws(PrincipalId::String(format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/homedir-test-AuthenticatedRole-ABCDEF/CognitoIdentityCredentials"
    )))
}

#[derive(Clone, Copy)]
enum Prefix<'a> {
    /// A ListObjects request without a `prefix` parameter: the key is absent.
    Absent,
    Is(&'a str),
}

#[derive(Clone, Copy)]
enum Transport {
    Tls(f64),
    PlainHttp,
}

/// The decision for `caller` doing `action` on `resource`: the per-user identity
/// policy and the bucket's resource policy together, as S3 evaluates a same-account
/// request (an explicit deny in either wins; an allow in either grants).
fn s3_decision(
    case: &str,
    caller: &str,
    action: &str,
    resource: &str,
    prefix: Prefix,
    transport: Transport,
) -> Decision {
    let mut context = Context::new();
    match transport {
        Transport::Tls(version) => {
            context.insert("aws:SecureTransport".into(), ContextValue::Boolean(true));
            context.insert("s3:TlsVersion".into(), ContextValue::Number(version));
        }
        Transport::PlainHttp => {
            context.insert("aws:SecureTransport".into(), ContextValue::Boolean(false));
        }
    }
    if let Prefix::Is(p) = prefix {
        context.insert("s3:prefix".into(), ContextValue::String(p.into()));
    }
    let request = IAMRequest::new_with_context(
        role_session(),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("case `{case}`: bad ARN {resource}: {e}")),
        context,
    );
    evaluate(
        case,
        vec![
            policy("authenticated-s3-policy.json", Some(caller)),
            policy("bucket-policy.json", None),
        ],
        &request,
        EvaluationOptions::default(),
    )
}

fn home(identity: &str, rest: &str) -> String {
    format!("{HOME_PREFIX}/{identity}/{rest}")
}

macro_rules! s3_cases {
    ($($name:ident: $caller:expr, $action:literal, $resource:expr, $prefix:expr, $transport:expr => $expected:ident;)+) => {
        $(
            #[test]
            fn $name() {
                let case = stringify!($name);
                let decision = s3_decision(case, $caller, $action, &$resource, $prefix, $transport);
                expect(case, decision, Decision::$expected);
            }
        )+
    };
}

const TLS: Transport = Transport::Tls(1.3);
use Prefix::{Absent, Is};

s3_cases! {
    // --- A's own home: allowed
    a_may_get_own_file:                 A, "s3:GetObject",    object(BUCKET, &home(A, "f")),     Absent, TLS => Allow;
    a_may_put_own_file:                 A, "s3:PutObject",    object(BUCKET, &home(A, "f")),     Absent, TLS => Allow;
    a_may_delete_own_file:              A, "s3:DeleteObject", object(BUCKET, &home(A, "f")),     Absent, TLS => Allow;
    a_may_get_own_nested_file:          A, "s3:GetObject",    object(BUCKET, &home(A, "d/e/f")), Absent, TLS => Allow;
    a_may_put_own_nested_file:          A, "s3:PutObject",    object(BUCKET, &home(A, "d/e/f")), Absent, TLS => Allow;
    a_may_delete_own_nested_file:       A, "s3:DeleteObject", object(BUCKET, &home(A, "d/e/f")), Absent, TLS => Allow;
    a_may_list_own_home_exactly:        A, "s3:ListBucket",   bucket(BUCKET), Is(&home(A, "")),     TLS => Allow;
    a_may_list_own_subfolder:           A, "s3:ListBucket",   bucket(BUCKET), Is(&home(A, "sub/")), TLS => Allow;
    a_may_list_own_home_by_name_prefix: A, "s3:ListBucket",   bucket(BUCKET), Is(&home(A, "rep")),  TLS => Allow;
    b_may_get_own_file:                 B, "s3:GetObject",    object(BUCKET, &home(B, "f")),     Absent, TLS => Allow;
    b_may_list_own_home:                B, "s3:ListBucket",   bucket(BUCKET), Is(&home(B, "")),     TLS => Allow;

    // --- another user's home: denied
    a_denied_get_on_b_file:             A, "s3:GetObject",    object(BUCKET, &home(B, "f")),     Absent, TLS => NotApplicable;
    a_denied_put_on_b_file:             A, "s3:PutObject",    object(BUCKET, &home(B, "f")),     Absent, TLS => NotApplicable;
    a_denied_delete_on_b_file:          A, "s3:DeleteObject", object(BUCKET, &home(B, "f")),     Absent, TLS => NotApplicable;
    a_denied_get_on_b_nested_file:      A, "s3:GetObject",    object(BUCKET, &home(B, "d/e/f")), Absent, TLS => NotApplicable;
    a_denied_list_of_b_home:            A, "s3:ListBucket",   bucket(BUCKET), Is(&home(B, "")),     TLS => NotApplicable;
    a_denied_list_of_b_subfolder:       A, "s3:ListBucket",   bucket(BUCKET), Is(&home(B, "sub/")), TLS => NotApplicable;
    b_denied_get_on_a_file:             B, "s3:GetObject",    object(BUCKET, &home(A, "f")),     Absent, TLS => NotApplicable;

    // --- near misses of A's own prefix: denied
    a_denied_get_on_key_equal_to_home_without_slash:
        A, "s3:GetObject",    object(BUCKET, &format!("{HOME_PREFIX}/{A}")),            Absent, TLS => NotApplicable;
    a_denied_put_on_key_equal_to_home_without_slash:
        A, "s3:PutObject",    object(BUCKET, &format!("{HOME_PREFIX}/{A}")),            Absent, TLS => NotApplicable;
    a_denied_get_on_suffixed_identity_home:
        A, "s3:GetObject",    object(BUCKET, &format!("{HOME_PREFIX}/{A}-suffix/f")),   Absent, TLS => NotApplicable;
    a_denied_put_on_suffixed_identity_home:
        A, "s3:PutObject",    object(BUCKET, &format!("{HOME_PREFIX}/{A}-suffix/f")),   Absent, TLS => NotApplicable;
    a_denied_delete_on_suffixed_identity_home:
        A, "s3:DeleteObject", object(BUCKET, &format!("{HOME_PREFIX}/{A}-suffix/f")),   Absent, TLS => NotApplicable;
    a_denied_list_of_home_without_trailing_slash:
        A, "s3:ListBucket",   bucket(BUCKET), Is(&format!("{HOME_PREFIX}/{A}")),        TLS => NotApplicable;
    a_denied_list_of_suffixed_identity_home:
        A, "s3:ListBucket",   bucket(BUCKET), Is(&format!("{HOME_PREFIX}/{A}-suffix/")), TLS => NotApplicable;
    a_denied_get_on_own_identity_in_upper_case:
        A, "s3:GetObject",    object(BUCKET, &home(&A.to_uppercase(), "f")),             Absent, TLS => NotApplicable;
    a_denied_get_on_own_identity_outside_home_prefix:
        A, "s3:GetObject",    object(BUCKET, &format!("{A}/f")),                        Absent, TLS => NotApplicable;
    a_denied_get_on_own_identity_under_another_prefix:
        A, "s3:GetObject",    object(BUCKET, &format!("other/{A}/f")),                  Absent, TLS => NotApplicable;

    // --- listing beyond the home: denied
    a_denied_list_without_prefix:       A, "s3:ListBucket", bucket(BUCKET), Absent,                          TLS => NotApplicable;
    a_denied_list_with_empty_prefix:    A, "s3:ListBucket", bucket(BUCKET), Is(""),                          TLS => NotApplicable;
    a_denied_list_of_home_prefix:       A, "s3:ListBucket", bucket(BUCKET), Is(&format!("{HOME_PREFIX}/")),  TLS => NotApplicable;
    a_denied_list_of_home_prefix_without_slash:
                                        A, "s3:ListBucket", bucket(BUCKET), Is(HOME_PREFIX),                 TLS => NotApplicable;
    a_denied_list_of_every_home_by_wildcard_looking_prefix:
                                        A, "s3:ListBucket", bucket(BUCKET), Is(&format!("{HOME_PREFIX}/*")), TLS => NotApplicable;

    // --- another bucket: denied, even on A's own prefix there
    a_denied_get_in_another_bucket:     A, "s3:GetObject",  object(OTHER_BUCKET, &home(A, "f")),     Absent, TLS => NotApplicable;
    a_denied_put_in_another_bucket:     A, "s3:PutObject",  object(OTHER_BUCKET, &home(A, "f")),     Absent, TLS => NotApplicable;
    a_denied_list_of_another_bucket:    A, "s3:ListBucket", bucket(OTHER_BUCKET), Is(&home(A, "")),     TLS => NotApplicable;

    // --- the bucket root: denied
    a_denied_get_on_file_at_bucket_root:    A, "s3:GetObject",    object(BUCKET, "f"),  Absent, TLS => NotApplicable;
    a_denied_put_on_file_at_bucket_root:    A, "s3:PutObject",    object(BUCKET, "f"),  Absent, TLS => NotApplicable;
    a_denied_delete_on_file_at_bucket_root: A, "s3:DeleteObject", object(BUCKET, "f"),  Absent, TLS => NotApplicable;
    a_denied_get_on_bucket_itself:          A, "s3:GetObject",    bucket(BUCKET),       Absent, TLS => NotApplicable;
    a_denied_list_of_bucket_root_slash:     A, "s3:ListBucket",   bucket(BUCKET), Is("/"),      TLS => NotApplicable;

    // --- nothing but Get/Put/Delete/List, even in A's own home
    a_denied_get_object_version_in_own_home:    A, "s3:GetObjectVersion",    object(BUCKET, &home(A, "f")), Absent, TLS => NotApplicable;
    a_denied_delete_object_version_in_own_home: A, "s3:DeleteObjectVersion", object(BUCKET, &home(A, "f")), Absent, TLS => NotApplicable;
    a_denied_put_object_acl_in_own_home:        A, "s3:PutObjectAcl",        object(BUCKET, &home(A, "f")), Absent, TLS => NotApplicable;
    a_denied_put_object_tagging_in_own_home:    A, "s3:PutObjectTagging",    object(BUCKET, &home(A, "f")), Absent, TLS => NotApplicable;
    a_denied_list_bucket_versions_of_own_home:  A, "s3:ListBucketVersions",  bucket(BUCKET), Is(&home(A, "")),  TLS => NotApplicable;
    a_denied_list_multipart_uploads:            A, "s3:ListBucketMultipartUploads", bucket(BUCKET), Is(&home(A, "")), TLS => NotApplicable;
    a_denied_put_bucket_policy:                 A, "s3:PutBucketPolicy",     bucket(BUCKET), Absent,        TLS => NotApplicable;
    a_denied_delete_bucket:                     A, "s3:DeleteBucket",        bucket(BUCKET), Absent,        TLS => NotApplicable;

    // --- the bucket policy: TLS only, even for A's own files
    a_explicitly_denied_get_over_plain_http:    A, "s3:GetObject",  object(BUCKET, &home(A, "f")), Absent, Transport::PlainHttp => Deny;
    a_explicitly_denied_put_over_plain_http:    A, "s3:PutObject",  object(BUCKET, &home(A, "f")), Absent, Transport::PlainHttp => Deny;
    a_explicitly_denied_list_over_plain_http:   A, "s3:ListBucket", bucket(BUCKET), Is(&home(A, "")),      Transport::PlainHttp => Deny;
    a_explicitly_denied_get_over_tls_1_1:       A, "s3:GetObject",  object(BUCKET, &home(A, "f")), Absent, Transport::Tls(1.1) => Deny;
    a_may_get_own_file_over_tls_1_2:            A, "s3:GetObject",  object(BUCKET, &home(A, "f")), Absent, Transport::Tls(1.2) => Allow;
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
}

// ------------------------------------------------------------------------- hygiene

#[test]
fn every_permission_policy_file_is_a_valid_iam_policy() {
    // iam-rs's validator wants a Resource in every statement, which a trust policy
    // never has, so the trust policies are only parsed (above), not validated here.
    for (file, caller) in [
        ("authenticated-s3-policy.json", Some(A)),
        ("bucket-policy.json", None),
        ("function-policy.json", None),
    ] {
        let parsed = policy(file, caller);
        if let Err(e) = parsed.validate_result() {
            panic!("{file} does not validate: {e}");
        }
    }
}

#[test]
fn the_per_user_policy_reaches_the_caller_only_through_the_identity_variable() {
    // The per-user documents must name no concrete identity: the caller's Identity ID
    // comes only from the IAM variable, which IAM fills in from the credentials.
    let text = policy_text("authenticated-s3-policy.json");
    assert_eq!(
        text.matches(IAM_VARIABLE).count(),
        2,
        "authenticated-s3-policy.json uses {IAM_VARIABLE} exactly twice (list condition, object ARN)"
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
