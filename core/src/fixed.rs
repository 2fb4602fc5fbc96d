//! Fixed-capacity collection without a panic path: heapless's `FromIterator` panics when
//! the iterator is longer than the capacity, which the optimiser cannot rule out even
//! where the length is bounded by construction.

use heapless::Vec;

/// The items of `items`, in order, up to the capacity `N`. Every caller's input is
/// bounded by `N` by construction (a configuration's windows, the registered
/// strategies); where it could be longer, the caller checks the length first.
pub(crate) fn fill<T, const N: usize>(items: impl IntoIterator<Item = T>) -> Vec<T, N> {
    let mut out = Vec::new();
    for x in items {
        if out.push(x).is_err() {
            break;
        }
    }
    out
}

/// [`fill`] for fallible items: the first error, or every item up to the capacity.
pub(crate) fn try_fill<T, E, const N: usize>(
    items: impl IntoIterator<Item = Result<T, E>>,
) -> Result<Vec<T, N>, E> {
    let mut out = Vec::new();
    for x in items {
        if out.push(x?).is_err() {
            break;
        }
    }
    Ok(out)
}
