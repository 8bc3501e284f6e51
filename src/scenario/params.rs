//! The numeric parameters of a scenario: path, unit, valid range, meaning.
//!
//! One table serves validation (every number in a resolved scenario is
//! checked against its entry), `--set`/sweeps (same paths) and the docs
//! (`docs/ODD.md` lists every path; a test keeps the two in step).
//! `*` in a path stands for any channel or category name.

use std::fmt;

/// The values a parameter may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// A probability or share: `[0, 1]`.
    Unit,
    /// `[0, ∞)`.
    NonNegative,
    /// `(0, ∞)`.
    Positive,
    /// Any finite number.
    Finite,
    /// `[lo, hi]`.
    Closed(f64, f64),
    /// A whole number in `[lo, hi]`.
    Integer(i64, i64),
}

impl Range {
    pub fn contains(self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        match self {
            Range::Unit => (0.0..=1.0).contains(&x),
            Range::NonNegative => x >= 0.0,
            Range::Positive => x > 0.0,
            Range::Finite => true,
            Range::Closed(lo, hi) => (lo..=hi).contains(&x),
            Range::Integer(lo, hi) => x.fract() == 0.0 && (lo as f64..=hi as f64).contains(&x),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Unit => write!(f, "a number from 0 to 1"),
            Range::NonNegative => write!(f, "a finite number of at least 0"),
            Range::Positive => write!(f, "a finite number greater than 0"),
            Range::Finite => write!(f, "a finite number"),
            Range::Closed(lo, hi) => write!(f, "a number from {lo} to {hi}"),
            Range::Integer(lo, hi) => write!(f, "a whole number from {lo} to {hi}"),
        }
    }
}

/// One parameter of the scenario format.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub path: &'static str,
    pub unit: &'static str,
    pub range: Range,
    pub meaning: &'static str,
}

/// Largest population of one kind: the national scale (22 million UMKM)
/// with room to spare. Seller slots are 32-bit: memory runs out long before
/// three kinds at this size would overflow them.
pub const MAX_AGENTS: i64 = 2_000_000_000;
/// Longest horizon in ticks (about 190 years of weeks).
pub const MAX_TICKS: i64 = 10_000;

const fn p(
    path: &'static str,
    unit: &'static str,
    range: Range,
    meaning: &'static str,
) -> ParamSpec {
    ParamSpec {
        path,
        unit,
        range,
        meaning,
    }
}

use Range::*;

