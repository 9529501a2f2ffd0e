//! The table of error codes in docs/API.md, and the check every test answer goes through:
//! an error body must be the envelope with a code of that table, answered with its status.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// One row of the table: the status column as written, and the meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub status: String,
    pub meaning: String,
}

impl Row {
    /// Whether the status column admits `status`: `404`, or `400 (also other 4xx)` for the
    /// whole class.
    pub(crate) fn admits(&self, status: u16) -> bool {
        let own: u16 = self
            .status
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("status column {:?} has no number", self.status));
        let class = format!("(also other {}xx)", own / 100);
        status == own || (self.status.ends_with(&class) && status / 100 == own / 100)
    }
}

/// The rows of the table under "## Error codes" in docs/API.md, by code.
pub(crate) fn table() -> &'static BTreeMap<String, Row> {
    static TABLE: OnceLock<BTreeMap<String, Row>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse_table(&text)
    })
}

/// Parses the first table of the "## Error codes" section: `| code | status | meaning |`.
pub(crate) fn parse_table(markdown: &str) -> BTreeMap<String, Row> {
    let section = markdown
        .split("\n## ")
        .find(|s| s.starts_with("Error codes"))
        .expect("docs/API.md has an \"Error codes\" section");
    let mut lines = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let header = cells(lines.next().expect("the section has a table"));
    assert_eq!(header, ["code", "status", "meaning"], "table header");
    let mut rows = BTreeMap::new();
    for line in lines.skip(1) {
        let [code, status, meaning] = <[String; 3]>::try_from(cells(line))
            .unwrap_or_else(|c| panic!("row {line:?} has {} cells, not 3", c.len()));
        let code = code
            .strip_prefix('`')
            .and_then(|c| c.strip_suffix('`'))
            .unwrap_or_else(|| panic!("code {code:?} is not in backquotes"))
            .to_owned();
        let row = Row { status, meaning };
        assert!(
            rows.insert(code.clone(), row).is_none(),
            "{code} listed twice"
        );
    }
    rows
}

/// The cells of one table line, trimmed. Cells hold no `|` (codes and meanings need none).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// Fails unless an answer with an error status and a body is the error envelope with a code of
/// the table answered with its status. `/health` reports its 503 in its own shape.
pub(crate) fn check_error_answer(path: &str, status: u16, body: &Value) {
    if status < 400 || body.is_null() || path == "/health" {
        return;
    }
    assert_eq!(body["success"], false, "{status} on {path}: {body}");
    assert!(body["requestId"].is_string(), "{status} on {path}: {body}");
    let code = body["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{status} on {path} without a code: {body}"));
    let row = table()
        .get(code)
        .unwrap_or_else(|| panic!("code {code} ({status} on {path}) is not in docs/API.md"));
    assert!(
        row.admits(status),
        "{code} answered with {status} on {path}, docs/API.md says {}",
        row.status
    );
}
