//! The account flows that need no session: signing up and confirming the email, and
//! resetting a forgotten password. Cognito e-mails a code for each; the answers name
//! where it went (masked), never the code.

use super::cognito;
use super::errors::{Step, cognito_error};
use crate::config::Settings;
use crate::error::{Error, Result};

/// Where Cognito sent a code (`a***@e***`), as its answer says.
fn destination(
    details: Option<&aws_sdk_cognitoidentityprovider::types::CodeDeliveryDetailsType>,
) -> String {
    details
        .and_then(|d| d.destination())
        .unwrap_or("your email")
        .to_owned()
}

/// SignUp: the account exists, unconfirmed, and a code is on its way (returned: where
/// to). Whether it needs confirming at all is Cognito's to say (`true` when it does).
pub async fn sign_up(settings: &Settings, email: &str, password: &str) -> Result<(bool, String)> {
    let output = cognito(settings)
        .sign_up()
        .client_id(&settings.client_id)
        .username(email)
        .password(password)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .map_err(|_| Error::Usage("an email is required".into()))?,
        )
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SignUp))?;
    Ok((
        !output.user_confirmed(),
        destination(output.code_delivery_details()),
    ))
}

/// ConfirmSignUp with the emailed code.
pub async fn confirm(settings: &Settings, email: &str, code: &str) -> Result<()> {
    cognito(settings)
        .confirm_sign_up()
        .client_id(&settings.client_id)
        .username(email)
        .confirmation_code(code)
        .send()
        .await
        .map(drop)
        .map_err(|e| cognito_error(settings, e, Step::Confirm))
}

/// ResendConfirmationCode: a new code replaces the old one.
pub async fn resend(settings: &Settings, email: &str) -> Result<String> {
    let output = cognito(settings)
        .resend_confirmation_code()
        .client_id(&settings.client_id)
        .username(email)
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::Confirm))?;
    Ok(destination(output.code_delivery_details()))
}

/// ForgotPassword: a code to set a new password with is on its way.
pub async fn forgot(settings: &Settings, email: &str) -> Result<String> {
    let output = cognito(settings)
        .forgot_password()
        .client_id(&settings.client_id)
        .username(email)
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::ResetPassword))?;
    Ok(destination(output.code_delivery_details()))
}

/// ConfirmForgotPassword: the new password, with the emailed code.
pub async fn reset(settings: &Settings, email: &str, code: &str, password: &str) -> Result<()> {
    cognito(settings)
        .confirm_forgot_password()
        .client_id(&settings.client_id)
        .username(email)
        .confirmation_code(code)
        .password(password)
        .send()
        .await
        .map(drop)
        .map_err(|e| cognito_error(settings, e, Step::ResetPassword))
}
