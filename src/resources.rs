//! What the machine lets this process use: memory (free memory, the
//! cgroup's limit as set by a container or SLURM's `--mem`, and the
//! process's rlimits as set by `ulimit`) and the CPU time it has used.
//!
//! The executor reads these before it allocates anything, so a run that
//! cannot fit is refused up front rather than killed mid-allocation.

use std::path::Path;

/// Memory the process can still allocate, and what limits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Bytes; `None` where nothing could be read (the run is not checked).
    pub available: Option<u64>,
    /// Which limit is the tightest, in words.
    pub limited_by: &'static str,
}

impl Memory {
    /// The tightest of free memory, the cgroup limits and the rlimits.
    pub fn detect() -> Memory {
        let mut candidates: Vec<(u64, &'static str)> = Vec::new();
        if let Some(free) = read("/proc/meminfo").and_then(|t| mem_available(&t)) {
            candidates.push((free, "free memory"));
        }
        if let Some(room) = cgroup_room() {
            candidates.push((
                room,
                "the cgroup's memory limit (a container or a scheduler's --mem)",
            ));
        }
        candidates.extend(rlimit_room());
        Memory::tightest(&candidates)
    }

    /// A fixed amount (tests, and callers that know better).
    pub fn fixed(bytes: u64) -> Memory {
        Memory {
            available: Some(bytes),
            limited_by: "as given",
        }
    }

    fn tightest(candidates: &[(u64, &'static str)]) -> Memory {
        match candidates.iter().min_by_key(|(bytes, _)| *bytes) {
            Some(&(bytes, why)) => Memory {
                available: Some(bytes),
                limited_by: why,
            },
            None => Memory {
                available: None,
                limited_by: "unknown",
            },
        }
    }
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    // Kernel files, small and regular; never a pipe.
    let path = path.as_ref();
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// A limit file's value: bytes, or `None` for no limit ("max", or the
/// huge number cgroup v1 writes for none).
fn limit_value(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "max" {
        return None;
    }
    let v: u64 = text.parse().ok()?;
    // cgroup v1 says "no limit" with a page-rounded i64::MAX.
    (v < (1u64 << 62)).then_some(v)
}

/// The cgroup paths of this process: (v2 path, v1 memory-controller path).
fn cgroup_paths(proc_self_cgroup: &str) -> (Option<String>, Option<String>) {
    let mut v2 = None;
    let mut v1 = None;
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2 = Some(path.to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            v1 = Some(path.to_string());
        }
    }
    (v2, v1)
}

/// Room left under the tightest memory limit of this process's cgroup and
/// its ancestors (v2), or of its memory cgroup (v1).
fn cgroup_room() -> Option<u64> {
    let (v2, v1) = cgroup_paths(&read("/proc/self/cgroup")?);
    let mut rooms = Vec::new();
    if let Some(path) = v2 {
        // Every ancestor's limit applies too.
        let mut dir = Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
        loop {
            if let (Some(max), Some(current)) = (
                read(dir.join("memory.max")).and_then(|t| limit_value(&t)),
                read(dir.join("memory.current")).and_then(|t| t.trim().parse::<u64>().ok()),
            ) {
                rooms.push(max.saturating_sub(current));
            }
            if dir == Path::new("/sys/fs/cgroup") || !dir.pop() {
                break;
            }
        }
    }
    if let Some(path) = v1 {
        let dir = Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'));
        if let (Some(max), Some(used)) = (
            read(dir.join("memory.limit_in_bytes")).and_then(|t| limit_value(&t)),
            read(dir.join("memory.usage_in_bytes")).and_then(|t| t.trim().parse::<u64>().ok()),
        ) {
            rooms.push(max.saturating_sub(used));
        }
    }
    rooms.into_iter().min()
}

/// Room under the address-space and data-segment rlimits (`ulimit -v`,
/// `ulimit -d`), from what the process already uses (/proc/self/statm).
#[cfg(unix)]
fn rlimit_room() -> Vec<(u64, &'static str)> {
    // SAFETY: sysconf only reads a configuration value.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as u64,
        _ => 4096,
    };
    let statm = read("/proc/self/statm");
    let field = |i: usize| -> Option<u64> {
        let pages: u64 = statm.as_ref()?.split_whitespace().nth(i)?.parse().ok()?;
        Some(pages.saturating_mul(page))
    };
    let limit = |resource| -> Option<u64> {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit into the struct we own.
        let ok = unsafe { libc::getrlimit(resource, &mut rl) } == 0;
        // rlim_t is not u64 on every platform.
        #[allow(clippy::unnecessary_cast)]
        let current = rl.rlim_cur as u64;
        (ok && rl.rlim_cur != libc::RLIM_INFINITY).then_some(current)
    };
    let mut out = Vec::new();
    if let Some(max) = limit(libc::RLIMIT_AS) {
        out.push((
            max.saturating_sub(field(0).unwrap_or(0)),
            "the process's address-space limit (ulimit -v)",
        ));
    }
    if let Some(max) = limit(libc::RLIMIT_DATA) {
        out.push((
            max.saturating_sub(field(5).unwrap_or(0)),
            "the process's data-segment limit (ulimit -d)",
        ));
    }
    out
}

#[cfg(not(unix))]
fn rlimit_room() -> Vec<(u64, &'static str)> {
    Vec::new()
}

/// CPU seconds (user and system, all threads) the process has used so far.
#[cfg(unix)]
pub fn process_cpu_seconds() -> Option<f64> {
    // SAFETY: getrusage fills the struct we own; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to that struct.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

#[cfg(not(unix))]
pub fn process_cpu_seconds() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_and_limit_files_are_read_in_bytes() {
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n";
        assert_eq!(mem_available(meminfo), Some(1_024_000));
        assert_eq!(limit_value("max\n"), None);
        assert_eq!(limit_value("9223372036854771712\n"), None);
        assert_eq!(limit_value("2147483648\n"), Some(2 << 30));
        assert_eq!(limit_value("junk"), None);
    }

    #[test]
    fn cgroup_paths_of_v1_and_v2() {
        let v2 = "0::/user.slice/session-1.scope\n";
        assert_eq!(
            cgroup_paths(v2),
            (Some("/user.slice/session-1.scope".into()), None)
        );
        let v1 = "12:cpu,cpuacct:/slurm/uid_1/job_7\n9:memory:/slurm/uid_1/job_7\n";
        assert_eq!(cgroup_paths(v1), (None, Some("/slurm/uid_1/job_7".into())));
    }

    #[test]
    fn the_tightest_limit_wins_and_says_which_it_is() {
        let m = Memory::tightest(&[(10, "free memory"), (4, "the cgroup")]);
        assert_eq!(m.available, Some(4));
        assert_eq!(m.limited_by, "the cgroup");
        assert_eq!(Memory::tightest(&[]).available, None);
    }

    #[cfg(unix)]
    #[test]
    fn cpu_time_is_read_and_grows() {
        let before = process_cpu_seconds().expect("getrusage works on unix");
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        let after = process_cpu_seconds().expect("getrusage works on unix");
        assert!(after > before, "{before} then {after}");
    }
}
