//! Library errors worded for the command line: the library names no flag;
//! here a remedy becomes the flags that apply it, and an override or a run
//! control in a scenario error becomes the `--set`, `--seed` or
//! `--replicates` the user typed.

use pasar::job::JobError;
use pasar::remedy::Remedy;
use pasar::scenario::{ScenarioError, Source};
use std::error::Error;
use std::fmt::Write;

/// The whole message: what the job was doing, the error and its causes,
/// and the remedy in flags.
pub fn render(e: &JobError) -> String {
    let mut text = String::new();
    for c in &e.context {
        text.push_str(c);
        text.push_str(": ");
    }
    text.push_str(&render_chain(e.source.as_ref()));
    if let Some(r) = &e.remedy {
        let _ = write!(text, "\n  help: {}", remedy(r));
    }
    text
}

/// An error and its causes, `a: b: c`; a cause its parent already quoted
/// is not repeated.
fn render_chain(err: &(dyn Error + 'static)) -> String {
    let mut text = String::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let part = match e.downcast_ref::<ScenarioError>() {
            Some(s) => scenario(s),
            None => e.to_string(),
        };
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}

/// Where a scenario value came from, in the command line's words.
fn source(s: &Source) -> String {
    match s {
        Source::CommandLine { argument } => format!("--set {argument}"),
        Source::Control { name } => format!("--{name}"),
        file => file.to_string(),
    }
}

/// A scenario error as the command line shows it.
pub fn scenario(e: &ScenarioError) -> String {
    let mut text = String::new();
    let n = e.problems.len();
    if n > 1 {
        let _ = writeln!(text, "{n} problems:");
    }
    for (i, p) in e.problems.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let _ = write!(text, "{}: ", source(&p.source));
        if let Some(key) = &p.key {
            let _ = write!(text, "`{key}`: ");
        }
        text.push_str(&p.message);
        if let Some(help) = &p.help {
            let _ = write!(text, "\n  help: {help}");
        }
    }
    text
}

/// A remedy in flags.
pub fn remedy(r: &Remedy) -> String {
    match r {
        Remedy::ReplaceOrChooseOutput => {
            "pass --force to replace it, or choose another folder with --out".into()
        }
        Remedy::ChooseOutput => "choose another folder with --out".into(),
        Remedy::ResumeOrDiscard { out } => format!(
            "resume it with `pasar run --resume {}`, or pass --force to discard it and start again",
            out.display()
        ),
        Remedy::Resume { out } => format!("resume with `pasar run --resume {}`", out.display()),
        Remedy::DiscardAndStart => "start again with --force (it discards what was kept)".into(),
        Remedy::RerunOrDiscard => {
            "run the same command as before to resume it, or pass --force to discard it".into()
        }
        Remedy::RunAgain => {
            "run the same command again to continue; finished work is not done again".into()
        }
        Remedy::UseSeed { seed } => format!("run the policy again with --seed {seed}"),
    }
}
