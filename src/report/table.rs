//! The headline table for a terminal: one block per policy, effects over
//! the last 13 weeks, at most 100 columns wide.

use super::format::{all_zero, effect_text};
use crate::analysis::Comparison;
use crate::analysis::summary::{SummaryRow, Window, title};

/// Widest line the table produces.
pub const WIDTH: usize = 100;

/// The table as text (lines end with '\n').
pub fn terminal_table(cmp: &Comparison, rows: &[SummaryRow]) -> String {
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
        out.push_str(&format!(
            "{} vs {}\n  mean over the last 13 weeks ({} to {}), {} paired replicates\n",
            policy.name(),
            cmp.baseline.name(),
            s.date_of_tick(first.range.from as u32),
            s.date_of_tick(first.range.to as u32),
            first.effect.diff.n
        ));
        out.push_str(&format!(
            "  {:<32} {:>9} {:>9}  {:<28} {}\n",
            "metric", "baseline", "policy", "difference [95% CI]", "verdict"
        ));
        for row in mine.iter().filter(|r| !all_zero(&r.effect)) {
            let t = effect_text(&row.key.metric, &row.effect);
            let name: String = title(&row.key).chars().take(32).collect();
            let diff = format!("{} {}", t.diff, t.ci);
            out.push_str(&format!(
                "  {:<32} {:>9} {:>9}  {:<28} {}\n",
                name, t.baseline, t.policy, diff, t.verdict
            ));
        }
        out.push('\n');
    }
    out
}
