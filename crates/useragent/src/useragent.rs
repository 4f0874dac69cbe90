//! Device class, operating system and browser of a User-Agent, for click statistics.
//!
//! Operating system, its version, browser and device model come from the ua-parser project:
//! its Rust implementation (the `ua-parser` crate) with uap-core's `regexes.yaml` as data
//! (`data/uap-core.regexes.json`, Apache-2.0; its source and version in `data/VERSIONS`), and
//! uap-core's family names are mapped onto shortlink's vocabulary (see [`os_name`] and
//! [`browser_name`]; families outside it are kept as uap-core names them). uap-core has no
//! device *class*, so that is derived here from the operating system and the tokens phones
//! and tablets send. Bots come from [`crate::bots`].
//!
//! The parsers are built once per process on first use (what that costs: docs/bots.md,
//! "What it costs"); a backend that inherits them from a preloading postmaster ([`warm`])
//! pays nothing.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::bots::{self, OperatorRules};
use crate::vocabulary::device;
pub use crate::vocabulary::{
    browser_name, device_model, os_name, os_version, BOT, DESKTOP, MOBILE, TABLET, UNKNOWN,
};

const UAP_REGEXES: &str = include_str!("../data/uap-core.regexes.json");

/// What a User-Agent says about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// "desktop", "mobile", "tablet", "bot" or "unknown".
    pub device: &'static str,
    /// "iOS", "Android", "Windows", "macOS", "Linux", "ChromeOS", or another uap-core family.
    pub os: Option<Cow<'static, str>>,
    /// "Chrome", "Safari", "Firefox", "Edge", "Opera", "Samsung Internet", ...
    pub browser: Option<Cow<'static, str>>,
    /// The operating system's version as the User-Agent gives it ("17.4.1", "14", "10").
    pub os_version: Option<String>,
    /// Brand and model as uap-core's device parser gives them ("Samsung SM-S918B",
    /// "iPhone"); None for generic devices and desktops that name none.
    pub device_model: Option<String>,
    /// The bot rule that matched, for a bot.
    pub bot: Option<String>,
}

impl ClientInfo {
    /// Nothing known about the client.
    pub const UNKNOWN: ClientInfo = ClientInfo {
        device: UNKNOWN,
        os: None,
        browser: None,
        os_version: None,
        device_model: None,
        bot: None,
    };

    pub fn is_bot(&self) -> bool {
        self.bot.is_some()
    }
}

struct Parsers {
    user_agent: ua_parser::user_agent::Extractor<'static>,
    os: ua_parser::os::Extractor<'static>,
    device: ua_parser::device::Extractor<'static>,
}

fn parsers() -> &'static Parsers {
    static PARSERS: OnceLock<Parsers> = OnceLock::new();
    PARSERS.get_or_init(|| match build_parsers() {
        Ok(p) => p,
        // The data is compiled in and checked by the tests; this cannot happen in a build
        // that passed them.
        Err(e) => panic!("uap-core's regexes do not build: {e}"),
    })
}

