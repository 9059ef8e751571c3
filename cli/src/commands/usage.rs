//! `df`: what each of your spaces holds (`GET /list?usage=1`, with `space=team` for the
//! team's): bytes used of the quota, in human sizes, what is free, and how many file
//! versions that is (old versions and the trash count: they are billed). The team's
//! line shows when `GET /list?whoami=1` names a team. And `put`'s check before a large
//! upload: one usage read, so a file that cannot fit is refused before a byte leaves.

use homedir_wire::routes::Space;
use homedir_wire::{QuotaExceeded, Usage, Whoami, routes};
use http::Method;

use super::emit;
use crate::api::Api;
use crate::cli::Df;
use crate::error::{Error, Result};
use crate::human::bytes;
use crate::remote::Remote;

pub async fn df(api: &Api, args: Df) -> Result<()> {
    let only = match &args.space {
        None => None,
        Some(at) if at.is_top() => Some(at.space),
        Some(at) => {
            return Err(Error::Usage(format!(
                "df takes a space, home: or team:, not a path ({at})"
            )));
        }
    };
    let mut spaces = Vec::new();
    if only != Some(Space::Team) {
        spaces.push((Space::Home, "home".to_owned()));
    }
    if only != Some(Space::Home) {
        let who: Whoami = api
            .call(Method::GET, routes::LIST)
            .query("whoami", "1")
            .send()
            .await?
            .json()?;
        match who.team {
            Some(team) => spaces.push((Space::Team, format!("team {team}"))),
            None if only == Some(Space::Team) => {
                return Err(Error::Forbidden(
                    "your account belongs to no team; an operator adds you to one".into(),
                ));
            }
            None => {}
        }
    }
    let mut lines = Vec::new();
    let mut full = Vec::new();
    for (space, label) in spaces {
        let usage = usage(api, space).await?;
        if usage.over {
            full.push(Remote::new(space, "").space_name());
        }
        lines.push(line(&label, &usage));
    }
    emit(&lines)?;
    for name in full {
        eprintln!(
            "homedir: {name} is full: nothing more can be written there. Deleted and \
             overwritten files count until their old versions expire: delete what you can \
             spare and ask an operator to purge the trash and old versions, or for a larger \
             quota"
        );
    }
    Ok(())
}

/// The usage of one of the caller's spaces.
pub(super) async fn usage(api: &Api, space: Space) -> Result<Usage> {
    api.call(Method::GET, routes::LIST)
        .space(space)
        .query("usage", "1")
        .send()
        .await?
        .json()
}

/// `put`'s check before a multipart upload of `size` bytes to `at`: one usage read; a
/// file that cannot fit is refused in the words of a 507, before anything is sent. A
/// deployment that counts no usage (400) has no quota to check: the API decides.
pub(super) async fn check_room(api: &Api, at: &Remote, size: u64, file: &str) -> Result<()> {
    match usage(api, at.space).await {
        Ok(usage) => match refusal(&usage, size) {
            Some(refused) => Err(Error::quota(at.space, &refused, file)),
            None => Ok(()),
        },
        Err(Error::Invalid(message)) => {
            tracing::debug!(%message, "no usage to check; the API decides");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What the API would answer a write of `size` more bytes, by the rule it applies: a
/// full space refuses everything, and no write may take a space past its quota.
pub fn refusal(usage: &Usage, size: u64) -> Option<QuotaExceeded> {
    let quota = usage.quota_bytes?;
    (usage.bytes >= quota || usage.bytes.saturating_add(size) > quota).then_some(QuotaExceeded {
        used: usage.bytes,
        quota,
        size,
    })
}

/// `home         1.2 GiB of 10.0 GiB (12%), 8.8 GiB free, 412 versions`, aligned as
/// `whoami` aligns its lines.
fn line(label: &str, usage: &Usage) -> String {
    let versions = match usage.versions {
        1 => "1 version".to_owned(),
        n => format!("{n} versions"),
    };
    let used = bytes(usage.bytes);
    let amount = match usage.quota_bytes {
        None => format!("{used} used (no quota)"),
        Some(quota) => {
            let percent = u128::from(usage.bytes) * 100 / u128::from(quota.max(1));
            let free = if usage.over {
                "full".to_owned()
            } else {
                format!("{} free", bytes(quota.saturating_sub(usage.bytes)))
            };
            format!("{used} of {} ({percent}%), {free}", bytes(quota))
        }
    };
    format!("{label:<12} {amount}, {versions}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(bytes: u64, versions: u64, quota: Option<u64>) -> Usage {
        Usage {
            bytes,
            versions,
            quota_bytes: quota,
            over: quota.is_some_and(|q| bytes >= q),
        }
    }

    #[test]
    fn lines_say_used_of_quota_what_is_free_and_the_versions() {
        assert_eq!(
            line("home", &usage(1288490189, 412, Some(10 << 30))),
            "home         1.2 GiB of 10.0 GiB (12%), 8.8 GiB free, 412 versions"
        );
        assert_eq!(
            line("team acme", &usage(0, 0, Some(100 << 30))),
            "team acme    0 B of 100.0 GiB (0%), 100.0 GiB free, 0 versions"
        );
        assert_eq!(
            line("home", &usage(2048, 1, None)),
            "home         2.0 KiB used (no quota), 1 version"
        );
        assert_eq!(
            line("home", &usage(1 << 20, 3, Some(1 << 20))),
            "home         1.0 MiB of 1.0 MiB (100%), full, 3 versions"
        );
        // Past the quota (an upload started under it may complete past it).
        assert_eq!(
            line("home", &usage(3 << 20, 4, Some(2 << 20))),
            "home         3.0 MiB of 2.0 MiB (150%), full, 4 versions"
        );
    }

    #[test]
    fn a_file_is_refused_exactly_when_the_api_would_refuse_it() {
        assert_eq!(refusal(&usage(5, 1, None), u64::MAX), None);
        assert_eq!(refusal(&usage(10, 1, Some(100)), 90), None);
        let refused = |used, size| {
            Some(QuotaExceeded {
                used,
                quota: 100,
                size,
            })
        };
        assert_eq!(refusal(&usage(10, 1, Some(100)), 91), refused(10, 91));
        assert_eq!(refusal(&usage(100, 1, Some(100)), 0), refused(100, 0));
        assert_eq!(
            refusal(&usage(1, 1, Some(100)), u64::MAX),
            refused(1, u64::MAX)
        );
        // A quota of one byte and nothing stored: one byte fits, two do not.
        assert_eq!(refusal(&usage(0, 0, Some(1)), 1), None);
        assert_eq!(
            refusal(&usage(0, 0, Some(1)), 2),
            Some(QuotaExceeded {
                used: 0,
                quota: 1,
                size: 2
            })
        );
    }
}
