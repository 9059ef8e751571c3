//! The walk: a table of cases, each a request of one operation and what it must
//! answer, sent in order to the in-process functions and checked against the document.

use std::cell::OnceCell;
use std::fmt;

use homedir::App;
use homedir_tests::emulator::{Fault, clear_faults, inject};
use homedir_tests::requests::{Reply, Req, query};
use homedir_tests::stack::{Stack, User};
use http::Method;

use super::document::Contract;

/// One operation of the document: a path and the method it is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Op {
    pub(super) method: &'static str,
    pub(super) path: &'static str,
}

pub(super) const READ: Op = Op::new("GET", "/read-file");
pub(super) const WRITE: Op = Op::new("PUT", "/write-file");
pub(super) const START_OR_COMPLETE: Op = Op::new("POST", "/write-file");
pub(super) const RESUME: Op = Op::new("GET", "/write-file");
pub(super) const ABORT: Op = Op::new("DELETE", "/write-file");
pub(super) const LIST: Op = Op::new("GET", "/list");
pub(super) const DELETE: Op = Op::new("DELETE", "/delete");
pub(super) const ALL: [Op; 7] = [READ, WRITE, START_OR_COMPLETE, RESUME, ABORT, LIST, DELETE];

impl Op {
    pub(super) const fn new(method: &'static str, path: &'static str) -> Op {
        Op { method, path }
    }

    /// A request of this operation with these query parameters (percent-encoded).
    pub(super) fn with(self, pairs: &[(&str, &str)]) -> Request {
        self.raw(&query(pairs))
    }

    /// A request of this operation with this query string, sent as it is.
    pub(super) fn raw(self, query: &str) -> Request {
        Request {
            op: self,
            query: query.to_owned(),
            headers: Vec::new(),
            body: None,
            auth: Auth::User,
            app: Setting::Deployed,
            fault: None,
        }
    }
}

/// Whose token a request carries.
#[derive(Debug, Clone, Copy)]
pub(super) enum Auth {
    /// `Authorization: Bearer` the walk's user's ID token (the default).
    User,
    /// The same for the walk's user an admin disabled.
    DisabledUser,
    /// No `Authorization` header at all.
    Nobody,
    /// `Authorization: Bearer` this text.
    Bearer(&'static str),
}

/// The in-process functions a request is sent to: configured as deployed, or with one
/// setting changed. Each is built once per walk, on first use, but `Fresh`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Setting {
    /// As deployed (the default).
    Deployed,
    /// `MAX_FILE_BYTES=2`: every file is over the inline limit.
    TinyFileLimit,
    /// `HOME_PREFIX=elsewhere`: homes the issued credentials do not reach.
    HomeElsewhere,
    /// `USER_CHECK_TTL_SECS=0`: every request asks Cognito about the user again.
    UserCheckedEachTime,
    /// `QUOTA_BYTES=1` with the stack's usage table: every home is full or nearly.
    TinyQuota,
    /// As deployed, but new for this request: nothing cached.
    Fresh,
}

/// A request of the walk, built up before its expectation is said.
pub(super) struct Request {
    op: Op,
    query: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    auth: Auth,
    app: Setting,
    fault: Option<(&'static str, Fault)>,
}

impl Request {
    pub(super) fn header(mut self, name: &'static str, value: &str) -> Request {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub(super) fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = Some(body.into());
        self
    }

    pub(super) fn by(mut self, auth: Auth) -> Request {
        self.auth = auth;
        self
    }

    pub(super) fn on(mut self, app: Setting) -> Request {
        self.app = app;
        self
    }

    /// The emulator applies `fault` to every `operation` call while this request runs
    /// (the walk must run on a [`PrivateStack`](homedir_tests::emulator::PrivateStack)).
    pub(super) fn fault(mut self, operation: &'static str, fault: Fault) -> Request {
        self.fault = Some((operation, fault));
        self
    }

    /// The case: the request must answer `status` with the error `code` (`""` for a
    /// success, which has none), and the document must list that.
    pub(super) fn answers(self, status: u16, code: &'static str) -> Case {
        Case {
            request: self,
            expect: Some((status, code)),
        }
    }

    /// The case: whatever the request answers (AWS decides), the document must list it.
    pub(super) fn documented(self) -> Case {
        Case {
            request: self,
            expect: None,
        }
    }
}

/// `PUT /write-file?key=f.txt, if-none-match: *, a 5-byte body, as User on Deployed`.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.method, self.op.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        for (name, value) in &self.headers {
            write!(f, ", {name}: {value:?}")?;
        }
        if let Some(body) = &self.body {
            write!(f, ", a {}-byte body", body.len())?;
        }
        write!(f, ", as {:?} on {:?}", self.auth, self.app)?;
        if let Some((operation, fault)) = &self.fault {
            write!(f, ", {operation} {fault:?}")?;
        }
        Ok(())
    }
}

