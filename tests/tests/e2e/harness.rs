//! The harness: the configuration from the environment, one test's view of the stack
//! (`E2e`), the users it creates (`Account`), HTTP requests (`Call`) and their
//! responses (`Reply`), with the assertions every test shares.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use homedir_tests::requests::query;
use homedir_tests::stack::Stack;

/// A hard limit on any one request, so a hung server fails the test instead of the CI job.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Deployed,
    Local,
}

/// What the environment says to test.
struct Config {
    url_template: String,
    target: Target,
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let url_template = std::env::var("HOMEDIR_E2E_URL").unwrap_or_default();
        assert!(
            !url_template.is_empty(),
            "HOMEDIR_E2E_URL is not set: the end-to-end suite needs a running homedir. \
             Run `make e2e-local` (local stack + homedir-gateway) or `make e2e` \
             (a deployed stack), or set HOMEDIR_E2E_URL to a URL template with {{route}}, \
             e.g. https://abc.execute-api.us-east-1.amazonaws.com/{{route}}"
        );
        assert!(
            url_template.contains("{route}"),
            "HOMEDIR_E2E_URL must contain {{route}}: {url_template}"
        );
        let target = match std::env::var("HOMEDIR_E2E_TARGET").as_deref() {
            Ok("deployed") => Target::Deployed,
            Ok("local") => Target::Local,
            other => panic!("HOMEDIR_E2E_TARGET must be `deployed` or `local`, not {other:?}"),
        };
        assert!(
            std::env::var_os("HOMEDIR_STACK_ENV").is_some(),
            "HOMEDIR_STACK_ENV is not set: the end-to-end suite needs the stack's settings \
             (tests/e2e.sh writes them) to create its users"
        );
        Config {
            url_template,
            target,
        }
    })
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One test's view of the system under test: an HTTP(S) client, the stack's settings
/// and an admin SDK configuration for creating users. Built per test: the client's
/// connection pool belongs to the test's own runtime.
pub(crate) struct E2e {
    pub(crate) target: Target,
    url_template: String,
    client: HttpClient,
    pub(crate) stack: &'static Stack,
    admin: SdkConfig,
}

impl E2e {
    pub(crate) async fn start() -> E2e {
        let config = config();
        let stack = Stack::get();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .expect("TLS configuration")
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let admin = admin_sdk(stack).await;
        E2e {
            target: config.target,
            url_template: config.url_template.clone(),
            client,
            stack,
            admin,
        }
    }

    /// An optional stack setting (absent ones are `None`, unlike `Stack::var`).
    pub(crate) fn setting(&self, name: &str) -> Option<String> {
        optional_setting(name)
    }

