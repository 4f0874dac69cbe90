//! QR codes of short URLs, for print: the matrix (the `qrcode` crate) and its two
//! renderings, SVG and PNG. Deterministic: the same text and options give the same bytes,
//! so shortlink-server's `GET /{code}/qr` and SQL's `shortlink.qr_svg` agree byte for
//! byte, and an answer can be cached under [`cache_key`].

use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode};
use shortlink_core::{Error, Kind, Result};
use std::fmt::Write as _;

/// The image's width and height in pixels when none is asked for.
pub const DEFAULT_SIZE: u32 = 300;
/// The smallest and largest image a request may ask for: below 64 pixels a printed code is
/// too small to scan; the largest bounds what one request costs (a 2048-pixel PNG is
/// 512 KiB of rows before compression).
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 2048;
/// The quiet zone around the code, in modules: ISO/IEC 18004 asks for 4.
pub const DEFAULT_MARGIN: u32 = 4;
pub const MAX_MARGIN: u32 = 16;

/// Error correction: the share of the code that may be damaged (7, 15, 25, 30%).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecc {
    L,
    M,
    Q,
    H,
}

impl Ecc {
    /// `L`, `M`, `Q` or `H`, in either case.
    pub fn parse(s: &str) -> Option<Ecc> {
        match s {
            "L" | "l" => Some(Ecc::L),
            "M" | "m" => Some(Ecc::M),
            "Q" | "q" => Some(Ecc::Q),
            "H" | "h" => Some(Ecc::H),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ecc::L => "L",
            Ecc::M => "M",
            Ecc::Q => "Q",
            Ecc::H => "H",
        }
    }

    fn level(self) -> EcLevel {
        match self {
            Ecc::L => EcLevel::L,
            Ecc::M => EcLevel::M,
            Ecc::Q => EcLevel::Q,
            Ecc::H => EcLevel::H,
        }
    }
}

/// What the image is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "svg" | "SVG" => Some(Format::Svg),
            "png" | "PNG" => Some(Format::Png),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
        }
    }
}

/// How a code is drawn. [`Options::default`] is what `shortlink.qr_svg` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    /// Width and height of the image, in pixels.
    pub size: u32,
    /// The quiet zone, in modules.
    pub margin: u32,
    pub ecc: Ecc,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Svg,
            size: DEFAULT_SIZE,
            margin: DEFAULT_MARGIN,
            ecc: Ecc::M,
        }
    }
}

/// The request parameters [`Options::from_query`] knows.
pub const PARAMETERS: [&str; 4] = ["format", "size", "margin", "ecc"];

fn invalid(key: &str, rule: impl std::fmt::Display) -> Error {
    Error::new(
        Kind::InvalidParameter,
        format!("invalid QR parameter \"{key}\": {rule}"),
    )
}

fn integer(key: &str, value: &str, min: u32, max: u32) -> Result<u32> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            invalid(
                key,
                format!("must be an integer from {min} to {max}, not \"{value}\""),
            )
        })
}

impl Options {
    /// The options a request's decoded query pairs ask for, the defaults for the others.
    /// An unknown or repeated parameter, or a value out of its range, is an error naming
    /// the parameter and the rule.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Options> {
        let mut o = Options::default();
        let mut seen = [false; PARAMETERS.len()];
        for (key, value) in pairs {
            let Some(i) = PARAMETERS.iter().position(|p| *p == key) else {
                return Err(invalid(
                    key,
                    format!(
                        "unknown parameter; the parameters are {}",
                        PARAMETERS.join(", ")
                    ),
                ));
            };
            if std::mem::replace(&mut seen[i], true) {
                return Err(invalid(key, "given more than once"));
            }
            match key {
                "format" => {
                    o.format = Format::parse(value).ok_or_else(|| {
                        invalid(key, format!("must be svg or png, not \"{value}\""))
                    })?;
                }
                "size" => o.size = integer(key, value, MIN_SIZE, MAX_SIZE)?,
                "margin" => o.margin = integer(key, value, 0, MAX_MARGIN)?,
                _ => {
                    o.ecc = Ecc::parse(value).ok_or_else(|| {
                        invalid(key, format!("must be L, M, Q or H, not \"{value}\""))
                    })?;
                }
            }
        }
        Ok(o)
    }
}

