//! The steps a sign-in may ask for after the password: the second factor, a TOTP code
//! from an authenticator app (Cognito's `SOFTWARE_TOKEN_MFA`), setting one up
//! (`MFA_SETUP` at sign-in when the pool requires MFA; `homedir mfa` for a signed-in
//! user when it is optional), and an invited user's new password
//! (`NEW_PASSWORD_REQUIRED`).
//! <https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa-totp.html>

use aws_sdk_cognitoidentityprovider::types::{
    AuthenticationResultType, ChallengeNameType, SoftwareTokenMfaSettingsType,
    VerifySoftwareTokenResponseType,
};

use super::errors::{Step, cognito_error};
use super::{Tokens, cognito, signed_in};
use crate::config::Settings;
use crate::error::{Error, Result};

/// Where a sign-in stands.
pub enum SignIn {
    Done(Tokens),
    /// Cognito wants the current code of the user's authenticator app.
    Code {
        session: String,
    },
    /// The pool requires MFA and the user has none yet: set one up first.
    SetUp {
        session: String,
    },
    /// An invited user's first sign-in with the emailed temporary password: choose a
    /// new one (`NEW_PASSWORD_REQUIRED`).
    NewPassword {
        session: String,
    },
}

impl SignIn {
    pub(crate) fn from_answer(
        settings: &Settings,
        email: &str,
        result: Option<&AuthenticationResultType>,
        challenge: Option<&ChallengeNameType>,
        session: Option<&str>,
    ) -> Result<SignIn> {
        if let Some(result) = result {
            return signed_in(settings, email, result).map(SignIn::Done);
        }
        let session = session.unwrap_or_default().to_owned();
        match challenge {
            Some(ChallengeNameType::SoftwareTokenMfa) => Ok(SignIn::Code { session }),
            Some(ChallengeNameType::MfaSetup) => Ok(SignIn::SetUp { session }),
            Some(ChallengeNameType::NewPasswordRequired) => Ok(SignIn::NewPassword { session }),
            other => Err(Error::SignInRefused(format!(
                "Cognito asks for {} (a new password or another kind of second factor), which \
                 this client does not support; complete it once in another client, then sign in again",
                other.map(|c| c.as_str()).unwrap_or("another step")
            ))),
        }
    }
}

/// Answers `SOFTWARE_TOKEN_MFA` with the app's current `code`.
pub async fn answer_code(
    settings: &Settings,
    email: &str,
    session: &str,
    code: &str,
) -> Result<SignIn> {
    respond(
        settings,
        email,
        session,
        ChallengeNameType::SoftwareTokenMfa,
        ("SOFTWARE_TOKEN_MFA_CODE", code),
    )
    .await
}

/// Answers `NEW_PASSWORD_REQUIRED` (an invitation's temporary password) with the
/// person's own new password.
pub async fn new_password(
    settings: &Settings,
    email: &str,
    session: &str,
    password: &str,
) -> Result<SignIn> {
    respond(
        settings,
        email,
        session,
        ChallengeNameType::NewPasswordRequired,
        ("NEW_PASSWORD", password),
    )
    .await
}

/// Answers the sign-in's `challenge` with one response beside the user name, and reads
/// what Cognito says next.
async fn respond(
    settings: &Settings,
    email: &str,
    session: &str,
    challenge: ChallengeNameType,
    (name, value): (&str, &str),
) -> Result<SignIn> {
    let output = cognito(settings)
        .respond_to_auth_challenge()
        .client_id(&settings.client_id)
        .challenge_name(challenge)
        .session(session)
        .challenge_responses("USERNAME", email)
        .challenge_responses(name, value)
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SecondFactor))?;
    SignIn::from_answer(
        settings,
        email,
        output.authentication_result(),
        output.challenge_name(),
        output.session(),
    )
}

/// A new TOTP key for the user (by the sign-in's session, or by a signed-in user's
/// access token): its secret, and the session to verify it with.
pub async fn new_key(settings: &Settings, by: &Holder<'_>) -> Result<(String, Option<String>)> {
    let request = cognito(settings).associate_software_token();
    let request = match by {
        Holder::Session(session) => request.session(*session),
        Holder::AccessToken(token) => request.access_token(*token),
    };
    let output = request
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SecondFactor))?;
    let secret = output
        .secret_code()
        .ok_or_else(|| Error::Service("Cognito's answer carries no key".into()))?;
    Ok((secret.to_owned(), output.session().map(str::to_owned)))
}

/// Who is setting up a key.
pub enum Holder<'a> {
    Session(&'a str),
    AccessToken(&'a str),
}

/// Verifies the first code of the new key; the session to finish a sign-in with.
pub async fn verify_key(
    settings: &Settings,
    by: &Holder<'_>,
    code: &str,
) -> Result<Option<String>> {
    let request = cognito(settings)
        .verify_software_token()
        .user_code(code)
        .friendly_device_name("homedir");
    let request = match by {
        Holder::Session(session) => request.session(*session),
        Holder::AccessToken(token) => request.access_token(*token),
    };
    let output = request
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SecondFactor))?;
    if output.status() != Some(&VerifySoftwareTokenResponseType::Success) {
        return Err(Error::Invalid(
            "that code is not right for the new key; try the next one".into(),
        ));
    }
    Ok(output.session().map(str::to_owned))
}

/// Finishes a sign-in whose `MFA_SETUP` the verified key answered.
pub async fn finish_set_up(settings: &Settings, email: &str, session: &str) -> Result<SignIn> {
    let output = cognito(settings)
        .respond_to_auth_challenge()
        .client_id(&settings.client_id)
        .challenge_name(ChallengeNameType::MfaSetup)
        .session(session)
        .challenge_responses("USERNAME", email)
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SecondFactor))?;
    SignIn::from_answer(
        settings,
        email,
        output.authentication_result(),
        output.challenge_name(),
        output.session(),
    )
}

/// Makes the verified key the signed-in user's second factor (SetUserMFAPreference).
pub async fn prefer_key(settings: &Settings, access_token: &str) -> Result<()> {
    cognito(settings)
        .set_user_mfa_preference()
        .access_token(access_token)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .map(drop)
        .map_err(|e| cognito_error(settings, e, Step::SecondFactor))
}

/// The `otpauth://` URI authenticator apps read (as a QR code or pasted).
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    let label: String = email
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("otpauth://totp/homedir:{label}?secret={secret}&issuer=homedir")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_names_the_account_and_carries_the_key() {
        assert_eq!(
            otpauth_uri("a+b@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/homedir:a_b@example.com?secret=JBSWY3DPEHPK3PXP&issuer=homedir"
        );
    }
}
