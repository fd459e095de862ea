//! Decoding stored lines on worker threads while the reader goes on scanning the store:
//! for `traces show ID`, where reading the files and decoding the lines that hold the id
//! cost about the same, so the two overlap.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, PoisonError};
use std::thread;

use super::decode::decode;
use crate::span::Span;

/// Worker threads at most (each holds one decoded line at a time).
const MAX_WORKERS: usize = 8;

/// A line to decode, and where it was.
pub struct Job {
    pub file: usize,
    pub offset: u64,
    pub text: Vec<u8>,
    pub maybe_partial: bool,
}

/// A decoded line: its spans that were kept, and how many had an invalid id; or why it
/// could not be decoded.
pub struct Decoded {
    pub file: usize,
    pub offset: u64,
    pub maybe_partial: bool,
    pub result: Result<(Vec<Span>, usize), String>,
    seq: usize,
}

/// The caller's side of the pool.
pub struct Decoders {
    jobs: Sender<(usize, Job)>,
    results: Receiver<Decoded>,
    sent: usize,
    received: usize,
}

impl Decoders {
    pub fn send(&mut self, job: Job) {
        // Fails only when every worker is gone; `wait` then returns what came.
        if self.jobs.send((self.sent, job)).is_ok() {
            self.sent += 1;
        }
    }

    /// Waits for every line sent so far; returns them in the order they were sent.
    pub fn wait(&mut self) -> Vec<Decoded> {
        let mut done = Vec::with_capacity(self.sent - self.received);
        while self.received < self.sent {
            match self.results.recv() {
                Ok(decoded) => done.push(decoded),
                // Every worker is gone (one panicked): nothing more will come.
                Err(_) => break,
            }
            self.received += 1;
        }
        done.sort_by_key(|d| d.seq);
        done
    }
}

/// How many decoding threads a pool has: one a core, at most [`MAX_WORKERS`].
pub fn workers() -> usize {
    thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS)
}

/// Runs `body` with a pool of decoders that keep the spans `keep` accepts.
pub fn with_decoders<R>(
    keep: &(dyn Fn(&Span) -> bool + Sync),
    body: impl FnOnce(&mut Decoders) -> R,
) -> R {
    let workers = workers();
    let (job_tx, job_rx) = mpsc::channel::<(usize, Job)>();
    let job_rx = Mutex::new(job_rx);
    let (result_tx, result_rx) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..workers {
            let result_tx = result_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || {
                loop {
                    let job = job_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((seq, job)) = job else {
                        return;
                    };
                    let result = decode(&job.text)
                        .map(|(spans, invalid)| (spans.into_iter().filter(keep).collect(), invalid))
                        .map_err(|e| e.to_string());
                    let decoded = Decoded {
                        file: job.file,
                        offset: job.offset,
                        maybe_partial: job.maybe_partial,
                        result,
                        seq,
                    };
                    if result_tx.send(decoded).is_err() {
                        return;
                    }
                }
            });
        }
        drop(result_tx);
        let mut decoders = Decoders {
            jobs: job_tx,
            results: result_rx,
            sent: 0,
            received: 0,
        };
        let out = body(&mut decoders);
        // Closing the job channel (and dropping unread results) lets the workers end.
        drop(decoders);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope, to_request};
    use std::sync::Arc;

    #[test]
    fn lines_come_back_decoded_in_the_order_sent() {
        let line = |name: &str| {
            let span = Span::start(
                name,
                None,
                Arc::new(Resource::default()),
                Arc::new(Scope::default()),
            );
            serde_json::to_vec(&to_request(&[span])).unwrap()
        };
        let keep = |s: &Span| s.name != "dropped";
        let decoded = with_decoders(&keep, |decoders| {
            for (i, text) in [line("a"), b"{bad".to_vec(), line("dropped"), line("b")]
                .into_iter()
                .enumerate()
            {
                decoders.send(Job {
                    file: 0,
                    offset: i as u64,
                    text,
                    maybe_partial: false,
                });
            }
            decoders.wait()
        });
        let names: Vec<Result<Vec<String>, ()>> = decoded
            .into_iter()
            .map(|d| {
                d.result
                    .map(|(spans, _)| spans.into_iter().map(|s| s.name).collect())
                    .map_err(|_| ())
            })
            .collect();
        assert_eq!(
            names,
            [
                Ok(vec!["a".into()]),
                Err(()),
                Ok(vec![]),
                Ok(vec!["b".into()])
            ]
        );
    }
}
