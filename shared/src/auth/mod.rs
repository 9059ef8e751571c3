//! Steps 1–4 of the request flow: who is calling.
//!
//! [`token`] finds the ID token and verifies it locally (no AWS call for a bad one);
//! [`users`] checks the user still exists and is enabled (AdminGetUser, cached
//! briefly); [`team`] reads the caller's team from the token; [`identity`] exchanges the token at the identity pool for the caller's
//! Identity ID and temporary credentials (cached per token). What comes out — a
//! [`Caller`] and its [`UserCredentials`] — is all [`crate::storage`] may build keys
//! from.

mod identity;
mod team;
mod token;
mod users;

pub(crate) use identity::is_identity_id;
pub use identity::{IdentityBroker, MAX_IDENTITY_ID_BYTES, UserCredentials};
pub use team::{MAX_TEAM_BYTES, Membership, Team};
pub use token::{Claims, TokenVerifier, extract};
pub use users::UserDirectory;

/// A caller whose token verified locally. No AWS call has been made yet.
pub struct Caller<'r> {
    pub(crate) token: &'r str,
    pub claims: Claims,
}
