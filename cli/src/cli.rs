//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::remote::Remote;

/// homedir: your files in your homedir stack, from the command line.
///
/// Configure once (`homedir config --stack NAME`, or `homedir config --local` against
/// `make dev`), sign in (`homedir login`), then use ls, get, put, rm, mv, cp, versions
/// and restore; `homedir whoami` says who you are and which team you belong to;
/// `homedir df` how much of your quota each of your spaces uses;
/// `homedir credentials --setup` lets the AWS CLI, SDKs and rclone reach your home.
///
/// Remote paths: KEY (or home:KEY) is a file or folder in your home; team:KEY is one in
/// your team's space, shared by every member (team: alone is its top level), e.g.
/// `homedir put report.pdf team:q3/`, `homedir cp notes.txt team:`. A home file whose
/// name starts with team: is home:team:NAME; local files are never remote paths.
///
/// Exit codes: 0 ok, 1 no such file, 2 signed out, 3 not configured, 4 precondition
/// failed, 5 forbidden (also: no team), 6 invalid request, 7 unavailable, 8 local file
/// error, 9 service error, 10 no room (the space's quota), 64 usage, 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "homedir", version)]
pub struct Cli {
    /// Show no progress bar or progress lines.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log what the client does (to stderr; never tokens or presigned URLs).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (email and password, and a code from an authenticator app where the
    /// account has one) and keep the tokens in the config directory.
    Login(Login),
    /// Sign out: revoke the refresh token at Cognito and delete the saved tokens.
    Logout,
    /// Create an account (where the stack lets people sign themselves up); a
    /// confirmation code is e-mailed.
    Signup(Signup),
    /// Confirm a new account with the e-mailed code, or ask for a new code (--resend).
    Confirm(Confirm),
    /// Set a new password with a code sent to the account's email.
    ResetPassword(ResetPassword),
    /// Make an authenticator app (TOTP) your second factor at sign-in.
    Mfa(Mfa),
    /// Say where the stack is (saved in the config directory); no option: show it.
    Config(Config),
    /// List a folder (team:FOLDER in the team's space): folders first, then files
    /// with their sizes.
    Ls(Ls),
    /// Download a file (to FILE, to its own name, or to standard output with -).
    Get(Get),
    /// Upload a file; large ones in parallel parts, resumable after an interruption,
    /// and refused before anything is sent if they do not fit the space's quota.
    Put(Put),
    /// Delete a file, or a folder with -r (everything deleted stays restorable).
    Rm(Rm),
    /// Rename a file (a copy, then the source's delete), also between your home and
    /// the team's space.
    Mv(Transfer),
    /// Copy a file, within a space or between your home and the team's space.
    Cp(Transfer),
    /// Bring back an earlier version of a file, or undelete it.
    Restore(Restore),
    /// List the versions of one file, newest first.
    Versions(Versions),
    /// Show who you are signed in as: email, Identity ID and team, and the S3 paths of
    /// your home and your team's space.
    Whoami,
    /// Show how much each of your spaces holds (old versions and the trash included)
    /// of its quota, what is free, and how many file versions that is.
    Df(Df),
    /// Print your own temporary AWS credentials (credential_process JSON) for the AWS
    /// CLI, SDKs and rclone; --setup writes an AWS profile that runs this command.
    Credentials(Credentials),
}

#[derive(Debug, Args)]
pub struct Df {
    /// Only this space: home: (your home) or team: (your team's space). Default: your
    /// home, and your team's space if you belong to a team.
    pub space: Option<Remote>,
}

