//! Policy levers (docs/ODD.md section 11): the typed [`Lever`] the model
//! applies, and the registry [`LEVERS`] that says, for each lever, its
//! name, its arguments (which are required, what each takes) and how the
//! checked arguments build the variant.
//!
//! Adding a lever is one variant of [`Lever`], one entry in [`LEVERS`] and
//! one arm in `PolicyState::apply` (the compiler's exhaustive matches point
//! at the last); validation, `--set`, sweeps and the docs test read the
//! registry.

use super::params::{MAX_TICKS, Range};
use super::schema::ScenarioFile;

/// A policy lever and its arguments, with channels and categories resolved
/// to indices. Each sets a level that lasts.
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
    /// Purchases discovered on `channel` while it takes no payments complete
    /// on `partner` when the seller is listed there; `onboarding` is the
    /// chance per tick that a seller listed on `channel` lists on `partner`.
    CheckoutPartner {
        channel: usize,
        partner: usize,
        onboarding: f64,
    },
    /// `channel` passes to owner `owner` (a name: a channel's owner, the
    /// affiliates' owner, or a new one).
    ChangeOwner { channel: usize, owner: String },
    /// Set the commission of `channel`.
    TakeRate { channel: usize, rate: f64 },
    /// Set the UMKM onboarding rate.
    Digitalization { rate: f64 },
    /// Cash transfer to every alive UMKM, per tick.
    UmkmSubsidy { idr_per_tick: f64 },
    /// Earlier events of lever `lever` (on `channel`, when given) stop:
    /// validation sets their `until` to this event's tick, so the policy
    /// never applies this one itself.
    End {
        lever: String,
        channel: Option<usize>,
    },
}

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
            Lever::ChangeOwner { .. } => "change_owner",
            Lever::TakeRate { .. } => "take_rate",
            Lever::Digitalization { .. } => "digitalization",
            Lever::UmkmSubsidy { .. } => "umkm_subsidy",
            Lever::End { .. } => "end",
        }
    }

    /// The one channel the lever acts on, for levers with a `channel`.
    pub fn channel(&self) -> Option<usize> {
        match self {
            Lever::PaymentBan { channel }
            | Lever::SelfPreference { channel, .. }
            | Lever::ProjectS { channel, .. }
            | Lever::CheckoutPartner { channel, .. }
            | Lever::ChangeOwner { channel, .. }
            | Lever::TakeRate { channel, .. } => Some(*channel),
            Lever::End { channel, .. } => *channel,
            Lever::CrossBorderBan { .. }
            | Lever::ImportPriceFloor { .. }
            | Lever::PositiveList { .. }
            | Lever::ImportTariff { .. }
            | Lever::Digitalization { .. }
            | Lever::UmkmSubsidy { .. } => None,
        }
    }
}

/// A lever in force from the start of tick `tick` until the start of tick
/// `until` (to the end of the run when `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimedEvent {
    pub tick: u32,
    pub until: Option<u32>,
    pub lever: Lever,
    /// Index of the event in the merged `events` list (file order, parent first).
    pub index: usize,
}

/// An event the files wrote that this horizon leaves out: a parent's event
/// past the end of a child's shorter run, or one whose effect ended before
/// the child's run starts. It never acts; a run says which were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedEvent {
    /// `events[i]` in the merged files (parent first).
    pub key: String,
    pub lever: String,
    /// When it was to happen, as written (`2024-09-16`, `tick 80`).
    pub when: String,
    /// Its `channel` argument, if any.
    pub channel: Option<String>,
    pub reason: DropReason,
    /// Whether the horizon that drops it was set by overrides (`--set`),
    /// not by the files: the files' own run would apply it.
    pub by_overrides: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// It starts after the last tick.
    AfterEnd,
    /// Its `until` comes before the first tick.
    EndedBeforeStart,
    /// A segment date with no window inside the run.
    NoWindow,
}