    pub(crate) fn raw(&self, method: Method, route: &str, raw_query: &str) -> Call<'_> {
        let base = self.url_template.replace("{route}", route);
        let url = if raw_query.is_empty() {
            base
        } else {
            format!("{base}?{raw_query}")
        };
        Call {
            e2e: self,
            method,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
            tokens: Vec::new(),
        }
    }

    pub(crate) fn get(&self, route: &str, pairs: &[(&str, &str)]) -> Call<'_> {
        self.raw(Method::GET, route, &query(pairs))
    }

    pub(crate) fn put(
        &self,
        route: &str,
        pairs: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Call<'_> {
        let mut call = self.raw(Method::PUT, route, &query(pairs));
        call.body = Bytes::from(body.into());
        call
    }

    pub(crate) fn delete(&self, route: &str, pairs: &[(&str, &str)]) -> Call<'_> {
        self.raw(Method::DELETE, route, &query(pairs))
    }

    /// One ordinary request per route, without a token.
    pub(crate) fn every_route(&self) -> Vec<Call<'_>> {
        vec![
            self.get("read-file", &[("key", "f")]),
            self.put("write-file", &[("key", "f")], "x"),
            self.get("list", &[]),
            self.delete("delete", &[("key", "f")]),
        ]
    }

    /// A fresh, confirmed user of the stack's own pool and client, signed in.
    pub(crate) async fn user(&self) -> Account {
        self.user_in(
            self.stack.var("USER_POOL_ID"),
            self.stack.var("USER_POOL_CLIENT_ID"),
        )
        .await
    }

    /// A fresh user of any pool/client. Created by an administrator with the welcome
    /// message suppressed, rather than by SignUp: on AWS, SignUp in a pool with
    /// auto-verified email sends a confirmation email for every test user, which
    /// bounces at example.com and runs into Cognito's default email quota.
    pub(crate) async fn user_in(&self, pool_id: &str, client_id: &str) -> Account {
        let email = format!("homedir-e2e-{}@example.com", uuid::Uuid::new_v4().simple());
        // Long, with upper, lower, digit and symbol: fits any pool policy this
        // template allows.
        let password = format!(
            "E2e-{}-{}!",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&self.admin);
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .expect("attribute")
        };
        idp.admin_create_user()
            .user_pool_id(pool_id)
            .username(&email)
            .user_attributes(attribute("email", &email))
            .user_attributes(attribute("email_verified", "true"))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("AdminCreateUser in {pool_id}: {}", DisplayErrorContext(&e))
            });
        idp.admin_set_user_password()
            .user_pool_id(pool_id)
            .username(&email)
            .password(&password)
            .permanent(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminSetUserPassword: {}", DisplayErrorContext(&e)));
        let auth = idp
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &email)
            .auth_parameters("PASSWORD", &password)
            .send()
            .await
            .unwrap_or_else(|e| panic!("InitiateAuth: {}", DisplayErrorContext(&e)));
        let result = auth.authentication_result().expect("tokens, no challenge");
        Account {
            email,
            password,
            pool_id: pool_id.to_owned(),
            id_token: result.id_token().expect("an ID token").to_owned(),
            access_token: result.access_token().expect("an access token").to_owned(),
        }
    }

    /// The user's Identity ID, asked of Cognito directly (it names their home).
    pub(crate) async fn identity_id(&self, user: &Account) -> String {
        let provider = format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.stack.region(),
            self.stack.var("USER_POOL_ID")
        );
        aws_sdk_cognitoidentity::Client::new(&self.admin)
            .get_id()
            .identity_pool_id(self.stack.var("IDENTITY_POOL_ID"))
            .logins(provider, &user.id_token)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "GetId: {}",
                    aws_sdk_cognitoidentity::error::DisplayErrorContext(&e)
                )
            })
            .identity_id()
            .expect("an identity id")
            .to_owned()
    }

    /// The bytes of the user's file `key` (which must exist).
    pub(crate) async fn read(&self, user: &Account, key: &str) -> Bytes {
        self.get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .body
    }

    /// Every key of the user's home under `prefix`, through `list` (all pages).
    pub(crate) async fn all_keys(&self, user: &Account, prefix: &str) -> Vec<String> {
        self.all_keys_in(user, "home", prefix).await
    }

    /// Every key of the user's `space` (`home` or `team`) under `prefix`, through
    /// `list` (all pages).
    pub(crate) async fn all_keys_in(
        &self,
        user: &Account,
        space: &str,
        prefix: &str,
    ) -> Vec<String> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("space", space), ("prefix", prefix)];
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let page = self
                .get("list", &params)
                .token(&user.id_token)
                .send()
                .await
                .expect(200, None)
                .json();
            keys.extend(file_keys(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return keys,
            }
        }
    }

    /// Deletes the users' files through the API, then the users. Only reached when a
    /// test passed; a deployed stack keeps the leftovers of failed runs (users named
    /// `homedir-e2e-*@example.com`, noncurrent object versions expire by lifecycle).
    pub(crate) async fn clean_up(&self, users: &[&Account]) {
        for user in users {
            for key in self.all_keys(user, "").await {
                self.delete("delete", &[("key", &key)])
                    .token(&user.id_token)
                    .send()
                    .await
                    .expect(204, None);
            }
            self.delete_account(user).await;
        }
    }

    pub(crate) async fn delete_account(&self, user: &Account) {
        self.delete_user(&user.pool_id, &user.email).await;
    }

    /// Deletes the user `username` of `pool_id` (one a client signed up itself).
    pub(crate) async fn delete_user(&self, pool_id: &str, username: &str) {
        self.idp()
            .admin_delete_user()
            .user_pool_id(pool_id)
            .username(username)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminDeleteUser: {}", DisplayErrorContext(&e)));
    }

    /// Signs `user` in again (USER_PASSWORD_AUTH), so that their ID token carries what an
    /// operator just changed (`custom:team`, `custom:quota`).
    pub(crate) async fn sign_in_again(&self, user: &mut Account) {
        let auth = self
            .idp()
            .initiate_auth()
            .client_id(self.stack.var("USER_POOL_CLIENT_ID"))
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &user.email)
            .auth_parameters("PASSWORD", &user.password)
            .send()
            .await
            .unwrap_or_else(|e| panic!("InitiateAuth: {}", DisplayErrorContext(&e)));
        let tokens = auth.authentication_result().expect("tokens, no challenge");
        user.id_token = tokens.id_token().expect("an ID token").to_owned();
        user.access_token = tokens.access_token().expect("an access token").to_owned();
    }

    /// The user pool API with the admin configuration (and, for the unsigned calls a
    /// client makes, such as REFRESH_TOKEN_AUTH, the same endpoint).
    pub(crate) fn idp(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.admin)
    }
}

