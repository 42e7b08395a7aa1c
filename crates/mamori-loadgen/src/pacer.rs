//! Waiting for a request's due time with microsecond precision.
//!
//! tokio's timer wheel ticks once a millisecond and rounds deadlines up to the next tick, so at 2,000 requests/s
//! the two requests due in each millisecond left together, about 1.1 ms late (the `schedule_lag` the reports
//! showed): bursts of two the schedule never asked for, each pair contending for the server at once. On Linux a
//! `timerfd` armed at the absolute due time wakes the runtime's event loop itself (one `epoll` event), with the
//! kernel's high-resolution timers. Elsewhere the tokio timer is used.

use std::time::Instant;

/// One connection's timer.
pub struct Pacer {
    #[cfg(target_os = "linux")]
    timer: Option<linux::TimerFd>,
}

impl Pacer {
    /// A precise timer where the platform has one; never fails (falls back to tokio's timer).
    pub fn new() -> Pacer {
        Pacer {
            #[cfg(target_os = "linux")]
            timer: linux::TimerFd::new().ok(),
        }
    }

    /// True when waits use the kernel's high-resolution timer.
    pub fn is_precise(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.timer.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// Returns at `due` (at once when it has passed).
    pub async fn sleep_until(&mut self, due: Instant) {
        if due <= Instant::now() {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some(timer) = &self.timer {
            if timer.sleep_until(due).await.is_ok() {
                return;
            }
            // A failing timerfd is not expected; the tokio timer still gets the request out.
            self.timer = None;
        }
        tokio::time::sleep_until(due.into()).await;
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use rustix::fd::OwnedFd;
    use rustix::time::{
        clock_gettime, timerfd_create, timerfd_settime, ClockId, Itimerspec, TimerfdClockId,
        TimerfdFlags, TimerfdTimerFlags, Timespec,
    };
    use std::io;
    use std::time::{Duration, Instant};
    use tokio::io::unix::AsyncFd;

    /// A non-blocking `CLOCK_MONOTONIC` timerfd registered with the runtime.
    pub struct TimerFd {
        fd: AsyncFd<OwnedFd>,
        /// One moment read on both clocks: `Instant` is `CLOCK_MONOTONIC` on Linux but opaque, so due times are
        /// carried over as offsets from this pair.
        base: Instant,
        base_monotonic: Duration,
    }

    impl TimerFd {
        pub fn new() -> io::Result<TimerFd> {
            let fd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )?;
            let base = Instant::now();
            let now = clock_gettime(ClockId::Monotonic);
            let base_monotonic = Duration::new(
                u64::try_from(now.tv_sec).map_err(|_| io::ErrorKind::InvalidData)?,
                u32::try_from(now.tv_nsec).map_err(|_| io::ErrorKind::InvalidData)?,
            );
            // SAFETY: `register` needs the descriptor to stay open, and to be the one `as_raw_fd` returns, for as
            // long as the AsyncFd lives. The AsyncFd takes ownership of the `OwnedFd`, which only closes it when
            // dropped, and that happens after the AsyncFd has deregistered it; `OwnedFd::as_raw_fd` always returns
            // the descriptor it owns; and this module only ever reads from it through a borrow (`get_ref`).
            let fd = unsafe { AsyncFd::register(fd) }.map_err(io::Error::from)?;
            Ok(TimerFd {
                fd,
                base,
                base_monotonic,
            })
        }

        pub async fn sleep_until(&self, due: Instant) -> io::Result<()> {
            let at = self.base_monotonic + due.saturating_duration_since(self.base);
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let when = Itimerspec {
                it_interval: zero,
                it_value: Timespec {
                    tv_sec: i64::try_from(at.as_secs()).map_err(|_| io::ErrorKind::InvalidInput)?,
                    tv_nsec: i64::from(at.subsec_nanos()),
                },
            };
            // A zero it_value would disarm the timer; `at` is past the boot-time base, so it is never zero.
            timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::ABSTIME, &when)?;
            loop {
                let mut ready = self.fd.readable().await?;
                let mut expirations = [0u8; 8];
                match ready.try_io(|fd| {
                    rustix::io::read(fd.get_ref(), &mut expirations).map_err(io::Error::from)
                }) {
                    Ok(Ok(_)) => {
                        // Read: not readable again before the next expiry (saves a failing read next time).
                        ready.clear_ready();
                        return Ok(());
                    }
                    Ok(Err(err)) => return Err(err),
                    // Readiness was stale (the read would block): wait again.
                    Err(_would_block) => continue,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn waits_until_the_due_time_and_not_a_millisecond_tick_later() {
        let mut pacer = Pacer::new();
        assert!(pacer.is_precise() || !cfg!(target_os = "linux"));
        let mut late = Vec::new();
        for _ in 0..50 {
            let due = Instant::now() + Duration::from_micros(300);
            pacer.sleep_until(due).await;
            let woke = Instant::now();
            assert!(woke >= due, "woke before the due time");
            late.push(woke - due);
        }
        late.sort();
        // The median wake-up is far inside tokio's 1 ms tick (a loaded CI machine may delay a few).
        let median = late[late.len() / 2];
        if pacer.is_precise() {
            assert!(
                median < Duration::from_micros(500),
                "median lateness {median:?}"
            );
        }
        // A due time already past returns at once.
        pacer
            .sleep_until(Instant::now() - Duration::from_millis(1))
            .await;
    }
}
