//! The scenario file format: serde types that mirror the TOML one to one.
//!
//! Every field has a default (see `docs/ODD.md` for each one's meaning, unit
//! and source), so `resolved.toml` can always be written in full. Unknown
//! keys are rejected (`deny_unknown_fields`): a typo must never be silently
//! ignored in a policy run.

use super::date::Date;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A whole scenario as written in (or resolved from) TOML files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Parent scenario, relative to this file. Resolved away on load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    pub simulation: Simulation,
    pub categories: IndexMap<String, Category>,
    pub channels: IndexMap<String, Channel>,
    /// Nests of the channel choice by name (a channel's `nest`, by default
    /// its kind); a nest not listed has dissimilarity 1.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub nests: IndexMap<String, Nest>,
    #[serde(default)]
    pub population: Population,
    #[serde(default)]
    pub behaviour: Behaviour,
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Segments of the UMKM that outputs break down (docs/ODD.md section 10).
    #[serde(default, skip_serializing_if = "Segments::is_unset")]
    pub segments: Segments,
}

impl ScenarioFile {
    /// The names of the channels of one kind, in file order.
    pub fn channels_of_kind(&self, kind: ChannelKind) -> Vec<&str> {
        self.channels
            .iter()
            .filter(|(_, c)| c.kind == kind)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// Every owner a scenario names, in order of appearance: the channels'
    /// owners, the affiliates' owner, then new owners of `change_owner` events.
    pub fn owner_names(&self) -> Vec<String> {
        let mut owners: Vec<String> = Vec::new();
        let events = self.events.iter().filter(|e| e.lever == "change_owner");
        let named = self
            .channels
            .values()
            .map(|c| c.owner.as_str())
            .chain(std::iter::once(self.population.affiliate.owner.as_str()))
            .chain(events.filter_map(|e| e.arg("owner").and_then(|o| o.as_str())));
        for name in named {
            if !name.is_empty() && !owners.iter().any(|o| o == name) {
                owners.push(name.to_string());
            }
        }
        owners
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    pub name: String,
    #[serde(default = "defaults::start_date")]
    pub start_date: Date,
    #[serde(default = "defaults::ticks")]
    pub ticks: u32,
    #[serde(default = "defaults::days_per_tick")]
    pub days_per_tick: u32,
    #[serde(default = "defaults::seed")]
    pub seed: u64,
    #[serde(default = "defaults::replicates")]
    pub replicates: u32,
    #[serde(default = "defaults::scale")]
    pub seller_scale: f64,
    #[serde(default = "defaults::scale")]
    pub consumer_scale: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub demand_share: f64,
    pub ref_price_idr: f64,
    #[serde(default = "defaults::import_cost_ratio")]
    pub import_cost_ratio: f64,
    #[serde(default = "defaults::reseller_import_share")]
    pub reseller_import_share: f64,
    /// Cross-border shipping per unit as a share of the reference price.
    #[serde(default = "defaults::shipping_share")]
    pub shipping_share: f64,
    #[serde(default)]
    pub positive_list: bool,
    /// Units in an order of this category, relative to the channel's
    /// `units_per_order` (an order's basket is their product).
    #[serde(default = "defaults::one")]
    pub units_per_order: f64,
}

/// The three kinds of channel of docs/ODD.md section 2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Offline,
    Marketplace,
    Social,
}

impl<'de> Deserialize<'de> for ChannelKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl serde::de::Visitor<'_> for KindVisitor {
            type Value = ChannelKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a channel kind in quotes: \"offline\", \"marketplace\" or \"social\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ChannelKind, E> {
                match text {
                    "offline" => Ok(ChannelKind::Offline),
                    "marketplace" => Ok(ChannelKind::Marketplace),
                    "social" => Ok(ChannelKind::Social),
                    other => Err(E::custom(format!(
                        "unknown channel kind `{other}`; expected \"offline\", \"marketplace\" or \"social\""
                    ))),
                }
            }
        }
        deserializer.deserialize_str(KindVisitor)
    }
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Offline => "offline",
            ChannelKind::Marketplace => "marketplace",
            ChannelKind::Social => "social",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub kind: ChannelKind,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub take_rate: f64,
    #[serde(default)]
    pub affinity: f64,
    #[serde(default)]
    pub affinity_trend: f64,
    #[serde(default = "defaults::w_price")]
    pub w_price: f64,
    #[serde(default = "defaults::w_quality")]
    pub w_quality: f64,
    #[serde(default = "defaults::w_popularity")]
    pub w_popularity: f64,
    #[serde(default = "defaults::rank_noise")]
    pub rank_noise: f64,
    #[serde(default)]
    pub self_preference: f64,
    #[serde(default = "defaults::attention")]
    pub attention: f64,
    #[serde(default = "defaults::consideration")]
    pub consideration: u32,
    #[serde(default = "defaults::yes")]
    pub payments_allowed: bool,
    #[serde(default = "defaults::yes")]
    pub cross_border_allowed: bool,
    /// Empty: no partner.
    #[serde(default)]
    pub checkout_partner: String,
    /// The nest of the channel choice it belongs to [default: its kind].
    #[serde(default)]
    pub nest: String,
    /// Chance that a UMKM going online lists on this marketplace (every
    /// online UMKM lists on at least one).
    #[serde(default = "defaults::share_one")]
    pub listing_share: f64,
    /// Mean units in an order found on this channel (times the category's
    /// `units_per_order`): a purchase is an order, a basket of units.
    #[serde(default = "defaults::one")]
    pub units_per_order: f64,
    /// Consumers take up shopping on this channel over time (Bass
    /// diffusion); without it every consumer may shop here from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption: Option<Adoption>,
}