impl DroppedEvent {
    /// The event and why it was left out, in `lang`: "events[3]
    /// (payment_ban social at 2023-10-04) starts after the run ends".
    pub fn describe_in(&self, lang: crate::lang::Lang) -> String {
        let w = lang.words();
        let why = match self.reason {
            DropReason::AfterEnd => w.after_end,
            DropReason::EndedBeforeStart => w.before_start,
            DropReason::NoWindow => w.no_window,
        };
        let what = match &self.channel {
            Some(c) => format!("{} {c}", self.lever),
            None => self.lever.clone(),
        };
        crate::lang::fill(w.dropped_line, &[&self.key, &what, &self.when, why])
    }
}

impl std::fmt::Display for DroppedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe_in(crate::lang::Lang::En))
    }
}

/// What an argument takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArgKind {
    /// One channel's name.
    Channel,
    /// A list of channel names.
    Channels,
    /// A list of category names.
    Categories,
    /// A name (an owner's, say).
    Name,
    /// A number in a range.
    Number(Range),
    /// A whole number in a range.
    Whole(Range),
}

impl ArgKind {
    /// What a valid value looks like, for messages.
    pub fn describe(self) -> String {
        match self {
            ArgKind::Channel => "a channel's name in quotes".into(),
            ArgKind::Channels => "a list of channel names, e.g. [\"marketplace\"]".into(),
            ArgKind::Categories => "a list of category names, e.g. [\"fashion\"]".into(),
            ArgKind::Name => "a name in quotes".into(),
            ArgKind::Number(r) | ArgKind::Whole(r) => r.to_string(),
        }
    }

    /// Whether a sweep can vary it, and whether it takes whole numbers.
    pub fn numeric(self) -> Option<bool> {
        match self {
            ArgKind::Number(_) => Some(false),
            ArgKind::Whole(_) => Some(true),
            _ => None,
        }
    }
}

/// One argument of a lever.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgKind,
    pub required: bool,
    pub meaning: &'static str,
}

/// A lever in the registry.
pub struct LeverDef {
    pub name: &'static str,
    pub meaning: &'static str,
    pub args: &'static [Arg],
    /// The variant, from arguments already checked against `args` (every
    /// required one present, every value of its kind); an error for rules
    /// that involve the scenario or several arguments.
    pub build: fn(&Args) -> Result<Lever, ArgProblem>,
}

impl LeverDef {
    pub fn arg(&self, name: &str) -> Option<&'static Arg> {
        self.args.iter().find(|a| a.name == name)
    }

    pub fn arg_names(&self) -> Vec<&'static str> {
        self.args.iter().map(|a| a.name).collect()
    }
}

/// A rule a lever's arguments break: which argument, what, and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgProblem {
    pub arg: String,
    pub message: String,
    pub help: String,
}

/// A checked argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Channel(usize),
    Name(String),
    Channels(Vec<usize>),
    Categories(Vec<usize>),
    Number(f64),
    Whole(i64),
}

/// The checked arguments of one event, and the scenario they refer to.
pub struct Args<'a> {
    pub values: Vec<(&'static str, ArgValue)>,
    pub file: &'a ScenarioFile,
}

impl Args<'_> {
    fn get(&self, name: &str) -> Option<&ArgValue> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A channel argument (0 when absent: only read for required ones).
    pub fn channel(&self, name: &str) -> usize {
        match self.get(name) {
            Some(ArgValue::Channel(k)) => *k,
            _ => 0,
        }
    }

    /// An optional channel argument.
    pub fn optional_channel(&self, name: &str) -> Option<usize> {
        match self.get(name) {
            Some(ArgValue::Channel(k)) => Some(*k),
            _ => None,
        }
    }

    /// A name argument (empty when absent: only read for required ones).
    pub fn name(&self, name: &str) -> String {
        match self.get(name) {
            Some(ArgValue::Name(s)) => s.clone(),
            _ => String::new(),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn channels(&self, name: &str) -> Option<Vec<usize>> {
        match self.get(name) {
            Some(ArgValue::Channels(list)) => Some(list.clone()),
            _ => None,
        }
    }

    pub fn categories(&self, name: &str) -> Option<Vec<usize>> {
        match self.get(name) {
            Some(ArgValue::Categories(list)) => Some(list.clone()),
            _ => None,
        }
    }

    /// A number argument (0 when absent: only read for required ones).
    pub fn number(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(ArgValue::Number(x)) => *x,
            _ => 0.0,
        }
    }

    /// A whole-number argument (0 when absent: only read for required ones).
    pub fn whole(&self, name: &str) -> u32 {
        match self.get(name) {
            Some(ArgValue::Whole(x)) => u32::try_from(*x).unwrap_or(u32::MAX),
            _ => 0,
        }
    }
}

