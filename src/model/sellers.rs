//! Sellers as a struct of arrays: one vector per state variable, indexed by
//! slot. A slot freed by an exit is reused by the next entrant, so memory
//! does not grow over a long run; `id` (never reused) names the seller's
//! random streams.

use super::market::Market;
use crate::dist;
use crate::rng::Rng;
use crate::scenario::ScenarioFile;

pub use crate::scenario::SellerKind;

/// A channel bit set (bit k = channel k in file order).
pub type ChannelSet = u16;

/// A UMKM's size class (PP 7/2021: annual sales up to Rp2 bn micro, to
/// Rp15 bn small, to Rp50 bn medium); importers and affiliates are
/// counted as micro and never read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum SizeClass {
    #[default]
    Micro,
    Small,
    Medium,
}

impl SizeClass {
    pub const ALL: [SizeClass; 3] = [SizeClass::Micro, SizeClass::Small, SizeClass::Medium];

    pub fn as_str(self) -> &'static str {
        match self {
            SizeClass::Micro => "micro",
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
        }
    }
}

/// Everything needed to create one seller.
#[derive(Debug, Clone, Copy)]
pub struct NewSeller {
    pub kind: SellerKind,
    pub size_class: SizeClass,
    pub category: u16,
    pub imported: bool,
    /// Index of the platform owner + 1 for affiliates, 0 otherwise.
    pub owner: u8,
    pub unit_cost: f64,
    pub quality: f64,
    pub markup: f64,
    pub capacity: u32,
    pub cash: f64,
    pub listings: ChannelSet,
}

/// A seller's stock and sales of the tick, side by side: at national scale
/// each seller array is far larger than the cache, and a purchase then
/// touches one cache line, which the sold-out check of the consideration
/// set has just loaded, instead of one per counter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Σ listed price × units over this tick's orders, IDR (per simulated
    /// unit sold).
    pub revenue: f64,
    /// Σ take rate × listed price × units over this tick's orders, IDR.
    pub commission: f64,
    /// Stock left this tick, hundredths of a simulated unit.
    pub remaining: u32,
    /// Capacity per tick, hundredths of a simulated unit (0 for a dead
    /// slot).
    pub capacity: u32,
}

impl Tally {
    /// A tick's opening tally: `capacity` hundredths left, none sold.
    pub fn open(capacity: u32) -> Tally {
        Tally {
            revenue: 0.0,
            commission: 0.0,
            remaining: capacity,
            capacity,
        }
    }

    /// Simulated units sold this tick (read once the shopping step is
    /// over).
    pub fn units_sold(&self) -> f64 {
        f64::from(self.capacity - self.remaining) / f64::from(super::market::CENTI)
    }

    /// Whether nothing was sold this tick.
    pub fn sold_nothing(&self) -> bool {
        self.remaining == self.capacity
    }
}

/// Attributes drawn or updated in f64 are stored as f32 (rounded once, as
/// consumers' are) and read back into f64 arithmetic: the slot takes 70
/// bytes (72 with the segment bytes), 16 fewer than in f64 (docs/ODD.md, section 16). Cash, prices and
/// the tally's sums, which accumulate, stay f64.
#[derive(Debug, Clone, Default)]
pub struct Sellers {
    /// Never reused: names the seller's random streams. A run issues at
    /// most [`Sellers::MAX_IDS`] ids ([`Sellers::ids_exhausted`]).
    pub id: Vec<u32>,
    pub kind: Vec<SellerKind>,
    pub size_class: Vec<SizeClass>,
    /// Whether the seller sold on a social channel in the `window_ticks`
    /// before `segments.social_before` (false when no date is set).
    pub sold_on_social: Vec<bool>,
    pub category: Vec<u16>,
    pub imported: Vec<bool>,
    pub owner: Vec<u8>,
    /// Base unit cost m_j in IDR, before cross-border and tariff adders.
    pub unit_cost: Vec<f32>,
    pub quality: Vec<f32>,
    pub markup: Vec<f32>,
    /// Cash per real seller, IDR.
    pub cash: Vec<f64>,
    /// Exponentially weighted units sold per real seller.
    pub popularity: Vec<f32>,
    pub listings: Vec<ChannelSet>,
    pub alive: Vec<bool>,
    // State of the current tick, recomputed every tick.
    /// Price p_j this tick, IDR.
    pub price: Vec<f64>,
    /// Channels where the listing is eligible this tick.
    pub eligible: Vec<ChannelSet>,
    /// Capacity, and what a purchase updates: sales left, fees.
    pub tally: Vec<Tally>,
    /// Revenue per real seller, IDR, in the window before and the window
    /// from `segments.social_before`; empty when no date is set.
    pub window_revenue: Vec<[f32; 2]>,
    free: Vec<u32>,
    next_id: u64,
    /// Whether `window_revenue` is kept (a segment date is set).
    tracks_windows: bool,
}

