//! Recognising bots, crawlers, HTTP libraries and link-preview fetchers by their User-Agent,
//! and naming the rule that matched.
//!
//! The patterns are data, from maintained lists, compiled once per process:
//! - shortlink's own named rules (`data/shortlink-bots.tsv`): messengers' link previews,
//!   mail and SMS link scanners, monitors, HTTP libraries, with the names that click events
//!   and `click_stats` report (`WhatsApp`, `Slackbot`, `Googlebot`, ...);
//! - the pattern list of isbot (`data/isbot.patterns.json`, Unlicense) and the patterns of
//!   crawler-user-agents (`data/crawler-user-agents.patterns.json`, MIT), both JavaScript
//!   regular expressions.
//!
//! Patterns that are plain text go into one Aho-Corasick automaton; the others into one
//! regular expression (bytes, ASCII case-insensitive); the few with look-around, which
//! Rust's regex engine does not have, are split into a regular expression and literal
//! guards before and after it. [`OperatorRules`] (the `shortlink.bot_rules` table) come
//! first of all.

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};

pub use crate::js_patterns::PatternError;
use crate::js_patterns::{
    bytes_regex, classify_pattern, literal_matcher, lower_all, Guarded, Upstream,
};
use std::sync::OnceLock;

/// At most this many bytes of a User-Agent are inspected; real ones are a few hundred bytes.
const MAX_INSPECTED: usize = 2048;

/// User-Agents up to this length are lowercased on the stack.
const STACK_BUFFER: usize = 512;

/// Longest rule name kept in a click event.
const MAX_NAME: usize = 64;

const SHORTLINK_BOTS: &str = include_str!("../data/shortlink-bots.tsv");
const SHORTLINK_NOT_BOTS: &str = include_str!("../data/shortlink-not-bots.tsv");
const ISBOT: &str = include_str!("../data/isbot.patterns.json");
const CRAWLER_USER_AGENTS: &str = include_str!("../data/crawler-user-agents.patterns.json");

/// The built-in rules, compiled.
pub struct Builtin {
    /// shortlink's named rules: pattern index -> name.
    named: AhoCorasick,
    names: Vec<&'static str>,
    /// Text blanked out before any rule is matched.
    not_bots: Regex,
    /// isbot's patterns (case-insensitive, matched on the lowercased User-Agent) and
    /// crawler-user-agents' (case-sensitive, as that list is written).
    isbot: UpstreamList,
    crawler_user_agents: UpstreamList,
    /// How many upstream patterns there are, for the record.
    pub upstream_patterns: usize,
}

/// One upstream list, compiled.
struct UpstreamList {
    /// Patterns that are plain text.
    literals: AhoCorasick,
    /// Patterns that are regular expressions, as one alternation.
    regexes: Regex,
    /// Patterns with look-around.
    guarded: Vec<Guarded>,
}

impl UpstreamList {
    fn build(patterns: &[String], case_insensitive: bool) -> Result<UpstreamList, PatternError> {
        let mut literals = Vec::new();
        let mut regexes = Vec::new();
        let mut guarded = Vec::new();
        for p in patterns {
            match classify_pattern(p)? {
                Upstream::Literal(t) => literals.push(t),
                Upstream::Regex(r) => regexes.push(r),
                Upstream::Guarded(core, not_before, not_after) => guarded.push(Guarded {
                    core: bytes_regex(&core, case_insensitive)?,
                    not_before: lower_all(not_before),
                    not_after: lower_all(not_after),
                }),
            }
        }
        // Longer texts first, so that a name comes from the most specific one.
        literals.sort_by_key(|t| std::cmp::Reverse(t.len()));
        let alternation = regexes
            .iter()
            .map(|r| format!("(?:{r})"))
            .collect::<Vec<_>>()
            .join("|");
        Ok(UpstreamList {
            literals: literal_matcher(&literals, case_insensitive)?,
            regexes: bytes_regex(&alternation, case_insensitive)?,
            guarded,
        })
    }

