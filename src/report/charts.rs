//! Charts for a briefing, with plotters: each headline series over time with
//! shaded 95% bands for every scenario, and the difference from the baseline
//! with its band; vertical marks at the policies' events.
//!
//! Building a chart ([`ChartSpec`]) is separate from drawing it, so the same
//! chart goes to SVG (for the report) and PNG (for slides). Text uses
//! DejaVu Sans embedded in the binary, so a PNG looks the same on any
//! machine, with no system fonts needed.

use super::ReportError;
use super::format::Scale;
use crate::analysis::Comparison;
use crate::analysis::effects::{TickRange, level_by_tick, paired_effect};
use crate::analysis::panel::SeriesKey;
use crate::analysis::summary::{policy_events, title, unit};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

/// Pixels: 16:9, legible when pasted on a slide.
pub const SIZE: (u32, u32) = (960, 540);

/// Okabe–Ito colours, which stay apart for the common kinds of colour
/// blindness; black first, for the baseline.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
];

/// The colour of scenario `i` (0 = baseline).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A mean and its 95% band (mean, low, high) at one tick; `None` where
/// nothing was recorded.
pub type BandPoint = Option<(f64, f64, f64)>;

/// One scenario's line: a mean and its 95% band at each tick.
#[derive(Debug, Clone, PartialEq)]
pub struct BandLine {
    pub label: String,
    pub colour: RGBColor,
    /// (mean, low, high) per tick, already scaled; `None` where nothing
    /// was recorded.
    pub points: Vec<BandPoint>,
}

/// A vertical mark at a policy event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMark {
    pub tick: usize,
    pub label: String,
    pub colour: RGBColor,
}

/// Everything needed to draw a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    pub y_label: String,
    /// ISO date of each tick.
    pub dates: Vec<String>,
    pub lines: Vec<BandLine>,
    pub events: Vec<EventMark>,
    /// Draw a line at zero (difference charts).
    pub zero_line: bool,
}

/// The events of every policy, coloured like the policy.
fn event_marks(cmp: &Comparison) -> Vec<EventMark> {
    let mut marks = Vec::new();
    for (i, p) in cmp.policies.iter().enumerate() {
        for e in policy_events(&cmp.baseline.scenario, &p.scenario) {
            // One mark per date and lever, even if several policies share it.
            let label = format!("{} {}", e.date, e.label);
            if !marks.iter().any(|m: &EventMark| m.label == label) {
                marks.push(EventMark {
                    tick: e.tick,
                    label,
                    colour: colour(i + 1),
                });
            }
        }
    }
    marks.sort_by_key(|m| m.tick);
    marks
}

fn dates(cmp: &Comparison) -> Vec<String> {
    let s = &cmp.baseline.scenario;
    (0..s.ticks())
        .map(|t| s.date_of_tick(t).to_string())
        .collect()
}

fn y_label(key: &SeriesKey, scale: &Scale, diff: bool) -> String {
    let words = scale.axis_words(diff);
    let unit = unit(&key.metric);
    match (words, diff) {
        ("%", _) => "percent".into(),
        ("percentage points", _) => "difference, percentage points".into(),
        ("", false) => unit.into(),
        ("", true) => format!("difference, {unit}"),
        (w, false) => format!("{unit} ({w})"),
        (w, true) => format!("difference, {unit} ({w})"),
    }
}

fn magnitude(lines: &[Vec<BandPoint>]) -> f64 {
    lines
        .iter()
        .flatten()
        .flatten()
        .map(|(m, _, _)| m.abs())
        .fold(0.0, f64::max)
}

fn scaled(points: Vec<BandPoint>, f: f64) -> Vec<BandPoint> {
    points
        .into_iter()
        .map(|p| p.map(|(m, l, h)| (m * f, l * f, h * f)))
        .collect()
}

/// Every scenario's mean of `key` over time, with 95% bands.
pub fn levels_chart(cmp: &Comparison, key: &SeriesKey) -> ChartSpec {
    let arms: Vec<_> = std::iter::once(&cmp.baseline)
        .chain(cmp.policies.iter())
        .collect();
    let raw: Vec<Vec<BandPoint>> = arms
        .iter()
        .map(|a| {
            level_by_tick(&a.panel, key)
                .into_iter()
                .map(|e| {
                    e.map(|e| {
                        let (l, h) = e.ci95().unwrap_or((e.mean, e.mean));
                        (e.mean, l, h)
                    })
                })
                .collect()
        })
        .collect();
    let scale = Scale::for_metric(&key.metric, magnitude(&raw));
    let lines = arms
        .iter()
        .zip(raw)
        .enumerate()
        .map(|(i, (a, points))| BandLine {
            label: a.name().to_string(),
            colour: colour(i),
            points: scaled(points, scale.factor),
        })
        .collect();
    ChartSpec {
        title: title(key),
        y_label: y_label(key, &scale, false),
        dates: dates(cmp),
        lines,
        events: event_marks(cmp),
        zero_line: false,
    }
}

