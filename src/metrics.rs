//! What a tick records: the metrics, their units and meanings, and the
//! dimensions they are broken down by. Plain numbers; no I/O.

use crate::model::segments::BANDS;
use crate::model::sellers::SizeClass;
use crate::scenario::SellerKind;

/// The dimension a value is broken down by (the `by` column of `series.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum By {
    All,
    Kind,
    Origin,
    Channel,
    DiscoveryChannel,
    Category,
    /// The owner of the transaction channel at the time (`none` for
    /// channels without one).
    Owner,
    /// The nest of the channel choice (of the transaction channel; for
    /// sellers, those listed on any channel of the nest).
    Nest,
    /// Seller kind × transaction channel (`umkm_on_shopee`).
    KindChannel,
    /// Origin × transaction channel (`imported_on_shopee`).
    OriginChannel,
    /// UMKM size class (micro, small, medium).
    SizeClass,
    /// UMKM that sold on a social channel in the window before `segments.social_before`
    /// or not (only when the date is set).
    SocialSegment,
    /// Bands of a UMKM's revenue change across the segment date.
    RevenueChange,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::All => "all",
            By::Kind => "kind",
            By::Origin => "origin",
            By::Channel => "channel",
            By::DiscoveryChannel => "discovery_channel",
            By::Category => "category",
            By::Owner => "owner",
            By::Nest => "nest",
            By::KindChannel => "kind_channel",
            By::OriginChannel => "origin_channel",
            By::SizeClass => "size_class",
            By::SocialSegment => "social_segment",
            By::RevenueChange => "revenue_change",
        }
    }
}

/// One metric: its name (with its unit), unit and meaning.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    pub name: &'static str,
    pub unit: &'static str,
    pub by: &'static [By],
    pub meaning: &'static str,
}

/// Index of a metric in [`METRICS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Metric {
    GmvIdr,
    GmvShare,
    ImportPenetration,
    SellersAlive,
    Entries,
    Exits,
    PurchaseAttempts,
    PurchaseDecisions,
    Purchases,
    PurchasesLost,
    PurchasesRedirected,
    AvgPriceIdr,
    ConsumerSurplusIdr,
    CommissionIdr,
    Hhi,
    UmkmRevenueIdr,
    UmkmProfitIdr,
    UmkmSubsidyIdr,
    SellersByRevenueChange,
    Adopters,
}

use By::*;

