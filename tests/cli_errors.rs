//! `pasar run` on bad input: every malformed scenario in
//! `tests/fixtures/malformed/` and a set of bad command lines.
//!
//! Each case runs the real binary and checks that it fails cleanly: the
//! right exit code, no panic, an `error:` naming the file, the place
//! (`file:line:col` and the key path) and what is wrong, and nothing
//! written: no output folder and no staging folder left beside it.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Exit code for invalid input (scenario, overrides, command line).
const INPUT_ERROR: i32 = 2;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malformed")
}

fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// A run of `pasar` in its own scratch folder (also its working directory,
/// so a default `results/` folder would show up there too).
struct Run {
    scratch: tempfile::TempDir,
    out: PathBuf,
    output: Output,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Everything in the scratch folder, except `keep` (names made before the run).
    fn leftovers(&self, keep: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.scratch.path())
            .expect("read the scratch folder")
            .map(|e| {
                e.expect("a folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| !keep.contains(&n.as_str()))
            .collect();
        names.sort();
        names
    }
}

/// Run `pasar run <scenario> --out <scratch>/out --quiet <extra...>`.
fn run_pasar(scenario: &Path, extra: &[&str]) -> Run {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    run_in(scratch, scenario, extra)
}

fn run_in(scratch: tempfile::TempDir, scenario: &Path, extra: &[&str]) -> Run {
    let out = scratch.path().join("out");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(extra)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("start pasar");
    Run {
        scratch,
        out,
        output,
    }
}

/// What every failed run must satisfy; returns the problems found.
fn check_clean_failure(run: &Run, expected_code: i32, keep: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let stderr = run.stderr();
    if run.code() != Some(expected_code) {
        problems.push(format!(
            "exit code {:?}, expected {expected_code}",
            run.code()
        ));
    }
    if stderr.contains("panicked") {
        problems.push("pasar panicked".into());
    }
    if !stderr.starts_with("error: ") {
        problems.push("stderr does not start with `error: `".into());
    }
    if run.out.exists() && !keep.contains(&"out") {
        problems.push(format!("{} exists after a failed run", run.out.display()));
    }
    let left = run.leftovers(keep);
    if left.iter().any(|n| n.starts_with(".out.")) {
        problems.push(format!("a staging folder was left behind: {left:?}"));
    } else if !left.is_empty() {
        problems.push(format!("files were written by a failed run: {left:?}"));
    }
    problems
}

/// Where a problem must be reported.
#[derive(Debug, Clone, Copy)]
enum Loc {
    /// `fixture:line:col`.
    At(usize, usize),
    /// The fixture, with no line (e.g. a whole empty file).
    File,
    /// Another file of the fixture folder, at `line:col`.
    In(&'static str, usize, usize),
}

/// One malformed fixture and what its error must say.
struct Case {
    file: &'static str,
    loc: Loc,
    /// The parameter path, printed as `` `key`: `` right after the location.
    key: Option<&'static str>,
    /// Fragments of the message (on the error line or further problems).
    message: &'static [&'static str],
    /// A fragment of the `help:` line, when there must be one.
    help: Option<&'static str>,
}

const fn case(
    file: &'static str,
    loc: Loc,
    key: Option<&'static str>,
    message: &'static [&'static str],
    help: Option<&'static str>,
) -> Case {
    Case {
        file,
        loc,
        key,
        message,
        help,
    }
}

use Loc::{At, File, In};

/// Every malformed fixture (`events[1]` stands for the fixture's own first
/// event, after the baseline's, see [`rebase`]). Files not listed here (see `KNOWN_ISSUES`) are
/// checked by their own tests.
const CASES: &[Case] = &[
    // TOML syntax.
    case(
        "syntax_unclosed_string.toml",
        At(5, 17),
        None,
        &["TOML syntax error", "string"],
        Some("toml.io"),
    ),
    case(
        "syntax_missing_value.toml",
        At(4, 8),
        None,
        &["TOML syntax error"],
        Some("toml.io"),
    ),
    case(
        "syntax_duplicate_key.toml",
        At(6, 1),
        None,
        &["TOML syntax error", "duplicate key `ticks`"],
        Some("toml.io"),
    ),
    case(
        "syntax_bare_word.toml",
        At(4, 8),
        None,
        &["TOML syntax error"],
        Some("strings need quotes"),
    ),
    case(
        "syntax_bad_date.toml",
        At(4, 22),
        None,
        &["TOML syntax error", "date"],
        Some("2023-10-04"),
    ),
    case(
        "syntax_integer_overflow.toml",
        At(4, 8),
        None,
        &["TOML syntax error", "too large"],
        Some("toml.io"),
    ),
    case(
        "empty.toml",
        File,
        Some("simulation"),
        &["`simulation` is required here but missing"],
        Some("[simulation]"),
    ),
    case(
        "not_utf8.toml",
        At(4, 15),
        None,
        &["not valid UTF-8", "offset 63"],
        Some("UTF-8"),
    ),
    // Unknown keys, with a suggestion.
    case(
        "unknown_key_top_level.toml",
        At(3, 2),
        Some("simulaton"),
        &["unknown key `simulaton`"],
        Some("did you mean `simulation`?"),
    ),
    case(
        "unknown_key_simulation.toml",
        At(4, 1),
        Some("simulation.tick"),
        &["unknown key `tick`"],
        Some("did you mean `ticks`?"),
    ),
    case(
        "unknown_key_channel.toml",
        At(4, 1),
        Some("channels.social.take_rat"),
        &["unknown key `take_rat`"],
        Some("did you mean `take_rate`?"),
    ),
    case(
        "unknown_key_category.toml",
        At(4, 1),
        Some("categories.fashion.demand_shares"),
        &["unknown key `demand_shares`"],
        Some("did you mean `demand_share`?"),
    ),
    case(
        "unknown_key_population.toml",
        At(4, 1),
        Some("population.umkm.cuont"),
        &["unknown key `cuont`"],
        Some("did you mean `count`?"),
    ),
    case(
        "unknown_key_behaviour.toml",
        At(4, 1),
        Some("behaviour.markup_maxx"),
        &["unknown key `markup_maxx`"],
        Some("did you mean `markup_max`?"),
    ),
    case(
        "unknown_key_event.toml",
        At(6, 1),
        Some("events[1].chanel"),
        &["`chanel` is not an argument of payment_ban"],
        Some("did you mean `channel`?"),
    ),
    // Wrong types.
    case(
        "type_string_for_number.toml",
        At(4, 1),
        Some("simulation.ticks"),
        &["\"twelve\""],
        Some("whole number from 1 to 10000"),
    ),
    case(
        "type_number_for_string.toml",
        At(4, 1),
        Some("simulation.name"),
        &["integer `42`", "string"],
        None,
    ),
    case(
        "type_table_for_number.toml",
        At(4, 1),
        Some("channels.social.take_rate"),
        &["wrong type: a table, expected a number"],
        Some("from 0 to 1"),
    ),
    case(
        "type_bool_for_number_in_event.toml",
        At(7, 1),
        Some("events[1].rate"),
        &["`rate` takes a number from 0 to 1, not `true`"],
        Some("the commission as a share of revenue"),
    ),
    case(
        "lever_not_a_string.toml",
        At(5, 1),
        Some("events[1].lever"),
        &["integer `3`", "string"],
        None,
    ),
    case(
        "extends_not_a_string.toml",
        At(1, 1),
        Some("extends"),
        &["must be a file name in quotes"],
        Some("extends = \"baseline.toml\""),
    ),
    case(
        "bad_channel_kind.toml",
        At(4, 1),
        Some("channels.social.kind"),
        &["unknown channel kind `shop`", "\"marketplace\""],
        None,
    ),
    case(
        "event_bad_date_text.toml",
        At(4, 1),
        Some("events[1].date"),
        &["`04/10/2023` is not a calendar date", "YYYY-MM-DD"],
        None,
    ),
    // Numbers out of range.
    case(
        "nan_value.toml",
        At(4, 1),
        Some("channels.marketplace.affinity"),
        &["NaN is out of range"],
        Some("from -50 to 50"),
    ),
    case(
        "inf_value.toml",
        At(4, 1),
        Some("categories.food.ref_price_idr"),
        &["inf is out of range"],
        Some("(IDR)"),
    ),
    case(
        "negative_price.toml",
        At(4, 1),
        Some("categories.fashion.ref_price_idr"),
        &["-120000"],
        Some("from 1 to 1000000000000 (IDR)"),
    ),
    case(
        "negative_count.toml",
        At(4, 1),
        Some("population.umkm.count"),
        &["-5"],
        Some("whole number from 0 to 2000000000"),
    ),
    case(
        "zero_ticks.toml",
        At(4, 1),
        Some("simulation.ticks"),
        &["0 is out of range"],
        Some("whole number from 1 to 10000"),
    ),
    case(
        "zero_replicates.toml",
        At(4, 1),
        Some("simulation.replicates"),
        &["0 is out of range"],
        Some("whole number from 1 to 100000"),
    ),
    case(
        "huge_ticks.toml",
        At(4, 1),
        Some("simulation.ticks"),
        &["10000000 is out of range"],
        Some("whole number from 1 to 10000"),
    ),
    case(
        "huge_count.toml",
        At(4, 1),
        Some("population.consumers.count"),
        &["3000000000 is out of range"],
        Some("whole number from 0 to 2000000000"),
    ),
    case(
        "nest_dissimilarity_zero.toml",
        At(4, 1),
        Some("nests.marketplace.dissimilarity"),
        &["0 is out of range"],
        Some("from 0.01 to 1"),
    ),
    case(
        "nest_unknown.toml",
        At(3, 8),
        Some("nests.marketplaces"),
        &["there is no nest named `marketplaces`"],
        Some("did you mean `marketplace`?"),
    ),
    case(
        "redirect_success_removed.toml",
        At(4, 1),
        Some("channels.social.redirect_success"),
        &["unknown key `redirect_success`"],
        Some("was removed in pasar 0.3"),
    ),
    case(
        "event_until_before_date.toml",
        At(5, 1),
        Some("events[1].until"),
        &["2023-09-01 does not come after the event"],
        Some("an effect ends after it starts"),
    ),
    case(
        "end_nothing.toml",
        At(6, 1),
        Some("events[1].ends"),
        &["no payment_ban event is in force at tick 91 to end"],
        Some("an end event follows the event it ends"),
    ),
    case(
        "end_unknown_lever.toml",
        At(6, 1),
        Some("events[1].ends"),
        &["there is no lever named `payment_bans` to end"],
        Some("did you mean `payment_ban`?"),
    ),
    case(
        "probability_above_one.toml",
        At(4, 1),
        Some("channels.social.listing_share"),
        &["1.5 is out of range"],
        Some("from 0 to 1 (probability)"),
    ),
    case(
        "several_problems.toml",
        At(4, 1),
        Some("simulation.ticks"),
        &[
            "problems:",
            "several_problems.toml:7:1: `channels.social.take_rate`: -0.1 is out of range",
            "several_problems.toml:10:1: `behaviour.popularity_decay`: 2 is out of range",
        ],
        Some("whole number from 1 to 10000"),
    ),
    // Rules across keys.
    case(
        "demand_shares_not_one.toml",
        At(3, 2),
        Some("categories"),
        &["demand shares sum to 1.2", "not 1", "fashion = 0.5"],
        Some("add up to exactly 1"),
    ),
    case(
        "markup_min_above_max.toml",
        At(4, 1),
        Some("behaviour.markup_min"),
        &["markup_min (0.9) is above markup_max (0.5)"],
        Some("must not exceed markup_max"),
    ),
    case(
        "checkout_partner_missing.toml",
        At(4, 1),
        Some("channels.social.checkout_partner"),
        &["there is no channel named `tokopedia`"],
        Some("offline, marketplace, social"),
    ),
    case(
        "checkout_partner_self.toml",
        At(4, 1),
        Some("channels.social.checkout_partner"),
        &["cannot be its own checkout partner"],
        Some("name another channel"),
    ),
    case(
        "affiliate_owner_missing.toml",
        At(5, 1),
        Some("population.affiliate.owner"),
        &["no channel is owned by `alibaba`"],
        Some("marketplaces, bytedance"),
    ),
    case(
        "name_with_slash.toml",
        At(4, 1),
        Some("simulation.name"),
        &["`policy/payment_ban` cannot name a scenario"],
        Some("letters, digits"),
    ),
    case(
        "missing_name.toml",
        At(1, 2),
        Some("simulation.name"),
        &["`name` is required here but missing"],
        Some("name = \"my_scenario\""),
    ),
    // A channel without `kind`.
    case(
        "channel_missing_kind.toml",
        At(3, 11),
        Some("channels.tiktok.kind"),
        &["`kind` is required"],
        Some("kind is one of offline, marketplace, social"),
    ),
    // Events. The baseline has one event, so the fixture's is events[1].
    case(
        "event_unknown_channel.toml",
        At(6, 1),
        Some("events[1].channel"),
        &["there is no channel named `tiktok`"],
        Some("offline, marketplace, social"),
    ),
    case(
        "event_unknown_category.toml",
        At(7, 1),
        Some("events[1].categories"),
        &["there is no category named `toys`"],
        Some("fashion, beauty, household"),
    ),
    case(
        "unknown_lever.toml",
        At(5, 1),
        Some("events[1].lever"),
        &["there is no lever named `payment_bann`"],
        Some("did you mean `payment_ban`?"),
    ),
    case(
        "lever_missing_argument.toml",
        At(3, 1),
        Some("events[1]"),
        &["take_rate needs `rate`"],
        Some("take_rate takes: channel, rate"),
    ),
    case(
        "lever_extra_argument.toml",
        At(7, 1),
        Some("events[1].channel"),
        &["`channel` is not an argument of digitalization"],
        Some("digitalization takes: rate"),
    ),
    case(
        "lever_argument_out_of_range.toml",
        At(7, 1),
        Some("events[1].rate"),
        &["1.5 is out of range"],
        Some("from 0 to 1"),
    ),
    case(
        "event_date_and_tick.toml",
        At(3, 1),
        Some("events[1]"),
        &["a `date` or a `tick`, not both"],
        Some("keep one of them"),
    ),
    case(
        "event_no_date_or_tick.toml",
        At(3, 1),
        Some("events[1]"),
        &["needs a `date` or a `tick`"],
        Some("ticks 0 to 156"),
    ),
    case(
        "event_date_before_start.toml",
        At(4, 1),
        Some("events[1].date"),
        &["2021-12-31 is outside the simulated horizon"],
        Some("dates 2022-01-03 to 2025-01-05"),
    ),
    case(
        "event_date_after_horizon.toml",
        At(4, 1),
        Some("events[1].date"),
        &["2025-01-06 is outside the simulated horizon"],
        Some("dates 2022-01-03 to 2025-01-05"),
    ),
    case(
        "event_tick_out_of_range.toml",
        At(4, 1),
        Some("events[1].tick"),
        &["tick 157 is outside the simulated horizon"],
        Some("ticks 0 to 156"),
    ),
    case(
        "event_negative_tick.toml",
        At(4, 1),
        Some("events[1].tick"),
        &["tick -1 is outside the simulated horizon"],
        Some("ticks 0 to 156"),
    ),
    // `extends`.
    case(
        "extends_directory.toml",
        At(1, 1),
        Some("extends"),
        &["is a folder, not a scenario file"],
        Some("name a .toml scenario file"),
    ),
    case(
        "extends_missing_file.toml",
        At(1, 1),
        Some("extends"),
        &["cannot read", "no_such_parent.toml"],
        Some("relative to the file that names them"),
    ),
    case(
        "extends_cycle_a.toml",
        In("extends_cycle_b.toml", 1, 1),
        Some("extends"),
        &[
            "makes a cycle",
            "extends_cycle_a.toml -> ",
            "extends_cycle_b.toml -> ",
        ],
        Some("never itself"),
    ),
    case(
        "extends_cycle_b.toml",
        In("extends_cycle_a.toml", 1, 1),
        Some("extends"),
        &[
            "makes a cycle",
            "extends_cycle_b.toml -> ",
            "extends_cycle_a.toml -> ",
        ],
        Some("never itself"),
    ),
    case(
        "extends_self.toml",
        At(1, 1),
        Some("extends"),
        &["makes a cycle"],
        Some("never itself"),
    ),
];

/// Fixtures checked by a test of their own (below) rather than the table.
const KNOWN_ISSUES: &[&str] = &["zero_days_per_tick.toml"];

/// How many events the baseline has: a fixture's own event comes after them.
fn baseline_events() -> usize {
    let text = fs::read_to_string(common::baseline_path()).expect("read baseline.toml");
    text.lines().filter(|l| l.trim() == "[[events]]").count()
}

/// `events[1]` in the table means the fixture's first event, whatever the
/// number of events in the baseline.
fn rebase(s: &str) -> String {
    s.replace("events[1]", &format!("events[{}]", baseline_events()))
}

/// The problems with one case's run.
fn check_case(case: &Case) -> Vec<String> {
    let path = fixture(case.file);
    let run = run_pasar(&path, &[]);
    let stderr = run.stderr();
    let mut problems = check_clean_failure(&run, INPUT_ERROR, &[]);
    let shown = path.display().to_string();
    if !stderr.contains(&format!("invalid scenario {shown}")) {
        problems.push(format!(
            "stderr does not name the fixture as `invalid scenario {shown}`"
        ));
    }
    let place = match case.loc {
        At(line, col) => format!("{shown}:{line}:{col}: "),
        File => format!("{shown}: "),
        In(other, line, col) => format!("{}:{line}:{col}: ", fixture(other).display()),
    };
    let expected_start = match case.key {
        Some(key) => format!("{place}`{}`: ", rebase(key)),
        None => place,
    };
    if !stderr.contains(&expected_start) {
        problems.push(format!(
            "stderr lacks the location and key `{expected_start}`"
        ));
    }
    for fragment in case.message {
        if !stderr.contains(fragment) {
            problems.push(format!("stderr lacks the message fragment `{fragment}`"));
        }
    }
    if let Some(help) = case.help {
        let found = stderr
            .lines()
            .any(|l| l.starts_with("  help: ") && l.contains(help));
        if !found {
            problems.push(format!("stderr lacks a `  help: ` line with `{help}`"));
        }
    }
    // Every refusal says what would be valid, on a help line.
    if !stderr.lines().any(|l| l.starts_with("  help: ")) {
        problems.push("stderr has no `  help: ` line saying what would be valid".into());
    }
    if !run.stdout().is_empty() {
        problems.push(format!("stdout is not empty: {:?}", run.stdout()));
    }
    problems
}

#[test]
fn every_malformed_fixture_is_refused_cleanly() {
    let mut failures = Vec::new();
    for case in CASES {
        let problems = check_case(case);
        if !problems.is_empty() {
            let stderr = run_pasar(&fixture(case.file), &[]).stderr();
            failures.push(format!(
                "{}:\n  - {}\n  stderr was:\n{stderr}",
                case.file,
                problems.join("\n  - ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_is_in_the_table() {
    let on_disk: BTreeSet<String> = fs::read_dir(fixtures_dir())
        .expect("read the fixture folder")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let listed: BTreeSet<String> = CASES
        .iter()
        .map(|c| c.file.to_string())
        .chain(KNOWN_ISSUES.iter().map(|s| s.to_string()))
        .collect();
    let untested: Vec<&String> = on_disk.difference(&listed).collect();
    let missing: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(untested.is_empty(), "fixtures without a case: {untested:?}");
    assert!(missing.is_empty(), "cases without a fixture: {missing:?}");
    assert!(
        on_disk.len() >= 30,
        "only {} malformed fixtures",
        on_disk.len()
    );
    assert_eq!(
        CASES.iter().map(|c| c.file).collect::<BTreeSet<_>>().len(),
        CASES.len(),
        "a fixture is listed twice"
    );
}

#[test]
fn the_non_utf8_fixture_is_really_not_utf8() {
    // Guards against an editor or a checkout "fixing" the binary fixture.
    let bytes = fs::read(fixture("not_utf8.toml")).expect("read not_utf8.toml");
    let error = std::str::from_utf8(&bytes).expect_err("not_utf8.toml must not be valid UTF-8");
    assert_eq!(error.valid_up_to(), 63);
}

#[test]
fn a_non_utf8_file_written_at_run_time_is_refused() {
    let dir = tempfile::tempdir().expect("create a folder");
    let path = dir.path().join("latin1.toml");
    // "é" in Latin-1 inside a comment on line 2, column 12.
    fs::write(&path, b"[simulation]\n# caf\xe9 au lait\nname = \"x\"\n").expect("write the file");
    let run = run_pasar(&path, &[]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &[]);
    assert!(problems.is_empty(), "{problems:?}\n{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!("{}:2:6: ", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Bad command lines.

/// Run the baseline with `extra` and check a clean input error whose stderr
/// contains every fragment.
fn assert_refused(scenario: &Path, extra: &[&str], fragments: &[&str]) -> Run {
    let run = run_pasar(scenario, extra);
    let stderr = run.stderr();
    let problems = check_clean_failure(&run, INPUT_ERROR, &[]);
    assert!(
        problems.is_empty(),
        "pasar run {} {extra:?}: {problems:?}\nstderr:\n{stderr}",
        scenario.display()
    );
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "pasar run {} {extra:?}: stderr lacks `{fragment}`:\n{stderr}",
            scenario.display()
        );
    }
    assert!(run.stdout().is_empty(), "stdout: {}", run.stdout());
    run
}

#[test]
fn set_without_equals_is_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "simulation.ticks"],
        &[
            "--set simulation.ticks: an override must be written key.path=value",
            "  help: e.g. channels.social.take_rate=0.08",
        ],
    );
}

#[test]
fn set_on_an_unknown_path_suggests_the_right_one() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "simulation.tiks=12"],
        &[
            "--set simulation.tiks=12: `simulation.tiks`: unknown key `tiks`",
            "  help: did you mean `ticks`?",
        ],
    );
    assert_refused(
        &common::baseline_path(),
        &["--set", "channels.social.take_rat=0.08"],
        &[
            "--set channels.social.take_rat=0.08: `channels.social.take_rat`: unknown key `take_rat`",
            "did you mean `take_rate`?",
        ],
    );
}

