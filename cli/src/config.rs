//! Where the stack is: the API's URL template, the region, the user pool and its app
//! client, the identity pool and the bucket (for `homedir credentials` and the S3
//! paths `whoami` shows), and (locally) the emulator's endpoint. `homedir config` writes them to
//! `config.json` in the config directory; environment variables override each one,
//! so a script or a test can point the client anywhere without a file.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store;

const FILE: &str = "config.json";

/// The environment variables that override the saved settings (README, "Command line").
pub const ENV_API_URL: &str = "HOMEDIR_API_URL";
pub const ENV_REGION: &str = "HOMEDIR_REGION";
pub const ENV_USER_POOL_ID: &str = "HOMEDIR_USER_POOL_ID";
pub const ENV_CLIENT_ID: &str = "HOMEDIR_CLIENT_ID";
pub const ENV_COGNITO_ENDPOINT: &str = "HOMEDIR_COGNITO_ENDPOINT";
pub const ENV_IDENTITY_POOL_ID: &str = "HOMEDIR_IDENTITY_POOL_ID";
pub const ENV_BUCKET: &str = "HOMEDIR_BUCKET";
pub const ENV_HOME_PREFIX: &str = "HOMEDIR_HOME_PREFIX";
pub const ENV_TEAM_PREFIX: &str = "HOMEDIR_TEAM_PREFIX";

/// The template's defaults of `HomePrefix` and `TeamPrefix`.
pub const DEFAULT_HOME_PREFIX: &str = "home";
pub const DEFAULT_TEAM_PREFIX: &str = "teams";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The URL of a route with `{route}` in place of its name: `<ApiUrl>/{route}`
    /// deployed, `http://127.0.0.1:9000/lambda-url/{route}/` under `make dev`.
    pub api_url: String,
    pub region: String,
    #[serde(default)]
    pub user_pool_id: String,
    pub client_id: String,
    /// Cognito's endpoint when it is not AWS's: the local emulator, which answers for
    /// the user pool, the identity pool and S3 alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cognito_endpoint: Option<String>,
    /// The identity pool that issues the user's own AWS credentials (`IdentityPoolId`).
    /// Configurations saved before `homedir credentials` have none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity_pool_id: String,
    /// The bucket of the homes and team spaces (`BucketName`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    /// The stack's `HomePrefix` and `TeamPrefix` (empty: the template's defaults).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home_prefix: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub team_prefix: String,
}

impl Settings {
    /// The saved settings with the environment's overrides; an error naming what is
    /// missing when neither says where the stack is.
    pub fn load() -> Result<Settings> {
        let saved: Option<Settings> = store::read_json(FILE)?;
        let settings = with_env(saved.unwrap_or_default(), |name| std::env::var(name).ok());
        let mut missing = Vec::new();
        if settings.api_url.is_empty() {
            missing.push(ENV_API_URL);
        }
        if settings.region.is_empty() {
            missing.push(ENV_REGION);
        }
        if settings.client_id.is_empty() {
            missing.push(ENV_CLIENT_ID);
        }
        if missing.is_empty() {
            in_clear(&settings.api_url, "the API URL", ENV_API_URL)?;
            if let Some(endpoint) = &settings.cognito_endpoint {
                in_clear(endpoint, "the Cognito endpoint", ENV_COGNITO_ENDPOINT)?;
            }
            Ok(settings)
        } else {
            Err(Error::NotConfigured(format!(
                "not configured: run `homedir config --stack NAME` (a deployed stack) or \
                 `homedir config --local` (make dev), or set {}",
                missing.join(", ")
            )))
        }
    }

    pub fn save(&self) -> Result<()> {
        store::write_json(FILE, self)
    }

    /// The URL of `route` (no query).
    pub fn route_url(&self, route: &str) -> String {
        self.api_url.replace("{route}", route)
    }

    /// `s3://<bucket>/<HomePrefix>/<identity id>/`, if the bucket is known.
    pub fn home_uri(&self, identity_id: &str) -> Option<String> {
        let prefix = non_empty_or(&self.home_prefix, DEFAULT_HOME_PREFIX);
        self.s3_uri(&format!("{prefix}/{identity_id}/"))
    }

    /// `s3://<bucket>/<TeamPrefix>/<team>/`, if the bucket is known.
    pub fn team_uri(&self, team: &str) -> Option<String> {
        let prefix = non_empty_or(&self.team_prefix, DEFAULT_TEAM_PREFIX);
        self.s3_uri(&format!("{prefix}/{team}/"))
    }

    fn s3_uri(&self, folder: &str) -> Option<String> {
        (!self.bucket.is_empty()).then(|| format!("s3://{}/{folder}", self.bucket))
    }
}

fn non_empty_or<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}

/// Refuses a plain `http://` URL to anything but this machine: the ID token (and, to
/// Cognito, the password) would cross the network unencrypted. Loopback is allowed,
/// for `make dev`.
fn in_clear(url: &str, what: &str, variable: &str) -> Result<()> {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return Ok(());
    }
    Err(Error::NotConfigured(format!(
        "{what} {url} is plain http:// to another machine: your ID token would cross the \
         network unencrypted. Use https:// (homedir config, or {variable})"
    )))
}

