//! shortlink's vocabulary of clients: uap-core's OS and browser families mapped onto the
//! names click events and statistics use, and the device class, which uap-core does not
//! have, derived from the operating system and the tokens phones and tablets send.

use std::borrow::Cow;

/// The device classes.
pub const DESKTOP: &str = "desktop";
pub const MOBILE: &str = "mobile";
pub const TABLET: &str = "tablet";
pub const BOT: &str = "bot";
pub const UNKNOWN: &str = "unknown";

/// shortlink's name for a uap-core OS family; `None` for "Other".
pub fn os_name(family: &str) -> Option<Cow<'static, str>> {
    const LINUX: &[&str] = &[
        "Linux",
        "Ubuntu",
        "Kubuntu",
        "Xubuntu",
        "Lubuntu",
        "Fedora",
        "Debian",
        "Red Hat",
        "CentOS",
        "Mint",
        "Linux Mint",
        "SUSE",
        "openSUSE",
        "Gentoo",
        "Mandriva",
        "Slackware",
        "Arch Linux",
        "Mageia",
        "elementary OS",
        "PCLinuxOS",
        "Manjaro",
        "Sabayon",
    ];
    Some(Cow::Borrowed(match family {
        "Other" | "" => return None,
        "iOS" | "iPadOS" => "iOS",
        "Mac OS X" | "Mac OS" | "macOS" => "macOS",
        "Android" => "Android",
        "Chrome OS" | "ChromeOS" => "ChromeOS",
        "Windows Phone" | "Windows Mobile" => "Windows Phone",
        f if f == "Windows" || (f.starts_with("Windows ") && !f.starts_with("Windows CE")) => {
            "Windows"
        }
        f if LINUX.contains(&f) => "Linux",
        f => return Some(Cow::Owned(f.to_owned())),
    }))
}

/// shortlink's name for a uap-core browser family; `None` for "Other".
pub fn browser_name(family: &str) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(match family {
        "Other" | "" => return None,
        "Chrome" | "Chrome Mobile" | "Chrome Mobile iOS" | "Chrome Frame" => "Chrome",
        "Chrome Mobile WebView" => "Android WebView",
        "Safari" | "Mobile Safari" => "Safari",
        "Mobile Safari UI/WKWebView" => "iOS WebView",
        "Firefox" | "Firefox Mobile" | "Firefox iOS" | "Firefox Beta" | "Firefox Alpha"
        | "Firefox Focus" => "Firefox",
        "Edge" | "Edge Mobile" => "Edge",
        "Opera" | "Opera Mobile" | "Opera Mini" | "Opera Tablet" | "Opera Touch" => "Opera",
        "Samsung Internet" => "Samsung Internet",
        "IE" | "IE Mobile" => "Internet Explorer",
        "UC Browser" => "UC Browser",
        "Yandex Browser" => "Yandex Browser",
        "MiuiBrowser" => "MIUI Browser",
        "DuckDuckGo Mobile" => "DuckDuckGo",
        "Amazon Silk" => "Amazon Silk",
        "Android" => "Android Browser",
        f => return Some(Cow::Owned(f.to_owned())),
    }))
}

fn has(ua: &str, tokens: &[&str]) -> bool {
    tokens.iter().any(|t| ua.contains(t))
}

/// The device class from a lowercased User-Agent and shortlink's OS name.
pub(crate) fn device(ua: &str, os: Option<&str>) -> &'static str {
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
            "inettv",
        ],
    ) {
        return UNKNOWN;
    }
    // Kindle e-readers and Fire tablets (Silk) say "Mobile" or nothing at all.
    if has(ua, &["kindle/", "silk/", "silk-accelerated"]) {
        return TABLET;
    }
    // Puffin names the device in a suffix of its version: ...IT / AT a tablet, IP / AP a phone.
    if let Some(i) = ua.find("puffin/") {
        let version = ua[i + 7..].split([' ', ';', ')']).next().unwrap_or("");
        if version.ends_with("it") || version.ends_with("at") {
            return TABLET;
        }
        if version.ends_with("ip") || version.ends_with("ap") {
            return MOBILE;
        }
    }
    match os {
        Some("iOS") => {
            if has(ua, &["ipad", "model/ipad"]) {
                TABLET
            } else {
                MOBILE
            }
        }
        // Google's convention: Android phones say "Mobile", Android tablets do not.
        Some("Android") => {
            if has(ua, &["mobile", "phone"]) {
                MOBILE
            } else if has(ua, &["tablet", "pad", "tab"]) || !ua.contains("dalvik") {
                TABLET
            } else {
                UNKNOWN
            }
        }
        Some("Windows Phone") => MOBILE,
        Some("Windows" | "macOS" | "Linux" | "ChromeOS") => DESKTOP,
        _ if ua.contains("tablet") => TABLET,
        // Phones, feature phones and their browsers (BREW, NetFront, i-mode carriers).
        _ if has(
            ua,
            &[
                "mobile",
                "opera mini",
                "kaios",
                "midp",
                "symbian",
                "blackberry",
                "brew ",
                "netfront",
                "willcom",
                "docomo",
                "up.browser",
            ],
        ) =>
        {
            MOBILE
        }
        _ => UNKNOWN,
    }
}
