use super::*;

const URL: &str = "https://go.example.com/spring";

fn query(q: &[(&'static str, &'static str)]) -> Result<Options> {
    Options::from_query(q.iter().copied())
}

/// The dark modules an SVG's path draws, read back from its `M x yhLENv1h-LENz` runs, in
/// the coordinates of the matrix (the margin taken off).
fn svg_modules(svg: &str, margin: usize, width: usize) -> Vec<bool> {
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut dark = vec![false; width * width];
    for run in d.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let len: usize = rest.split('v').next().unwrap().parse().unwrap();
        assert!(rest.ends_with(&format!("v1h-{len}z")), "{run}");
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        for i in x..x + len {
            let cell = &mut dark[(y - margin) * width + i - margin];
            assert!(!*cell, "module ({i}, {y}) drawn twice");
            *cell = true;
        }
    }
    dark
}

fn matrix_modules(m: &Matrix) -> Vec<bool> {
    (0..m.width())
        .flat_map(|y| (0..m.width()).map(move |x| (x, y)))
        .map(|(x, y)| m.is_dark(x, y))
        .collect()
}

/// (width, height, one luma byte per pixel) of a PNG, through the png crate's decoder.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::One);
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    buf.truncate(frame.buffer_size());
    (frame.width, frame.height, buf)
}

#[test]
fn no_parameters_mean_svg_of_300_pixels_margin_4_ecc_m() {
    let o = query(&[]).unwrap();
    assert_eq!(o, Options::default());
    assert_eq!(
        (o.format, o.size, o.margin, o.ecc),
        (Format::Svg, 300, 4, Ecc::M)
    );
}

#[test]
fn every_parameter_is_read() {
    let o = query(&[
        ("format", "png"),
        ("size", "512"),
        ("margin", "0"),
        ("ecc", "h"),
    ])
    .unwrap();
    assert_eq!(
        o,
        Options {
            format: Format::Png,
            size: 512,
            margin: 0,
            ecc: Ecc::H
        }
    );
    assert_eq!(query(&[("ecc", "Q")]).unwrap().ecc, Ecc::Q);
    assert_eq!(query(&[("size", "64")]).unwrap().size, MIN_SIZE);
    assert_eq!(query(&[("size", "2048")]).unwrap().size, MAX_SIZE);
    assert_eq!(query(&[("margin", "16")]).unwrap().margin, MAX_MARGIN);
}

#[test]
fn bad_parameters_are_refused_naming_the_parameter_and_the_rule() {
    let cases: [(&[(&str, &str)], &str); 9] = [
        (&[("size", "63")], "invalid QR parameter \"size\": must be an integer from 64 to 2048, not \"63\""),
        (&[("size", "2049")], "invalid QR parameter \"size\": must be an integer from 64 to 2048, not \"2049\""),
        (&[("size", "")], "invalid QR parameter \"size\": must be an integer from 64 to 2048, not \"\""),
        (&[("size", "-5")], "invalid QR parameter \"size\": must be an integer from 64 to 2048, not \"-5\""),
        (&[("margin", "17")], "invalid QR parameter \"margin\": must be an integer from 0 to 16, not \"17\""),
        (&[("ecc", "X")], "invalid QR parameter \"ecc\": must be L, M, Q or H, not \"X\""),
        (&[("format", "gif")], "invalid QR parameter \"format\": must be svg or png, not \"gif\""),
        (&[("colour", "red")], "invalid QR parameter \"colour\": unknown parameter; the parameters are format, size, margin, ecc"),
        (&[("size", "100"), ("size", "200")], "invalid QR parameter \"size\": given more than once"),
    ];
    for (q, message) in cases {
        let e = Options::from_query(q.iter().copied()).unwrap_err();
        assert_eq!(e.kind, Kind::InvalidParameter, "{q:?}");
        assert_eq!(e.message, message, "{q:?}");
    }
}

#[test]
fn the_default_svg_is_one_path_of_the_dark_modules_on_white() {
    let m = Matrix::encode(URL, Ecc::M).unwrap();
    let svg = default_svg(URL).unwrap();
    let n = m.width() + 8;
    assert!(
        svg.starts_with(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"300\" \
             viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path fill=\"#000\" d=\"M"
        )),
        "{svg}"
    );
    assert!(svg.ends_with("z\"/></svg>"), "{svg}");
    assert_eq!(svg.matches("<path").count(), 1);
    assert_eq!(svg_modules(&svg, 4, m.width()), matrix_modules(&m));
    assert_eq!(render(URL, &Options::default()).unwrap(), svg.into_bytes());
}

#[test]
fn the_same_text_and_options_give_the_same_bytes() {
    for format in [Format::Svg, Format::Png] {
        let o = Options {
            format,
            size: 333,
            margin: 2,
            ecc: Ecc::Q,
        };
        assert_eq!(render(URL, &o).unwrap(), render(URL, &o).unwrap());
    }
}

