//! `token-claims`: the pre-token-generation trigger: the ID token's `identity_id`
//! claim from the identity table (see `homedir::directory`). It never fails a sign-in.

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
        app.token_claims(event.payload)
            .await
            .map_err(|error| Error::from(error.public_message()))
    }))
    .await
}