/// Bass diffusion of shopping on a channel (docs/ODD.md section 2.5): the
/// share of consumers who have taken it up `t` weeks after launch is
/// `potential * (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})`, with p the
/// innovation (advertising) and q the imitation coefficient per week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adoption {
    /// The day the channel started selling.
    pub launch: Date,
    /// p: the chance per week that a consumer takes it up unprompted.
    pub innovation: f64,
    /// q: the chance per week of taking it up from those who have, at full
    /// adoption.
    pub imitation: f64,
    /// m: the share of consumers who ever take it up.
    #[serde(default = "defaults::one")]
    pub potential: f64,
}

impl Adoption {
    /// The share of consumers who have taken the channel up at `date`.
    pub fn share_at(&self, date: Date) -> f64 {
        let t = date.days_since(self.launch) as f64 / 7.0;
        bass_share(t, self.innovation, self.imitation) * self.potential
    }
}

/// The Bass curve F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}) for
/// t ≥ 0 weeks (0 before), the share of eventual adopters who have adopted.
pub fn bass_share(t: f64, p: f64, q: f64) -> f64 {
    if t <= 0.0 || p <= 0.0 {
        return 0.0;
    }
    let e = libm::exp(-(p + q) * t);
    ((1.0 - e) / (1.0 + (q / p) * e)).clamp(0.0, 1.0)
}

impl Channel {
    /// The nest of the channel choice: its `nest`, or its kind's name.
    pub fn nest_name(&self) -> &str {
        if self.nest.is_empty() {
            self.kind.as_str()
        } else {
            &self.nest
        }
    }
}

/// A nest of the channel choice (docs/ODD.md section 9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nest {
    /// λ_n in (0, 1]: 1 is the plain logit; near 0 the nest's channels are
    /// near-perfect substitutes.
    #[serde(default = "defaults::share_one")]
    pub dissimilarity: f64,
}