/// The modules of a QR code, dark or light, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    /// The smallest QR code (version) that holds `text` at `ecc`, in the segment modes
    /// that make it shortest.
    pub fn encode(text: &str, ecc: Ecc) -> Result<Matrix> {
        let code = QrCode::with_error_correction_level(text, ecc.level()).map_err(|e| match e {
            QrError::DataTooLong => Error::new(
                Kind::InvalidParameter,
                format!(
                    "text of {} bytes is too long for a QR code at error correction {}",
                    text.len(),
                    ecc.as_str()
                ),
            ),
            e => Error::new(Kind::Internal, format!("QR encoding failed: {e}")),
        })?;
        let width = code.width();
        let dark = code
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Matrix { width, dark })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// The runs of dark modules of row `y`: (first column, length).
    fn runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let row = &self.dark[y * self.width..(y + 1) * self.width];
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < row.len() && !row[x] {
                x += 1;
            }
            if x == row.len() {
                return None;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            Some((start, x - start))
        })
    }

    /// Modules per side with a quiet zone of `margin` on each side.
    fn side(&self, margin: u32) -> usize {
        self.width + 2 * margin as usize
    }

    /// Refuses an image smaller than one pixel per module.
    fn check_size(&self, size: u32, margin: u32) -> Result<()> {
        let side = self.side(margin);
        if (size as usize) < side {
            return Err(invalid(
                "size",
                format!(
                    "this code is {side} modules wide with its margin of {margin}, so it needs \
                     at least {side} pixels, not {size}"
                ),
            ));
        }
        Ok(())
    }

    /// An SVG document `size` pixels wide and high: a white square and one path of the
    /// dark modules, one unit per module, drawn with `shape-rendering="crispEdges"` so
    /// that no renderer blurs the edges between modules.
    pub fn svg(&self, size: u32, margin: u32) -> Result<String> {
        self.check_size(size, margin)?;
        let n = self.side(margin);
        let m = margin as usize;
        let mut s = String::with_capacity(256 + self.dark.len() * 4);
        // write! to a String cannot fail.
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" \
             viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
        );
        for y in 0..self.width {
            for (x, len) in self.runs(y) {
                let _ = write!(s, "M{} {}h{len}v1h-{len}z", x + m, y + m);
            }
        }
        s.push_str("\"/></svg>");
        Ok(s)
    }

    /// A 1-bit grayscale PNG exactly `size` pixels wide and high: each module a square of
    /// whole pixels (`size / side` of them, nearest to crisp at any size), the pixels left
    /// over added to the quiet zone, half on each side.
    pub fn png(&self, size: u32, margin: u32) -> Result<Vec<u8>> {
        self.check_size(size, margin)?;
        let side = self.side(margin);
        let px = size as usize;
        let scale = px / side;
        let offset = (px - scale * side) / 2 + margin as usize * scale;
        let row_bytes = px.div_ceil(8);
        // In 1-bit grayscale a set bit is white: start white, clear the dark pixels.
        let white = vec![0xffu8; row_bytes];
        let mut image = Vec::with_capacity(row_bytes * px);
        for py in 0..px {
            let my = (py >= offset)
                .then(|| (py - offset) / scale)
                .filter(|&y| y < self.width);
            let Some(my) = my else {
                image.extend_from_slice(&white);
                continue;
            };
            let start = image.len();
            image.extend_from_slice(&white);
            let row = &mut image[start..];
            for (x, len) in self.runs(my) {
                for p in offset + x * scale..offset + (x + len) * scale {
                    row[p / 8] &= !(0x80 >> (p % 8));
                }
            }
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, size, size);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let fail =
            |e: png::EncodingError| Error::new(Kind::Internal, format!("PNG encoding failed: {e}"));
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&image).map_err(fail)?;
        writer.finish().map_err(fail)?;
        Ok(out)
    }
}

/// The image of `text` as `o` asks: SVG text or PNG bytes.
pub fn render(text: &str, o: &Options) -> Result<Vec<u8>> {
    let m = Matrix::encode(text, o.ecc)?;
    match o.format {
        Format::Svg => m.svg(o.size, o.margin).map(String::into_bytes),
        Format::Png => m.png(o.size, o.margin),
    }
}

/// The SVG of `text` with the default options: what `shortlink.qr_svg` returns and
/// `GET /{code}/qr` answers without parameters.
pub fn default_svg(text: &str) -> Result<String> {
    let o = Options::default();
    Matrix::encode(text, o.ecc)?.svg(o.size, o.margin)
}

/// Everything the bytes of an image depend on, for an HTTP cache validator: the
/// rendering's version (this crate's), the options and the text.
pub fn cache_key(text: &str, o: &Options) -> String {
    format!(
        "shortlink-qr {} {} size={} margin={} ecc={} {text}",
        env!("CARGO_PKG_VERSION"),
        o.format.as_str(),
        o.size,
        o.margin,
        o.ecc.as_str()
    )
}

#[cfg(test)]
mod tests;
