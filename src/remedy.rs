//! What a user can do about an error, named without the command line's
//! words: the library says which remedy applies, and the command line
//! words it with its own flags (`src/cli/hints.rs`).

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Earlier results are in the way: replace them, or write elsewhere.
    ReplaceOrChooseOutput,
    /// The output path cannot be used: write elsewhere.
    ChooseOutput,
    /// An interrupted run is kept for `out`: resume it, or discard it and
    /// start again.
    ResumeOrDiscard { out: PathBuf },
    /// The run stopped with finished work kept: resume it.
    Resume { out: PathBuf },
    /// A leftover of a run that never started is in the way: remove it and
    /// start again.
    DiscardAndStart,
    /// Finished work of a different job (sweep, calibration) is kept where
    /// this one would keep its own: run that job again, or discard it.
    RerunOrDiscard,
    /// The job stopped with finished work kept: the same command again
    /// continues it.
    RunAgain,
    /// Two runs were made with different seeds: run one again with this one.
    UseSeed { seed: u64 },
}