impl Sellers {
    /// Ids a run may issue: a u32 each (4 bytes a slot rather than 8).
    pub const MAX_IDS: u64 = 1 << 32;

    /// Sellers that keep each one's revenue in the two segment windows
    /// when `windows` is true.
    pub fn new(windows: bool) -> Sellers {
        Sellers {
            tracks_windows: windows,
            ..Sellers::default()
        }
    }

    /// Number of slots (alive or not).
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Whether more sellers were created than ids exist: from then on, ids
    /// (and so random streams) repeat, and the run must stop (the runner
    /// checks after every tick).
    pub fn ids_exhausted(&self) -> bool {
        self.next_id > Self::MAX_IDS
    }

    /// Add a seller in the lowest free slot, or a new one.
    pub fn add(&mut self, s: NewSeller) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        let slot = match self.free.pop() {
            Some(slot) => slot as usize,
            None => {
                self.push_slot();
                self.id.len() - 1
            }
        };
        // Wraps past MAX_IDS, which ids_exhausted reports.
        self.id[slot] = id as u32;
        self.kind[slot] = s.kind;
        self.size_class[slot] = s.size_class;
        self.sold_on_social[slot] = false;
        if let Some(w) = self.window_revenue.get_mut(slot) {
            *w = [0.0; 2];
        }
        self.category[slot] = s.category;
        self.imported[slot] = s.imported;
        self.owner[slot] = s.owner;
        self.unit_cost[slot] = s.unit_cost as f32;
        self.quality[slot] = s.quality as f32;
        self.markup[slot] = s.markup as f32;
        self.cash[slot] = s.cash;
        self.popularity[slot] = 0.0;
        self.listings[slot] = s.listings;
        self.alive[slot] = true;
        self.price[slot] = 0.0;
        self.eligible[slot] = 0;
        self.tally[slot] = Tally::open(s.capacity);
        slot
    }

    /// Room for `n` slots in every vector, allocated at once (so that the
    /// vectors do not overshoot by doubling as the population is built).
    pub fn reserve(&mut self, n: usize) {
        let n = n.saturating_sub(self.len());
        self.id.reserve_exact(n);
        self.kind.reserve_exact(n);
        self.size_class.reserve_exact(n);
        self.sold_on_social.reserve_exact(n);
        if self.tracks_windows {
            self.window_revenue.reserve_exact(n);
        }
        self.category.reserve_exact(n);
        self.imported.reserve_exact(n);
        self.owner.reserve_exact(n);
        self.unit_cost.reserve_exact(n);
        self.quality.reserve_exact(n);
        self.markup.reserve_exact(n);
        self.cash.reserve_exact(n);
        self.popularity.reserve_exact(n);
        self.listings.reserve_exact(n);
        self.alive.reserve_exact(n);
        self.price.reserve_exact(n);
        self.eligible.reserve_exact(n);
        self.tally.reserve_exact(n);
    }

    /// Bytes the vectors hold (their capacity), free-slot list included.
    pub fn heap_bytes(&self) -> usize {
        use super::heap::vec_bytes as b;
        b(&self.id)
            + b(&self.kind)
            + b(&self.size_class)
            + b(&self.sold_on_social)
            + b(&self.window_revenue)
            + b(&self.category)
            + b(&self.imported)
            + b(&self.owner)
            + b(&self.unit_cost)
            + b(&self.quality)
            + b(&self.markup)
            + b(&self.cash)
            + b(&self.popularity)
            + b(&self.listings)
            + b(&self.alive)
            + b(&self.price)
            + b(&self.eligible)
            + b(&self.tally)
            + b(&self.free)
    }

    fn push_slot(&mut self) {
        self.id.push(0);
        self.kind.push(SellerKind::Umkm);
        self.size_class.push(SizeClass::Micro);
        self.sold_on_social.push(false);
        if self.tracks_windows {
            self.window_revenue.push([0.0; 2]);
        }
        self.category.push(0);
        self.imported.push(false);
        self.owner.push(0);
        self.unit_cost.push(0.0);
        self.quality.push(0.0);
        self.markup.push(0.0);
        self.cash.push(0.0);
        self.popularity.push(0.0);
        self.listings.push(0);
        self.alive.push(false);
        self.price.push(0.0);
        self.eligible.push(0);
        self.tally.push(Tally::default());
    }

    /// Mark a seller as exited and free its slot for reuse.
    pub fn remove(&mut self, slot: usize) {
        // Sales, eligibility and price of this tick stay readable until the
        // slot is reused (this tick's exits still count in this tick).
        self.alive[slot] = false;
        self.free.push(slot as u32);
    }

    /// Freed slots are reused lowest first by the next entrants (this
    /// tick's entry included), whatever order they were freed in.
    pub fn sort_free_slots(&mut self) {
        self.free.sort_unstable_by(|a, b| b.cmp(a));
    }
}