/// A uap-core regex with ASCII classes: `\d`, `\w`, `\s` and `\b` as uap-core's other
/// implementations (PCRE, Python on bytes, JavaScript) read them, instead of the Unicode
/// classes of Rust's regex crate. Unicode classes make every regex larger to build and,
/// for `\b`, make the fast DFA give up on any User-Agent with a non-ASCII byte.
fn ascii_classes(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 16);
    let mut in_class = false;
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push(c);
                    break;
                };
                let ascii = match e {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some("\\t\\n\\x0B\\x0C\\r "),
                    _ => None,
                };
                match (ascii, in_class) {
                    (Some(set), true) => out.push_str(set),
                    (Some(set), false) => {
                        out.push('[');
                        out.push_str(set);
                        out.push(']');
                    }
                    (None, false) if e == 'b' || e == 'B' => {
                        out.push_str("(?-u:\\");
                        out.push(e);
                        out.push(')');
                    }
                    (None, _) => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A ']' first in a class is literal.
                let mut peek = chars.clone();
                match peek.next() {
                    Some('^') => {
                        out.push('^');
                        chars.next();
                        if chars.clone().next() == Some(']') {
                            out.push_str("\\]");
                            chars.next();
                        }
                    }
                    Some(']') => {
                        out.push_str("\\]");
                        chars.next();
                    }
                    _ => {}
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn build_parsers() -> Result<Parsers, String> {
    let ua_parser::Regexes {
        mut user_agent_parsers,
        mut os_parsers,
        mut device_parsers,
    } = serde_json::from_str(UAP_REGEXES).map_err(|e| e.to_string())?;
    for p in &mut user_agent_parsers {
        p.regex = ascii_classes(&p.regex).into();
    }
    for p in &mut os_parsers {
        p.regex = ascii_classes(&p.regex).into();
    }
    for p in &mut device_parsers {
        p.regex = ascii_classes(&p.regex).into();
    }
    Ok(Parsers {
        user_agent: ua_parser::user_agent::Builder::new()
            .push_all(user_agent_parsers)
            .and_then(|b| b.build().map_err(Into::into))
            .map_err(|e| format!("{e:?}"))?,
        os: ua_parser::os::Builder::new()
            .push_all(os_parsers)
            .map_err(|e| format!("{e:?}"))?
            .build()
            .map_err(|e| format!("{e:?}"))?,
        device: ua_parser::device::Builder::new()
            .push_all(device_parsers)
            .map_err(|e| format!("{e:?}"))?
            .build()
            .map_err(|e| format!("{e:?}"))?,
    })
}

/// Builds the bot patterns and the parsers now, so that later clicks do not: for a
/// postmaster that preloads shortlink, whose backends then inherit them.
pub fn warm() {
    let _ = bots::builtin();
    let _ = parsers();
}

/// Parses a User-Agent.
///
/// A missing or blank User-Agent gives device "unknown" and no OS or browser. A bot (see
/// [`bots::detect`]) gives device "bot", the rule's name, and no OS or browser, since bots
/// often imitate a browser's User-Agent. Smart TVs and game consoles give device "unknown".
///
/// iPadOS Safari asks for desktop sites by default and then sends a macOS User-Agent, so such
/// iPads are counted as macOS desktops: the User-Agent does not tell them apart.
pub fn parse(user_agent: Option<&str>, operator: Option<&OperatorRules>) -> ClientInfo {
    let ua = match user_agent.map(str::trim) {
        Some(ua) if !ua.is_empty() => ua,
        _ => return ClientInfo::UNKNOWN,
    };
    if let Some(name) = bots::detect(Some(ua), operator) {
        return ClientInfo {
            device: BOT,
            os: None,
            browser: None,
            os_version: None,
            device_model: None,
            bot: Some(name),
        };
    }
    let Uap {
        os,
        browser,
        os_version,
        device_model,
    } = uap(ua);
    let device = bots::with_ascii_lowercase(ua, |lower| device(lower, os.as_deref()));
    ClientInfo {
        device,
        os,
        browser,
        os_version,
        device_model,
        bot: None,
    }
}

thread_local! {
    /// Whole classifications of recent User-Agents, valid for one generation of the
    /// operator's rules (see [`parse_remembered`]).
    static CLASSIFIED: std::cell::RefCell<(u64, std::collections::HashMap<Box<str>, ClientInfo>)> =
        std::cell::RefCell::new((0, std::collections::HashMap::new()));
}

/// [`parse`], remembered per process for the last [`CACHED_USER_AGENTS`] User-Agents:
/// real click traffic repeats a few thousand, and a repeated one then costs a hash
/// lookup. `rules_generation` names the operator's rules in force; when it changes, the
/// memory is cleared, since new rules can change whether a User-Agent is a bot.
pub fn parse_remembered(
    user_agent: Option<&str>,
    operator: Option<&OperatorRules>,
    rules_generation: u64,
) -> ClientInfo {
    let ua = match user_agent.map(str::trim) {
        Some(ua) if !ua.is_empty() => ua,
        _ => return ClientInfo::UNKNOWN,
    };
    let hit = CLASSIFIED.with(|c| {
        let c = c.borrow();
        (c.0 == rules_generation)
            .then(|| c.1.get(ua).cloned())
            .flatten()
    });
    if let Some(info) = hit {
        return info;
    }
    let info = parse(Some(ua), operator);
    CLASSIFIED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != rules_generation || c.1.len() >= CACHED_USER_AGENTS {
            c.1.clear();
            c.0 = rules_generation;
        }
        c.1.insert(ua.into(), info.clone());
    });
    info
}

