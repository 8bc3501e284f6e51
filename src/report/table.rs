//! The headline table for a terminal: one block per policy, effects over
//! the last 13 weeks, at most 100 columns wide.

use super::format::{all_zero, effect_text};
use crate::analysis::Comparison;
use crate::analysis::summary::{Part, SummaryRow, Window, headline_of, title_in};
use crate::lang::{Lang, fill};

/// Widest line the table produces.
pub const WIDTH: usize = 100;

/// The table as text in `lang` (lines end with '\n').
pub fn terminal_table(cmp: &Comparison, rows: &[SummaryRow], lang: Lang) -> String {
    let w = lang.words();
    let mut out = String::new();
    for policy in &cmp.policies {
        let mine: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| r.policy == policy.name() && r.window == Window::Last13Weeks)
            .collect();
        let Some(first) = mine.first() else {
            continue;
        };
        let s = &cmp.baseline.scenario;
        out.push_str(&fill(w.versus, &[policy.name(), cmp.baseline.name()]));
        out.push_str("\n  ");
        out.push_str(&fill(
            w.terminal_window,
            &[
                &s.date_of_tick(first.range.from as u32).to_string(),
                &s.date_of_tick(first.range.to as u32).to_string(),
                &first.effect.diff.n.to_string(),
            ],
        ));
        out.push('\n');
        // The cross-tabulations are for the report and the CSV files.
        let shown: Vec<(String, super::format::EffectText)> = mine
            .iter()
            .filter(|r| !all_zero(&r.effect))
            .filter(|r| headline_of(&r.key).is_none_or(|h| h.part != Part::CrossTabulations))
            .map(|r| {
                (
                    title_in(&r.key, lang),
                    effect_text(&r.key.metric, &r.effect, lang),
                )
            })
            .collect();
        let diff_of = |t: &super::format::EffectText| format!("{} {}", t.diff, t.ci);
        let diff_width = shown
            .iter()
            .map(|(_, t)| diff_of(t).chars().count())
            .max()
            .unwrap_or(0)
            .max(w.difference_ci.chars().count());
        // Names take what the numbers leave of the width.
        let verdict_width = [w.higher, w.lower, w.no_clear_change, w.does_not_vary_short]
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(0);
        let fixed = 2 + 1 + 9 + 1 + 9 + 2 + diff_width + 1 + verdict_width;
        let name_width = shown
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0)
            .min(WIDTH.saturating_sub(fixed))
            .max(w.metric.chars().count());
        out.push_str(&format!(
            "  {:<name_width$} {:>9} {:>9}  {:<diff_width$} {}\n",
            w.metric, w.baseline, w.policy, w.difference_ci, w.verdict
        ));
        for (name, t) in &shown {
            let name: String = name.chars().take(name_width).collect();
            out.push_str(&format!(
                "  {:<name_width$} {:>9} {:>9}  {:<diff_width$} {}\n",
                name,
                t.baseline,
                t.policy,
                diff_of(t),
                // The column is narrow: the short form of "does not vary".
                if t.direction == "does_not_vary" {
                    w.does_not_vary_short
                } else {
                    t.verdict
                }
            ));
        }
        out.push('\n');
    }
    out
}