impl Default for Nest {
    /// The plain logit: dissimilarity 1.
    fn default() -> Nest {
        Nest { dissimilarity: 1.0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Population {
    #[serde(default)]
    pub umkm: UmkmPopulation,
    #[serde(default)]
    pub importer: ImporterPopulation,
    #[serde(default)]
    pub affiliate: AffiliatePopulation,
    #[serde(default)]
    pub consumers: ConsumerPopulation,
}

/// UMKM at the start: how many, how online, and their costs, quality,
/// capacity and cash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UmkmPopulation {
    pub count: u64,
    pub initial_online_share: f64,
    pub initial_social_share: f64,
    pub unit_cost_ratio: f64,
    pub unit_cost_sd: f64,
    pub reseller_cost_factor: f64,
    pub quality_mean: f64,
    pub quality_sd: f64,
    pub initial_markup: f64,
    pub capacity_median: f64,
    pub capacity_sd: f64,
    pub initial_cash_idr: f64,
    pub initial_cash_sd: f64,
    pub fixed_cost_idr: f64,
    /// Share of new UMKM that sell only on social channels.
    pub social_only_share: f64,
    /// Small and medium enterprises (PP 7/2021 classes); the rest are micro
    /// and take the values above.
    #[serde(deserialize_with = "SizeClassSpec::small_over_defaults")]
    pub small: SizeClassSpec,
    #[serde(deserialize_with = "SizeClassSpec::medium_over_defaults")]
    pub medium: SizeClassSpec,
}

/// A size class of UMKM other than micro: its share of UMKM and its own
/// capacity, starting cash and fixed cost (the log-sds are the UMKM's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeClassSpec {
    pub share: f64,
    pub capacity_median: f64,
    pub initial_cash_idr: f64,
    pub fixed_cost_idr: f64,
}

impl SizeClassSpec {
    /// The defaults: PP 7/2021 classes at the 2021 shares (S47), with
    /// capacities from the class thresholds and the fixed costs and cash
    /// that keep their exit rates at or below the micro firms' (docs/ODD.md
    /// section 15.4).
    pub fn small() -> SizeClassSpec {
        SizeClassSpec {
            share: 0.0030,
            capacity_median: 1_000.0,
            initial_cash_idr: 20_000_000.0,
            fixed_cost_idr: 100_000.0,
        }
    }

    pub fn medium() -> SizeClassSpec {
        SizeClassSpec {
            share: 0.0007,
            capacity_median: 5_000.0,
            initial_cash_idr: 50_000_000.0,
            fixed_cost_idr: 100_000.0,
        }
    }

    /// A class table read over the class's defaults: keys not written keep
    /// their default (`--set population.umkm.small.share=0.01` alone works).
    fn over_defaults<'de, D: serde::Deserializer<'de>>(
        d: D,
        base: SizeClassSpec,
    ) -> Result<SizeClassSpec, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Written {
            share: Option<f64>,
            capacity_median: Option<f64>,
            initial_cash_idr: Option<f64>,
            fixed_cost_idr: Option<f64>,
        }
        let w = Written::deserialize(d)?;
        Ok(SizeClassSpec {
            share: w.share.unwrap_or(base.share),
            capacity_median: w.capacity_median.unwrap_or(base.capacity_median),
            initial_cash_idr: w.initial_cash_idr.unwrap_or(base.initial_cash_idr),
            fixed_cost_idr: w.fixed_cost_idr.unwrap_or(base.fixed_cost_idr),
        })
    }

    fn small_over_defaults<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<SizeClassSpec, D::Error> {
        SizeClassSpec::over_defaults(d, SizeClassSpec::small())
    }

    fn medium_over_defaults<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<SizeClassSpec, D::Error> {
        SizeClassSpec::over_defaults(d, SizeClassSpec::medium())
    }
}

/// Which UMKM the outputs follow as a segment: those that sold on a social
/// channel in the `window_ticks` ticks before `social_before`, and the
/// change of each one's revenue between those ticks and as many from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Segments {
    pub social_before: Option<Date>,
    pub window_ticks: u32,
}

impl Segments {
    fn is_unset(&self) -> bool {
        *self == Segments::default()
    }
}

