//! What happened in one tick, accumulated as it happens (simulated units:
//! counts of simulated purchases, money per simulated purchase). Scaled to
//! real units only when the tick is recorded.

#[derive(Debug, Clone, Default)]
pub struct TickFlows {
    /// Purchase attempts (Poisson draws), whether or not anything was on offer.
    pub attempts: u64,
    /// Attempts that reached the choice among listings.
    pub decisions: u64,
    pub purchases: u64,
    /// Simulated units in those purchases (orders of baskets).
    pub units: f64,
    /// Simulated consumers who have taken up each diffusing channel
    /// (`Market::adopting`), counted as the draws meet them.
    pub adopters: Vec<u64>,
    /// Purchases lost because the discovery channel did not allow payments.
    pub lost: u64,
    /// Purchases found on a channel that took no payments, completed on its
    /// checkout partner or chosen again and completed elsewhere.
    pub redirected: u64,
    /// Those purchases by the channel they completed on.
    pub redirected_tx: Vec<u64>,
    /// GMV by seller kind × transaction channel (`kind * n_channels + k`).
    pub gmv_kind_tx: Vec<f64>,
    /// GMV by origin (domestic 0, imported 1) × transaction channel.
    pub gmv_origin_tx: Vec<f64>,
    /// GMV (Σ price) by transaction channel × category.
    pub gmv_tx_category: Vec<f64>,
    /// GMV by discovery channel.
    pub gmv_discovery: Vec<f64>,
    /// Completed purchases by transaction channel.
    pub purchases_tx: Vec<u64>,
    /// Lost purchases by discovery channel.
    pub lost_discovery: Vec<u64>,
    /// Commission by transaction channel.
    pub commission: Vec<f64>,
    /// Σ consumer surplus over decisions, IDR per simulated consumer.
    pub consumer_surplus: f64,
    /// Entries and exits by seller kind and by channel (listings).
    pub entries_kind: [u64; 3],
    pub exits_kind: [u64; 3],
    pub entries_channel: Vec<u64>,
    pub exits_channel: Vec<u64>,
    /// Seller-side totals, summed in accounting (before exits free slots).
    pub gmv_kind: [f64; 3],
    /// Simulated units sold by seller kind.
    pub units_kind: [f64; 3],
    pub gmv_origin: [f64; 2],
    pub gmv_category: Vec<f64>,
    /// Σ p_j × units sold (the sellers' own prices, before commissions
    /// are added) and Σ units sold, by category: the rivals' mean price
    /// that step 6 reads.
    pub price_sales_category: Vec<f64>,
    pub sales_category: Vec<f64>,
    /// Σ over simulated sellers of (their GMV)², for the HHI.
    pub gmv_squares: f64,
    /// UMKM totals in real IDR.
    pub umkm_revenue_idr: f64,
    pub umkm_profit_idr: f64,
    pub umkm_subsidy_idr: f64,
    /// UMKM revenue and profit, real IDR, by size class and by whether the
    /// seller sold on social in the window before the segment date (0 no, 1 yes).
    pub umkm_revenue_class: [f64; 3],
    pub umkm_profit_class: [f64; 3],
    pub umkm_revenue_social: [f64; 2],
    pub umkm_profit_social: [f64; 2],
    /// UMKM exits by size class.
    pub exits_class: [u64; 3],
}

impl TickFlows {
    pub fn new(n_channels: usize, n_categories: usize) -> TickFlows {
        TickFlows {
            gmv_tx_category: vec![0.0; n_channels * n_categories],
            gmv_discovery: vec![0.0; n_channels],
            redirected_tx: vec![0; n_channels],
            gmv_kind_tx: vec![0.0; 3 * n_channels],
            gmv_origin_tx: vec![0.0; 2 * n_channels],
            purchases_tx: vec![0; n_channels],
            lost_discovery: vec![0; n_channels],
            commission: vec![0.0; n_channels],
            entries_channel: vec![0; n_channels],
            gmv_category: vec![0.0; n_categories],
            price_sales_category: vec![0.0; n_categories],
            sales_category: vec![0.0; n_categories],
            exits_channel: vec![0; n_channels],
            ..TickFlows::default()
        }
    }

    /// Zero every counter for a new tick.
    pub fn reset(&mut self) {
        *self = TickFlows::new(self.gmv_discovery.len(), self.gmv_category.len());
    }
}
