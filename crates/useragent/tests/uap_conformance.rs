//! uap-core's rules as shortlink builds them (`data/uap-core.regexes.json` through the
//! `ua-parser` crate, with ASCII classes) against uap-core's own test suites
//! (tests/data/uap-core/): every field uap-core tests, for user agent (family, major, minor,
//! patch), OS (family, major, minor, patch, patch_minor) and device (family, brand, model).
//!
//! The suites are a uap-core release's; the rules may be newer (see data/VERSIONS). Where
//! the newer rules expect otherwise, `uap-core-rule-changes.json` says what: it is written
//! by scripts/update-ua-data from uap-python, uap-core's reference implementation, run
//! with the rules as published, and replaces the suite's expectation for those cases.
//! Run in release mode:
//!   cargo test --release -p shortlink-useragent --test uap_conformance -- --nocapture

use serde_norway::Value;
use shortlink_useragent::useragent;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

fn read(path: PathBuf) -> String {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// A test case's fields as strings; YAML's null and "" both mean "none".
type Fields = HashMap<String, Option<String>>;

fn fields(case: &Value) -> Fields {
    let Value::Mapping(m) = case else {
        panic!("a test case is not a mapping: {case:?}")
    };
    m.iter()
        // The rule-changes file keeps the suite's old expectation under "was", for readers.
        .filter(|(k, _)| k.as_str() != Some("was"))
        .map(|(k, v)| {
            let k = k.as_str().expect("a string key").to_owned();
            let v = match v {
                Value::Null => None,
                Value::String(s) if s.is_empty() => None,
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                other => panic!("{k}: {other:?}"),
            };
            (k, v)
        })
        .collect()
}

fn cases(text: &str) -> Vec<Fields> {
    let doc: Value = serde_norway::from_str(text).expect("a YAML test suite");
    doc["test_cases"]
        .as_sequence()
        .expect("test_cases")
        .iter()
        .map(fields)
        .collect()
}

fn none_if_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// What shortlink's build of the rules gives for one suite's fields.
fn got(suite: &str, ua: &str) -> Fields {
    let (user_agent, os, device) = useragent::uap_core(ua);
    let pairs: Vec<(&str, Option<String>)> = match suite {
        "test_ua.yaml" => {
            let v = user_agent.unwrap_or_default();
            vec![
                (
                    "family",
                    Some(v.family)
                        .filter(|f| !f.is_empty())
                        .or(Some("Other".into())),
                ),
                ("major", none_if_empty(v.major)),
                ("minor", none_if_empty(v.minor)),
                ("patch", none_if_empty(v.patch)),
            ]
        }
        "test_os.yaml" => {
            let v = os.unwrap_or_default();
            vec![
                (
                    "family",
                    Some(v.os)
                        .filter(|f| !f.is_empty())
                        .or(Some("Other".into())),
                ),
                ("major", none_if_empty(v.major)),
                ("minor", none_if_empty(v.minor)),
                ("patch", none_if_empty(v.patch)),
                ("patch_minor", none_if_empty(v.patch_minor)),
            ]
        }
        _ => {
            let v = device.unwrap_or_default();
            vec![
                (
                    "family",
                    Some(v.device)
                        .filter(|f| !f.is_empty())
                        .or(Some("Other".into())),
                ),
                ("brand", none_if_empty(v.brand)),
                ("model", none_if_empty(v.model)),
            ]
        }
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[test]
fn rules_reproduce_uap_core_test_suites() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/uap-core");
    let changes = cases(&read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/uap-core-rule-changes.json"),
    ));
    println!();
    for (suite, file, bar) in [
        ("test_ua.yaml", "test_ua.yaml", 99.0),
        ("test_os.yaml", "test_os.yaml", 99.0),
        ("test_device.yaml.gz", "test_device.yaml.gz", 99.0),
    ] {
        let changed: HashMap<String, &Fields> = changes
            .iter()
            .filter(|c| c["suite"].as_deref() == Some(suite))
            .map(|c| (c["user_agent_string"].clone().unwrap_or_default(), c))
            .collect();
        let suite_cases = cases(&read(dir.join(file)));
        let (mut right, mut wrong) = (0usize, Vec::new());
        for case in &suite_cases {
            let ua = case["user_agent_string"].clone().unwrap_or_default();
            let want = changed.get(&ua).copied().unwrap_or(case);
            let have = got(suite, &ua);
            let differ: Vec<String> = have
                .iter()
                .filter(|(k, v)| want.get(*k).cloned().flatten() != **v)
                .map(|(k, v)| format!("{k} {v:?} (want {:?})", want.get(k).cloned().flatten()))
                .collect();
            if differ.is_empty() {
                right += 1;
            } else {
                wrong.push(format!("    {}: {ua}", differ.join(", ")));
            }
        }
        let pct = 100.0 * right as f64 / suite_cases.len() as f64;
        println!(
            "{suite:<20} {pct:>7.2}% of cases alike in every field ({right} of {}; {} expectations from the newer rules)",
            suite_cases.len(),
            changed.len()
        );
        for w in wrong.iter().take(8) {
            println!("{w}");
        }
        assert!(pct >= bar, "{suite}: {pct:.2}% < {bar}%");
    }
}