#[test]
fn set_with_a_negative_count_is_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "simulation.ticks=-1"],
        &[
            "--set simulation.ticks=-1: `simulation.ticks`: ",
            "-1",
            "  help: expected a whole number from 1 to 10000",
        ],
    );
}

#[test]
fn set_with_a_string_for_a_number_is_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "channels.social.take_rate=high"],
        &[
            "--set channels.social.take_rate=high: `channels.social.take_rate`: ",
            "\"high\"",
            "  help: expected a number from 0 to 1",
        ],
    );
}

#[test]
fn set_past_the_end_of_the_events_is_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "events[5].date=2023-01-01"],
        &[
            "--set events[5].date=2023-01-01: `events[5].date`: index 5 is past the end of the list",
            &format!("it has {} items", baseline_events()),
        ],
    );
}

#[test]
fn several_bad_sets_are_all_reported() {
    assert_refused(
        &common::baseline_path(),
        &[
            "--set",
            "channels.social.take_rate=2",
            "--set",
            "behaviour.popularity_decay=-1",
        ],
        &[
            "problems:",
            "--set channels.social.take_rate=2: `channels.social.take_rate`: 2 is out of range",
            "--set behaviour.popularity_decay=-1: `behaviour.popularity_decay`: -1 is out of range",
        ],
    );
}

