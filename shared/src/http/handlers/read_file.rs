//! `read-file`: a file's bytes inline, or S3's through a presigned URL.

use std::time::Duration;

use http::{Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

use super::{HandlerError, VERSION_ID, serve};
use crate::app::App;
use crate::error::Error;
use crate::http::request::{DEFAULT_CONTENT_TYPE, Query, header_text, require_method};
use crate::http::response::{empty_response, insert, json_response};
use crate::storage::keys::VersionId;
use crate::storage::presign::{DEFAULT_LINK_SECS, MAX_URL_SECS};
use crate::storage::read::{File, Read};

/// `GET /read-file?key=K[&version=V]`: the bytes (of that version), with
/// `Content-Type`, `ETag`, `Last-Modified` and `x-version-id`;
/// a file too large for a Lambda response: `307` to a presigned GET of it.
/// `&link=1`: `{"url","expires_at","size","etag","content_type"}` for a file of any
/// size. `&expires=S` (1–3600, default 300) is the URL's life, `&download=1` makes
/// S3 send `Content-Disposition: attachment`.
pub async fn read_file(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "read-file", async {
        require_method(&request, Method::GET)?;
        let caller = app.authenticate(request.headers()).await?;
        let query = Query::parse(
            request.uri().query(),
            &["key", "version", "link", "expires", "download", "space"],
        )?;
        let which = query.space()?;
        let key = query.key(app.max_key_bytes(which))?;
        let version = query.get("version").map(VersionId::parse).transpose()?;
        let link = query.flag("link")?;
        let life =
            Duration::from_secs(query.number("expires", 1..=MAX_URL_SECS, DEFAULT_LINK_SECS)?);
        let download = query.flag("download")?;
        let if_none_match = match header_text(request.headers(), "if-none-match")? {
            // An empty condition names no ETag: refused, as an empty If-Match on a write.
            Some("") => return Err(Error::InvalidRequest("If-None-Match is empty".into())),
            other => other,
        };
        if link {
            if if_none_match.is_some() {
                return Err(Error::InvalidRequest(
                    "If-None-Match applies to reading the bytes, not to a link".into(),
                ));
            }
            let space = app.space_lasting(&caller, which, life).await?;
            let link = space.link(&key, version.as_ref(), life, download).await?;
            return Ok(json_response(StatusCode::OK, &link));
        }
        let space = app.space(&caller, which).await?;
        Ok(
            match space.read(&key, version.as_ref(), if_none_match).await? {
                Read::TooLarge { content_type, .. } => {
                    // Signed with credentials that outlive the URL (refreshed if need be).
                    let space = app.space_lasting(&caller, which, life).await?;
                    let signed = space
                        .download_url(
                            &key,
                            version.as_ref(),
                            content_type.as_deref(),
                            life,
                            download,
                        )
                        .await?;
                    let mut response = empty_response(StatusCode::TEMPORARY_REDIRECT);
                    let headers = response.headers_mut();
                    insert(headers, header::LOCATION, &signed.url);
                    // The URL is a bearer capability: no cache may keep it.
                    insert(headers, header::CACHE_CONTROL, "no-store");
                    response
                }
                Read::Found(file) => file_response(file),
                Read::NotModified { etag } => {
                    let mut response = empty_response(StatusCode::NOT_MODIFIED);
                    if let Some(etag) = etag {
                        insert(response.headers_mut(), header::ETAG, &etag);
                    }
                    response
                }
            },
        )
    })
    .await)
}

/// The bytes of a file read inline, with its metadata as headers.
fn file_response(file: File) -> Response<Body> {
    let mut response = Response::new(Body::Binary(Vec::from(file.bytes)));
    let headers = response.headers_mut();
    let content_type = file.content_type.as_deref().unwrap_or(DEFAULT_CONTENT_TYPE);
    insert(headers, header::CONTENT_TYPE, content_type);
    if let Some(etag) = &file.etag {
        insert(headers, header::ETAG, etag);
    }
    if let Some(version) = &file.version_id {
        insert(headers, VERSION_ID, version);
    }
    if let Some(modified) = file
        .last_modified
        .and_then(|t| std::time::SystemTime::try_from(t).ok())
    {
        insert(
            headers,
            header::LAST_MODIFIED,
            &httpdate::fmt_http_date(modified),
        );
    }
    // Stored types are the writer's choice: never let a browser sniff or run them in
    // the API's origin.
    insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    );
    insert(headers, header::CACHE_CONTROL, "private, no-cache");
    response
}
