//! A bounded map of values kept for the life of the process: parsed quiz definitions, rendered
//! quiz texts, cached course pages. Keys come from content (a hash, a text of a course), so
//! the map rarely fills; should it pass its capacity it is emptied, and what is still in use
//! is rebuilt on the next request.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Memo<V> {
    capacity: usize,
    map: Mutex<HashMap<String, V>>,
}

impl<V: Clone> Memo<V> {
    pub fn new(capacity: usize) -> Self {
        Memo {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.map.lock().ok()?.get(key).cloned()
    }

    /// Keep `value` under `key`, emptying the map first when it is full and `key` is new.
    pub fn insert(&self, key: String, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity && !map.contains_key(&key) {
                map.clear();
            }
            map.insert(key, value);
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_keeps_values_and_stays_within_its_capacity() {
        let memo = Memo::new(3);
        for i in 0..10 {
            memo.insert(format!("k{i}"), i);
            assert!(memo.len() <= 3);
        }
        assert_eq!(memo.get("k9"), Some(9));
        assert_eq!(memo.get("k0"), None);
        memo.insert("k9".into(), 90);
        assert_eq!(memo.get("k9"), Some(90));
    }
}