const fn arg(name: &'static str, kind: ArgKind, meaning: &'static str) -> Arg {
    Arg {
        name,
        kind,
        required: true,
        meaning,
    }
}

const fn optional(name: &'static str, kind: ArgKind, meaning: &'static str) -> Arg {
    Arg {
        name,
        kind,
        required: false,
        meaning,
    }
}

use ArgKind::*;

/// Every lever: name, arguments, and how they build the [`Lever`].
pub const LEVERS: &[LeverDef] = &[
    LeverDef {
        name: "payment_ban",
        meaning: "payments are no longer processed on the channel",
        args: &[arg(
            "channel",
            Channel,
            "the channel that may not process payments",
        )],
        build: |a| {
            Ok(Lever::PaymentBan {
                channel: a.channel("channel"),
            })
        },
    },
    LeverDef {
        name: "cross_border_ban",
        meaning: "cross-border sales stop on the channels (every channel when none is named)",
        args: &[
            optional(
                "channels",
                Channels,
                "the channels closed to cross-border sales",
            ),
            optional(
                "channel",
                Channel,
                "one more channel closed to cross-border sales",
            ),
        ],
        build: |a| {
            let named = a.has("channels") || a.has("channel");
            let channels = if named {
                let mut list = a.channels("channels").unwrap_or_default();
                if a.has("channel") {
                    list.push(a.channel("channel"));
                }
                list
            } else {
                (0..a.file.channels.len()).collect()
            };
            Ok(Lever::CrossBorderBan { channels })
        },
    },
    LeverDef {
        name: "import_price_floor",
        meaning: "listings bound by the cross-border rules whose goods (FOB, without shipping and duty) are priced under the floor are not eligible",
        args: &[
            arg(
                "usd",
                Number(Range::NonNegative),
                "the floor in US$ per unit",
            ),
            arg("usd_idr", Number(Range::Positive), "IDR per US$"),
        ],
        build: |a| {
            Ok(Lever::ImportPriceFloor {
                usd: a.number("usd"),
                usd_idr: a.number("usd_idr"),
            })
        },
    },
    LeverDef {
        name: "positive_list",
        meaning: "categories exempt from the import price floor (by default those flagged positive_list)",
        args: &[optional(
            "categories",
            Categories,
            "the categories whose cross-border sales the floor does not bind",
        )],
        build: |a| {
            let categories = a.categories("categories").unwrap_or_else(|| {
                a.file
                    .categories
                    .values()
                    .enumerate()
                    .filter(|(_, c)| c.positive_list)
                    .map(|(i, _)| i)
                    .collect()
            });
            Ok(Lever::PositiveList { categories })
        },
    },
    LeverDef {
        name: "import_tariff",
        meaning: "a tariff on the landed cost of imported goods (in every category unless listed)",
        args: &[
            arg(
                "rate",
                Number(Range::Closed(0.0, 100.0)),
                "the tariff as a share of landed cost",
            ),
            optional("categories", Categories, "the categories taxed"),
        ],
        build: |a| {
            Ok(Lever::ImportTariff {
                rate: a.number("rate"),
                categories: a
                    .categories("categories")
                    .unwrap_or_else(|| (0..a.file.categories.len()).collect()),
            })
        },
    },
    LeverDef {
        name: "self_preference",
        meaning: "the channel's ranking favours its owner's affiliates by a score bonus",
        args: &[
            arg("channel", Channel, "the ranking channel"),
            arg(
                "bonus",
                Number(Range::Closed(-100.0, 100.0)),
                "the score bonus; 0 bans self-preferencing",
            ),
        ],
        build: |a| {
            Ok(Lever::SelfPreference {
                channel: a.channel("channel"),
                bonus: a.number("bonus"),
            })
        },
    },
    LeverDef {
        name: "project_s",
        meaning: "the channel's owner places affiliates in its best-selling categories",
        args: &[
            arg("channel", Channel, "the owned channel whose sales are read"),
            arg(
                "every",
                Whole(Range::Integer(1, MAX_TICKS)),
                "ticks between entry rounds",
            ),
            arg(
                "top",
                Whole(Range::Integer(1, 10_000)),
                "categories entered each round",
            ),
            arg(
                "entrants",
                Whole(Range::Integer(1, 100_000)),
                "simulated affiliates placed per category (each stands for seller_scale real ones)",
            ),
            arg(
                "cost_factor",
                Number(Range::Closed(0.001, 100.0)),
                "affiliate cost over imported cost",
            ),
        ],
        build: |a| {
            let channel = a.channel("channel");
            // An owner from the file, or one an acquisition gives it.
            let acquired = |name: &str| {
                a.file.events.iter().any(|e| {
                    e.lever == "change_owner"
                        && e.arg("channel").and_then(|c| c.as_str()) == Some(name)
                })
            };
            if let Some((name, c)) = a.file.channels.get_index(channel)
                && c.owner.is_empty()
                && !acquired(name)
            {
                return Err(ArgProblem {
                    arg: "channel".into(),
                    message: format!(
                        "channel `{name}` has no owner, so it has no affiliates to place"
                    ),
                    help: format!(
                        "set channels.{name}.owner, give it one with a change_owner event, or name an owned channel"
                    ),
                });
            }
            Ok(Lever::ProjectS {
                channel,
                every: a.whole("every"),
                top: a.whole("top"),
                entrants: a.whole("entrants"),
                cost_factor: a.number("cost_factor"),
            })
        },
    },
    LeverDef {
        name: "checkout_partner",
        meaning: "purchases discovered on the channel while it takes no payments complete on the partner when the seller is listed there",
        args: &[
            arg(
                "channel",
                Channel,
                "the channel whose purchases are completed elsewhere",
            ),
            arg("partner", Channel, "the channel that completes them"),
            optional(
                "onboarding",
                Number(Range::Unit),
                "chance per tick that a seller listed on the channel but not on the partner lists on the partner",
            ),
        ],
        build: |a| {
            let (channel, partner) = (a.channel("channel"), a.channel("partner"));
            if channel == partner {
                return Err(ArgProblem {
                    arg: "partner".into(),
                    message: "a channel cannot be its own checkout partner".into(),
                    help: "name another channel, e.g. a marketplace".into(),
                });
            }
            Ok(Lever::CheckoutPartner {
                channel,
                partner,
                onboarding: a.number("onboarding"),
            })
        },
    },
    LeverDef {
        name: "change_owner",
        meaning: "the channel passes to another owner (an acquisition): its self-preferencing and Project S act for the new owner, whose affiliates list there",
        args: &[
            arg("channel", Channel, "the channel acquired"),
            arg(
                "owner",
                Name,
                "the new owner's name, as in channels' `owner`",
            ),
        ],
        build: |a| {
            let owner = a.name("owner");
            if owner.is_empty() {
                return Err(ArgProblem {
                    arg: "owner".into(),
                    message: "the new owner has no name".into(),
                    help: "name the owner, e.g. owner = \"bytedance\"".into(),
                });
            }
            Ok(Lever::ChangeOwner {
                channel: a.channel("channel"),
                owner,
            })
        },
    },
    LeverDef {
        name: "take_rate",
        meaning: "the channel's commission changes",
        args: &[
            arg("channel", Channel, "the channel"),
            arg(
                "rate",
                Number(Range::Unit),
                "the commission as a share of revenue",
            ),
        ],
        build: |a| {
            Ok(Lever::TakeRate {
                channel: a.channel("channel"),
                rate: a.number("rate"),
            })
        },
    },
    LeverDef {
        name: "digitalization",
        meaning: "the UMKM onboarding rate changes",
        args: &[arg(
            "rate",
            Number(Range::Unit),
            "the chance per tick that an offline-only UMKM goes online",
        )],
        build: |a| {
            Ok(Lever::Digitalization {
                rate: a.number("rate"),
            })
        },
    },
    LeverDef {
        name: "umkm_subsidy",
        meaning: "a cash transfer to every alive UMKM, per tick",
        args: &[arg(
            "idr_per_tick",
            Number(Range::Closed(0.0, 1e15)),
            "IDR per real UMKM per tick",
        )],
        build: |a| {
            Ok(Lever::UmkmSubsidy {
                idr_per_tick: a.number("idr_per_tick"),
            })
        },
    },
    LeverDef {
        name: "end",
        meaning: "earlier events of a lever stop (a ban lifted, a subsidy that ends), as if each had an `until` at this date",
        args: &[
            arg(
                "ends",
                Name,
                "the lever whose events stop, e.g. \"payment_ban\"",
            ),
            optional(
                "channel",
                Channel,
                "only the events of that lever on this channel",
            ),
        ],
        build: |a| {
            let lever = a.name("ends");
            let Some(def) = lever_def(&lever).filter(|d| d.name != "end") else {
                let names: Vec<&str> = LEVERS
                    .iter()
                    .map(|l| l.name)
                    .filter(|n| *n != "end")
                    .collect();
                let help = match super::error::did_you_mean(&lever, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? levers: {}", names.join(", ")),
                    None => format!("levers: {}", names.join(", ")),
                };
                return Err(ArgProblem {
                    arg: "ends".into(),
                    message: format!("there is no lever named `{lever}` to end"),
                    help,
                });
            };
            let channel = a.optional_channel("channel");
            if channel.is_some() && def.arg("channel").is_none() {
                return Err(ArgProblem {
                    arg: "channel".into(),
                    message: format!("{} acts on no single channel", def.name),
                    help: format!("leave `channel` out to end every {} event", def.name),
                });
            }
            Ok(Lever::End { lever, channel })
        },
    },
];

