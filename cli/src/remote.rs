//! Remote paths: where a command's file or folder is, in which of the caller's spaces.
//! The one place a command-line argument becomes a space and a key, and the one place
//! a space and a key become the text shown for them.
//!
//! The grammar (`homedir --help`, docs/cli.md "Spaces"):
//! - `team:KEY` is KEY in the team's space (`space=team`); `team:` alone is its top
//!   level;
//! - `home:KEY` is KEY in your home, explicitly; `home:` alone is its top level;
//! - anything else is a key in your home, as always.
//!
//! Only the first prefix is read, and only in lower case: `home:team:x` is the home's
//! file named `team:x`, `Team:x` a home file of that name. Local paths (`put`'s FILE,
//! `get`'s target) are never read as remote paths, so a local file named `team:x` needs
//! nothing special (`./team:x` works too). What is shown is what can be typed back: a
//! team key with `team:`, a home key as it is, unless it starts with a prefix itself
//! (then with `home:`).

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use homedir_wire::routes::Space;

use crate::human::visible;

const TEAM: &str = "team:";
const HOME: &str = "home:";

/// A file or folder in one of the caller's spaces, as a command names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub space: Space,
    /// Relative to the space's top level; empty for the top level itself.
    pub key: String,
}

impl Remote {
    pub fn new(space: Space, key: impl Into<String>) -> Remote {
        Remote {
            space,
            key: key.into(),
        }
    }

    /// A file or folder in your home.
    pub fn home(key: impl Into<String>) -> Remote {
        Remote::new(Space::Home, key)
    }

    /// Reads a command-line argument (see the module's comment); every text is a path.
    pub fn parse(arg: &str) -> Remote {
        if let Some(key) = arg.strip_prefix(TEAM) {
            Remote::new(Space::Team, key)
        } else if let Some(key) = arg.strip_prefix(HOME) {
            Remote::home(key)
        } else {
            Remote::home(arg)
        }
    }

    /// Another key in the same space.
    pub fn with_key(&self, key: impl Into<String>) -> Remote {
        Remote::new(self.space, key)
    }

    /// The space's top level (`team:`, `home:`, or nothing at all).
    pub fn is_top(&self) -> bool {
        self.key.is_empty()
    }

    /// The space in words, for messages: `your home`, `the team's space`.
    pub fn space_name(&self) -> &'static str {
        match self.space {
            Space::Home => "your home",
            Space::Team => "the team's space",
        }
    }
}

impl FromStr for Remote {
    type Err = Infallible;

    fn from_str(arg: &str) -> Result<Remote, Infallible> {
        Ok(Remote::parse(arg))
    }
}

/// What can be typed back, each key shown for what it is (see [`visible`]): `team:q3/a`,
/// `notes/a.txt`, `home:team:x` (a home file named `team:x`), `team:` (the top level).
impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.space {
            Space::Team => TEAM,
            Space::Home if self.key.starts_with(TEAM) || self.key.starts_with(HOME) => HOME,
            Space::Home if self.key.is_empty() => HOME,
            Space::Home => "",
        };
        write!(f, "{prefix}{}", visible(&self.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(arg: &str) -> (Space, String) {
        let remote = Remote::parse(arg);
        (remote.space, remote.key)
    }

    #[test]
    fn a_prefix_names_the_space_and_the_rest_is_the_key() {
        assert_eq!(parsed("notes/a.txt"), (Space::Home, "notes/a.txt".into()));
        assert_eq!(
            parsed("team:q3/report.pdf"),
            (Space::Team, "q3/report.pdf".into())
        );
        assert_eq!(parsed("team:q3/"), (Space::Team, "q3/".into()));
        assert_eq!(
            parsed("home:notes/a.txt"),
            (Space::Home, "notes/a.txt".into())
        );
        assert_eq!(
            "team:x".parse::<Remote>().unwrap(),
            Remote::new(Space::Team, "x")
        );
    }

    #[test]
    fn a_prefix_alone_is_the_space_s_top_level() {
        for (arg, space) in [
            ("team:", Space::Team),
            ("home:", Space::Home),
            ("", Space::Home),
        ] {
            let remote = Remote::parse(arg);
            assert_eq!(remote.space, space, "{arg:?}");
            assert!(remote.is_top(), "{arg:?}");
        }
        assert!(!Remote::parse("team:a").is_top());
    }

    #[test]
    fn only_the_first_lower_case_prefix_is_read() {
        assert_eq!(parsed("home:team:x"), (Space::Home, "team:x".into()));
        assert_eq!(parsed("team:team:x"), (Space::Team, "team:x".into()));
        assert_eq!(parsed("team:home:x"), (Space::Team, "home:x".into()));
        assert_eq!(parsed("Team:x"), (Space::Home, "Team:x".into()));
        assert_eq!(parsed("TEAM:x"), (Space::Home, "TEAM:x".into()));
        assert_eq!(parsed("teams:x"), (Space::Home, "teams:x".into()));
        assert_eq!(parsed("team"), (Space::Home, "team".into()));
        assert_eq!(parsed(" team:x"), (Space::Home, " team:x".into()));
        assert_eq!(parsed("./team:x"), (Space::Home, "./team:x".into()));
        assert_eq!(parsed("a/team:x"), (Space::Home, "a/team:x".into()));
        assert_eq!(parsed("team:/"), (Space::Team, "/".into()));
    }

    #[test]
    fn what_is_shown_reads_back_as_the_same_path() {
        let cases = [
            (Remote::home("notes/a.txt"), "notes/a.txt"),
            (
                Remote::new(Space::Team, "q3/report.pdf"),
                "team:q3/report.pdf",
            ),
            (Remote::new(Space::Team, ""), "team:"),
            (Remote::home(""), "home:"),
            (Remote::home("team:x"), "home:team:x"),
            (Remote::home("home:x"), "home:home:x"),
            (Remote::new(Space::Team, "team:x"), "team:team:x"),
            (Remote::home("Team:x"), "Team:x"),
        ];
        for (remote, shown) in cases {
            assert_eq!(remote.to_string(), shown);
            assert_eq!(Remote::parse(shown), remote, "{shown}");
        }
    }

    #[test]
    fn keys_that_would_lie_are_shown_escaped_after_the_prefix() {
        assert_eq!(
            Remote::new(Space::Team, "a\u{200b}b").to_string(),
            "team:\"a\\u{200b}b\""
        );
        assert_eq!(Remote::new(Space::Team, " x").to_string(), "team:\" x\"");
        assert_eq!(Remote::home("x ").to_string(), "\"x \"");
        // Shown once or twice, the same (errors show what they are given).
        let shown = Remote::new(Space::Team, "z\u{200b} ").to_string();
        assert_eq!(visible(&shown), shown);
    }

    #[test]
    fn with_key_keeps_the_space() {
        let team = Remote::parse("team:q3/");
        assert_eq!(
            team.with_key("q3/a.txt"),
            Remote::new(Space::Team, "q3/a.txt")
        );
        assert_eq!(team.space_name(), "the team's space");
        assert_eq!(Remote::parse("a").space_name(), "your home");
    }
}