#[test]
fn replicates_flag_out_of_range_is_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--replicates", "0"],
        &["--replicates", "0 is not in 1.."],
    );
    // Past the scenario's range, the scenario says so, naming the flag.
    assert_refused(
        &common::baseline_path(),
        &["--replicates", "200000"],
        &[
            "--replicates: `simulation.replicates`: 200000 is out of range",
            "whole number from 1 to 100000",
        ],
    );
}

#[test]
fn threads_must_be_a_number() {
    assert_refused(
        &common::baseline_path(),
        &["--threads", "many"],
        &["--threads", "'many'"],
    );
}

#[test]
fn a_directory_is_not_a_scenario() {
    let dir = fixtures_dir();
    assert_refused(
        &dir,
        &[],
        &[
            &format!("{} is a folder, not a scenario file", dir.display()),
            "  help: name a .toml scenario file",
        ],
    );
}

#[test]
fn a_missing_scenario_file_is_refused() {
    let path = fixture("there_is_no_such_scenario.toml");
    assert_refused(
        &path,
        &[],
        &[
            &format!("cannot read {}", path.display()),
            "  help: check the path",
        ],
    );
}

#[test]
fn an_existing_out_folder_is_refused_without_force() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("out");
    fs::create_dir(&out).expect("create the out folder");
    fs::write(out.join("marker.txt"), "keep me").expect("write the marker");
    let run = run_in(scratch, &common::baseline_path(), &[]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &["out"]);
    let stderr = run.stderr();
    assert!(problems.is_empty(), "{problems:?}\nstderr:\n{stderr}");
    assert!(
        stderr.contains(&format!("{} already exists", out.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("--force"),
        "the error should mention --force:\n{stderr}"
    );
    let inside: Vec<_> = fs::read_dir(&out)
        .expect("read out")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(
        inside,
        vec![std::ffi::OsString::from("marker.txt")],
        "the out folder was changed"
    );
    assert_eq!(
        fs::read_to_string(out.join("marker.txt")).expect("read the marker"),
        "keep me"
    );
}

#[test]
fn force_does_not_replace_a_folder_that_is_not_pasar_results() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("out");
    fs::create_dir(&out).expect("create the out folder");
    fs::write(out.join("thesis.tex"), "years of work").expect("write a file");
    let run = run_in(scratch, &common::baseline_path(), &["--force"]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &["out"]);
    let stderr = run.stderr();
    assert!(problems.is_empty(), "{problems:?}\nstderr:\n{stderr}");
    assert!(stderr.contains("is not a pasar results folder"), "{stderr}");
    assert_eq!(
        fs::read_to_string(out.join("thesis.tex")).expect("the file is still there"),
        "years of work"
    );
}