    fn find(&self, ua: &[u8]) -> Option<(usize, usize)> {
        if let Some(m) = self.literals.find(ua) {
            return Some((m.start(), m.end()));
        }
        if let Some(m) = self.regexes.find(ua) {
            return Some((m.start(), m.end()));
        }
        self.guarded.iter().find_map(|g| g.find(ua))
    }
}

/// A rule an operator added in `shortlink.bot_rules`.
pub struct OperatorRule {
    /// A regular expression (Rust syntax), matched case-insensitively.
    pub pattern: String,
    /// Whether a match makes a bot (`true`) or a person (`false`, an exception).
    pub is_bot: bool,
    /// The name a bot match is recorded under.
    pub name: String,
}

/// Operator rules, compiled: exceptions first, then bots, in the order given.
#[derive(Default)]
pub struct OperatorRules {
    people: Vec<Regex>,
    bots: Vec<(Regex, String)>,
}

impl OperatorRules {
    pub fn new(rules: &[OperatorRule]) -> Result<OperatorRules, PatternError> {
        let mut compiled = OperatorRules::default();
        for rule in rules {
            let re = RegexBuilder::new(&rule.pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| PatternError {
                    pattern: rule.pattern.clone(),
                    reason: e.to_string(),
                })?;
            if rule.is_bot {
                compiled.bots.push((re, clip_name(&rule.name).to_owned()));
            } else {
                compiled.people.push(re);
            }
        }
        Ok(compiled)
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && self.bots.is_empty()
    }
}

/// Checks one operator pattern as `OperatorRules::new` would compile it.
pub fn check_operator_pattern(pattern: &str) -> Result<(), PatternError> {
    OperatorRules::new(&[OperatorRule {
        pattern: pattern.to_owned(),
        is_bot: true,
        name: String::new(),
    }])
    .map(|_| ())
}

fn clip_name(name: &str) -> &str {
    truncate_at_char_boundary(name.trim(), MAX_NAME)
}

/// The built-in rules, compiled on first use in this process.
pub fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(|| match Builtin::build() {
        Ok(b) => b,
        // The data is compiled in and checked by the tests; this cannot happen in a build
        // that passed them.
        Err(e) => panic!("shortlink's built-in bot patterns do not compile: {e}"),
    })
}

/// Lines of a tab-separated data file, without comments and blank lines.
fn tsv(data: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    data.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or((l, "")))
}

impl Builtin {
    pub fn build() -> Result<Builtin, PatternError> {
        let (names, texts): (Vec<&'static str>, Vec<&'static str>) = tsv(SHORTLINK_BOTS).unzip();
        let list = |json: &str| -> Result<Vec<String>, PatternError> {
            serde_json::from_str(json).map_err(|e| PatternError {
                pattern: String::new(),
                reason: format!("pattern list: {e}"),
            })
        };
        let isbot = list(ISBOT)?;
        let crawler_user_agents = list(CRAWLER_USER_AGENTS)?;
        Ok(Builtin {
            named: literal_matcher(&texts, true)?,
            names,
            not_bots: bytes_regex(
                &tsv(SHORTLINK_NOT_BOTS)
                    .map(|(pattern, _)| format!("(?:{pattern})"))
                    .collect::<Vec<_>>()
                    .join("|"),
                true,
            )?,
            upstream_patterns: isbot.len() + crawler_user_agents.len(),
            isbot: UpstreamList::build(&isbot, true)?,
            crawler_user_agents: UpstreamList::build(&crawler_user_agents, false)?,
        })
    }

