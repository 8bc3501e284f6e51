//! The progress bar observer (stderr, hidden when it is not a terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pasar::runner::Observer;
use std::io::IsTerminal;

pub struct ProgressObserver {
    bar: ProgressBar,
}

impl ProgressObserver {
    /// A bar over `total` replicate-ticks; hidden when `quiet` or when stderr
    /// is not a terminal.
    pub fn new(total: u64, quiet: bool) -> ProgressObserver {
        ProgressObserver::counting(total, quiet, "replicate-ticks")
    }

    /// A bar over `total` things called `unit` (e.g. "runs").
    pub fn counting(total: u64, quiet: bool, unit: &str) -> ProgressObserver {
        let bar = ProgressBar::new(total);
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        ProgressObserver { bar }
    }

    /// One more thing done (when not counting ticks).
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// More work was added (e.g. another batch of replicates).
    pub fn grow(&self, by: u64) {
        self.bar.inc_length(by);
    }

    /// Less work than announced (e.g. a search stopped early).
    pub fn shrink(&self, by: u64) {
        let length = self.bar.length().unwrap_or(0);
        self.bar.set_length(length.saturating_sub(by));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for ProgressObserver {
    fn tick_done(&self, _replicate: u32, _tick: u32) {
        self.bar.inc(1);
    }
}
