//! `list`: one page of the caller's files.

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::{HandlerError, serve};
use crate::app::App;
use crate::error::Error;
use crate::home::ListRequest;
use crate::keys::Prefix;
use crate::request::{Query, json_response, require_method};

const MAX_LIST_LIMIT: i32 = 1000;
const MAX_CURSOR_BYTES: usize = 1024;

/// `GET /list?prefix=P&delimiter=/&limit=N&cursor=C`: one page of the caller's files.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "list", async {
        require_method(&request, Method::GET)?;
        let caller = app.authenticate(request.headers()).await?;
        let query = Query::parse(
            request.uri().query(),
            &["prefix", "delimiter", "limit", "cursor"],
        )?;
        let prefix = Prefix::parse(query.get("prefix").unwrap_or(""), app.max_key_bytes())?;
        let folders = match query.get("delimiter") {
            None | Some("") => false,
            Some("/") => true,
            Some(_) => return Err(Error::InvalidRequest("delimiter must be /".into())),
        };
        let limit = match query.get("limit") {
            None => MAX_LIST_LIMIT,
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                .ok_or_else(|| {
                    Error::InvalidRequest(format!(
                        "limit must be a whole number from 1 to {MAX_LIST_LIMIT}"
                    ))
                })?,
        };
        let cursor = match query.get("cursor") {
            None => None,
            Some(c)
                if c.is_empty()
                    || c.len() > MAX_CURSOR_BYTES
                    || c.chars().any(char::is_control) =>
            {
                return Err(Error::InvalidRequest(
                    "the cursor is not valid for this listing".into(),
                ));
            }
            Some(c) => Some(c.to_owned()),
        };
        let home = app.home(&caller).await?;
        let listing = home
            .list(&ListRequest {
                prefix,
                folders,
                limit,
                cursor,
            })
            .await?;
        Ok(json_response(StatusCode::OK, &json!(listing)))
    })
    .await)
}
