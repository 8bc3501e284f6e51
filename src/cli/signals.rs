//! Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed) during a run. The first sets the flag the
//! executor reads between ticks: the run stops, keeps what finished and
//! says how to resume. A second one aborts at once: the files being written
//! are removed and the process exits, so nothing is left half-written.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::Write;
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
                        let _ = writeln!(std::io::stderr(), "\n{}: stopped before the run started", name(sig));
                        std::process::exit(128 + sig);
                    }
                    if s.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        f.store(true, Ordering::SeqCst);
                        let _ = writeln!(
                            std::io::stderr(),
                            "\n{}: stopping; finished work is kept (press Ctrl-C again to abort at once)",
                            name(sig)
                        );
                    } else {
                        // Hold the list of files being written until exit,
                        // so that none is started or completed meanwhile.
                        let _held = pasar::output::abandon_temporaries();
                        let _ = writeln!(
                            std::io::stderr(),
                            "\n{}: aborted; work finished earlier is kept, what was being written is not",
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

    /// A function that arms: from then on a first signal stops the run
    /// gracefully (before, while inputs are read and checked, it exits at
    /// once). The job's monitor calls it when work begins.
    pub fn armer(&self) -> Box<dyn Fn() + Send + Sync> {
        let armed = self.armed.clone();
        Box::new(move || armed.store(true, Ordering::SeqCst))
    }

    /// A function that names the first signal received, if any.
    pub fn namer(&self) -> Box<dyn Fn() -> Option<String> + Send + Sync> {
        let signal = self.signal.clone();
        Box::new(move || match signal.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(name(sig).to_string()),
        })
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

/// `SIGINT`, `SIGTERM`, `SIGHUP`.
pub fn name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "SIGINT (Ctrl-C)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP (the terminal closed)",
        _ => "a signal",
    }
}
