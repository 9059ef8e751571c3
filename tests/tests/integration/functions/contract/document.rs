//! `openapi.yaml`, read as the walks check their replies against it: what it lists
//! for each operation and status, and what the walks saw.

use std::collections::BTreeSet;
use std::sync::Mutex;

use homedir_tests::requests::Reply;
use serde_json::Value;

use super::walk::Op;

/// openapi.yaml, and what the tests saw.
pub(super) struct Contract {
    pub(super) doc: Value,
    seen: Mutex<BTreeSet<(Op, u16, String)>>,
}

impl Contract {
    pub(super) fn load() -> Contract {
        let text = homedir_tests::repo_text("openapi.yaml");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
        Contract {
            doc: serde_json::to_value(yaml).expect("openapi.yaml maps to JSON"),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// `value`, or what its `$ref` (a local JSON pointer) points at, followed to the end.
    pub(super) fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only local references: {reference}"));
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling reference {reference}"));
        }
        value
    }

    pub(super) fn path_item(&self, path: &str) -> &Value {
        self.doc["paths"]
            .get(path)
            .unwrap_or_else(|| panic!("openapi.yaml has no path {path}"))
    }

    /// The documented response of `op` for `status`, if any. A method the path does not
    /// serve answers with the path's `x-method-not-allowed` response.
    fn response(&self, op: Op, status: u16) -> Option<&Value> {
        let item = self.path_item(op.path);
        match item.get(op.method.to_ascii_lowercase()) {
            Some(operation) => operation["responses"]
                .get(status.to_string())
                .map(|r| self.resolve(r)),
            None => {
                (status == 405).then(|| self.resolve(&item["x-method-not-allowed"]["response"]))
            }
        }
    }

    /// Every `error.code` enum value in `schema` (through `$ref`, `anyOf`, `oneOf`).
    pub(super) fn codes_in(&self, schema: &Value, codes: &mut BTreeSet<String>) {
        let schema = self.resolve(schema);
        if let Some(values) = schema
            .pointer("/properties/error/properties/code/enum")
            .and_then(Value::as_array)
        {
            codes.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for branch in schema[key].as_array().into_iter().flatten() {
                self.codes_in(branch, codes);
            }
        }
    }

    /// The error codes `response` lists.
    pub(super) fn codes_of(&self, response: &Value) -> BTreeSet<String> {
        let mut codes = BTreeSet::new();
        if let Some(schema) = response.pointer("/content/application~1json/schema") {
            self.codes_in(schema, &mut codes);
        }
        codes
    }

    /// Asserts that `reply`, the answer to `request` (described for the failure
    /// message), is documented for `op`; records it.
    pub(super) fn check(&self, op: Op, request: &str, reply: &Reply) {
        let status = reply.status();
        let body = String::from_utf8_lossy(reply.bytes()).into_owned();
        let response = self.response(op, status).unwrap_or_else(|| {
            panic!(
                "{request} answered {status}, which openapi.yaml does not list for {} {}; body: {body}",
                op.method, op.path
            )
        });
        let code = if status >= 400 {
            let code = reply.code();
            let codes = self.codes_of(response);
            assert!(
                codes.contains(&code),
                "{request} answered {status} {code:?}; openapi.yaml lists {codes:?} for that status of {} {}; body: {body}",
                op.method,
                op.path
            );
            assert_eq!(
                reply.header("content-type").as_deref(),
                Some("application/json"),
                "{request}: errors are JSON"
            );
            code
        } else {
            String::new()
        };
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = self.resolve(header);
            if header["required"].as_bool() == Some(true) {
                assert!(
                    reply.header(name).is_some(),
                    "{request} answered {status}: openapi.yaml requires the {name} header"
                );
            }
        }
        if status == 401 {
            assert_eq!(
                reply.header("www-authenticate").as_deref(),
                Some("Bearer"),
                "{request}"
            );
        }
        if status == 405 {
            let allow = self.path_item(op.path)["x-method-not-allowed"]["allow"]
                .as_str()
                .expect("x-method-not-allowed names what Allow says");
            assert_eq!(reply.header("allow").as_deref(), Some(allow), "{request}");
        }
        self.seen
            .lock()
            .expect("not poisoned")
            .insert((op, status, code));
    }

    /// Asserts that every `(op, status, code)` in `wanted` was seen.
    #[track_caller]
    pub(super) fn saw_all(&self, wanted: &[(Op, u16, &str)]) {
        let seen = self.seen.lock().expect("not poisoned");
        let missing: Vec<_> = wanted
            .iter()
            .filter(|(op, status, code)| !seen.contains(&(*op, *status, (*code).to_owned())))
            .collect();
        assert!(
            missing.is_empty(),
            "the walk did not provoke {missing:?}; it saw {seen:?}"
        );
    }
}
