//! `web`: the browser page, public and AWS-free (see [`site`]).

mod settings;
mod site;

use homedir::{runtime, telemetry};
use lambda_http::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let site = site::Site::from_env()?;
    runtime::run(&site, site::serve).await
}
