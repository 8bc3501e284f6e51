//! Diagnostic (not shipped): seller economics of one replicate, per year.
use pasar::model::Model;
use pasar::model::sellers::SellerKind;
use pasar::scenario::Scenario;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sets: Vec<String> = args[2..].to_vec();
    let sc = Scenario::load(Path::new(&args[1]), &sets).unwrap();
    let rep: u32 = std::env::var("REP")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let mut m = Model::new(&sc, rep);
    let ticks = sc.spec.simulation.ticks;
    let mut yr = [[0f64; 8]; 3];
    let mut exits = [0f64; 3];
    let (mut imp, mut onl) = ([0f64; 3], [0f64; 3]);
    for t in 0..ticks {
        let rec = m.step();
        let s = m.sellers();
        let y = (t / 52).min(2) as usize;
        let g = |by, grp| {
            rec.get(pasar::metrics::Metric::GmvIdr, by, grp)
                .unwrap_or(0.0)
        };
        let online = g(pasar::metrics::By::All, 0) - g(pasar::metrics::By::Channel, 0);
        imp[y] += g(pasar::metrics::By::Kind, 1);
        onl[y] += online;
        for o in &rec.observations {
            if o.metric == pasar::metrics::Metric::Exits
                && o.by == pasar::metrics::By::Kind
                && o.group == 0
            {
                exits[y] += o.value;
            }
        }
        if t % 13 == 12 {
            for kind in [SellerKind::Umkm, SellerKind::Importer] {
                let (mut n, mut zero, mut rev, mut prof, mut mk, mut soldout, mut cash) =
                    (0, 0, 0.0, 0.0, 0.0, 0, Vec::new());
                for j in 0..s.len() {
                    if !s.alive[j] || s.kind[j] != kind {
                        continue;
                    }
                    n += 1;
                    if s.tally[j].sales() == 0 {
                        zero += 1;
                    }
                    if s.tally[j].remaining == 0 {
                        soldout += 1;
                    }
                    rev += s.tally[j].revenue * m.market().units_per_sale;
                    prof += m.profit(j);
                    mk += s.markup[j] as f64;
                    cash.push(s.cash[j]);
                }
                cash.sort_by(|a, b| a.total_cmp(b));
                let q = |p: f64| {
                    if cash.is_empty() {
                        0.0
                    } else {
                        cash[((cash.len() - 1) as f64 * p) as usize]
                    }
                };
                println!(
                    "t={t:3} {kind:?} n={n} zero={:.2} soldout={:.2} rev/seller={:.0} margin={:.3} markup={:.3} cash q10={:.0} q50={:.0}",
                    zero as f64 / n.max(1) as f64,
                    soldout as f64 / n.max(1) as f64,
                    rev / n.max(1) as f64,
                    prof / rev.max(1.0),
                    mk / n.max(1) as f64,
                    q(0.1),
                    q(0.5)
                );
            }
        }
    }
    let _ = &mut yr;
    println!("UMKM exits per year (real): {:?}", exits);
    println!(
        "importer share of online GMV by year: {:.4} {:.4} {:.4}",
        imp[0] / onl[0],
        imp[1] / onl[1],
        imp[2] / onl[2]
    );
}