/// `settings` with each set, non-empty variable in its place.
fn with_env(mut settings: Settings, var: impl Fn(&str) -> Option<String>) -> Settings {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    if let Some(url) = var(ENV_API_URL) {
        settings.api_url = api_url_template(&url);
    }
    if let Some(region) = var(ENV_REGION) {
        settings.region = region;
    }
    if let Some(pool) = var(ENV_USER_POOL_ID) {
        settings.user_pool_id = pool;
    }
    if let Some(client) = var(ENV_CLIENT_ID) {
        settings.client_id = client;
    }
    if let Some(endpoint) = var(ENV_COGNITO_ENDPOINT) {
        settings.cognito_endpoint = Some(endpoint);
    }
    if let Some(pool) = var(ENV_IDENTITY_POOL_ID) {
        settings.identity_pool_id = pool;
    }
    if let Some(bucket) = var(ENV_BUCKET) {
        settings.bucket = bucket;
    }
    if let Some(prefix) = var(ENV_HOME_PREFIX) {
        settings.home_prefix = prefix;
    }
    if let Some(prefix) = var(ENV_TEAM_PREFIX) {
        settings.team_prefix = prefix;
    }
    settings
}

/// A URL template with `{route}`: taken as is when it has one, else the deployed
/// shape `<ApiUrl>/{route}`.
pub fn api_url_template(url: &str) -> String {
    let url = url.trim();
    if url.contains("{route}") {
        url.to_owned()
    } else {
        format!("{}/{{route}}", url.trim_end_matches('/'))
    }
}

/// The local URL template of `make dev`: the functions under `homedir-gateway`.
pub fn local_api_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/lambda-url/{{route}}/")
}

/// `KEY=VALUE` lines as `make dev` writes `.local/stack.env` (comments and blank lines
/// skipped, optional quotes removed).
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_owned(), v.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployed_urls_get_the_route_appended_local_ones_stay() {
        assert_eq!(
            api_url_template("https://abc.execute-api.eu-west-1.amazonaws.com/"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/{route}"
        );
        assert_eq!(
            api_url_template("http://127.0.0.1:9000/lambda-url/{route}/"),
            "http://127.0.0.1:9000/lambda-url/{route}/"
        );
        let settings = Settings {
            api_url: local_api_url(9001),
            ..Settings::default()
        };
        assert_eq!(
            settings.route_url("list"),
            "http://127.0.0.1:9001/lambda-url/list/"
        );
    }

    #[test]
    fn the_environment_overrides_each_setting() {
        let saved = Settings {
            api_url: "https://saved/{route}".into(),
            region: "eu-west-1".into(),
            user_pool_id: "pool".into(),
            client_id: "client".into(),
            bucket: "saved-bucket".into(),
            ..Settings::default()
        };
        let env = |name: &str| match name {
            ENV_API_URL => Some("https://env.example".to_owned()),
            ENV_IDENTITY_POOL_ID => Some("us-east-1:pool".to_owned()),
            ENV_TEAM_PREFIX => Some("groups".to_owned()),
            ENV_COGNITO_ENDPOINT => Some("http://127.0.0.1:5000".to_owned()),
            ENV_REGION => Some("  ".to_owned()),
            _ => None,
        };
        let settings = with_env(saved, env);
        assert_eq!(settings.api_url, "https://env.example/{route}");
        assert_eq!(
            settings.region, "eu-west-1",
            "a blank variable overrides nothing"
        );
        assert_eq!(settings.client_id, "client");
        assert_eq!(
            settings.cognito_endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(settings.identity_pool_id, "us-east-1:pool");
        assert_eq!(
            settings.team_uri("acme").as_deref(),
            Some("s3://saved-bucket/groups/acme/")
        );
        assert_eq!(
            settings.home_uri("us-east-1:1").as_deref(),
            Some("s3://saved-bucket/home/us-east-1:1/"),
            "the template's default HomePrefix"
        );
    }

    #[test]
    fn no_s3_paths_without_a_bucket_and_old_configurations_still_load() {
        let old: Settings = serde_json::from_str(
            r#"{"api_url":"https://a/{route}","region":"r","user_pool_id":"p","client_id":"c"}"#,
        )
        .unwrap();
        assert_eq!(old.home_uri("r:1"), None);
        assert_eq!(old.identity_pool_id, "");
        let saved = serde_json::to_string(&old).unwrap();
        assert!(!saved.contains("bucket"), "{saved}");
    }

    #[test]
    fn plain_http_is_refused_unless_to_this_machine() {
        for ok in [
            "https://abc.execute-api.eu-west-1.amazonaws.com/{route}",
            "http://127.0.0.1:9000/lambda-url/{route}/",
            "http://127.9.9.9/{route}",
            "http://localhost:9000/{route}",
            "http://LOCALHOST/{route}",
            "http://[::1]:9000/{route}",
        ] {
            assert!(in_clear(ok, "the API URL", ENV_API_URL).is_ok(), "{ok}");
        }
        for refused in [
            "http://api.example.com/{route}",
            "http://10.0.0.5:9000/{route}",
            "http://127.0.0.1.evil.example/{route}",
            "http://localhost.evil.example/{route}",
            "http://user@api.example.com/{route}",
            "http://[2001:db8::1]/{route}",
        ] {
            let error = in_clear(refused, "the API URL", ENV_API_URL).expect_err(refused);
            assert_eq!(error.exit_code(), 3, "{refused}");
            assert!(error.to_string().contains(ENV_API_URL), "{error}");
        }
    }

    #[test]
    fn env_files_parse_as_make_dev_writes_them() {
        let pairs = parse_env_file(
            "# comment\nAWS_REGION=us-east-1\n\nexport USER_POOL_CLIENT_ID=\"abc\"\nEMPTY=\nA=b=c\n",
        );
        assert_eq!(
            pairs,
            vec![
                ("AWS_REGION".into(), "us-east-1".into()),
                ("USER_POOL_CLIENT_ID".into(), "abc".into()),
                ("EMPTY".into(), String::new()),
                ("A".into(), "b=c".into()),
            ]
        );
    }
}
