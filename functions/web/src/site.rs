//! The `web` function's page: one page that manages one's home in a browser, served
//! by the stack itself so it is same-origin with the API.
//!
//! The page is public (everything it fetches is authorized by the ID token it gets
//! from Cognito in the browser), so this function holds no AWS client and makes no
//! AWS call: [`Site::from_env`] renders the page once at cold start, [`serve`] answers
//! from memory. The files live in `functions/web/page/` (plain HTML, CSS and
//! JavaScript modules, no build step) and are compiled into this binary only.
//!
//! The settings the page needs (region, app client, Cognito endpoint, where the API
//! routes are) reach it as a JSON data block in the HTML, never as inline script, so
//! the Content-Security-Policy can forbid every script but the page's own files.

use std::collections::BTreeMap;

use homedir::config::ConfigError;
use homedir::handlers::HandlerError;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::settings::WebConfig;

/// One of the page's JavaScript modules, by its path under `page/` (and `assets/`).
macro_rules! script {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../page/", $name)),
            "text/javascript; charset=utf-8",
        )
    };
}

/// The page's files: name under `assets/`, bytes, content type. Every file of `page/`
/// but `index.html` is here, and every module another one imports (the test
/// `every_file_of_the_page_is_served_and_every_import_is_one_of_them`).
const ASSETS: &[(&str, &[u8], &str)] = &[
    (
        "style.css",
        include_bytes!("../page/style.css"),
        "text/css; charset=utf-8",
    ),
    script!("app.js"),
    script!("api.js"),
    script!("auth.js"),
    script!("folders.js"),
    script!("place.js"),
    script!("transfer.js"),
    script!("ui.js"),
    // The file manager: files.js starts it; files/ holds one module per responsibility.
    script!("files.js"),
    script!("files/conflicts.js"),
    script!("files/downloads.js"),
    script!("files/listing.js"),
    script!("files/moves.js"),
    script!("files/picker.js"),
    script!("files/preview.js"),
    script!("files/render.js"),
    script!("files/search.js"),
    script!("files/selection.js"),
    script!("files/spaces.js"),
    script!("files/share.js"),
    script!("files/state.js"),
    script!("files/trash.js"),
    script!("files/uploads.js"),
    script!("files/usage.js"),
    script!("files/versions.js"),
];

const INDEX: &str = include_str!("../page/index.html");

/// Where `index.html` takes the page's settings.
const CONFIG_PLACEHOLDER: &str = "{{CONFIG}}";

