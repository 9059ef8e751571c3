//! `delete`: removes a file, or a folder in batches (their history stays in the
//! versioned bucket: everything deleted lands in the trash).

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use super::{HandlerError, VERSION_ID, serve};
use crate::app::App;
use crate::error::Error;
use crate::http::request::{Query, header_text, require_method};
use crate::http::response::{empty_response, insert, json_response};
use crate::storage::folders::BATCH;
use crate::storage::keys::Prefix;

/// Files one folder-delete call removes at most (`limit`).
const MAX_FOLDER_LIMIT: u64 = 10 * BATCH as u64;

/// `DELETE /delete?key=K`: 204, also when the file did not exist (deletes are
/// idempotent, as in S3); `If-Match: <etag>` deletes only if that is the current
/// version, else 412. `x-version-id` is the delete marker's version.
/// `DELETE /delete?prefix=P/[&limit=N][&cursor=C]`: 200 `{"deleted","next_cursor"}`.
pub async fn delete(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "delete", async {
        require_method(&request, Method::DELETE)?;
        let caller = app.authenticate(request.headers()).await?;
        let query = Query::parse(
            request.uri().query(),
            &["key", "prefix", "limit", "cursor", "space"],
        )?;
        let which = query.space()?;
        let if_match = match header_text(request.headers(), "if-match")? {
            Some("") => return Err(Error::InvalidRequest("If-Match is empty".into())),
            other => other,
        };
        if query.get("key").is_some() {
            if ["prefix", "limit", "cursor"]
                .iter()
                .any(|p| query.get(p).is_some())
            {
                return Err(Error::InvalidRequest(
                    "send key (one file) or prefix (a folder), not both".into(),
                ));
            }
            let key = query.key(app.max_key_bytes(which))?;
            let space = app.space(&caller, which).await?;
            let deleted = space.delete(&key, if_match).await?;
            let mut response = empty_response(StatusCode::NO_CONTENT);
            if let Some(version) = &deleted.version_id {
                insert(response.headers_mut(), VERSION_ID, version);
            }
            return Ok(response);
        }
        let Some(raw) = query.get("prefix") else {
            return Err(Error::InvalidRequest(
                "the query parameter \"key\" (a file) or \"prefix\" (a folder) is required".into(),
            ));
        };
        if if_match.is_some() {
            return Err(Error::InvalidRequest(
                "If-Match applies to one file, not to a folder".into(),
            ));
        }
        let prefix = Prefix::parse(raw, app.max_key_bytes(which))?;
        if prefix.as_str().is_empty() || !prefix.as_str().ends_with('/') {
            return Err(Error::InvalidKey(
                "a folder to delete is a prefix ending with / (e.g. photos/2024/)".into(),
            ));
        }
        let limit = query.number("limit", 1..=MAX_FOLDER_LIMIT, u64::from(BATCH))?;
        let cursor = query.get("cursor");
        let space = app.space(&caller, which).await?;
        let deleted = space
            .delete_folder(&prefix, u32::try_from(limit).unwrap_or(BATCH), cursor)
            .await?;
        Ok(json_response(StatusCode::OK, &deleted))
    })
    .await)
}