#[derive(Debug, Args)]
pub struct Credentials {
    /// Write a profile to the AWS config file ($AWS_CONFIG_FILE, else ~/.aws/config):
    /// credential_process = this command, the region, and for a local stack its
    /// endpoint; then show your home's S3 path (and your team space's).
    #[arg(long)]
    pub setup: bool,
    /// With --setup: the profile's name (default homedir; default is the default
    /// profile).
    #[arg(long, value_name = "NAME", requires = "setup")]
    pub profile: Option<String>,
    /// With --setup: print the profile on standard output instead of writing it.
    #[arg(long, requires = "setup")]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct Login {
    /// The account's email (asked for when missing).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from standard input (its first line) instead of the terminal;
    /// a code asked for later comes from the next line.
    #[arg(long)]
    pub password_stdin: bool,
    /// The current code of your authenticator app, when the account has one.
    #[arg(long)]
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct Signup {
    /// The new account's email (asked for when missing).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from standard input (its first line) instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct Confirm {
    /// The account's email (asked for when missing).
    #[arg(long)]
    pub email: Option<String>,
    /// The code from the email (asked for when missing).
    #[arg(long, conflicts_with = "resend")]
    pub code: Option<String>,
    /// Send a new code instead (it replaces the old one).
    #[arg(long)]
    pub resend: bool,
}

#[derive(Debug, Args)]
pub struct ResetPassword {
    /// The account's email (asked for when missing).
    #[arg(long)]
    pub email: Option<String>,
    /// The code from the email, when you already have one (otherwise one is sent).
    #[arg(long)]
    pub code: Option<String>,
    /// Read the code and the new password from standard input's lines (the code first
    /// unless --code is given) instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct Mfa {
    /// Read the app's code from standard input instead of the terminal.
    #[arg(long)]
    pub code_stdin: bool,
}

#[derive(Debug, Args)]
pub struct Config {
    /// A stack: read its outputs (ApiUrl, UserPoolId, UserPoolClientId, Region,
    /// IdentityPoolId, BucketName) from CloudFormation, with your AWS credentials, or from the local emulator's
    /// CloudFormation with --endpoint (`make dev`'s stack is homedir-local).
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    pub stack: Option<String>,
    /// The stack's region (default: your AWS configuration's; us-east-1 with --endpoint).
    #[arg(long, requires = "stack")]
    pub region: Option<String>,
    /// With --stack: the AWS endpoint to ask instead of AWS's, the local emulator
    /// (`make dev`: http://127.0.0.1:5000); Cognito is then reached there too, and the
    /// API is the functions `make dev` serves (see --port) unless the stack has an
    /// ApiUrl. Default: $AWS_ENDPOINT_URL, as the AWS SDKs read it.
    #[arg(long, value_name = "URL", requires = "stack")]
    pub endpoint: Option<String>,
    /// `make dev`: read the settings it writes (default .local/stack.env) and use the
    /// functions it serves on 127.0.0.1.
    #[arg(long, value_name = "ENV_FILE", num_args = 0..=1,
          default_missing_value = ".local/stack.env")]
    pub local: Option<PathBuf>,
    /// With --local, or --stack of the local emulator: the port `make dev` serves the
    /// functions on (default $WATCH_PORT or 9000).
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct Ls {
    /// The folder to list (default: your home's top level; team: the team's).
    pub prefix: Option<Remote>,
    /// Also show each file's last modification time and ETag.
    #[arg(short, long)]
    pub long: bool,
    /// Every version and deletion under the folder, newest first per file.
    #[arg(long, conflicts_with = "deleted")]
    pub versions: bool,
    /// The trash: deleted files under the folder (restore them with `homedir restore`).
    #[arg(long)]
    pub deleted: bool,
}

#[derive(Debug, Args)]
pub struct Get {
    /// The file: docs/report.pdf in your home, team:docs/report.pdf in the team's space.
    pub key: Remote,
    /// Where to write it: a file, a directory, or - for standard output (default: the
    /// key's last segment in the current directory). An existing file is replaced, as
    /// cp replaces one (written whole to a temporary file first), unless --no-clobber.
    pub target: Option<PathBuf>,
    /// Keep an existing local file: download nothing (exit 4) if FILE exists.
    #[arg(short = 'n', long)]
    pub no_clobber: bool,
}

#[derive(Debug, Args)]
pub struct Put {
    /// The local file to upload.
    pub file: PathBuf,
    /// The key to write (default: the file's name in your home). A key ending in / is
    /// a folder, and so is team: alone: the file's name is appended. team:KEY writes to
    /// the team's space.
    pub key: Option<Remote>,
    /// Only create: fail (exit 4) if the key already exists, checked before anything is
    /// sent and again when the upload completes (If-None-Match: *).
    #[arg(long)]
    pub if_absent: bool,
    /// The content type to store (default: guessed from the extension).
    #[arg(long)]
    pub content_type: Option<String>,
}