#[test]
fn an_impossible_size_is_refused_before_allocating() {
    // Two billion consumers and UMKM: terabytes. Refused with an estimate
    // and a scale factor, not a crash.
    assert_refused(
        &common::baseline_path(),
        &[
            "--set",
            "population.consumers.count=2000000000",
            "--set",
            "population.umkm.count=2000000000",
        ],
        &[
            "is too large for this machine",
            "GiB of memory",
            "help: simulate a sample: divide every population count by",
        ],
    );
}

#[test]
fn an_out_path_that_is_a_file_is_refused_even_with_force() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("out");
    fs::write(&out, "not a folder").expect("write the file");
    let run = run_in(scratch, &common::baseline_path(), &["--force"]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &["out"]);
    let stderr = run.stderr();
    assert!(problems.is_empty(), "{problems:?}\nstderr:\n{stderr}");
    assert!(stderr.contains("is not a folder"), "{stderr}");
    assert_eq!(
        fs::read_to_string(&out).expect("read the file"),
        "not a folder"
    );
}

#[test]
fn an_out_path_below_a_file_is_refused_before_running() {
    // --out below a regular file: nothing could be written, so pasar
    // refuses before simulating.
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let blocker = scratch.path().join("blocker");
    fs::write(&blocker, "a file").expect("write the file");
    let out = blocker.join("out");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .arg("run")
        .arg(common::baseline_path())
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(common::SMALL_RUN_FLAGS)
        .args(["--threads", "2"])
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(&blocker.display().to_string()) && stderr.contains("not a folder"),
        "the error should name the file in the way:\n{stderr}"
    );
    let left: Vec<_> = fs::read_dir(scratch.path())
        .expect("read scratch")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("blocker")],
        "something was left behind"
    );
    assert_eq!(
        fs::read_to_string(&blocker).expect("read the file"),
        "a file"
    );
}

