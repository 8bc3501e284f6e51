//! The command line's [`Monitor`]: an indicatif progress bar on stderr
//! (hidden when stderr is not a terminal, or with --quiet), warnings on
//! stderr, and the moment work begins, when a first Ctrl-C starts to keep
//! finished work rather than exit at once.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pasar::job::Monitor;
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct CliMonitor {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
    arm: Box<dyn Fn() + Send + Sync>,
    stopped_by: Box<dyn Fn() -> Option<String> + Send + Sync>,
}

impl CliMonitor {
    /// `arm` is called when the job's checks are over and work begins;
    /// `stopped_by` names the signal that stopped it.
    pub fn new(
        quiet: bool,
        arm: Box<dyn Fn() + Send + Sync>,
        stopped_by: Box<dyn Fn() -> Option<String> + Send + Sync>,
    ) -> CliMonitor {
        CliMonitor {
            quiet,
            bar: Mutex::new(None),
            arm,
            stopped_by,
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            f(bar);
        }
    }

    /// Clear the bar before an error is printed.
    pub fn finish_quietly(&self) {
        self.finish();
    }
}

impl Monitor for CliMonitor {
    fn working(&self) {
        (self.arm)();
    }

    fn start(&self, total: u64, unit: &'static str) {
        let bar = ProgressBar::new(total);
        if self.quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn advance(&self, by: u64) {
        self.with_bar(|b| b.inc(by));
    }

    fn grow(&self, by: u64) {
        self.with_bar(|b| b.inc_length(by));
    }

    fn shrink(&self, by: u64) {
        self.with_bar(|b| {
            let length = b.length().unwrap_or(0);
            b.set_length(length.saturating_sub(by));
        });
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.finish_and_clear();
        }
    }

    fn stopped_by(&self) -> Option<String> {
        (self.stopped_by)()
    }

    fn warn(&self, message: &str) {
        match self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(bar) => bar.suspend(|| super::warn(message)),
            None => super::warn(message),
        }
    }
}
