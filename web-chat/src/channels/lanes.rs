//! One lane per sender: the messages of one person are handled one at a time, in the order they
//! arrived (a confirmation after the question it answers), while different people are served at
//! once. A lane's worker ends after a quiet moment. While it handles a message, a worker holds the
//! server's `live` sender, so a stopping server waits for that message (and only for it).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How long an idle lane waits for a next message before its worker ends.
const IDLE: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Lanes {
    lanes: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>>,
    live: mpsc::WeakSender<()>,
}

impl Lanes {
    pub fn new(live: mpsc::WeakSender<()>) -> Self {
        Lanes {
            lanes: Arc::default(),
            live,
        }
    }

    /// Runs `job` after the jobs already queued under `key`.
    pub fn push(&self, key: String, job: impl Future<Output = ()> + Send + 'static) {
        let mut job: Job = Box::pin(job);
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lane) = lanes.get(&key) {
            match lane.send(job) {
                Ok(()) => return,
                // The worker is gone: start another below.
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(job);
        lanes.insert(key.clone(), tx);
        drop(lanes);
        tokio::spawn(self.clone().work(key, rx));
    }

    async fn work(self, key: String, mut rx: mpsc::UnboundedReceiver<Job>) {
        loop {
            match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(job)) => self.run(job).await,
                Ok(None) => return,
                Err(_) => {
                    // Quiet: leave, unless a job came in meanwhile (checked under the lock, so
                    // no job is sent to a lane that is ending).
                    let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
                    match rx.try_recv() {
                        Ok(job) => {
                            drop(lanes);
                            self.run(job).await;
                        }
                        Err(_) => {
                            lanes.remove(&key);
                            return;
                        }
                    }
                }
            }
        }
    }
}

impl Lanes {
    async fn run(&self, job: Job) {
        let _live = self.live.upgrade();
        job.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_sender_in_order_and_senders_at_once() {
        let (live, mut drained) = mpsc::channel::<()>(1);
        let lanes = Lanes::new(live.downgrade());
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let seen = seen.clone();
            lanes.push("a".into(), async move {
                // Later jobs are quicker: only the lane keeps them in order.
                tokio::time::sleep(Duration::from_millis(5 * (5 - i))).await;
                seen.lock().unwrap().push(format!("a{i}"));
            });
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        lanes.push("b".into(), async move {
            let _ = tx.send(());
        });
        // "b" does not wait behind "a".
        tokio::time::timeout(Duration::from_millis(20), rx)
            .await
            .unwrap()
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        lanes.push("a".into(), async move {
            let _ = tx.send(());
        });
        rx.await.unwrap();
        assert_eq!(*seen.lock().unwrap(), ["a0", "a1", "a2", "a3", "a4"]);
        // Idle workers do not hold the server up.
        drop(live);
        assert_eq!(drained.recv().await, None);
    }
}
