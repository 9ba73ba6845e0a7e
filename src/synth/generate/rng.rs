//! A small seeded PRNG (`xoshiro256**`, seeded through `SplitMix64`) and a weighted picker.
//!
//! Not cryptographic and not meant to be: it only has to be fast, reproducible across
//! platforms and good enough that synthetic traffic does not show patterns.

/// `xoshiro256**` by Blackman and Vigna; the state is expanded from one `u64` with `SplitMix64`,
/// as its authors recommend.
#[derive(Debug, Clone)]
pub(super) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub(super) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        // SplitMix64 never yields four zero words in a row, so the state is never all zero.
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub(super) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n` is 0), by Lemire's multiply-shift; the bias is below
    /// 2^-40 for the small ranges used here.
    #[inline]
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    #[inline]
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// A uniform index into a slice of length `len` (0 when `len` is 0).
    #[inline]
    pub(super) fn index(&mut self, len: usize) -> usize {
        // `usize` is at most 64 bits on every supported target, and the result is below `len`.
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// A uniform element of a non-empty slice.
    ///
    /// # Panics
    /// When `items` is empty (a bug in the generator's tables).
    #[inline]
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    #[inline]
    pub(super) fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// True with probability `p` (never for `p <= 0`, always for `p >= 1`).
    #[inline]
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// True with probability `n` per mille.
    #[inline]
    pub(super) fn per_mille(&mut self, n: u64) -> bool {
        self.below(1000) < n
    }
}

/// Items with relative weights, picked in proportion to their weight.
#[derive(Debug, Clone)]
pub(super) struct Weighted<T> {
    /// Running totals of the weights, one per item, increasing.
    cumulative: Vec<f64>,
    items: Vec<T>,
}

impl<T> Weighted<T> {
    /// Keeps the items with a finite positive weight.
    pub(super) fn new(weighted: impl IntoIterator<Item = (T, f64)>) -> Self {
        let mut cumulative = Vec::new();
        let mut items = Vec::new();
        let mut total = 0.0;
        for (item, w) in weighted {
            if w.is_finite() && w > 0.0 {
                total += w;
                cumulative.push(total);
                items.push(item);
            }
        }
        Self { cumulative, items }
    }

    /// True when no item has a positive weight.
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items, in insertion order.
    #[cfg(test)]
    pub(super) fn items(&self) -> &[T] {
        &self.items
    }

    /// Picks one item.
    ///
    /// # Panics
    /// When the table is empty (callers check [`Weighted::is_empty`] when it can be).
    #[inline]
    pub(super) fn pick(&self, rng: &mut Rng) -> &T {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        &self.items[i.min(self.items.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_seeds_differ() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            assert!((5..=9).contains(&r.range(5, 9)));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(3, 3), 3);
    }

    #[test]
    fn weighted_follows_the_weights_and_skips_zero() {
        let w = Weighted::new([("a", 3.0), ("never", 0.0), ("b", 1.0), ("nan", f64::NAN)]);
        assert_eq!(w.items(), &["a", "b"]);
        let mut r = Rng::new(42);
        let a = (0..40_000).filter(|_| *w.pick(&mut r) == "a").count();
        assert!((29_000..31_000).contains(&a), "{a}");
        assert!(Weighted::<u8>::new([]).is_empty());
    }
}