/// Every metric, in the order rows appear in `series.csv`.
pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "gmv_idr",
        unit: "IDR per tick",
        by: &[
            All,
            Kind,
            Origin,
            Channel,
            DiscoveryChannel,
            Category,
            Owner,
            Nest,
            KindChannel,
            OriginChannel,
        ],
        meaning: "gross merchandise value of completed purchases (real IDR, after scaling; the shipped baseline's online GMV and orders are fitted to Bank Indonesia's 2022 e-commerce value and count, S23: manifest.json scale_benchmark); by channel = channel of the transaction, by discovery_channel = channel where the purchase was found, by owner = owner of the transaction channel at the time, by kind_channel and origin_channel = seller kind or origin on each transaction channel",
    },
    MetricDef {
        name: "gmv_share",
        unit: "share (0-1)",
        by: &[
            Kind,
            Origin,
            Channel,
            DiscoveryChannel,
            Category,
            Owner,
            Nest,
        ],
        meaning: "the group's share of total GMV in the tick (all channels, offline included); 0 when total GMV is 0",
    },
    MetricDef {
        name: "import_penetration",
        unit: "share (0-1)",
        by: &[All, Channel],
        meaning: "share of imported goods in GMV (importers, affiliates and UMKM reselling imports); by channel = in the GMV transacted on the channel; left out when that GMV is 0",
    },
    MetricDef {
        name: "sellers_alive",
        unit: "real sellers",
        by: &[All, Kind, Channel, Nest, SizeClass, SocialSegment],
        meaning: "sellers alive at the end of the tick; by channel = sellers listed on the channel; by nest = sellers listed on any channel of the nest (a seller on two marketplaces counts once); by size_class and social_segment = UMKM only",
    },
    MetricDef {
        name: "entries",
        unit: "real sellers (by kind) or listings (by channel)",
        by: &[All, Kind, Channel],
        meaning: "new sellers this tick (by kind); new listings on the channel from entrants, digitalization and social adoption (by channel)",
    },
    MetricDef {
        name: "exits",
        unit: "real sellers (by kind) or listings (by channel)",
        by: &[All, Kind, Channel, SizeClass],
        meaning: "sellers that went bankrupt this tick (by kind; by size_class = UMKM only), and the listings they held (by channel)",
    },
    MetricDef {
        name: "purchase_attempts",
        unit: "real attempts per tick",
        by: &[All],
        meaning: "purchase attempts made by consumers",
    },
    MetricDef {
        name: "purchase_decisions",
        unit: "real decisions per tick",
        by: &[All],
        meaning: "attempts that reached the choice among listings (something was on offer in the category)",
    },
    MetricDef {
        name: "purchases",
        unit: "real purchases per tick",
        by: &[All, Channel, Nest],
        meaning: "completed purchases (orders, each a basket of units); by channel = channel of the transaction",
    },
    MetricDef {
        name: "purchases_lost",
        unit: "real purchases per tick",
        by: &[All, DiscoveryChannel],
        meaning: "purchases chosen on a channel that took no payments that did not happen: not completed by its checkout partner, and the consumer gave up or bought nothing on the channel chosen again (leakage)",
    },
    MetricDef {
        name: "purchases_redirected",
        unit: "real purchases per tick",
        by: &[All, Channel],
        meaning: "purchases found on a channel that took no payments and completed all the same: on its checkout partner, or on another channel the consumer chose again; by channel = where they completed",
    },
    MetricDef {
        name: "avg_price_idr",
        unit: "IDR per unit",
        by: &[All, Kind],
        meaning: "average price paid a unit (GMV / units sold; a purchase is an order of channels.*.units_per_order x categories.*.units_per_order units); left out when there were no purchases",
    },
    MetricDef {
        name: "consumer_surplus_idr",
        unit: "IDR per tick",
        by: &[All],
        meaning: "expected consumer surplus over all decisions, P_c/alpha_i * logsum of the choice set and the outside option (real consumers)",
    },
    MetricDef {
        name: "commission_idr",
        unit: "IDR per tick",
        by: &[All, Channel],
        meaning: "commissions earned by channels (take rate x GMV transacted there)",
    },
    MetricDef {
        name: "hhi",
        unit: "index (0-1)",
        by: &[All],
        meaning: "Herfindahl-Hirschman index of real sellers' shares of total GMV; left out when GMV is 0",
    },
    MetricDef {
        name: "umkm_revenue_idr",
        unit: "IDR per tick",
        by: &[All, SizeClass, SocialSegment],
        meaning: "revenue of all UMKM; by size_class (micro, small, medium), and by social_segment (sold_on_social: UMKM that sold on a social channel in the segments.window_ticks before segments.social_before; not_on_social: the rest; split from that window on)",
    },
    MetricDef {
        name: "umkm_profit_idr",
        unit: "IDR per tick",
        by: &[All, SizeClass, SocialSegment],
        meaning: "profit of all UMKM: revenue - landed cost of units - commissions - fixed costs (subsidies excluded); by size_class and social_segment as umkm_revenue_idr",
    },
    MetricDef {
        name: "umkm_subsidy_idr",
        unit: "IDR per tick",
        by: &[All],
        meaning: "cash transferred to UMKM by an umkm_subsidy policy",
    },
    MetricDef {
        name: "sellers_by_revenue_change",
        unit: "real sellers",
        by: &[RevenueChange],
        meaning: "UMKM that sold on a social channel in the segments.window_ticks before segments.social_before, by the change of their revenue per tick from that window to the window from the date: exited (since the date), down_over_75_pct, down_50_to_75_pct, down_25_to_50_pct, down_under_25_pct, up_under_50_pct (including unchanged), up_over_50_pct; recorded once, at the last tick of the window from the date",
    },
    MetricDef {
        name: "adopters",
        unit: "real consumers",
        by: &[Channel],
        meaning: "consumers who have taken up shopping on a channel that diffuses (channels.<name>.adoption, a Bass process); recorded for those channels only, whether or not it takes payments (a ban stops purchases, not discovery)",
    },
];

impl Metric {
    pub fn def(self) -> &'static MetricDef {
        &METRICS[self as usize]
    }
}

/// One value of one metric in one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub metric: Metric,
    pub by: By,
    /// Index within the dimension (kind, origin, channel or category); 0 for `All`.
    pub group: u16,
    pub value: f64,
}

/// Everything recorded in one tick of one replicate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TickRecord {
    pub tick: u32,
    pub observations: Vec<Observation>,
}

impl TickRecord {
    /// The value of `metric` for `by`/`group`, if recorded.
    pub fn get(&self, metric: Metric, by: By, group: u16) -> Option<f64> {
        self.observations
            .iter()
            .find(|o| o.metric == metric && o.by == by && o.group == group)
            .map(|o| o.value)
    }
}

