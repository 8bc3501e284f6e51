//! Calendar dates without a time zone, enough for a weekly timeline.
//!
//! A tiny civil-calendar type (proleptic Gregorian) rather than a date crate:
//! the model needs only day arithmetic and ISO formatting, and TOML dates
//! (`date = 2023-10-04`) must round-trip through `resolved.toml`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar day, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

impl Date {
    /// The date `year-month-day`, or `None` when no such day exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            days: days_from_civil(year as i64, month as i64, day as i64),
        })
    }

    /// The year, month and day of this date.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(self.days);
        (y as i32, m as u32, d as u32)
    }

    /// This date moved by `days` (negative moves back).
    pub fn add_days(self, days: i64) -> Date {
        Date {
            days: self.days + days,
        }
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days - earlier.days
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days-from-civil algorithm (public domain description).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a calendar date; write it as YYYY-MM-DD, e.g. 2023-10-04")]
pub struct DateParseError(pub String);

impl FromStr for Date {
    type Err = DateParseError;
    fn from_str(s: &str) -> Result<Date, DateParseError> {
        let err = || DateParseError(s.to_string());
        let mut parts = s.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or_else(err);
        let (y, m, d) = (next()?, next()?, next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let y: i32 = y.parse().map_err(|_| err())?;
        let m: u32 = m.parse().map_err(|_| err())?;
        let d: u32 = d.parse().map_err(|_| err())?;
        Date::from_ymd(y, m, d).ok_or_else(err)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Through toml's own datetime type, so `resolved.toml` holds a real
        // TOML date (`2023-10-04`) rather than a quoted string.
        let (year, month, day) = self.ymd();
        let datetime = toml::value::Datetime {
            date: Some(toml::value::Date {
                year: year as u16,
                month: month as u8,
                day: day as u8,
            }),
            time: None,
            offset: None,
        };
        datetime.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let invalid = |what: String| {
            serde::de::Error::custom(format!(
                "`{what}` is not a calendar date; write it as YYYY-MM-DD, e.g. 2023-10-04"
            ))
        };
        match Repr::deserialize(deserializer) {
            Ok(Repr::Toml(dt)) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    Date::from_ymd(d.year as i32, d.month as u32, d.day as u32)
                        .ok_or_else(|| invalid(dt.to_string()))
                }
                _ => Err(invalid(dt.to_string())),
            },
            Ok(Repr::Text(s)) => s.parse().map_err(|_| invalid(s)),
            Err(_) => Err(serde::de::Error::custom(
                "expected a date written as YYYY-MM-DD, e.g. 2023-10-04",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        let start = Date::from_ymd(1900, 1, 1).unwrap();
        for offset in (0..146_097).step_by(13) {
            let d = start.add_days(offset);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Some(d));
        }
    }

    #[test]
    fn known_weekday_offsets() {
        let start = Date::from_ymd(2022, 1, 3).unwrap();
        let ban = Date::from_ymd(2023, 10, 4).unwrap();
        assert_eq!(ban.days_since(start), 639);
        assert_eq!(ban.days_since(start) / 7, 91);
        assert_eq!(start.add_days(156 * 7).to_string(), "2024-12-30");
    }

    #[test]
    fn rejects_impossible_days() {
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2023-13-01".parse::<Date>().is_err());
        assert!("23-1-1".parse::<Date>().is_err());
    }
}
