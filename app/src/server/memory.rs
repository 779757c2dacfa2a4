//! The allocator's share of the server's memory. glibc's malloc gives threads arenas of their own,
//! up to eight per core, and keeps what is freed in each for reuse: after a burst of work on many
//! threads (ingest on the writer, reads on blocking threads, a PDF report) the process keeps more
//! than it uses: a PDF report's 11-14 MB stayed until the next phase (BENCHMARKS.md, "Memory").
//! Elsewhere (musl, macOS, Windows) these do nothing.

/// Arenas at most: as many as cores, which the server's busy threads (tokio's workers, the writer)
/// number about; more only spread the same memory thinner.
#[allow(unsafe_code)] // one call into glibc
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt takes a parameter number and a value; M_ARENA_MAX only caps how many
        // arenas later threads may create. Called before the runtime starts its threads.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Hands what is freed back to the system, after a one-off job that needed much memory for a
/// moment (a PDF report: its fonts and pages, about 14 MB, freed when it is done).
#[allow(unsafe_code)] // one call into glibc
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
