//! The world map's path data made small when it is loaded: parsed to absolute points,
//! simplified below what a map at most ~1000 px wide can show, and written again.
//!
//! `data/world.json` writes each country as relative moves and lines with three to five
//! decimals (the only commands in it are `m` and `z`, with numbers like `10e-4`): 1.2 MB in
//! every page with a map. Each ring here drops the points closer than [`MIN_STEP`] to the
//! last point kept, then those within [`MAX_DEVIATION`] of the line between the points kept
//! around them, and is written on a 0.1-unit grid as relative steps between the rounded
//! points. The steps are exact multiples of 0.1, so no rounding error accumulates along a
//! ring, and they take half the bytes of absolute coordinates (192 KB against 371 KB for
//! the map, whose page would then be over 300 KB). The map's unit is a pixel at its
//! natural width of 1010.

use std::fmt;

/// A point kept on a ring is at least this far from the one kept before it (map units).
/// Together with [`MAX_DEVIATION`] and the rounding, no point of the file is more than 0.253
/// units from the simplified outline (measured over all 95,376; 99.96 % are within 0.2).
/// 0.35 saved 2.6 KB more and moved a point by 0.45; without this rule (Douglas–Peucker
/// alone) the data is 0.6 KB larger and no point moves more than 0.21.
pub(crate) const MIN_STEP: f64 = 0.15;

/// Points that a straight line between kept points passes closer than this are dropped
/// (Douglas–Peucker). The rule above alone could not make the map small: dropping points
/// closer than 0.35 left 670 KB of path data written as absolute coordinates, closer than
/// 1.0 still 395 KB (measured with a prototype of this module).
pub(crate) const MAX_DEVIATION: f64 = 0.15;

/// Rounding grids tried in turn, as points per unit: a ring is written on the coarsest grid
/// that leaves it three distinct points. Thirteen rings of the map, among them all of
/// Gibraltar, Vatican City and four US Minor Outlying Islands, are smaller than 0.1 units and
/// would otherwise collapse to a line or a point and vanish.
const GRIDS: [i64; 3] = [10, 100, 1000];

/// A point in the map's coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

impl Point {
    fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// The distance from `self` to the segment from `a` to `b`.
    fn distance_to_segment(self, a: Point, b: Point) -> f64 {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let length_squared = dx * dx + dy * dy;
        if length_squared == 0.0 {
            return self.distance(a);
        }
        let along = (((self.x - a.x) * dx + (self.y - a.y) * dy) / length_squared).clamp(0.0, 1.0);
        self.distance(Point {
            x: a.x + along * dx,
            y: a.y + along * dy,
        })
    }
}

/// One subpath in absolute coordinates: its first point, then each line's end point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Subpath {
    pub(crate) points: Vec<Point>,
    /// Ended by `Z`: a ring, drawn back to its first point.
    pub(crate) closed: bool,
}

/// Path data that [`parse`] cannot read: where, and why.
#[derive(Debug, PartialEq)]
pub(crate) struct PathError {
    /// The byte offset in the path data.
    pub(crate) at: usize,
    pub(crate) reason: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid path data at byte {}: {}", self.at, self.reason)
    }
}

/// Reads path data made of moves and straight lines (`M`, `L`, `H`, `V`, `Z`, absolute or
/// relative) as the SVG grammar has it: commas or white space between numbers, or nothing
/// where the next number cannot continue the last (`1-2`, `1.2.3` is `1.2 .3`), exponents,
/// a command's arguments repeated without its letter (after a move they are lines), and `Z`
/// returning the current point to the subpath's start. Curves and arcs are refused: the map
/// has none, and a line to their end point would not draw them.
pub(crate) fn parse(data: &str) -> Result<Vec<Subpath>, PathError> {
    let mut lexer = Lexer { data, at: 0 };
    let mut subpaths: Vec<Subpath> = Vec::new();
    let mut current = Point { x: 0.0, y: 0.0 };
    // The first point of the last subpath, where `Z` returns.
    let mut start = current;
    // Whether the last subpath takes more lines; after `Z` a line starts a new one at `start`.
    let mut open = false;
    while let Some((at, letter)) = lexer.command()? {
        if subpaths.is_empty() && !matches!(letter, b'M' | b'm') {
            return Err(PathError {
                at,
                reason: format!(
                    "must begin with a move (M or m), not {:?}",
                    char::from(letter)
                ),
            });
        }
        let relative = letter.is_ascii_lowercase();
        let mut command = letter.to_ascii_uppercase();
        if command == b'Z' {
            if let (true, Some(subpath)) = (open, subpaths.last_mut()) {
                subpath.closed = true;
            }
            open = false;
            current = start;
            if lexer.starts_number() {
                return Err(lexer.error("Z takes no numbers"));
            }
            continue;
        }
        loop {
            let origin = if relative {
                current
            } else {
                Point { x: 0.0, y: 0.0 }
            };
            current = match command {
                b'M' | b'L' => Point {
                    x: origin.x + lexer.number()?,
                    y: origin.y + lexer.number()?,
                },
                b'H' => Point {
                    x: origin.x + lexer.number()?,
                    y: current.y,
                },
                b'V' => Point {
                    x: current.x,
                    y: origin.y + lexer.number()?,
                },
                _ => {
                    return Err(PathError {
                        at,
                        reason: format!(
                            "command {:?} is not supported (only M, L, H, V and Z, in either case)",
                            char::from(letter)
                        ),
                    })
                }
            };
            if command == b'M' || !open {
                let first = if command == b'M' { current } else { start };
                subpaths.push(Subpath {
                    points: vec![first],
                    closed: false,
                });
                start = first;
                open = true;
            }
            if command != b'M' {
                if let Some(subpath) = subpaths.last_mut() {
                    subpath.points.push(current);
                }
            }
            if !lexer.starts_number() {
                break;
            }
            // Numbers after a move's pair are lines.
            if command == b'M' {
                command = b'L';
            }
        }
    }
    Ok(subpaths)
}

