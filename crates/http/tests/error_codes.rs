//! The error codes: the server's `ErrorCode` enum, the table in docs/API.md and the OpenAPI
//! document list the same codes with the same statuses and meanings.

#![expect(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::codes::{self, Row};
use equoria_http::error::ErrorCode;
use equoria_http::openapi::{ERROR_CODES_EXTENSION, document_json};
use serde_json::Value;

fn enum_rows() -> BTreeMap<String, Row> {
    ErrorCode::ALL
        .into_iter()
        .map(|code| {
            let row = Row {
                status: code.status_text(),
                meaning: code.meaning().to_owned(),
            };
            (code.as_str().to_owned(), row)
        })
        .collect()
}

fn document() -> Value {
    serde_json::from_str(document_json()).unwrap()
}

#[test]
fn the_docs_table_lists_exactly_the_enum() {
    let table = codes::table();
    let expected = enum_rows();
    let missing: Vec<_> = expected
        .keys()
        .filter(|c| !table.contains_key(*c))
        .collect();
    let unknown: Vec<_> = table
        .keys()
        .filter(|c| !expected.contains_key(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes missing from docs/API.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/API.md lists codes the server lacks: {unknown:?}"
    );
    for (code, row) in &expected {
        assert_eq!(
            &table[code], row,
            "docs/API.md's row of {code} differs; expected: | `{code}` | {} | {} |",
            row.status, row.meaning
        );
    }
}

#[test]
fn a_table_missing_a_code_is_told_apart() {
    let markdown = "# API\n\n## Error codes\n\n| code | status | meaning |\n|---|---|---|\n\
                    | `NOT_FOUND` | 404 | gone |\n\n## Next\n";
    let table = codes::parse_table(markdown);
    assert_eq!(table.keys().collect::<Vec<_>>(), ["NOT_FOUND"]);
    assert_ne!(table.len(), enum_rows().len());
    assert!(table["NOT_FOUND"].admits(404));
    assert!(!table["NOT_FOUND"].admits(410));
    let class = Row {
        status: "400 (also other 4xx)".to_owned(),
        meaning: String::new(),
    };
    assert!(class.admits(418) && !class.admits(500));
}

#[test]
fn the_openapi_code_is_the_enum() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ErrorEnvelope"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let listed: BTreeSet<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum of strings")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let all: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, all, "ErrorCode::ALL and the enum's variants differ");
    let description = schemas["ErrorCode"]["description"].as_str().unwrap();
    for code in ErrorCode::ALL {
        assert!(description.contains(&format!("`{code}`")), "{code}");
    }
}

/// Every error response of the envelope lists the codes of its status, each a code of the
/// table admitting that status; and the codes of an operation's own rules are listed.
#[test]
fn every_error_response_lists_its_codes() {
    let doc = document();
    let table = codes::table();
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let Ok(status) = status.parse::<u16>() else {
                    continue;
                };
                let envelope = response["content"]["application/json"]["schema"]["$ref"]
                    == "#/components/schemas/ErrorEnvelope";
                if status < 400 || !envelope {
                    continue;
                }
                let listed = response[ERROR_CODES_EXTENSION]
                    .as_array()
                    .unwrap_or_else(|| panic!("{method} {path} {status} lists no codes"));
                assert!(!listed.is_empty(), "{method} {path} {status}");
                for code in listed {
                    let code = code.as_str().unwrap();
                    assert!(
                        table[code].admits(status),
                        "{method} {path}: {code} {status}"
                    );
                    seen.insert(code.to_owned());
                }
            }
        }
    }
    let register = &doc["paths"]["/api/auth/register"]["post"]["responses"]["409"];
    assert_eq!(
        register[ERROR_CODES_EXTENSION],
        serde_json::json!(["EMAIL_TAKEN", "USERNAME_TAKEN"])
    );
    let train = &doc["paths"]["/api/training/train"]["post"]["responses"]["422"];
    assert!(
        train[ERROR_CODES_EXTENSION]
            .as_array()
            .unwrap()
            .contains(&Value::from("ON_COOLDOWN"))
    );
    // Codes no single operation documents: the router's and the catch-alls.
    let unlisted: BTreeSet<&str> = ["METHOD_NOT_ALLOWED", "INTERNAL_ERROR"].into();
    for code in ErrorCode::ALL {
        if !unlisted.contains(code.as_str()) {
            assert!(seen.contains(code.as_str()), "no operation lists {code}");
        }
    }
}

#[test]
#[should_panic(expected = "is not in docs/API.md")]
fn an_undocumented_code_in_an_answer_fails_the_check() {
    let body = serde_json::json!({"success": false, "code": "TEAPOT", "requestId": "r"});
    codes::check_error_answer("/api/horses", 418, &body);
}

#[test]
#[should_panic(expected = "docs/API.md says 404")]
fn a_code_with_another_status_fails_the_check() {
    let body = serde_json::json!({"success": false, "code": "NOT_FOUND", "requestId": "r"});
    codes::check_error_answer("/api/horses/1", 410, &body);
}

#[test]
fn a_documented_answer_passes_the_check() {
    let body = serde_json::json!({"success": false, "code": "BAD_REQUEST", "requestId": "r"});
    codes::check_error_answer("/api/horses", 411, &body);
}
