//! Helpers for the threads the wrapper runs beside its command. A lock whose holder
//! panicked is still used, because the state behind every mutex here is plain data
//! (counters, lists) that a panic cannot leave half-changed in a way that matters more than
//! losing the run. A thread doing work nobody waits on yet lowers its own priority.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering it when an earlier holder panicked, so one panic never
/// turns into another.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lowers the calling thread's priority by `by` nice levels: on Linux a thread's nice
/// value is its own, and the threads it starts afterwards inherit it. Where that fails,
/// the thread runs as it was.
pub fn lower_priority(by: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority(2) on this thread's id changes only its scheduling weight.
    unsafe {
        let thread = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        libc::setpriority(libc::PRIO_PROCESS, thread, now + by);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = by;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let shared = std::sync::Arc::new(Mutex::new(1));
        let held = shared.clone();
        let _ = std::thread::spawn(move || {
            let _guard = held.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(shared.is_poisoned());
        *lock(&shared) += 1;
        assert_eq!(*lock(&shared), 2);
    }
}
