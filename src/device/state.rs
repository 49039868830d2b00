//! A device's state: a JSON object, changed by what the device applies or
//! reports, and watched by `wait` nodes.

use std::cell::{Cell, RefCell};

use serde_json::{Map, Value};
use tokio::sync::Notify;

/// One device's state. A change is *pending* until the interpreter
/// publishes it (after the `message_end` that caused it, so that the events
/// of one instant come in the spec's order), which wakes its waits.
#[derive(Default)]
pub struct State {
    value: RefCell<Map<String, Value>>,
    pending: Cell<bool>,
    published: Notify,
}

impl State {
    pub fn new(start: Map<String, Value>) -> Self {
        State {
            value: RefCell::new(start),
            ..State::default()
        }
    }

    /// Deep-merges `patch` into the state (objects key by key, anything
    /// else replaces); a merge that changes nothing is no change.
    pub fn merge(&self, patch: &Map<String, Value>) {
        let mut value = self.value.borrow_mut();
        let before = value.clone();
        merge(&mut value, patch);
        if *value != before {
            self.pending.set(true);
        }
    }

    /// Replaces the state (a real device's report).
    pub fn replace(&self, new: Map<String, Value>) {
        let mut value = self.value.borrow_mut();
        if *value != new {
            *value = new;
            self.pending.set(true);
        }
    }

    /// The new state, once, if it changed since last published; wakes
    /// the waits on it.
    pub fn publish(&self) -> Option<Map<String, Value>> {
        if !self.pending.replace(false) {
            return None;
        }
        self.published.notify_waiters();
        Some(self.value.borrow().clone())
    }

    /// The state as it is now, published or not.
    pub fn snapshot(&self) -> Map<String, Value> {
        self.value.borrow().clone()
    }

    /// Whether the state holds every field of `wanted`.
    pub fn contains(&self, wanted: &Map<String, Value>) -> bool {
        contains_map(&self.value.borrow(), wanted)
    }

    /// Resolves at the next published change. Made before checking the
    /// state, so that no change can slip between the check and the wait.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.published.notified()
    }
}

/// Deep-merges `patch` into `target`: objects key by key, anything else
/// replaces. (Also what `check`'s estimate applies to foresee a state.)
pub fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, new) in patch {
        match (target.get_mut(key), new) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                target.insert(key.clone(), new.clone());
            }
        }
    }
}

/// The deep-subset rule: every field of `wanted` is in `state`, objects
/// compared field by field, numbers as numbers (`100` is `100.0`),
/// anything else (arrays included) whole.
pub fn contains(state: &Value, wanted: &Value) -> bool {
    match (state, wanted) {
        (Value::Object(state), Value::Object(wanted)) => contains_map(state, wanted),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn contains_map(state: &Map<String, Value>, wanted: &Map<String, Value>) -> bool {
    wanted
        .iter()
        .all(|(key, want)| state.get(key).is_some_and(|have| contains(have, want)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn merges_deeply_and_compares_as_a_subset() {
        let state = State::new(map(
            json!({"color": {"hex": "#000000", "x": 1}, "state": "OFF"}),
        ));
        state.merge(&map(json!({"color": {"hex": "#FF8800"}, "state": "ON"})));
        assert_eq!(
            state.publish(),
            Some(map(
                json!({"color": {"hex": "#FF8800", "x": 1}, "state": "ON"})
            ))
        );
        state.merge(&map(json!({"state": "ON"})));
        assert_eq!(state.publish(), None, "a merge that changes nothing");
        assert!(state.contains(&map(json!({"color": {"x": 1.0}}))));
        assert!(!state.contains(&map(json!({"color": {"x": 2}}))));
        assert!(!state.contains(&map(json!({"brightness": 1}))));
        assert!(contains(&json!([1, 2]), &json!([1, 2])));
        assert!(!contains(&json!([1, 2, 3]), &json!([1, 2])));
    }
}
