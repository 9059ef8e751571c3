//! What a signed-in user can do with their own credentials, without the API.
//!
//! GetId and GetCredentialsForIdentity are public, unsigned Cognito calls: anyone
//! holding a user's ID token gets the same temporary credentials the functions obtain
//! for that user, and can call S3 directly (Amplify's storage clients do exactly
//! that). So the authenticated role's policy, not the API, is the boundary. These
//! tests take a fresh user's credentials from the stack's identity pool as any user
//! could and try, against S3 itself, what the role allows and every bypass it must
//! deny: on the local stack the emulator decides them with `infra-policies/`, on a
//! deployed stack IAM and S3 do.
//!
//! The settings they need besides the harness's: `BUCKET_NAME`, and
//! `AWS_ENDPOINT_URL` for the local emulator only (S3 and Cognito Identity both
//! answer there; without it, the real regional endpoints over HTTPS).

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, ObjectCannedAcl,
    ServerSideEncryption, StorageClass, Tag, Tagging, VersioningConfiguration,
};

use crate::harness::{Account, E2e, REQUEST_TIMEOUT, Target};

/// A 256-bit customer key (base64) and its MD5 (base64), as SSE-C wants them: a
/// well-formed request, so only the policy can refuse it.
const SSE_C_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SSE_C_KEY_MD5: &str = "hRasmdxgYDKV3nvbahU1MA==";

/// A user's direct access to S3: a client signed with the credentials the identity
/// pool gave them, and the names it works on.
struct Direct {
    s3: aws_sdk_s3::Client,
    bucket: String,
    /// `<HOME_PREFIX>/<identity id>/`
    home: String,
    identity_id: String,
}

impl Direct {
    /// Exchanges the user's ID token as any client could: GetId, then
    /// GetCredentialsForIdentity, both unsigned (the client has no credentials at all;
    /// the SDK sends these two operations without a signature).
    async fn of(e2e: &E2e, user: &Account) -> Direct {
        let endpoint = e2e.setting("AWS_ENDPOINT_URL");
        let region = Region::new(e2e.stack.region().to_owned());
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(REQUEST_TIMEOUT)
            .build();

        let mut cognito = aws_sdk_cognitoidentity::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region.clone())
            .timeout_config(timeouts.clone());
        if let Some(endpoint) = &endpoint {
            cognito = cognito.endpoint_url(endpoint);
        }
        let cognito = aws_sdk_cognitoidentity::Client::from_conf(cognito.build());
        let provider = format!(
            "cognito-idp.{}.amazonaws.com/{}",
            e2e.stack.region(),
            e2e.stack.var("USER_POOL_ID")
        );
        let identity_id = cognito
            .get_id()
            .identity_pool_id(e2e.stack.var("IDENTITY_POOL_ID"))
            .logins(&provider, &user.id_token)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "unsigned GetId: {}",
                    aws_sdk_cognitoidentity::error::DisplayErrorContext(&e)
                )
            })
            .identity_id()
            .expect("an Identity ID")
            .to_owned();
        let issued = cognito
            .get_credentials_for_identity()
            .identity_id(&identity_id)
            .logins(&provider, &user.id_token)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "unsigned GetCredentialsForIdentity: {}",
                    aws_sdk_cognitoidentity::error::DisplayErrorContext(&e)
                )
            });
        let issued = issued.credentials().expect("credentials");
        let access_key = issued.access_key_id().expect("an access key");
        assert!(
            access_key.starts_with("ASIA"),
            "temporary credentials (ASIA…), not {}…",
            &access_key[..4.min(access_key.len())]
        );
        let credentials = Credentials::new(
            access_key,
            issued.secret_key().expect("a secret key"),
            Some(issued.session_token().expect("a session token").to_owned()),
            None,
            "identity-pool",
        );

        let mut s3 = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region)
            .credentials_provider(credentials)
            .timeout_config(timeouts);
        if let Some(endpoint) = &endpoint {
            s3 = s3.endpoint_url(endpoint).force_path_style(true);
        }
        Direct {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            bucket: e2e.stack.bucket().to_owned(),
            home: format!("{}/{identity_id}/", e2e.stack.var("HOME_PREFIX")),
            identity_id,
        }
    }

    /// The full S3 key of `name` in the user's own home.
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.home)
    }

    /// A small PutObject of `key` (a full S3 key).
    fn put(&self, key: &str) -> PutObjectFluentBuilder {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from_static(b"data"))
    }

    /// A CopyObject `x-amz-copy-source` for `key` in the bucket.
    fn source(&self, key: &str) -> String {
        format!("{}/{key}", self.bucket)
    }

    /// The names (relative to the home) of every object in the user's own home.
    async fn own_names(&self) -> Vec<String> {
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.home)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "ListObjectsV2 of the own home: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            });
        assert!(!listed.is_truncated().unwrap_or(false), "one page");
        let mut names: Vec<String> = listed
            .contents()
            .iter()
            .map(|o| o.key().expect("a key")[self.home.len()..].to_owned())
            .collect();
        names.sort();
        names
    }
}

