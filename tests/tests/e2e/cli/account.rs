//! Getting in with the real client, as a person does without an operator's help:
//! `signup`, `confirm`, `reset-password` with the e-mailed codes, an invitation's
//! temporary password replaced at the first `login`, and `mfa`, an authenticator app
//! as the second factor.

use super::*;

/// Getting in without an operator: `signup` (a code is e-mailed; a script is told how
/// to confirm), `confirm` with the code (a wrong one first, then `--resend` replaces
/// it), `login`; a weak password names the rule; `reset-password` sends a code, then
/// sets a new password with it: the old one is refused, the new one signs in.
#[tokio::test]
async fn signup_confirm_and_reset_password_with_the_emailed_codes() {
    let e2e = E2e::start().await;
    if e2e.target != Target::Local {
        eprintln!("NOT CHECKED on this target: the e-mailed codes are read from the emulator");
        return;
    }
    let pool = e2e.stack.var("USER_POOL_ID");
    let email = format!("homedir-e2e-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = format!("Signup-{}!", uuid::Uuid::new_v4().simple());
    let cli = Cli::new(&e2e);
    let signup = ["signup", "--email", email.as_str(), "--password-stdin"];

    // A weak password: Cognito's rule, in its words.
    let out = cli.run_with(&signup, Some("Sh0rt!"), &[]).await;
    assert_eq!(out.code, 6, "{out:?}");
    assert_eq!(out.stderr, "homedir: Password not long enough\n");
    let out = cli
        .run_with(&signup, Some("alllowercaseandlong1!"), &[])
        .await;
    assert_eq!(out.code, 6, "{out:?}");
    assert!(out.stderr.contains("uppercase"), "{out:?}");

    let out = cli.run_with(&signup, Some(&password), &[]).await.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(
        lines[0].starts_with(&format!(
            "signed up as {email}; a confirmation code was sent to "
        )),
        "{out:?}"
    );
    let sent_to = lines[0].rsplit("sent to ").next().unwrap_or_default();
    assert!(
        !sent_to.is_empty() && !sent_to.contains(&email[1..]),
        "the address is masked: {out:?}"
    );
    assert_eq!(
        lines[1],
        format!("confirm with: homedir confirm --email {email} --code CODE")
    );
    cli.run_with(&signup, Some(&password), &[]).await.fails(
        6,
        "an account with that email exists: sign in, or run homedir reset-password",
    );
    cli.run_with(
        &["login", "--email", &email, "--password-stdin"],
        Some(&password),
        &[],
    )
    .await
    .fails(
        2,
        "the account is not confirmed yet: run homedir confirm (--resend for a new code)",
    );

    let first = emulator::code(e2e.stack, pool, &email, "sign_up").await;
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    let not_sent = "that code is not the one sent; check it and try again";
    cli.run(&["confirm", "--email", &email, "--code", wrong])
        .await
        .fails(6, not_sent);
    let out = cli
        .run(&["confirm", "--email", &email, "--resend"])
        .await
        .ok();
    assert!(
        out.stdout
            .starts_with("a new confirmation code was sent to "),
        "{out:?}"
    );
    let second = emulator::code(e2e.stack, pool, &email, "sign_up").await;
    assert_ne!(second, first, "a new code");
    cli.run(&["confirm", "--email", &email, "--code", &first])
        .await
        .fails(6, not_sent);
    let out = cli
        .run(&["confirm", "--email", &email, "--code", &second])
        .await
        .ok();
    assert_eq!(out.stdout, "confirmed; sign in with homedir login\n");
    cli.run(&["confirm", "--email", &email, "--code", &second])
        .await
        .fails(2, "the account is already confirmed: sign in");

    let cli = cli.login(&email, &password).await;
    cli.file("first.txt", b"my first file");
    cli.run(&["put", "first.txt"]).await.ok();
    assert_eq!(
        cli.run(&["get", "first.txt", "-"]).await.ok().stdout,
        "my first file"
    );

    // A forgotten password: a code by e-mail (a script is told how to go on) …
    let out = cli.run(&["reset-password", "--email", &email]).await.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(
        lines[0].starts_with("a code to reset the password was sent to "),
        "{out:?}"
    );
    assert_eq!(
        lines[1],
        format!("then run: homedir reset-password --email {email} --code CODE")
    );
    let code = emulator::code(e2e.stack, pool, &email, "forgot_password").await;
    let reset = [
        "reset-password",
        "--email",
        email.as_str(),
        "--code",
        code.as_str(),
        "--password-stdin",
    ];
    // … a weak new password names the rule, and the code still holds for a good one.
    let out = cli.run_with(&reset, Some("Sh0rt!"), &[]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (6, "homedir: Password not long enough\n"),
        "{out:?}"
    );
    let new_password = format!("Reset-{}!", uuid::Uuid::new_v4().simple());
    let out = cli.run_with(&reset, Some(&new_password), &[]).await.ok();
    assert_eq!(
        out.stdout,
        "the password is reset; sign in with homedir login\n"
    );
    assert!(cli.tokens().is_none(), "signed out by the reset");
    cli.run_with(
        &["login", "--email", &email, "--password-stdin"],
        Some(&password),
        &[],
    )
    .await
    .fails(2, "wrong email or password");
    let cli = cli.login(&email, &new_password).await;
    assert_eq!(
        cli.run(&["ls"]).await.ok().stdout,
        format!("{:>10}  first.txt\n", "13 B")
    );

    cli.run(&["rm", "first.txt"]).await.ok();
    e2e.delete_user(pool, &email).await;
}

/// An invited user (an operator's AdminCreateUser with a temporary password): the
/// first `login` is asked for a password of their own (Cognito's
/// `NEW_PASSWORD_REQUIRED`), a weak one is refused in Cognito's words, and after it
/// the new password signs in and the temporary one no longer does.
#[tokio::test]
async fn an_invited_user_chooses_a_password_at_the_first_login() {
    use aws_sdk_cognitoidentityprovider::types::MessageActionType;

    let e2e = E2e::start().await;
    let pool = e2e.stack.var("USER_POOL_ID");
    let email = format!("homedir-e2e-{}@example.com", uuid::Uuid::new_v4().simple());
    let temporary = format!("Invite-{}!", uuid::Uuid::new_v4().simple());
    let attribute = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .expect("attribute")
    };
    e2e.stack
        .admin_idp()
        .admin_create_user()
        .user_pool_id(pool)
        .username(&email)
        .user_attributes(attribute("email", &email))
        .user_attributes(attribute("email_verified", "true"))
        .temporary_password(&temporary)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AdminCreateUser: {}", DisplayErrorContext(&e)));
    let cli = Cli::new(&e2e);
    let login = ["login", "--email", email.as_str(), "--password-stdin"];
    let asked = "this is an invitation's temporary password: choose your own\n";

    // A weak password of one's own: Cognito's rule, nothing stored.
    let out = cli
        .run_with(&login, Some(&format!("{temporary}\nSh0rt!\n")), &[])
        .await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (6, asked, "homedir: Password not long enough\n"),
        "{out:?}"
    );
    assert!(cli.tokens().is_none(), "not signed in");

    // A good one: signed in, and the files work.
    let password = format!("Chosen-{}!", uuid::Uuid::new_v4().simple());
    let out = cli
        .run_with(&login, Some(&format!("{temporary}\n{password}\n")), &[])
        .await
        .ok();
    assert_eq!(out.stdout, format!("{asked}signed in as {email}\n"));
    cli.file("invited.txt", b"mine now");
    cli.run(&["put", "invited.txt"]).await.ok();
    assert_eq!(
        cli.run(&["get", "invited.txt", "-"]).await.ok().stdout,
        "mine now"
    );

    // The temporary password is spent; the chosen one signs in with no question.
    cli.run(&["logout"]).await.ok();
    cli.run_with(&login, Some(&temporary), &[])
        .await
        .fails(2, "wrong email or password");
    let cli = cli.login(&email, &password).await;

    cli.run(&["rm", "invited.txt"]).await.ok();
    e2e.delete_user(pool, &email).await;
}

