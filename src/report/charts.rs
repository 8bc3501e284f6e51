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
use crate::analysis::summary::{policy_events, scenario_events, title_in, unit_in};
use crate::lang::{Lang, fill};
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
    /// Whether the label is drawn (a policy's events); the baseline's own
    /// are lines only, so that a dozen fee changes do not bury the text.
    pub labelled: bool,
}

/// Everything needed to draw a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    pub y_label: String,
    /// The language of the axis's words and numbers.
    pub lang: Lang,
    /// ISO date of each tick.
    pub dates: Vec<String>,
    pub lines: Vec<BandLine>,
    pub events: Vec<EventMark>,
    /// Draw a line at zero (difference charts).
    pub zero_line: bool,
}

/// Every event: the baseline's own (grey, in every scenario) and each
/// policy's (coloured like the policy).
fn event_marks(cmp: &Comparison) -> Vec<EventMark> {
    let mut marks: Vec<EventMark> = scenario_events(&cmp.baseline.scenario)
        .into_iter()
        .map(|e| EventMark {
            tick: e.tick,
            label: format!("{} {}", e.date, e.label),
            colour: RGBColor(165, 165, 165),
            labelled: false,
        })
        .collect();
    for (i, p) in cmp.policies.iter().enumerate() {
        for e in policy_events(&cmp.baseline.scenario, &p.scenario) {
            // One mark per date and lever, even if several policies share it.
            let label = format!("{} {}", e.date, e.label);
            if !marks.iter().any(|m: &EventMark| m.label == label) {
                marks.push(EventMark {
                    tick: e.tick,
                    label,
                    colour: colour(i + 1),
                    labelled: true,
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

/// The y axis's label: "percent", "difference, percentage points",
/// "IDR per tick (billions)", in `lang`.
fn y_label(key: &SeriesKey, scale: &Scale, diff: bool, lang: Lang) -> String {
    let w = lang.words();
    let unit = unit_in(&key.metric, lang);
    let label = match (scale.share, scale.thousands) {
        (true, _) if diff => w.percentage_points.to_string(),
        (true, _) => return w.percent.into(),
        (false, 0) => unit.to_string(),
        (false, k) => format!("{unit} ({})", lang.magnitude_noun(k)),
    };
    if diff {
        fill(w.difference_in, &[&label])
    } else {
        label
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

/// The values a metric can take, in its unscaled unit: shares and indices
/// in [0, 1], counts and amounts that cannot be negative from 0; `None`
/// for a metric that can take any sign (profit).
fn metric_range(metric: &str) -> Option<(f64, f64)> {
    if crate::analysis::summary::is_share(metric) {
        return Some((0.0, 1.0));
    }
    let non_negative = [
        "gmv_idr",
        "sellers_alive",
        "entries",
        "exits",
        "purchase_attempts",
        "purchase_decisions",
        "purchases",
        "purchases_lost",
        "purchases_redirected",
        "avg_price_idr",
        "commission_idr",
        "umkm_revenue_idr",
        "umkm_subsidy_idr",
        "sellers_by_revenue_change",
    ];
    non_negative
        .contains(&metric)
        .then_some((0.0, f64::INFINITY))
}

/// Bands clipped to what the metric can take (a share's band never
/// crosses 0% or 100%; a difference of shares stays within ±100 points).
fn clipped(points: Vec<BandPoint>, range: Option<(f64, f64)>) -> Vec<BandPoint> {
    let Some((lo, hi)) = range else {
        return points;
    };
    points
        .into_iter()
        .map(|p| p.map(|(m, l, h)| (m.clamp(lo, hi), l.clamp(lo, hi), h.clamp(lo, hi))))
        .collect()
}

/// Every scenario's mean of `key` over time, with 95% bands.
pub fn levels_chart(cmp: &Comparison, key: &SeriesKey, lang: Lang) -> ChartSpec {
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
            points: scaled(clipped(points, metric_range(&key.metric)), scale.factor),
        })
        .collect();
    ChartSpec {
        title: title_in(key, lang),
        y_label: y_label(key, &scale, false, lang),
        lang,
        dates: dates(cmp),
        lines,
        events: event_marks(cmp),
        zero_line: false,
    }
}

/// Each policy's paired difference from the baseline over time, with 95%
/// bands.
pub fn diff_chart(cmp: &Comparison, key: &SeriesKey, lang: Lang) -> ChartSpec {
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
            // A difference spans the metric's range both ways.
            points: scaled(
                clipped(
                    points,
                    metric_range(&key.metric).map(|(lo, hi)| (lo - hi, hi - lo)),
                ),
                scale.factor,
            ),
        })
        .collect();
    ChartSpec {
        title: fill(
            lang.words().chart_difference,
            &[&title_in(key, lang), cmp.baseline.name()],
        ),
        y_label: y_label(key, &scale, true, lang),
        lang,
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
    let labelled = spec.events.iter().filter(|m| m.labelled).count();
    let label_room = 0.07 * range * labelled.min(6) as f64;
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
    let decimals = axis_decimals((y1 - y0) / 8.0);
    let value_label = |y: &f64| spec.lang.decimal(&format!("{:.*}", decimals, y));
    chart
        .configure_mesh()
        .x_labels(0)
        .disable_x_mesh()
        .y_labels(8)
        .y_label_formatter(&value_label)
        .x_desc(spec.lang.words().chart_date)
        .y_desc(&spec.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()
        .map_err(e)?;
    // Month ticks at regular intervals: the first tick of every k-th
    // month, k the smallest of 1, 2, 3, 6, 12 that leaves at most ten.
    let months = month_ticks(dates);
    for &(t, ref label) in &months {
        let x = t as f64;
        chart
            .draw_series(LineSeries::new(
                vec![(x, y0), (x, y1)],
                RGBColor(236, 236, 236).stroke_width(1),
            ))
            .map_err(e)?;
        let (px, py) = chart.backend_coord(&(x, y0));
        root.draw(&Text::new(
            label.clone(),
            (px, py + 8),
            ("sans-serif", 15)
                .into_font()
                .color(&RGBColor(60, 60, 60))
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(e)?;
    }
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
                // The swatch shows what the chart draws: the line over its band.
                series.label(&line.label).legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -5), (22, 5)], c.mix(0.18).filled())
                        + PathElement::new(vec![(0, 0), (22, 0)], c.stroke_width(2))
                });
            }
        }
    }
    let mut row = 0;
    for event in &spec.events {
        let x = event.tick as f64;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, y0), (x, y1)],
                6,
                4,
                event.colour.stroke_width(1),
            ))
            .map_err(e)?;
        if !event.labelled {
            continue;
        }
        let i = row;
        row += 1;
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

