//! Errors in scenario files and `--set` overrides, each naming its place.

use std::fmt;
use std::path::PathBuf;

/// Where a value came from: a line of a scenario file, an override, or a
/// run control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File {
        path: PathBuf,
        /// 1-based line and column, when known.
        line_col: Option<(usize, usize)>,
    },
    /// A `key.path=value` override.
    CommandLine { argument: String },
    /// A run control given as a typed value (the seed, the replicates).
    Control { name: &'static str },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File {
                path,
                line_col: Some((line, col)),
            } => write!(f, "{}:{line}:{col}", path.display()),
            Source::File {
                path,
                line_col: None,
            } => write!(f, "{}", path.display()),
            Source::CommandLine { argument } => write!(f, "the override `{argument}`"),
            Source::Control { name } => write!(f, "the {name} given to the command"),
        }
    }
}

/// One thing wrong with a scenario: where, what, and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub source: Source,
    /// The parameter path, as in the file and in `--set` (`channels.social.take_rate`).
    pub key: Option<String>,
    pub message: String,
    /// What would be valid, or how to fix it.
    pub help: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source)?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Everything wrong with a scenario (at least one problem).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    pub fn single(problem: Problem) -> ScenarioError {
        ScenarioError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        if n > 1 {
            writeln!(f, "{n} problems:")?;
        }
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" → (`x`, [`a`,
/// `b`]).
pub fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let unknown = rest.split('`').next().unwrap_or_default();
    let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    Some((unknown, expected))
}

/// The closest of `candidates` to `word`, when one is close enough to be a
/// plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["take_rate", "affinity", "attention"];
        assert_eq!(did_you_mean("take_rat", names), Some("take_rate"));
        assert_eq!(did_you_mean("takerate", names), Some("take_rate"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
