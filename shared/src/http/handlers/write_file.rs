//! `write-file`: small files in one PUT; files of any size as a multipart upload
//! whose parts go straight to S3 (see [`super::uploads`]).

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use super::{HandlerError, serve, uploads};
use crate::app::App;
use crate::auth::Caller;
use crate::error::Error;
use crate::http::request::{Query, content_type, header_text, into_bytes, write_condition};
use crate::http::response::{json_response, written_response};
use crate::storage::Admission;
use crate::storage::copies::Transfer;
use crate::storage::keys::{Key, Prefix, VersionId};
use crate::storage::versions::VersionCursor;
use crate::storage::write::WriteCondition;
use homedir_wire::routes::Space as SpaceName;

/// What `Allow` lists for this route.
const METHODS: &str = "PUT, POST, GET, DELETE";

/// `PUT /write-file?key=K`: stores the body (`If-Match` / `If-None-Match: *` make it
/// conditional) and answers `{"key","etag","size","version_id"}`; with `restore=V`,
/// `copy_from=S` or `move_from=S` the content comes from the caller's spaces instead
/// (`space=team` works in the team's space; `from_space` names the source's).
/// `POST`, `GET` and `DELETE` start or complete, resume and abort a multipart upload.
pub async fn write_file(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    // The body is taken out so it can be moved, not copied, into the upload.
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::Empty);
    Ok(serve(app, "write-file", async {
        let method = request.method().clone();
        if ![Method::PUT, Method::POST, Method::GET, Method::DELETE].contains(&method) {
            return Err(Error::MethodNotAllowed { allowed: METHODS });
        }
        let caller = app.authenticate(request.headers()).await?;
        match method {
            Method::POST => uploads::start_or_complete(app, &caller, &request, body).await,
            Method::GET => uploads::resume(app, &caller, &request).await,
            Method::DELETE => uploads::abort(app, &caller, &request).await,
            _ => put(app, &caller, &request, body).await,
        }
    })
    .await)
}

async fn put(
    app: &App,
    caller: &Caller<'_>,
    request: &Request,
    body: Body,
) -> Result<Response<Body>, Error> {
    let query = Query::parse(
        request.uri().query(),
        &[
            "key",
            "restore",
            "copy_from",
            "move_from",
            "source_if_match",
            "prefix",
            "undelete",
            "limit",
            "cursor",
            "space",
            "from_space",
        ],
    )?;
    let which = query.space()?;
    if query.get("prefix").is_some() || query.get("undelete").is_some() {
        return restore_folder(app, caller, request, &query, which, body).await;
    }
    if let Some(name) = ["limit", "cursor"]
        .into_iter()
        .find(|n| query.get(n).is_some())
    {
        return Err(Error::InvalidRequest(format!(
            "{name} applies to a folder restore (prefix=P/&undelete=1)"
        )));
    }
    let key = query.key(app.max_key_bytes(which))?;
    let condition = write_condition(request.headers())?;
    let written = match FromExisting::parse(&query, &key, which, |s| app.max_key_bytes(s))? {
        Some(operation) => {
            if !into_bytes(body).is_empty() {
                return Err(Error::InvalidRequest(
                    "a restore, copy or move takes no body".into(),
                ));
            }
            match operation {
                FromExisting::Restore(version) => {
                    let space = app.space(caller, which).await?;
                    let gate = app.gate(caller, &space, which);
                    space.restore(&key, &version, &condition, &gate).await?
                }
                FromExisting::Transfer {
                    transfer,
                    from,
                    source,
                    if_match,
                } => {
                    let (space, from) = app.spaces(caller, which, from).await?;
                    let gate = app.gate(caller, &space, which);
                    space
                        .transfer(transfer, &key, &from, &source, if_match, &condition, &gate)
                        .await?
                }
            }
        }
        None => {
            let content_type = content_type(header_text(request.headers(), "content-type")?)?;
            let bytes = into_bytes(body);
            if bytes.len() > app.max_file_bytes() {
                return Err(Error::PayloadTooLarge(format!(
                    "the body is {} bytes; the largest file one PUT accepts is {} bytes (a synchronous Lambda invocation carries 6 MB, base64-encoded): upload larger files with POST /write-file",
                    bytes.len(),
                    app.max_file_bytes()
                )));
            }
            let space = app.space(caller, which).await?;
            app.gate(caller, &space, which)
                .admit(bytes.len() as u64)
                .await?;
            space.write(&key, bytes, content_type, &condition).await?
        }
    };
    Ok(written_response(StatusCode::OK, &written))
}