/// The registry entry of lever `name`.
pub fn lever_def(name: &str) -> Option<&'static LeverDef> {
    LEVERS.iter().find(|l| l.name == name)
}

/// Whether an event argument of this name is a number (a sweep may vary
/// it), and whether it takes whole numbers. An argument name has one kind
/// in every lever that takes it (a test keeps it so).
pub fn numeric_argument(name: &str) -> Option<bool> {
    LEVERS
        .iter()
        .flat_map(|l| l.args)
        .find(|a| a.name == name)
        .and_then(|a| a.kind.numeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lever_names_are_unique_and_arguments_are_unique_per_lever() {
        for (i, l) in LEVERS.iter().enumerate() {
            assert!(
                LEVERS[..i].iter().all(|m| m.name != l.name),
                "{} twice",
                l.name
            );
            for (j, a) in l.args.iter().enumerate() {
                assert!(
                    l.args[..j].iter().all(|b| b.name != a.name),
                    "{}.{} twice",
                    l.name,
                    a.name
                );
            }
        }
    }

    #[test]
    fn an_argument_name_has_one_kind_everywhere() {
        let all: Vec<&Arg> = LEVERS.iter().flat_map(|l| l.args).collect();
        for a in &all {
            for b in &all {
                if a.name == b.name {
                    assert_eq!(
                        a.kind.numeric(),
                        b.kind.numeric(),
                        "`{}` is numeric in one lever and not in another",
                        a.name
                    );
                }
            }
        }
    }
}
