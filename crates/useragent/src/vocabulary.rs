//! shortlink's vocabulary of clients: uap-core's OS and browser families mapped onto the
//! names click events and statistics use, the OS version and device model put together from
//! uap-core's parts, and the device class, which uap-core does not have, derived from the
//! operating system and the tokens phones and tablets send.

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
        // uap-core names DuckDuckGo's apps "DuckDuckGo Mobile" on phones, "DuckDuckGo" on Macs.
        "DuckDuckGo" | "DuckDuckGo Mobile" => "DuckDuckGo",
        "Huawei Browser" => "Huawei Browser",
        // WeChat's in-app browser (`MicroMessenger/`), on phones and on macOS.
        "WeChat Browser" | "WeChat" => "WeChat",
        // TikTok's in-app browser (`musical_ly`, `BytedanceWebview`).
        "TikTok" => "TikTok",
        "Amazon Silk" => "Amazon Silk",
        "Android" => "Android Browser",
        f => return Some(Cow::Owned(f.to_owned())),
    }))
}

/// The OS version as uap-core gives it: major, minor and patch joined with dots, up to the
/// first part missing ("17.4.1", "14", "10"); `None` without a major version.
pub fn os_version(parts: &[Option<&str>]) -> Option<String> {
    let given: Vec<&str> = parts
        .iter()
        .map_while(|p| p.filter(|p| !p.is_empty()))
        .collect();
    (!given.is_empty()).then(|| given.join("."))
}

/// The device model from uap-core's device family, brand and model: Apple's model alone
/// ("iPhone", "iPad", "Mac"), otherwise the brand and the model ("Samsung SM-S918B"), the
/// brand once when the model already starts with it. `None` for what names no device:
/// uap-core's "Other", its bots ("Spider"), and its generic phones, tablets and Androids
/// (brand "Generic", or a "Generic…" family, such as Chrome's reduced `Android 10; K`).
pub fn device_model(family: &str, brand: &str, model: &str) -> Option<String> {
    let (brand, model) = (brand.trim(), model.trim());
    if model.is_empty()
        || matches!(family, "Other" | "Spider")
        || family.starts_with("Generic")
        || brand.starts_with("Generic")
        || brand == "Spider"
    {
        return None;
    }
    let starts_with_brand = model
        .get(..brand.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(brand));
    Some(
        if brand.is_empty() || brand == "Apple" || starts_with_brand {
            model.to_owned()
        } else {
            format!("{brand} {model}")
        },
    )
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
            // Chrome and Edge on an iPad ask for desktop sites with a Macintosh User-Agent
            // that keeps their iOS token (`CriOS`, `EdgiOS`), which uap-core reads as iOS;
            // an iPhone never sends Macintosh.
            if has(ua, &["ipad", "model/ipad", "macintosh"]) {
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
