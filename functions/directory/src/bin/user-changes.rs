//! `user-changes`: the user pool's CloudTrail events (disable, delete, global
//! sign-out, password reset) recorded in the user changes table (see
//! `homedir::directory`).

use homedir::directory::{Function, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    run(Function::UserChanges).await
}