/// Path data's tokens: command letters and numbers, with their separators skipped.
struct Lexer<'a> {
    data: &'a str,
    at: usize,
}

impl Lexer<'_> {
    fn error(&self, reason: &str) -> PathError {
        PathError {
            at: self.at,
            reason: reason.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.as_bytes().get(self.at).copied()
    }

    fn skip_separators(&mut self) {
        while matches!(
            self.peek(),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b',')
        ) {
            self.at += 1;
        }
    }

    /// The next command letter and its offset, or None at the end of the data.
    fn command(&mut self) -> Result<Option<(usize, u8)>, PathError> {
        self.skip_separators();
        match self.peek() {
            None => Ok(None),
            Some(letter) if letter.is_ascii_alphabetic() => {
                self.at += 1;
                Ok(Some((self.at - 1, letter)))
            }
            Some(_) => Err(self.error("a command letter was expected")),
        }
    }

    /// Whether a number comes next (after separators, which are skipped).
    fn starts_number(&mut self) -> bool {
        self.skip_separators();
        matches!(self.peek(), Some(b'0'..=b'9' | b'.' | b'-' | b'+'))
    }

    /// The next number: a sign, digits with at most one point, and an exponent.
    fn number(&mut self) -> Result<f64, PathError> {
        self.skip_separators();
        let bytes = self.data.as_bytes();
        let begin = self.at;
        let digits = |at: usize| {
            bytes[at..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count()
        };
        let mut end = begin;
        if matches!(bytes.get(end), Some(b'-' | b'+')) {
            end += 1;
        }
        let whole = digits(end);
        end += whole;
        let mut fraction = 0;
        if bytes.get(end) == Some(&b'.') {
            fraction = digits(end + 1);
            end += 1 + fraction;
        }
        if whole + fraction == 0 {
            return Err(self.error("a number was expected"));
        }
        // An `e` is an exponent only if digits follow it (with or without a sign).
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'-' | b'+')));
            let exponent = digits(end + 1 + sign);
            if exponent > 0 {
                end += 1 + sign + exponent;
            }
        }
        let value: f64 = self.data[begin..end]
            .parse()
            .map_err(|_| self.error("a number was expected"))?;
        if !value.is_finite() {
            return Err(self.error("the number is too large"));
        }
        self.at = end;
        Ok(value)
    }
}

/// A subpath as it is written: its points as whole multiples of `1 / grid`, each distinct
/// from the one before it (and, for a ring, the last from the first).
#[derive(Debug, PartialEq)]
pub(crate) struct Rounded {
    pub(crate) grid: i64,
    pub(crate) points: Vec<(i64, i64)>,
    pub(crate) closed: bool,
}

/// The path data `data` simplified (see the module's comment) and written again.
pub(crate) fn simplify(data: &str) -> Result<String, PathError> {
    let mut out = String::new();
    for subpath in parse(data)? {
        write_rounded(&mut out, &simplify_subpath(&subpath));
    }
    Ok(out)
}

/// One subpath with the points that are too close or too straight to see dropped, rounded.
/// A ring keeps at least three points: if the simplified ring has fewer, its original points
/// are rounded instead, on the coarsest grid where three stay distinct.
pub(crate) fn simplify_subpath(subpath: &Subpath) -> Rounded {
    let kept = drop_straight(&drop_near(subpath), subpath.closed);
    let rounded = round(&kept, GRIDS[0], subpath.closed);
    if !subpath.closed || rounded.points.len() >= 3 {
        return rounded;
    }
    GRIDS
        .iter()
        .map(|&grid| round(&subpath.points, grid, true))
        .find(|rounded| rounded.points.len() >= 3)
        // Three distinct points even at 0.001: a ring the data itself has degenerate.
        .unwrap_or_else(|| round(&subpath.points, GRIDS[GRIDS.len() - 1], true))
}

