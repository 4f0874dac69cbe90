//! Random and hostile input never panics the parsers: every outcome is a value or a
//! 22023 error. A cheap stand-in for fuzzing that runs with plain `cargo test`.

use rand::{RngExt, SeedableRng};
use serde_json::{json, Map, Value};
use shortlink_core::options::{self, LinkType, Mode};
use shortlink_core::{destination, json_text, phone, query, template};
use shortlink_useragent::{bots, useragent};

const PIECES: &[&str] = &[
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "mailto:",
    "tel:",
    "sms:",
    "javascript:",
    "user:pw@",
    "@",
    ":",
    "/",
    "//",
    "?",
    "#",
    "&",
    "=",
    "%",
    "%zz",
    "%41",
    "{{",
    "}}",
    "{{link.code}}",
    "[::1]",
    "[",
    "]",
    "xn--",
    "ü",
    "🦀",
    "\u{0}",
    "\t",
    "\n",
    " ",
    ".",
    "..",
    "-",
    "+",
    "+1415",
    "555",
    "example.com",
    "a",
    "Z",
    "0",
    "9",
    "\\",
    "<",
    ">",
    "\"",
    "'",
    "body=",
    "utm_source",
    ";ext=",
];

fn random_text(rng: &mut rand::rngs::StdRng) -> String {
    let n = rng.random_range(0..12);
    (0..n)
        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
        .collect()
}

#[test]
fn parsers_never_panic_on_random_input() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let empty = Map::new();
    for _ in 0..20_000 {
        let s = random_text(&mut rng);
        for r in [
            destination::normalize_url(Some(&s)).err(),
            destination::normalize_domain(&s).err(),
            phone::check_destination("tel", &s).err(),
            phone::check_destination("sms", &s).err(),
            phone::check_destination("mailto", &s).err(),
            phone::check_phone_option("contact_phone", &s).err(),
            template::fill(&s, &empty, &[("link.code", "abc")]).err(),
            query::merge_query("https://example.com/?a=1", &s).err(),
            query::set_params(&s, &[("utm_source", "x")]).err(),
            destination::build(
                Some(&s),
                LinkType::Url,
                None,
                &[],
                &[("utm_source", "sms".into())],
            )
            .err(),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(r.sqlstate(), "22023", "{s:?}: {}", r.message);
        }
        if let Ok(url) = destination::normalize_url(Some(&s)) {
            for field in ["url", "callback_url"] {
                if let Err(e) = destination::check_public_host(field, &url, false) {
                    assert_eq!(e.sqlstate(), "22023", "{url:?}: {}", e.message);
                }
            }
            let _ = destination::host_of(&url).map(|h| destination::host_suffixes(&h));
        }
        // The text scanners take any text, well-formed JSON or not.
        let _ = json_text::too_deep(&s, 3);
        let _ = json_text::split_array(&s);
        let _ = bots::is_bot(Some(&s));
        let _ = useragent::parse(Some(&s), None);
    }
}

#[test]
fn options_never_panic_on_random_json() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0b7);
    let values = |rng: &mut rand::rngs::StdRng| -> Value {
        match rng.random_range(0..8) {
            0 => Value::Null,
            1 => json!(rng.random_range(-5i64..100_000)),
            2 => json!(rng.random::<f64>() * 1e12 - 1e6),
            3 => json!(rng.random::<bool>()),
            4 => json!([random_text(rng), 1]),
            5 => json!({"k": random_text(rng)}),
            _ => json!(random_text(rng)),
        }
    };
    let keys: Vec<&str> = options::keys().collect();
    for _ in 0..20_000 {
        let mut obj = Map::new();
        for _ in 0..rng.random_range(0..4) {
            let key = keys[rng.random_range(0..keys.len())];
            obj.insert(key.to_owned(), values(&mut rng));
        }
        for mode in [Mode::Create, Mode::Batch, Mode::Update] {
            if let Err(e) = options::parse(&Value::Object(obj.clone()), mode) {
                assert_eq!(e.sqlstate(), "22023", "{obj:?}: {}", e.message);
            }
        }
    }
}
