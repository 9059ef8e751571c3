//! `user-changes`: the user pool's CloudTrail events (disable, delete, global
//! sign-out, password reset) recorded in the user changes table (see
//! `homedir::directory`).

use homedir::directory::DirectoryApp;
use homedir::telemetry;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = DirectoryApp::from_env()?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        app.user_changes(event.payload)
            .await
            .map_err(|error| Error::from(error.public_message()))
    }))
    .await
}
