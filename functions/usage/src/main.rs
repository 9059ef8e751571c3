//! `usage`: the usage function (see `homedir::usage::function`): S3's notifications
//! tallied into the usage table, the scheduled reconcile and recount, an operator's
//! recount of one space.

use homedir::telemetry;
use homedir::usage::function::UsageApp;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = UsageApp::from_env()?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        app.handle(event.payload)
            .await
            .map_err(|error| Error::from(error.public_message()))
    }))
    .await
}