impl Default for Segments {
    fn default() -> Segments {
        // Eight weeks: the survey of sellers after the closure asked about
        // its first two months (S93).
        Segments {
            social_before: None,
            window_ticks: 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImporterPopulation {
    pub count: u64,
    pub scale_advantage: f64,
    pub unit_cost_sd: f64,
    pub quality_mean: f64,
    pub quality_sd: f64,
    pub initial_markup: f64,
    pub capacity_median: f64,
    pub capacity_sd: f64,
    pub initial_cash_idr: f64,
    pub initial_cash_sd: f64,
    pub fixed_cost_idr: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AffiliatePopulation {
    pub count: u64,
    /// The platform owner they belong to (a channel `owner`).
    pub owner: String,
    /// Bound by the cross-border rules like importers (docs/ODD.md section 7).
    pub cross_border: bool,
    pub cost_factor: f64,
    pub quality_mean: f64,
    pub initial_markup: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsumerPopulation {
    pub count: u64,
    pub price_sensitivity_median: f64,
    pub price_sensitivity_sd: f64,
    pub quality_taste_mean: f64,
    pub quality_taste_sd: f64,
    pub local_preference_mean: f64,
    pub local_preference_sd: f64,
    pub purchase_rate_mean: f64,
    pub purchase_rate_shape: f64,
    pub habit_sd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    pub outside_utility: f64,
    pub markup_step: f64,
    pub markup_min: f64,
    pub markup_max: f64,
    pub popularity_decay: f64,
    pub digitalization_rate: f64,
    pub social_adoption: f64,
    pub umkm_entry_rate: f64,
    pub importer_entry_rate: f64,
    /// φ: utility added to giving up when a purchase cannot be paid for on
    /// the channel where it was found (docs/ODD.md section 9).
    pub switch_friction: f64,
    /// ρ: the share of a channel's commission that sellers add to the
    /// price they list there (docs/ODD.md section 7).
    pub fee_pass_through: f64,
    /// κ: the share of the gap to its target markup a seller closes in a
    /// tick (docs/ODD.md section 3, step 6).
    pub markup_adjustment: f64,
    /// w: the weight of rivals' prices in the target markup, against the
    /// markup the consumers' price sensitivity implies.
    pub rival_price_weight: f64,
}

/// One timeline event as written: `lever` names the policy and the other
/// keys are its arguments, kept as written and checked against the
/// lever's entry in [`crate::scenario::lever::LEVERS`] (so a missing,
/// unknown or misplaced argument gets a message naming the lever); it
/// becomes a typed [`crate::scenario::Lever`] during validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EventSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<i64>,
    /// The lever's effect ends on this date (or at this tick): the state
    /// goes back to what the other events in force make it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_tick: Option<i64>,
    pub lever: String,
    /// The lever's arguments, in file order.
    #[serde(flatten)]
    pub args: IndexMap<String, toml::Value>,
}

impl EventSpec {
    /// This event with argument `name` set to `value` (for scenarios built
    /// in code: `event.with("channel", "social")`).
    pub fn with(mut self, name: &str, value: impl Into<toml::Value>) -> EventSpec {
        self.args.insert(name.to_string(), value.into());
        self
    }

    /// Argument `name`, if given.
    /// "2023-10-04: payment_ban channel=social".
    pub fn describe(&self) -> String {
        let show = |v: &toml::Value| match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut fields = Vec::new();
        if let Ok(toml::Value::Table(t)) = toml::Value::try_from(self) {
            for (k, v) in &t {
                if k != "date" && k != "tick" && k != "lever" {
                    fields.push(format!("{k}={}", show(v)));
                }
            }
        }
        let when = match (&self.date, &self.tick) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => format!("tick {t}"),
            (None, None) => "start".to_string(),
        };
        if fields.is_empty() {
            format!("{when}: {}", self.lever)
        } else {
            format!("{when}: {} {}", self.lever, fields.join(" "))
        }
    }

    pub fn arg(&self, name: &str) -> Option<&toml::Value> {
        self.args.get(name)
    }
}

/// Default values, one function per field that serde fills in.
pub(crate) mod defaults {
    use super::Date;

    pub fn start_date() -> Date {
        // Monday 3 January 2022: the first full week of 2022.
        Date::from_ymd(2022, 1, 3).unwrap_or_else(|| unreachable!("a valid constant date"))
    }
    pub fn ticks() -> u32 {
        157
    }
    pub fn days_per_tick() -> u32 {
        7
    }
    pub fn seed() -> u64 {
        20231004
    }
    pub fn replicates() -> u32 {
        8
    }
    pub fn scale() -> f64 {
        1000.0
    }
    pub fn import_cost_ratio() -> f64 {
        0.6
    }
    pub fn reseller_import_share() -> f64 {
        0.2
    }
    pub fn shipping_share() -> f64 {
        0.25
    }
    pub fn w_price() -> f64 {
        1.0
    }
    pub fn w_quality() -> f64 {
        1.0
    }
    pub fn w_popularity() -> f64 {
        0.3
    }
    pub fn rank_noise() -> f64 {
        0.5
    }
    pub fn attention() -> f64 {
        10.0
    }
    pub fn consideration() -> u32 {
        20
    }
    pub fn yes() -> bool {
        true
    }
    pub fn one() -> f64 {
        1.0
    }

    pub fn share_one() -> f64 {
        1.0
    }
}

impl Default for UmkmPopulation {
    fn default() -> Self {
        UmkmPopulation {
            count: 40_000,
            initial_online_share: 0.5,
            initial_social_share: 0.15,
            unit_cost_ratio: 0.6,
            unit_cost_sd: 0.2,
            reseller_cost_factor: 1.25,
            quality_mean: 0.0,
            quality_sd: 0.5,
            initial_markup: 0.4,
            capacity_median: 15.0,
            capacity_sd: 0.8,
            initial_cash_idr: 3_000_000.0,
            initial_cash_sd: 1.0,
            fixed_cost_idr: 50_000.0,
            social_only_share: 0.0,
            small: SizeClassSpec::small(),
            medium: SizeClassSpec::medium(),
        }
    }
}

impl Default for ImporterPopulation {
    fn default() -> Self {
        ImporterPopulation {
            count: 100,
            scale_advantage: 0.8,
            unit_cost_sd: 0.15,
            quality_mean: -0.2,
            quality_sd: 0.5,
            initial_markup: 0.3,
            capacity_median: 2_000.0,
            capacity_sd: 0.5,
            initial_cash_idr: 300_000_000.0,
            initial_cash_sd: 0.5,
            fixed_cost_idr: 5_000_000.0,
        }
    }
}

impl Default for AffiliatePopulation {
    fn default() -> Self {
        AffiliatePopulation {
            count: 0,
            owner: String::new(),
            cross_border: false,
            cost_factor: 1.0,
            quality_mean: 0.0,
            initial_markup: 0.25,
        }
    }
}

impl Default for ConsumerPopulation {
    fn default() -> Self {
        ConsumerPopulation {
            count: 25_000,
            price_sensitivity_median: 3.0,
            price_sensitivity_sd: 0.5,
            quality_taste_mean: 0.5,
            quality_taste_sd: 0.3,
            local_preference_mean: 0.3,
            local_preference_sd: 0.3,
            purchase_rate_mean: 1.5,
            purchase_rate_shape: 2.0,
            habit_sd: 1.0,
        }
    }
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            outside_utility: 1.0,
            markup_step: 0.01,
            markup_min: 0.05,
            markup_max: 1.5,
            popularity_decay: 0.2,
            digitalization_rate: 0.003,
            social_adoption: 0.05,
            umkm_entry_rate: 0.001,
            importer_entry_rate: 0.05,
            switch_friction: 0.0,
            fee_pass_through: 1.0,
            markup_adjustment: 0.1,
            rival_price_weight: 0.5,
        }
    }
}

/// The seller kinds of docs/ODD.md section 2.4 (the `population` tables'
/// kinds; the `kind` dimension of the outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SellerKind {
    Umkm = 0,
    Importer = 1,
    Affiliate = 2,
}

impl SellerKind {
    pub const ALL: [SellerKind; 3] = [
        SellerKind::Umkm,
        SellerKind::Importer,
        SellerKind::Affiliate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SellerKind::Umkm => "umkm",
            SellerKind::Importer => "importer",
            SellerKind::Affiliate => "affiliate",
        }
    }
}