/// The subpath's points without those closer than [`MIN_STEP`] to the last point kept. The
/// first point stays; so does an open subpath's last (the line ends there), while a ring's
/// last points are dropped if they are that close to its first, where `Z` draws to.
pub(crate) fn drop_near(subpath: &Subpath) -> Vec<Point> {
    let Some((&first, rest)) = subpath.points.split_first() else {
        return Vec::new();
    };
    let mut kept = vec![first];
    for &point in rest {
        if kept
            .last()
            .is_some_and(|&last| point.distance(last) >= MIN_STEP)
        {
            kept.push(point);
        }
    }
    if subpath.closed {
        while kept.len() > 1
            && kept
                .last()
                .is_some_and(|&last| last.distance(first) < MIN_STEP)
        {
            kept.pop();
        }
    } else if let Some(&last) = subpath.points.last() {
        // An open line ends where it ended: its last point replaces the last one kept,
        // which is either that point or less than MIN_STEP from it.
        if kept.len() > 1 {
            kept.pop();
        }
        if kept.last() != Some(&last) {
            kept.push(last);
        }
    }
    kept
}

/// `points` without those within [`MAX_DEVIATION`] of the line through the points kept
/// around them (Douglas–Peucker). An open line keeps its ends; a ring keeps its first point
/// and the point farthest from it, and each half between them is simplified as a line.
pub(crate) fn drop_straight(points: &[Point], closed: bool) -> Vec<Point> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    let last = points.len() - 1;
    keep[0] = true;
    let mut spans = Vec::new();
    if closed {
        // Not the last point: `Z` draws on to the first, and the last may be on that line.
        let first = points[0];
        let farthest = (1..points.len())
            .max_by(|&a, &b| {
                points[a]
                    .distance(first)
                    .total_cmp(&points[b].distance(first))
            })
            .unwrap_or(last);
        keep[farthest] = true;
        spans.push((0, farthest));
        // The ring's second half runs from the farthest point back to the first, which
        // `Z` draws to; the first point stands at index `len` of the ring.
        spans.push((farthest, points.len()));
    } else {
        keep[last] = true;
        spans.push((0, last));
    }
    let at = |index: usize| points[index % points.len()];
    while let Some((from, to)) = spans.pop() {
        let Some((worst, deviation)) = (from + 1..to)
            .map(|index| (index, at(index).distance_to_segment(at(from), at(to))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            continue;
        };
        if deviation > MAX_DEVIATION {
            keep[worst] = true;
            spans.push((from, worst));
            spans.push((worst, to));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(&point, keep)| keep.then_some(point))
        .collect()
}

/// `points` rounded to multiples of `1 / grid`, a point equal to the one before it (and a
/// ring's last points equal to its first) left out.
pub(crate) fn round(points: &[Point], grid: i64, closed: bool) -> Rounded {
    // Map coordinates are below 2000, far inside i64 even at the finest grid.
    let scale = grid as f64;
    let mut rounded: Vec<(i64, i64)> = Vec::with_capacity(points.len());
    for point in points {
        let at = (
            (point.x * scale).round() as i64,
            (point.y * scale).round() as i64,
        );
        if rounded.last() != Some(&at) {
            rounded.push(at);
        }
    }
    if closed {
        while rounded.len() > 1 && rounded.last() == rounded.first() {
            rounded.pop();
        }
    }
    Rounded {
        grid,
        points: rounded,
        closed,
    }
}

/// Appends `subpath` as `M` to its first point and relative `l` steps to the others (`Z`
/// for a ring), in as few bytes as the grammar allows: `M479.7 331.6l-.1.2-.3 0Z`.
pub(crate) fn write_rounded(out: &mut String, subpath: &Rounded) {
    let Some((&first, rest)) = subpath.points.split_first() else {
        return;
    };
    out.push('M');
    let mut had_point = push_number(out, first.0, subpath.grid, None);
    push_number(out, first.1, subpath.grid, Some(had_point));
    let mut previous = first;
    for (index, &point) in rest.iter().enumerate() {
        let last_had_point = if index == 0 {
            out.push('l');
            None
        } else {
            Some(had_point)
        };
        let dx = push_number(out, point.0 - previous.0, subpath.grid, last_had_point);
        had_point = push_number(out, point.1 - previous.1, subpath.grid, Some(dx));
        previous = point;
    }
    if subpath.closed {
        out.push('Z');
    }
}

/// Appends `value / grid` (grid 10, 100 or 1000) without trailing zeros or a leading `0`
/// before the point, preceded by a space only where the number before it would otherwise
/// run on: `previous_had_point` is None right after a command letter, else whether the
/// number before had a decimal point (then a `.` starts a new number). Returns whether this
/// number has a decimal point.
fn push_number(out: &mut String, value: i64, grid: i64, previous_had_point: Option<bool>) -> bool {
    let magnitude = value.unsigned_abs();
    let grid = grid.unsigned_abs();
    let (whole, fraction) = (magnitude / grid, magnitude % grid);
    let needs_space = match previous_had_point {
        None => false,
        Some(_) if value < 0 => false,
        Some(true) => whole != 0 || fraction == 0,
        Some(false) => true,
    };
    if needs_space {
        out.push(' ');
    }
    if value < 0 {
        out.push('-');
    }
    if whole != 0 || fraction == 0 {
        out.push_str(&whole.to_string());
    }
    if fraction == 0 {
        return false;
    }
    let width = grid.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    out.push('.');
    out.push_str(digits.trim_end_matches('0'));
    true
}