/// How many observations a tick records (at most: some ratios may be left
/// out).
pub fn observations_per_tick(names: &GroupNames) -> usize {
    METRICS
        .iter()
        .flat_map(|m| m.by.iter())
        .map(|&by| names.count(by))
        .sum()
}

/// Names of the groups of each dimension.
#[derive(Debug, Clone)]
pub struct GroupNames {
    pub channels: Vec<String>,
    pub categories: Vec<String>,
    /// `none`, then every owner the scenario names (owner code order).
    pub owners: Vec<String>,
    /// Nests in order of their first channel.
    pub nests: Vec<String>,
    kind_channel: Vec<String>,
    origin_channel: Vec<String>,
    /// Whether the scenario sets a segment date (the social_segment and
    /// revenue_change groups exist only then).
    segments: bool,
}

impl GroupNames {
    /// The groups of a scenario, in its order.
    pub fn of(scenario: &crate::scenario::Scenario) -> GroupNames {
        GroupNames::of_spec(&scenario.spec)
    }

    pub fn of_spec(spec: &crate::scenario::ScenarioFile) -> GroupNames {
        let channels: Vec<String> = spec.channels.keys().cloned().collect();
        let mut owners = vec!["none".to_string()];
        owners.extend(spec.owner_names());
        let on = |groups: &[&str]| -> Vec<String> {
            groups
                .iter()
                .flat_map(|g| channels.iter().map(move |k| format!("{g}_on_{k}")))
                .collect()
        };
        let kinds: Vec<&str> = SellerKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut nests: Vec<String> = Vec::new();
        for c in spec.channels.values() {
            if !nests.iter().any(|n| n == c.nest_name()) {
                nests.push(c.nest_name().to_string());
            }
        }
        GroupNames {
            nests,
            kind_channel: on(&kinds),
            origin_channel: on(&ORIGINS),
            categories: spec.categories.keys().cloned().collect(),
            owners,
            channels,
            segments: spec.segments.social_before.is_some(),
        }
    }

    /// How many groups `by` has.
    pub fn count(&self, by: By) -> usize {
        match by {
            By::All => 1,
            By::Kind => 3,
            By::Origin => 2,
            By::Channel | By::DiscoveryChannel => self.channels.len(),
            By::Category => self.categories.len(),
            By::Owner => self.owners.len(),
            By::Nest => self.nests.len(),
            By::KindChannel => self.kind_channel.len(),
            By::OriginChannel => self.origin_channel.len(),
            By::SizeClass => SizeClass::ALL.len(),
            By::SocialSegment if self.segments => SOCIAL_SEGMENTS.len(),
            By::RevenueChange if self.segments => BANDS.len(),
            By::SocialSegment | By::RevenueChange => 0,
        }
    }

    pub fn name(&self, by: By, group: u16) -> &str {
        let g = group as usize;
        let pick = |names: &'_ [String]| -> Option<usize> { (g < names.len()).then_some(g) };
        match by {
            By::All => "all",
            By::Kind => SellerKind::ALL.get(g).map_or("?", |k| k.as_str()),
            By::Origin => ORIGINS.get(g).copied().unwrap_or("?"),
            By::Channel | By::DiscoveryChannel => {
                pick(&self.channels).map_or("?", |g| &self.channels[g])
            }
            By::Category => pick(&self.categories).map_or("?", |g| &self.categories[g]),
            By::Owner => pick(&self.owners).map_or("?", |g| &self.owners[g]),
            By::Nest => pick(&self.nests).map_or("?", |g| &self.nests[g]),
            By::KindChannel => pick(&self.kind_channel).map_or("?", |g| &self.kind_channel[g]),
            By::OriginChannel => {
                pick(&self.origin_channel).map_or("?", |g| &self.origin_channel[g])
            }
            By::SizeClass => SizeClass::ALL.get(g).map_or("?", |c| c.as_str()),
            By::SocialSegment => SOCIAL_SEGMENTS.get(g).copied().unwrap_or("?"),
            By::RevenueChange => BANDS.get(g).copied().unwrap_or("?"),
        }
    }
}

/// The social segments, in the order of the `social_segment` groups.
pub const SOCIAL_SEGMENTS: [&str; 2] = ["not_on_social", "sold_on_social"];

/// The origins of goods, in the order of the `origin` groups.
pub const ORIGINS: [&str; 2] = ["domestic", "imported"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_enum_matches_table() {
        assert_eq!(Metric::Adopters as usize + 1, METRICS.len());
        assert_eq!(Metric::Hhi.def().name, "hhi");
        assert_eq!(Metric::AvgPriceIdr.def().name, "avg_price_idr");
    }
}
