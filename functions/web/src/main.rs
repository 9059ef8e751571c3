//! `web`: the browser page, public and AWS-free (see `homedir::web`).

use homedir::{runtime, telemetry, web};
use lambda_http::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let site = web::Site::from_env()?;
    runtime::run(&site, web::serve).await
}