/// User-Agents whose OS and browser are remembered per process; the memory is cleared
/// whole when it fills.
const CACHED_USER_AGENTS: usize = 4096;

type OsAndBrowser = (Option<Cow<'static, str>>, Option<Cow<'static, str>>);

/// What uap-core's parsers say about a User-Agent, in shortlink's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Uap {
    os: Option<Cow<'static, str>>,
    browser: Option<Cow<'static, str>>,
    os_version: Option<String>,
    device_model: Option<String>,
}

thread_local! {
    /// Real click traffic repeats a few thousand User-Agents, and uap-core's regexes are the
    /// costly part of classifying one, so their answers are remembered. (The bot test is
    /// not: operator rules can change its answer.)
    static SEEN: std::cell::RefCell<std::collections::HashMap<Box<str>, Uap>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The operating system and browser uap-core's regexes find in a User-Agent, in shortlink's
/// vocabulary, whether or not it is a bot's.
pub fn os_and_browser(ua: &str) -> OsAndBrowser {
    let Uap { os, browser, .. } = uap(ua);
    (os, browser)
}

/// [`parse_uap`], remembered.
fn uap(ua: &str) -> Uap {
    let ua = bots::truncate_at_char_boundary(ua, 512);
    if let Some(hit) = SEEN.with(|seen| seen.borrow().get(ua).cloned()) {
        return hit;
    }
    let found = parse_uap(ua);
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() >= CACHED_USER_AGENTS {
            seen.clear();
        }
        seen.insert(ua.into(), found.clone());
    });
    found
}

/// uap-core's own answers for a User-Agent, before shortlink's vocabulary: user agent, OS
/// and device as its three parsers give them (`None` where none matches). For conformance
/// tests against uap-core's test suites and for looking into a classification.
pub fn uap_core(
    ua: &str,
) -> (
    Option<ua_parser::user_agent::Value>,
    Option<ua_parser::os::Value>,
    Option<ua_parser::device::Value>,
) {
    let p = parsers();
    (
        p.user_agent.extract(ua).map(|v| v.into_owned()),
        p.os.extract(ua).map(|v| v.into_owned()),
        p.device.extract(ua).map(|v| v.into_owned()),
    )
}

