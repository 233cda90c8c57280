//! What the alerts remember across restarts: each alarm's state (so a
//! restart does not announce an alarm that was already firing as a new
//! one), the rules added through the API, and the recent deliveries with
//! their failures, in a JSON file of the data directory.
//!
//! The file is rewritten whole, through a temporary file and a rename, at
//! most once a second and only after a change: alarm changes are rare and
//! deliveries are bounded ([`super::deliver`] keeps the last few hundred),
//! so a storm of deliveries costs one small write a second.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use super::{AlarmState, Alerts};

const SAVE_EVERY: Duration = Duration::from_secs(1);

impl Alerts {
    /// Restores what `path` holds (alarm states by alarm name, recent
    /// deliveries), then keeps it up to date there while the runtime runs.
    /// A missing file starts afresh; an unreadable one is named and left
    /// as it is (it is replaced at the next change).
    pub fn remember_in(self: &Arc<Self>, path: PathBuf) {
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(saved) => self.restore(&saved),
                Err(e) => eprintln!(
                    "stepyard: the alerts' saved state {} is not valid JSON ({e}); starting afresh",
                    path.display()
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => eprintln!("stepyard: cannot read the alerts' saved state {}: {e}", path.display()),
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAVE_EVERY);
            loop {
                tick.tick().await;
                let alarms = this.alarms_changed.swap(false, Ordering::Relaxed);
                let deliveries = this.deliveries.changed.swap(false, Ordering::Relaxed);
                if (alarms || deliveries)
                    && let Err(e) = save(&path, &this.snapshot())
                {
                    eprintln!("stepyard: cannot save the alerts' state to {}: {e}", path.display());
                }
            }
        });
    }

    fn restore(&self, saved: &Value) {
        let mut statuses = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        for (spec, status) in self.file.alarms.iter().zip(statuses.iter_mut()) {
            let kept = &saved["alarms"][&spec.name];
            if let (Some(state), Some(since)) = (
                kept["state"].as_str().and_then(AlarmState::parse),
                kept["since"].as_f64(),
            ) {
                status.state = state;
                status.reason = kept["reason"].as_str().unwrap_or_default().to_owned();
                status.since = since;
            }
        }
        drop(statuses);
        if let Some(list) = saved["deliveries"].as_array() {
            self.deliveries.restore(list.clone());
        }
        for rule in saved["rules"].as_array().into_iter().flatten() {
            if let Err(e) = self.put_rule(rule) {
                eprintln!("stepyard: a saved alert rule is no longer accepted: {}", e);
            }
        }
    }

    fn snapshot(&self) -> Value {
        let statuses = self.alarms.lock().unwrap_or_else(|e| e.into_inner());
        let alarms: serde_json::Map<String, Value> = self
            .file
            .alarms
            .iter()
            .zip(statuses.iter())
            .map(|(spec, s)| {
                (
                    spec.name.clone(),
                    json!({"state": s.state.as_str(), "reason": s.reason, "since": s.since}),
                )
            })
            .collect();
        drop(statuses);
        // Oldest first, as they are restored.
        let mut deliveries = self.deliveries.recent();
        deliveries.reverse();
        let rules: Vec<Value> = self
            .added
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(_, json)| json.clone())
            .collect();
        json!({"alarms": alarms, "deliveries": deliveries, "rules": rules})
    }
}

fn save(path: &Path, state: &Value) -> std::io::Result<()> {
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, state.to_string())?;
    std::fs::rename(&temporary, path)
}