#[test]
fn the_margin_moves_the_path_and_widens_the_view_box() {
    let m = Matrix::encode(URL, Ecc::L).unwrap();
    for margin in [0, 1, 4, 16] {
        let svg = m.svg(400, margin).unwrap();
        let n = m.width() + 2 * margin as usize;
        assert!(svg.contains(&format!("viewBox=\"0 0 {n} {n}\"")), "{svg}");
        assert_eq!(
            svg_modules(&svg, margin as usize, m.width()),
            matrix_modules(&m)
        );
    }
}

#[test]
fn higher_error_correction_needs_a_larger_code() {
    let widths: Vec<usize> = [Ecc::L, Ecc::M, Ecc::Q, Ecc::H]
        .iter()
        .map(|&e| {
            Matrix::encode("https://links.example.org/Ab3dE5g", e)
                .unwrap()
                .width()
        })
        .collect();
    assert!(widths.windows(2).all(|w| w[0] <= w[1]), "{widths:?}");
    assert!(widths[0] < widths[3], "{widths:?}");
    // Every width is a QR version's: 21 + 4 per version.
    assert!(widths.iter().all(|w| (w - 21) % 4 == 0), "{widths:?}");
}

#[test]
fn the_png_is_exactly_the_size_asked_with_every_module_a_square_of_whole_pixels() {
    for (size, margin, ecc) in [
        (300, 4, Ecc::M),
        (64, 0, Ecc::L),
        (333, 2, Ecc::H),
        (2048, 16, Ecc::Q),
    ] {
        let m = Matrix::encode(URL, ecc).unwrap();
        let (w, h, pixels) = decode_png(&m.png(size, margin).unwrap());
        assert_eq!((w, h), (size, size));
        let side = m.width() + 2 * margin as usize;
        let scale = size as usize / side;
        let origin = (size as usize - scale * side) / 2 + margin as usize * scale;
        let at = |x: usize, y: usize| pixels[y * size as usize + x];
        for my in 0..m.width() {
            for mx in 0..m.width() {
                let want = if m.is_dark(mx, my) { 0 } else { 255 };
                // Every pixel of the module's square.
                for py in origin + my * scale..origin + (my + 1) * scale {
                    for px in origin + mx * scale..origin + (mx + 1) * scale {
                        assert_eq!(at(px, py), want, "module ({mx}, {my}) at {size}/{margin}");
                    }
                }
            }
        }
        // Outside the code: white.
        let code = origin..origin + m.width() * scale;
        let dark_outside = (0..size as usize)
            .flat_map(|y| (0..size as usize).map(move |x| (x, y)))
            .filter(|&(x, y)| !(code.contains(&x) && code.contains(&y)))
            .any(|(x, y)| at(x, y) == 0);
        assert!(
            !dark_outside,
            "a dark pixel in the quiet zone at {size}/{margin}"
        );
    }
}

#[test]
fn an_image_smaller_than_a_pixel_per_module_is_refused() {
    let m = Matrix::encode(URL, Ecc::H).unwrap();
    let side = m.width() + 32;
    assert!(side > 64, "{side}");
    for e in [m.svg(64, 16).unwrap_err(), m.png(64, 16).unwrap_err()] {
        assert_eq!(e.kind, Kind::InvalidParameter);
        assert_eq!(
            e.message,
            format!(
                "invalid QR parameter \"size\": this code is {side} modules wide with its \
                 margin of 16, so it needs at least {side} pixels, not 64"
            )
        );
    }
    assert!(m.png(side as u32, 16).is_ok());
}

#[test]
fn text_too_long_for_any_version_is_an_invalid_parameter() {
    let e = Matrix::encode(&"x".repeat(3000), Ecc::L).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidParameter);
    assert_eq!(
        e.message,
        "text of 3000 bytes is too long for a QR code at error correction L"
    );
}

#[test]
fn the_longest_short_url_fits_at_every_level() {
    // A domain of 253 characters and a code of 64: the longest short URL there is.
    let label = "a".repeat(63);
    let domain = format!("{label}.{label}.{label}.{}", "b".repeat(61));
    assert_eq!(domain.len(), 253);
    let url = shortlink_core::codes::short_url(&domain, &"C".repeat(64));
    for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
        let m = Matrix::encode(&url, ecc).unwrap();
        // It still fits the default size at one pixel per module or more.
        assert!(m.svg(DEFAULT_SIZE, DEFAULT_MARGIN).is_ok(), "{}", m.width());
    }
}

#[test]
fn the_cache_key_changes_with_every_option_and_the_text() {
    let base = Options::default();
    let keys = [
        cache_key(URL, &base),
        cache_key("https://go.example.com/summer", &base),
        cache_key(
            URL,
            &Options {
                format: Format::Png,
                ..base
            },
        ),
        cache_key(URL, &Options { size: 301, ..base }),
        cache_key(URL, &Options { margin: 3, ..base }),
        cache_key(
            URL,
            &Options {
                ecc: Ecc::H,
                ..base
            },
        ),
    ];
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert_eq!(cache_key(URL, &base), cache_key(URL, &Options::default()));
}