/// `PUT /write-file?prefix=P/&undelete=1[&limit=N][&cursor=C]`: the folder's deleted
/// files restored, in batches: 200 `{"restored","skipped","next_cursor"}`.
async fn restore_folder(
    app: &App,
    caller: &Caller<'_>,
    request: &Request,
    query: &Query,
    which: SpaceName,
    body: Body,
) -> Result<Response<Body>, Error> {
    if !query.flag("undelete")? {
        return Err(Error::InvalidRequest(
            "a folder is restored with prefix=P/&undelete=1".into(),
        ));
    }
    if let Some(name) = [
        "key",
        "restore",
        "copy_from",
        "move_from",
        "source_if_match",
        "from_space",
    ]
    .into_iter()
    .find(|n| query.get(n).is_some())
    {
        return Err(Error::InvalidRequest(format!(
            "{name} applies to one file, not to a folder restore"
        )));
    }
    if write_condition(request.headers())? != WriteCondition::None {
        return Err(Error::InvalidRequest(
            "If-Match and If-None-Match apply to one file, not to a folder restore".into(),
        ));
    }
    if !into_bytes(body).is_empty() {
        return Err(Error::InvalidRequest(
            "a folder restore takes no body".into(),
        ));
    }
    let prefix = Prefix::parse(query.require("prefix")?, app.max_key_bytes(which))?;
    if prefix.as_str().is_empty() || !prefix.as_str().ends_with('/') {
        return Err(Error::InvalidKey(
            "a folder to restore is a prefix ending with / (e.g. photos/2024/)".into(),
        ));
    }
    let limit = query.number("limit", 1..=MAX_FOLDER_RESTORE, DEFAULT_FOLDER_RESTORE)?;
    let cursor = query.get("cursor").map(VersionCursor::parse).transpose()?;
    let space = app.space(caller, which).await?;
    let gate = app.gate(caller, &space, which);
    let restored = space
        .restore_folder(prefix.as_str(), limit, cursor, &gate)
        .await?;
    Ok(json_response(StatusCode::OK, &restored))
}

/// Files one folder-restore call restores at most by default, and at most (`limit`).
const DEFAULT_FOLDER_RESTORE: u64 = 1000;
const MAX_FOLDER_RESTORE: u64 = 10_000;

/// A write whose content comes from the caller's spaces, not the body.
enum FromExisting<'q> {
    Restore(VersionId),
    /// `copy_from` or `move_from`.
    Transfer {
        transfer: Transfer,
        from: SpaceName,
        source: Key,
        if_match: Option<&'q str>,
    },
}

impl<'q> FromExisting<'q> {
    /// `restore=V`, `copy_from=S` or `move_from=S` (with `source_if_match=E`, and
    /// `from_space`, by default the destination's `space`), at most one of them;
    /// `None` when the content is the body.
    fn parse(
        query: &'q Query,
        key: &Key,
        space: SpaceName,
        max_key_bytes: impl Fn(SpaceName) -> usize,
    ) -> Result<Option<Self>, Error> {
        let if_match = query.get("source_if_match");
        let from_space = query.space_named("from_space")?;
        let from = from_space.unwrap_or(space);
        let source = |raw| Key::parse(raw, max_key_bytes(from));
        let operation = match (
            query.get("restore"),
            query.get("copy_from"),
            query.get("move_from"),
        ) {
            (None, None, None) => None,
            (Some(version), None, None) => Some(FromExisting::Restore(VersionId::parse(version)?)),
            (None, Some(raw), None) => Some(FromExisting::Transfer {
                transfer: Transfer::Copy,
                from,
                source: source(raw)?,
                if_match,
            }),
            (None, None, Some(raw)) => Some(FromExisting::Transfer {
                transfer: Transfer::Move,
                from,
                source: source(raw)?,
                if_match,
            }),
            _ => {
                return Err(Error::InvalidRequest(
                    "send one of restore, copy_from and move_from".into(),
                ));
            }
        };
        match &operation {
            // S3 refuses a copy onto itself (InvalidRequest) whatever the caller meant;
            // say so before any AWS call.
            Some(FromExisting::Transfer { source, .. }) if source == key && from == space => Err(
                Error::InvalidRequest("a file cannot be copied or moved onto itself".into()),
            ),
            Some(FromExisting::Transfer { .. }) if if_match == Some("") => {
                Err(Error::InvalidRequest("source_if_match is empty".into()))
            }
            Some(FromExisting::Transfer { .. }) => Ok(operation),
            _ if if_match.is_some() => Err(Error::InvalidRequest(
                "source_if_match applies to copy_from and move_from".into(),
            )),
            _ if from_space.is_some() => Err(Error::InvalidRequest(
                "from_space applies to copy_from and move_from".into(),
            )),
            _ => Ok(operation),
        }
    }
}
