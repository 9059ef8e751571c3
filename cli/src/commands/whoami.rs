//! `whoami`: the signed-in account (its email, from the saved tokens), its Identity ID
//! (which names its home) and its team, as the API sees them (`GET /list?whoami=1`),
//! and the S3 paths of the home and the team space, where the AWS tools reach them
//! with `homedir credentials` (docs/s3-tools.md).
//! A team set or changed by an operator shows with the next ID token (within an hour,
//! or at the next `homedir login`).

use homedir_wire::{Whoami, routes};
use http::Method;

use super::emit;
use crate::api::Api;
use crate::auth::Tokens;
use crate::error::{Error, Result};

pub async fn whoami(api: &Api) -> Result<()> {
    // First the API: it renews the token if needed, or says "signed out".
    let who: Whoami = api
        .call(Method::GET, routes::LIST)
        .query("whoami", "1")
        .send()
        .await?
        .json()?;
    let tokens = Tokens::load(&api.settings)?.ok_or(Error::SignedOut)?;
    let mut lines = lines(&tokens.email, &who);
    lines.extend(super::credentials::paths(&api.settings, &who));
    emit(&lines)?;
    if api.settings.bucket.is_empty() {
        eprintln!(
            "homedir: the configuration names no bucket, so no S3 path is shown: run homedir \
             config --stack NAME or homedir config --local again"
        );
    }
    Ok(())
}

/// `email`, `identity id` and `team` lines, aligned as `homedir config` aligns its own.
fn lines(email: &str, who: &Whoami) -> Vec<String> {
    vec![
        format!("email        {email}"),
        format!("identity id  {}", who.identity_id),
        format!(
            "team         {}",
            who.team.as_deref().unwrap_or("(no team)")
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_and_an_account_without_a_team() {
        let mut who = Whoami {
            identity_id: "eu-west-1:1234".into(),
            team: Some("acme".into()),
        };
        assert_eq!(
            lines("a@example.com", &who),
            [
                "email        a@example.com",
                "identity id  eu-west-1:1234",
                "team         acme"
            ]
        );
        let settings = crate::config::Settings {
            bucket: "b".into(),
            ..Default::default()
        };
        assert_eq!(
            super::super::credentials::paths(&settings, &who),
            [
                "home         s3://b/home/eu-west-1:1234/",
                "team space   s3://b/teams/acme/"
            ]
        );
        who.team = None;
        assert_eq!(lines("a@example.com", &who)[2], "team         (no team)");
        assert_eq!(
            super::super::credentials::paths(&settings, &who),
            ["home         s3://b/home/eu-west-1:1234/"]
        );
    }
}
