//! `list`: one page of the caller's files.

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use super::{HandlerError, serve};
use crate::app::App;
use crate::auth::Caller;
use crate::error::Error;
use crate::http::request::{Query, require_method};
use crate::http::response::json_response;
use crate::storage::keys::Prefix;
use crate::storage::list::ListRequest;
use crate::storage::versions::{VersionCursor, VersionsRequest};
use homedir_wire::routes::Space as SpaceName;

const MAX_LIST_LIMIT: i32 = 1000;

/// `GET /list?prefix=P&delimiter=/&limit=N&cursor=C[&space=team]`: one page of the
/// caller's files (in their home, or their team's space).
/// `&versions=1`: every version and delete marker under `P` (or of exactly one file,
/// `key=K&versions=1`); `&deleted=1`: the trash, files whose current version is a
/// delete marker, each with the version an undelete restores; `whoami=1`: the
/// caller's Identity ID and team; `usage=1`: what the space holds and its quota.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "list", async {
        require_method(&request, Method::GET)?;
        let caller = app.authenticate(request.headers()).await?;
        let query = Query::parse(
            request.uri().query(),
            &[
                "prefix",
                "key",
                "delimiter",
                "limit",
                "cursor",
                "versions",
                "deleted",
                "space",
                "whoami",
                "usage",
            ],
        )?;
        let which = query.space()?;
        if query.flag("whoami")? {
            return whoami(app, &caller, &query).await;
        }
        if query.flag("usage")? {
            return usage(app, &caller, &query, which).await;
        }
        let history = match (query.flag("versions")?, query.flag("deleted")?) {
            (true, true) => {
                return Err(Error::InvalidRequest(
                    "send versions=1 or deleted=1, not both".into(),
                ));
            }
            (true, false) => Some(false),
            (false, true) => Some(true),
            (false, false) => None,
        };
        if let Some(trash) = history {
            return history_page(app, &caller, &query, which, trash).await;
        }
        if query.get("key").is_some() {
            return Err(Error::InvalidRequest(
                "key applies to versions=1 (one file's versions); list folders with prefix".into(),
            ));
        }
        let prefix = Prefix::parse(query.get("prefix").unwrap_or(""), app.max_key_bytes(which))?;
        let folders = match query.get("delimiter") {
            None | Some("") => false,
            Some("/") => true,
            Some(_) => return Err(Error::InvalidRequest("delimiter must be /".into())),
        };
        let limit = list_limit(&query)?;
        let cursor = query
            .get("cursor")
            .map(ListRequest::parse_cursor)
            .transpose()?;
        let space = app.space(&caller, which).await?;
        let listing = space
            .list(&ListRequest {
                prefix,
                folders,
                limit,
                cursor,
            })
            .await?;
        Ok(json_response(StatusCode::OK, &listing))
    })
    .await)
}

/// `GET /list?whoami=1`: `{"identity_id","team"}`, and nothing else may be asked.
async fn whoami(app: &App, caller: &Caller<'_>, query: &Query) -> Result<Response<Body>, Error> {
    if let Some(name) = query.names().find(|name| *name != "whoami") {
        return Err(Error::InvalidRequest(format!(
            "whoami=1 takes no other parameter ({name})"
        )));
    }
    Ok(json_response(StatusCode::OK, &app.whoami(caller).await?))
}

/// `GET /list?usage=1[&space=team]`: `{"bytes","versions","quota_bytes","over"}` of
/// the caller's space; `space` is the only other parameter.
async fn usage(
    app: &App,
    caller: &Caller<'_>,
    query: &Query,
    which: SpaceName,
) -> Result<Response<Body>, Error> {
    if let Some(name) = query
        .names()
        .find(|name| !["usage", "space"].contains(name))
    {
        return Err(Error::InvalidRequest(format!(
            "usage=1 takes no other parameter but space ({name})"
        )));
    }
    Ok(json_response(
        StatusCode::OK,
        &app.usage(caller, which).await?,
    ))
}

fn list_limit(query: &Query) -> Result<i32, Error> {
    query
        .number("limit", 1..=MAX_LIST_LIMIT as u64, MAX_LIST_LIMIT as u64)
        .map(|n| n as i32)
}

/// One page of versions (`trash` false) or of the trash.
async fn history_page(
    app: &App,
    caller: &Caller<'_>,
    query: &Query,
    which: SpaceName,
    trash: bool,
) -> Result<Response<Body>, Error> {
    if query.get("delimiter").is_some() {
        return Err(Error::InvalidRequest(
            "delimiter applies to listing files, not versions or the trash".into(),
        ));
    }
    let (prefix, exact) = match (query.get("key"), query.get("prefix")) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidRequest(
                "send key (one file) or prefix (a folder), not both".into(),
            ));
        }
        (Some(_), None) if trash => {
            return Err(Error::InvalidRequest(
                "the trash lists a folder: use prefix".into(),
            ));
        }
        (Some(_), None) => (
            query.key(app.max_key_bytes(which))?.as_str().to_owned(),
            true,
        ),
        (None, raw) => (
            Prefix::parse(raw.unwrap_or(""), app.max_key_bytes(which))?
                .as_str()
                .to_owned(),
            false,
        ),
    };
    let cursor = query.get("cursor").map(VersionCursor::parse).transpose()?;
    let request = VersionsRequest {
        prefix,
        exact,
        limit: list_limit(query)?,
        cursor,
    };
    let space = app.space(caller, which).await?;
    Ok(if trash {
        json_response(StatusCode::OK, &space.trash(&request).await?)
    } else {
        json_response(StatusCode::OK, &space.versions(&request).await?)
    })
}