/// What `web` serves at `/` and under `assets/` (the prefix the local gateway adds,
/// `/lambda-url/web`, is ignored).
const LOCAL_PREFIX: &str = "/lambda-url/web";

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
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(&WebConfig::from_env()?)
    }

    pub fn new(config: &WebConfig) -> Result<Self, ConfigError> {
        // The JSON sits inside <script type="application/json">: `<` must not be able to
        // close the element, so it (and > and &) are written as JSON escapes.
        let settings = config
            .page_settings()
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        let index = INDEX.replace(CONFIG_PLACEHOLDER, &settings);
        let csp =
            HeaderValue::from_str(&config.content_security_policy()).map_err(|_| ConfigError {
                variable: "WEB_S3_ORIGINS",
                problem: "the policy is not a header value".into(),
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

    /// The answer to one request (also used by the tests, without a Lambda runtime);
    /// `target` is the path with its query, if any.
    pub fn respond(&self, method: &Method, target: &str, headers: &HeaderMap) -> Response<Body> {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        let mut response = match (self.find(path), method) {
            // The page's local address without its slash would load the page with its
            // relative `assets/…` resolved beside it (`/lambda-url/assets/…`, no
            // function there): a blank page. Send the browser to the address with the
            // slash, query kept (the fragment, the page's place, stays in the browser).
            (Some(_), m) if path == LOCAL_PREFIX && (m == Method::GET || m == Method::HEAD) => {
                let mut response = plain(StatusCode::PERMANENT_REDIRECT, "the page is at web/\n");
                let location = match query {
                    Some(query) => format!("{LOCAL_PREFIX}/?{query}"),
                    None => format!("{LOCAL_PREFIX}/"),
                };
                if let Ok(location) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
            }
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
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path(), |target| target.as_str());
    let response = site.respond(request.method(), target, request.headers());
    tracing::info!(
        route = "web",
        method = %request.method(),
        status = response.status().as_u16(),
        "request served"
    );
    Ok(response)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn vars(extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
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
                "img-src 'self' data: https://b.s3.eu-west-1.amazonaws.com https://b.s3.amazonaws.com;",
                "media-src https://b.s3.eu-west-1.amazonaws.com https://b.s3.amazonaws.com;",
                "frame-src https://b.s3.eu-west-1.amazonaws.com https://b.s3.amazonaws.com;",
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
            "the same page under the local gateway's /lambda-url/web/"
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
        assert_eq!(
            get(&site, Method::GET, "/?x=1").headers()[header::ETAG],
            etag,
            "a query changes nothing"
        );
        let mut conditional = HeaderMap::new();
        conditional.insert(header::IF_NONE_MATCH, etag.clone());
        let not_modified = site.respond(&Method::GET, "/", &conditional);
        assert_eq!(not_modified.status(), 304);
        assert!(matches!(not_modified.body(), Body::Empty));
        conditional.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(site.respond(&Method::GET, "/", &conditional).status(), 200);
    }

    /// The page's files on disk, by their path under `page/` (`/` between folders).
    fn files_under(dir: &std::path::Path, base: &str, found: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{base}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path(), &format!("{name}/"), found);
            } else {
                found.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
    }

    /// `./x.js` or `../x.js` seen from the module `from` (a path under `page/`).
    fn resolve(from: &str, specifier: &str) -> Option<String> {
        let mut path: Vec<&str> = from.split('/').collect();
        path.pop();
        for segment in specifier.split('/') {
            match segment {
                "." => {}
                ".." => {
                    path.pop()?;
                }
                name => path.push(name),
            }
        }
        Some(path.join("/"))
    }

    #[test]
    fn every_file_of_the_page_is_served_and_every_import_is_one_of_them() {
        let site = site();
        let mut files = Vec::new();
        let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("page");
        files_under(&page, "", &mut files);
        let served: BTreeMap<&str, &[u8]> = ASSETS.iter().map(|(n, b, _)| (*n, *b)).collect();
        assert_eq!(served.len(), ASSETS.len(), "a file listed twice");
        for (name, bytes) in files.iter().filter(|(name, _)| name != "index.html") {
            assert_eq!(
                served.get(name.as_str()),
                Some(&bytes.as_slice()),
                "page/{name} is not in ASSETS (functions/web/src/site.rs)"
            );
            let response = get(&site, Method::GET, &format!("/assets/{name}"));
            assert_eq!(response.status(), 200, "{name}");
            let kind = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
            let expected = if name.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            };
            assert!(kind.starts_with(expected), "{name}: {kind}");
        }
        assert_eq!(
            files.len(),
            ASSETS.len() + 1,
            "every asset is a file of page/"
        );
        // Every module a script imports (`… from "./x.js"`, `import "./x.js"`) is served.
        let mut imports = 0;
        for (name, bytes, _) in ASSETS.iter().filter(|(n, _, _)| n.ends_with(".js")) {
            let text = std::str::from_utf8(bytes).unwrap();
            for line in text.lines() {
                let line = line.trim_start();
                let Some(rest) = line
                    .rsplit_once(" from \"")
                    .map(|(_, rest)| rest)
                    .or_else(|| line.strip_prefix("import \""))
                else {
                    continue;
                };
                if !line.starts_with("import") && !line.starts_with('}') {
                    continue;
                }
                let specifier = rest.split('"').next().unwrap();
                assert!(
                    specifier.starts_with("./") || specifier.starts_with("../"),
                    "{name} imports {specifier}: only the page's own files"
                );
                let target = resolve(name, specifier);
                assert!(
                    target.as_deref().is_some_and(|t| served.contains_key(t)),
                    "{name} imports {specifier}, which is not served"
                );
                imports += 1;
            }
        }
        assert!(
            imports > 30,
            "{imports} imports found: the scan reads the modules"
        );
        // And the page loads its entry module and its style from there.
        let Body::Binary(html) = get(&site, Method::GET, "/").into_body() else {
            panic!("a body")
        };
        let html = String::from_utf8(html).unwrap();
        for asset in ["assets/app.js", "assets/style.css"] {
            assert!(html.contains(&format!("\"{asset}\"")), "{asset}");
        }
    }

    #[test]
    fn the_local_address_without_its_slash_is_sent_to_the_page() {
        let site = site();
        for (target, location) in [
            ("/lambda-url/web", "/lambda-url/web/"),
            ("/lambda-url/web?a=b%2Fc", "/lambda-url/web/?a=b%2Fc"),
        ] {
            for method in [Method::GET, Method::HEAD] {
                let response = get(&site, method.clone(), target);
                assert_eq!(response.status(), 308, "{method} {target}");
                assert_eq!(response.headers()[header::LOCATION], location);
                assert!(
                    response.headers()[header::CONTENT_SECURITY_POLICY]
                        .to_str()
                        .unwrap()
                        .contains("default-src 'none'")
                );
            }
        }
        assert_eq!(get(&site, Method::POST, "/lambda-url/web").status(), 405);
        for page in ["/lambda-url/web/", "/", ""] {
            assert_eq!(get(&site, Method::GET, page).status(), 200, "{page}");
        }
        // Its assets, where the page with the slash asks for them.
        assert_eq!(
            get(&site, Method::GET, "/lambda-url/web/assets/files.js").status(),
            200
        );
    }
}
