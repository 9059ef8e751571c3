//! Configuration, read once from the environment at cold start.
//!
//! A missing or malformed variable fails the cold start with a message naming it:
//! a function that starts with a wrong pool id would otherwise answer every request
//! with a confusing 401, which is much harder to trace back to a deployment mistake.

use std::time::Duration;

/// The largest file body (bytes) that fits a synchronous Lambda invocation once
/// base64-encoded with its headers: 6 MB of payload each way, 4/3 for base64.
pub const LAMBDA_MAX_FILE_BYTES: usize = 4_500_000;

/// The largest file read-file answers inline by default (`MAX_INLINE_READ_BYTES`):
/// 360 KiB, whose base64 answer stays inside one 512 KB metered HTTP API request.
/// Larger files are a 307 to a presigned GET, which costs one API request and a second
/// S3 GET however large the file: inline, a 1 MiB file is three metered requests and
/// costs about twice as much (`make bench`'s inline-versus-redirect rows,
/// docs/performance.md).
pub const DEFAULT_MAX_INLINE_READ_BYTES: usize = 360 * 1024;

/// S3's largest object: 5 TiB.
pub const S3_MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// CopyObject's largest source: 5 GiB.
pub const S3_MAX_COPY_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// The default `MAX_UPLOAD_BYTES`: 5 GiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The settings every function needs. Built by [`Config::from_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub region: String,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    pub identity_pool_id: String,
    pub bucket_name: String,
    /// The folder holding every home, without slashes at either end (`home`).
    pub home_prefix: String,
    /// The folder holding every team's space (`teams`): `<team_prefix>/<team>/`.
    /// Never the home prefix, nor inside it, nor around it.
    pub team_prefix: String,
    /// Set locally to point every client and the JWKS fetch at the emulator.
    pub endpoint_url: Option<String>,
    /// How long a successful user check (AdminGetUser) is trusted: the window in
    /// which a user disabled in Cognito can still act. Zero disables the cache.
    pub user_check_ttl: Duration,
    /// Credentials are dropped from the cache this long before they (or the token
    /// they were issued for) expire, so no request starts with credentials that
    /// could expire while it runs.
    pub credentials_refresh_margin: Duration,
    /// An unknown `kid` triggers at most one JWKS refetch per this period.
    pub jwks_refetch_cooldown: Duration,
    /// Upper bound on users held in each cache.
    pub cache_capacity: u64,
    /// The largest file the API accepts in one PUT (and, at most, returns inline).
    pub max_file_bytes: usize,
    /// The largest file read-file answers inline (at most `max_file_bytes`); larger
    /// ones are a 307 to a presigned GET.
    pub max_inline_read_bytes: usize,
    /// The largest file a multipart upload may declare: 5 GiB by default, at most
    /// S3's 5 TiB object limit.
    pub max_upload_bytes: u64,
    /// Sources larger than this are copied in parts (UploadPartCopy): S3's
    /// CopyObject takes at most 5 GiB.
    pub copy_object_max_bytes: u64,
    /// How long a folder delete keeps deleting batches before it answers with a
    /// cursor: room for one more batch inside the function's 15 s timeout.
    pub folder_delete_budget: Duration,
    /// The largest file a copy or move copies (`MAX_COPY_BYTES`, default 5 GiB, what
    /// one CopyObject takes): a larger copy cannot finish inside the function's
    /// timeout, so it is refused up front rather than left half done.
    pub max_copy_bytes: u64,
    /// How long a copy in parts (above `COPY_OBJECT_MAX_BYTES`) may take before it is
    /// aborted, inside the function's timeout.
    pub copy_budget: Duration,
    /// The size of each part of a copy in parts (`COPY_PART_BYTES`, default 512 MiB,
    /// from S3's 5 MiB part minimum to its 5 GiB maximum; larger for files that would
    /// need more than 10,000 parts).
    pub copy_part_bytes: u64,
    /// How long `write-file` waits for S3 to complete a multipart upload before it
    /// answers 202 (completing: call again) instead of failing: S3 documents that a
    /// completion can take minutes.
    pub complete_wait: Duration,
    /// How long one AWS operation (all its attempts) may take before the caller
    /// gets 503: well inside the function's 15 s timeout and API Gateway's 30 s.
    pub upstream_timeout: Duration,
    /// `USAGE_TABLE`: the usage table (see [`crate::usage`]); without it nothing is
    /// counted and no quota is enforced (the template always sets it).
    pub usage_table: Option<String>,
    /// `IDENTITY_TABLE`: where the functions record each user's Identity ID for the
    /// pre-token-generation trigger's `identity_id` claim (see [`crate::auth`]);
    /// without it nothing is recorded and every user costs a GetId per environment.
    pub identity_table: Option<String>,
    /// `USER_CHANGES_TABLE`: the record of user changes the user check reads once per
    /// TTL (see [`crate::auth`]); without it every user is checked with AdminGetUser.
    pub user_changes_table: Option<String>,
    /// `QUOTA_BYTES` and `TEAM_QUOTA_BYTES`: the default quota of a home and a team
    /// space (0: none); a home's owner's `custom:quota` overrides the first.
    pub quotas: crate::usage::quota::Quotas,
    /// `UPLOAD_ID_KEY`: the deployment's secret that authenticates upload ids (see
    /// [`crate::storage::uploads::plan`]); only `write-file` needs it (see
    /// [`Config::require_upload_id_key`]).
    pub upload_id_key: Option<Secret>,
}

