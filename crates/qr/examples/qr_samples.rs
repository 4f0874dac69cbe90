//! Writes QR codes of several short URLs, at every error-correction level, in both formats
//! and at several sizes and margins, into the directory given, with `manifest.tsv`
//! (file, then the text it encodes, tab-separated) for an independent decoder to check:
//! `tests/qr/run.sh` reads each back with zbar.
//!
//! `cargo run -p shortlink-qr --example qr_samples -- DIR`

use shortlink_qr::{render, Ecc, Format, Matrix, Options};
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), String> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: qr_samples DIR (where the images and manifest.tsv are written)")?,
    );
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let label = "a".repeat(63);
    let longest_domain = format!("{label}.{label}.{label}.{}", "b".repeat(61));
    let urls = [
        shortlink_core::codes::short_url("localhost", "hello"),
        shortlink_core::codes::short_url("go.example.com", "Ab3dE5g"),
        shortlink_core::codes::short_url("s.example.org", "spring-sale_2027"),
        // The longest short URL: a 253-character domain and a 64-character code.
        shortlink_core::codes::short_url(&longest_domain, &"Zz09-_".repeat(11)[..64]),
    ];
    // (size, margin): the default, the smallest size, an odd size whose pixels do not
    // divide evenly, a margin of 1 and of 2 (less than the standard's 4), the largest.
    let layouts = [(300, 4), (128, 4), (333, 2), (200, 1), (512, 16), (2048, 4)];
    let mut manifest = String::new();
    let mut n = 0;
    for (u, url) in urls.iter().enumerate() {
        for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
            for format in [Format::Svg, Format::Png] {
                for &(size, margin) in &layouts {
                    let width = Matrix::encode(url, ecc).map_err(|e| e.message)?.width();
                    let side = width + 2 * margin as usize;
                    // An SVG rasterised at its own size below 1.5 pixels per module mixes
                    // modules of 1 and 2 pixels, which zbar cannot read (an SVG is printed
                    // or drawn far larger); the PNG of the same size, with whole pixels per
                    // module, is checked instead.
                    if format == Format::Svg && (size as usize) * 2 < side * 3 {
                        continue;
                    }
                    let o = Options {
                        format,
                        size,
                        margin,
                        ecc,
                    };
                    let bytes = match render(url, &o) {
                        Ok(b) => b,
                        // The longest URL at a high level does not fit the smallest sizes:
                        // refused, as it should be (the crate's unit tests check the rule).
                        Err(e) if e.message.contains("pixels, not") => continue,
                        Err(e) => return Err(format!("{url} {o:?}: {}", e.message)),
                    };
                    let name = format!(
                        "url{u}-{}-{size}-m{margin}.{}",
                        ecc.as_str(),
                        format.as_str()
                    );
                    std::fs::write(dir.join(&name), bytes).map_err(|e| format!("{name}: {e}"))?;
                    let _ = writeln!(manifest, "{name}\t{url}");
                    n += 1;
                }
            }
        }
    }
    std::fs::write(dir.join("manifest.tsv"), manifest).map_err(|e| e.to_string())?;
    println!("{n} images in {}", dir.display());
    Ok(())
}
