//! `delete`: removes a file (its history stays in the versioned bucket).

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use super::{HandlerError, file_key, serve};
use crate::app::App;
use crate::request::{empty_response, require_method};

/// `DELETE /delete?key=K`: 204, also when the file did not exist (deletes are
/// idempotent, as in S3; with bucket versioning the old version stays recoverable).
pub async fn delete(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "delete", async {
        require_method(&request, Method::DELETE)?;
        let caller = app.authenticate(request.headers()).await?;
        let key = file_key(app, &request)?;
        let home = app.home(&caller).await?;
        home.delete(&key).await?;
        Ok(empty_response(StatusCode::NO_CONTENT))
    })
    .await)
}