/// The admin SDK configuration: the emulator's admin key when the settings name an
/// endpoint (local), else the ambient AWS credentials and the stack's region
/// (deployed). `Stack::admin_sdk` cannot serve the deployed case: it always sets the
/// settings' AWS_ENDPOINT_URL and the emulator's fixed key.
async fn admin_sdk(stack: &Stack) -> SdkConfig {
    if optional_setting("AWS_ENDPOINT_URL").is_some() {
        stack.admin_sdk()
    } else {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(stack.region().to_owned()))
            .load()
            .await
    }
}

/// A setting of the stack env file that may be absent.
fn optional_setting(name: &str) -> Option<String> {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| {
        let path = std::env::var("HOMEDIR_STACK_ENV").expect("HOMEDIR_STACK_ENV");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the stack settings {path}: {e}"))
    });
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A user the suite created, with fresh tokens.
pub(crate) struct Account {
    pub(crate) email: String,
    /// For clients that sign in themselves (the command-line client's tests).
    pub(crate) password: String,
    pool_id: String,
    pub(crate) id_token: String,
    pub(crate) access_token: String,
}

/// One HTTP request under construction.
pub(crate) struct Call<'a> {
    e2e: &'a E2e,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// Every token the request carries: none may come back in the response.
    tokens: Vec<String>,
}

