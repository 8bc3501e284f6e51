//! `pasar compare`: arguments into a [`CompareJob`], and the headline table.

use super::{Failure, Session, sayln};
use clap::Args;
use pasar::analysis::summary::PrecisionTargets;
use pasar::job::compare::{CompareJob, compare};
use pasar::lang::{Lang, fill};
use pasar::report::format::finding_sentence;
use pasar::report::table::terminal_table;
use pasar::scenario::Overrides;

/// Key findings printed per policy (the report lists more).
const KEY_FINDINGS_SHOWN: usize = 5;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline, then one or more policies: scenario files (run here
    /// with common seeds) or folders written by `pasar run`.
    #[arg(required = true, num_args = 2.., value_name = "BASELINE POLICY")]
    pub inputs: Vec<PathBuf>,
    /// Replicates of every scenario, at least 1 [default: the baseline's
    /// simulation.replicates]; with --precision, the first batch.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicates: Option<u32>,
    /// Master seed for every scenario [default: the baseline's
    /// simulation.seed].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Add replicates until every headline effect's 95% half-width is below
    /// X: a bare X applies to shares and indices (0-1); METRIC=X sets a
    /// target for any headline metric in its own unit (repeatable).
    #[arg(long, value_name = "X | METRIC=X", allow_hyphen_values = true)]
    pub precision: Vec<String>,
    /// Stop adding replicates at this many, precise or not.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_replicates: u32,
    /// Worker threads, 0 to 1024; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// Output folder [default: results/compare-<baseline>-vs-<policies>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a parameter in every scenario (repeatable; each key once).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Follow the UMKM that sold on social commerce before this date (ISO
    /// 8601, e.g. 2023-10-04): their revenue and profit, and the change of
    /// each one's revenue across the date in bands (segments.csv and the
    /// report); the same as `--set segments.social_before=DATE`.
    #[arg(long, value_name = "DATE", value_parser = clap::value_parser!(pasar::scenario::Date))]
    pub social_before: Option<pasar::scenario::Date>,
    /// Run even when a --set horizon drops events the scenario files
    /// define (they are listed in the report and manifest.json).
    #[arg(long)]
    pub allow_dropped_events: bool,
    /// Metrics the report's key findings lead with, comma-separated:
    /// names of dictionary.csv (their `all` series, or every group) or
    /// metric/by/group, e.g. umkm_revenue_idr,import_penetration.
    #[arg(long, value_delimiter = ',', value_name = "METRIC,...")]
    pub focus: Vec<String>,
    /// Language of the report, its charts and this summary: en (English)
    /// or id (Bahasa Indonesia).
    #[arg(long, default_value = "en", value_name = "en|id")]
    pub lang: Lang,
    /// Replace the output folder if it holds earlier results.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: CompareArgs) -> Result<(), Failure> {
    let precision = PrecisionTargets::parse(&args.precision)
        .map_err(|e| Failure::Input(format!("--precision: {e}")))?;
    // Ctrl-C while reading exits at once; once running, it stops between
    // ticks and nothing is written.
    let session = Session::start(args.quiet)?;
    let job = CompareJob {
        inputs: args.inputs.clone(),
        overrides: Overrides {
            sets: args
                .sets
                .iter()
                .cloned()
                .chain(
                    args.social_before
                        .map(|d| format!("segments.social_before={d}")),
                )
                .collect(),
            seed: args.seed,
            replicates: args.replicates,
            allow_dropped_events: args.allow_dropped_events,
        },
        precision,
        precision_given: args.precision.clone(),
        max_replicates: args.max_replicates,
        out: args.out.clone(),
        force: args.force,
        threads: usize::from(args.threads),
        focus: args.focus.clone(),
        lang: args.lang,
    };
    let lang = args.lang;
    let w = lang.words();
    let outcome = compare(&job, &session.controls()).map_err(|e| session.failure(e))?;
    super::say(&terminal_table(&outcome.comparison, &outcome.rows, lang))?;
    // What the runs left out, as a run's summary says it.
    for arm in
        std::iter::once(&outcome.comparison.baseline).chain(outcome.comparison.policies.iter())
    {
        let dropped = &arm.scenario.dropped_events;
        if !dropped.is_empty() {
            sayln(&fill(
                w.terminal_dropped,
                &[arm.name(), &dropped.len().to_string()],
            ))?;
            for e in dropped {
                sayln(&format!("  {}", e.describe_in(lang)))?;
            }
        }
    }
    // The findings the report leads with, in words.
    let days = outcome
        .comparison
        .baseline
        .scenario
        .spec
        .simulation
        .days_per_tick;
    for (policy, list) in &outcome.findings {
        if list.is_empty() {
            continue;
        }
        sayln(&fill(w.terminal_findings, &[policy]))?;
        for f in list.iter().take(KEY_FINDINGS_SHOWN.max(args.focus.len())) {
            sayln(&format!("  - {}", finding_sentence(f, days, lang)))?;
        }
    }
    sayln(&outcome.decision.sentence_in(lang))?;
    if let Some(r) = outcome.crn_narrowing {
        let r = lang.decimal(&format!("{r:.1}"));
        sayln(&fill(w.terminal_crn, &[&r]))?;
    }
    let seconds = lang.decimal(&format!("{:.1}", outcome.wall_seconds));
    sayln(&fill(
        w.terminal_results,
        &[&outcome.folder.display().to_string(), &seconds],
    ))
}
