//! Generated LSS traffic on a schedule: records paced at a steady rate, plus optional bursts of
//! one status code on top, handed to a sink by [`pump`].
//!
//! [`Traffic`] says what to generate and how fast; it writes lines
//! ([`Traffic::write_lines`], `zpa-enricher generate`), streams them to a log receiver over TCP
//! or TLS ([`Traffic::send_tcp`], `zpa-enricher generate --tcp`, in `traffic/tcp.rs`) or
//! produces to a Kafka topic ([`Traffic::produce`], `zpa-enricher generate --topic` and
//! `zpa-enricher demo`). The producer
//! is an ordinary Kafka client, so a consumer sees exactly what a real LSS receiver pipeline
//! would give it. Nothing here knows the service, and [`Schedule`] knows no clock: it is told how
//! long the run has lasted, which keeps it testable without sleeping.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::generate::{Generator, GeneratorOptions};
use crate::catalog::Catalog;
use crate::enrich::{Enricher, Outcome};
use crate::event::{LineFormat, LineReader, render};

mod kafka;
mod tcp;

#[cfg(test)]
use kafka::KeyField;
pub use kafka::{KafkaTarget, TrafficCounts, Undelivered};
pub use tcp::{TcpError, TcpTarget, TlsClientFiles};

/// Generated traffic: which records, how many and how fast, enriched or not. Where they go is
/// the caller's choice: [`Traffic::write_lines`], [`Traffic::send_tcp`] or [`Traffic::produce`].
#[derive(Debug, Clone)]
pub struct Traffic {
    /// The catalog the generator draws its codes from.
    pub catalog: Arc<Catalog>,
    /// Generator seed, mix and ratios.
    pub options: GeneratorOptions,
    /// Paced records per second; 0 means as fast as possible.
    pub rate: u64,
    /// Paced records in all; 0 means until stopped. Burst records come on top.
    pub count: u64,
    /// Bursts of one code, if any.
    pub burst: Option<Burst>,
    /// Enrich the records before writing them, as `run` would publish them (records the
    /// enricher cannot read are written unchanged).
    pub enricher: Option<Arc<Enricher>>,
}

impl Traffic {
    /// Writes the records to `out`, one per line, until the schedule is done or `stop` is
    /// cancelled; the last line is always whole. `out` is flushed whenever nothing is due, and
    /// at the end.
    ///
    /// # Errors
    /// Writing or flushing fails.
    pub fn write_lines<W: Write>(&self, out: W, stop: &CancellationToken) -> io::Result<()> {
        self.write_lines_as(out, stop, LineFormat::Json)
    }

    /// [`Traffic::write_lines`], each record written as a line of the vendor's default
    /// `template` for its log type: JSON as generated (`json` or `auto`), or CSV or TSV as an
    /// LSS log receiver gets them. Records of no known log type, invalid ones, and enriched
    /// ones stay JSON.
    ///
    /// # Errors
    /// Writing or flushing fails.
    pub fn write_lines_as<W: Write>(
        &self,
        out: W,
        stop: &CancellationToken,
        template: LineFormat,
    ) -> io::Result<()> {
        let mut lines = Lines(out);
        match template {
            LineFormat::Csv | LineFormat::Tsv => {
                self.pump_into(&mut Rendering::new(&mut lines, template), stop)?;
            }
            LineFormat::Json | LineFormat::Auto => self.pump_into(&mut lines, stop)?,
        }
        lines.0.flush()
    }

    /// Pumps the whole schedule into `sink`, enriching on the way when asked to.
    fn pump_into<S: Sink>(&self, sink: &mut S, stop: &CancellationToken) -> Result<(), S::Error> {
        let mut generator = Generator::new(&self.catalog, self.options.clone());
        let mut schedule = Schedule::new(self.rate, self.count, self.burst.clone());
        pump_records(
            &mut generator,
            &mut schedule,
            sink,
            self.enricher.as_ref(),
            stop,
        )
    }
}

/// How long [`pump`] sleeps at most before it looks at the stop token again.
const MAX_NAP: Duration = Duration::from_millis(50);

/// A record due less than this far ahead is written now rather than slept for.
const SLACK: Duration = Duration::from_millis(1);

/// Bursts of one status code on top of the paced traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// The code written to `InternalReason` (it need not be in the catalog).
    pub code: String,
    /// Time between the starts of two bursts.
    pub every: Duration,
    /// Records per burst.
    pub size: u64,
    /// The records of one burst are spread evenly over this long; zero: all at once.
    pub spread: Duration,
    /// When the first burst starts, from the start of the run.
    pub first: Duration,
}

impl Burst {
    /// Bursts of `size` records of `code` every `every_secs` seconds, as the command-line flags
    /// give them, all at once and the first one interval after the start; `None` when either
    /// number is 0 (no bursts).
    #[must_use]
    pub fn from_flags(code: &str, every_secs: u64, size: u64) -> Option<Self> {
        (every_secs > 0 && size > 0).then(|| Self {
            code: code.to_owned(),
            every: Duration::from_secs(every_secs),
            size,
            spread: Duration::ZERO,
            first: Duration::from_secs(every_secs),
        })
    }

