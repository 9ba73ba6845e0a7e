//! The standard `process_*` metrics of the Prometheus client libraries, read from `/proc` at
//! each scrape (Linux).
//!
//! The prometheus crate has a collector for these, but it counts CPU time in whole seconds, so
//! `rate(process_cpu_seconds_total[1m])` of a service using a tenth of a core reads 0 most of
//! the time and 1/60 now and then. This one keeps the clock ticks' resolution (10 ms).

use std::fs;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Counter, Gauge, Opts};

/// What `/proc/self/stat` says, in the units of the metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    cpu_seconds: f64,
    threads: f64,
    start_ticks: f64,
    virtual_bytes: f64,
    resident_pages: f64,
}

/// Parses `/proc/self/stat` (see proc(5)); `None` if it is not in the expected shape.
fn parse_stat(text: &str, ticks_per_second: f64) -> Option<Stat> {
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself:
    // the fields after it start after the last ')'. Field 3 (state) is then at index 0.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse().ok() };
    Some(Stat {
        cpu_seconds: (field(14)? + field(15)?) / ticks_per_second,
        threads: field(20)?,
        start_ticks: field(22)?,
        virtual_bytes: field(23)?,
        resident_pages: field(24)?,
    })
}

/// The soft limit on open files from `/proc/self/limits`.
fn parse_max_fds(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The boot time in seconds since the epoch, from `/proc/stat`.
fn parse_boot_time(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// Collects the `process_*` metrics of this process.
#[derive(Debug)]
pub(super) struct ProcessMetrics {
    cpu: Counter,
    open_fds: Gauge,
    max_fds: Gauge,
    virtual_memory: Gauge,
    resident_memory: Gauge,
    start_time: Gauge,
    threads: Gauge,
    descs: Vec<Desc>,
    ticks_per_second: f64,
    page_size: f64,
    boot_time: Option<f64>,
}

impl ProcessMetrics {
    /// The collector; nothing is read before the first scrape.
    ///
    /// # Errors
    /// Never in practice: the metric names and help texts are valid.
    pub(super) fn new() -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| Gauge::with_opts(Opts::new(name, help));
        let cpu = Counter::with_opts(Opts::new(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
        ))?;
        let open_fds = gauge("process_open_fds", "Number of open file descriptors.")?;
        let max_fds = gauge(
            "process_max_fds",
            "Maximum number of open file descriptors.",
        )?;
        let virtual_memory = gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
        )?;
        let resident_memory = gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
        )?;
        let start_time = gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
        )?;
        let threads = gauge("process_threads", "Number of OS threads in the process.")?;
        let mut descs = Vec::new();
        descs.extend(cpu.desc().into_iter().cloned());
        for g in [
            &open_fds,
            &max_fds,
            &virtual_memory,
            &resident_memory,
            &start_time,
            &threads,
        ] {
            descs.extend(g.desc().into_iter().cloned());
        }
        #[allow(clippy::cast_precision_loss)] // Both are small integers.
        let (ticks_per_second, page_size) = (
            rustix::param::clock_ticks_per_second() as f64,
            rustix::param::page_size() as f64,
        );
        Ok(Self {
            cpu,
            open_fds,
            max_fds,
            virtual_memory,
            resident_memory,
            start_time,
            threads,
            descs,
            ticks_per_second,
            page_size,
            boot_time: fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|t| parse_boot_time(&t)),
        })
    }
}

impl Collector for ProcessMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut out = Vec::with_capacity(self.descs.len());
        if let Some(stat) = fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|t| parse_stat(&t, self.ticks_per_second))
        {
            // A counter only goes up: add what was used since the last scrape.
            let delta = stat.cpu_seconds - self.cpu.get();
            if delta > 0.0 {
                self.cpu.inc_by(delta);
            }
            out.extend(self.cpu.collect());
            self.threads.set(stat.threads);
            self.virtual_memory.set(stat.virtual_bytes);
            self.resident_memory
                .set(stat.resident_pages * self.page_size);
            out.extend(self.threads.collect());
            out.extend(self.virtual_memory.collect());
            out.extend(self.resident_memory.collect());
            if let Some(boot) = self.boot_time {
                self.start_time
                    .set(boot + stat.start_ticks / self.ticks_per_second);
                out.extend(self.start_time.collect());
            }
        }
        if let Ok(dir) = fs::read_dir("/proc/self/fd") {
            #[allow(clippy::cast_precision_loss)] // Far below 2^52 descriptors.
            self.open_fds.set(dir.count() as f64);
            out.extend(self.open_fds.collect());
        }
        if let Some(max) = fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|t| parse_max_fds(&t))
        {
            self.max_fds.set(max);
            out.extend(self.max_fds.collect());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_command_name() {
        // A command name with a space and a parenthesis, as proc(5) allows.
        let text = "4242 (zpa (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    153 47 0 0 20 0 9 0 1234 987654321 2048 18446744073709551615";
        let s = parse_stat(text, 100.0).unwrap();
        assert!((s.cpu_seconds - 2.0).abs() < 1e-9, "{s:?}");
        assert!((s.threads - 9.0).abs() < f64::EPSILON);
        assert!((s.start_ticks - 1234.0).abs() < f64::EPSILON);
        assert!((s.virtual_bytes - 987_654_321.0).abs() < f64::EPSILON);
        assert!((s.resident_pages - 2048.0).abs() < f64::EPSILON);
        assert_eq!(parse_stat("garbage", 100.0), None);
        assert_eq!(parse_stat("1 (x) S 1 2", 100.0), None);
    }

    #[test]
    fn limits_and_boot_time_parse() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max cpu time              unlimited            unlimited            seconds\n\
                      Max open files            1048576              1048576              files\n";
        assert_eq!(parse_max_fds(limits), Some(1_048_576.0));
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1764000000\n"),
            Some(1.764e9)
        );
    }

    #[test]
    fn cpu_time_has_sub_second_resolution() {
        let p = ProcessMetrics::new().unwrap();
        // Burn a little CPU: well under a second, but several clock ticks.
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(150) {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let families = p.collect();
        let cpu = families
            .iter()
            .find(|f| f.name() == "process_cpu_seconds_total")
            .unwrap();
        let value = cpu.get_metric()[0].get_counter().value();
        assert!(value > 0.0, "{value}");
        assert!(value.fract() != 0.0 || value >= 1.0, "{value}");
        let names: Vec<&str> = families.iter().map(MetricFamily::name).collect();
        for name in [
            "process_open_fds",
            "process_max_fds",
            "process_virtual_memory_bytes",
            "process_resident_memory_bytes",
            "process_start_time_seconds",
            "process_threads",
        ] {
            assert!(names.contains(&name), "{name} missing: {names:?}");
        }
    }
}
