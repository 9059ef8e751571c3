//! `delete`: the homedir route served by this function (see `homedir::handlers::delete`).

use homedir::{App, handlers, telemetry};
use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|request| handlers::delete(&app, request))).await
}