#[derive(Debug, Args)]
pub struct Rm {
    /// A file (team:KEY in the team's space), or with -r a folder (ending with /).
    pub key: Remote,
    /// Delete the folder KEY and everything under it.
    #[arg(short, long)]
    pub recursive: bool,
    /// A missing file is not an error (exit 0). Either way a missing file is not
    /// "deleted": nothing is written to its history.
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct Transfer {
    /// The file to move or copy (team:KEY: from the team's space).
    pub source: Remote,
    /// The destination key (team:KEY: in the team's space); ending in /, or team: alone,
    /// it is a folder and the source's name is kept.
    pub destination: Remote,
    /// Fail (exit 4) if the destination already exists.
    #[arg(long)]
    pub if_absent: bool,
}

#[derive(Debug, Args)]
pub struct Restore {
    /// The file to restore, or with -r a folder (ending with /) whose deleted files to
    /// bring back; team:KEY in the team's space.
    pub key: Remote,
    /// The version to restore (see `homedir versions KEY`). Default: for a deleted
    /// file, its last version (undelete); otherwise the version before the current one.
    pub version: Option<String>,
    /// Restore every deleted file under the folder KEY (files written again since
    /// their deletion are left as they are).
    #[arg(short, long, conflicts_with = "version")]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct Versions {
    /// The file whose versions to list (team:KEY in the team's space).
    pub key: Remote,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("homedir").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments_parse_as_documented() {
        let cli = parse(&["config", "--local"]).unwrap();
        let Command::Config(c) = cli.command else {
            panic!()
        };
        assert_eq!(
            c.local.as_deref(),
            Some(std::path::Path::new(".local/stack.env"))
        );
        let cli = parse(&["config", "--local", "x.env", "--port", "9100"]).unwrap();
        let Command::Config(c) = cli.command else {
            panic!()
        };
        assert_eq!(
            (c.local.unwrap(), c.port),
            (PathBuf::from("x.env"), Some(9100))
        );
        assert!(parse(&["config", "--stack", "s", "--local"]).is_err());
        assert!(parse(&["config", "--region", "eu-west-1"]).is_err());
        let cli = parse(&[
            "config",
            "--stack",
            "homedir-local",
            "--endpoint",
            "http://127.0.0.1:5000",
            "--port",
            "9100",
        ])
        .unwrap();
        let Command::Config(c) = cli.command else {
            panic!()
        };
        assert_eq!(
            (c.stack.as_deref(), c.endpoint.as_deref(), c.port),
            (
                Some("homedir-local"),
                Some("http://127.0.0.1:5000"),
                Some(9100)
            )
        );
        assert!(parse(&["config", "--endpoint", "http://127.0.0.1:5000"]).is_err());

        let cli = parse(&["-q", "put", "a.bin", "docs/", "--if-absent"]).unwrap();
        assert!(cli.quiet);
        let Command::Put(p) = cli.command else {
            panic!()
        };
        assert_eq!((p.key, p.if_absent), (Some(Remote::home("docs/")), true));

        let cli = parse(&["rm", "-r", "photos/", "-v"]).unwrap();
        assert!(cli.verbose);
        let Command::Rm(r) = cli.command else {
            panic!()
        };
        assert!(r.recursive && !r.force);

        assert!(parse(&["ls", "--versions", "--deleted"]).is_err());
        let Command::Get(g) = parse(&["get", "a.txt", "-"]).unwrap().command else {
            panic!()
        };
        assert_eq!(g.target, Some(PathBuf::from("-")));
        let Command::Restore(r) = parse(&["restore", "a.txt"]).unwrap().command else {
            panic!()
        };
        assert_eq!(r.version, None);
        assert!(parse(&["mv", "a"]).is_err());
    }

    #[test]
    fn remote_paths_are_read_where_commands_take_them_and_local_ones_are_not() {
        use homedir_wire::routes::Space;
        let team = |key: &str| Remote::new(Space::Team, key);
        let Command::Put(p) = parse(&["put", "team:x", "team:q3/"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            (p.file, p.key),
            (PathBuf::from("team:x"), Some(team("q3/")))
        );
        let Command::Get(g) = parse(&["get", "team:q3/a.pdf", "team:b"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            (g.key, g.target),
            (team("q3/a.pdf"), Some(PathBuf::from("team:b")))
        );
        let Command::Cp(c) = parse(&["cp", "notes.txt", "team:"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            (c.source, c.destination),
            (Remote::home("notes.txt"), team(""))
        );
        let Command::Mv(m) = parse(&["mv", "team:a.txt", "home:b.txt"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            (m.source, m.destination),
            (team("a.txt"), Remote::home("b.txt"))
        );
        let Command::Ls(l) = parse(&["ls", "team:"]).unwrap().command else {
            panic!()
        };
        assert_eq!(l.prefix, Some(team("")));
        let Command::Rm(r) = parse(&["rm", "-r", "team:old/"]).unwrap().command else {
            panic!()
        };
        assert_eq!(r.key, team("old/"));
        let Command::Restore(r) = parse(&["restore", "-r", "team:old/"]).unwrap().command else {
            panic!()
        };
        assert_eq!(r.key, team("old/"));
        let Command::Versions(v) = parse(&["versions", "team:q3/a.pdf"]).unwrap().command else {
            panic!()
        };
        assert_eq!(v.key, team("q3/a.pdf"));
        assert!(matches!(
            parse(&["whoami"]).unwrap().command,
            Command::Whoami
        ));
        assert!(parse(&["whoami", "x"]).is_err());
        let Command::Df(d) = parse(&["df"]).unwrap().command else {
            panic!()
        };
        assert_eq!(d.space, None);
        let Command::Df(d) = parse(&["df", "team:"]).unwrap().command else {
            panic!()
        };
        assert_eq!(d.space, Some(team("")));
        assert!(parse(&["df", "team:", "home:"]).is_err());
    }

    #[test]
    fn credentials_and_its_setup() {
        let Command::Credentials(c) = parse(&["credentials"]).unwrap().command else {
            panic!()
        };
        assert!(!c.setup && !c.print && c.profile.is_none());
        let Command::Credentials(c) =
            parse(&["credentials", "--setup", "--profile", "work", "--print"])
                .unwrap()
                .command
        else {
            panic!()
        };
        assert!(c.setup && c.print);
        assert_eq!(c.profile.as_deref(), Some("work"));
        assert!(parse(&["credentials", "--profile", "work"]).is_err());
        assert!(parse(&["credentials", "--print"]).is_err());
    }
}
