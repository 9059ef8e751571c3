//! Cognito's refusals in words. The exception's name decides; its text is shown only
//! where it is a rule the person must follow (a password policy), never otherwise.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};

use crate::config::Settings;
use crate::error::Error;

/// What the client was doing when Cognito answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SignIn,
    Refresh,
    Revoke,
    SecondFactor,
    SignUp,
    Confirm,
    ResetPassword,
}

pub fn cognito_error<E: ProvideErrorMetadata, R>(
    settings: &Settings,
    error: SdkError<E, R>,
    step: Step,
) -> Error {
    let code = error.code().map(str::to_owned);
    let rule = || {
        // Cognito's InvalidPasswordException names the rule that failed ("Password
        // must have uppercase characters"); that text is the person's to read.
        let text: String = error
            .message()
            .unwrap_or("the password does not meet the pool's rules")
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        Error::Invalid(
            text.trim_start_matches("Password did not conform with policy: ")
                .to_owned(),
        )
    };
    match (code.as_deref(), step) {
        (Some("NotAuthorizedException" | "UserNotFoundException"), Step::Refresh) => {
            Error::SignedOut
        }
        (Some("NotAuthorizedException"), Step::SignUp) => Error::SignInRefused(
            "this pool does not let people sign themselves up: ask its operator for an invitation"
                .into(),
        ),
        (Some("NotAuthorizedException"), Step::SecondFactor) => Error::SignInRefused(
            "the sign-in took too long; sign in again".into(),
        ),
        (Some("NotAuthorizedException" | "UserNotFoundException"), Step::SignIn) => {
            Error::SignInRefused("wrong email or password".into())
        }
        (Some("UserNotFoundException"), Step::Confirm | Step::ResetPassword) => {
            Error::SignInRefused("no account with that email".into())
        }
        (Some("NotAuthorizedException"), Step::Confirm) => {
            Error::SignInRefused("the account is already confirmed: sign in".into())
        }
        (Some("UserNotConfirmedException"), _) => Error::SignInRefused(
            "the account is not confirmed yet: run homedir confirm (--resend for a new code)"
                .into(),
        ),
        (Some("PasswordResetRequiredException"), _) => Error::SignInRefused(
            "the account needs a password reset: run homedir reset-password".into(),
        ),
        (Some("UsernameExistsException"), _) => Error::Invalid(
            "an account with that email exists: sign in, or run homedir reset-password".into(),
        ),
        (Some("InvalidPasswordException"), _) => rule(),
        // At sign-in the code is the authenticator app's, not one that was sent.
        (Some("CodeMismatchException"), Step::SecondFactor) => Error::Invalid(
            "that code is not right; enter the current code from your authenticator app".into(),
        ),
        (Some("CodeMismatchException"), _) => {
            Error::Invalid("that code is not the one sent; check it and try again".into())
        }
        (Some("ExpiredCodeException"), Step::SecondFactor) => {
            Error::Invalid("that code has expired; use the current one".into())
        }
        (Some("ExpiredCodeException"), _) => Error::Invalid(
            "that code has expired; ask for a new one (homedir confirm --resend, or homedir reset-password again)"
                .into(),
        ),
        (Some("SoftwareTokenMFANotFoundException"), _) => Error::Forbidden(
            "this stack does not offer authenticator apps (its user pool's TOTP MFA is off); \
             ask its operator"
                .into(),
        ),
        (Some("EnableSoftwareTokenMFAException"), _) => {
            Error::Invalid("that code is not right for the new key; try the next one".into())
        }
        (Some("LimitExceededException" | "TooManyFailedAttemptsException"), _) => {
            Error::Unavailable("too many attempts; wait a while and try again".into())
        }
        (Some("CodeDeliveryFailureException"), _) => {
            Error::Unavailable("Cognito could not send the code; try again later".into())
        }
        (Some("ResourceNotFoundException"), _) if settings.cognito_endpoint.is_some() => {
            Error::NotConfigured(
                "the local stack no longer has this configuration's app client (was make dev \
                 started afresh?): run homedir config --local again, then homedir login"
                    .into(),
            )
        }
        (Some("ResourceNotFoundException"), _) => Error::NotConfigured(format!(
            "Cognito knows no app client {} in {}: check `homedir config`",
            settings.client_id, settings.region
        )),
        (Some("InvalidParameterException"), Step::SignIn) => Error::NotConfigured(
            "the app client does not allow password sign-in (USER_PASSWORD_AUTH)".into(),
        ),
        (Some("InvalidParameterException"), _) => {
            Error::Invalid("Cognito refused the request as malformed".into())
        }
        (Some("TooManyRequestsException"), _) => {
            Error::Unavailable("Cognito is throttling requests; retry shortly".into())
        }
        (Some("UnsupportedTokenTypeException"), Step::Revoke) => Error::Service(
            "Cognito cannot revoke this session's refresh token".into(),
        ),
        (_, _) if matches!(error, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => {
            Error::Unavailable(format!(
                "cannot reach Cognito{}",
                settings
                    .cognito_endpoint
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_else(|| format!(" in {}", settings.region))
            ))
        }
        (Some(code), _) => Error::Service(format!("Cognito refused the request ({code})")),
        (None, _) => Error::Service("Cognito's answer could not be understood".into()),
    }
}
