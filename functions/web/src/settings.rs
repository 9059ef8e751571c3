//! The page's settings, read once at cold start; a missing or malformed one fails
//! the cold start with its name, as the API functions' do.

use homedir::config::{ConfigError, Settings};

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// The page's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// `AWS_REGION`: where the user pool is.
    pub region: String,
    /// `USER_POOL_CLIENT_ID`: the public app client the page signs in with.
    pub client_id: String,
    /// `WEB_COGNITO_URL`: the user pool API endpoint the browser posts InitiateAuth to
    /// (`https://cognito-idp.<region>.amazonaws.com/`; the emulator locally).
    pub cognito_url: String,
    /// `WEB_API_BASE`: the path before each route, `` behind API Gateway (`/list`),
    /// `/lambda-url` under the local gateway, `homedir-gateway` (`/lambda-url/list/`).
    pub api_base: String,
    /// `WEB_S3_ORIGINS`: the origins of the presigned URLs the API hands out,
    /// space-separated, for the policy's connect-src (part uploads).
    pub s3_origins: Vec<String>,
    /// `MAX_FILE_BYTES` (optional): the API's single-PUT limit.
    pub max_file_bytes: u64,
    /// `WEB_SIGN_UP`: `open` (people may create accounts: the page offers sign-up) or
    /// `invite-only` (only an operator creates them); the template's `SignUpMode`.
    pub sign_up_open: bool,
}

impl WebConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any variable source (tests pass a map). `AWS_REGION`,
    /// `USER_POOL_CLIENT_ID` and `MAX_FILE_BYTES` are read by the same parsers as the
    /// API functions' (see [`homedir::config::Settings`]).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::new(get);
        let cognito_url = settings.required("WEB_COGNITO_URL")?;
        origin_of(&cognito_url).map_err(|problem| invalid("WEB_COGNITO_URL", problem))?;
        let api_base = settings.get("WEB_API_BASE").unwrap_or_default();
        let api_base = api_base.trim_end_matches('/').to_owned();
        if !(api_base.is_empty()
            || (api_base.starts_with('/')
                && api_base
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))))
        {
            return Err(invalid(
                "WEB_API_BASE",
                "empty, or a path such as /lambda-url",
            ));
        }
        let s3_origins = settings
            .required("WEB_S3_ORIGINS")?
            .split_whitespace()
            .map(|origin| {
                let parsed =
                    origin_of(origin).map_err(|problem| invalid("WEB_S3_ORIGINS", problem))?;
                if parsed != origin.trim_end_matches('/') {
                    return Err(invalid(
                        "WEB_S3_ORIGINS",
                        format!("{origin} is not an origin (scheme://host[:port])"),
                    ));
                }
                Ok(parsed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sign_up_open = match settings.get("WEB_SIGN_UP").as_deref() {
            None | Some("open") => true,
            Some("invite-only") => false,
            Some(_) => return Err(invalid("WEB_SIGN_UP", "open or invite-only")),
        };
        Ok(Self {
            sign_up_open,
            region: settings.region()?,
            client_id: settings.user_pool_client_id()?,
            cognito_url,
            api_base,
            s3_origins,
            max_file_bytes: settings.max_file_bytes()? as u64,
        })
    }

    /// The Content-Security-Policy: the page's own files only, no inline script or
    /// style, network access to the API (same origin), Cognito and the bucket; images,
    /// audio, video and frames (previews) from the bucket's presigned links only.
    ///
    /// A preview shows a file from the bucket's origin, never the page's: S3 serves
    /// only passive types inline there (images but SVG, audio, video, PDF, plain
    /// text; `homedir::storage::presign`), everything else as an attachment, and the
    /// page's own origin never frames or runs a stored file. `object-src` stays
    /// `'none'` (through `default-src`): no plugin content at all.
    pub fn content_security_policy(&self) -> String {
        let mut connect = vec!["'self'".to_owned()];
        // Checked in from_lookup: an http(s) URL.
        if let Ok(origin) = origin_of(&self.cognito_url) {
            connect.push(origin);
        }
        let mut bucket: Vec<String> = Vec::new();
        for origin in &self.s3_origins {
            if !connect.contains(origin) {
                connect.push(origin.clone());
            }
            if !bucket.contains(origin) {
                bucket.push(origin.clone());
            }
        }
        let bucket = bucket.join(" ");
        let with_bucket = |sources: &str| {
            if bucket.is_empty() {
                sources.to_owned()
            } else if sources.is_empty() {
                bucket.clone()
            } else {
                format!("{sources} {bucket}")
            }
        };
        let media = with_bucket("");
        let media = if media.is_empty() {
            "'none'".to_owned()
        } else {
            media
        };
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src {}; \
             media-src {media}; frame-src {media}; connect-src {}; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            with_bucket("'self' data:"),
            connect.join(" ")
        )
    }

    /// What the page reads from its JSON data block.
    pub(crate) fn page_settings(&self) -> serde_json::Value {
        serde_json::json!({
            "region": self.region,
            "clientId": self.client_id,
            "cognitoUrl": self.cognito_url,
            "apiBase": self.api_base,
            "maxFileBytes": self.max_file_bytes,
            "signUp": self.sign_up_open,
        })
    }
}

