//! venuecode: GF(2^4) and GF(2^8) arithmetic by logarithm and antilogarithm tables (under a
//! kilobyte, built at compile time). Upstream used the `g2p` crate, whose full 256 x 256
//! multiplication tables were 128 KiB of read-only data: a third of venuecode's WASM module.
//! Same results as `g2p` (tested against it below), with the generator 2 in both fields.

use std::ops::{Add, AddAssign, Div, Mul, MulAssign};

/// The operations the decoder needs of a binary Galois field.
pub(crate) trait GaloisField:
    Add<Output = Self> + AddAssign + Mul<Output = Self> + MulAssign + Div<Output = Self> + Copy + Eq
{
    const ZERO: Self;
    const ONE: Self;
    /// A primitive element: its powers are every non-zero element.
    const GENERATOR: Self;

    /// `self` to the power `p`.
    fn pow(self, p: usize) -> Self;
}

/// `exp[i] = 2^i` for `i` in `0..2 * order` (doubled so that a sum of two logarithms needs no
/// reduction), `log[x]` for `x` in `1..=order` (`log[0]` is unused).
const fn tables<const E: usize, const L: usize>(modulus: u16) -> ([u8; E], [u8; L]) {
    let order = L - 1;
    let mut exp = [0u8; E];
    let mut log = [0u8; L];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < order {
        exp[i] = x as u8;
        exp[i + order] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x as usize > order {
            x ^= modulus;
        }
        i += 1;
    }
    (exp, log)
}

macro_rules! field {
    ($name:ident, $size:expr, $modulus:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) struct $name(pub u8);

        impl $name {
            const ORDER: usize = $size - 1;
            const EXP: [u8; 2 * ($size - 1)] = tables::<{ 2 * ($size - 1) }, $size>($modulus).0;
            const LOG: [u8; $size] = tables::<{ 2 * ($size - 1) }, $size>($modulus).1;
        }

        // Addition in GF(2^n) is XOR.
        #[allow(clippy::suspicious_arithmetic_impl)]
        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                $name(self.0 ^ rhs.0)
            }
        }

        #[allow(clippy::suspicious_op_assign_impl)]
        impl AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 ^= rhs.0;
            }
        }

        impl Mul for $name {
            type Output = Self;
            fn mul(self, rhs: Self) -> Self {
                if self.0 == 0 || rhs.0 == 0 {
                    return $name(0);
                }
                let l = Self::LOG[usize::from(self.0)] as usize
                    + Self::LOG[usize::from(rhs.0)] as usize;
                $name(Self::EXP[l])
            }
        }

        impl MulAssign for $name {
            fn mul_assign(&mut self, rhs: Self) {
                *self = *self * rhs;
            }
        }

        impl Div for $name {
            type Output = Self;
            /// Division by zero gives zero rather than a panic; the decoder never divides by zero.
            fn div(self, rhs: Self) -> Self {
                if self.0 == 0 || rhs.0 == 0 {
                    return $name(0);
                }
                let l = Self::LOG[usize::from(self.0)] as usize + Self::ORDER
                    - Self::LOG[usize::from(rhs.0)] as usize;
                $name(Self::EXP[l])
            }
        }

        impl GaloisField for $name {
            const ZERO: Self = $name(0);
            const ONE: Self = $name(1);
            const GENERATOR: Self = $name(2);

            fn pow(self, p: usize) -> Self {
                if p == 0 {
                    return Self::ONE;
                }
                if self.0 == 0 {
                    return Self::ZERO;
                }
                let l = (Self::LOG[usize::from(self.0)] as usize * (p % Self::ORDER)) % Self::ORDER;
                $name(Self::EXP[l])
            }
        }
    };
}

field!(
    GF16,
    16,
    0b1_0011,
    "GF(2^4) modulo x^4 + x + 1 (format information)."
);
field!(
    GF256,
    256,
    0b1_0001_1101,
    "GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (data blocks)."
);

#[cfg(test)]
mod tests {
    use super::*;

    g2p::g2p!(G16, 4, modulus: 0b1_0011);
    g2p::g2p!(G256, 8, modulus: 0b1_0001_1101);

    #[test]
    fn gf256_agrees_with_g2p() {
        use g2p::GaloisField as _;
        assert_eq!(G256::GENERATOR.0, GF256::GENERATOR.0);
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!((GF256(a) * GF256(b)).0, (G256(a) * G256(b)).0, "{a} * {b}");
                assert_eq!((GF256(a) + GF256(b)).0, (G256(a) + G256(b)).0, "{a} + {b}");
                if b != 0 {
                    assert_eq!((GF256(a) / GF256(b)).0, (G256(a) / G256(b)).0, "{a} / {b}");
                }
            }
            for p in [0, 1, 2, 7, 254, 255, 256, 1000, 65_025] {
                assert_eq!(GF256(a).pow(p).0, G256(a).pow(p).0, "{a} ^ {p}");
            }
        }
    }

    #[test]
    fn gf16_agrees_with_g2p() {
        use g2p::GaloisField as _;
        assert_eq!(G16::GENERATOR.0, GF16::GENERATOR.0);
        for a in 0..16u8 {
            for b in 0..16u8 {
                assert_eq!((GF16(a) * GF16(b)).0, (G16(a) * G16(b)).0, "{a} * {b}");
                if b != 0 {
                    assert_eq!((GF16(a) / GF16(b)).0, (G16(a) / G16(b)).0, "{a} / {b}");
                }
            }
            for p in 0..40 {
                assert_eq!(GF16(a).pow(p).0, G16(a).pow(p).0, "{a} ^ {p}");
            }
        }
    }

    #[test]
    fn division_by_zero_is_zero() {
        assert_eq!(GF256(7) / GF256(0), GF256(0));
        assert_eq!(GF16(7) / GF16(0), GF16(0));
    }
}
