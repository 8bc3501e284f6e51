//! The sweep's `report.html` and charts, in the style of the comparison
//! report: the design, the sensitivity of the headline indicators, the
//! charts, and what identifies the sweep. Nothing in it depends on where or
//! when the runs were made, so a merged sweep's report is byte-identical
//! to a local one's.

use super::ReportError;
use super::charts::{png, svg};
use super::html::{STYLE, escape};
use super::sensitivity_charts::{MorrisChart, SobolChart};
use crate::analysis::design::Levels;
use crate::analysis::summary::{title, unit};
use crate::sweep::{Indicator, Sensitivity, SensitivityStats, Summary, SweepSpec};
use std::fmt::Write;
use std::path::Path;

/// The indicators the report shows: the mean over the last 13 weeks of
/// every headline series (`sensitivity.csv` has them all).
fn shown(indicators: &[Indicator]) -> Vec<usize> {
    (0..indicators.len())
        .filter(|&i| indicators[i].headline && indicators[i].summary == Summary::Last13Weeks)
        .collect()
}

fn ci(v: f64, (low, high): (f64, f64)) -> String {
    if v.is_finite() && low.is_finite() && high.is_finite() {
        format!("{v:.3} [{low:.3}, {high:.3}]")
    } else {
        "-".into()
    }
}

