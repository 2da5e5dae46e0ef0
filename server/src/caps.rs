//! Places counted in all and by holder (a client address, an account), each given back when
//! its holder lets go: what caps connections and report streams alike.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// At most `cap` places taken at once, and `cap_per_holder` by one holder (0: no such cap).
pub(crate) struct Caps<K: Hash + Eq + Clone> {
    taken: Arc<Mutex<Taken<K>>>,
}

struct Taken<K> {
    all: usize,
    by_holder: HashMap<K, usize>,
    cap: usize,
    cap_per_holder: usize,
}

/// One place, given back when dropped.
pub(crate) struct Place<K: Hash + Eq + Clone> {
    taken: Arc<Mutex<Taken<K>>>,
    holder: K,
}

impl<K: Hash + Eq + Clone> Caps<K> {
    pub(crate) fn new(cap: usize, cap_per_holder: usize) -> Self {
        Caps {
            taken: Arc::new(Mutex::new(Taken {
                all: 0,
                by_holder: HashMap::new(),
                cap,
                cap_per_holder,
            })),
        }
    }

    /// A place for `holder`, if the caps leave one.
    pub(crate) fn take(&self, holder: &K) -> Option<Place<K>> {
        let mut t = lock(&self.taken);
        let mine = t.by_holder.get(holder).copied().unwrap_or(0);
        if t.all >= t.cap || (t.cap_per_holder > 0 && mine >= t.cap_per_holder) {
            return None;
        }
        t.all += 1;
        t.by_holder.insert(holder.clone(), mine + 1);
        Some(Place {
            taken: self.taken.clone(),
            holder: holder.clone(),
        })
    }
}

impl<K: Hash + Eq + Clone> Clone for Caps<K> {
    fn clone(&self) -> Self {
        Caps {
            taken: self.taken.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone> Drop for Place<K> {
    fn drop(&mut self) {
        let mut t = lock(&self.taken);
        t.all = t.all.saturating_sub(1);
        if let Some(n) = t.by_holder.get_mut(&self.holder) {
            *n -= 1;
            if *n == 0 {
                t.by_holder.remove(&self.holder);
            }
        }
    }
}

fn lock<K>(taken: &Mutex<Taken<K>>) -> std::sync::MutexGuard<'_, Taken<K>> {
    // Counts only: a panic elsewhere leaves them usable.
    taken
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