/// A row of a walk's table.
pub(super) struct Case {
    request: Request,
    expect: Option<(u16, &'static str)>,
}

/// The users, the functions and the document of one walk.
pub(super) struct Walk<'a> {
    contract: &'a Contract,
    stack: &'a Stack,
    user: User,
    disabled: Option<User>,
    deployed: OnceCell<App>,
    tiny_file_limit: OnceCell<App>,
    home_elsewhere: OnceCell<App>,
    user_checked_each_time: OnceCell<App>,
    tiny_quota: OnceCell<App>,
}

impl<'a> Walk<'a> {
    /// A walk on `stack` whose requests carry `user`'s token.
    pub(super) fn new(contract: &'a Contract, stack: &'a Stack, user: User) -> Walk<'a> {
        Walk {
            contract,
            stack,
            user,
            disabled: None,
            deployed: OnceCell::new(),
            tiny_file_limit: OnceCell::new(),
            home_elsewhere: OnceCell::new(),
            user_checked_each_time: OnceCell::new(),
            tiny_quota: OnceCell::new(),
        }
    }

    /// The user [`Auth::DisabledUser`] sends as (already disabled).
    pub(super) fn with_disabled_user(mut self, user: User) -> Walk<'a> {
        self.disabled = Some(user);
        self
    }

    fn app(&self, setting: Setting) -> &App {
        let (cell, overrides): (_, &[(&str, &str)]) = match setting {
            Setting::Deployed => (&self.deployed, &[]),
            Setting::TinyFileLimit => (&self.tiny_file_limit, &[("MAX_FILE_BYTES", "2")]),
            Setting::HomeElsewhere => (&self.home_elsewhere, &[("HOME_PREFIX", "elsewhere")]),
            Setting::UserCheckedEachTime => (
                &self.user_checked_each_time,
                &[("USER_CHECK_TTL_SECS", "0")],
            ),
            Setting::TinyQuota => {
                return self.tiny_quota.get_or_init(|| {
                    let table = usage_table(self.stack);
                    self.stack
                        .app(&[("USAGE_TABLE", table.as_str()), ("QUOTA_BYTES", "1")])
                });
            }
            Setting::Fresh => unreachable!("a fresh app is built for its one request"),
        };
        cell.get_or_init(|| self.stack.app(overrides))
    }

    /// Sends `case`'s request (with its fault injected, then cleared), checks the reply
    /// against the document and the case's expectation, and returns it.
    pub(super) async fn send(&self, case: Case) -> Reply {
        let Case { request, expect } = case;
        let described = request.to_string();
        let fresh;
        let app = match request.app {
            Setting::Fresh => {
                fresh = self.stack.app(&[]);
                &fresh
            }
            setting => self.app(setting),
        };
        let token = match request.auth {
            Auth::User => Some(self.user.id_token.as_str()),
            Auth::DisabledUser => Some(
                self.disabled
                    .as_ref()
                    .expect("a walk with a disabled user")
                    .id_token
                    .as_str(),
            ),
            Auth::Nobody => None,
            Auth::Bearer(token) => Some(token),
        };
        let method = Method::from_bytes(request.op.method.as_bytes()).expect("a method");
        let mut req = Req::new(method, &request.op.path[1..], &request.query);
        if let Some(token) = token {
            req = req.token(token);
        }
        for (name, value) in &request.headers {
            req = req.header(name, value);
        }
        if let Some(body) = request.body {
            req = req.body(body);
        }

        if let Some((operation, fault)) = request.fault {
            inject(self.stack, operation, fault, None).await;
        }
        let reply = req.send(app).await;
        if request.fault.is_some() {
            clear_faults(self.stack).await;
        }

        self.contract.check(request.op, &described, &reply);
        if let Some((status, code)) = expect {
            let got = if reply.status() >= 400 {
                reply.code()
            } else {
                String::new()
            };
            assert_eq!(
                (reply.status(), got.as_str()),
                (status, code),
                "{described}; body: {}",
                String::from_utf8_lossy(reply.bytes())
            );
        }
        reply
    }

    /// Sends every case, in order.
    pub(super) async fn all(&self, cases: Vec<Case>) {
        for case in cases {
            self.send(case).await;
        }
    }
}

/// The stack's usage table, as the deployed write-file function's environment names it
/// (the stack's `FUNCTIONS_CONFIG`).
fn usage_table(stack: &Stack) -> String {
    let path = stack.var("FUNCTIONS_CONFIG");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("the functions' config"))
            .expect("the functions' config is JSON");
    config["functions"]["write-file"]["environment"]["USAGE_TABLE"]
        .as_str()
        .expect("write-file's USAGE_TABLE")
        .to_owned()
}
