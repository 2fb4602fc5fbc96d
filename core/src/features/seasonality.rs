//! Seasonality family: calendar position of the bar's UTC timestamp and its sin/cos
//! encodings (civil-from-days, no `std`).

use super::history::Writer;
use super::schema::{FeatureId, FeatureKind as K};
use crate::calendar::civil_from_unix_nanos;
use crate::num::Float;

/// The fifteen features in schema order.
const KINDS: [K; 15] = [
    K::DayOfWeek,
    K::DayOfWeekSin,
    K::DayOfWeekCos,
    K::DayOfMonth,
    K::DayOfMonthSin,
    K::DayOfMonthCos,
    K::Month,
    K::MonthSin,
    K::MonthCos,
    K::Quarter,
    K::QuarterSin,
    K::QuarterCos,
    K::Hour,
    K::HourSin,
    K::HourCos,
];

pub(crate) fn ids(out: &mut impl FnMut(FeatureId)) {
    for kind in KINDS {
        out(FeatureId::plain(kind));
    }
}

pub(crate) fn update<T: Float>(timestamp: i64, out: &mut Writer<T>) {
    let t = civil_from_unix_nanos(timestamp);
    let quarter = (t.month - 1) / 3 + 1;
    let cycles = [
        (t.weekday, 0, 7),
        (t.day, 1, 31),
        (t.month, 1, 12),
        (quarter, 1, 4),
        (t.hour, 0, 24),
    ];
    for (value, origin, period) in cycles {
        let angle = core::f64::consts::TAU * f64::from(value - origin) / f64::from(period);
        let angle = T::from_f64(angle);
        out.put(Some(T::from_usize(value as usize)));
        out.put(Some(angle.sin()));
        out.put(Some(angle.cos()));
    }
}
