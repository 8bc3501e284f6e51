//! The languages a comparison's report and terminal summary are written
//! in: English (the default) and Bahasa Indonesia (`--lang id`), for the
//! ministry readers who brief in it.
//!
//! Every phrase is one field of [`Words`], written in both languages side
//! by side in the table below, so a phrase cannot exist in one language
//! only: the compiler refuses a field without both. Phrases with values
//! take them by position (`{0}`, `{1}`), because Indonesian puts them in
//! another order; a test checks that both languages use the same ones.
//!
//! Numbers follow the language too: Indonesian writes a decimal comma and
//! its own words for thousands, millions, billions and trillions.

use std::fmt;
use std::str::FromStr;

/// A language of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "id")]
    Id,
}

/// Every language, in the order `--lang` lists them.
pub const LANGS: [Lang; 2] = [Lang::En, Lang::Id];

impl Lang {
    /// The ISO 639-1 code (`en`, `id`), as `--lang` takes it and as the
    /// page's `lang` attribute says it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }

    /// The language's name in itself.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Id => "Bahasa Indonesia",
        }
    }

    /// Every phrase in this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Id => &ID,
        }
    }

    /// A decimal number written by `format!` ("5.45") in this language's
    /// notation ("5,45").
    pub fn decimal(self, s: &str) -> String {
        match self {
            Lang::En => s.to_string(),
            Lang::Id => s.replace('.', ","),
        }
    }

    /// The short suffix of a power of a thousand (1 = thousands ... 4 =
    /// trillions), for table cells: "k", "M", "bn", "tn"; "rb", "jt", "M",
    /// "T".
    pub fn short_suffix(self, thousands: usize) -> &'static str {
        let table: [&str; 5] = match self {
            Lang::En => ["", "k", "M", "bn", "tn"],
            Lang::Id => ["", "rb", "jt", "M", "T"],
        };
        table[thousands.min(4)]
    }

    /// The suffix of a power of a thousand in running text: "bn" in
    /// English, "miliar" in Indonesian (whose short "M" reads as million
    /// to an English eye).
    pub fn word_suffix(self, thousands: usize) -> &'static str {
        let table: [&str; 5] = match self {
            Lang::En => ["", "k", "M", "bn", "tn"],
            Lang::Id => ["", "ribu", "juta", "miliar", "triliun"],
        };
        table[thousands.min(4)]
    }

    /// A power of a thousand as a plural noun, for axis labels:
    /// "billions", "miliar".
    pub fn magnitude_noun(self, thousands: usize) -> &'static str {
        let table: [&str; 5] = match self {
            Lang::En => ["", "thousands", "millions", "billions", "trillions"],
            Lang::Id => ["", "ribu", "juta", "miliar", "triliun"],
        };
        table[thousands.min(4)]
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code pasar does not write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "`{given}` is not a language pasar writes reports in: use en (English) or id (Bahasa Indonesia)"
)]
pub struct UnknownLang {
    pub given: String,
}

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        let code = s.trim().to_ascii_lowercase();
        LANGS
            .into_iter()
            .find(|l| l.code() == code || (code == "in" && *l == Lang::Id))
            .ok_or(UnknownLang { given: s.into() })
    }
}

