//! Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed) during a run. The first sets the flag the
//! executor reads between ticks: the run stops, keeps what finished and
//! says how to resume. A second one aborts at once: the files being written
//! are removed and the process exits, so nothing is left half-written.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Watches for SIGINT, SIGTERM and SIGHUP from construction on.
pub struct Interrupts {
    flag: Arc<AtomicBool>,
    signal: Arc<AtomicI32>,
    armed: Arc<AtomicBool>,
}

impl Interrupts {
    /// Start watching. The handler runs on a thread of its own (not in the
    /// signal context), so it may print and remove files.
    pub fn install() -> std::io::Result<Interrupts> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let flag = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicI32::new(0));
        let armed = Arc::new(AtomicBool::new(false));
        let (f, s, a) = (flag.clone(), signal.clone(), armed.clone());
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if !a.load(Ordering::SeqCst) {
                        // Still reading and checking: nothing to keep yet.
                        let _held = pasar::output::abandon_temporaries();
                        eprintln!("\n{}: stopped before the run started", name(sig));
                        std::process::exit(128 + sig);
                    }
                    if s.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        f.store(true, Ordering::SeqCst);
                        eprintln!(
                            "\n{}: stopping; finished replicates are kept (press Ctrl-C again to abort at once)",
                            name(sig)
                        );
                    } else {
                        // Hold the list of files being written until exit,
                        // so that none is started or completed meanwhile.
                        let _held = pasar::output::abandon_temporaries();
                        eprintln!(
                            "\n{}: aborted; replicates finished earlier are kept, the one being written is not",
                            name(sig)
                        );
                        std::process::exit(128 + sig);
                    }
                }
            })?;
        Ok(Interrupts {
            flag,
            signal,
            armed,
        })
    }

    /// From now on a first signal stops the run gracefully (before, while
    /// the scenario is read and checked, it exits at once).
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// The flag the executor reads.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// The first signal received, if any.
    pub fn received(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }
}

/// How a failed step ends the command: interrupted (exit 128 + signal)
/// with `then`, what became of the work, when a signal stopped it;
/// otherwise a runtime failure with its own error.
pub fn failure(
    interrupts: &Interrupts,
    error: impl std::fmt::Display,
    then: &str,
) -> super::Failure {
    match interrupts.received() {
        Some(signal) => super::Failure::Interrupted {
            signal,
            error: anyhow::anyhow!("interrupted by {}: {then}", name(signal)),
        },
        None => super::Failure::Runtime(anyhow::anyhow!("{error}")),
    }
}

/// `SIGINT`, `SIGTERM`, `SIGHUP`.
pub fn name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "SIGINT (Ctrl-C)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP (the terminal closed)",
        _ => "a signal",
    }
}
