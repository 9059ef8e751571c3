//! Steps 1–4 of the request flow: who is calling.
//!
//! [`token`] finds the ID token and verifies it locally (no AWS call for a bad one);
//! [`users`] checks the user may still act (the record of user changes, read once per
//! TTL per environment; AdminGetUser only where it cannot answer); [`team`] reads the
//! caller's team from the token; [`identity`] exchanges the token at the identity pool
//! for the caller's credentials (the Identity ID from the token's claim when it has
//! one). [`backend`] is every AWS call of steps 3–4 behind one trait, and [`cache`]
//! the caches they keep, on a [`crate::clock::Clock`], so the fleet model can drive
//! them through simulated hours. What comes out — a [`Caller`] and its
//! [`UserCredentials`] — is all [`crate::storage`] may build keys from.

pub mod backend;
mod cache;
mod identity;
mod team;
mod token;
mod users;

pub use backend::{AwsBackend, Backend};
pub(crate) use identity::is_identity_id;
pub use identity::{IdentityBroker, MAX_IDENTITY_ID_BYTES, UserCredentials};
pub use team::{MAX_TEAM_BYTES, Membership, Team};
pub use token::{Claims, TokenVerifier, extract};
pub use users::{RECORD_REACH, UserDirectory};

/// A caller whose token verified locally. No AWS call has been made yet.
pub struct Caller<'r> {
    pub(crate) token: &'r str,
    pub claims: Claims,
}