/// `scheme://host[:port]` of an http or https URL.
fn origin_of(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{text} is not an http(s) URL"));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::tests::vars;

    #[test]
    fn settings_are_checked_at_cold_start() {
        let error = |extra: &[(&str, &str)]| WebConfig::from_lookup(vars(extra)).unwrap_err();
        let missing = error(&[("WEB_COGNITO_URL", "<unset>")]);
        assert_eq!(missing.variable, "WEB_COGNITO_URL");
        assert!(missing.problem.contains("not set"), "{missing}");
        assert_eq!(
            error(&[("WEB_S3_ORIGINS", "https://b.s3.amazonaws.com/path")]).variable,
            "WEB_S3_ORIGINS"
        );
        assert_eq!(
            error(&[("WEB_S3_ORIGINS", "ftp://b")]).variable,
            "WEB_S3_ORIGINS"
        );
        assert_eq!(
            error(&[("WEB_API_BASE", "lambda-url")]).variable,
            "WEB_API_BASE"
        );
        assert_eq!(
            error(&[("USER_POOL_CLIENT_ID", "a b")]).variable,
            "USER_POOL_CLIENT_ID"
        );
        let local = WebConfig::from_lookup(vars(&[
            ("WEB_API_BASE", "/lambda-url/"),
            ("WEB_COGNITO_URL", "http://127.0.0.1:5000/"),
            ("WEB_S3_ORIGINS", "http://127.0.0.1:5000"),
            ("MAX_FILE_BYTES", "1000"),
        ]))
        .unwrap();
        assert_eq!(local.api_base, "/lambda-url");
        assert!(local.sign_up_open, "open unless the stack says otherwise");
        let invite_only = WebConfig::from_lookup(vars(&[("WEB_SIGN_UP", "invite-only")])).unwrap();
        assert!(!invite_only.sign_up_open);
        assert!(invite_only.page_settings()["signUp"] == false);
        assert_eq!(error(&[("WEB_SIGN_UP", "closed")]).variable, "WEB_SIGN_UP");
        assert_eq!(local.max_file_bytes, 1000);
        assert!(
            local
                .content_security_policy()
                .contains("connect-src 'self' http://127.0.0.1:5000;"),
            "one origin listed once: {}",
            local.content_security_policy()
        );
        for part in [
            "img-src 'self' data: http://127.0.0.1:5000;",
            "media-src http://127.0.0.1:5000;",
            "frame-src http://127.0.0.1:5000;",
        ] {
            assert!(
                local.content_security_policy().contains(part),
                "previews load from the bucket's links only: {part} in {}",
                local.content_security_policy()
            );
        }
    }
}