/// `allowed`, or the error code S3 answered.
fn outcome<T, E: ProvideErrorMetadata>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => "allowed".to_owned(),
        Err(error) => error.code().unwrap_or("no code").to_owned(),
    }
}

/// Sends the request and asserts S3 refused it with AccessDenied.
macro_rules! assert_denied {
    ($case:expr, $request:expr) => {
        assert_eq!(outcome($request.send().await), "AccessDenied", "{}", $case)
    };
}

/// Sends the request and asserts S3 accepted it.
macro_rules! assert_allowed {
    ($case:expr, $request:expr) => {
        $request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {}", $case, aws_sdk_s3::error::DisplayErrorContext(&e)))
    };
}

#[tokio::test]
async fn a_user_s_own_credentials_reach_their_own_home() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let me = Direct::of(&e2e, &user).await;
    assert_eq!(
        me.identity_id,
        e2e.identity_id(&user).await,
        "the unsigned exchange gives the Identity ID that names the user's home"
    );

    assert_allowed!("PutObject in the own home", me.put(&me.key("plain.txt")));
    assert_allowed!(
        "PutObject STANDARD",
        me.put(&me.key("standard.txt"))
            .storage_class(StorageClass::Standard)
    );
    assert_allowed!(
        "PutObject with S3-managed encryption (AES256)",
        me.put(&me.key("sse-s3.txt"))
            .server_side_encryption(ServerSideEncryption::Aes256)
    );
    assert_allowed!(
        "CopyObject within the home (s3:GetObject on the source, s3:PutObject on the copy)",
        me.s3
            .copy_object()
            .bucket(&me.bucket)
            .key(me.key("copy.txt"))
            .copy_source(me.source(&me.key("plain.txt")))
    );

    // A multipart upload needs only s3:PutObject.
    let multi = me.key("multi.bin");
    let upload = assert_allowed!(
        "CreateMultipartUpload",
        me.s3
            .create_multipart_upload()
            .bucket(&me.bucket)
            .key(&multi)
    );
    let upload_id = upload.upload_id().expect("an upload id");
    let part = assert_allowed!(
        "UploadPart",
        me.s3
            .upload_part()
            .bucket(&me.bucket)
            .key(&multi)
            .upload_id(upload_id)
            .part_number(1)
            .body(ByteStream::from_static(b"one part"))
    );
    assert_allowed!(
        "CompleteMultipartUpload",
        me.s3
            .complete_multipart_upload()
            .bucket(&me.bucket)
            .key(&multi)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .parts(
                        CompletedPart::builder()
                            .part_number(1)
                            .e_tag(part.e_tag().expect("the part's ETag"))
                            .build(),
                    )
                    .build(),
            )
    );

    let names = [
        "copy.txt",
        "multi.bin",
        "plain.txt",
        "sse-s3.txt",
        "standard.txt",
    ];
    assert_eq!(
        me.own_names().await,
        names,
        "ListObjectsV2 with prefix = the own home"
    );
    let copy = assert_allowed!(
        "GetObject in the own home",
        me.s3
            .get_object()
            .bucket(&me.bucket)
            .key(me.key("copy.txt"))
    );
    let copied = copy.body.collect().await.expect("the body").into_bytes();
    assert_eq!(copied.as_ref(), b"data", "the copy's bytes");
    let multi_read = me
        .s3
        .get_object()
        .bucket(&me.bucket)
        .key(&multi)
        .send()
        .await
        .expect("GetObject of the multipart object");
    let multi_bytes = multi_read
        .body
        .collect()
        .await
        .expect("the body")
        .into_bytes();
    assert_eq!(multi_bytes.as_ref(), b"one part");
    // What the user wrote directly is theirs through the API too.
    let mut listed = e2e.all_keys(&user, "").await;
    listed.sort();
    assert_eq!(listed, names, "the API lists the directly written files");

    // S3 answers a missing key with 403 AccessDenied, not 404 NoSuchKey, to a caller
    // without an unconditional s3:ListBucket on the bucket (API Reference,
    // GetObject, "Permissions"); the role's ListBucket depends on s3:prefix.
    assert_denied!(
        "GetObject of a missing key in the own home",
        me.s3.get_object().bucket(&me.bucket).key(me.key("missing"))
    );

    // Clean up with the user's own right to delete in their home.
    for name in names {
        assert_allowed!(
            format!("DeleteObject {name}"),
            me.s3.delete_object().bucket(&me.bucket).key(me.key(name))
        );
    }
    assert!(me.own_names().await.is_empty(), "the home is empty again");
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn every_bypass_the_api_would_refuse_is_denied_by_the_role() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    let me = Direct::of(&e2e, &alice).await;
    let bucket = me.bucket.as_str();
    let home_prefix = e2e.stack.var("HOME_PREFIX");

    // Bob has a real file, written through the API.
    e2e.put("write-file", &[("key", "f.txt")], "bob's file")
        .token(&bob.id_token)
        .send()
        .await
        .expect(200, None);
    let bob_home = format!("{home_prefix}/{}/", e2e.identity_id(&bob).await);
    let bob_file = format!("{bob_home}f.txt");

    // Alice has one file of her own.
    let key = me.key("file.txt");
    let written = assert_allowed!("Alice writes her own file", me.put(&key));
    let version = written
        .version_id()
        .expect("a version id: the bucket is versioned")
        .to_owned();

    // Storage classes the API could not read back, or that bill minimum durations.
    for class in [
        StorageClass::Glacier,
        StorageClass::DeepArchive,
        StorageClass::StandardIa,
    ] {
        assert_denied!(
            format!("PutObject {class:?}"),
            me.put(&key).storage_class(class.clone())
        );
    }
    assert_denied!(
        "CreateMultipartUpload GLACIER",
        me.s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(me.key("multi.bin"))
            .storage_class(StorageClass::Glacier)
    );
    assert_denied!(
        "CopyObject GLACIER",
        me.s3
            .copy_object()
            .bucket(bucket)
            .key(me.key("copy.txt"))
            .copy_source(me.source(&key))
            .storage_class(StorageClass::Glacier)
    );

    // Encryption the API could not read back.
    assert_denied!(
        "SSE aws:kms",
        me.put(&key)
            .server_side_encryption(ServerSideEncryption::AwsKms)
    );
    assert_denied!(
        "SSE-C",
        me.put(&key)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(SSE_C_KEY)
            .sse_customer_key_md5(SSE_C_KEY_MD5)
    );

    // Keys the API refuses.
    for bad in ["a//b", "a/./b", "a/../b", "folder/", "a/.", "a/.."] {
        assert_denied!(format!("PutObject key {bad:?}"), me.put(&me.key(bad)));
    }

    // ACLs. The bucket enforces bucket ownership (ACLs disabled): S3 documents
    // 400 AccessControlListNotSupported for a request that sets an ACL there, without
    // saying whether the caller's missing s3:PutObjectAcl is checked first. Either
    // answer leaves no ACL set; the emulator checks the policy first.
    // The one ACL the role grants (s3:PutObjectAcl with bucket-owner-full-control), which
    // the bucket accepts on an upload: what rclone 1.60 sends when told to.
    assert_allowed!(
        "PutObject with bucket-owner-full-control",
        me.put(&key).acl(ObjectCannedAcl::BucketOwnerFullControl)
    );
    // PutObjectAcl with it passes IAM; the bucket refuses to change an ACL (its page:
    // "Requests to set ACLs or update ACLs fail"). Were AWS to accept it, the ACL would
    // be the bucket owner's full control, which the bucket enforces anyway.
    let set_acl = outcome(
        me.s3
            .put_object_acl()
            .bucket(bucket)
            .key(&key)
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .send()
            .await,
    );
    let set_acl_answers: &[&str] = match e2e.target {
        Target::Local => &["AccessControlListNotSupported"],
        Target::Deployed => &["AccessControlListNotSupported", "allowed"],
    };
    assert!(
        set_acl_answers.contains(&set_acl.as_str()),
        "PutObjectAcl bucket-owner-full-control: {set_acl}, expected one of {set_acl_answers:?}"
    );
    let acl_refusals: &[&str] = match e2e.target {
        Target::Local => &["AccessDenied"],
        Target::Deployed => &["AccessDenied", "AccessControlListNotSupported"],
    };
    for (case, answer) in [
        (
            "PutObjectAcl",
            outcome(
                me.s3
                    .put_object_acl()
                    .bucket(bucket)
                    .key(&key)
                    .acl(ObjectCannedAcl::PublicRead)
                    .send()
                    .await,
            ),
        ),
        (
            "PutObject with a canned ACL",
            outcome(me.put(&key).acl(ObjectCannedAcl::PublicRead).send().await),
        ),
    ] {
        assert!(
            acl_refusals.contains(&answer.as_str()),
            "{case}: {answer}, expected one of {acl_refusals:?}"
        );
    }

    // Tags, versions, bucket settings.
    assert_denied!(
        "PutObjectTagging",
        me.s3.put_object_tagging().bucket(bucket).key(&key).tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("k").value("v").build().expect("a tag"))
                .build()
                .expect("a tag set")
        )
    );
    assert_denied!("PutObject with tags", me.put(&key).tagging("k=v"));
    assert_denied!(
        "DeleteObject with a versionId (s3:DeleteObjectVersion)",
        me.s3
            .delete_object()
            .bucket(bucket)
            .key(&key)
            .version_id(&version)
    );
    assert_denied!(
        "PutBucketVersioning Suspended",
        me.s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Suspended)
                    .build()
            )
    );
    assert_denied!(
        "PutBucketPolicy",
        me.s3.put_bucket_policy().bucket(bucket).policy("{}")
    );

    // Another user's home, every home, the bucket root.
    assert_denied!(
        "GetObject in Bob's home",
        me.s3.get_object().bucket(bucket).key(&bob_file)
    );
    assert_denied!("PutObject in Bob's home", me.put(&bob_file));
    assert_denied!(
        "DeleteObject in Bob's home",
        me.s3.delete_object().bucket(bucket).key(&bob_file)
    );
    assert_denied!(
        "CopyObject with Bob's file as the source",
        me.s3
            .copy_object()
            .bucket(bucket)
            .key(me.key("stolen.txt"))
            .copy_source(me.source(&bob_file))
    );
    assert_denied!(
        "ListObjectsV2 of Bob's home",
        me.s3.list_objects_v2().bucket(bucket).prefix(&bob_home)
    );
    assert_denied!(
        "ListObjectsV2 of the whole bucket",
        me.s3.list_objects_v2().bucket(bucket)
    );
    assert_denied!(
        format!("ListObjectsV2 of {home_prefix}/"),
        me.s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("{home_prefix}/"))
    );
    assert_denied!("PutObject at the bucket root", me.put("root.txt"));

    // Nothing of that changed anything: Bob's file is his, unchanged; Alice's home
    // holds her one file, with its bytes.
    assert_eq!(e2e.read(&bob, "f.txt").await.as_ref(), b"bob's file");
    assert_eq!(me.own_names().await, ["file.txt"]);
    let mine = assert_allowed!(
        "GetObject of Alice's own file",
        me.s3.get_object().bucket(bucket).key(&key)
    );
    let mine = mine.body.collect().await.expect("the body").into_bytes();
    assert_eq!(mine.as_ref(), b"data");

    assert_allowed!(
        "Alice deletes her own file",
        me.s3.delete_object().bucket(bucket).key(&key)
    );
    e2e.clean_up(&[&alice, &bob]).await;
}
