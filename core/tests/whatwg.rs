//! The WHATWG URL test corpus (web-platform-tests urltestdata.json) against
//! `normalize_url`: every absolute http(s) URL without credentials is accepted and stored
//! as its WHATWG `href`; everything else — failures, other schemes, credentials — is refused.

use serde_json::Value;
use shortlink_core::destination::normalize_url;

#[test]
fn whatwg_corpus_absolute_urls() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/urltestdata.json");
    let text = std::fs::read_to_string(path).expect("corpus file");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("corpus JSON");
    let (mut accepted, mut refused, mut mismatches) = (0, 0, Vec::new());
    for case in cases.iter().filter_map(Value::as_object) {
        if !case.get("base").is_none_or(Value::is_null) {
            continue;
        }
        let input = case["input"].as_str().expect("input");
        let got = normalize_url(Some(input));
        let fails = case
            .get("failure")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let acceptable = !fails
            && matches!(case["protocol"].as_str(), Some("http:" | "https:"))
            && case["username"].as_str() == Some("")
            && case["password"].as_str() == Some("");
        match (acceptable, got) {
            (true, Ok(href)) if Some(href.as_str()) == case["href"].as_str() => accepted += 1,
            (false, Err(e)) => {
                assert_eq!(e.sqlstate(), "22023");
                refused += 1
            }
            (want, got) => mismatches.push(format!("{input:?}: want accept={want}, got {got:?}")),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // The corpus holds a few hundred absolute cases; make sure they were all read.
    assert!(
        accepted > 50 && refused > 100,
        "accepted {accepted}, refused {refused}"
    );
    println!("accepted {accepted}, refused {refused}");
}
