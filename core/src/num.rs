//! The floating-point trait the core is generic over.
//!
//! `f64` is the parity reference (TA-Lib, the Python references); `f32` halves the
//! state and is what a microcontroller without a double-precision FPU wants. Every
//! transcendental goes through `libm`, so results do not depend on the platform's
//! `std` math library and are the same on a host and on `thumbv7em-none-eabihf`.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real number type the feature engine computes in: `f32` or `f64`.
pub trait Float:
    Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Not a number: the value an absent feature carries in a dense slice.
    const NAN: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for both implementations).
    fn to_f64(self) -> f64;
    /// Converts a count (window length, index) exactly for counts below 2^24.
    fn from_usize(n: usize) -> Self;
    /// Square root (`libm`).
    fn sqrt(self) -> Self;
    /// Natural logarithm (`libm`).
    fn ln(self) -> Self;
    /// Exponential (`libm`).
    fn exp(self) -> Self;
    /// Sine (`libm`).
    fn sin(self) -> Self;
    /// Cosine (`libm`).
    fn cos(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// True unless the value is NaN or infinite.
    fn is_finite(self) -> bool;
    /// The larger of two values (NaN-ignoring like `f64::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (NaN-ignoring like `f64::min`).
    fn min(self, other: Self) -> Self;
    /// `values` themselves as `f64`s when `Self` is `f64`, else `None` (no copy either way).
    fn as_f64s<const N: usize>(values: &[Self; N]) -> Option<&[f64; N]>;
}

macro_rules! impl_float {
    ($t:ty, $sqrt:path, $ln:path, $exp:path, $sin:path, $cos:path, $fabs:path, $as_f64s:expr) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAN: Self = <$t>::NAN;
            const EPSILON: Self = <$t>::EPSILON;
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn sin(self) -> Self {
                $sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $cos(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $fabs(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline]
            fn as_f64s<const N: usize>(values: &[Self; N]) -> Option<&[f64; N]> {
                $as_f64s(values)
            }
        }
    };
}

impl_float!(
    f64,
    libm::sqrt,
    libm::log,
    libm::exp,
    libm::sin,
    libm::cos,
    libm::fabs,
    Some
);
impl_float!(
    f32,
    libm::sqrtf,
    libm::logf,
    libm::expf,
    libm::sinf,
    libm::cosf,
    libm::fabsf,
    |_| None
);