/// [`uap`] without the memory.
fn parse_uap(ua: &str) -> Uap {
    let p = parsers();
    let os = p.os.extract(ua);
    let browser = p
        .user_agent
        .extract(ua)
        .and_then(|v| browser_name(&v.family));
    let device_model = p.device.extract(ua).and_then(|d| {
        device_model(
            &d.device,
            d.brand.as_deref().unwrap_or(""),
            d.model.as_deref().unwrap_or(""),
        )
    });
    Uap {
        os: os.as_ref().and_then(|v| os_name(&v.os)),
        os_version: os.and_then(|v| {
            os_version(&[v.major.as_deref(), v.minor.as_deref(), v.patch.as_deref()])
        }),
        browser,
        device_model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leak(s: Option<Cow<'static, str>>) -> Option<&'static str> {
        s.map(|s| &*Box::leak(s.into_owned().into_boxed_str()))
    }

    #[test]
    fn remembered_classifications_follow_the_rules_generation() {
        let ua =
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 AcmeWatch/1";
        let first = parse_remembered(Some(ua), None, 1);
        assert_eq!(first, parse(Some(ua), None));
        assert!(!first.is_bot());
        let rules = crate::bots::OperatorRules::new(&[crate::bots::OperatorRule {
            pattern: "acmewatch/".into(),
            is_bot: true,
            name: "Acme watcher".into(),
        }])
        .unwrap();
        // Same generation: the remembered answer, whatever rules are passed.
        assert!(!parse_remembered(Some(ua), Some(&rules), 1).is_bot());
        // A new generation of rules: classified again.
        let again = parse_remembered(Some(ua), Some(&rules), 2);
        assert_eq!(again.bot.as_deref(), Some("Acme watcher"));
        assert_eq!(parse_remembered(Some(" "), None, 2), ClientInfo::UNKNOWN);
    }

    fn p(ua: &str) -> (&'static str, Option<&'static str>, Option<&'static str>) {
        let c = parse(Some(ua), None);
        (c.device, leak(c.os), leak(c.browser))
    }

    #[test]
    fn missing_or_blank() {
        assert_eq!(parse(None, None), ClientInfo::UNKNOWN);
        assert_eq!(parse(Some(""), None), ClientInfo::UNKNOWN);
        assert_eq!(parse(Some("  "), None), ClientInfo::UNKNOWN);
        assert_eq!(parse(None, None).device, "unknown");
    }

    #[test]
    fn bots() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            // The smartphone Googlebot imitates Android Chrome; it is still a bot.
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 \
             (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "WhatsApp/2.23.20.0 A",
            "curl/8.4.0",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        ] {
            assert_eq!(p(ua), ("bot", None, None), "{ua}");
        }
    }

    #[test]
    fn desktop_browsers() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                ("desktop", Some("Windows"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                ("desktop", Some("macOS"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.0.0 Safari/537.36",
                ("desktop", Some("Linux"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                ("desktop", Some("ChromeOS"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
                ("desktop", Some("macOS"), Some("Safari")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
                ("desktop", Some("Windows"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                ("desktop", Some("Linux"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 \
                 Firefox/121.0",
                ("desktop", Some("macOS"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                ("desktop", Some("Windows"), Some("Edge")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
                ("desktop", Some("Windows"), Some("Opera")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36",
                ("desktop", Some("Windows"), Some("Yandex Browser")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; Touch; rv:11.0) like Gecko",
                ("desktop", Some("Windows"), Some("Internet Explorer")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5.3206.48",
                ("desktop", Some("Windows"), Some("Vivaldi")),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(p(ua), want, "{ua}");
        }
    }

    #[test]
    fn mobile_browsers() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
                ("mobile", Some("iOS"), Some("Safari")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
                ("mobile", Some("iOS"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
                ("mobile", Some("iOS"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.0 EdgiOS/120.2210.150 Mobile/15E148 \
                 Safari/605.1.15",
                ("mobile", Some("iOS"), Some("Edge")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.6099.144 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 \
                 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("Samsung Internet")),
            ),
            (
                "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
                ("mobile", Some("Android"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
                ("mobile", Some("Android"), Some("Edge")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.4.4195.76547",
                ("mobile", Some("Android"), Some("Opera")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 \
                 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("Android WebView")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 \
                 Mobile Safari/537.36 Instagram 309.1.0.41.113 Android",
                ("mobile", Some("Android"), Some("Instagram")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Mobile/21B101 [FBAN/FBIOS;FBAV/443.0.0.32.118;\
                 FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBLC/en_US]",
                ("mobile", Some("iOS"), Some("Facebook")),
            ),
            (
                "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) \
                 AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
                ("mobile", Some("Android"), Some("Android Browser")),
            ),
            (
                "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile \
                 Safari/537.36 Edge/15.14977",
                ("mobile", Some("Windows Phone"), Some("Edge")),
            ),
            (
                // An in-app WKWebView without a browser token.
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Mobile/15E148",
                ("mobile", Some("iOS"), Some("iOS WebView")),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(p(ua), want, "{ua}");
        }
    }

    #[test]
    fn tablets() {
        let cases = [
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
                ("tablet", Some("iOS"), Some("Safari")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                ("tablet", Some("Android"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X700) AppleWebKit/537.36 \
                 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
                ("tablet", Some("Android"), Some("Samsung Internet")),
            ),
            (
                "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
                ("tablet", Some("Android"), Some("Firefox")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36",
                ("tablet", Some("Android"), Some("Amazon Silk")),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(p(ua), want, "{ua}");
        }
    }

    #[test]
    fn tvs_consoles_and_oddities() {
        assert_eq!(
            p(
                "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) \
               76.0.3809.146/6.0 TV Safari/537.36"
            ),
            ("unknown", Some("Tizen"), Some("Safari"))
        );
        assert_eq!(
            p(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 \
               (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edge/44.18363.8131"
            )
            .0,
            "unknown"
        );
        // A bare "Name/version" is an app or a library (isbot's rule), not a browser.
        assert_eq!(p("SomeApp/1.0"), ("bot", None, None));
        // iOS and macOS app traffic through CFNetwork: uap-core maps Darwin to the OS.
        assert_eq!(
            p("Spotify/8.8.56 CFNetwork/1408.0.4 Darwin/22.5.0"),
            ("mobile", Some("iOS"), Some("Spotify"))
        );
        assert_eq!(
            p("Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5").0,
            "mobile"
        );
    }

    #[test]
    fn device_class_is_case_insensitive() {
        // uap-core's regexes follow real User-Agents' case; the device class does not care.
        assert_eq!(
            p("MOZILLA/5.0 (IPHONE; CPU IPHONE OS 17_1 LIKE MAC OS X) VERSION/17.1 MOBILE/15E148 \
               SAFARI/604.1")
            .0,
            "mobile"
        );
    }

    #[test]
    fn bots_keep_the_rule_name() {
        let c = parse(Some("WhatsApp/2.23.20.0 A"), None);
        assert_eq!((c.device, c.bot.as_deref()), ("bot", Some("WhatsApp")));
        assert!(c.is_bot());
        assert!(!parse(
            Some("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"),
            None
        )
        .is_bot());
    }

    #[test]
    fn remembered_answers_are_the_same() {
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        let first = os_and_browser(ua);
        let fresh = parse_uap(ua);
        assert_eq!(first, (fresh.os, fresh.browser));
        assert_eq!(os_and_browser(ua), first);
        // Past the limit the memory starts over; answers stay right.
        for i in 0..CACHED_USER_AGENTS + 10 {
            let _ = os_and_browser(&format!("App{i}/1.0 CFNetwork/1408.0.4 Darwin/22.5.0"));
        }
        assert!(SEEN.with(|s| s.borrow().len()) <= CACHED_USER_AGENTS);
        assert_eq!(os_and_browser(ua), first);
    }

    /// The clients uap-core 0.18.0 took for Safari or Chrome, named by uap-core's rules since.
    #[test]
    fn newer_clients() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Mobile/15E148 musical_ly_32.5.0 JsSdk/2.0 NetType/WIFI \
                 Channel/App Store ByteLocale/en Region/US ByteFullLocale/en-US isDarkMode/0 \
                 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
                ("mobile", Some("iOS"), Some("TikTok")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 \
                 Mobile Safari/537.36 trill_320403 JsSdk/1.0 NetType/WIFI Channel/googleplay \
                 AppName/musical_ly app_version/32.4.3 ByteLocale/en ByteFullLocale/en \
                 Region/GB BytedanceWebview/d8a21c6",
                ("mobile", Some("Android"), Some("TikTok")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; NOH-NX9 Build/HUAWEINOH-N29; wv) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/99.0.4844.88 \
                 HuaweiBrowser/13.0.1.301 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("Huawei Browser")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile DuckDuckGo/5 \
                 Safari/537.36",
                ("mobile", Some("Android"), Some("DuckDuckGo")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15",
                ("mobile", Some("iOS"), Some("DuckDuckGo")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Safari/605.1.15 Ddg/17.2",
                ("desktop", Some("macOS"), Some("DuckDuckGo")),
            ),
            (
                // Yandex's search app on Android browses as YaSearchBrowser.
                "Mozilla/5.0 (Linux; arm_64; Android 13; SM-A525F) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/118.0.5993.118 YaApp_Android/23.101.1 \
                 YaSearchBrowser/23.101.1 BroPP/1.0 SA/3 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("Yandex Browser")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) \
                 MacWechat/3.8.5(0x13080510) XWEB/1191 Flue",
                ("desktop", Some("macOS"), Some("WeChat")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2d) \
                 NetType/WIFI Language/zh_CN",
                ("mobile", Some("iOS"), Some("WeChat")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/16.0 OPT/4.3.2 Mobile/15E148 Safari/604.1",
                ("mobile", Some("iOS"), Some("Opera")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1 \
                 Vivaldi/6.5.3206.55",
                ("mobile", Some("iOS"), Some("Vivaldi")),
            ),
            (
                // Edge and Chrome on an iPad, asking for desktop sites.
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) EdgiOS/120.0.2210.126 Version/17.0 Safari/605.1.15",
                ("tablet", Some("iOS"), Some("Edge")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/120.0.6099.119 Safari/604.1",
                ("tablet", Some("iOS"), Some("Chrome")),
            ),
            (
                "Mozilla/5.0 (Linux; U; Android 13; en-US; SM-A135F Build/TP1A.220624.014) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 \
                 UCBrowser/15.5.8.1320 Mobile Safari/537.36",
                ("mobile", Some("Android"), Some("UC Browser")),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(p(ua), want, "{ua}");
        }
    }

    fn version_and_model(ua: &str) -> (Option<String>, Option<String>) {
        let c = parse(Some(ua), None);
        (c.os_version, c.device_model)
    }

    #[test]
    fn os_version_and_device_model() {
        let some = |v: &str, m: Option<&str>| (Some(v.to_owned()), m.map(str::to_owned));
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
                some("17.4.1", Some("iPhone")),
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
                some("16.6", Some("iPad")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
                some("14", Some("Samsung SM-S918B")),
            ),
            (
                // Samsung Internet names the brand in the model token: not doubled.
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 \
                 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                some("13", Some("Samsung SM-S918B")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
                some("14", Some("Google Pixel 8 Pro")),
            ),
            (
                // Chrome's reduced User-Agent names no model ("K"): uap-core's generic Android.
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.6099.144 Mobile Safari/537.36",
                some("10", None),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                some("10", None),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
                some("10.15.7", Some("Mac")),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.0.0 Safari/537.36",
                (None, None),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(version_and_model(ua), want, "{ua}");
        }
        // A bot: neither, even where it imitates a phone.
        let bot = parse(
            Some(
                "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 \
                 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
            None,
        );
        assert_eq!(
            (bot.device, bot.os_version, bot.device_model),
            ("bot", None, None)
        );
    }

    #[test]
    fn version_and_model_assembly() {
        assert_eq!(
            os_version(&[Some("17"), Some("4"), Some("1")]).as_deref(),
            Some("17.4.1")
        );
        assert_eq!(
            os_version(&[Some("14"), None, Some("1")]).as_deref(),
            Some("14")
        );
        assert_eq!(
            os_version(&[Some("10"), Some(""), None]).as_deref(),
            Some("10")
        );
        assert_eq!(os_version(&[None, None, None]), None);
        assert_eq!(
            device_model("iPhone", "Apple", "iPhone").as_deref(),
            Some("iPhone")
        );
        assert_eq!(
            device_model("Samsung SM-S918B", "Samsung", "SM-S918B").as_deref(),
            Some("Samsung SM-S918B")
        );
        assert_eq!(
            device_model("Huawei P30", "Huawei", "HUAWEI P30").as_deref(),
            Some("HUAWEI P30")
        );
        assert_eq!(device_model("K", "Generic_Android", "K"), None);
        assert_eq!(
            device_model("Generic Smartphone", "Generic", "Smartphone"),
            None
        );
        assert_eq!(device_model("Spider", "Spider", "Desktop"), None);
        assert_eq!(device_model("Other", "", ""), None);
    }

    #[test]
    fn family_mapping() {
        assert_eq!(os_name("Mac OS X").as_deref(), Some("macOS"));
        assert_eq!(os_name("Windows").as_deref(), Some("Windows"));
        assert_eq!(os_name("Ubuntu").as_deref(), Some("Linux"));
        assert_eq!(os_name("Chrome OS").as_deref(), Some("ChromeOS"));
        assert_eq!(os_name("KaiOS").as_deref(), Some("KaiOS"));
        assert_eq!(os_name("Other"), None);
        assert_eq!(browser_name("Chrome Mobile iOS").as_deref(), Some("Chrome"));
        assert_eq!(
            browser_name("Mobile Safari UI/WKWebView").as_deref(),
            Some("iOS WebView")
        );
        assert_eq!(browser_name("IE").as_deref(), Some("Internet Explorer"));
        assert_eq!(browser_name("Other"), None);
    }
}