    /// The first rule that matches: (start, end, name of a named rule). `ua` is the
    /// User-Agent and `lower` its ASCII-lowercased copy; exceptions are blanked out of both.
    fn find(
        &self,
        ua: &mut [u8],
        lower: &mut [u8],
    ) -> Option<(usize, usize, Option<&'static str>)> {
        let spans: Vec<(usize, usize)> = self
            .not_bots
            .find_iter(&*lower)
            .map(|m| (m.start(), m.end()))
            .collect();
        for (start, end) in spans {
            lower[start..end].fill(b' ');
            ua[start..end].fill(b' ');
        }
        // An exception that covers the whole User-Agent ("iPhone11Pro") leaves nothing to
        // match, and isbot's pattern for a bare name would take the blanks for one.
        if lower.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        if let Some(m) = self.named.find(&*lower) {
            return Some((m.start(), m.end(), Some(self.names[m.pattern().as_usize()])));
        }
        // crawler-user-agents first: its patterns are crawlers' own names, isbot's are
        // mostly generic words, so the name reported is the more specific one.
        self.crawler_user_agents
            .find(ua)
            .or_else(|| self.isbot.find(lower))
            .map(|(s, e)| (s, e, None))
    }
}

/// A name for an upstream match: the word of the User-Agent around it ("Googlebot" in
/// "...; Googlebot/2.1; ..."), else the matched text.
fn name_around(ua: &str, start: usize, end: usize) -> String {
    let b = ua.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'!' | b'+');
    let mut s = start.min(b.len());
    while s > 0 && word(b[s - 1]) {
        s -= 1;
    }
    let mut e = end.min(b.len()).max(s);
    while e < b.len() && word(b[e]) {
        e += 1;
    }
    let mut name = String::from_utf8_lossy(&b[s..e])
        .trim_matches(['.', '-', '_'])
        .to_owned();
    if name.is_empty() || name.eq_ignore_ascii_case("mozilla") {
        name = String::from_utf8_lossy(&b[start.min(b.len())..end.min(b.len())])
            .trim()
            .to_owned();
    }
    if name.is_empty() {
        name = "bot".to_owned();
    }
    clip_name(&name).to_owned()
}

/// The rule a User-Agent matches, by name, or `None` for a person.
///
/// A missing or empty (or all-blank) User-Agent is *not* a bot: a proxy in front of the
/// database may simply not pass it on. Matching is ASCII case-insensitive. Operator rules
/// come first: an exception makes a person, whatever else matches.
pub fn detect(user_agent: Option<&str>, operator: Option<&OperatorRules>) -> Option<String> {
    let ua = user_agent.map(str::trim).filter(|u| !u.is_empty())?;
    let ua = truncate_at_char_boundary(ua, MAX_INSPECTED);
    if let Some(op) = operator {
        if op.people.iter().any(|r| r.is_match(ua.as_bytes())) {
            return None;
        }
        if let Some((_, name)) = op.bots.iter().find(|(r, _)| r.is_match(ua.as_bytes())) {
            return Some(name.clone());
        }
    }
    let found = with_copies(ua, |copy, lower| builtin().find(copy, lower))?;
    Some(match found {
        (_, _, Some(name)) => name.to_owned(),
        (start, end, None) => name_around(ua, start, end),
    })
}

/// Whether a User-Agent belongs to a bot, crawler, HTTP library or link-preview fetcher
/// (the built-in rules only).
pub fn is_bot(user_agent: Option<&str>) -> bool {
    detect(user_agent, None).is_some()
}

/// Calls `f` with a copy of `s` and an ASCII-lowercased copy, on the stack when short.
fn with_copies<R>(s: &str, f: impl FnOnce(&mut [u8], &mut [u8]) -> R) -> R {
    if s.len() <= STACK_BUFFER {
        let mut buf = [0u8; 2 * STACK_BUFFER];
        let (copy, lower) = buf.split_at_mut(STACK_BUFFER);
        let (copy, lower) = (&mut copy[..s.len()], &mut lower[..s.len()]);
        copy.copy_from_slice(s.as_bytes());
        lower.copy_from_slice(s.as_bytes());
        lower.make_ascii_lowercase();
        f(copy, lower)
    } else {
        f(
            &mut s.as_bytes().to_vec(),
            &mut s.as_bytes().to_ascii_lowercase(),
        )
    }
}

