//! Civil calendar from unix time without `std` (UTC, proleptic Gregorian).

/// A UTC calendar date and hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year, e.g. 2008.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of month, 1 to 31.
    pub day: u32,
    /// ISO day of week, Monday = 0 to Sunday = 6.
    pub weekday: u32,
    /// Hour of day, 0 to 23.
    pub hour: u32,
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Converts unix nanoseconds to a UTC date. Days from the epoch go through Howard
/// Hinnant's `civil_from_days`; 1970-01-01 was a Thursday (ISO weekday 3).
pub fn civil_from_unix_nanos(nanos: i64) -> CivilTime {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    CivilTime {
        year,
        month,
        day,
        weekday: days.wrapping_add(3).rem_euclid(7) as u32,
        hour: (second_of_day / 3600) as u32,
    }
}

/// `(year, month, day)` of the date `days` after 1970-01-01 (Hinnant's algorithm).
/// Reviewed arithmetic: `|days| <= 1.1e8` for any i64 nanosecond timestamp (callers
/// divide by 86,400 s first), far from overflow; every other term is bounded as noted.
#[allow(clippy::arithmetic_side_effects)]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: walk day by day from the epoch with the leap-year rule.
    fn naive(days: i64) -> (i64, u32, u32) {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        let mut left = days;
        while left > 0 {
            d += 1;
            if d > len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
            left -= 1;
        }
        while left < 0 {
            if d == 1 {
                if m == 1 {
                    m = 12;
                    y -= 1;
                } else {
                    m -= 1;
                }
                d = len(y, m);
            } else {
                d -= 1;
            }
            left += 1;
        }
        (y, m, d)
    }

    #[test]
    fn matches_day_by_day_walk() {
        for days in (-40_000..60_000).step_by(37) {
            assert_eq!(civil_from_days(days), naive(days), "days = {days}");
        }
    }

    #[test]
    fn known_dates() {
        // 2008-10-10 was a Friday; 2000-02-29 exists.
        let t =
            civil_from_unix_nanos(1_223_596_800 * NANOS_PER_SECOND + 13 * 3600 * NANOS_PER_SECOND);
        assert_eq!(
            (t.year, t.month, t.day, t.weekday, t.hour),
            (2008, 10, 10, 4, 13)
        );
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_unix_nanos(-1).day, 31);
    }
}
