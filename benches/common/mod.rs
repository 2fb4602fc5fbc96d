//! What the benches share: real S&P 500 bars replayed forever, one minute apart, so
//! every timed update is an accepted bar.

use tickml_core::{Bar, Float};

/// An endless bar source cycling through data/spx_daily.csv in `T`, timestamps
/// increasing by one minute.
pub fn spx_bars<T: Float>() -> impl FnMut() -> Bar<T> {
    let rows: Vec<[T; 5]> =
        tickml_train::data::load_bars(concat!(env!("CARGO_MANIFEST_DIR"), "/data/spx_daily.csv"))
            .unwrap()
            .iter()
            .map(|r| {
                [
                    r.bar.open(),
                    r.bar.high(),
                    r.bar.low(),
                    r.bar.close(),
                    r.bar.volume(),
                ]
                .map(T::from_f64)
            })
            .collect();
    let mut i = 0usize;
    move || {
        let [o, h, l, c, v] = rows[i % rows.len()];
        i += 1;
        Bar::new(i as i64 * 60_000_000_000, o, h, l, c, v).unwrap()
    }
}