// ---------------------------------------------------------------------------
// Issues found in src/ while writing these tests, now fixed: each test pins
// the behaviour wanted.

#[test]

fn zero_days_per_tick_is_reported_not_a_panic() {
    let path = fixture("zero_days_per_tick.toml");
    let run = run_pasar(&path, &[]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &[]);
    assert!(
        problems.is_empty(),
        "{problems:?}\nstderr:\n{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains(&format!(
            "{}:4:1: `simulation.days_per_tick`: 0 is out of range",
            path.display()
        )),
        "{}",
        run.stderr()
    );
    assert_refused(
        &common::baseline_path(),
        &["--set", "simulation.days_per_tick=0"],
        &["--set simulation.days_per_tick=0: `simulation.days_per_tick`: 0 is out of range"],
    );
}

#[test]

fn unknown_category_help_is_spelled_right() {
    let run = run_pasar(&fixture("event_unknown_category.toml"), &[]);
    assert!(
        run.stderr().contains("categories here: fashion"),
        "{}",
        run.stderr()
    );
}

#[test]

fn a_channel_without_kind_says_kind_is_missing() {
    let path = fixture("channel_missing_kind.toml");
    let run = run_pasar(&path, &[]);
    let stderr = run.stderr();
    assert!(stderr.contains("`channels.tiktok.kind`: "), "{stderr}");
    assert!(stderr.contains("required"), "{stderr}");
    assert!(
        stderr.contains("  help: kind is one of offline, marketplace, social"),
        "{stderr}"
    );
    // Through --set, a channel the scenario does not have is a misspelt
    // name, pointed at the --set argument, not a new channel missing its
    // kind blamed on the file.
    let run = run_pasar(
        &common::baseline_path(),
        &["--set", "channels.tiktok.take_rate=0.1"],
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains(
            ": --set channels.tiktok.take_rate=0.1: `channels.tiktok`: there is no channel named `tiktok`"
        ),
        "the error should point at the --set argument:\n{stderr}"
    );
    assert!(
        stderr.contains("channels here: offline, marketplace, social"),
        "{stderr}"
    );
    // A kind's name where the channel has a name of its own.
    let run = run_pasar(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
        &["--set", "channels.social.take_rate=0.1"],
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains("the social channels here are named tiktok_shop"),
        "{stderr}"
    );
}

