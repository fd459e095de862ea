//! Shared-state helpers: a lock whose holder panicked is still used, because the state
//! behind every mutex here is plain data (counters, lists) that a panic cannot leave
//! half-changed in a way that matters more than losing the run.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering it when an earlier holder panicked, so one panic never
/// turns into another.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