/// Fill a phrase's `{0}`, `{1}` ... with `args`, in whatever order the
/// phrase uses them.
pub fn fill(phrase: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(phrase.len() + 16 * args.len());
    let mut rest = phrase;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let index = after
            .find('}')
            .and_then(|close| Some((after[..close].parse::<usize>().ok()?, close)));
        match index {
            Some((i, close)) if i < args.len() => {
                out.push_str(args[i]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Declares [`Words`] and its two instances from one table of
/// `name: "English" => "Indonesian";` rows.
macro_rules! phrases {
    ($($(#[$doc:meta])* $name:ident : $en:expr => $id:expr;)*) => {
        /// Every phrase of the report and the terminal summary.
        #[derive(Debug)]
        pub struct Words {
            $($(#[$doc])* pub $name: &'static str,)*
        }

        const EN: Words = Words { $($name: $en,)* };
        const ID: Words = Words { $($name: $id,)* };

        /// (field, English, Indonesian) of every phrase, for tests.
        pub const PHRASES: &[(&str, &str, &str)] = &[$((stringify!($name), $en, $id),)*];
    };
}

phrases! {
    // The page's frame.
    page_title: "pasar: {0} compared with {1}" => "pasar: {0} dibandingkan dengan {1}";
    heading: "{0} compared with {1}" => "{0} dibandingkan dengan {1}";
    /// {0} version, {1} first date, {2} last date, {3} ticks, {4} days per
    /// tick, {5} replicates, {6} how the count was decided.
    lede: "Simulated with pasar {0} from {1} to {2} ({3} ticks of {4} days), {5} paired replicates with common random \
           numbers: replicate <i>r</i> of every scenario draws the same consumers, sellers and shocks, so each \
           difference is the policy's, not the noise's. Intervals are 95% Student-t intervals of the mean paired \
           difference. {6}"
        => "Disimulasikan dengan pasar {0} dari {1} sampai {2} ({3} periode masing-masing {4} hari), {5} replikasi \
           berpasangan dengan bilangan acak bersama: replikasi ke-<i>r</i> setiap skenario menarik konsumen, penjual \
           dan guncangan yang sama, sehingga setiap selisih berasal dari kebijakan, bukan dari derau acak. Interval \
           adalah interval Student-t 95% dari rata-rata selisih berpasangan. {6}";
    // Section headings.
    key_findings: "Key findings" => "Temuan utama";
    caveats: "Before quoting these numbers" => "Sebelum mengutip angka-angka ini";
    changes: "What each scenario changes" => "Apa yang diubah setiap skenario";
    headline: "Headline effects" => "Dampak utama";
    charts: "Charts" => "Grafik";
    reproducibility: "Reproducibility" => "Reproduksibilitas";
    side_by_side: "Policies side by side" => "Kebijakan berdampingan";
    /// {0} the segment date.
    segments: "UMKM that sold on social commerce before {0}" => "UMKM yang berjualan di social commerce sebelum {0}";
    // Key findings.
    /// {0} the policy.
    findings_of: "{0}, last 13 weeks" => "{0}, 13 minggu terakhir";
    no_finding: "No headline series differs from the baseline." => "Tidak ada seri utama yang berbeda dari baseline.";
    // Caveats.
    /// {0} replicates.
    caveat_replicates: "<b>Replicates.</b> {0} paired replicates. The 95% intervals hold the simulation's own randomness \
                        only: not the uncertainty of the fitted parameters, nor the model's error against the world \
                        (docs/CALIBRATION.md reports how far the baseline sits from the data)."
        => "<b>Replikasi.</b> {0} replikasi berpasangan. Interval 95% hanya memuat keacakan simulasi itu sendiri: bukan \
            ketidakpastian parameter hasil kalibrasi, bukan pula galat model terhadap kenyataan (docs/CALIBRATION.md \
            melaporkan seberapa jauh baseline dari data).";
    /// {0} replicates needed.
    settle_with: "about {0} replicates would settle it" => "sekitar {0} replikasi akan memastikannya";
    settle_never: "the difference is too near zero for any practical number of replicates to settle: read it as no \
                   effect of consequence"
        => "selisihnya terlalu dekat dengan nol untuk dipastikan dengan jumlah replikasi yang wajar: bacalah sebagai \
            tidak ada dampak yang berarti";
    /// {0} the command with its precision flag.
    settle_command: " To settle them, run again with a precision target, for example <code>{0}</code>."
        => " Untuk memastikannya, jalankan ulang dengan target presisi, misalnya <code>{0}</code>.";
    /// {0} replicates, {1} the list.
    caveat_unsettled: "<b>Not settled by {0} replicates:</b> {1}." => "<b>Belum pasti dengan {0} replikasi:</b> {1}.";
    /// {0} the series.
    caveat_constant: "<b>Does not vary in this model:</b> {0} (the same in both scenarios and every replicate; no \
                      effect can show there)."
        => "<b>Tidak bervariasi dalam model ini:</b> {0} (sama di kedua skenario dan di setiap replikasi; tidak ada \
            dampak yang dapat terlihat di sana).";
    /// {0} the baseline's weekly GMV, {1} BI's, {2} the tolerance, {3} the
    /// percentage.
    caveat_rupiah: "The baseline's online GMV in 2022 is Rp {0} a week; Bank Indonesia's e-commerce value was Rp {1} a \
                    week (Rp 476.3 tn in the year, S23; the fit's tolerance Rp {2}): rupiah here are {3}% of national \
                    levels. Read them as relative changes, not as national amounts."
        => "GMV daring baseline pada 2022 adalah Rp {0} per minggu; nilai transaksi e-commerce menurut Bank Indonesia \
            Rp {1} per minggu (Rp 476,3 triliun setahun, S23; toleransi kalibrasi Rp {2}): rupiah di sini {3}% dari \
            tingkat nasional. Bacalah sebagai perubahan relatif, bukan sebagai nilai nasional.";
    /// {0} the baseline's weekly GMV, {1} BI's, {2} the tolerance, {3} the
    /// percentage.
    caveat_rupiah_matches: "The baseline's online GMV in 2022 is Rp {0} a week; Bank Indonesia's e-commerce value was \
                            Rp {1} a week (Rp 476.3 tn in the year, S23; the fit's tolerance Rp {2}): rupiah here are \
                            {3}% of national levels, within that tolerance, and so are counts of purchases against \
                            BI's 3.49 bn transactions (manifest.json, scale_benchmark). Amounts can be quoted as \
                            national, with the fit's tolerance beside them."
        => "GMV daring baseline pada 2022 adalah Rp {0} per minggu; nilai transaksi e-commerce menurut Bank Indonesia \
            Rp {1} per minggu (Rp 476,3 triliun setahun, S23; toleransi kalibrasi Rp {2}): rupiah di sini {3}% dari \
            tingkat nasional, masih dalam toleransi itu, demikian pula jumlah pembelian terhadap 3,49 miliar transaksi \
            BI (manifest.json, scale_benchmark). Nilai dapat dikutip sebagai angka nasional, dengan toleransi kalibrasi \
            di sampingnya.";
    /// {0} BI's weekly GMV.
    caveat_rupiah_no_2022: "This run does not cover 2022, the year of the benchmark that fixes pasar's rupiah level (Bank \
                            Indonesia's e-commerce value, Rp {0} a week, S23); docs/CALIBRATION.md gives the baseline's \
                            level against it."
        => "Simulasi ini tidak mencakup 2022, tahun tolok ukur yang menetapkan tingkat rupiah pasar (nilai transaksi \
            e-commerce Bank Indonesia, Rp {0} per minggu, S23); docs/CALIBRATION.md memberikan tingkat baseline \
            terhadapnya.";
    rupiah_levels: "Rupiah levels." => "Tingkat rupiah.";
    caveat_events_all: "<b>Events.</b> Every event the scenario files define falls inside the run."
        => "<b>Peristiwa.</b> Semua peristiwa yang ditetapkan berkas skenario berada di dalam rentang simulasi.";
    /// {0} the scenario, {1} the events.
    caveat_events_dropped: "<b>Events left out of {0}</b> by its horizon, never applied: {1}."
        => "<b>Peristiwa yang tidak masuk ke {0}</b> karena rentang waktunya, tidak pernah diterapkan: {1}.";
    // Events and changes.
    events_applied: "Every event applied, scenario by scenario" => "Semua peristiwa yang diterapkan, per skenario";
    /// {0} the count.
    applied_count: "{0} applied" => "{0} diterapkan";
    /// {0} the count.
    left_out_count: ", {0} left out by the horizon" => ", {0} tidak masuk karena rentang waktu";
    /// {0} the event.
    left_out: "left out: {0}" => "tidak masuk: {0}";
    /// {0} the event's tick.
    at_tick: "tick {0}" => "periode {0}";
    /// {0} the event's key, {1} lever and channel, {2} when, {3} why.
    dropped_line: "{0} ({1} at {2}) {3}" => "{0} ({1} pada {2}) {3}";
    after_end: "starts after the run ends" => "dimulai setelah simulasi berakhir";
    before_start: "ended before the run starts" => "berakhir sebelum simulasi dimulai";
    no_window: "has no window inside the run" => "tidak punya rentang di dalam simulasi";
    /// {0} the file.
    from_file: "from {0}" => "dari {0}";
    same_as_baseline: "Nothing: the scenario is the baseline under another name."
        => "Tidak ada: skenario ini adalah baseline dengan nama lain.";
    /// {0} the event.
    adds_event: "adds the event <b>{0}</b>" => "menambahkan peristiwa <b>{0}</b>";
    /// {0} the event.
    removes_event: "removes the baseline's event {0}" => "menghapus peristiwa baseline {0}";
    parameter: "parameter" => "parameter";
    this_scenario: "this scenario" => "skenario ini";
    not_set: "(not set)" => "(tidak diatur)";
    // Tables.
    metric: "metric" => "metrik";
    unit: "unit" => "satuan";
    baseline: "baseline" => "baseline";
    policy: "policy" => "kebijakan";
    difference: "difference" => "selisih";
    interval95: "95% interval" => "interval 95%";
    relative: "relative" => "relatif";
    verdict: "verdict" => "kesimpulan";
    highest: "highest" => "tertinggi";
    past_horizon: "past the horizon" => "di luar rentang waktu";
    /// {0} the policy, {1} first date, {2} last date.
    last13_table: "{0}: mean over the last 13 weeks ({1} to {2})" => "{0}: rata-rata 13 minggu terakhir ({1} sampai {2})";
    /// {0} the policy, {1} the event, {2} its date.
    after_event_table: "{0}: after {1} on {2}</b>, 4, 13 and 52 weeks on"
        => "{0}: setelah {1} pada {2}</b>, 4, 13 dan 52 minggu kemudian";
    /// {0} weeks.
    weeks_after: "{0} weeks after" => "{0} minggu setelahnya";
    /// {0} the narrowing factor.
    crn_narrowing: "Common random numbers made these intervals {0} times narrower than independent runs would (median \
                    over the headline effects)."
        => "Bilangan acak bersama membuat interval ini {0} kali lebih sempit daripada simulasi independen (median atas \
            dampak utama).";
    // Segments.
    /// {0} weeks, {1} the date, {2} the closing date.
    segments_lede: "The UMKM that made a sale on a social channel in the {0} weeks before {1}, by the change of their \
                    weekly revenue from those weeks to the {0} weeks from {1} (counted on {2}). Sellers that closed \
                    after {1} are counted as <i>exited</i>. The bands of falling revenue are those of the survey of \
                    sellers after TikTok Shop's closure in October 2023 (S93 in docs/SOURCES.md). Counts are real \
                    sellers, means over replicates; the interval is that of the paired difference."
        => "UMKM yang melakukan penjualan di kanal sosial dalam {0} minggu sebelum {1}, menurut perubahan pendapatan \
            mingguannya dari minggu-minggu tersebut ke {0} minggu sejak {1} (dihitung pada {2}). Penjual yang tutup \
            setelah {1} dihitung sebagai <i>keluar</i>. Kelompok penurunan pendapatan mengikuti survei penjual setelah \
            TikTok Shop ditutup pada Oktober 2023 (S93 di docs/SOURCES.md). Jumlah adalah penjual riil, rata-rata atas \
            replikasi; intervalnya adalah interval selisih berpasangan.";
    revenue_change: "revenue change" => "perubahan pendapatan";
    baseline_sellers: "baseline sellers" => "penjual baseline";
    policy_sellers: "policy sellers" => "penjual kebijakan";
    share: "share" => "pangsa";
    not_available: "n/a" => "t.a.";
    /// {0} low, {1} high.
    from_to_range: "{0} to {1}" => "{0} sampai {1}";
    /// {0} the date, {1} the share, {2} the policy, {3} the baseline's share.
    segments_lower: "Of the sellers still open on {0}, {1} had lower revenue under {2} ({3} in the baseline)."
        => "Dari penjual yang masih buka pada {0}, {1} berpendapatan lebih rendah di bawah {2} ({3} pada baseline).";
    band_exited: "closed since the date" => "tutup sejak tanggal itu";
    band_down_over_75: "down more than 75%" => "turun lebih dari 75%";
    band_down_50_75: "down 50 to 75%" => "turun 50 sampai 75%";
    band_down_25_50: "down 25 to 50%" => "turun 25 sampai 50%";
    band_down_under_25: "down less than 25%" => "turun kurang dari 25%";
    band_up_under_50: "unchanged or up less than 50%" => "tetap atau naik kurang dari 50%";
    band_up_over_50: "up 50% or more" => "naik 50% atau lebih";
    // Charts.
    charts_lede: "Each scenario's mean with its shaded 95% band (clipped to what the metric can take), then each \
                  policy's difference from the baseline with its band. Dashed lines mark every event: grey the \
                  baseline's own (in every scenario), coloured each policy's. The same charts are in \
                  <code>charts/</code> as SVG and PNG."
        => "Rata-rata setiap skenario dengan pita 95% yang diarsir (dipotong pada rentang yang mungkin bagi metriknya), \
            lalu selisih setiap kebijakan dari baseline dengan pitanya. Garis putus-putus menandai setiap peristiwa: \
            abu-abu untuk peristiwa baseline sendiri (ada di setiap skenario), berwarna untuk peristiwa setiap \
            kebijakan. Grafik yang sama ada di <code>charts/</code> dalam format SVG dan PNG.";
    /// {0} the series.
    not_charted: "Not charted, because they do not vary in this model (the same constant in every scenario, tick and \
                  replicate): {0}."
        => "Tidak digambar karena tidak bervariasi dalam model ini (konstanta yang sama di setiap skenario, periode dan \
            replikasi): {0}.";
    /// {0} the series, {1} the baseline.
    chart_difference: "{0}: difference from {1}" => "{0}: selisih dari {1}";
    chart_date: "date (start of tick)" => "tanggal (awal periode)";
    percent: "percent" => "persen";
    percentage_points: "percentage points" => "poin persentase";
    /// {0} the unit.
    difference_in: "difference, {0}" => "selisih, {0}";
    // Side by side.
    /// {0} the baseline.
    side_lede: "Each policy against {0}. <i>Highest</i> names the policy whose difference is highest, and its lead over \
                the next one with the 95% interval of that lead (paired replicates). Windows after an event are shown \
                when every policy has that event."
        => "Setiap kebijakan terhadap {0}. <i>Tertinggi</i> menyebut kebijakan dengan selisih tertinggi, serta \
            keunggulannya atas kebijakan berikutnya dengan interval 95% keunggulan itu (replikasi berpasangan). Rentang \
            setelah suatu peristiwa ditampilkan bila setiap kebijakan memiliki peristiwa itu.";
    every_series: "every headline series" => "semua seri utama";
    /// {0} the next policy.
    not_clearly: "; not clearly" => "; tidak jelas";
    /// {0} lead, {1} interval, {2} next policy, {3} "; not clearly" or "".
    lead_cell: "{0} {1} above {2}{3}" => "{0} {1} di atas {2}{3}";
    /// {0} series, {1} best policy, {2} difference, {3} interval, {4} lead.
    highest_sentence: "<b>{0}</b>: highest under <b>{1}</b> ({2} {3}){4}."
        => "<b>{0}</b>: tertinggi di bawah <b>{1}</b> ({2} {3}){4}.";
    /// {0} next policy, {1} lead, {2} interval.
    clear_lead: ", above {0} by {1} {2}" => ", di atas {0} sebesar {1} {2}";
    /// {0} next policy, {1} lead, {2} interval.
    unclear_lead: ", not clearly above {0} ({1} {2})" => ", tidak jelas di atas {0} ({1} {2})";
    /// {0} weeks, {1} the event.
    window_after: "{0} wk after {1}" => "{0} mgg setelah {1}";
    window_last_tick: "last tick" => "periode terakhir";
    window_last13: "last 13 weeks" => "13 minggu terakhir";
    // Reproducibility.
    /// {0} version, {1} time, {2} seed, {3} replicate seeds.
    made_with: "pasar {0}; generated {1}; master seed {2}; replicate seeds {3}."
        => "pasar {0}; dibuat {1}; benih utama {2}; benih replikasi {3}.";
    command: "Command:" => "Perintah:";
    scenario: "scenario" => "skenario";
    file: "file" => "berkas";
    same_numbers: "Running the same command with the same files gives the same numbers to the last bit, on any machine \
                   and thread count."
        => "Menjalankan perintah yang sama dengan berkas yang sama menghasilkan angka yang sama hingga bit terakhir, di \
            mesin apa pun dan dengan jumlah thread berapa pun.";
    // Verdicts.
    higher: "higher" => "naik";
    lower: "lower" => "turun";
    no_clear_change: "no clear change" => "tidak jelas berubah";
    does_not_vary: "does not vary in this model" => "tidak bervariasi dalam model ini";
    /// The same in a narrow table column.
    does_not_vary_short: "does not vary" => "tidak bervariasi";
    // Sentences of findings.
    week: "a week" => "per minggu";
    day: "a day" => "per hari";
    /// {0} days.
    per_n_days: "per {0}-day tick" => "per periode {0} hari";
    /// {0} points.
    amount_share: "{0} percentage points" => "{0} poin persentase";
    /// {0} the number, {1} per week.
    amount_purchases: "{0} purchases {1}" => "{0} pembelian {1}";
    /// {0} the number.
    amount_sellers: "{0} sellers" => "{0} penjual";
    share_up: "higher" => "lebih tinggi";
    share_down: "lower" => "lebih rendah";
    count_up: "more" => "lebih banyak";
    count_down: "fewer" => "lebih sedikit";
    money_up: "more" => "lebih tinggi";
    money_down: "less" => "lebih rendah";
    /// {0} the low end, {1} the high end, {2} the direction.
    interval_one_side: ", 95% interval {0} to {1} {2}" => ", interval 95% {0} sampai {1} {2}";
    /// {0} low, {1} its direction, {2} high, {3} its direction.
    interval_across: ", 95% interval from {0} {1} to {2} {3}" => ", interval 95% dari {0} {1} sampai {2} {3}";
    /// {0} from, {1} to.
    from_level_to: "from {0} to {1}" => "dari {0} menjadi {1}";
    /// {0} title, {1} amount, {2} direction, {3} relative change and
    /// levels, {4} interval.
    finding_clear: "{0}: {1} {2} ({3}){4}." => "{0}: {1} {2} ({3}){4}.";
    /// {0} title, {1} levels, {2} amount, {3} direction, {4} interval.
    finding_unclear: "{0}: no clear change ({1}; the difference, {2} {3}, is within the noise{4})."
        => "{0}: tidak jelas berubah ({1}; selisihnya, {2} {3}, masih dalam derau simulasi{4}).";
    /// {0} amount, {1} direction, {2} relative, {3} interval.
    net_purchases: " Net change in all purchases: {0} {1}{2}{3}. Purchases lost can exceed what the channel sold without \
                    the policy: while it cannot take payment its sellers never sell out, so more purchases are chosen \
                    there; the net change is what the market loses."
        => " Perubahan bersih seluruh pembelian: {0} {1}{2}{3}. Pembelian yang hilang dapat melebihi penjualan kanal itu \
            tanpa kebijakan: selama kanal tidak dapat menerima pembayaran, stok penjualnya tidak pernah habis sehingga \
            lebih banyak pembelian dipilih di sana; perubahan bersih itulah yang hilang dari pasar.";
    // Parts of the headline table.
    part_platforms: "Platforms, owners and offline" => "Platform, pemilik dan luring";
    part_sellers: "Sellers and imports" => "Penjual dan impor";
    part_consumers: "Consumers" => "Konsumen";
    part_cross: "Who sells on each platform" => "Siapa berjualan di setiap platform";
    // Series titles.
    m_gmv: "GMV" => "GMV";
    m_gmv_share: "GMV share" => "Pangsa GMV";
    m_import_penetration: "Import penetration" => "Penetrasi impor";
    m_sellers_alive: "Sellers alive" => "Penjual aktif";
    m_umkm_revenue: "UMKM revenue" => "Pendapatan UMKM";
    m_umkm_profit: "UMKM profit" => "Laba UMKM";
    m_umkm_subsidy: "UMKM subsidy" => "Subsidi UMKM";
    m_purchases_lost: "Purchases lost" => "Pembelian yang hilang";
    m_purchases: "Purchases" => "Pembelian";
    m_consumer_surplus: "Consumer surplus" => "Surplus konsumen";
    m_commissions: "Commissions" => "Komisi";
    m_redirected: "Purchases chosen again" => "Pembelian yang dipilih ulang";
    m_hhi: "HHI" => "HHI";
    m_exits: "Exits" => "Penjual yang tutup";
    m_by_revenue_change: "Sellers by revenue change" => "Penjual menurut perubahan pendapatan";
    /// {0} metric, {1} seller kind or origin, {2} channel.
    on_channel: "{0}, {1} on {2}" => "{0}, {1} di {2}";
    /// {0} metric, {1} channel.
    found_on: "{0}, found on {1}" => "{0}, ditemukan di {1}";
    /// {0} metric, {1} class.
    size_class: "{0}, {1} enterprises" => "{0}, usaha {1}";
    micro: "micro" => "mikro";
    small: "small" => "kecil";
    medium: "medium" => "menengah";
    /// {0} metric.
    sold_on_social: "{0}, UMKM that sold on social" => "{0}, UMKM yang berjualan di kanal sosial";
    /// {0} metric.
    not_on_social: "{0}, UMKM that did not sell on social" => "{0}, UMKM yang tidak berjualan di kanal sosial";
    /// {0} metric, {1} grouping, {2} group.
    by_group: "{0}, {1} {2}" => "{0}, {1} {2}";
    by_kind: "kind" => "jenis";
    by_origin: "origin" => "asal";
    by_channel: "channel" => "kanal";
    by_category: "category" => "kategori";
    by_owner: "owner" => "pemilik";
    by_nest: "nest" => "sarang";
    domestic: "domestic" => "domestik";
    imported: "imported" => "impor";
    importer: "importer" => "importir";
    affiliate: "affiliate" => "afiliasi platform";
    umkm: "umkm" => "UMKM";
    // Units.
    u_idr_per_tick: "IDR per tick" => "Rp per periode";
    u_idr_per_unit: "IDR per unit" => "Rp per unit";
    u_index: "index (0-1)" => "indeks (0-1)";
    u_attempts: "real attempts per tick" => "percobaan riil per periode";
    u_decisions: "real decisions per tick" => "keputusan riil per periode";
    u_purchases: "real purchases per tick" => "pembelian riil per periode";
    u_sellers_or_listings: "real sellers (by kind) or listings (by channel)"
        => "penjual riil (per jenis) atau daftar jualan (per kanal)";
    u_sellers: "real sellers" => "penjual riil";
    u_share: "share (0-1)" => "pangsa (0-1)";
    // The terminal.
    /// {0} policy, {1} baseline.
    versus: "{0} vs {1}" => "{0} vs {1}";
    /// {0} first date, {1} last date, {2} replicates.
    terminal_window: "mean over the last 13 weeks ({0} to {1}), {2} paired replicates"
        => "rata-rata 13 minggu terakhir ({0} sampai {1}), {2} replikasi berpasangan";
    difference_ci: "difference [95% CI]" => "selisih [IK 95%]";
    /// {0} policy.
    terminal_findings: "key findings, {0} (last 13 weeks):" => "temuan utama, {0} (13 minggu terakhir):";
    /// {0} scenario, {1} count.
    terminal_dropped: "{0}: {1} events dropped by the horizon, never applied:"
        => "{0}: {1} peristiwa tidak masuk karena rentang waktu, tidak pernah diterapkan:";
    /// {0} factor.
    terminal_crn: "common random numbers made the headline intervals {0}x narrower than independent runs (median)"
        => "bilangan acak bersama membuat interval dampak utama {0} kali lebih sempit daripada simulasi independen \
            (median)";
    /// {0} folder, {1} seconds.
    terminal_results: "results in {0}/ (report.html, summary.csv, summary.xlsx, effects.csv, columns.csv, charts/) in {1} s"
        => "hasil di {0}/ (report.html, summary.csv, summary.xlsx, effects.csv, columns.csv, charts/) dalam {1} detik";
    // How the replicate count was decided.
    /// {0} replicates.
    decided_finished: "compared {0} paired replicates from finished runs"
        => "membandingkan {0} replikasi berpasangan dari simulasi yang sudah selesai";
    /// {0} replicates.
    decided_fixed: "{0} replicates of each scenario (--replicates, or the baseline's simulation.replicates)"
        => "{0} replikasi untuk setiap skenario (--replicates, atau simulation.replicates milik baseline)";
    /// {0} replicates, {1} rounds.
    decided_precise: "--precision: every targeted headline effect's 95% half-width is below its target after {0} \
                      replicates ({1} rounds)"
        => "--precision: setengah lebar interval 95% setiap dampak utama yang ditargetkan di bawah targetnya setelah \
            {0} replikasi ({1} putaran)";
    /// {0} replicates, {1} effects still wide.
    decided_max: "--precision: stopped at --max-replicates {0} with {1} headline effects still wider than their targets, \
                  e.g."
        => "--precision: berhenti pada --max-replicates {0} dengan {1} dampak utama yang masih lebih lebar dari \
            targetnya, misalnya";
    /// {0} metrics.
    decided_untargeted: "(no target for {0}: add --precision METRIC=X in the metric's unit to include them)"
        => "(tanpa target untuk {0}: tambahkan --precision METRIK=X dalam satuan metriknya untuk menyertakannya)";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The positions a phrase uses: {0}, {1} ...
    fn positions(p: &str) -> Vec<usize> {
        let mut out: Vec<usize> = (0..10)
            .filter(|i| p.contains(&format!("{{{i}}}")))
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn both_languages_take_the_same_values() {
        for (name, en, id) in PHRASES {
            assert_eq!(positions(en), positions(id), "phrase `{name}`");
            // And they use them without gaps: {0} .. {n-1}.
            let p = positions(en);
            assert!(
                p.iter().enumerate().all(|(i, &x)| i == x),
                "phrase `{name}` skips a position"
            );
        }
    }

    #[test]
    fn indonesian_is_written_not_copied() {
        // Phrases may coincide where the word is the same in both (GMV,
        // HHI, baseline, parameter, and patterns of values only); anything
        // longer than a couple of words must differ.
        for (name, en, id) in PHRASES {
            if en.split_whitespace().count() > 2 {
                let letters = en.chars().filter(|c| c.is_alphabetic()).count();
                if letters > 6 {
                    assert_ne!(en, id, "phrase `{name}` is not translated");
                }
            }
        }
    }

    #[test]
    fn fill_places_values_in_the_phrase_order() {
        assert_eq!(fill("{1} then {0}", &["a", "b"]), "b then a");
        assert_eq!(fill("{0} and {0}", &["x"]), "x and x");
        // Braces that are not positions stay as they are.
        assert_eq!(fill("{x} {2} {0}", &["v"]), "{x} {2} v");
    }

    #[test]
    fn codes_parse_and_others_are_refused() {
        assert_eq!("id".parse::<Lang>(), Ok(Lang::Id));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        let e = "fr".parse::<Lang>().expect_err("French is not written");
        assert!(e.to_string().contains("en (English) or id"));
    }

    #[test]
    fn indonesian_numbers_use_decimal_commas_and_own_words() {
        assert_eq!(Lang::Id.decimal("5.45"), "5,45");
        assert_eq!(Lang::Id.word_suffix(3), "miliar");
        assert_eq!(Lang::En.short_suffix(3), "bn");
    }
}
