//! `write-file`: the homedir route served by this function (see `homedir::handlers::write_file`).

use homedir::{App, handlers, runtime, telemetry};
use lambda_http::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    // This function issues and checks upload ids: it cannot start without their key.
    app.config().require_upload_id_key()?;
    runtime::run(&app, handlers::write_file).await
}