impl Call<'_> {
    pub(crate) fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if name.eq_ignore_ascii_case("idtoken") {
            self.tokens.push(value.to_owned());
        }
        if let Some(token) = value.strip_prefix("Bearer ") {
            self.tokens.push(token.to_owned());
        }
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) async fn send(self) -> Reply {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(&self.url);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(self.body))
            .unwrap_or_else(|e| panic!("a valid request to {}: {e}", self.url));
        let what = format!("{} {}", self.method, self.url);
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.e2e.client.request(request))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response in {REQUEST_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(REQUEST_TIMEOUT, body.collect())
            .await
            .unwrap_or_else(|_| panic!("{what}: the body did not arrive in {REQUEST_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("{what}: reading the body: {e}"))
            .to_bytes();
        let reply = Reply {
            what,
            target: self.e2e.target,
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        };
        reply.assert_no_secrets(&self.tokens);
        reply
    }
}

/// A response, with helpers for assertions.
pub(crate) struct Reply {
    what: String,
    target: Target,
    pub(crate) status: u16,
    headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {:?}", self.what, self.text()))
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_owned())
    }

    /// The `error.code` of a JSON error response, if it is one.
    pub(crate) fn code(&self) -> Option<String> {
        serde_json::from_slice::<Value>(&self.body)
            .ok()?
            .pointer("/error/code")?
            .as_str()
            .map(str::to_owned)
    }

    /// Asserts the status and, for errors, the `{"error":{"code"}}` code.
    #[track_caller]
    pub(crate) fn expect(self, status: u16, code: Option<&str>) -> Reply {
        self.assert(status, code, "");
        self
    }

    #[track_caller]
    pub(crate) fn assert(&self, status: u16, code: Option<&str>, case: &str) {
        assert_eq!(
            self.status,
            status,
            "{case} {}: unexpected status; body: {}",
            self.what,
            self.text()
        );
        if let Some(code) = code {
            assert_eq!(
                self.code().as_deref(),
                Some(code),
                "{case} {}: unexpected error; body: {}",
                self.what,
                self.text()
            );
            assert!(
                self.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{case} {}: an error message",
                self.what
            );
        }
    }

    #[track_caller]
    pub(crate) fn expect_unauthorized(self, code: &str) {
        self.assert_unauthorized(code, "");
    }

    /// Asserts a 401. Locally the function answers with `code` and `WWW-Authenticate: Bearer`;
    /// deployed, API Gateway's JWT authorizer may answer first with its own body
    /// (`{"message":"Unauthorized"}`), or the function does when the JWT passed the
    /// authorizer (e.g. an access token).
    #[track_caller]
    pub(crate) fn assert_unauthorized(&self, code: &str, case: &str) {
        assert_eq!(
            self.status,
            401,
            "{case} {}: expected 401; body: {}",
            self.what,
            self.text()
        );
        match self.target {
            Target::Local => {
                self.assert(401, Some(code), case);
                assert_eq!(
                    self.header("www-authenticate").as_deref(),
                    Some("Bearer"),
                    "{case} {}",
                    self.what
                );
            }
            Target::Deployed => {
                let body = self.json();
                let authorizer = body.get("message").is_some() && body.get("error").is_none();
                assert!(
                    authorizer || self.code().as_deref() == Some(code),
                    "{case} {}: neither API Gateway's 401 nor ours with {code}: {}",
                    self.what,
                    self.text()
                );
            }
        }
    }

    /// No response carries a token the request sent, and no error carries AWS
    /// credentials or AWS error text.
    fn assert_no_secrets(&self, tokens: &[String]) {
        let header_text: Vec<&str> = self
            .headers
            .values()
            .filter_map(|v| v.to_str().ok())
            .collect();
        for token in tokens.iter().filter(|t| t.len() >= 8) {
            assert!(
                !contains(&self.body, token.as_bytes()),
                "{}: the response body echoes a token",
                self.what
            );
            assert!(
                !header_text.iter().any(|h| h.contains(token.as_str())),
                "{}: a response header echoes a token",
                self.what
            );
        }
        if self.status >= 400 {
            let text = self.text();
            for needle in [
                "ASIA",
                "AKIA",
                "SessionToken",
                "AccessDenied",
                "NotAuthorizedException",
            ] {
                assert!(
                    !text.contains(needle),
                    "{}: the error leaks {needle:?}: {text}",
                    self.what
                );
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `key`s of a listing's `files`, in order.
pub(crate) fn file_keys(listing: &Value) -> Vec<String> {
    listing["files"]
        .as_array()
        .unwrap_or_else(|| panic!("a listing with files: {listing}"))
        .iter()
        .map(|f| f["key"].as_str().expect("a key").to_owned())
        .collect()
}
