//! Waits between retries: doubling up to a ceiling, with jitter so that the watches of a
//! cluster that failed together do not all retry in the same instant.

use std::time::Duration;

pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            next: min,
            min,
            max,
        }
    }

    /// The next wait: between half and all of the current step ("equal jitter"), then the step
    /// doubles.
    pub fn next_wait(&mut self) -> Duration {
        let step = self.next;
        self.next = (step * 2).min(self.max);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Raises the ceiling for this run of failures (a 403 will not go away in 5 s).
    pub fn at_least(&mut self, step: Duration) {
        self.next = self.next.max(step.min(self.max));
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_the_ceiling() {
        let mut b = Backoff::new(Duration::from_millis(400), Duration::from_secs(5));
        let waits: Vec<Duration> = (0..8).map(|_| b.next_wait()).collect();
        let steps = [400u64, 800, 1600, 3200, 5000, 5000, 5000, 5000];
        for (w, s) in waits.iter().zip(steps) {
            let s = Duration::from_millis(s);
            assert!(*w >= s / 2 && *w <= s, "{w:?} within [{:?}, {s:?}]", s / 2);
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(400));
    }
}
