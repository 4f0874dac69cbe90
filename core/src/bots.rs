//! Recognising bots, crawlers, HTTP libraries and link-preview fetchers by their User-Agent.
//!
//! This runs on every click, so it is allocation-light: the User-Agent is lowercased into a
//! stack buffer (a heap copy only for the rare User-Agent longer than that buffer) and then
//! searched for a fixed list of lowercase tokens.

/// At most this many bytes of a User-Agent are inspected; real ones are a few hundred bytes.
const MAX_INSPECTED: usize = 2048;

/// User-Agents up to this length are lowercased on the stack.
const STACK_BUFFER: usize = 512;

/// Lowercase substrings that mark a User-Agent as automated.
///
/// Most `...bot` names (Googlebot, bingbot, Twitterbot, Discordbot, LinkedInBot, TelegramBot,
/// YandexBot, DuckDuckBot, Pinterestbot, redditbot, AdsBot-Google, Applebot, GPTBot, ...) are also
/// caught by the generic "bot" rule in [`has_bot_word`]; they are listed here too so that the
/// list documents what is recognised and so that a change to the generic rule cannot lose them.
const TOKENS: &[&str] = &[
    // Messengers and social networks fetching link previews.
    "whatsapp",
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "facebookcatalog",
    "facebot",
    "meta-externalagent",
    "meta-externalfetcher",
    "twitterbot",
    "applebot",
    "discordbot",
    "skypeuripreview",
    "linkedinbot",
    "pinterestbot",
    "pinterest/0.",
    "redditbot",
    "embedly",
    "iframely",
    "vkshare",
    "snap url preview",
    "bluesky cardyb",
    "http.rb/", // Mastodon servers fetching link cards
    "pleroma",
    "akkoma",
    "flipboardproxy",
    "nuzzel",
    "outbrain",
    "quora link preview",
    "bitlybot",
    // Search engines.
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "mediapartners-google",
    "apis-google",
    "feedfetcher-google",
    "google-read-aloud",
    "google-safety",
    "google-pagerenderer",
    "google-site-verification",
    "google web preview",
    "googleother",
    "storebot-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "adidxbot",
    "yandexbot",
    "yandex.com/bots",
    "baiduspider",
    "duckduckbot",
    "duckassistbot",
    "slurp",
    "qwantify",
    "seznambot",
    "daum/",
    "yeti/",
    "ia_archiver",
    // AI crawlers and fetchers.
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-user",
    "claude-searchbot",
    "anthropic-ai",
    "perplexitybot",
    "perplexity-user",
    "ccbot",
    "bytespider",
    "amazonbot",
    "cohere-ai",
    "diffbot",
    // HTTP libraries and command-line tools.
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "apache-httpclient",
    "java/",
    "libwww-perl",
    "lwp::",
    "node-fetch",
    "axios/",
    "undici",
    "httpie",
    "postmanruntime",
    "insomnia/",
    "guzzlehttp",
    "dart:io",
    "scrapy",
    "mechanize",
    "winhttp",
    // Headless browsers, monitoring and testing tools.
    "headless",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "statuscake",
    "check_http",
    "validator",
    // Generic words.
    "crawler",
    "crawling",
    "spider",
    "fetcher",
    "scraper",
    "preview service",
    "link preview",
    "linkpreview",
];

/// Whether a User-Agent belongs to a bot, crawler, HTTP library or link-preview fetcher.
///
/// A missing or empty (or all-blank) User-Agent is *not* a bot: a proxy in front of the
/// database may simply not pass it on. Matching is ASCII case-insensitive.
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let ua = match user_agent {
        Some(ua) => ua.trim(),
        None => return false,
    };
    if ua.is_empty() {
        return false;
    }
    with_ascii_lowercase(ua, is_bot_lowercase)
}

/// [`is_bot`] on a User-Agent that is already ASCII-lowercased.
pub(crate) fn is_bot_lowercase(ua: &str) -> bool {
    TOKENS.iter().any(|t| ua.contains(t)) || has_bot_word(ua)
}

/// The generic rule: "bot" at the end of a word ("AhrefsBot/7.0", "PetalBot;", "MJ12bot",
/// "Pingdom.com_bot_version", "(compatible; bot)"), but not inside a longer word ("bottle",
/// "robotics") and not in the phone brand "Cubot".
fn has_bot_word(ua: &str) -> bool {
    let bytes = ua.as_bytes();
    let mut from = 0;
    while let Some(pos) = ua.get(from..).and_then(|rest| rest.find("bot")) {
        let start = from + pos;
        let end = start + 3;
        let word_ends = bytes.get(end).is_none_or(|b| !b.is_ascii_alphabetic());
        let cubot = start >= 2 && &bytes[start - 2..start] == b"cu";
        if word_ends && !cubot {
            return true;
        }
        from = end;
    }
    false
}

/// Calls `f` with an ASCII-lowercased copy of (at most the first [`MAX_INSPECTED`] bytes of)
/// `s`, kept on the stack when it is short enough.
pub(crate) fn with_ascii_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let s = truncate_at_char_boundary(s, MAX_INSPECTED);
    if s.len() <= STACK_BUFFER {
        let mut buf = [0u8; STACK_BUFFER];
        let lower = &mut buf[..s.len()];
        lower.copy_from_slice(s.as_bytes());
        lower.make_ascii_lowercase();
        // ASCII lowercasing keeps UTF-8 valid, so the fallback is never taken.
        match std::str::from_utf8(lower) {
            Ok(lower) => f(lower),
            Err(_) => f(&s.to_ascii_lowercase()),
        }
    } else {
        f(&s.to_ascii_lowercase())
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn generic_bot_word_rule() {
        assert!(has_bot_word("examplebot"));
        assert!(has_bot_word("examplebot/1.0"));
        assert!(has_bot_word("a bot; b"));
        assert!(has_bot_word("x_bot_y"));
        assert!(has_bot_word("cubot x30 and somebot")); // a later match still counts
        assert!(!has_bot_word("bottle"));
        assert!(!has_bot_word("robotics lab"));
        assert!(!has_bot_word("cubot x30"));
        assert!(!has_bot_word("no match here"));
        assert!(!has_bot_word("bo"));
    }

    #[test]
    fn long_user_agents() {
        // Longer than the stack buffer: still found.
        let long = format!("{} Googlebot/2.1", "x".repeat(STACK_BUFFER + 100));
        assert!(bot(&long));
        let long_human = format!("Mozilla/5.0 {}", "y".repeat(STACK_BUFFER * 3));
        assert!(!bot(&long_human));
        // Past the inspected prefix: ignored rather than scanned without bound.
        let very_long = format!("{} curl/8.0", "z".repeat(MAX_INSPECTED + 10));
        assert!(!bot(&very_long));
    }

    #[test]
    fn non_ascii_is_handled() {
        // Multi-byte characters straddling the truncation point and the stack buffer.
        let ua = format!("{}é curl", "a".repeat(STACK_BUFFER - 1));
        assert!(bot(&ua));
        let ua = "é".repeat(MAX_INSPECTED);
        assert!(!bot(&ua));
        assert!(bot("Ünïcødé spider"));
    }

    #[test]
    fn lowercase_helper() {
        assert_eq!(with_ascii_lowercase("AbC Ü", |s| s.to_owned()), "abc Ü");
        let long = "Q".repeat(STACK_BUFFER + 1);
        assert_eq!(with_ascii_lowercase(&long, |s| s.len()), STACK_BUFFER + 1);
        assert_eq!(truncate_at_char_boundary("aé", 2), "a");
        assert_eq!(truncate_at_char_boundary("aé", 3), "aé");
    }
}
