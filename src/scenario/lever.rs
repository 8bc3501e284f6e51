//! Policy levers (MODEL.md section 4): one variant per lever, with channels
//! and categories already resolved to indices.

/// A policy lever and its arguments. Each sets a level that lasts.
#[derive(Debug, Clone, PartialEq)]
pub enum Lever {
    /// Payments are no longer processed on `channel`.
    PaymentBan { channel: usize },
    /// Cross-border sales are no longer allowed on these channels.
    CrossBorderBan { channels: Vec<usize> },
    /// Listings of sellers bound by the cross-border rules (importers, and
    /// affiliates when `population.affiliate.cross_border`) priced under
    /// `usd × usd_idr` are not eligible.
    ImportPriceFloor { usd: f64, usd_idr: f64 },
    /// Cross-border sales are allowed only in these categories.
    PositiveList { categories: Vec<usize> },
    /// Landed cost of imported goods in these categories × (1 + rate).
    ImportTariff { rate: f64, categories: Vec<usize> },
    /// Set the owner-affiliate score bonus on `channel`.
    SelfPreference { channel: usize, bonus: f64 },
    /// The owner of `channel` places affiliates in its best categories.
    ProjectS {
        channel: usize,
        every: u32,
        top: u32,
        entrants: u32,
        cost_factor: f64,
    },
    /// Purchases discovered on `channel` complete on `partner`.
    CheckoutPartner {
        channel: usize,
        partner: usize,
        redirect_success: f64,
    },
    /// Set the commission of `channel`.
    TakeRate { channel: usize, rate: f64 },
    /// Set the UMKM onboarding rate.
    Digitalization { rate: f64 },
    /// Cash transfer to every alive UMKM, per tick.
    UmkmSubsidy { idr_per_tick: f64 },
}

/// Every lever name, with the arguments it takes (besides `date`/`tick`)
/// and those it requires.
pub const LEVERS: &[(&str, &[&str], &[&str])] = &[
    ("payment_ban", &["channel"], &["channel"]),
    ("cross_border_ban", &["channels", "channel"], &[]),
    (
        "import_price_floor",
        &["usd", "usd_idr"],
        &["usd", "usd_idr"],
    ),
    ("positive_list", &["categories"], &[]),
    ("import_tariff", &["rate", "categories"], &["rate"]),
    (
        "self_preference",
        &["channel", "bonus"],
        &["channel", "bonus"],
    ),
    (
        "project_s",
        &["channel", "every", "top", "entrants", "cost_factor"],
        &["channel", "every", "top", "entrants", "cost_factor"],
    ),
    (
        "checkout_partner",
        &["channel", "partner", "redirect_success"],
        &["channel", "partner", "redirect_success"],
    ),
    ("take_rate", &["channel", "rate"], &["channel", "rate"]),
    ("digitalization", &["rate"], &["rate"]),
    ("umkm_subsidy", &["idr_per_tick"], &["idr_per_tick"]),
];

impl Lever {
    /// The lever's name as written in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Lever::PaymentBan { .. } => "payment_ban",
            Lever::CrossBorderBan { .. } => "cross_border_ban",
            Lever::ImportPriceFloor { .. } => "import_price_floor",
            Lever::PositiveList { .. } => "positive_list",
            Lever::ImportTariff { .. } => "import_tariff",
            Lever::SelfPreference { .. } => "self_preference",
            Lever::ProjectS { .. } => "project_s",
            Lever::CheckoutPartner { .. } => "checkout_partner",
            Lever::TakeRate { .. } => "take_rate",
            Lever::Digitalization { .. } => "digitalization",
            Lever::UmkmSubsidy { .. } => "umkm_subsidy",
        }
    }
}

/// A lever applied at the start of a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedEvent {
    pub tick: u32,
    pub lever: Lever,
    /// Index of the event in the merged `events` list (file order, parent first).
    pub index: usize,
}
