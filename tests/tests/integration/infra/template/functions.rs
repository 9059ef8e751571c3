//! The functions: architecture, runtime, build, logging, settings, and the web
//! function's role.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::support::*;

const BINARIES: [&str; 8] = [
    "read-file",
    "write-file",
    "list",
    "delete",
    "web",
    "usage",
    "token-claims",
    "user-changes",
];

/// The four API functions: the ones that reach S3 (with the caller's credentials).
const API_FUNCTIONS: [&str; 4] = [
    "ReadFileFunction",
    "WriteFileFunction",
    "ListFunction",
    "DeleteFunction",
];

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
            "{id}: Binary {binary} is one of the workspace's function binaries"
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
        if id == "UsageFunction" {
            // Not behind the API: a recount pass runs for RECOUNT_BUDGET_SECS, within
            // Lambda's 15 minutes.
            let budget: u64 = at(
                &effective,
                &["Environment", "Variables", "RECOUNT_BUDGET_SECS"],
            )
            .as_str()
            .and_then(|b| b.parse().ok())
            .expect("RECOUNT_BUDGET_SECS is a number of seconds");
            assert!(
                budget + 30 <= timeout && timeout <= 900,
                "{id}: Timeout {timeout} s leaves the recount's {budget} s and stays within 900"
            );
        } else {
            assert!(
                timeout < 30,
                "{id}: Timeout {timeout} s must stay under the HTTP API's 30 s integration timeout"
            );
        }

        let env = at(&effective, &["Environment", "Variables"]);
        // The bucket: the API functions' environment names it; the web function needs
        // no bucket name, and the usage function cannot refer to the bucket (the
        // bucket's notification refers to it): its events name the bucket.
        assert_eq!(
            get(env, "BUCKET_NAME").and_then(ref_target),
            API_FUNCTIONS.contains(&id.as_str()).then_some("HomeBucket"),
            "{id}: BUCKET_NAME = !Ref HomeBucket for the API functions only"
        );
        for (var, target) in [
            ("USER_POOL_ID", "UserPool"),
            ("USER_POOL_CLIENT_ID", "UserPoolClient"),
            ("IDENTITY_POOL_ID", "IdentityPool"),
            ("HOME_PREFIX", "HomePrefix"),
            ("USER_CHECK_TTL_SECS", "UserCheckTtlSecs"),
            ("USAGE_TABLE", "UsageTable"),
            ("QUOTA_BYTES", "QuotaBytes"),
            ("TEAM_QUOTA_BYTES", "TeamQuotaBytes"),
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

/// The upload id key (write-file's UPLOAD_ID_KEY) is a secret the stack generates, long
/// enough for the cold start's check, resolved into write-file's environment at
/// deployment and into no other function's, never shown in an output.
#[test]
fn only_write_file_gets_the_upload_id_key_and_the_stack_generates_it() {
    let t = template();
    let secrets = resources_of_type(&t, "AWS::SecretsManager::Secret");
    assert_eq!(
        secrets
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["UploadIdKey"],
        "one secret, the upload id key"
    );
    let secret = props(&t, "UploadIdKey");
    assert!(
        get(secret, "SecretString").is_none(),
        "no value in the template: Secrets Manager generates it"
    );
    let generated = at(secret, &["GenerateSecretString"]);
    let length = at(generated, &["PasswordLength"])
        .as_u64()
        .expect("a PasswordLength");
    assert_eq!(length, 64, "64 characters");
    assert!(
        length >= homedir::config::MIN_UPLOAD_ID_KEY_CHARS as u64,
        "at least what write-file's cold start requires"
    );
    assert_eq!(
        get(generated, "ExcludePunctuation"),
        Some(&Yaml::Bool(true)),
        "letters and digits only: visible ASCII, as UPLOAD_ID_KEY must be, and nothing a \
         dynamic reference or a shell could mangle"
    );
    for field in ["SecretStringTemplate", "GenerateStringKey"] {
        assert!(
            get(generated, field).is_none(),
            "the secret is the bare string, not JSON: no {field}"
        );
    }
    assert!(
        get(
            at(&t, &["Globals", "Function", "Environment", "Variables"]),
            "UPLOAD_ID_KEY"
        )
        .is_none(),
        "not a global: only write-file gets the key"
    );
    let mut holders = Vec::new();
    for (id, effective, _) in functions(&t) {
        let Some(value) = get(
            at(&effective, &["Environment", "Variables"]),
            "UPLOAD_ID_KEY",
        ) else {
            continue;
        };
        holders.push(id.clone());
        assert_eq!(
            as_placeholder_json(&t, value, &id).unwrap_or_else(|e| panic!("{e}")),
            Json::String("{{resolve:secretsmanager:${UploadIdKey}:SecretString}}".into()),
            "{id}: UPLOAD_ID_KEY is the secret's value, resolved at deployment"
        );
    }
    assert_eq!(
        holders,
        ["WriteFileFunction"],
        "only write-file holds the key"
    );
    let outputs = serde_json::to_string(
        &as_placeholder_json(&t, at(&t, &["Outputs"]), "Outputs").unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap();
    assert!(
        !outputs.contains("UploadIdKey"),
        "no output names the secret: {outputs}"
    );
}
