//! `token-claims`: the pre-token-generation trigger: the ID token's `identity_id`
//! claim from the identity table (see `homedir::directory`). It never fails a sign-in.

use homedir::directory::{Function, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    run(Function::TokenClaims).await
}