    /// The same bursts with their records spread over `spread` (a sustained incident rather
    /// than a spike of one instant).
    #[must_use]
    pub fn spread_over(mut self, spread: Duration) -> Self {
        self.spread = spread;
        self
    }

    /// The same bursts, the first starting `first` after the start of the run.
    #[must_use]
    pub fn first_after(mut self, first: Duration) -> Self {
        self.first = first;
        self
    }

    /// When record `index` of a burst that started at `start` is due.
    fn due(&self, start: Duration, index: u64) -> Duration {
        if self.spread.is_zero() || self.size == 0 {
            return start;
        }
        // u128 nanoseconds: exact for any spread and size the flags allow.
        let nanos = self.spread.as_nanos() * u128::from(index) / u128::from(self.size);
        start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Records of a burst that started at `start` due by `elapsed` (at most `size`).
    fn due_by(&self, start: Duration, elapsed: Duration) -> u64 {
        if self.spread.is_zero() {
            return self.size;
        }
        let since = elapsed.saturating_sub(start).as_nanos();
        // Record k is due at start + spread * k / size, so k + 1 records are due once
        // since >= spread * k / size.
        let k = since * u128::from(self.size) / self.spread.as_nanos();
        u64::try_from(k.saturating_add(1))
            .unwrap_or(u64::MAX)
            .min(self.size)
    }
}

/// What a [`Schedule`] asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Write this many records of the burst code now.
    Burst(u64),
    /// Write one paced record now.
    Paced,
    /// Nothing is due for this long.
    Wait(Duration),
    /// Every paced record has been written.
    Done,
}

/// When records are due: paced records at a rate, bursts at fixed intervals on top. Pure: the
/// caller says how long the run has lasted.
#[derive(Debug, Clone)]
struct Schedule {
    /// Paced records per second; 0 means as fast as possible.
    rate: u64,
    /// Paced records in all; 0 means without end. Burst records do not count.
    count: u64,
    burst: Option<Burst>,
    /// Paced records handed out so far.
    paced: u64,
    /// When the next burst starts, from the start.
    next_burst: Duration,
    /// The burst under way: when it started and how many of its records were handed out.
    running: Option<(Duration, u64)>,
}

impl Schedule {
    /// A schedule of `count` paced records (0: without end) at `rate` per second (0: as fast as
    /// possible), with `burst` on top. A burst with a zero interval or size is ignored.
    #[must_use]
    fn new(rate: u64, count: u64, burst: Option<Burst>) -> Self {
        let burst = burst.filter(|b| !b.every.is_zero() && b.size > 0);
        let next_burst = burst.as_ref().map_or(Duration::ZERO, |b| b.first);
        Self {
            rate,
            count,
            burst,
            paced: 0,
            next_burst,
            running: None,
        }
    }

    /// The code of the bursts (empty without bursts).
    #[must_use]
    fn burst_code(&self) -> &str {
        self.burst.as_ref().map_or("", |b| b.code.as_str())
    }

    /// Whether [`Schedule::next`] looks at the elapsed time at all (a rate or bursts); without
    /// it the caller may skip reading the clock.
    #[must_use]
    fn is_timed(&self) -> bool {
        self.rate > 0 || self.burst.is_some()
    }

    /// The next step, `elapsed` after the start. Due burst records come before a due paced
    /// record; bursts missed during a stall come one after the other.
    fn next(&mut self, elapsed: Duration) -> Step {
        if self.count != 0 && self.paced >= self.count {
            return Step::Done;
        }
        if let Some(b) = &self.burst {
            if self.running.is_none() && elapsed >= self.next_burst {
                self.running = Some((self.next_burst, 0));
                self.next_burst += b.every;
            }
            if let Some((start, done)) = self.running {
                let due = b.due_by(start, elapsed);
                if due > done {
                    self.running = (due < b.size).then_some((start, due));
                    return Step::Burst(due - done);
                }
            }
        }
        if self.rate > 0 {
            // Pace against the start time, so the average rate holds even after a stall.
            let due = Duration::from_secs_f64(self.paced as f64 / self.rate as f64);
            if let Some(ahead) = due.checked_sub(elapsed)
                && ahead > SLACK
            {
                let until_burst = match (&self.burst, self.running) {
                    // Not yet due, or it would have been returned above.
                    (Some(b), Some((start, done))) => b.due(start, done).saturating_sub(elapsed),
                    (Some(_), None) => self.next_burst.saturating_sub(elapsed),
                    (None, _) => ahead,
                };
                return Step::Wait(ahead.min(until_burst));
            }
        }
        self.paced += 1;
        Step::Paced
    }
}

/// Where [`pump`] puts generated records.
trait Sink {
    /// Why the sink failed.
    type Error;

    /// Takes one record (no trailing newline); `burst` when it belongs to a burst. `Ok(false)`
    /// stops the pump.
    ///
    /// # Errors
    /// The record cannot be written.
    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, Self::Error>;

