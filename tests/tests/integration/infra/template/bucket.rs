//! The bucket: versions kept and expired (NoncurrentVersionsToKeep included), TLS only,
//! private, encrypted, unfinished uploads aborted, and CORS for the presigned URLs a
//! page uses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::support::*;

#[test]
fn bucket_versioning_is_on_and_noncurrent_versions_expire_by_parameter() {
    let t = template();
    let bucket = props(&t, "HomeBucket");
    assert_eq!(
        at(bucket, &["VersioningConfiguration", "Status"]).as_str(),
        Some("Enabled"),
        "HomeBucket versioning must be Enabled"
    );
    // As deployed with the default NoncurrentVersionsToKeep (0): one rule expires old
    // versions (see noncurrent_versions_to_keep_adds_a_rule_only_when_set for N).
    let rules = lifecycle_rules(&t, &[]).into_values().collect::<Vec<_>>();
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
    let limited = lifecycle_rules(&t, &[("NoncurrentVersionsToKeep", "3")]);
    for rule in rules.iter().chain(limited.values()) {
        assert!(
            get(rule, "ExpirationInDays").is_none() && get(rule, "ExpirationDate").is_none(),
            "no rule expires current files"
        );
        assert!(
            get(rule, "Expiration").is_none() && get(rule, "Transitions").is_none(),
            "no rule expires or moves current files"
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

/// The bucket's lifecycle rules as deployed with `parameters`, by rule id.
fn lifecycle_rules(t: &Yaml, parameters: &[(&str, &str)]) -> BTreeMap<String, Yaml> {
    let parameters: BTreeMap<&str, &str> = parameters.iter().copied().collect();
    let rules = resolve(
        t,
        at(props(t, "HomeBucket"), &["LifecycleConfiguration", "Rules"]),
        &parameters,
    )
    .expect("the bucket has lifecycle rules");
    rules
        .as_sequence()
        .expect("a list of rules")
        .iter()
        .map(|rule| {
            let id = at(rule, &["Id"]).as_str().expect("every rule has an Id");
            (id.to_owned(), rule.clone())
        })
        .collect()
}

/// NoncurrentVersionsToKeep: 0 (the default) keeps every old version for
/// NoncurrentVersionExpirationDays; N adds a rule that expires a file's old versions
/// beyond its N newest one day after they become old, and the N newest still live
/// NoncurrentVersionExpirationDays.
#[test]
fn noncurrent_versions_to_keep_adds_a_rule_only_when_set() {
    let t = template();
    assert_eq!(
        declaration(&t, "NoncurrentVersionsToKeep"),
        yaml("{Type: Number, Default: 0, MinValue: 0, MaxValue: 100}"),
        "NoncurrentVersionsToKeep: 0 by default, at most S3's 100"
    );
    assert_eq!(
        at(&t, &["Conditions", "KeepsFewerVersions"]),
        &yaml("!Not [!Equals [!Ref NoncurrentVersionsToKeep, 0]]"),
        "KeepsFewerVersions: any value but 0"
    );
    let always = [
        "expire-noncurrent-versions",
        "remove-expired-delete-markers",
        "abort-incomplete-multipart-uploads",
    ];
    let by_default = lifecycle_rules(&t, &[]);
    assert_eq!(
        by_default.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut ids = always.to_vec();
            ids.sort();
            ids
        },
        "by default, no rule limits how many old versions a file keeps"
    );
    for n in ["1", "5", "100"] {
        let rules = lifecycle_rules(&t, &[("NoncurrentVersionsToKeep", n)]);
        for id in always {
            assert_eq!(
                rules.get(id),
                by_default.get(id),
                "NoncurrentVersionsToKeep {n}: {id} stays as it is"
            );
        }
        assert_eq!(
            rules.get("expire-noncurrent-versions"),
            Some(&yaml(
                "{Id: expire-noncurrent-versions, Status: Enabled, \
                  NoncurrentVersionExpiration: {NoncurrentDays: !Ref NoncurrentVersionExpirationDays}}"
            )),
            "the N newest old versions still live NoncurrentVersionExpirationDays"
        );
        assert_eq!(
            rules.get("limit-noncurrent-versions"),
            Some(&yaml(&format!(
                "{{Id: limit-noncurrent-versions, Status: Enabled, \
                   NoncurrentVersionExpiration: {{NoncurrentDays: 1, NewerNoncurrentVersions: \"{n}\"}}}}"
            ))),
            "NoncurrentVersionsToKeep {n}: older versions expire a day after they become old"
        );
        assert_eq!(rules.len(), always.len() + 1, "one rule more, no other");
    }
    // The rule's count is the parameter itself, not a copy of its value.
    let raw = at(
        props(&t, "HomeBucket"),
        &["LifecycleConfiguration", "Rules"],
    )
    .as_sequence()
    .expect("a list of rules")
    .iter()
    .find_map(|rule| match tag_of(rule) {
        Some((tag, inner)) if tag == "If" => Some(inner.clone()),
        _ => None,
    })
    .expect("the limiting rule is conditional");
    assert_eq!(raw[0].as_str(), Some("KeepsFewerVersions"));
    assert_eq!(
        ref_target(at(
            &raw[1],
            &["NoncurrentVersionExpiration", "NewerNoncurrentVersions"]
        )),
        Some("NoncurrentVersionsToKeep"),
        "NewerNoncurrentVersions = !Ref NoncurrentVersionsToKeep"
    );
    assert_eq!(
        ref_target(&raw[2]),
        Some("AWS::NoValue"),
        "without it, no rule at all"
    );
}
