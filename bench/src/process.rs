//! A server under test as a child process, and what the kernel accounts for it.

use anyhow::Context;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A child process killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub name: &'static str,
}

impl ServerProcess {
    /// Starts `command` with its output going to `log`.
    pub fn spawn(name: &'static str, mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {name} ({command:?})"))?;
        Ok(Self { child, name })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => anyhow::bail!("{} exited: {status}", self.name),
        }
    }

    pub fn usage(&self) -> anyhow::Result<Usage> {
        Usage::of(&self.pid().to_string())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system, every live thread) and resident memory of a process.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

impl Usage {
    /// `pid` is a number or `self`.
    pub fn of(pid: &str) -> anyhow::Result<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("reading /proc/{pid}/stat"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let ticks = cpu_ticks(&stat)?;
        let cpu_seconds = match live_threads_on_cpu(pid) {
            // Threads that ended are in the process's ticks only.
            Some((ns, live_ticks)) => {
                ns as f64 / 1e9 + (ticks - live_ticks).max(0.0) / clock_ticks_per_second()
            }
            None => ticks / clock_ticks_per_second(),
        };
        Ok(Self {
            cpu_seconds,
            rss_bytes: rss_kib(&status)? * 1024,
        })
    }
}

/// Nanoseconds on a CPU summed over the process's live threads (the first field of each
/// `/proc/PID/task/TID/schedstat`: the scheduler's own count, where `stat`'s clock ticks are
/// 10 ms, a tenth of what one viewer costs a server in a 10 s window), and the same threads'
/// clock ticks. `None` where the kernel keeps no such statistics.
fn live_threads_on_cpu(pid: &str) -> Option<(u64, f64)> {
    let (mut ns, mut ticks) = (0, 0.0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        // A thread that ended since the listing is simply gone.
        let (Ok(schedstat), Ok(stat)) = (
            std::fs::read_to_string(task.path().join("schedstat")),
            std::fs::read_to_string(task.path().join("stat")),
        ) else {
            continue;
        };
        ns += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
        ticks += cpu_ticks(&stat).ok()?;
    }
    Some((ns, ticks))
}

/// utime + stime (fields 14 and 15) in clock ticks. The command name (field 2) may hold spaces
/// and parentheses, so fields are counted after its last `)`.
fn cpu_ticks(stat: &str) -> anyhow::Result<f64> {
    let after_name = &stat[stat.rfind(')').context("no command name in stat")? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(n - 3)
            .context("a short stat line")?
            .parse::<u64>()? as f64)
    };
    Ok(field(14)? + field(15)?)
}

fn rss_kib(status: &str) -> anyhow::Result<u64> {
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS in status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("an empty VmRSS line")?
        .parse()?)
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_ticks_after_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (janus (x) y) S 1 2 3 4 5 6 7 8 9 10 250 125 0 0 20 0 15 0";
        assert_eq!(cpu_ticks(stat).unwrap(), 375.0);
        assert_eq!(
            rss_kib("Name:\tjanus\nVmRSS:\t  12345 kB\n").unwrap(),
            12345
        );
    }

    #[test]
    fn counts_this_processs_own_cpu_time_and_memory() {
        let before = Usage::of("self").unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = Usage::of("self").unwrap();
        assert!(after.rss_bytes > 1 << 20);
        let spent = after.cpu_seconds - before.cpu_seconds;
        assert!((0.1..0.5).contains(&spent), "{spent} s for 0.2 s of work");
    }
}