/// Each policy's paired difference from the baseline over time, with 95%
/// bands.
pub fn diff_chart(cmp: &Comparison, key: &SeriesKey) -> ChartSpec {
    let ticks = cmp.baseline.scenario.ticks() as usize;
    let raw: Vec<Vec<BandPoint>> = cmp
        .policies
        .iter()
        .map(|p| {
            (0..ticks)
                .map(|t| {
                    paired_effect(&cmp.baseline.panel, &p.panel, key, TickRange::tick(t)).map(|e| {
                        let (l, h) = e.diff.ci95().unwrap_or((e.diff.mean, e.diff.mean));
                        (e.diff.mean, l, h)
                    })
                })
                .collect()
        })
        .collect();
    // Scale differences like levels, so the two charts read alike.
    let level_magnitude = magnitude(
        &std::iter::once(&cmp.baseline)
            .map(|a| {
                level_by_tick(&a.panel, key)
                    .into_iter()
                    .map(|e| e.map(|e| (e.mean, e.mean, e.mean)))
                    .collect()
            })
            .collect::<Vec<_>>(),
    );
    let scale = Scale::for_metric(&key.metric, level_magnitude.max(magnitude(&raw)));
    let lines = cmp
        .policies
        .iter()
        .zip(raw)
        .enumerate()
        .map(|(i, (p, points))| BandLine {
            label: format!("{} - {}", p.name(), cmp.baseline.name()),
            colour: colour(i + 1),
            points: scaled(points, scale.factor),
        })
        .collect();
    ChartSpec {
        title: format!("{}: difference from {}", title(key), cmp.baseline.name()),
        y_label: y_label(key, &scale, true),
        dates: dates(cmp),
        lines,
        events: event_marks(cmp),
        zero_line: true,
    }
}

static FONTS: Once = Once::new();

