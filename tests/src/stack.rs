//! The local stack under test: its settings, admin clients, users and real tokens.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use homedir::{App, Config};

/// The emulator's unrestricted key (test harness only).
pub const ADMIN_ACCESS_KEY: &str = "AKIAHOMEDIRADMIN000";
/// The functions' own key: the emulator refuses it every S3 call, as AWS would the
/// function role, which has no S3 permission.
pub const FUNCTION_ACCESS_KEY: &str = "AKIAHOMEDIRFUNCTION0";
/// A password that meets the pool's policy.
pub const PASSWORD: &str = "Test-Passw0rd!";

/// Settings of the local stack (`KEY=VALUE` lines from tests/emulator/deploy.py: the
/// deployed stack's outputs and parameters, its upload id key, provision.py's fixtures).
#[derive(Debug)]
pub struct Stack {
    vars: HashMap<String, String>,
}

impl Stack {
    /// The stack `scripts/local-stack.sh` started, found through `HOMEDIR_STACK_ENV`.
    pub fn get() -> &'static Stack {
        static STACK: OnceLock<Stack> = OnceLock::new();
        STACK.get_or_init(|| {
            let path = std::env::var("HOMEDIR_STACK_ENV").unwrap_or_else(|_| {
                panic!("HOMEDIR_STACK_ENV is not set: run the suite with `make test`, which starts the local stack")
            });
            Stack::load(&PathBuf::from(&path))
        })
    }

    pub fn load(path: &std::path::Path) -> Stack {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read the stack settings {}: {e}", path.display()));
        let vars = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Stack { vars }
    }

    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("the stack settings have no {name}"))
    }

    pub fn endpoint(&self) -> &str {
        self.var("AWS_ENDPOINT_URL")
    }

    pub fn region(&self) -> &str {
        self.var("AWS_REGION")
    }

    pub fn bucket(&self) -> &str {
        self.var("BUCKET_NAME")
    }

    /// The folder of the team spaces (`TEAM_PREFIX`, `teams` unless the stack says).
    pub fn team_prefix(&self) -> &str {
        self.vars.get("TEAM_PREFIX").map_or("teams", String::as_str)
    }

    /// The S3 folder of `team`'s space.
    pub fn team_root(&self, team: &str) -> String {
        format!("{}/{team}/", self.team_prefix())
    }

    /// The environment a function gets: the stack's settings, its own credentials.
    pub fn function_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "USER_POOL_ID",
            "USER_POOL_CLIENT_ID",
            "IDENTITY_POOL_ID",
            "BUCKET_NAME",
            "HOME_PREFIX",
            "UPLOAD_ID_KEY",
        ]
        .iter()
        .map(|k| ((*k).to_owned(), self.var(k).to_owned()))
        .collect();
        if let Some(prefix) = self.vars.get("TEAM_PREFIX") {
            env.push(("TEAM_PREFIX".to_owned(), prefix.clone()));
        }
        // The user directory's tables, as the template gives them to the API functions:
        // the record of user changes and the Identity IDs behind the token's claim.
        if let Some(path) = self.vars.get("FUNCTIONS_CONFIG")
            && let Ok(text) = std::fs::read(path)
            && let Ok(config) = serde_json::from_slice::<serde_json::Value>(&text)
        {
            for name in ["IDENTITY_TABLE", "USER_CHANGES_TABLE"] {
                if let Some(value) = config["functions"]["read-file"]["environment"][name].as_str()
                {
                    env.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        env.extend([
            (
                "AWS_ACCESS_KEY_ID".to_owned(),
                FUNCTION_ACCESS_KEY.to_owned(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY".to_owned(),
                "local-function-secret".to_owned(),
            ),
            ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
        ]);
        env
    }

    fn sdk_config(&self, access_key: &str, secret: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region().to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    access_key,
                    secret,
                    None,
                    None,
                    "homedir-tests",
                )),
            )
            .build()
    }

    /// SDK configuration with the emulator's admin key.
    pub fn admin_sdk(&self) -> SdkConfig {
        self.sdk_config(ADMIN_ACCESS_KEY, "local")
    }

    /// The S3 client tests use to look at what really is in the bucket.
    pub fn admin_s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.admin_sdk())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn admin_idp(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.admin_sdk())
    }

    /// An upload id for S3's upload `s3` of a `size`-byte file at `key` under `root`,
    /// tagged with this stack's `UPLOAD_ID_KEY` exactly as write-file tags them: what
    /// only a holder of the deployment's key could make.
    pub fn upload_id(&self, root: &str, key: &str, size: u64, s3: &str) -> String {
        use homedir::storage::uploads::{Plan, UploadKey};
        UploadKey::new(self.var("UPLOAD_ID_KEY").as_bytes())
            .issue(root, key, Plan::for_size(size), s3.to_owned())
            .to_string()
    }

    /// An in-process [`App`] configured exactly like the deployed functions, with the
    /// function's own credentials; `overrides` replace or add environment variables.
    pub fn app(&self, overrides: &[(&str, &str)]) -> App {
        let mut env: HashMap<String, String> = self.function_env().into_iter().collect();
        for (k, v) in overrides {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Config::from_lookup(|name| env.get(name).cloned()).expect("valid test config");
        App::new(
            config,
            &self.sdk_config(FUNCTION_ACCESS_KEY, "local-function-secret"),
        )
        .expect("the app builds")
    }
}