/// Every numeric parameter of a scenario file.
pub const PARAMS: &[ParamSpec] = &[
    p(
        "simulation.ticks",
        "ticks",
        Integer(1, MAX_TICKS),
        "number of ticks simulated",
    ),
    p(
        "simulation.days_per_tick",
        "days",
        Integer(1, 366),
        "length of one tick",
    ),
    p(
        "simulation.seed",
        "-",
        Integer(0, i64::MAX),
        "master seed of all random streams",
    ),
    p(
        "simulation.replicates",
        "count",
        Integer(1, 100_000),
        "independent replicates (seeds derived from the master seed)",
    ),
    p(
        "simulation.seller_scale",
        "real sellers per simulated seller",
        Closed(1e-6, 1e9),
        "how many identical real sellers one simulated seller stands for",
    ),
    p(
        "simulation.consumer_scale",
        "real consumers per simulated consumer",
        Closed(1e-6, 1e9),
        "how many real consumers one simulated consumer stands for",
    ),
    p(
        "categories.*.demand_share",
        "share",
        Unit,
        "share of purchase attempts in this category (all categories sum to 1)",
    ),
    p(
        "categories.*.ref_price_idr",
        "IDR",
        Closed(1.0, 1e12),
        "reference price P_c of the category",
    ),
    p(
        "categories.*.import_cost_ratio",
        "ratio",
        Closed(0.01, 10.0),
        "unit cost of an imported good over a domestic one (kappa_c)",
    ),
    p(
        "categories.*.reseller_import_share",
        "share",
        Unit,
        "share of UMKM in the category that resell imported goods (r_c)",
    ),
    p(
        "categories.*.units_per_order",
        "relative units per order",
        Closed(0.1, 100.0),
        "units in an order of the category, relative to the channel's units_per_order",
    ),
    p(
        "categories.*.shipping_share",
        "share of the reference price",
        Closed(0.0, 10.0),
        "cross-border shipping per unit (importers and affiliates) as a share of P_c",
    ),
    p(
        "channels.*.take_rate",
        "share of revenue",
        Unit,
        "commission the channel takes on each sale it transacts",
    ),
    p(
        "channels.*.listing_share",
        "probability",
        Unit,
        "chance that a UMKM going online lists on this marketplace",
    ),
    p(
        "nests.*.dissimilarity",
        "-",
        Closed(0.01, 1.0),
        "dissimilarity lambda_n of the nest: 1 is the plain logit, near 0 its channels are near-perfect substitutes",
    ),
    p(
        "behaviour.fee_pass_through",
        "share",
        Unit,
        "share of a channel's commission sellers add to the price they list there (rho)",
    ),
    p(
        "behaviour.switch_friction",
        "utility",
        Closed(-20.0, 20.0),
        "utility added to giving up when a purchase cannot be paid for where it was found (phi)",
    ),
    p(
        "channels.*.affinity",
        "utility",
        Closed(-50.0, 50.0),
        "consumers' mean taste for the channel (mu_k)",
    ),
    p(
        "channels.*.affinity_trend",
        "utility per tick",
        Closed(-1.0, 1.0),
        "drift of the channel taste per tick",
    ),
    p(
        "channels.*.units_per_order",
        "units per order",
        Closed(0.1, 100.0),
        "mean units in an order found on the channel (times the category's units_per_order)",
    ),
    p(
        "channels.*.adoption.innovation",
        "share per week",
        Closed(1e-6, 1.0),
        "Bass innovation p: the chance per week that a consumer takes the channel up unprompted",
    ),
    p(
        "channels.*.adoption.imitation",
        "share per week",
        Closed(0.0, 5.0),
        "Bass imitation q: the pull per week of those who have taken the channel up",
    ),
    p(
        "channels.*.adoption.potential",
        "share of consumers",
        Closed(0.001, 1.0),
        "Bass potential m: the share of consumers who ever take the channel up",
    ),
    p(
        "channels.*.w_price",
        "score per log price ratio",
        Closed(-100.0, 100.0),
        "ranking weight on cheapness, -ln(p/P_c)",
    ),
    p(
        "channels.*.w_quality",
        "score per quality unit",
        Closed(-100.0, 100.0),
        "ranking weight on quality",
    ),
    p(
        "channels.*.w_popularity",
        "score per ln(1+units)",
        Closed(-100.0, 100.0),
        "ranking weight on popularity",
    ),
    p(
        "channels.*.rank_noise",
        "score",
        Closed(0.0, 100.0),
        "standard deviation of the ranking noise (sigma_k)",
    ),
    p(
        "channels.*.self_preference",
        "score",
        Closed(-100.0, 100.0),
        "score bonus for sellers affiliated with the channel's owner (b_k)",
    ),
    p(
        "channels.*.attention",
        "rank positions",
        Closed(1.0, 1e9),
        "mean rank position a consumer looks at (L_k)",
    ),
    p(
        "channels.*.consideration",
        "listings",
        Integer(1, 1000),
        "listings a consumer compares (K_k)",
    ),
    p(
        "population.umkm.count",
        "simulated sellers",
        Integer(0, MAX_AGENTS),
        "UMKM at the start",
    ),
    p(
        "population.umkm.initial_online_share",
        "share",
        Unit,
        "share of UMKM listed on the marketplaces at the start",
    ),
    p(
        "population.umkm.initial_social_share",
        "share",
        Unit,
        "share of online UMKM also listed on social channels at the start",
    ),
    p(
        "population.umkm.unit_cost_ratio",
        "ratio",
        Closed(0.001, 100.0),
        "median unit cost of a domestic UMKM good over the category's reference price",
    ),
    p(
        "population.umkm.unit_cost_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of unit costs (log-normal)",
    ),
    p(
        "population.umkm.reseller_cost_factor",
        "ratio",
        Closed(0.01, 100.0),
        "a reselling UMKM's unit cost over an importer's base imported cost",
    ),
    p(
        "population.umkm.quality_mean",
        "quality units",
        Closed(-100.0, 100.0),
        "mean quality of UMKM goods",
    ),
    p(
        "population.umkm.quality_sd",
        "quality units",
        Closed(0.0, 100.0),
        "dispersion of UMKM quality (normal)",
    ),
    p(
        "population.umkm.initial_markup",
        "share of unit cost",
        Closed(0.0, 100.0),
        "markup at the start",
    ),
    p(
        "population.umkm.capacity_median",
        "real units per tick",
        Closed(0.0, 1e12),
        "median capacity of a real UMKM",
    ),
    p(
        "population.umkm.capacity_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of capacity (log-normal)",
    ),
    p(
        "population.umkm.initial_cash_idr",
        "IDR per real seller",
        Closed(0.0, MAX_IDR),
        "median cash at the start (and of entrants)",
    ),
    p(
        "population.umkm.initial_cash_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of starting cash (log-normal)",
    ),
    p(
        "population.umkm.fixed_cost_idr",
        "IDR per real seller per tick",
        Closed(0.0, MAX_IDR),
        "fixed cost F",
    ),
    p(
        "population.umkm.social_only_share",
        "share of UMKM",
        Unit,
        "share of UMKM (at the start and on entry) that sell only on the social channels: no shop, no marketplace",
    ),
    p(
        "population.umkm.small.share",
        "share of UMKM",
        Unit,
        "share of UMKM in the small class (PP 7/2021; S47)",
    ),
    p(
        "population.umkm.small.capacity_median",
        "real units per tick",
        Closed(0.0, 1e12),
        "median capacity of a real small enterprise",
    ),
    p(
        "population.umkm.small.initial_cash_idr",
        "IDR per real seller",
        Closed(0.0, MAX_IDR),
        "median cash of a small enterprise at the start (and on entry)",
    ),
    p(
        "population.umkm.small.fixed_cost_idr",
        "IDR per real seller per tick",
        Closed(0.0, MAX_IDR),
        "fixed cost F of a small enterprise",
    ),
    p(
        "population.umkm.medium.share",
        "share of UMKM",
        Unit,
        "share of UMKM in the medium class (PP 7/2021; S47)",
    ),
    p(
        "population.umkm.medium.capacity_median",
        "real units per tick",
        Closed(0.0, 1e12),
        "median capacity of a real medium enterprise",
    ),
    p(
        "population.umkm.medium.initial_cash_idr",
        "IDR per real seller",
        Closed(0.0, MAX_IDR),
        "median cash of a medium enterprise at the start (and on entry)",
    ),
    p(
        "population.umkm.medium.fixed_cost_idr",
        "IDR per real seller per tick",
        Closed(0.0, MAX_IDR),
        "fixed cost F of a medium enterprise",
    ),
    p(
        "population.importer.count",
        "simulated sellers",
        Integer(0, MAX_AGENTS),
        "cross-border importers at the start",
    ),
    p(
        "population.importer.scale_advantage",
        "ratio",
        Closed(0.001, 100.0),
        "importer unit cost over the imported base cost (bulk buying)",
    ),
    p(
        "population.importer.unit_cost_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of importer unit costs",
    ),
    p(
        "population.importer.quality_mean",
        "quality units",
        Closed(-100.0, 100.0),
        "mean quality of imported goods",
    ),
    p(
        "population.importer.quality_sd",
        "quality units",
        Closed(0.0, 100.0),
        "dispersion of importer quality",
    ),
    p(
        "population.importer.initial_markup",
        "share of unit cost",
        Closed(0.0, 100.0),
        "markup at the start",
    ),
    p(
        "population.importer.capacity_median",
        "real units per tick",
        Closed(0.0, 1e12),
        "median capacity of a real importer",
    ),
    p(
        "population.importer.capacity_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of importer capacity",
    ),
    p(
        "population.importer.initial_cash_idr",
        "IDR per real seller",
        Closed(0.0, MAX_IDR),
        "median cash at the start (and of entrants, affiliates too)",
    ),
    p(
        "population.importer.initial_cash_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of importers' (and affiliates') starting cash (log-normal)",
    ),
    p(
        "population.importer.fixed_cost_idr",
        "IDR per real seller per tick",
        Closed(0.0, MAX_IDR),
        "fixed cost F of importers and affiliates",
    ),
    p(
        "population.affiliate.count",
        "simulated sellers",
        Integer(0, MAX_AGENTS),
        "platform-affiliated sellers at the start",
    ),
    p(
        "population.affiliate.cost_factor",
        "ratio",
        Closed(0.001, 100.0),
        "affiliate unit cost over an importer's",
    ),
    p(
        "population.affiliate.quality_mean",
        "quality units",
        Closed(-100.0, 100.0),
        "mean quality of the initial affiliates",
    ),
    p(
        "population.affiliate.initial_markup",
        "share of unit cost",
        Closed(0.0, 100.0),
        "markup of affiliates at entry",
    ),
    p(
        "population.consumers.count",
        "simulated consumers",
        Integer(0, MAX_AGENTS),
        "consumers",
    ),
    p(
        "population.consumers.price_sensitivity_median",
        "utility per log price ratio",
        Closed(0.001, 1000.0),
        "median price sensitivity alpha_i (log-normal)",
    ),
    p(
        "population.consumers.price_sensitivity_sd",
        "log-sd",
        Closed(0.0, 5.0),
        "dispersion of alpha_i",
    ),
    p(
        "population.consumers.quality_taste_mean",
        "utility per quality unit",
        Closed(-100.0, 100.0),
        "mean quality taste beta_i (normal)",
    ),
    p(
        "population.consumers.quality_taste_sd",
        "utility per quality unit",
        Closed(0.0, 100.0),
        "dispersion of beta_i",
    ),
    p(
        "population.consumers.local_preference_mean",
        "utility",
        Closed(-100.0, 100.0),
        "mean of the normal whose positive part is lambda_i",
    ),
    p(
        "population.consumers.local_preference_sd",
        "utility",
        Closed(0.0, 100.0),
        "sd of that normal",
    ),
    p(
        "population.consumers.purchase_rate_mean",
        "attempts per tick",
        Closed(0.0, 1000.0),
        "mean purchase rate rho_i (gamma)",
    ),
    p(
        "population.consumers.purchase_rate_shape",
        "-",
        Closed(0.001, 1000.0),
        "shape of the gamma of rho_i",
    ),
    p(
        "population.consumers.habit_sd",
        "utility",
        Closed(0.0, 100.0),
        "dispersion of channel habits sigma_h",
    ),
    p(
        "behaviour.outside_utility",
        "utility",
        Closed(-100.0, 100.0),
        "utility of not buying u_0",
    ),
    p(
        "behaviour.markup_step",
        "share of unit cost",
        Closed(0.0, 10.0),
        "markup change in a tick when a seller sold out (+) or sold nothing (-) (delta)",
    ),
    p(
        "behaviour.markup_min",
        "share of unit cost",
        Closed(0.0, 100.0),
        "lowest markup",
    ),
    p(
        "behaviour.markup_max",
        "share of unit cost",
        Closed(0.0, 100.0),
        "highest markup",
    ),
    p(
        "behaviour.markup_adjustment",
        "share per tick",
        Unit,
        "share of the gap to its target markup a seller closes in a tick (kappa)",
    ),
    p(
        "behaviour.rival_price_weight",
        "share",
        Unit,
        "weight of rivals' average price in the target markup (w)",
    ),
    p(
        "segments.window_ticks",
        "ticks",
        Integer(1, 520),
        "length of each of the two windows compared per seller around segments.social_before",
    ),
    p(
        "behaviour.popularity_decay",
        "share per tick",
        Unit,
        "weight eta of this tick's units in popularity",
    ),
    p(
        "behaviour.digitalization_rate",
        "probability per tick",
        Unit,
        "chance an offline-only UMKM goes online in a tick",
    ),
    p(
        "behaviour.social_adoption",
        "probability per tick",
        Unit,
        "an online UMKM joins a social channel with this times the channel's share of category GMV",
    ),
    p(
        "behaviour.umkm_entry_rate",
        "entrants per alive UMKM per tick",
        Closed(0.0, 1.0),
        "UMKM entry rate",
    ),
    p(
        "behaviour.importer_entry_rate",
        "entrants per alive importer per unit margin per tick",
        Closed(0.0, 10.0),
        "importer entry rate",
    ),
];