/// A secret setting: compared and cloned like text, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The shortest `UPLOAD_ID_KEY`: 32 characters (the template generates 64).
pub const MIN_UPLOAD_ID_KEY_CHARS: usize = 32;

/// A configuration problem, naming the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// The settings as a lookup gives them (the environment, or a test's map), with one
/// parser per setting: every function that reads a setting reads it through here, so
/// `AWS_REGION` or `MAX_FILE_BYTES` means the same to the API functions and the page.
pub struct Settings<F>(F);

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    pub fn new(lookup: F) -> Self {
        Settings(lookup)
    }

    /// A variable's value, trimmed; unset and empty are the same.
    pub fn get(&self, name: &'static str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .ok_or_else(|| problem(name, "is not set (required)"))
    }

    /// A whole number from `min` to `max`, or `default` when unset.
    pub fn number(
        &self,
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, ConfigError> {
        let Some(value) = self.get(name) else {
            return Ok(default);
        };
        match value.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(problem(
                name,
                format!("must be a whole number from {min} to {max}, not {value:?}"),
            )),
        }
    }

    /// Whole seconds from 0 to `max`, or `default` when unset.
    pub fn seconds(
        &self,
        name: &'static str,
        default: u64,
        max: u64,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, 0, max).map(Duration::from_secs)
    }

    /// `AWS_REGION`: a region name such as `eu-west-1`.
    pub fn region(&self) -> Result<String, ConfigError> {
        let region = self.required("AWS_REGION")?;
        if !is_region(&region) {
            return Err(problem(
                "AWS_REGION",
                format!("is not a region name: {region:?}"),
            ));
        }
        Ok(region)
    }

    /// `USER_POOL_ID`: a pool of `region`, `<region>_<letters and digits>`.
    pub fn user_pool_id(&self, region: &str) -> Result<String, ConfigError> {
        let user_pool_id = self.required("USER_POOL_ID")?;
        match user_pool_id.split_once('_') {
            Some((pool_region, suffix))
                if pool_region == region
                    && !suffix.is_empty()
                    && suffix.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Ok(user_pool_id)
            }
            _ => Err(problem(
                "USER_POOL_ID",
                format!("must look like {region}_XXXXXXXXX (a pool of AWS_REGION)"),
            )),
        }
    }

    /// `USER_POOL_CLIENT_ID`: an app client id, letters and digits.
    pub fn user_pool_client_id(&self) -> Result<String, ConfigError> {
        let client_id = self.required("USER_POOL_CLIENT_ID")?;
        if client_id.len() > 128 || !client_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(problem(
                "USER_POOL_CLIENT_ID",
                "must be an app client id (letters and digits)",
            ));
        }
        Ok(client_id)
    }

    /// `IDENTITY_POOL_ID`: `<region>:<uuid>`.
    pub fn identity_pool_id(&self) -> Result<String, ConfigError> {
        let identity_pool_id = self.required("IDENTITY_POOL_ID")?;
        match identity_pool_id.split_once(':') {
            Some((pool_region, uuid))
                if is_region(pool_region)
                    && !uuid.is_empty()
                    && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-') =>
            {
                Ok(identity_pool_id)
            }
            _ => Err(problem(
                "IDENTITY_POOL_ID",
                "must look like <region>:<uuid>",
            )),
        }
    }

    /// `BUCKET_NAME`: an S3 bucket name.
    pub fn bucket_name(&self) -> Result<String, ConfigError> {
        let bucket_name = self.required("BUCKET_NAME")?;
        if !is_bucket_name(&bucket_name) {
            return Err(problem("BUCKET_NAME", "is not a valid S3 bucket name"));
        }
        Ok(bucket_name)
    }

    /// `HOME_PREFIX` (default `home`): the template's `HomePrefix` pattern.
    pub fn home_prefix(&self) -> Result<String, ConfigError> {
        let home_prefix = self.get("HOME_PREFIX").unwrap_or_else(|| "home".to_owned());
        if !is_home_prefix(&home_prefix) {
            return Err(problem(
                "HOME_PREFIX",
                "must be one or more segments of letters, digits, _ or -, separated by / (at most 100 characters; the template's HomePrefix pattern)",
            ));
        }
        Ok(home_prefix)
    }

    /// `TEAM_PREFIX` (default `teams`): the template's `TeamPrefix`, validated like
    /// `HOME_PREFIX`, and apart from it: if one were the other or held the other, a
    /// team's space and a home could name the same keys.
    pub fn team_prefix(&self) -> Result<String, ConfigError> {
        let team_prefix = self
            .get("TEAM_PREFIX")
            .unwrap_or_else(|| "teams".to_owned());
        if !is_home_prefix(&team_prefix) {
            return Err(problem(
                "TEAM_PREFIX",
                "must be one or more segments of letters, digits, _ or -, separated by / (at most 100 characters; the template's TeamPrefix pattern)",
            ));
        }
        let home_prefix = self.home_prefix()?;
        let within =
            |inner: &str, outer: &str| inner == outer || inner.starts_with(&format!("{outer}/"));
        if within(&team_prefix, &home_prefix) || within(&home_prefix, &team_prefix) {
            return Err(problem(
                "TEAM_PREFIX",
                format!(
                    "must be apart from HOME_PREFIX ({home_prefix:?}): neither may be or hold the other"
                ),
            ));
        }
        Ok(team_prefix)
    }

    /// `AWS_ENDPOINT_URL` (optional, local only): an http(s) URL, without a trailing `/`.
    pub fn endpoint_url(&self) -> Result<Option<String>, ConfigError> {
        let endpoint_url = self
            .get("AWS_ENDPOINT_URL")
            .map(|url| url.trim_end_matches('/').to_owned());
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(problem(
                "AWS_ENDPOINT_URL",
                "must start with http:// or https://",
            ));
        }
        Ok(endpoint_url)
    }

    /// `UPLOAD_ID_KEY` (optional here): at least [`MIN_UPLOAD_ID_KEY_CHARS`] visible
    /// ASCII characters.
    pub fn upload_id_key(&self) -> Result<Option<Secret>, ConfigError> {
        let Some(key) = self.get("UPLOAD_ID_KEY") else {
            return Ok(None);
        };
        if key.len() < MIN_UPLOAD_ID_KEY_CHARS || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(problem(
                "UPLOAD_ID_KEY",
                format!(
                    "must be at least {MIN_UPLOAD_ID_KEY_CHARS} visible ASCII characters (the template generates it)"
                ),
            ));
        }
        Ok(Some(Secret(key)))
    }

    /// `USAGE_TABLE` (optional here): a DynamoDB table name.
    pub fn usage_table(&self) -> Result<Option<String>, ConfigError> {
        self.table("USAGE_TABLE")
    }

    /// An optional setting naming a DynamoDB table.
    pub fn table(&self, variable: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(table) = self.get(variable) else {
            return Ok(None);
        };
        let fits = (3..=255).contains(&table.len())
            && table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !fits {
            return Err(problem(
                variable,
                "must be a DynamoDB table name (3-255 letters, digits, _ . -)",
            ));
        }
        Ok(Some(table))
    }

    /// `QUOTA_BYTES` and `TEAM_QUOTA_BYTES` (default 0: no quota), at most 5 PiB.
    pub fn quotas(&self) -> Result<crate::usage::quota::Quotas, ConfigError> {
        const MAX: u64 = 5 << 50;
        Ok(crate::usage::quota::Quotas {
            home: self.number("QUOTA_BYTES", 0, 0, MAX)?,
            team: self.number("TEAM_QUOTA_BYTES", 0, 0, MAX)?,
        })
    }

    /// `MAX_FILE_BYTES` (default and most [`LAMBDA_MAX_FILE_BYTES`]): the largest file
    /// one PUT accepts and one read returns inline.
    pub fn max_file_bytes(&self) -> Result<usize, ConfigError> {
        let max = LAMBDA_MAX_FILE_BYTES as u64;
        self.number("MAX_FILE_BYTES", max, 1, max)
            .map(|n| n as usize)
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests and tools can supply their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::new(lookup);
        let region = settings.region()?;
        Ok(Config {
            user_pool_id: settings.user_pool_id(&region)?,
            user_pool_client_id: settings.user_pool_client_id()?,
            identity_pool_id: settings.identity_pool_id()?,
            bucket_name: settings.bucket_name()?,
            team_prefix: settings.team_prefix()?,
            home_prefix: settings.home_prefix()?,
            endpoint_url: settings.endpoint_url()?,
            user_check_ttl: settings.seconds("USER_CHECK_TTL_SECS", 60, 3600)?,
            credentials_refresh_margin: settings.seconds(
                "CREDENTIALS_REFRESH_MARGIN_SECS",
                30,
                900,
            )?,
            jwks_refetch_cooldown: settings.seconds("JWKS_REFETCH_COOLDOWN_SECS", 60, 3600)?,
            cache_capacity: settings.number("CACHE_CAPACITY", 10_000, 1, 10_000_000)?,
            max_upload_bytes: settings.number(
                "MAX_UPLOAD_BYTES",
                DEFAULT_MAX_UPLOAD_BYTES,
                1,
                S3_MAX_OBJECT_BYTES,
            )?,
            copy_object_max_bytes: settings.number(
                "COPY_OBJECT_MAX_BYTES",
                S3_MAX_COPY_OBJECT_BYTES,
                1,
                S3_MAX_COPY_OBJECT_BYTES,
            )?,
            folder_delete_budget: settings.seconds("FOLDER_DELETE_BUDGET_SECS", 10, 25)?,
            max_copy_bytes: settings.number(
                "MAX_COPY_BYTES",
                S3_MAX_COPY_OBJECT_BYTES,
                1,
                S3_MAX_OBJECT_BYTES,
            )?,
            copy_budget: settings.seconds("COPY_BUDGET_SECS", 10, 25)?,
            copy_part_bytes: settings.number(
                "COPY_PART_BYTES",
                512 * 1024 * 1024,
                5 * 1024 * 1024,
                S3_MAX_COPY_OBJECT_BYTES,
            )?,
            complete_wait: Duration::from_secs(settings.number("COMPLETE_WAIT_SECS", 10, 1, 25)?),
            upstream_timeout: Duration::from_secs(settings.number(
                "UPSTREAM_TIMEOUT_SECS",
                10,
                1,
                25,
            )?),
            max_file_bytes: settings.max_file_bytes()?,
            max_inline_read_bytes: settings.number(
                "MAX_INLINE_READ_BYTES",
                DEFAULT_MAX_INLINE_READ_BYTES as u64,
                1,
                LAMBDA_MAX_FILE_BYTES as u64,
            )? as usize,
            upload_id_key: settings.upload_id_key()?,
            usage_table: settings.usage_table()?,
            identity_table: settings.table("IDENTITY_TABLE")?,
            user_changes_table: settings.table("USER_CHANGES_TABLE")?,
            quotas: settings.quotas()?,
            region,
        })
    }

    /// The upload id key, which `write-file` cannot start without: its cold start
    /// fails naming the variable.
    pub fn require_upload_id_key(&self) -> Result<&Secret, ConfigError> {
        self.upload_id_key.as_ref().ok_or_else(|| {
            problem(
                "UPLOAD_ID_KEY",
                "is not set (required by write-file: it authenticates upload ids)",
            )
        })
    }

    /// `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`: the `iss` of every
    /// token this pool issues, and (without the scheme) the identity pool's provider name.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.provider_name())
    }

    /// The key of the `Logins` map in GetId / GetCredentialsForIdentity.
    pub fn provider_name(&self) -> String {
        format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }

    /// Where the pool publishes its signing keys; the emulator serves the same path.
    pub fn jwks_url(&self) -> String {
        match &self.endpoint_url {
            Some(endpoint) => format!("{endpoint}/{}/.well-known/jwks.json", self.user_pool_id),
            None => format!("{}/.well-known/jwks.json", self.issuer()),
        }
    }
}

