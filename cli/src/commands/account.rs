//! `login`, `logout`, `signup`, `confirm`, `reset-password` and `mfa`: the account at
//! the user pool. Questions are asked on the terminal; with `--password-stdin` the
//! answers come from standard input's lines, in order (the password, then any code).

use super::emit;
use crate::auth::account;
use crate::auth::challenge::{self, Holder, SignIn};
use crate::auth::{self, SignedOut, Tokens};
use crate::cli::{Confirm, Login, ResetPassword, Signup};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::prompt::Answers;

pub async fn login(args: Login) -> Result<()> {
    let settings = Settings::load()?;
    let answers = Answers::new(args.password_stdin);
    let email = email(args.email, &answers)?;
    let password = answers.secret("Password: ", "--password-stdin")?;
    let mut step = auth::login(&settings, &email, &password).await?;
    let mut code = args.code;
    loop {
        step = match step {
            SignIn::Done(tokens) => return emit(&[format!("signed in as {}", tokens.email)]),
            SignIn::Code { session } => {
                let code = match code.take() {
                    Some(code) => code,
                    None => answers.line("Code from your authenticator app: ", "--code")?,
                };
                let code = app_code(&code, "--code CODE")?;
                challenge::answer_code(&settings, &email, &session, code).await?
            }
            SignIn::NewPassword { session } => {
                emit(&["this is an invitation's temporary password: choose your own".into()])?;
                let password = answers.secret("New password: ", "--password-stdin")?;
                challenge::new_password(&settings, &email, &session, &password).await?
            }
            SignIn::SetUp { session } => {
                let holder = Holder::Session(&session);
                let (secret, session) = challenge::new_key(&settings, &holder).await?;
                show_key(&email, &secret)?;
                let holder = Holder::Session(session.as_deref().unwrap_or_default());
                let code = answers.line("Code the app shows for it: ", "--password-stdin")?;
                let code = app_code(&code, "its code on the line after the password")?;
                let verified = challenge::verify_key(&settings, &holder, code).await?;
                challenge::finish_set_up(&settings, &email, verified.as_deref().unwrap_or_default())
                    .await?
            }
        };
    }
}

/// An authenticator app's code as typed or read: an empty one (standard input ended
/// before it) is not sent to Cognito, which would only call it malformed.
fn app_code<'a>(code: &'a str, how: &str) -> Result<&'a str> {
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::Usage(format!(
            "the current code of your authenticator app is needed: give {how}"
        )));
    }
    Ok(code)
}

/// The email of the command, or asked for.
fn email(given: Option<String>, answers: &Answers) -> Result<String> {
    let email = match given {
        Some(email) => email,
        None if answers.scripted() => {
            return Err(Error::Usage(
                "--password-stdin needs --email (standard input holds the password)".into(),
            ));
        }
        None => answers.line("Email: ", "--email")?,
    };
    let email = email.trim().to_owned();
    if email.is_empty() {
        return Err(Error::Usage("an email is required".into()));
    }
    Ok(email)
}

/// A new TOTP key, on standard output: the person adds it to their authenticator app.
fn show_key(email: &str, secret: &str) -> Result<()> {
    emit(&[
        "Add this key to your authenticator app (or open the link on your phone):".into(),
        format!("  key: {secret}"),
        format!("  {}", challenge::otpauth_uri(email, secret)),
    ])
}

pub async fn logout() -> Result<()> {
    // Signed out at Cognito too, if the configuration still says where it is.
    let settings = Settings::load().ok();
    let message = match auth::logout(settings.as_ref()).await {
        Ok(SignedOut::Revoked) => {
            "signed out: the refresh token is revoked at Cognito and the saved tokens are deleted"
                .to_owned()
        }
        Ok(SignedOut::NotSignedIn) => "not signed in".to_owned(),
        Err(e) => {
            return Err(Error::Unavailable(format!(
                "the saved tokens are deleted, but the refresh token could not be revoked ({e}); \
                 it stays valid at Cognito until it expires"
            )));
        }
    };
    emit(&[message])
}

pub async fn signup(args: Signup) -> Result<()> {
    let settings = Settings::load()?;
    let answers = Answers::new(args.password_stdin);
    let email = email(args.email, &answers)?;
    let password = answers.secret("Choose a password: ", "--password-stdin")?;
    if !answers.scripted() && answers.secret("Repeat it: ", "--password-stdin")? != password {
        return Err(Error::Usage("the two passwords differ".into()));
    }
    let (needs_code, sent_to) = account::sign_up(&settings, &email, &password).await?;
    if !needs_code {
        return emit(&[format!("signed up as {email}; sign in with homedir login")]);
    }
    emit(&[format!(
        "signed up as {email}; a confirmation code was sent to {sent_to}"
    )])?;
    if !answers.interactive() {
        return emit(&[format!(
            "confirm with: homedir confirm --email {email} --code CODE"
        )]);
    }
    let code = answers.line("Confirmation code: ", "--code")?;
    account::confirm(&settings, &email, code.trim()).await?;
    emit(&["confirmed; sign in with homedir login".into()])
}

pub async fn confirm(args: Confirm) -> Result<()> {
    let settings = Settings::load()?;
    let answers = Answers::new(false);
    let email = email(args.email, &answers)?;
    if args.resend {
        let sent_to = account::resend(&settings, &email).await?;
        return emit(&[format!("a new confirmation code was sent to {sent_to}")]);
    }
    let code = match args.code {
        Some(code) => code,
        None => answers.line("Confirmation code: ", "--code")?,
    };
    account::confirm(&settings, &email, code.trim()).await?;
    emit(&["confirmed; sign in with homedir login".into()])
}

pub async fn reset_password(args: ResetPassword) -> Result<()> {
    let settings = Settings::load()?;
    let answers = Answers::new(args.password_stdin);
    let email = email(args.email, &answers)?;
    let code = match args.code {
        Some(code) => code,
        None => {
            let sent_to = account::forgot(&settings, &email).await?;
            emit(&[format!(
                "a code to reset the password was sent to {sent_to}"
            )])?;
            if !answers.interactive() && !answers.scripted() {
                return emit(&[format!(
                    "then run: homedir reset-password --email {email} --code CODE"
                )]);
            }
            answers.line("Code from the email: ", "--code")?
        }
    };
    let password = answers.secret("New password: ", "--password-stdin")?;
    account::reset(&settings, &email, code.trim(), &password).await?;
    // Every session of the old password is over: this one too.
    let _ = auth::logout(None).await;
    emit(&["the password is reset; sign in with homedir login".into()])
}

/// `mfa`: an authenticator app as the signed-in user's second factor.
pub async fn mfa(password_stdin: bool) -> Result<()> {
    let settings = Settings::load()?;
    let tokens = auth::id_token(&settings, false).await?;
    let tokens = if tokens.access_token.is_empty() {
        // Saved before access tokens were kept: renew once to get one.
        auth::id_token(&settings, true).await?
    } else {
        tokens
    };
    let Tokens {
        email,
        access_token,
        ..
    } = tokens;
    let answers = Answers::new(password_stdin);
    let holder = Holder::AccessToken(&access_token);
    let (secret, _) = challenge::new_key(&settings, &holder).await?;
    show_key(&email, &secret)?;
    let code = answers.line("Code the app shows for it: ", "--code-stdin")?;
    let code = app_code(&code, "--code-stdin with the code on standard input")?;
    challenge::verify_key(&settings, &holder, code).await?;
    challenge::prefer_key(&settings, &access_token).await?;
    emit(&["the authenticator app is now your second factor at sign-in".into()])
}