    /// Nothing is due for a while: the moment to flush buffered output.
    ///
    /// # Errors
    /// Flushing failed.
    fn idle(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A sink borrowed for one pump (so that its owner can flush it afterwards).
impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;

    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, Self::Error> {
        (**self).put(record, burst)
    }

    fn idle(&mut self) -> Result<(), Self::Error> {
        (**self).idle()
    }
}

/// [`pump`], enriching each record on the way when `enricher` is given.
///
/// # Errors
/// The sink fails.
fn pump_records<S: Sink>(
    generator: &mut Generator,
    schedule: &mut Schedule,
    sink: &mut S,
    enricher: Option<&Arc<Enricher>>,
    stop: &CancellationToken,
) -> Result<(), S::Error> {
    match enricher {
        Some(e) => pump(
            generator,
            schedule,
            &mut Enriching::new(sink, Arc::clone(e)),
            stop,
        ),
        None => pump(generator, schedule, sink, stop),
    }
}

/// Generates records into `sink` as `schedule` says, until it is done, `stop` is cancelled or
/// the sink asks to stop.
///
/// # Errors
/// The sink fails.
fn pump<S: Sink>(
    generator: &mut Generator,
    schedule: &mut Schedule,
    sink: &mut S,
    stop: &CancellationToken,
) -> Result<(), S::Error> {
    let mut buf = Vec::with_capacity(4096);
    let started = Instant::now();
    // Reading the clock costs a few percent of an unpaced run.
    let timed = schedule.is_timed();
    while !stop.is_cancelled() {
        let elapsed = if timed {
            let elapsed = started.elapsed();
            // A clock started at the current time stays with it, however slow the rate.
            generator.keep_up(elapsed);
            elapsed
        } else {
            Duration::ZERO
        };
        match schedule.next(elapsed) {
            Step::Done => break,
            Step::Wait(wait) => {
                sink.idle()?;
                std::thread::sleep(wait.min(MAX_NAP));
            }
            Step::Paced => {
                buf.clear();
                generator.next_record(&mut buf);
                if !sink.put(&buf, false)? {
                    break;
                }
            }
            Step::Burst(size) => {
                for _ in 0..size {
                    buf.clear();
                    generator.record_with_code(schedule.burst_code(), &mut buf);
                    if !sink.put(&buf, true)? {
                        return Ok(());
                    }
                }
            }
        }
    }
    Ok(())
}

/// A [`Sink`] that enriches each record before handing it on, so that the records are what
/// `run` would publish. Records the enricher cannot read are handed on unchanged, as `run`
/// dead-letters or passes them.
#[derive(Debug)]
struct Enriching<S> {
    inner: S,
    enricher: Arc<Enricher>,
    out: Vec<u8>,
}

impl<S> Enriching<S> {
    /// Wraps `inner`.
    fn new(inner: S, enricher: Arc<Enricher>) -> Self {
        Self {
            inner,
            enricher,
            out: Vec::with_capacity(8192),
        }
    }
}

impl<S: Sink> Sink for Enriching<S> {
    type Error = S::Error;

    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, Self::Error> {
        self.out.clear();
        match self.enricher.enrich(record, &mut self.out) {
            Outcome::Invalid(_) => self.inner.put(record, burst),
            _ => self.inner.put(&self.out, burst),
        }
    }

    fn idle(&mut self) -> Result<(), Self::Error> {
        self.inner.idle()
    }
}

/// A [`Sink`] that hands each record on as a line of the vendor's CSV or TSV template for its
/// log type; a record without one (no known log type, not valid JSON) is handed on as it is.
#[derive(Debug)]
struct Rendering<S> {
    inner: S,
    template: LineFormat,
    /// Tells the log type of a record.
    reader: LineReader,
    scratch: Vec<u8>,
    line: Vec<u8>,
}

impl<S> Rendering<S> {
    /// Wraps `inner`; `template` is `Csv` or `Tsv`.
    fn new(inner: S, template: LineFormat) -> Self {
        Self {
            inner,
            template,
            reader: LineReader::new(LineFormat::Json, None),
            scratch: Vec::with_capacity(4096),
            line: Vec::with_capacity(4096),
        }
    }
}

impl<S: Sink> Sink for Rendering<S> {
    type Error = S::Error;

    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, Self::Error> {
        self.scratch.clear();
        self.line.clear();
        let rendered = self
            .reader
            .read(record, &mut self.scratch)
            .ok()
            .is_some_and(|l| render(l.log_type, self.template, record, &mut self.line).is_ok());
        if rendered {
            self.inner.put(&self.line, burst)
        } else {
            self.inner.put(record, burst)
        }
    }

    fn idle(&mut self) -> Result<(), Self::Error> {
        self.inner.idle()
    }
}

/// Lines into a writer, flushed whenever the schedule waits.
#[derive(Debug)]
struct Lines<W>(W);

impl<W: Write> Sink for Lines<W> {
    type Error = io::Error;

    fn put(&mut self, record: &[u8], _burst: bool) -> io::Result<bool> {
        self.0.write_all(record)?;
        self.0.write_all(b"\n")?;
        Ok(true)
    }

    fn idle(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests;
