//! One work queue over every core: the generator's parallel stages (typing the document,
//! formatting the crate) hand their jobs to it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work(i)` for every `i < jobs`, in order of `i` across the machine's cores (each
/// thread takes the next job when done), the results in job order. Put the biggest jobs
/// first, so that no core is left alone with one at the end. A job that panicked (a bug)
/// leaves its panic message in its place, whichever thread ran it; the others' results
/// stand.
pub fn map_jobs<T: Send>(
    jobs: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<Result<T, Panicked>> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs);
    let run = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= jobs {
                return done;
            }
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i)));
            done.push((i, result.map_err(Panicked::from_payload)));
        }
    };
    let mut results: Vec<Result<T, Panicked>> = (0..jobs)
        .map(|_| Err(Panicked("a worker thread died".to_owned())))
        .collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(run)).collect();
        let mut all = run();
        for helper in helpers {
            all.extend(helper.join().unwrap_or_default());
        }
        for (i, result) in all {
            results[i] = result;
        }
    });
    results
}

/// What a panicking job said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked(pub String);

impl Panicked {
    fn from_payload(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Panicked(message)
    }
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the generator panicked ({})", self.0)
    }
}

/// Drops `value` on a thread of its own: freeing a large tree (the document's JSON, its
/// typed form, the IR) is milliseconds of work nothing waits for.
pub fn drop_aside<T: Send + 'static>(value: T) {
    // Where no thread can be made, it is dropped here, on its way out of the closure.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_job_order() {
        let squares = super::map_jobs(100, |i| i * i);
        let expected: Vec<Result<usize, super::Panicked>> = (0..100).map(|i| Ok(i * i)).collect();
        assert_eq!(squares, expected);
        assert!(super::map_jobs(0, |i| i).is_empty());
    }

    #[test]
    fn a_panicking_job_leaves_only_its_own_result_out() {
        let results = super::map_jobs(40, |i| {
            assert!(i != 7, "job 7 fails");
            i
        });
        assert!(results[7]
            .as_ref()
            .is_err_and(|p| p.0.contains("job 7 fails")));
        assert_eq!(results.iter().flatten().count(), 39);
    }
}