/// Largest amount of money a per-seller parameter may take (10^12 IDR,
/// about US$64 million): sums over sellers, scales and ticks stay far from
/// overflowing to infinity, which an unbounded amount did (found by the
/// fuzz test: a fixed cost of 1.8e308 IDR made profit -inf).
pub const MAX_IDR: f64 = 1e12;

/// The spec for a concrete path (`channels.social.take_rate`), if any.
pub fn spec_for(path: &str) -> Option<&'static ParamSpec> {
    let pattern = generic_path(path);
    PARAMS.iter().find(|s| s.path == pattern)
}

/// `channels.social.take_rate` → `channels.*.take_rate` (and so for
/// categories and nests).
pub fn generic_path(path: &str) -> String {
    let mut parts: Vec<&str> = path.split('.').collect();
    if parts.len() >= 3 && matches!(parts[0], "channels" | "categories" | "nests") {
        parts[1] = "*";
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_reject_non_finite_and_out_of_range() {
        assert!(Range::Unit.contains(0.0) && Range::Unit.contains(1.0));
        assert!(!Range::Unit.contains(1.0001) && !Range::Unit.contains(f64::NAN));
        assert!(!Range::Positive.contains(0.0));
        assert!(!Range::NonNegative.contains(f64::INFINITY));
        assert!(!Range::Integer(1, 5).contains(2.5));
    }

    #[test]
    fn every_parameter_has_a_bounded_range() {
        // An unbounded parameter lets a valid scenario overflow to infinity.
        for p in PARAMS {
            assert!(
                matches!(
                    p.range,
                    Range::Unit | Range::Closed(..) | Range::Integer(..)
                ),
                "{} has the unbounded range {:?}",
                p.path,
                p.range
            );
        }
    }

    #[test]
    fn generic_paths_match_named_entries() {
        assert_eq!(
            spec_for("channels.social.take_rate").map(|s| s.unit),
            Some("share of revenue")
        );
        assert!(spec_for("population.umkm.count").is_some());
        assert!(spec_for("nothing.here").is_none());
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in PARAMS.iter().enumerate() {
            assert!(
                PARAMS[i + 1..].iter().all(|b| b.path != a.path),
                "{}",
                a.path
            );
        }
    }
}
