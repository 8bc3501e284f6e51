//! The documentation follows the code: every parameter, lever and metric
//! is documented, and every number in a scenario has a validation rule.

use pasar::metrics::METRICS;
use pasar::scenario::lever::LEVERS;
use pasar::scenario::params::PARAMS;
use pasar::scenario::{Scenario, unspecified_paths};
use std::path::Path;

fn odd() -> String {
    std::fs::read_to_string("docs/ODD.md").expect("docs/ODD.md exists")
}

#[test]
fn every_parameter_path_is_in_the_odd() {
    let doc = odd();
    let missing: Vec<&str> = PARAMS
        .iter()
        .map(|p| p.path)
        .filter(|path| !doc.contains(&format!("`{path}`")))
        .collect();
    assert!(missing.is_empty(), "docs/ODD.md lacks: {missing:?}");
}

#[test]
fn every_lever_and_metric_is_in_the_odd() {
    let doc = odd();
    for lever in LEVERS {
        assert!(
            doc.contains(&format!("`{}`", lever.name)),
            "lever {}",
            lever.name
        );
        for arg in lever.args {
            assert!(
                doc.contains(&format!("`{}`", arg.name)),
                "argument {} of {}",
                arg.name,
                lever.name
            );
        }
    }
    for m in METRICS {
        assert!(doc.contains(&format!("`{}`", m.name)), "metric {}", m.name);
    }
}

#[test]
fn every_number_in_the_baseline_has_a_range() {
    let s = Scenario::load(Path::new("scenarios/baseline.toml"), &[]).expect("baseline loads");
    assert_eq!(unspecified_paths(&s.spec), Vec::<String>::new());
}

#[test]
fn every_shipped_scenario_loads() {
    for entry in std::fs::read_dir("scenarios").expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s =
                Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert_eq!(s.name(), stem, "scenario name matches file name");
            let readme = std::fs::read_to_string("scenarios/README.md").expect("README");
            assert!(
                readme.contains(&format!("`{stem}.toml`")),
                "{stem} in scenarios/README.md"
            );
        }
    }
}