/// `homedir mfa` makes an authenticator app the second factor of a signed-in user (the
/// pool's MFA OPTIONAL: the users without an app sign in as before): the key on
/// standard output, the app's code on standard input. Then `login` needs the app's
/// current code (`--code`); a wrong one is refused. The codes are computed here as
/// the app would (RFC 6238). A pool of the test's own: its MFA setting is the test's.
#[tokio::test]
async fn mfa_sets_up_an_authenticator_app_and_login_then_needs_its_code() {
    use aws_sdk_cognitoidentityprovider::types::{SoftwareTokenMfaConfigType, UserPoolMfaType};
    use homedir_tests::totp;

    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, false, "a pool whose MFA setting changes").await else {
        return;
    };
    let (user, cli) = own.user().await;
    let idp = own.stack().admin_idp();
    let pool = own.stack().var("USER_POOL_ID");

    // The pool offers no authenticator apps yet.
    cli.run_with(&["mfa", "--code-stdin"], Some("123456"), &[])
        .await
        .fails(
            5,
            "this stack does not offer authenticator apps (its user pool's TOTP MFA is off); \
             ask its operator",
        );

    idp.set_user_pool_mfa_config()
        .user_pool_id(pool)
        .mfa_configuration(UserPoolMfaType::Optional)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .send()
        .await
        .expect("SetUserPoolMfaConfig");

    // No app yet: the password alone still signs in.
    let cli = cli.login(&user.email, PASSWORD).await;

    // No terminal to ask on and no --code-stdin; no code on standard input.
    let out = cli.run(&["mfa"]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (64, "homedir: no terminal to ask on: use --code-stdin\n"),
        "{out:?}"
    );
    let out = cli.run_with(&["mfa", "--code-stdin"], Some(""), &[]).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            64,
            "homedir: the current code of your authenticator app is needed: give --code-stdin \
             with the code on standard input\n"
        ),
        "{out:?}"
    );

    // A code that is not the new key's: refused, nothing changes.
    let mut run = cli.start(&["mfa", "--code-stdin"], &[]);
    let secret = key_of(&run.stdout_line("key: ").await);
    run.answer(&wrong_code(&secret)).await;
    run.finish().await.fails(
        6,
        "that code is not right for the new key; try the next one",
    );
    let cli = cli.login(&user.email, PASSWORD).await;

    let mut run = cli.start(&["mfa", "--code-stdin"], &[]);
    let line = run.stdout_line("key: ").await;
    let secret2 = key_of(&line);
    assert_ne!(secret2, secret, "a new key each time");
    run.stdout_line(&format!("?secret={secret2}&issuer=homedir"))
        .await;
    run.answer(&totp::code_now(&secret2)).await;
    let out = run.finish().await.ok();
    assert!(
        out.stdout.starts_with(
            "Add this key to your authenticator app (or open the link on your phone):\n"
        ) && out.stdout.contains(&format!(
            "  otpauth://totp/homedir:{}?secret={secret2}&issuer=homedir\n",
            user.email
        )) && out
            .stdout
            .ends_with("the authenticator app is now your second factor at sign-in\n"),
        "{out:?}"
    );

    // From now on the password alone is not enough.
    let login = |code: String| {
        let email = user.email.clone();
        let cli = &cli;
        async move {
            cli.run_with(
                &[
                    "login",
                    "--email",
                    &email,
                    "--password-stdin",
                    "--code",
                    &code,
                ],
                Some(PASSWORD),
                &[],
            )
            .await
        }
    };
    login(wrong_code(&secret2)).await.fails(
        6,
        "that code is not right; enter the current code from your authenticator app",
    );
    cli.run_with(
        &["login", "--email", &user.email, "--password-stdin"],
        Some(PASSWORD),
        &[],
    )
    .await
    .fails(
        64,
        "the current code of your authenticator app is needed: give --code CODE",
    );
    let out = login(totp::code_now(&secret2)).await.ok();
    assert_eq!(out.stdout, format!("signed in as {}\n", user.email));
    assert!(cli.tokens().is_some());
}

/// The key in `  key: SECRET`.
fn key_of(line: &str) -> String {
    line.trim()
        .strip_prefix("key: ")
        .unwrap_or_else(|| panic!("not a key line: {line:?}"))
        .to_owned()
}

/// Six digits that are none of the codes `secret` has a step either side of now.
fn wrong_code(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let near: Vec<String> = (0..=4)
        .map(|step| homedir_tests::totp::code_at(secret, now + step * 30 - 60))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", n * 111_111 % 1_000_000))
        .find(|code| !near.contains(code))
        .expect("a wrong code")
}
