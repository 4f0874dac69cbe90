//! A small User-Agent parser for click statistics: device class, operating system and browser.
//!
//! It recognises the common browsers and platforms by well-known tokens; it is not a full
//! User-Agent database. Like [`crate::bots`] it does not allocate for ordinary User-Agents.

use crate::bots;

/// What a User-Agent says about the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    /// "desktop", "mobile", "tablet", "bot" or "unknown".
    pub device: &'static str,
    /// "iOS", "Android", "Windows", "macOS", "Linux" or "ChromeOS".
    pub os: Option<&'static str>,
    /// "Chrome", "Safari", "Firefox", "Edge", "Opera", "Samsung Internet", ...
    pub browser: Option<&'static str>,
}

pub const DESKTOP: &str = "desktop";
pub const MOBILE: &str = "mobile";
pub const TABLET: &str = "tablet";
pub const BOT: &str = "bot";
pub const UNKNOWN: &str = "unknown";

impl ClientInfo {
    /// Nothing known about the client.
    pub const UNKNOWN: ClientInfo = ClientInfo {
        device: UNKNOWN,
        os: None,
        browser: None,
    };
    const BOT: ClientInfo = ClientInfo {
        device: BOT,
        os: None,
        browser: None,
    };
}

/// Parses a User-Agent.
///
/// A missing or blank User-Agent gives device "unknown" and no OS or browser. A bot (see
/// [`bots::is_bot`]) gives device "bot" and no OS or browser, since bots often imitate a
/// browser's User-Agent. Smart TVs and game consoles give device "unknown".
///
/// iPadOS Safari asks for desktop sites by default and then sends a macOS User-Agent, so such
/// iPads are counted as macOS desktops: the User-Agent does not tell them apart.
pub fn parse(user_agent: Option<&str>) -> ClientInfo {
    let ua = match user_agent.map(str::trim) {
        Some(ua) if !ua.is_empty() => ua,
        _ => return ClientInfo::UNKNOWN,
    };
    bots::with_ascii_lowercase(ua, |ua| {
        if bots::is_bot_lowercase(ua) {
            return ClientInfo::BOT;
        }
        let os = os(ua);
        ClientInfo {
            device: device(ua, os),
            os,
            browser: browser(ua, os),
        }
    })
}

fn has(ua: &str, tokens: &[&str]) -> bool {
    tokens.iter().any(|t| ua.contains(t))
}

fn os(ua: &str) -> Option<&'static str> {
    // Order matters: iOS says "like Mac OS X", Android and ChromeOS say "Linux",
    // Windows Phone says "Android".
    if ua.contains("windows phone") {
        Some("Windows")
    } else if has(ua, &["iphone", "ipad", "ipod"]) {
        Some("iOS")
    } else if ua.contains("android") {
        Some("Android")
    } else if ua.contains("cros ") {
        Some("ChromeOS")
    } else if ua.contains("windows") || ua.contains("win64") || ua.contains("win32") {
        Some("Windows")
    } else if ua.contains("macintosh") || ua.contains("mac os x") {
        Some("macOS")
    } else if has(ua, &["linux", "x11", "ubuntu", "fedora", "freebsd"]) {
        Some("Linux")
    } else {
        None
    }
}

fn device(ua: &str, os: Option<&str>) -> &'static str {
    if has(
        ua,
        &[
            "smart-tv",
            "smarttv",
            "hbbtv",
            "web0s",
            "netcast",
            "tizen",
            "crkey",
            "appletv",
            "apple tv",
            "playstation",
            "xbox",
            "nintendo",
        ],
    ) {
        return UNKNOWN;
    }
    match os {
        Some("iOS") => {
            if ua.contains("ipad") {
                TABLET
            } else {
                MOBILE
            }
        }
        // Google's convention: Android phones say "Mobile", Android tablets do not.
        Some("Android") => {
            if ua.contains("mobile") {
                MOBILE
            } else {
                TABLET
            }
        }
        Some("Windows") if has(ua, &["windows phone", "iemobile"]) => MOBILE,
        // "Tablet PC" appears in the User-Agents of ordinary Windows computers.
        Some(_) => DESKTOP,
        None if ua.contains("tablet") => TABLET,
        None if has(ua, &["mobile", "opera mini", "kaios"]) => MOBILE,
        None => UNKNOWN,
    }
}

fn browser(ua: &str, os: Option<&str>) -> Option<&'static str> {
    // Order matters: most browsers also carry "Chrome/" and "Safari/" tokens, and in-app
    // browsers carry those of the engine they embed.
    const RULES: &[(&[&str], &str)] = &[
        (&["samsungbrowser/"], "Samsung Internet"),
        (&["edg/", "edga/", "edgios/", "edge/"], "Edge"),
        (&["opr/", "opios/", "opt/", "opera"], "Opera"),
        (&["yabrowser/"], "Yandex Browser"),
        (&["ucbrowser/", "ucweb"], "UC Browser"),
        (&["vivaldi/"], "Vivaldi"),
        (&["miuibrowser/"], "MIUI Browser"),
        (&["huaweibrowser/"], "Huawei Browser"),
        (&["silk/"], "Amazon Silk"),
        (&["duckduckgo/", "ddg/"], "DuckDuckGo"),
        (&["fban/", "fbav/", "fb_iab"], "Facebook"),
        (&["instagram"], "Instagram"),
        (&["micromessenger/"], "WeChat"),
        (&["bytedancewebview", "musical_ly", "tiktok"], "TikTok"),
        (&["gsa/"], "Google App"),
        (&["firefox/", "fxios/"], "Firefox"),
        (&["msie ", "trident/"], "Internet Explorer"),
        (&["chromium/"], "Chromium"),
    ];
    if let Some((_, name)) = RULES.iter().find(|(tokens, _)| has(ua, tokens)) {
        return Some(name);
    }
    if os == Some("Android") && ua.contains("; wv)") {
        return Some("Android WebView");
    }
    if has(ua, &["chrome/", "crios/"]) {
        return Some("Chrome");
    }
    // Old Android stock browser: "Version/4.0 Mobile Safari" without Chrome.
    if os == Some("Android") && ua.contains("safari/") {
        return Some("Android Browser");
    }
    if ua.contains("safari/") && ua.contains("version/") {
        return Some("Safari");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ua: &str) -> (&'static str, Option<&'static str>, Option<&'static str>) {
        let c = parse(Some(ua));
        (c.device, c.os, c.browser)
    }

    #[test]
    fn missing_or_blank() {
        assert_eq!(parse(None), ClientInfo::UNKNOWN);
        assert_eq!(parse(Some("")), ClientInfo::UNKNOWN);
        assert_eq!(parse(Some("  ")), ClientInfo::UNKNOWN);
        assert_eq!(parse(None).device, "unknown");
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
                ("mobile", Some("Windows"), Some("Edge")),
            ),
            (
                // An in-app WKWebView without a browser token.
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Mobile/15E148",
                ("mobile", Some("iOS"), None),
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
            ("unknown", Some("Linux"), None)
        );
        assert_eq!(
            p(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 \
               (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edge/44.18363.8131"
            )
            .0,
            "unknown"
        );
        assert_eq!(p("SomeApp/1.0"), ("unknown", None, None));
        assert_eq!(
            p("Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5").0,
            "mobile"
        );
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(
            p("MOZILLA/5.0 (IPHONE; CPU IPHONE OS 17_1 LIKE MAC OS X) VERSION/17.1 MOBILE/15E148 \
               SAFARI/604.1"),
            ("mobile", Some("iOS"), Some("Safari"))
        );
    }
}
