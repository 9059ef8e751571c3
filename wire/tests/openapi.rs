//! The wire types and `openapi.yaml` say the same thing: every [`ErrorCode`] is in the
//! document under its status and every code the document lists is one of them, and
//! each response and request schema has exactly the properties its type serializes
//! (nested objects and array items included). A field renamed on one side only fails
//! here.

use std::collections::BTreeSet;

use homedir_wire::*;
use serde_json::{Value, json};

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi.yaml at the repository root");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
    serde_json::to_value(yaml).expect("openapi.yaml maps to JSON")
}

/// `schema`, or what its `$ref` points at.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        schema = doc.pointer(pointer).expect("the reference resolves");
    }
    schema
}

/// Asserts that `sample` (a serialized wire type, every optional field filled) has
/// exactly the properties of `schema`, recursively.
fn same_shape(doc: &Value, schema: &Value, sample: &Value, at: &str) {
    let schema = resolve(doc, schema);
    match sample {
        Value::Object(fields) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                panic!("{at}: the document has no properties for an object");
            };
            let documented: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
            let serialized: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
            assert_eq!(documented, serialized, "{at}: document vs type");
            for (name, value) in fields {
                same_shape(doc, &properties[name], value, &format!("{at}.{name}"));
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                let item_schema = schema
                    .get("items")
                    .unwrap_or_else(|| panic!("{at}: no items"));
                same_shape(doc, item_schema, first, &format!("{at}[]"));
            }
        }
        _ => {}
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

fn check(doc: &Value, name: &str, sample: impl serde::Serialize) {
    let sample = serde_json::to_value(sample).expect("serializes");
    same_shape(doc, schema(doc, name), &sample, name);
}

#[test]
fn every_body_type_has_the_documented_properties() {
    let doc = document();
    let some = || Some("x".to_owned());
    check(
        &doc,
        "Written",
        Written {
            key: "k".into(),
            etag: "e".into(),
            size: 1,
            version_id: some(),
        },
    );
    check(
        &doc,
        "Link",
        Link {
            url: "https://b/k".into(),
            expires_at: "t".into(),
            size: 1,
            etag: some(),
            content_type: some(),
            version_id: some(),
        },
    );
    check(
        &doc,
        "StartUpload",
        StartUpload {
            size: 1,
            content_type: some(),
        },
    );
    check(
        &doc,
        "CompleteUpload",
        CompleteUpload {
            parts: vec![Part {
                number: 1,
                etag: "e".into(),
            }],
        },
    );
    check(
        &doc,
        "Upload",
        Upload {
            upload_id: "1.8388608.x".into(),
            size: 1,
            part_size: 8 << 20,
            uploaded: vec![UploadedPart {
                number: 1,
                etag: "e".into(),
                size: 1,
            }],
            parts: vec![PartUrl {
                number: 2,
                url: "https://b/k".into(),
                size: 1,
            }],
            next_part: Some(3),
            expires_at: "t".into(),
        },
    );
    check(
        &doc,
        "Listing",
        Listing {
            files: vec![FileEntry {
                key: "k".into(),
                size: 1,
                etag: some(),
                last_modified: some(),
            }],
            folders: vec!["f/".into()],
            next_cursor: some(),
        },
    );
    let version = Version {
        key: "k".into(),
        version_id: "v".into(),
        size: Some(1),
        etag: some(),
        last_modified: some(),
        latest: true,
        deleted: false,
    };
    check(&doc, "Version", version.clone());
    check(
        &doc,
        "VersionListing",
        VersionListing {
            versions: vec![version],
            next_cursor: some(),
        },
    );
    check(
        &doc,
        "Trash",
        Trash {
            files: vec![TrashEntry {
                key: "k".into(),
                deleted_at: some(),
                version_id: "v".into(),
                size: Some(1),
                etag: some(),
                last_modified: some(),
            }],
            next_cursor: some(),
        },
    );
    check(
        &doc,
        "FolderRestored",
        FolderRestored {
            restored: 1,
            skipped: 0,
            next_cursor: some(),
        },
    );
    check(
        &doc,
        "Whoami",
        Whoami {
            identity_id: "us-east-1:0f2a7c3e-1111-2222-3333-444455556666".into(),
            team: some(),
        },
    );
    check(
        &doc,
        "Usage",
        Usage {
            bytes: 1,
            versions: 1,
            quota_bytes: Some(2),
            over: false,
        },
    );
    check(
        &doc,
        "Completing",
        Completing {
            status: "completing".into(),
            retry_after: 5,
        },
    );
    check(
        &doc,
        "FolderDeleted",
        FolderDeleted {
            deleted: 1,
            next_cursor: some(),
        },
    );
}

/// The error schemas (`Error400`, `Error401`, …) and the codes each lists.
fn documented_codes(doc: &Value) -> Vec<(u16, String)> {
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut codes = Vec::new();
    for (name, schema) in schemas {
        let Some(status) = name
            .strip_prefix("Error")
            .and_then(|s| s.parse::<u16>().ok())
        else {
            continue;
        };
        let listed = schema["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} lists its codes"));
        codes.extend(
            listed
                .iter()
                .map(|c| (status, c.as_str().expect("text").to_owned())),
        );
    }
    codes
}

#[test]
fn every_error_code_is_documented_under_its_status_and_back() {
    let doc = document();
    let documented = documented_codes(&doc);
    for code in ErrorCode::ALL {
        assert!(
            documented.contains(&(code.status(), code.as_str().to_owned())),
            "{code} ({}) is not in openapi.yaml's Error{}",
            code.status(),
            code.status()
        );
    }
    for (status, text) in &documented {
        let code = ErrorCode::parse(text)
            .unwrap_or_else(|| panic!("openapi.yaml's Error{status} lists {text}, no ErrorCode"));
        assert_eq!(code.status(), *status, "{text}");
    }
    // The error body itself is the documented shape.
    let body = ErrorBody {
        error: ErrorDetail {
            code: ErrorCode::NotFound,
            message: "no such file".into(),
            quota: None,
        },
    };
    check(&doc, "Error404", body);
    // A 507 also says how full the space is and what the write asked for.
    let full = ErrorBody {
        error: ErrorDetail {
            code: ErrorCode::QuotaExceeded,
            message: "this space is full".into(),
            quota: Some(QuotaExceeded {
                used: 2,
                quota: 2,
                size: 1,
            }),
        },
    };
    check(&doc, "Error507", full);
    assert_eq!(
        serde_json::to_value(ErrorCode::NotFound).expect("serializes"),
        json!("not_found")
    );
}

#[test]
fn every_route_is_a_path_of_the_document() {
    let doc = document();
    for route in routes::ALL {
        assert!(
            doc["paths"].get(format!("/{route}")).is_some(),
            "/{route} is not in openapi.yaml"
        );
    }
}

#[test]
fn every_operation_takes_the_space_and_the_spaces_are_the_document_s() {
    let doc = document();
    for route in routes::ALL {
        let path = &doc["paths"][format!("/{route}")];
        for (method, operation) in path.as_object().expect("a path object") {
            if method.starts_with("x-") {
                continue;
            }
            let takes_space = operation["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["$ref"] == "#/components/parameters/Space")
            });
            assert!(takes_space, "{method} /{route} does not document space");
        }
    }
    let documented: Vec<&str> = doc["components"]["schemas"]["SpaceName"]["enum"]
        .as_array()
        .expect("SpaceName enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ours: Vec<&str> = routes::Space::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(documented, ours);
    assert_eq!(
        doc["components"]["schemas"]["SpaceName"]["default"],
        routes::Space::default().as_str()
    );
}
