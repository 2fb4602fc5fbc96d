use crate::error::Error;
use crate::num::Float;

use super::{ta_is_zero, true_range};

/// Directional movement outputs.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DmiOutput<T> {
    /// +DI, from input `n`.
    pub plus_di: T,
    /// -DI, from input `n`.
    pub minus_di: T,
    /// ADX, from input `2n - 1`.
    pub adx: Option<T>,
}

/// Wilder's directional movement system as TA-Lib: +DM, -DM and TR summed over the
/// first `n - 1` changes, then Wilder-smoothed (`s = s - s / n + x`); `DI = 100 DM / TR`
/// (0 when TR is TA-Lib-zero); `DX = 100 |+DI - -DI| / (+DI + -DI)`; ADX seeded with
/// the mean of the first `n` DX, then `adx = (adx (n - 1) + dx) / n`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dmi<T> {
    period: u16,
    changes: u32,
    prev: Option<(T, T, T)>,
    plus_dm: T,
    minus_dm: T,
    tr: T,
    dx_sum: T,
    value: Option<DmiOutput<T>>,
}

impl<T: Float> Dmi<T> {
    /// A directional movement system over `period >= 2`.
    pub fn new(period: u16) -> Result<Self, Error> {
        crate::window::check("dmi period", period, 2, usize::MAX)?;
        Ok(Dmi {
            period,
            changes: 0,
            prev: None,
            plus_dm: T::ZERO,
            minus_dm: T::ZERO,
            tr: T::ZERO,
            dx_sum: T::ZERO,
            value: None,
        })
    }

    /// Takes one bar's high, low and close.
    #[inline]
    pub fn update(&mut self, high: T, low: T, close: T) -> Option<DmiOutput<T>> {
        let (prev_high, prev_low, prev_close) = self.prev.replace((high, low, close))?;
        let period = u32::from(self.period);
        let n = T::from_usize(usize::from(self.period));
        let diff_plus = high - prev_high;
        let diff_minus = prev_low - low;
        let tr = true_range(high, low, prev_close);
        // saturates: past 2n - 1 changes only "smoothing" matters, and a wrapped counter
        // (2^32 updates, ~50 days of a 1 kHz stream) would restart the seeding
        self.changes = self.changes.saturating_add(1);
        let smoothing = self.changes >= period;
        if smoothing {
            self.minus_dm -= self.minus_dm / n;
            self.plus_dm -= self.plus_dm / n;
        }
        if diff_minus > T::ZERO && diff_plus < diff_minus {
            self.minus_dm += diff_minus;
        } else if diff_plus > T::ZERO && diff_plus > diff_minus {
            self.plus_dm += diff_plus;
        }
        if !smoothing {
            self.tr += tr;
            return None;
        }
        self.tr = self.tr - self.tr / n + tr;
        let hundred = T::from_f64(100.0);
        let (plus_di, minus_di, dx) = if ta_is_zero(self.tr) {
            (T::ZERO, T::ZERO, None)
        } else {
            let minus_di = hundred * (self.minus_dm / self.tr);
            let plus_di = hundred * (self.plus_dm / self.tr);
            let total = minus_di + plus_di;
            let dx = (!ta_is_zero(total)).then(|| hundred * ((minus_di - plus_di).abs() / total));
            (plus_di, minus_di, dx)
        };
        let prev_adx = self.value.and_then(|v| v.adx);
        let adx = match prev_adx {
            Some(adx) => Some(dx.map_or(adx, |dx| (adx * (n - T::ONE) + dx) / n)),
            None => {
                if let Some(dx) = dx {
                    self.dx_sum += dx;
                }
                (self.changes == (2 * period).saturating_sub(1)).then(|| self.dx_sum / n)
            }
        };
        self.value = Some(DmiOutput {
            plus_di,
            minus_di,
            adx,
        });
        self.value
    }

    /// The current value, if warmed up.
    pub fn value(&self) -> Option<DmiOutput<T>> {
        self.value
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        // the parameters were accepted when it was built
        if let Ok(fresh) = Self::new(self.period) {
            *self = fresh;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After 2^32 changes the counter saturates instead of wrapping (a wrap would
    /// restart the seeding and, in debug builds, panic): a DMI whose counter sits at
    /// the top gives exactly what one a few thousand bars in gives.
    #[test]
    fn the_change_counter_saturates() {
        let mut young = Dmi::<f64>::new(14).unwrap();
        let bars: std::vec::Vec<(f64, f64, f64)> = (0..400)
            .map(|i| {
                let c = 100.0 + (i as f64 * 0.37).sin() * 5.0 + i as f64 * 0.01;
                (c + 1.0 + (i % 3) as f64 * 0.2, c - 1.0, c)
            })
            .collect();
        for &(h, l, c) in &bars[..200] {
            young.update(h, l, c);
        }
        let mut old = young;
        old.changes = u32::MAX - 2;
        for &(h, l, c) in &bars[200..] {
            assert_eq!(young.update(h, l, c), old.update(h, l, c));
        }
        assert_eq!(old.changes, u32::MAX);
        assert!(old.value().and_then(|v| v.adx).is_some());
    }
}
