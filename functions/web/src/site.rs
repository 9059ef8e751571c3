//! The `web` function: one page that manages one's home in a browser, served by the
//! stack itself so it is same-origin with the API.
//!
//! The page is public (everything it fetches is authorized by the ID token it gets
//! from Cognito in the browser), so this function holds no AWS client and makes no
//! AWS call: [`Site::from_env`] renders the page once at cold start, [`serve`] answers
//! from memory. The files live in `functions/web/page/` (plain HTML, CSS and
//! JavaScript modules, no build step) and are compiled into the binary.
//!
//! The settings the page needs (region, app client, Cognito endpoint, where the API
//! routes are) reach it as a JSON data block in the HTML, never as inline script, so
//! the Content-Security-Policy can forbid every script but the page's own files.

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::handlers::HandlerError;

/// The page's files: name under `assets/`, bytes, content type.
const ASSETS: &[(&str, &[u8], &str)] = &[
    (
        "style.css",
        include_bytes!("../../functions/web/page/style.css"),
        "text/css; charset=utf-8",
    ),
    (
        "app.js",
        include_bytes!("../../functions/web/page/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "api.js",
        include_bytes!("../../functions/web/page/api.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "auth.js",
        include_bytes!("../../functions/web/page/auth.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "transfer.js",
        include_bytes!("../../functions/web/page/transfer.js"),
        "text/javascript; charset=utf-8",
    ),
];

const INDEX: &str = include_str!("../../functions/web/page/index.html");

/// Where `index.html` takes the page's settings.
const CONFIG_PLACEHOLDER: &str = "{{CONFIG}}";

/// What `web` serves at `/` and under `assets/` (the prefix cargo lambda watch adds
/// locally, `/lambda-url/web`, is ignored).
const LOCAL_PREFIX: &str = "/lambda-url/web";

/// The largest file the API accepts in one PUT (its `MAX_FILE_BYTES` default); the
/// page sends larger ones as multipart uploads.
const DEFAULT_MAX_FILE_BYTES: u64 = 4_500_000;

/// A setting the page cannot be served without is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is malformed: {problem}")]
    Invalid { name: &'static str, problem: String },
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
    /// `/lambda-url` under cargo lambda watch (`/lambda-url/list/`).
    pub api_base: String,
    /// `WEB_S3_ORIGINS`: the origins of the presigned URLs the API hands out,
    /// space-separated, for the policy's connect-src (part uploads).
    pub s3_origins: Vec<String>,
    /// `MAX_FILE_BYTES` (optional): the API's single-PUT limit.
    pub max_file_bytes: u64,
}

impl WebConfig {
    pub fn from_env() -> Result<Self, WebConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, WebConfigError> {
        let required = |name: &'static str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(WebConfigError::Missing(name))
        };
        let region = required("AWS_REGION")?;
        if !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(WebConfigError::Invalid {
                name: "AWS_REGION",
                problem: "a region is lowercase letters, digits and -".into(),
            });
        }
        let client_id = required("USER_POOL_CLIENT_ID")?;
        if !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(WebConfigError::Invalid {
                name: "USER_POOL_CLIENT_ID",
                problem: "an app client id is letters and digits".into(),
            });
        }
        let cognito_url = required("WEB_COGNITO_URL")?;
        origin_of(&cognito_url).map_err(|problem| WebConfigError::Invalid {
            name: "WEB_COGNITO_URL",
            problem,
        })?;
        let api_base = get("WEB_API_BASE").unwrap_or_default();
        let api_base = api_base.trim_end_matches('/').to_owned();
        if !(api_base.is_empty()
            || (api_base.starts_with('/')
                && api_base
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))))
        {
            return Err(WebConfigError::Invalid {
                name: "WEB_API_BASE",
                problem: "empty, or a path such as /lambda-url".into(),
            });
        }
        let s3_origins = required("WEB_S3_ORIGINS")?
            .split_whitespace()
            .map(|origin| {
                let parsed = origin_of(origin).map_err(|problem| WebConfigError::Invalid {
                    name: "WEB_S3_ORIGINS",
                    problem,
                })?;
                if parsed != origin.trim_end_matches('/') {
                    return Err(WebConfigError::Invalid {
                        name: "WEB_S3_ORIGINS",
                        problem: format!("{origin} is not an origin (scheme://host[:port])"),
                    });
                }
                Ok(parsed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_file_bytes = match get("MAX_FILE_BYTES") {
            None => DEFAULT_MAX_FILE_BYTES,
            Some(raw) => raw.parse().map_err(|_| WebConfigError::Invalid {
                name: "MAX_FILE_BYTES",
                problem: "a whole number of bytes".into(),
            })?,
        };
        Ok(Self {
            region,
            client_id,
            cognito_url,
            api_base,
            s3_origins,
            max_file_bytes,
        })
    }

    /// The Content-Security-Policy: the page's own files only, no inline script or
    /// style, network access to the API (same origin), Cognito and the bucket.
    pub fn content_security_policy(&self) -> String {
        let mut connect = vec!["'self'".to_owned()];
        // Checked in from_lookup: an http(s) URL.
        if let Ok(origin) = origin_of(&self.cognito_url) {
            connect.push(origin);
        }
        for origin in &self.s3_origins {
            if !connect.contains(origin) {
                connect.push(origin.clone());
            }
        }
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src {}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            connect.join(" ")
        )
    }

    /// What the page reads from its JSON data block.
    fn page_settings(&self) -> serde_json::Value {
        serde_json::json!({
            "region": self.region,
            "clientId": self.client_id,
            "cognitoUrl": self.cognito_url,
            "apiBase": self.api_base,
            "maxFileBytes": self.max_file_bytes,
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

/// One file ready to serve.
#[derive(Debug)]
struct Asset {
    body: Vec<u8>,
    content_type: &'static str,
    etag: String,
}

impl Asset {
    fn new(body: Vec<u8>, content_type: &'static str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
        let hex: String = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            body,
            content_type,
            etag: format!("\"{hex}\""),
        }
    }
}

/// The page and its files, rendered once.
#[derive(Debug)]
pub struct Site {
    index: Asset,
    assets: BTreeMap<&'static str, Asset>,
    csp: HeaderValue,
}

impl Site {
    /// The site for the settings in the environment; an error fails the cold start
    /// with the variable's name.
    pub fn from_env() -> Result<Self, WebConfigError> {
        Self::new(&WebConfig::from_env()?)
    }

    pub fn new(config: &WebConfig) -> Result<Self, WebConfigError> {
        // The JSON sits inside <script type="application/json">: `<` must not be able to
        // close the element, so it (and > and &) are written as JSON escapes.
        let settings = config
            .page_settings()
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        let index = INDEX.replace(CONFIG_PLACEHOLDER, &settings);
        let csp = HeaderValue::from_str(&config.content_security_policy()).map_err(|_| {
            WebConfigError::Invalid {
                name: "WEB_S3_ORIGINS",
                problem: "the policy is not a header value".into(),
            }
        })?;
        Ok(Self {
            index: Asset::new(index.into_bytes(), "text/html; charset=utf-8"),
            assets: ASSETS
                .iter()
                .map(|(name, body, content_type)| (*name, Asset::new(body.to_vec(), content_type)))
                .collect(),
            csp,
        })
    }

    /// The file at `path`, if it is one of the page's.
    fn find(&self, path: &str) -> Option<&Asset> {
        let path = path.strip_prefix(LOCAL_PREFIX).unwrap_or(path);
        match path {
            "" | "/" => Some(&self.index),
            _ => self.assets.get(path.strip_prefix("/assets/")?),
        }
    }

    /// The answer to one request (also used by the tests, without a Lambda runtime).
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<Body> {
        let mut response = match (self.find(path), method) {
            (None, _) => plain(StatusCode::NOT_FOUND, "not found\n"),
            (Some(_), m) if m != Method::GET && m != Method::HEAD => {
                let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                response
            }
            (Some(asset), m) => {
                let fresh = headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| {
                        v.split(',')
                            .any(|t| t.trim() == asset.etag || t.trim() == "*")
                    });
                let (status, body) = if fresh {
                    (StatusCode::NOT_MODIFIED, Body::Empty)
                } else if m == Method::HEAD {
                    (StatusCode::OK, Body::Empty)
                } else {
                    (StatusCode::OK, Body::Binary(asset.body.clone()))
                };
                let mut response = Response::new(body);
                *response.status_mut() = status;
                let h = response.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                );
                if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
                    h.insert(header::ETAG, etag);
                }
                // Revalidate every time (a 304 with the ETag): a deployment changes
                // the files under the same names, and the page must never mix versions.
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
        };
        let h = response.headers_mut();
        h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            http::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        response
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `web` function's handler: the page, its files, 404 or 405; one log line.
pub async fn serve(site: &Site, request: Request) -> Result<Response<Body>, HandlerError> {
    let response = site.respond(request.method(), request.uri().path(), request.headers());
    tracing::info!(
        route = "web",
        method = %request.method(),
        status = response.status().as_u16(),
        "request served"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: BTreeMap<String, String> = [
            ("AWS_REGION", "eu-west-1"),
            ("USER_POOL_CLIENT_ID", "abc123"),
            (
                "WEB_COGNITO_URL",
                "https://cognito-idp.eu-west-1.amazonaws.com/",
            ),
            (
                "WEB_S3_ORIGINS",
                "https://b.s3.eu-west-1.amazonaws.com https://b.s3.amazonaws.com",
            ),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        map.retain(|_, v| v != "<unset>");
        move |name| map.get(name).cloned()
    }

    fn site() -> Site {
        Site::new(&WebConfig::from_lookup(vars(&[])).unwrap()).unwrap()
    }

    fn get(site: &Site, method: Method, path: &str) -> Response<Body> {
        site.respond(&method, path, &HeaderMap::new())
    }

    #[test]
    fn the_page_carries_its_settings_as_data_not_script() {
        let response = get(&site(), Method::GET, "/");
        assert_eq!(response.status(), 200);
        let Body::Binary(body) = response.body() else {
            panic!("a body")
        };
        let html = String::from_utf8(body.clone()).unwrap();
        assert!(!html.contains(CONFIG_PLACEHOLDER));
        assert!(html.contains(r#"<script type="application/json" id="homedir-config">"#));
        assert!(html.contains(r#""clientId":"abc123""#));
        assert!(html.contains(r#""apiBase":"""#));
        // Every other script is a module file of the page's own.
        for line in html.lines().filter(|l| l.contains("<script")) {
            assert!(
                line.contains("application/json") || line.contains(r#"src="assets/"#),
                "{line}"
            );
        }
    }

    #[test]
    fn the_settings_cannot_close_their_element() {
        let config = WebConfig {
            api_base: "/x</script><script>alert(1)</script>".into(),
            ..WebConfig::from_lookup(vars(&[])).unwrap()
        };
        let site = Site::new(&config).unwrap();
        let Body::Binary(body) = get(&site, Method::GET, "/").into_body() else {
            panic!("a body")
        };
        let html = String::from_utf8(body).unwrap();
        assert!(!html.contains("</script><script>alert"));
        assert!(html.contains(r"\u003c/script\u003e"));
    }

    #[test]
    fn strict_headers_on_every_answer() {
        let site = site();
        for (method, path) in [
            (Method::GET, "/"),
            (Method::GET, "/assets/app.js"),
            (Method::GET, "/nope"),
            (Method::POST, "/"),
        ] {
            let response = get(&site, method, path);
            let h = response.headers();
            let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            for part in [
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com \
                 https://b.s3.eu-west-1.amazonaws.com https://b.s3.amazonaws.com;",
            ] {
                assert!(csp.contains(part), "{path}: {part} in {csp}");
            }
            assert!(!csp.contains("unsafe"), "{csp}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        }
    }

    #[test]
    fn routes_methods_and_revalidation() {
        let site = site();
        let page = get(&site, Method::GET, "/");
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = page.headers()[header::ETAG].clone();
        assert_eq!(
            get(&site, Method::GET, "/lambda-url/web/").headers()[header::ETAG],
            etag,
            "the same page under cargo lambda watch"
        );
        let js = get(&site, Method::GET, "/lambda-url/web/assets/app.js");
        assert_eq!(js.status(), 200);
        assert!(
            js.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        let css = get(&site, Method::GET, "/assets/style.css");
        assert!(
            css.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/css")
        );
        for missing in [
            "/assets/",
            "/assets/nope.js",
            "/assets/../index.html",
            "/index.html",
            "/lambda-url/list/",
        ] {
            assert_eq!(get(&site, Method::GET, missing).status(), 404, "{missing}");
        }
        let head = get(&site, Method::HEAD, "/");
        assert_eq!(head.status(), 200);
        assert!(matches!(head.body(), Body::Empty));
        assert_eq!(head.headers()[header::ETAG], etag);
        for method in [Method::POST, Method::PUT, Method::DELETE] {
            let refused = get(&site, method.clone(), "/");
            assert_eq!(refused.status(), 405, "{method}");
            assert_eq!(refused.headers()[header::ALLOW], "GET, HEAD");
        }
        let mut conditional = HeaderMap::new();
        conditional.insert(header::IF_NONE_MATCH, etag.clone());
        let not_modified = site.respond(&Method::GET, "/", &conditional);
        assert_eq!(not_modified.status(), 304);
        assert!(matches!(not_modified.body(), Body::Empty));
        conditional.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(site.respond(&Method::GET, "/", &conditional).status(), 200);
    }

    #[test]
    fn settings_are_checked_at_cold_start() {
        let error = |extra: &[(&str, &str)]| WebConfig::from_lookup(vars(extra)).unwrap_err();
        assert!(matches!(
            error(&[("WEB_COGNITO_URL", "<unset>")]),
            WebConfigError::Missing("WEB_COGNITO_URL")
        ));
        assert!(matches!(
            error(&[("WEB_S3_ORIGINS", "https://b.s3.amazonaws.com/path")]),
            WebConfigError::Invalid {
                name: "WEB_S3_ORIGINS",
                ..
            }
        ));
        assert!(matches!(
            error(&[("WEB_S3_ORIGINS", "ftp://b")]),
            WebConfigError::Invalid {
                name: "WEB_S3_ORIGINS",
                ..
            }
        ));
        assert!(matches!(
            error(&[("WEB_API_BASE", "lambda-url")]),
            WebConfigError::Invalid {
                name: "WEB_API_BASE",
                ..
            }
        ));
        assert!(matches!(
            error(&[("USER_POOL_CLIENT_ID", "a b")]),
            WebConfigError::Invalid {
                name: "USER_POOL_CLIENT_ID",
                ..
            }
        ));
        let local = WebConfig::from_lookup(vars(&[
            ("WEB_API_BASE", "/lambda-url/"),
            ("WEB_COGNITO_URL", "http://127.0.0.1:5000/"),
            ("WEB_S3_ORIGINS", "http://127.0.0.1:5000"),
            ("MAX_FILE_BYTES", "1000"),
        ]))
        .unwrap();
        assert_eq!(local.api_base, "/lambda-url");
        assert_eq!(local.max_file_bytes, 1000);
        assert!(
            local
                .content_security_policy()
                .contains("connect-src 'self' http://127.0.0.1:5000;"),
            "one origin listed once: {}",
            local.content_security_policy()
        );
    }
}