/// Calls `f` with an ASCII-lowercased copy of `s`, kept on the stack when it is short
/// enough.
fn with_lowercase_bytes<R>(s: &str, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if s.len() <= STACK_BUFFER {
        let mut buf = [0u8; STACK_BUFFER];
        let lower = &mut buf[..s.len()];
        lower.copy_from_slice(s.as_bytes());
        lower.make_ascii_lowercase();
        f(lower)
    } else {
        f(&mut s.as_bytes().to_ascii_lowercase())
    }
}

/// Calls `f` with an ASCII-lowercased copy of (at most the first [`MAX_INSPECTED`] bytes of)
/// `s`, kept on the stack when it is short enough.
pub(crate) fn with_ascii_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let s = truncate_at_char_boundary(s, MAX_INSPECTED);
    with_lowercase_bytes(s, |lower| match std::str::from_utf8(lower) {
        Ok(lower) => f(lower),
        // ASCII lowercasing keeps UTF-8 valid, so this is never taken.
        Err(_) => f(&s.to_ascii_lowercase()),
    })
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary
/// (shared with the header cap of clicks).
pub use shortlink_core::click::truncate_at_char_boundary;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js_patterns::{js_to_rust, literal};

    fn bot(ua: &str) -> bool {
        is_bot(Some(ua))
    }

    const BOTS: &[&str] = &[
        // Link previews in messengers and social networks.
        "WhatsApp/2.23.20.0 A",
        "WhatsApp/2.2334.6 i",
        "TelegramBot (like TwitterBot)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slack-ImgProxy (+https://api.slack.com/robots)",
        "Slackbot 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit/1.1;line-poker/1.0",
        "Facebot",
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
        "Twitterbot/1.0",
        // iMessage / Apple link preview.
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) \
         Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
         Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "AppleBot",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 \
         skype-url-preview@microsoft.com",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
        "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:38.0) Gecko/20100101 Firefox/38.0 \
         (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
        "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
        "Iframely/1.3.1 (+https://iframely.com/docs/about)",
        "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/117.0.0.0 Safari/537.36 Snap URL Preview Service; bot; snapchat; \
         https://developers.snap.com/robots",
        "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
        "http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/)",
        // Search engines.
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 \
         (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 \
         (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
        "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Mediapartners-Google",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/91.0.4472.114 Safari/537.36 Edg/91.0.864.54 BingPreview/1.0b",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (compatible; YandexImages/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
        "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) \
         Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        // AI crawlers.
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; \
         +https://openai.com/gptbot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; \
         +https://openai.com/bot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; \
         +claudebot@anthropic.com)",
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile \
         Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
        // HTTP libraries and tools.
        "curl/8.4.0",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "Python-urllib/3.11",
        "python-httpx/0.25.0",
        "Go-http-client/1.1",
        "Go-http-client/2.0",
        "okhttp/4.12.0",
        "Apache-HttpClient/4.5.14 (Java/17.0.8)",
        "Java/1.8.0_381",
        "libwww-perl/6.72",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "axios/1.6.2",
        "PostmanRuntime/7.35.0",
        "Scrapy/2.11.0 (+https://scrapy.org)",
        "Dart/3.2 (dart:io)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         HeadlessChrome/120.0.6099.109 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 \
         (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        // Generic words.
        "Mozilla/5.0 (compatible; SomeNewCrawler/1.0)",
        "my-spider",
        "ExampleBot",
        "Mozilla/5.0 (compatible; bot)",
        "NewsBlur Feed Fetcher - 5 subscribers",
    ];

    const HUMANS: &[&str] = &[
        // Chrome on Windows, macOS, Linux, Android, iOS, ChromeOS.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36",
        // Safari on iOS, iPadOS and macOS.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
         Version/16.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        // Firefox.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
        // Edge.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
        // Samsung Internet.
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 \
         (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        // Opera.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
        // In-app browsers are people, not preview fetchers.
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Mobile/21B101 [FBAN/FBIOS;FBAV/443.0.0.32.118;FBBV/544473436;\
         FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 \
         (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 \
         Instagram 309.1.0.41.113 Android",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Mobile/15E148 Telegram-iOS/10.2",
        "Mozilla/5.0 (Linux; Android 12; 22011119UY) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 YaBrowser/23.11.3.80 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.0 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15",
        // A phone brand that contains "bot".
        "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Mobile Safari/537.36",
    ];

    #[test]
    fn recognises_bots() {
        for ua in BOTS {
            assert!(bot(ua), "should be a bot: {ua}");
        }
    }

    #[test]
    fn browsers_are_not_bots() {
        for ua in HUMANS {
            assert!(!bot(ua), "should not be a bot: {ua}");
        }
    }

    #[test]
    fn missing_or_empty_is_not_a_bot() {
        assert!(!is_bot(None));
        assert!(!is_bot(Some("")));
        assert!(!is_bot(Some("   \t")));
    }

    #[test]
    fn case_insensitive() {
        assert!(bot("GOOGLEBOT/2.1"));
        assert!(bot("CURL/8.0"));
        assert!(bot("whatsapp/2.23"));
        assert!(bot("FacebookExternalHit/1.1"));
        assert!(bot("headlesschrome"));
    }

    #[test]
    fn rule_names() {
        let name = |ua: &str| detect(Some(ua), None);
        assert_eq!(name("WhatsApp/2.23.20.0 A").as_deref(), Some("WhatsApp"));
        assert_eq!(
            name("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)").as_deref(),
            Some("Slackbot")
        );
        assert_eq!(
            name("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .as_deref(),
            Some("Googlebot")
        );
        // From the upstream lists: the word of the User-Agent around the match.
        assert_eq!(
            name("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)").as_deref(),
            Some("AhrefsBot")
        );
        assert_eq!(
            name("Mozilla/5.0 (compatible; SomeNewCrawler/1.0)").as_deref(),
            Some("crawler")
        );
        assert_eq!(name("ExampleBot").as_deref(), Some("ExampleBot"));
        assert_eq!(
            name("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"),
            None
        );
    }

    #[test]
    fn look_around_guards() {
        // isbot's "(?<! cu)bots?(?:\\b|_)": the phone brand Cubot is not a bot word.
        assert!(!bot("Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"));
        assert!(bot("Mozilla/5.0 (compatible; bot)"));
        // "(?<!cam)scan": a camera scanner app is not a scanner bot.
        assert!(bot("SomeScan/1.0"));
        let g = match classify_pattern("(?<!cam)scan") {
            Ok(Upstream::Guarded(core, before, after)) => (core, before, after),
            _ => panic!("not split into guards"),
        };
        assert_eq!(g, ("scan".to_owned(), vec!["cam".to_owned()], vec![]));
        let g = match classify_pattern("(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))")
        {
            Ok(Upstream::Guarded(core, before, after)) => (core, before, after),
            _ => panic!("not split into guards"),
        };
        assert_eq!(g.0, "google");
        assert_eq!(g.1, vec![" channel/", "google/"]);
        assert_eq!(g.2, vec!["wv", "app", "/google", " pixel"]);
        let guarded = Guarded {
            core: bytes_regex("scan", true).unwrap(),
            not_before: vec![b"cam".to_vec()],
            not_after: vec![],
        };
        assert_eq!(guarded.find(b"camscan"), None);
        assert_eq!(guarded.find(b"camscan scan"), Some((8, 12)));
    }

    #[test]
    fn exceptions_are_blanked_not_trusted() {
        // Chrome Frame in an Internet Explorer is a person...
        assert!(!bot("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; chromeframe/11.0.696.57)"));
        // ...but a bot that carries it is still a bot.
        assert!(bot(
            "Mozilla/4.0 (compatible; MSIE 8.0; chromeframe/11.0; SomeCrawler/1.0)"
        ));
    }

    #[test]
    fn an_exception_covering_the_whole_user_agent_makes_a_person() {
        // isbot's pattern for a bare name takes "iPhone11Pro" (and the blanks an exception
        // leaves of it) for an app or a library; Device Detector files it as an iPhone.
        assert!(!bot("iPhone11Pro"));
        assert!(!bot("smarttv_AFTMM_Build_535062120_Chromium_59.0.2883.91"));
        // Only the whole of it: a name after the device's is still a bot's.
        assert!(bot("iPhone11Pro SomeFetcher/1.0"));
        assert!(bot("ExampleBot"));
    }

    #[test]
    fn upstream_patterns_translate() {
        assert_eq!(literal("googlebot\\/"), Some("googlebot/".to_owned()));
        assert_eq!(literal("a.b"), None);
        assert_eq!(literal("\\d"), None);
        assert_eq!(js_to_rust("[\\w\\d-.]+"), "[\\w\\d\\-.]+");
        assert!(classify_pattern("(?=x)y").is_err());
        let b = Builtin::build().unwrap();
        assert!(b.upstream_patterns > 1500, "{}", b.upstream_patterns);
    }

    #[test]
    fn operator_rules_come_first() {
        let rules = OperatorRules::new(&[
            OperatorRule {
                pattern: "acmeapp/".into(),
                is_bot: false,
                name: String::new(),
            },
            OperatorRule {
                pattern: "^internal-probe".into(),
                is_bot: true,
                name: "Our probe".into(),
            },
        ])
        .unwrap();
        // An exception wins over the built-in okhttp rule.
        assert_eq!(detect(Some("AcmeApp/2.0 okhttp/4.12"), Some(&rules)), None);
        assert_eq!(
            detect(Some("okhttp/4.12"), Some(&rules)).as_deref(),
            Some("okhttp")
        );
        assert_eq!(
            detect(Some("Internal-Probe 1"), Some(&rules)).as_deref(),
            Some("Our probe")
        );
        let bad = OperatorRules::new(&[OperatorRule {
            pattern: "(".into(),
            is_bot: true,
            name: "x".into(),
        }]);
        assert!(bad.is_err());
        assert!(check_operator_pattern("a(b").is_err());
        assert!(check_operator_pattern("a(b)").is_ok());
    }

    #[test]
    fn long_user_agents() {
        // Longer than the stack buffer: still found.
        let long = format!("{} Googlebot/2.1", "x".repeat(STACK_BUFFER + 100));
        assert!(bot(&long));
        let long_human = format!(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 {}",
            "(extension; y) ".repeat(STACK_BUFFER / 5)
        );
        assert!(!bot(&long_human));
        // Past the inspected prefix: ignored rather than scanned without bound.
        let very_long = format!(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 {} curl/8.0",
            "(z) ".repeat(MAX_INSPECTED / 4 + 10)
        );
        assert!(!bot(&very_long));
    }

    #[test]
    fn non_ascii_is_handled() {
        // Multi-byte characters straddling the truncation point and the stack buffer.
        let ua = format!("{}é curl", "a".repeat(STACK_BUFFER - 1));
        assert!(bot(&ua));
        let ua = format!(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 ({})",
            "é ".repeat(MAX_INSPECTED)
        );
        assert!(!bot(&ua));
        assert!(bot("Ünïcødé spider"));
    }

    #[test]
    fn lowercase_helper() {
        assert_eq!(with_ascii_lowercase("AbC Ü", |s| s.to_owned()), "abc Ü");
        assert_eq!(with_lowercase_bytes("AbC", |s| s.to_vec()), b"abc");
        let long = "Q".repeat(STACK_BUFFER + 1);
        assert_eq!(with_ascii_lowercase(&long, |s| s.len()), STACK_BUFFER + 1);
        assert_eq!(truncate_at_char_boundary("aé", 2), "a");
        assert_eq!(truncate_at_char_boundary("aé", 3), "aé");
    }
}