/// A confirmed user of the stack's user pool, with a fresh ID token.
#[derive(Debug, Clone)]
pub struct User {
    pub email: String,
    pub username: String,
    pub id_token: String,
    pub access_token: String,
}

impl User {
    /// Signs up a new, unique user in the main pool and signs them in.
    pub async fn new(stack: &Stack) -> User {
        User::in_pool(
            stack,
            stack.var("USER_POOL_ID"),
            stack.var("USER_POOL_CLIENT_ID"),
        )
        .await
    }

    /// The same in any pool/client of the emulator (for foreign-token tests).
    pub async fn in_pool(stack: &Stack, pool_id: &str, client_id: &str) -> User {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        User::register(stack, pool_id, client_id, &email).await
    }

    /// Signs up and confirms a user with this email (which must be free), and signs
    /// them in.
    pub async fn register(stack: &Stack, pool_id: &str, client_id: &str, email: &str) -> User {
        let email = email.to_owned();
        let idp = stack.admin_idp();
        idp.sign_up()
            .client_id(client_id)
            .username(&email)
            .password(PASSWORD)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(&email)
                    .build()
                    .expect("attribute"),
            )
            .send()
            .await
            .expect("sign up");
        idp.admin_confirm_sign_up()
            .user_pool_id(pool_id)
            .username(&email)
            .send()
            .await
            .expect("admin confirm");
        let (id_token, access_token) = sign_in(stack, client_id, &email).await;
        let username = idp
            .admin_get_user()
            .user_pool_id(pool_id)
            .username(&email)
            .send()
            .await
            .expect("admin get user")
            .username()
            .to_owned();
        User {
            email,
            username,
            id_token,
            access_token,
        }
    }

    /// The user's Identity ID, asked of Cognito directly (it is stable per user).
    pub async fn identity_id(&self, stack: &Stack) -> String {
        let provider = format!(
            "cognito-idp.{}.amazonaws.com/{}",
            stack.region(),
            stack.var("USER_POOL_ID")
        );
        aws_sdk_cognitoidentity::Client::new(&stack.admin_sdk())
            .get_id()
            .identity_pool_id(stack.var("IDENTITY_POOL_ID"))
            .logins(provider, &self.id_token)
            .send()
            .await
            .expect("GetId")
            .identity_id()
            .expect("an identity id")
            .to_owned()
    }

    /// An S3 client with the user's own identity-pool credentials, as any signed-in
    /// user can get them (GetCredentialsForIdentity needs only the ID token).
    pub async fn own_s3(&self, stack: &Stack) -> aws_sdk_s3::Client {
        let provider = format!(
            "cognito-idp.{}.amazonaws.com/{}",
            stack.region(),
            stack.var("USER_POOL_ID")
        );
        let identity_id = self.identity_id(stack).await;
        let issued = aws_sdk_cognitoidentity::Client::new(&stack.admin_sdk())
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(provider, &self.id_token)
            .send()
            .await
            .expect("GetCredentialsForIdentity");
        let issued = issued.credentials().expect("credentials");
        let credentials = aws_credential_types::Credentials::new(
            issued.access_key_id().expect("an access key"),
            issued.secret_key().expect("a secret key"),
            issued.session_token().map(str::to_owned),
            None,
            "identity-pool",
        );
        let config = aws_sdk_s3::config::Builder::from(&stack.admin_sdk())
            .credentials_provider(credentials)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The S3 folder of this user's home.
    pub async fn home_root(&self, stack: &Stack) -> String {
        format!(
            "{}/{}/",
            stack.var("HOME_PREFIX"),
            self.identity_id(stack).await
        )
    }

    /// A new user whose `custom:team` an operator set to `team`, signed in after it.
    pub async fn in_team(stack: &Stack, team: &str) -> User {
        let mut user = User::new(stack).await;
        user.set_team(stack, Some(team)).await;
        user
    }

    /// What an operator does (AdminUpdateUserAttributes, or AdminDeleteUserAttributes
    /// for `None`), then a new sign-in: the team reaches the user with their next token.
    pub async fn set_team(&mut self, stack: &Stack, team: Option<&str>) {
        let idp = stack.admin_idp();
        match team {
            Some(team) => {
                idp.admin_update_user_attributes()
                    .user_pool_id(stack.var("USER_POOL_ID"))
                    .username(&self.email)
                    .user_attributes(
                        AttributeType::builder()
                            .name("custom:team")
                            .value(team)
                            .build()
                            .expect("attribute"),
                    )
                    .send()
                    .await
                    .expect("AdminUpdateUserAttributes custom:team");
            }
            None => {
                idp.admin_delete_user_attributes()
                    .user_pool_id(stack.var("USER_POOL_ID"))
                    .username(&self.email)
                    .user_attribute_names("custom:team")
                    .send()
                    .await
                    .expect("AdminDeleteUserAttributes custom:team");
            }
        }
        let (id_token, access_token) =
            sign_in(stack, stack.var("USER_POOL_CLIENT_ID"), &self.email).await;
        self.id_token = id_token;
        self.access_token = access_token;
    }

    /// A fresh pair of tokens for the same user (a new sign-in).
    pub async fn sign_in_again(&self, stack: &Stack) -> String {
        sign_in(stack, stack.var("USER_POOL_CLIENT_ID"), &self.email)
            .await
            .0
    }
}

async fn sign_in(stack: &Stack, client_id: &str, email: &str) -> (String, String) {
    let auth = stack
        .admin_idp()
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("sign in");
    let result = auth.authentication_result().expect("tokens");
    (
        result.id_token().expect("id token").to_owned(),
        result.access_token().expect("access token").to_owned(),
    )
}

/// The S3 keys under `prefix`, as the admin sees them.
pub async fn keys_under(stack: &Stack, prefix: &str) -> Vec<String> {
    let output = stack
        .admin_s3()
        .list_objects_v2()
        .bucket(stack.bucket())
        .prefix(prefix)
        .send()
        .await
        .expect("admin list");
    output
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// The bytes of an S3 object, as the admin sees them; `None` if absent.
pub async fn object(stack: &Stack, key: &str) -> Option<(Vec<u8>, Option<String>)> {
    match stack
        .admin_s3()
        .get_object()
        .bucket(stack.bucket())
        .key(key)
        .send()
        .await
    {
        Ok(output) => {
            let content_type = output.content_type().map(str::to_owned);
            let bytes = output
                .body
                .collect()
                .await
                .expect("body")
                .into_bytes()
                .to_vec();
            Some((bytes, content_type))
        }
        Err(_) => None,
    }
}
