//! `summary.xlsx`: the headline table of `pasar compare` as a spreadsheet
//! for a briefing. The numbers are the ones of `summary.csv`, unrounded;
//! only their display is formatted (percent for shares, thousands
//! separators for rupiah and counts), so a reader can copy them and a tool
//! reads them back exactly.

use super::OutputError;
use crate::analysis::Comparison;
use crate::analysis::segments::BandRow;
use crate::analysis::summary::{SummaryRow, Window, is_share, title, unit};
use crate::report::format::verdict;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// The columns of the `summary` sheet, in order.
pub const SUMMARY_SHEET_COLUMNS: [&str; 17] = [
    "policy",
    "series",
    "metric",
    "by",
    "group",
    "unit",
    "window",
    "event",
    "weeks after",
    "from",
    "to",
    "baseline",
    "policy value",
    "difference",
    "95% low",
    "95% high",
    "verdict",
];

/// The spreadsheet's bytes: sheets `summary` (the headline table),
/// `segments` (with a segment date) and `about` (how to read it).
pub fn summary_workbook(
    cmp: &Comparison,
    rows: &[SummaryRow],
    bands: &[BandRow],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let share = Format::new().set_num_format("0.00%");
    let amount = Format::new().set_num_format("#,##0");
    let small = Format::new().set_num_format("0.0000");
    let s = &cmp.baseline.scenario;
    {
        let sheet = book.add_worksheet();
        sheet.set_name("summary")?;
        write_header(sheet, &SUMMARY_SHEET_COLUMNS, &header)?;
        for (i, r) in rows.iter().enumerate() {
            let row = (i + 1) as u32;
            let (event, weeks) = match &r.window {
                Window::AfterEvent { event, weeks } => (event.label.clone(), Some(*weeks)),
                _ => (String::new(), None),
            };
            let texts = [
                r.policy.clone(),
                title(&r.key),
                r.key.metric.clone(),
                r.key.by.clone(),
                r.key.group.clone(),
                unit(&r.key.metric).to_string(),
                r.window.name().to_string(),
                event,
            ];
            for (col, text) in texts.iter().enumerate() {
                sheet.write_string(row, col as u16, text)?;
            }
            if let Some(w) = weeks {
                sheet.write_number(row, 8, w)?;
            }
            sheet.write_string(row, 9, s.date_of_tick(r.range.from as u32).to_string())?;
            sheet.write_string(row, 10, s.date_of_tick(r.range.to as u32).to_string())?;
            let format = if is_share(&r.key.metric) {
                &share
            } else if r.effect.baseline.mean.abs() >= 100.0 {
                &amount
            } else {
                &small
            };
            let e = &r.effect;
            let ci = e.diff.ci95();
            let values = [
                Some(e.baseline.mean),
                Some(e.policy.mean),
                Some(e.diff.mean),
                ci.map(|c| c.0),
                ci.map(|c| c.1),
            ];
            for (k, v) in values.iter().enumerate() {
                if let Some(v) = v.filter(|v| v.is_finite()) {
                    sheet.write_number_with_format(row, 11 + k as u16, v, format)?;
                }
            }
            sheet.write_string(row, 16, verdict(e, crate::lang::Lang::En))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
    }
    if !bands.is_empty() {
        let sheet = book.add_worksheet();
        sheet.set_name("segments")?;
        let columns = [
            "policy",
            "revenue change",
            "baseline sellers",
            "baseline share",
            "policy sellers",
            "policy share",
            "difference",
            "95% low",
            "95% high",
        ];
        write_header(sheet, &columns, &header)?;
        for (i, b) in bands.iter().enumerate() {
            let row = (i + 1) as u32;
            sheet.write_string(row, 0, &b.policy)?;
            sheet.write_string(row, 1, b.band)?;
            let e = &b.effect;
            let ci = e.diff.ci95();
            let cells = [
                (2, Some(e.baseline.mean), &amount),
                (3, Some(b.baseline_share), &share),
                (4, Some(e.policy.mean), &amount),
                (5, Some(b.policy_share), &share),
                (6, Some(e.diff.mean), &amount),
                (7, ci.map(|c| c.0), &amount),
                (8, ci.map(|c| c.1), &amount),
            ];
            for (col, v, format) in cells {
                if let Some(v) = v.filter(|v| v.is_finite()) {
                    sheet.write_number_with_format(row, col, v, format)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("about")?;
        let policies: Vec<&str> = cmp.policies.iter().map(|p| p.name()).collect();
        let notes = [
            format!(
                "pasar {}: {} compared with {}, {} paired replicates with common random numbers.",
                env!("CARGO_PKG_VERSION"),
                policies.join(", "),
                cmp.baseline.name(),
                cmp.paired_replicates()
            ),
            "Values are in each row's unit (column F), unrounded, as in summary.csv; shares show as percentages, amounts with thousands separators.".into(),
            "difference = policy value - baseline, the mean over replicates of the paired difference; 95% low and high bound its Student-t interval, which holds simulation noise only (not parameter uncertainty).".into(),
            "window: last_tick, last_13_weeks, or after_event (weeks after the event named).".into(),
            "verdict: higher or lower when the interval excludes 0; does not vary in this model when the series is the same constant in both scenarios; otherwise no clear change.".into(),
            "Rupiah levels are the model's, below national levels: see the report's 'Before quoting these numbers' and docs/CALIBRATION.md.".into(),
        ];
        for (i, n) in notes.iter().enumerate() {
            sheet.write_string(i as u32, 0, n)?;
        }
        sheet.set_column_width(0, 120)?;
    }
    book.save_to_buffer()
}

fn write_header(sheet: &mut Worksheet, columns: &[&str], format: &Format) -> Result<(), XlsxError> {
    for (col, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, format)?;
    }
    Ok(())
}

/// The workbook as an output error when it cannot be built.
pub fn xlsx_error(path: &Path, e: XlsxError) -> OutputError {
    OutputError::io(path, std::io::Error::other(e.to_string()))
}
