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

/// The features of the last UTC hour seen: they only change when the hour does, so
/// the ten sines and cosines are computed once per hour, not once per bar.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Seasonality<T> {
    hour: Option<i64>,
    values: [T; 15],
}

const NANOS_PER_HOUR: i64 = 3_600_000_000_000;

impl<T: Float> Seasonality<T> {
    pub fn new() -> Self {
        Seasonality {
            hour: None,
            values: [T::NAN; 15],
        }
    }

    pub fn ids(&self, out: &mut impl FnMut(FeatureId)) {
        for kind in KINDS {
            out(FeatureId::plain(kind));
        }
    }

    pub fn update(&mut self, timestamp: i64, out: &mut Writer<T>) {
        let hour = timestamp.div_euclid(NANOS_PER_HOUR);
        if self.hour != Some(hour) {
            self.hour = Some(hour);
            self.values = calendar_features(timestamp);
        }
        for v in self.values {
            out.put(Some(v));
        }
    }
}

fn calendar_features<T: Float>(timestamp: i64) -> [T; 15] {
    let t = civil_from_unix_nanos(timestamp);
    let quarter = (t.month.saturating_sub(1) / 3).saturating_add(1);
    let cycles = [
        (t.weekday, 0, 7),
        (t.day, 1, 31),
        (t.month, 1, 12),
        (quarter, 1, 4),
        (t.hour, 0, 24),
    ];
    let mut values = [T::NAN; 15];
    for (chunk, (value, origin, period)) in values.chunks_exact_mut(3).zip(cycles) {
        let angle =
            core::f64::consts::TAU * f64::from(value.saturating_sub(origin)) / f64::from(period);
        let angle = T::from_f64(angle);
        for (slot, v) in
            chunk
                .iter_mut()
                .zip([T::from_usize(value as usize), angle.sin(), angle.cos()])
        {
            *slot = v;
        }
    }
    values
}