/// The template's `HomePrefix` pattern, `^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`, at most
/// 100 characters. The prefix is written into the role's IAM policy, where `*` and
/// `?` are wildcards and `$` starts a variable: only plain names keep the policy's
/// meaning equal to the code's.
fn is_home_prefix(value: &str) -> bool {
    value.len() <= 100
        && value.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

pub fn is_bucket_name(value: &str) -> bool {
    (3..=63).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !value.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_ID", "us-east-1_AbC123"),
            ("USER_POOL_CLIENT_ID", "abc123def456"),
            (
                "IDENTITY_POOL_ID",
                "us-east-1:0f2a7c3e-1111-2222-3333-444455556666",
            ),
            ("BUCKET_NAME", "homedir-test-bucket"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn minimal_environment_gets_defaults() {
        let config = load(&base()).expect("valid");
        assert_eq!(config.home_prefix, "home");
        assert_eq!(config.user_check_ttl, Duration::from_secs(60));
        assert_eq!(config.max_file_bytes, LAMBDA_MAX_FILE_BYTES);
        assert_eq!(config.upstream_timeout, Duration::from_secs(10));
        assert_eq!(config.folder_delete_budget, Duration::from_secs(10));
        assert_eq!(config.copy_budget, Duration::from_secs(10));
        assert_eq!(config.max_copy_bytes, S3_MAX_COPY_OBJECT_BYTES);
        assert_eq!(config.max_upload_bytes, 5 * 1024 * 1024 * 1024);
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"
        );
        assert_eq!(
            config.jwks_url(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/jwks.json"
        );
    }

    #[test]
    fn endpoint_url_redirects_the_jwks_fetch() {
        let mut vars = base();
        vars.insert("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/");
        let config = load(&vars).expect("valid");
        assert_eq!(
            config.jwks_url(),
            "http://127.0.0.1:5000/us-east-1_AbC123/.well-known/jwks.json"
        );
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in [
            "AWS_REGION",
            "USER_POOL_ID",
            "USER_POOL_CLIENT_ID",
            "IDENTITY_POOL_ID",
            "BUCKET_NAME",
        ] {
            let mut vars = base();
            vars.remove(name);
            let error = load(&vars).expect_err(name);
            assert_eq!(error.variable, name);
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn malformed_values_are_named() {
        let cases = [
            ("AWS_REGION", "not a region"),
            ("USER_POOL_ID", "eu-west-1_Abc"),
            ("USER_POOL_ID", "us-east-1_"),
            ("USER_POOL_CLIENT_ID", "client/with/slash"),
            ("IDENTITY_POOL_ID", "no-colon"),
            ("BUCKET_NAME", "Upper_Case"),
            ("HOME_PREFIX", "/home"),
            ("HOME_PREFIX", "home/../x"),
            ("HOME_PREFIX", "home/*"),
            ("HOME_PREFIX", "ho?e"),
            ("HOME_PREFIX", "home/${aws:username}"),
            ("HOME_PREFIX", "home//x"),
            ("HOME_PREFIX", "home/"),
            ("HOME_PREFIX", "h.ome"),
            ("HOME_PREFIX", "home dir"),
            ("UPSTREAM_TIMEOUT_SECS", "0"),
            ("MAX_UPLOAD_BYTES", "5497558138881"),
            ("MAX_UPLOAD_BYTES", "0"),
            ("UPSTREAM_TIMEOUT_SECS", "26"),
            ("AWS_ENDPOINT_URL", "localhost:5000"),
            ("USER_CHECK_TTL_SECS", "-1"),
            ("USER_CHECK_TTL_SECS", "ten"),
            ("MAX_FILE_BYTES", "99999999999"),
            ("CACHE_CAPACITY", "0"),
            ("MAX_COPY_BYTES", "0"),
            ("COPY_BUDGET_SECS", "26"),
            ("COMPLETE_WAIT_SECS", "0"),
            ("COPY_PART_BYTES", "1048576"),
            ("MAX_INLINE_READ_BYTES", "0"),
            ("MAX_INLINE_READ_BYTES", "4500001"),
            ("UPLOAD_ID_KEY", "too-short"),
            (
                "UPLOAD_ID_KEY",
                "a key with spaces in it, long enough to pass",
            ),
        ];
        for (name, value) in cases {
            let mut vars = base();
            vars.insert(name, value);
            let error = load(&vars).expect_err(value);
            assert_eq!(error.variable, name, "{value}");
        }
    }

    #[test]
    fn team_prefixes_are_checked_and_kept_apart_from_homes() {
        assert_eq!(load(&base()).expect("defaults").team_prefix, "teams");
        for (home, team) in [
            ("home", "shared"),
            ("users/homes", "users/teams"),
            ("home", "homes"),
        ] {
            let mut vars = base();
            vars.insert("HOME_PREFIX", home);
            vars.insert("TEAM_PREFIX", team);
            assert_eq!(load(&vars).expect(team).team_prefix, team);
        }
        for (home, team) in [
            ("home", "home"),
            ("home", "home/teams"),
            ("teams/home", "teams"),
            ("home", "te*ms"),
            ("home", "/teams"),
            ("home", "teams/"),
        ] {
            let mut vars = base();
            vars.insert("HOME_PREFIX", home);
            vars.insert("TEAM_PREFIX", team);
            assert_eq!(
                load(&vars).expect_err(team).variable,
                "TEAM_PREFIX",
                "{home} {team}"
            );
        }
    }

    #[test]
    fn home_prefixes_of_the_template_pattern_are_accepted() {
        for value in ["home", "users/homes", "a_b-C9", &"x".repeat(100)] {
            let mut vars = base();
            let value: &'static str = Box::leak(value.to_owned().into_boxed_str());
            vars.insert("HOME_PREFIX", value);
            assert_eq!(load(&vars).expect(value).home_prefix, value);
        }
        let mut vars = base();
        let long: &'static str = Box::leak("x".repeat(101).into_boxed_str());
        vars.insert("HOME_PREFIX", long);
        assert_eq!(load(&vars).expect_err("101").variable, "HOME_PREFIX");
    }

    #[test]
    fn the_upload_id_key_is_optional_here_required_by_write_file_and_never_printed() {
        let config = load(&base()).expect("valid");
        assert_eq!(config.upload_id_key, None);
        assert_eq!(
            config.require_upload_id_key().expect_err("unset").variable,
            "UPLOAD_ID_KEY"
        );
        let mut vars = base();
        vars.insert("UPLOAD_ID_KEY", "0123456789abcdef0123456789abcdef");
        let config = load(&vars).expect("valid");
        assert_eq!(
            config.require_upload_id_key().map(Secret::expose),
            Ok("0123456789abcdef0123456789abcdef")
        );
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn zero_ttl_is_allowed_and_means_no_cache() {
        let mut vars = base();
        vars.insert("USER_CHECK_TTL_SECS", "0");
        assert_eq!(load(&vars).expect("valid").user_check_ttl, Duration::ZERO);
    }
}