/// Whether a seller of this kind is bound by the cross-border rules
/// (docs/ODD.md section 7): importers always, affiliates when the scenario says
/// so (`population.affiliate.cross_border`), UMKM never.
pub fn bound_by_cross_border(kind: SellerKind, affiliates_bound: bool) -> bool {
    match kind {
        SellerKind::Importer => true,
        SellerKind::Affiliate => affiliates_bound,
        SellerKind::Umkm => false,
    }
}

/// How seller attributes are drawn: from the scenario's population tables.
pub struct SellerFactory<'a> {
    pub spec: &'a ScenarioFile,
    pub market: &'a Market,
}

impl SellerFactory<'_> {
    /// A category drawn by demand share.
    pub fn category(&self, rng: &mut Rng) -> u16 {
        self.market.category_at(dist::uniform(rng)) as u16
    }

    /// The size class at uniform draw `u`: medium below its share, small
    /// in the next interval, micro above.
    fn size_class(&self, u: f64) -> SizeClass {
        let p = &self.spec.population.umkm;
        if u < p.medium.share {
            SizeClass::Medium
        } else if u < p.medium.share + p.small.share {
            SizeClass::Small
        } else {
            SizeClass::Micro
        }
    }

    /// A UMKM as at the start or on entry: online with the initial online
    /// share, and then on social with the initial social share.
    pub fn new_umkm(&self, rng: &mut Rng) -> NewSeller {
        let p = &self.spec.population.umkm;
        let online = dist::bernoulli(rng, p.initial_online_share);
        let social = dist::bernoulli(rng, p.initial_social_share);
        self.umkm(rng, online, social)
    }

    fn sim_capacity(&self, real_units: f64) -> u32 {
        // Whole simulated units, rounded to the nearest (flooring would
        // take half a unit from every seller on average, and so change
        // results with the scale), at least one (docs/ODD.md section 2.6,
        // Scales); kept in hundredths, the grain of baskets.
        let centi = f64::from(super::market::CENTI);
        let most = (u32::MAX as f64 / centi).floor();
        (real_units / self.market.units_per_sale)
            .round()
            .clamp(1.0, most) as u32
            * super::market::CENTI
    }

    /// The base imported unit cost in category `c` (before scale advantage).
    fn imported_base_cost(&self, c: usize) -> f64 {
        let cat = &self.spec.categories[c];
        cat.ref_price_idr * self.spec.population.umkm.unit_cost_ratio * cat.import_cost_ratio
    }

    pub fn umkm(&self, rng: &mut Rng, online: bool, social: bool) -> NewSeller {
        let p = &self.spec.population.umkm;
        let c = self.category(rng);
        let size_class = self.size_class(dist::uniform(rng));
        let cat = &self.spec.categories[c as usize];
        let imported = dist::bernoulli(rng, cat.reseller_import_share);
        let noise = libm::exp(p.unit_cost_sd * dist::standard_normal(rng));
        let unit_cost = if imported {
            self.imported_base_cost(c as usize) * p.reseller_cost_factor * noise
        } else {
            cat.ref_price_idr * p.unit_cost_ratio * noise
        };
        let quality = p.quality_mean + p.quality_sd * dist::standard_normal(rng);
        let (capacity_median, cash_median) = match size_class {
            SizeClass::Micro => (p.capacity_median, p.initial_cash_idr),
            SizeClass::Small => (p.small.capacity_median, p.small.initial_cash_idr),
            SizeClass::Medium => (p.medium.capacity_median, p.medium.initial_cash_idr),
        };
        let capacity = dist::lognormal(rng, capacity_median, p.capacity_sd);
        let cash = dist::lognormal(rng, cash_median, p.initial_cash_sd);
        // Always drawn, online or not, so that the draws that follow do not
        // depend on this UMKM's state.
        let marketplaces = self.marketplace_subset(rng);
        let mut listings = self.market.offline;
        if online {
            listings |= marketplaces;
            if social {
                listings |= self.market.socials;
            }
        }
        // A seller that sells only on social channels (no shop, no
        // marketplace): drawn last, and only when the share is positive,
        // so that scenarios without such sellers keep their draws.
        if p.social_only_share > 0.0
            && self.market.socials != 0
            && dist::uniform(rng) < p.social_only_share
        {
            listings = self.market.socials;
        }
        NewSeller {
            kind: SellerKind::Umkm,
            size_class,
            category: c,
            imported,
            owner: 0,
            unit_cost,
            quality,
            markup: p.initial_markup,
            capacity: self.sim_capacity(capacity),
            cash,
            listings,
        }
    }

    /// The marketplaces a UMKM going online lists on: each with its
    /// `listing_share` (one uniform draw each, in file order), and at least
    /// one (the one with the largest share, the first on ties) when the
    /// draws pick none.
    pub fn marketplace_subset(&self, rng: &mut Rng) -> ChannelSet {
        let mut subset: ChannelSet = 0;
        let mut widest: Option<(f64, usize)> = None;
        for k in self.market.channels_in(self.market.marketplaces) {
            let share = self.spec.channels[k].listing_share;
            if dist::uniform(rng) < share {
                subset |= 1 << k;
            }
            if widest.is_none_or(|(w, _)| share > w) {
                widest = Some((share, k));
            }
        }
        match widest {
            Some((_, k)) if subset == 0 => 1 << k,
            _ => subset,
        }
    }

    /// An importer in a category drawn by demand, listed on `listings`.
    pub fn importer(&self, rng: &mut Rng, listings: ChannelSet) -> NewSeller {
        self.importer_in(rng, listings, None)
    }

    /// An importer of the initial population at stratum `(u, z)`: its
    /// category at demand quantile `u` and its quality `z` standard
    /// deviations from the mean, instead of drawn (docs/ODD.md section 5).
    pub fn importer_in(
        &self,
        rng: &mut Rng,
        listings: ChannelSet,
        stratum: Option<(f64, f64)>,
    ) -> NewSeller {
        let p = &self.spec.population.importer;
        let (c, z) = match stratum {
            Some((u, z)) => (self.market.category_at(u) as u16, z),
            None => (self.category(rng), f64::NAN),
        };
        let noise = libm::exp(p.unit_cost_sd * dist::standard_normal(rng));
        let z = if z.is_nan() {
            dist::standard_normal(rng)
        } else {
            z
        };
        let quality = p.quality_mean + p.quality_sd * z;
        let capacity = dist::lognormal(rng, p.capacity_median, p.capacity_sd);
        let cash = dist::lognormal(rng, p.initial_cash_idr, p.initial_cash_sd);
        NewSeller {
            kind: SellerKind::Importer,
            size_class: SizeClass::Micro,
            category: c,
            imported: true,
            owner: 0,
            unit_cost: self.imported_base_cost(c as usize) * p.scale_advantage * noise,
            quality,
            markup: p.initial_markup,
            capacity: self.sim_capacity(capacity),
            cash,
            listings,
        }
    }

    /// An affiliate of owner `owner` in category `c` with the given quality,
    /// listed on `listings` (its owner's channels now).
    pub fn affiliate(
        &self,
        rng: &mut Rng,
        owner: u8,
        c: u16,
        quality: f64,
        cost_factor: f64,
        listings: ChannelSet,
    ) -> NewSeller {
        let imp = &self.spec.population.importer;
        let noise = libm::exp(imp.unit_cost_sd * dist::standard_normal(rng));
        let capacity = dist::lognormal(rng, imp.capacity_median, imp.capacity_sd);
        let cash = dist::lognormal(rng, imp.initial_cash_idr, imp.initial_cash_sd);
        NewSeller {
            kind: SellerKind::Affiliate,
            size_class: SizeClass::Micro,
            category: c,
            imported: true,
            owner,
            unit_cost: self.imported_base_cost(c as usize)
                * imp.scale_advantage
                * cost_factor
                * noise,
            quality,
            markup: self.spec.population.affiliate.initial_markup,
            capacity: self.sim_capacity(capacity),
            cash,
            listings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_run_out_after_max_ids() {
        let new = NewSeller {
            kind: SellerKind::Umkm,
            size_class: SizeClass::Micro,
            category: 0,
            imported: false,
            owner: 0,
            unit_cost: 1.0,
            quality: 0.0,
            markup: 0.2,
            capacity: 1,
            cash: 0.0,
            listings: 1,
        };
        let mut s = Sellers {
            next_id: Sellers::MAX_IDS - 1,
            ..Sellers::default()
        };
        s.add(new);
        assert!(!s.ids_exhausted(), "the last id is still unique");
        assert_eq!(s.id[0], u32::MAX);
        s.add(new);
        assert!(s.ids_exhausted());
    }
}
