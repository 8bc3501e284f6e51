//! Charts of a sensitivity analysis: Sobol indices as bars with their 95%
//! bootstrap intervals, and Morris mu* against sigma.

use super::charts::{Drawable, axis_decimals, colour, draw_legend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Sobol first-order and total indices of each parameter for one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolChart {
    pub title: String,
    pub parameters: Vec<String>,
    /// (S1, low, high) per parameter.
    pub first: Vec<(f64, f64, f64)>,
    /// (ST, low, high) per parameter.
    pub total: Vec<(f64, f64, f64)>,
}

/// Morris mu* and sigma of each parameter for one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisChart {
    pub title: String,
    pub unit: String,
    pub parameters: Vec<String>,
    /// (mu*, sigma) per parameter.
    pub points: Vec<(f64, f64)>,
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

impl Drawable for SobolChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
        root.fill(&WHITE).map_err(e)?;
        let k = self.parameters.len().max(1);
        let high = self
            .first
            .iter()
            .chain(&self.total)
            .map(|(_, _, h)| finite_or_zero(*h))
            .fold(1.0f64, f64::max)
            .min(1.5);
        let low = self
            .first
            .iter()
            .map(|(_, l, _)| finite_or_zero(*l))
            .fold(0.0f64, f64::min)
            .max(-0.5);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(k as f64 - 0.5), low..high * 1.05)
            .map_err(e)?;
        let names = &self.parameters;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(k)
            .x_label_formatter(&label)
            .disable_x_mesh()
            .y_desc("Sobol index (share of output variance)")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(245, 245, 245))
            .draw()
            .map_err(e)?;
        let width = 0.35;
        for (series, (values, name, offset)) in [
            (&self.first, "first order S1", -width / 2.0),
            (&self.total, "total ST", width / 2.0),
        ]
        .into_iter()
        .enumerate()
        {
            let c = colour(series + 1);
            chart
                .draw_series(values.iter().enumerate().map(|(i, (v, _, _))| {
                    let x = i as f64 + offset;
                    Rectangle::new(
                        [
                            (x - width / 2.0, 0.0),
                            (x + width / 2.0, finite_or_zero(*v)),
                        ],
                        c.mix(0.75).filled(),
                    )
                }))
                .map_err(e)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.mix(0.75).filled())
                });
            chart
                .draw_series(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, l, h))| l.is_finite() && h.is_finite())
                        .map(|(i, (v, l, h))| {
                            ErrorBar::new_vertical(
                                i as f64 + offset,
                                *l,
                                finite_or_zero(*v),
                                *h,
                                BLACK.stroke_width(1),
                                8,
                            )
                        }),
                )
                .map_err(e)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(e)?;
        Ok(())
    }
}

impl Drawable for MorrisChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
        root.fill(&WHITE).map_err(e)?;
        let x_max = self
            .points
            .iter()
            .map(|p| finite_or_zero(p.0))
            .fold(0.0, f64::max);
        let y_max = self
            .points
            .iter()
            .map(|p| finite_or_zero(p.1))
            .fold(0.0, f64::max);
        let (x_max, y_max) = (
            if x_max > 0.0 { x_max * 1.25 } else { 1.0 },
            if y_max > 0.0 { y_max * 1.2 } else { 1.0 },
        );
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(e)?;
        let (dx, dy) = (axis_decimals(x_max / 8.0), axis_decimals(y_max / 8.0));
        let x_fmt = |v: &f64| format!("{:.*}", dx, v);
        let y_fmt = |v: &f64| format!("{:.*}", dy, v);
        chart
            .configure_mesh()
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(format!(
                "mu* (mean |elementary effect|, {} per unit of range)",
                self.unit
            ))
            .y_desc("sigma (interactions, nonlinearity)")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(245, 245, 245))
            .draw()
            .map_err(e)?;
        // sigma = mu*: above it, the effect depends on the other parameters.
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (x_max.min(y_max), x_max.min(y_max))],
                6,
                4,
                RGBColor(150, 150, 150).stroke_width(1),
            ))
            .map_err(e)?;
        for (i, (name, (m, s))) in self.parameters.iter().zip(&self.points).enumerate() {
            let c = colour(i + 1);
            let p = (finite_or_zero(*m), finite_or_zero(*s));
            chart
                .draw_series(std::iter::once(Circle::new(p, 6, c.filled())))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    name.clone(),
                    (p.0 + 0.01 * x_max, p.1 + 0.01 * y_max),
                    ("sans-serif", 14)
                        .into_font()
                        .color(&c)
                        .pos(Pos::new(HPos::Left, VPos::Bottom)),
                )))
                .map_err(e)?;
        }
        root.present().map_err(e)?;
        Ok(())
    }
}
