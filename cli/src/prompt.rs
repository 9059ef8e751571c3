//! Questions a command asks: on the terminal (a password without echo), or, with
//! `--password-stdin`, from standard input's lines in order, for scripts.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

pub struct Answers {
    stdin: bool,
}

impl Answers {
    /// `stdin`: the answers come from standard input's lines.
    pub fn new(stdin: bool) -> Answers {
        Answers { stdin }
    }

    pub fn scripted(&self) -> bool {
        self.stdin
    }

    /// Whether a person can be asked on the terminal.
    pub fn interactive(&self) -> bool {
        !self.stdin && std::io::stdin().is_terminal()
    }

    /// A line of text; with no terminal to ask on, the option `flag` is named.
    pub fn line(&self, prompt: &str, flag: &str) -> Result<String> {
        if self.stdin {
            return next_line();
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(format!("no terminal to ask on: use {flag}")));
        }
        let mut stderr = std::io::stderr();
        let _ = write!(stderr, "{prompt}");
        let _ = stderr.flush();
        next_line()
    }

    /// A secret (a password): not echoed on a terminal.
    pub fn secret(&self, prompt: &str, flag: &str) -> Result<String> {
        let secret = if self.stdin {
            next_line()?
        } else {
            rpassword::prompt_password(prompt).map_err(|_| {
                Error::Usage(format!("no terminal to read the password from: use {flag}"))
            })?
        };
        if secret.is_empty() {
            return Err(Error::Usage("an empty password".into()));
        }
        Ok(secret)
    }
}

/// The next line of standard input, without its line ending.
fn next_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::local("cannot read", "standard input", e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