#[test]

fn type_errors_have_help_and_plain_words() {
    let mut failures = Vec::new();
    for file in [
        "type_number_for_string.toml",
        "type_bool_for_number_in_event.toml",
        "lever_not_a_string.toml",
        "bad_channel_kind.toml",
        "event_bad_date_text.toml",
        "type_string_for_number.toml",
        "negative_count.toml",
    ] {
        let stderr = run_pasar(&fixture(file), &[]).stderr();
        if !stderr.contains("\n  help: ") {
            failures.push(format!("{file}: no help line:\n{stderr}"));
        }
        for jargon in ["u32", "u64", "f64", "i64"] {
            if stderr.contains(&format!("expected {jargon}")) {
                failures.push(format!("{file}: says `expected {jargon}`:\n{stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]

fn invalid_ticks_do_not_cascade_into_event_errors() {
    let run = run_pasar(&fixture("zero_ticks.toml"), &[]);
    let stderr = run.stderr();
    assert!(!stderr.contains("events[0]"), "{stderr}");
    assert!(
        !stderr.contains("problems:"),
        "one mistake, one problem:\n{stderr}"
    );
}

#[test]

fn several_unknown_keys_are_all_reported() {
    let run = run_pasar(
        &common::baseline_path(),
        &[
            "--set",
            "simulation.tiks=12",
            "--set",
            "behaviour.markup_stepp=0.1",
        ],
    );
    let stderr = run.stderr();
    assert!(stderr.contains("`simulation.tiks`"), "{stderr}");
    assert!(stderr.contains("`behaviour.markup_stepp`"), "{stderr}");
}

/// Size-class shares above one and a segment date with no window before
/// it or past the horizon are refused, each naming its key and the fix.
#[test]
fn impossible_size_classes_and_segment_dates_are_refused() {
    let run = run_pasar(
        &common::baseline_path(),
        &[
            "--set",
            "population.umkm.small.share=0.7",
            "--set",
            "population.umkm.medium.share=0.4",
        ],
    );
    assert_eq!(run.code(), Some(2));
    let stderr = run.stderr();
    assert!(stderr.contains("population.umkm.small.share"), "{stderr}");
    assert!(stderr.contains("add up to 1.1"), "{stderr}");
    assert!(stderr.contains("at most 1"), "{stderr}");
    assert!(!run.out.exists());
    for date in ["2022-01-03", "2031-01-01"] {
        let set = format!("segments.social_before={date}");
        let run = run_pasar(&common::baseline_path(), &["--set", &set]);
        assert_eq!(run.code(), Some(2), "{date}");
        let stderr = run.stderr();
        assert!(stderr.contains("segments.social_before"), "{stderr}");
        assert!(stderr.contains("choose a date"), "{stderr}");
    }
    let run = run_pasar(
        &common::baseline_path(),
        &["--set", "population.umkm.small.sharee=0.1"],
    );
    assert_eq!(run.code(), Some(2));
    assert!(run.stderr().contains("sharee"), "{}", run.stderr());
}

/// A `--set` that shortens the run past events the files define is an
/// error that lists them, unless `--allow-dropped-events` is given; then
/// the run lists them in its summary and manifest. A sweep never varies an
/// argument of an event the run drops. A child file's own shorter horizon
/// is not an override and drops its parent's later events quietly.
#[test]
fn a_set_that_drops_events_is_refused_unless_allowed_and_always_reported() {
    let ban = std::path::PathBuf::from(common::shipped("payment_ban.toml"));
    let short = ["--set", "simulation.ticks=20", "--replicates", "1"];
    let run = run_pasar(&ban, &short);
    assert_eq!(run.code(), Some(2));
    let stderr = run.stderr();
    assert!(stderr.contains("--set simulation.ticks=20"), "{stderr}");
    assert!(
        stderr.contains("drops 13 of the scenario's events"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "events[11] (payment_ban tiktok_shop at 2023-10-04) starts after the run ends"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("segments.social_before"), "{stderr}");
    assert!(stderr.contains("--allow-dropped-events"), "{stderr}");
    assert!(!run.out.exists());

    let mut allowed = short.to_vec();
    allowed.push(common::ALLOW_DROPPED);
    let run = run_pasar(&ban, &allowed);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let stdout = String::from_utf8_lossy(&run.output.stdout).into_owned();
    assert!(stdout.contains("events: none"), "{stdout}");
    assert!(
        stdout.contains("events dropped by the horizon (13)"),
        "{stdout}"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(run.out.join("manifest.json")).expect("manifest.json"),
    )
    .expect("JSON");
    let dropped = manifest["events"][0]["dropped"]
        .as_array()
        .expect("dropped events");
    assert_eq!(dropped.len(), 13);
    let resolved = fs::read_to_string(run.out.join("resolved.toml")).expect("resolved.toml");
    assert!(!resolved.contains("social_before"), "{resolved}");

    // A sweep refuses to vary what the run never applies.
    let scratch = tempfile::tempdir().expect("scratch");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .args([
            "sweep",
            &common::shipped("baseline.toml"),
            "--vary",
            "events[10].rate=0.02:0.05",
        ])
        .args(["--design", "lhs:2", "--replicates", "1", "--quiet"])
        .args(["--set", "simulation.ticks=20", common::ALLOW_DROPPED])
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`events[10].rate` belongs to an event this run never applies"),
        "{stderr}"
    );

    // national.toml's own year drops the baseline's 2024 events: no error.
    let national = pasar::scenario::Scenario::load_with(
        std::path::Path::new(&common::shipped("national.toml")),
        &pasar::scenario::Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!national.dropped_events.is_empty());
    assert!(national.dropped_events.iter().all(|d| !d.by_overrides));
}

// ---------------------------------------------------------------------------
// Output folders that cannot be written, and --resume misused.

#[cfg(unix)]
#[test]
fn an_unwritable_output_folder_is_refused_before_running() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let Some(folder) = common::unwritable_folder(scratch.path()) else {
        panic!("found no folder this test cannot write to");
    };
    let out = folder.join("results");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .arg("run")
        .arg(common::baseline_path())
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(common::SMALL_RUN_FLAGS)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: cannot write in"), "{stderr}");
    assert!(stderr.contains(&folder.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("choose another folder with --out"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "it ran before refusing");
    assert!(!out.exists());
    // Nothing beside it either (the scratch folder holds only the locked one).
    let left: Vec<_> = fs::read_dir(scratch.path())
        .expect("read scratch")
        .map(|e| e.expect("an entry").file_name())
        .filter(|n| n != "locked")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    if folder.starts_with(scratch.path()) {
        assert_eq!(fs::read_dir(&folder).expect("read").count(), 0);
    }
}

#[test]
fn extends_cannot_be_set_from_the_command_line() {
    assert_refused(
        &common::baseline_path(),
        &["--set", "extends=other.toml"],
        &[
            "--set extends=other.toml: `extends`: `extends` cannot be overridden",
            "  help: write extends = ",
        ],
    );
}

#[test]
fn too_many_threads_are_refused() {
    assert_refused(
        &common::baseline_path(),
        &["--threads", "100000"],
        &["--threads", "100000 is not in 0..=1024"],
    );
}

#[test]
fn resume_without_an_interrupted_run_is_refused() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .args(["run", "--resume", "results/nothing", "--quiet"])
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(
            "there is no interrupted run to resume: results/nothing.partial does not exist"
        ),
        "{stderr}"
    );
    assert_eq!(fs::read_dir(scratch.path()).expect("read").count(), 0);
}

#[test]
fn resume_of_a_finished_run_says_it_is_complete() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("done");
    fs::create_dir(&out).expect("create");
    fs::write(out.join("manifest.json"), "{}").expect("write");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .args(["run", "--resume", "done"])
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "{stderr}");
    assert!(
        stderr.contains("the run in this folder is complete"),
        "{stderr}"
    );
    assert_eq!(fs::read_dir(&out).expect("read").count(), 1);
}

#[test]
fn resume_with_a_scenario_or_overrides_is_refused() {
    for extra in [
        vec!["--resume", "out", "scenario.toml"],
        vec!["--resume", "out", "--set", "simulation.ticks=3"],
        vec!["--resume", "out", "--replicates", "3"],
        vec!["--resume", "out", "--force"],
    ] {
        let scratch = tempfile::tempdir().expect("create a scratch folder");
        let output = common::pasar_command()
            .current_dir(scratch.path())
            .arg("run")
            .args(&extra)
            .output()
            .expect("start pasar");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(INPUT_ERROR),
            "{extra:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("cannot be used with"),
            "{extra:?}: {stderr}"
        );
        assert_eq!(fs::read_dir(scratch.path()).expect("read").count(), 0);
    }
}

#[test]
fn a_damaged_checkpoint_is_refused_and_left_alone() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let checkpoint = scratch.path().join("out.partial");
    fs::create_dir(&checkpoint).expect("create");
    fs::write(checkpoint.join("checkpoint.json"), "{ \"format\": 1, ").expect("write");
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .args(["run", "--resume", "out"])
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("the checkpoint out.partial/checkpoint.json cannot be read"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(checkpoint.join("checkpoint.json")).expect("read"),
        "{ \"format\": 1, "
    );
    // A fresh run into the same folder is refused too (not silently replaced).
    let run = run_in(scratch, &common::baseline_path(), &[]);
    let problems = check_clean_failure(&run, INPUT_ERROR, &["out.partial"]);
    assert!(problems.is_empty(), "{problems:?}\n{}", run.stderr());
    assert!(
        run.stderr().contains("an interrupted run is kept in"),
        "{}",
        run.stderr()
    );
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_do_not_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    // A scenario and an output folder whose names are Latin-1, not UTF-8:
    // the run goes through (found: the command line recorded in the
    // manifest panicked on them).
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let scenario = scratch.path().join(OsStr::from_bytes(b"caf\xe9.toml"));
    fs::copy(common::baseline_path(), &scenario).expect("copy the baseline");
    let out = scratch.path().join(OsStr::from_bytes(b"r\xe9sultats"));
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(common::SMALL_RUN_FLAGS)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(out.join("series.csv").is_file());
    // A --set value that is not UTF-8 is refused by the argument parser.
    let output = common::pasar_command()
        .current_dir(scratch.path())
        .arg("run")
        .arg(&scenario)
        .arg("--set")
        .arg(OsStr::from_bytes(b"simulation.name=\xff"))
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("start pasar");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(INPUT_ERROR), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("invalid UTF-8"), "{stderr}");
}

#[test]
fn an_endless_file_is_refused_not_read_forever() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return; // not on this platform
    }
    assert_refused(
        zero,
        &[],
        &[
            "/dev/zero is a device, not a scenario file",
            "  help: name a .toml scenario file",
        ],
    );
}