/// Draw the sensitivity charts into `folder` and return the report.
pub fn sweep_report(
    spec: &SweepSpec,
    fingerprint: &str,
    seed: u64,
    indicators: &[Indicator],
    sensitivity: Option<&Sensitivity>,
    folder: &Path,
) -> Result<String, ReportError> {
    let mut h = String::new();
    let scenario = spec
        .scenario
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pasar: sweep of {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1>Sweep of {}</h1>\n<p class=\"lede\">{} design, {} samples × {} replicates = {} runs. \
         Indicators are means over the last 13 weeks of the horizon; sensitivities are estimated on \
         each sample's mean over its replicates.</p>\n</header>\n",
        escape(&scenario),
        escape(&scenario),
        escape(&spec.design.kind.spec()),
        spec.design.len(),
        spec.replicates,
        spec.design.len() * spec.replicates as usize
    );
    h.push_str("<section id=\"design\">\n<h2>Design</h2>\n<table>\n<tr><th class=\"l\">parameter</th><th>from</th><th>to</th></tr>\n");
    for f in &spec.design.factors {
        let (low, high) = match &f.levels {
            Levels::Range { low, high } => (low.to_string(), high.to_string()),
            Levels::List(v) => (
                v.iter().map(f64::to_string).collect::<Vec<_>>().join(", "),
                String::new(),
            ),
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&f.path),
            escape(&low),
            escape(&high)
        );
    }
    h.push_str("</table>\n</section>\n");

    h.push_str("<section id=\"sensitivity\">\n<h2>Sensitivity</h2>\n");
    let mut charts = String::new();
    match sensitivity {
        None => h.push_str(
            "<p>This design does not estimate sensitivities (use morris:R or sobol:N); \
             every run's indicators are in <code>sweep.csv</code>.</p>\n",
        ),
        Some(s) => {
            let sobol = s.method == "sobol";
            let _ = writeln!(
                h,
                "<p>{}</p>\n<table>\n<tr><th class=\"l\">indicator</th><th class=\"l\">parameter</th>{}</tr>",
                if sobol {
                    "Sobol indices: S1 is the share of the indicator's variance due to the parameter alone, \
                     ST including its interactions; 95% bootstrap intervals in brackets."
                } else {
                    "Morris elementary effects: mu* is the mean absolute effect of moving the parameter across \
                     its range (in the indicator's unit), sigma their spread (interactions and nonlinearity)."
                },
                if sobol {
                    "<th>S1</th><th>ST</th>"
                } else {
                    "<th>mu*</th><th>sigma</th>"
                }
            );
            for i in shown(indicators) {
                let ind = &indicators[i];
                let names: Vec<String> =
                    spec.design.factors.iter().map(|f| f.path.clone()).collect();
                for (f, stats) in names.iter().zip(&s.stats[i]) {
                    let cells = match stats {
                        SensitivityStats::Sobol(x) => {
                            format!(
                                "<td>{}</td><td>{}</td>",
                                ci(x.s1, x.s1_ci95),
                                ci(x.st, x.st_ci95)
                            )
                        }
                        SensitivityStats::Morris(m) => {
                            format!(
                                "<td>{}</td><td>{}</td>",
                                super::format::significant(m.mu_star),
                                super::format::significant(m.sigma)
                            )
                        }
                    };
                    let _ = writeln!(
                        h,
                        "<tr><td class=\"l\">{}</td><td class=\"l\"><code>{}</code></td>{cells}</tr>",
                        escape(&title(&ind.key)),
                        escape(f)
                    );
                }
                let chart_title = format!("{} (last 13 weeks)", title(&ind.key));
                let (svg_text, stem) = if sobol {
                    let pick = |first: bool| {
                        s.stats[i]
                            .iter()
                            .map(|x| match x {
                                SensitivityStats::Sobol(x) if first => {
                                    (x.s1, x.s1_ci95.0, x.s1_ci95.1)
                                }
                                SensitivityStats::Sobol(x) => (x.st, x.st_ci95.0, x.st_ci95.1),
                                SensitivityStats::Morris(_) => (f64::NAN, f64::NAN, f64::NAN),
                            })
                            .collect()
                    };
                    let chart = SobolChart {
                        title: chart_title,
                        parameters: names.clone(),
                        first: pick(true),
                        total: pick(false),
                    };
                    let stem = format!("sobol-{}", ind.name);
                    png(&chart, &folder.join(format!("{stem}.png")))?;
                    (svg(&chart)?, stem)
                } else {
                    let chart = MorrisChart {
                        title: chart_title,
                        unit: unit(&ind.key.metric).to_string(),
                        parameters: names.clone(),
                        points: s.stats[i]
                            .iter()
                            .map(|x| match x {
                                SensitivityStats::Morris(m) => (m.mu_star, m.sigma),
                                SensitivityStats::Sobol(_) => (f64::NAN, f64::NAN),
                            })
                            .collect(),
                    };
                    let stem = format!("morris-{}", ind.name);
                    png(&chart, &folder.join(format!("{stem}.png")))?;
                    (svg(&chart)?, stem)
                };
                std::fs::write(folder.join(format!("{stem}.svg")), &svg_text).map_err(|e| {
                    ReportError::Chart {
                        title: stem.clone(),
                        message: e.to_string(),
                    }
                })?;
                let inline = svg_text
                    .find("<svg")
                    .map_or(svg_text.as_str(), |k| &svg_text[k..]);
                let _ = write!(
                    charts,
                    "<figure>\n{inline}\n<figcaption>{} (charts/{stem}.png)</figcaption>\n</figure>\n",
                    escape(&title(&ind.key))
                );
            }
            h.push_str("</table>\n");
        }
    }
    h.push_str("</section>\n<section id=\"charts\">\n<h2>Charts</h2>\n");
    if charts.is_empty() {
        h.push_str("<p>No sensitivity charts for this design.</p>\n");
    }
    h.push_str(&charts);
    h.push_str("</section>\n");
    let _ = write!(
        h,
        "<footer id=\"reproducibility\">\n<h2>Reproducibility</h2>\n<p>pasar {}; scenario <code>{}</code>; \
         master seed {seed}; sweep fingerprint <code>{}</code> (SHA-256 of pasar's version, the design and \
         every sample's resolved scenario). <code>design.csv</code> lists every sample; rerunning the sweep \
         with the same files and seed gives the same numbers, on one machine or split into shards.</p>\n\
         </footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&spec.scenario.display().to_string()),
        escape(fingerprint)
    );
    Ok(h)
}
