//! The operating-system calls the safe core needs, kept here with the rest of the crate's
//! `unsafe`. This module imports nothing of the crate: the engine's lower layers may use it
//! without depending on the C membrane above them.

/// Marks the calling thread as background work (the engine's dispatcher and delivery
/// threads): on Linux `SCHED_BATCH`, which keeps the thread's fair share of the CPU (and its
/// nice value) but never lets it preempt a running thread when it wakes, so a page-serving
/// PHP worker on the same cores is not interrupted in the middle of its work each time an
/// answer arrives. Elsewhere, or where the kernel refuses, nothing changes.
pub fn background_thread() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid sched_param for the duration of the call; pid 0 is the
        // calling thread. The result is ignored: a refusal only costs latency.
        unsafe {
            libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        }
    }
}