/// Register the embedded font under the name the charts use (once).
fn register_fonts() {
    FONTS.call_once(|| {
        // A failure leaves plotters without a font; drawing then reports a
        // font error, which is what the caller sees.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A chart that can draw itself on any plotters backend.
pub trait Drawable {
    fn title(&self) -> &str;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

impl Drawable for ChartSpec {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(root, self)
    }
}

/// The chart as an SVG document.
pub fn svg(chart: &impl Drawable) -> Result<String, ReportError> {
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        chart.draw(&root).map_err(|message| ReportError::Chart {
            title: chart.title().to_string(),
            message,
        })?;
    }
    Ok(out)
}

/// The chart as a PNG file.
pub fn png(chart: &impl Drawable, path: &Path) -> Result<(), ReportError> {
    register_fonts();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    chart.draw(&root).map_err(|message| ReportError::Chart {
        title: chart.title().to_string(),
        message,
    })
}

/// Decimals for axis labels spaced `step` apart.
pub(crate) fn axis_decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (-libm::floor(libm::log10(step))).clamp(0.0, 6.0) as usize
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    root.fill(&WHITE).map_err(e)?;
    let ticks = spec.dates.len().max(2);
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, l, h) in spec.lines.iter().flat_map(|l| l.points.iter().flatten()) {
        low = low.min(*l);
        high = high.max(*h);
    }
    if spec.zero_line {
        low = low.min(0.0);
        high = high.max(0.0);
    }
    if !(low.is_finite() && high.is_finite()) {
        (low, high) = (0.0, 1.0);
    }
    if high - low <= f64::EPSILON * high.abs().max(low.abs()).max(1e-300) {
        let pad = (high.abs() * 0.05).max(1.0);
        (low, high) = (low - pad, high + pad);
    }
    let range = high - low;
    // Room at the top for the event labels, stacked.
    let label_room = 0.07 * range * spec.events.len().min(6) as f64;
    let (y0, y1) = (low - 0.04 * range, high + 0.04 * range + label_room);
    let x1 = (ticks - 1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, ("sans-serif", 24))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(0f64..x1, y0..y1)
        .map_err(e)?;
    let dates = &spec.dates;
    let date_label = |x: &f64| {
        let i = x.round().clamp(0.0, x1) as usize;
        dates
            .get(i)
            .map_or(String::new(), |d| d.chars().take(7).collect())
    };
    let decimals = axis_decimals((y1 - y0) / 8.0);
    let value_label = |y: &f64| format!("{:.*}", decimals, y);
    chart
        .configure_mesh()
        .x_labels(9)
        .y_labels(8)
        .x_label_formatter(&date_label)
        .y_label_formatter(&value_label)
        .x_desc("date (start of tick)")
        .y_desc(&spec.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()
        .map_err(e)?;
    if spec.zero_line {
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (x1, 0.0)],
                RGBColor(90, 90, 90).stroke_width(1),
            ))
            .map_err(e)?;
    }
    // Bands first, so every line is drawn over every band.
    for line in &spec.lines {
        for segment in segments(&line.points) {
            let mut outline: Vec<(f64, f64)> = segment
                .iter()
                .map(|&(t, (_, _, h))| (t as f64, h))
                .collect();
            outline.extend(segment.iter().rev().map(|&(t, (_, l, _))| (t as f64, l)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    line.colour.mix(0.18).filled(),
                )))
                .map_err(e)?;
        }
    }
    for line in &spec.lines {
        let style = line.colour.stroke_width(2);
        for (i, segment) in segments(&line.points).into_iter().enumerate() {
            let series = chart
                .draw_series(LineSeries::new(
                    segment.iter().map(|&(t, (m, _, _))| (t as f64, m)),
                    style,
                ))
                .map_err(e)?;
            if i == 0 {
                let c = line.colour;
                series.label(&line.label).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 22, y + 4)], c.mix(0.5).filled())
                });
            }
        }
    }
    for (i, event) in spec.events.iter().enumerate() {
        let x = event.tick as f64;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, y0), (x, y1)],
                6,
                4,
                event.colour.stroke_width(1),
            ))
            .map_err(e)?;
        let right_side = x > 0.7 * x1;
        let pos = if right_side {
            Pos::new(HPos::Right, VPos::Top)
        } else {
            Pos::new(HPos::Left, VPos::Top)
        };
        let y = y1 - 0.07 * range * (i % 6) as f64 - 0.01 * range;
        let offset = if right_side { -0.004 * x1 } else { 0.004 * x1 };
        chart
            .draw_series(std::iter::once(Text::new(
                event.label.clone(),
                (x + offset, y),
                ("sans-serif", 14).into_font().color(&event.colour).pos(pos),
            )))
            .map_err(e)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
    root.present().map_err(e)?;
    Ok(())
}

/// The legend, boxed and half see-through, in every chart's style.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(|err| err.to_string())
}

/// Runs of consecutive ticks with a value.
type Point = (usize, (f64, f64, f64));

fn segments(points: &[BandPoint]) -> Vec<Vec<Point>> {
    let mut out: Vec<Vec<Point>> = Vec::new();
    let mut current = Vec::new();
    for (t, p) in points.iter().enumerate() {
        match p {
            Some(v) if v.0.is_finite() && v.1.is_finite() && v.2.is_finite() => {
                current.push((t, *v))
            }
            _ => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_at_gaps() {
        let p = |v: f64| Some((v, v, v));
        let s = segments(&[p(1.0), None, p(2.0), p(3.0), Some((f64::NAN, 0.0, 0.0))]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].len(), 1);
        assert_eq!(s[1].iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn a_chart_renders_to_svg_with_its_text() {
        let spec = ChartSpec {
            title: "GMV share, kind umkm".into(),
            y_label: "percent".into(),
            dates: (0..10).map(|d| format!("2023-01-{:02}", d + 1)).collect(),
            lines: vec![BandLine {
                label: "baseline".into(),
                colour: colour(0),
                points: (0..10)
                    .map(|t| Some((t as f64, t as f64 - 1.0, t as f64 + 1.0)))
                    .collect(),
            }],
            events: vec![EventMark {
                tick: 4,
                label: "2023-01-05 payment_ban social".into(),
                colour: colour(1),
            }],
            zero_line: true,
        };
        let svg = svg(&spec).unwrap_or_else(|e| panic!("{e}"));
        for text in [
            "GMV share, kind umkm",
            "percent",
            "baseline",
            "payment_ban social",
            "2023-01",
        ] {
            assert!(svg.contains(text), "the SVG lacks {text}");
        }
        assert!(svg.contains("<polygon"), "no band drawn");
    }
}
