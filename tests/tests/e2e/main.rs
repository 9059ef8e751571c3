//! The end-to-end suite: the four routes over real HTTP(S), against either a deployed
//! stack (through API Gateway and its Cognito JWT authorizer) or the local stack
//! served by `homedir-gateway`, and S3 called directly with a user's own identity
//! pool credentials (`direct_credentials`). Run it with `make e2e-local` or `make e2e`
//! (tests/e2e.sh), never bare: it needs a running homedir.
//!
//! Configuration, from the environment:
//! - `HOMEDIR_E2E_URL`: a URL template with `{route}`, e.g.
//!   `https://abc.execute-api.us-east-1.amazonaws.com/{route}` (deployed) or
//!   `http://127.0.0.1:9123/lambda-url/{route}/` (local);
//! - `HOMEDIR_E2E_TARGET`: `deployed` or `local`. Deployed, API Gateway's JWT
//!   authorizer answers 401 itself (`{"message":"Unauthorized"}`) before any function
//!   runs, and routes nothing but the four method/path pairs;
//! - `HOMEDIR_STACK_ENV`: the stack's settings (`USER_POOL_ID`, `USER_POOL_CLIENT_ID`,
//!   `IDENTITY_POOL_ID`, `BUCKET_NAME`, `AWS_REGION`, `HOME_PREFIX`, and
//!   `AWS_ENDPOINT_URL` for the local emulator only). The suite creates its own fresh
//!   users with admin calls: with the emulator's admin key locally, with the ambient
//!   AWS credentials when the settings name no endpoint (a deployed stack).
//!
//! Every API response of every test is checked for the tokens the request carried:
//! no body or header may echo one back.
//!
//! One module per capability; `harness` holds the configuration and the helpers.

mod harness;

mod bad_input;
mod cli;
mod conditions;
mod direct_credentials;
mod files;
mod isolation;
mod listing;
mod tokens;
