//! A progress bar on stderr for long operations on large files: only when
//! stderr is a terminal and --quiet is not given, never in pipes or
//! scripts.

use std::io::Read;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this finish before a bar would help.
pub const THRESHOLD: u64 = 8 << 20;

/// The bar stays hidden until this much has been read, so that it never
/// draws over a passphrase prompt (asked after the message's first
/// packets are read).
const SHOW_AFTER: u64 = 4 << 20;

/// Wraps `inner` (a file of `len` bytes) in a reader that advances a bar,
/// when the conditions hold; else returns it unchanged.
pub fn wrap(
    inner: Box<dyn Read + Send + Sync>,
    len: u64,
    printer: crate::printer::Printer,
) -> Box<dyn Read + Send + Sync> {
    if !printer.may_draw() || len < THRESHOLD {
        return inner;
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Box::new(ProgressReader {
        inner,
        bar,
        shown: false,
    })
}

struct ProgressReader {
    inner: Box<dyn Read + Send + Sync>,
    bar: ProgressBar,
    shown: bool,
}

impl Read for ProgressReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if !self.shown && self.bar.position() >= SHOW_AFTER {
            self.shown = true;
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
        Ok(n)
    }
}

impl Drop for ProgressReader {
    /// The bar leaves no trace: the report or the error comes next.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