/// The ticks where a month begins, every k-th month (k of 1, 2, 3, 6 or
/// 12, the smallest that leaves at most ten labels), labelled `2023-10`.
pub(crate) fn month_ticks(dates: &[String]) -> Vec<(usize, String)> {
    let month_of = |d: &str| -> Option<(i32, u32)> {
        let year = d.get(0..4)?.parse().ok()?;
        let month = d.get(5..7)?.parse().ok()?;
        Some((year, month))
    };
    let starts: Vec<(usize, (i32, u32))> = dates
        .iter()
        .enumerate()
        .filter_map(|(t, d)| Some((t, month_of(d)?)))
        .scan(None, |last, (t, ym)| {
            let new = *last != Some(ym);
            *last = Some(ym);
            Some(new.then_some((t, ym)))
        })
        .flatten()
        .collect();
    let step = [1u32, 2, 3, 6, 12]
        .into_iter()
        .find(|k| starts.iter().filter(|(_, (_, m))| (m - 1) % k == 0).count() <= 10)
        .unwrap_or(12);
    starts
        .into_iter()
        .filter(|(_, (_, m))| (m - 1) % step == 0)
        .map(|(t, (y, m))| (t, format!("{y}-{m:02}")))
        .collect()
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
            lang: Lang::En,
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
                labelled: true,
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

#[cfg(test)]
mod month_tests {
    use super::*;

    #[test]
    fn month_ticks_fall_on_regular_months() {
        // Three years of weekly ticks from 2022-01-03: quarterly labels,
        // on the first tick of January, April, July and October.
        let start: crate::scenario::Date = "2022-01-03".parse().expect("a date");
        let dates: Vec<String> = (0..157)
            .map(|t| start.add_days(7 * t).to_string())
            .collect();
        let ticks = month_ticks(&dates);
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels.len(), 6);
        assert_eq!(labels[..3], ["2022-01", "2022-07", "2023-01"]);
        for (t, l) in &ticks {
            assert!(dates[*t].starts_with(l.as_str()));
            assert!(
                *t == 0 || !dates[t - 1].starts_with(l.as_str()),
                "{l} at {t}"
            );
        }
        // A year: every other month at most.
        let year: Vec<String> = (0..52).map(|t| start.add_days(7 * t).to_string()).collect();
        let labels: Vec<String> = month_ticks(&year).into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            labels,
            [
                "2022-01", "2022-03", "2022-05", "2022-07", "2022-09", "2022-11"
            ]
        );
    }

    #[test]
    fn bands_are_clipped_to_the_metric_range() {
        let points = vec![Some((0.01, -0.02, 0.04)), Some((0.99, 0.97, 1.03))];
        let clipped = clipped(points, metric_range("gmv_share"));
        assert_eq!(clipped[0], Some((0.01, 0.0, 0.04)));
        assert_eq!(clipped[1], Some((0.99, 0.97, 1.0)));
        assert!(metric_range("umkm_profit_idr").is_none());
    }
}
