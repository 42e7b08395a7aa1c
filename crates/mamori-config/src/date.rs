//! Calendar dates for exception expiry (`2027-03-31`), without a date-time dependency.

use std::fmt;

/// A proleptic Gregorian calendar date. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// A valid date, or None (month 1..=12, day within the month, leap years included).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || format!("invalid date {text:?}: expected YYYY-MM-DD, e.g. 2027-03-31");
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes.get(4) == Some(&b'-')
            && bytes.get(7) == Some(&b'-')
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !well_formed {
            return Err(bad());
        }
        let number =
            |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
        let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10))
        else {
            return Err(bad());
        };
        let year = i32::try_from(year).map_err(|_| bad())?;
        let (month, day) = (
            u8::try_from(month).map_err(|_| bad())?,
            u8::try_from(day).map_err(|_| bad())?,
        );
        Date::new(year, month, day)
            .ok_or_else(|| format!("invalid date {text:?}: no such day in the calendar"))
    }

    /// Today (UTC) from the system clock.
    pub fn today_utc() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn parses_and_orders() {
        let d = Date::parse("2027-03-31").unwrap();
        assert_eq!(d.to_string(), "2027-03-31");
        assert!(Date::parse("2027-03-30").unwrap() < d);
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2025-02-29")
            .unwrap_err()
            .contains("no such day"));
        assert!(Date::parse("2027-13-01").is_err());
        assert!(Date::parse("2027-3-31").is_err());
        assert!(Date::parse("31/03/2027").is_err());
        assert!(Date::parse("2027-03-31T00:00").is_err());
    }

    #[test]
    fn civil_from_days() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_782).to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_420).to_string(),
            "2025-11-28"
        );
        assert!(Date::today_utc() > Date::parse("2024-01-01").unwrap());
    }
}
