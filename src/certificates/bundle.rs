//! A whole SME's certificates as one ZIP, streamed while it is built.
//!
//! - PDFs are rendered on every core (one worker thread each) and written to the archive in
//!   the SME's order, so the file is the same whatever finishes first.
//! - The archive goes out in chunks as entries are written (a streamed ZIP: sizes after each
//!   entry's data), so the first bytes leave once the first PDF is rendered, however many
//!   there are.
//! - Workers never run more than [`WINDOW`] certificates ahead of the writer, and chunks wait
//!   in a bounded channel: memory stays flat with the number of certificates.
//! - A certificate that fails to render is logged and left out; `README.txt`, last in the
//!   archive, names it. A client that goes away stops the work.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use tokio::sync::mpsc as chunks;
use zip::ZipWriter;

use super::store::CertRow;
use super::{pdf, pdf_data, zip as names};

/// How far rendering may run ahead of writing, per worker.
pub const WINDOW: usize = 2;
/// Bytes gathered before a chunk is sent (an entry's end also sends).
const CHUNK: usize = 64 * 1024;

/// Build the archive of `rows` on blocking threads; its bytes arrive on the receiver.
pub fn stream(rows: Vec<CertRow>, public_url: String) -> chunks::Receiver<Vec<u8>> {
    let (tx, rx) = chunks::channel(4);
    tokio::task::spawn_blocking(move || {
        let render =
            |row: &CertRow| pdf::render(&pdf_data(row, &public_url)).map_err(|e| e.to_string());
        if let Err(e) = write(&rows, render, ChannelWriter::new(tx)) {
            tracing::warn!(error = %e, "certificates ZIP not finished");
        }
    });
    rx
}

/// Render and write the archive of `rows` into `out` (blocking).
pub fn write<R, W>(rows: &[CertRow], render: R, out: W) -> zip::result::ZipResult<W>
where
    R: Fn(&CertRow) -> Result<Vec<u8>, String> + Sync,
    W: Write + Send,
{
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, rows.len().max(1));
    let window = workers * WINDOW;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many entries are written: workers wait while they would run `window` ahead.
    let written = (Mutex::new(0usize), Condvar::new());
    let (done_tx, done_rx) = mpsc::sync_channel::<(usize, Result<Vec<u8>, String>)>(window);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (next, stop, written, render) = (&next, &stop, &written, &render);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= rows.len() {
                    return;
                }
                let (lock, ready) = written;
                let mut count = lock.lock().unwrap_or_else(|e| e.into_inner());
                while i >= *count + window && !stop.load(Ordering::Relaxed) {
                    count = ready.wait(count).unwrap_or_else(|e| e.into_inner());
                }
                drop(count);
                if stop.load(Ordering::Relaxed) || done_tx.send((i, render(&rows[i]))).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let result = write_in_order(rows, &done_rx, &written, out);
        // Whatever happened, release the workers.
        stop.store(true, Ordering::Relaxed);
        written.1.notify_all();
        drop(done_rx);
        result
    })
}

fn write_in_order<W: Write>(
    rows: &[CertRow],
    done: &mpsc::Receiver<(usize, Result<Vec<u8>, String>)>,
    written: &(Mutex<usize>, Condvar),
    out: W,
) -> zip::result::ZipResult<W> {
    let mut zip = ZipWriter::new_stream(out);
    let mut namer = names::Namer::default();
    let mut early: BTreeMap<usize, Result<Vec<u8>, String>> = BTreeMap::new();
    let mut failed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let rendered = loop {
            if let Some(r) = early.remove(&i) {
                break r;
            }
            match done.recv() {
                Ok((j, r)) if j == i => break r,
                Ok((j, r)) => {
                    early.insert(j, r);
                }
                Err(_) => break Err("the renderer stopped".into()),
            }
        };
        match rendered {
            Ok(bytes) => {
                let date = pdf_data(row, "").completed_on;
                zip.start_file(
                    namer.name(&row.holder_name, &row.course_slug),
                    names::options(date),
                )?;
                zip.write_all(&bytes)?;
                zip.flush()?;
            }
            Err(e) => {
                tracing::error!(code = %row.code, error = %e, "certificate left out of the ZIP");
                failed.push(row.code.clone());
            }
        }
        let (lock, ready) = written;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = i + 1;
        ready.notify_all();
    }
    if let Some(readme) = names::failures_readme(&failed) {
        zip.start_file(readme.name.as_str(), names::options(readme.date))?;
        zip.write_all(&readme.bytes)?;
    }
    let mut out = zip.finish()?.into_inner();
    out.flush()?;
    Ok(out)
}

/// Sends what is written as chunks to the response; fails once the client is gone.
struct ChannelWriter {
    tx: chunks::Sender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn new(tx: chunks::Sender<Vec<u8>>) -> Self {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn row(i: usize) -> CertRow {
        CertRow {
            id: i as i64,
            completion_id: i as i64,
            code: format!("IBA-0000-{i:04}"),
            user_id: 1,
            course_id: 1,
            sme_id: 1,
            partner_id: 1,
            language: "en".into(),
            holder_name: format!("Learner {}", i % 7),
            sme_name: "SME".into(),
            partner_name: "Partner".into(),
            course_slug: format!("course-{}", i % 3),
            course_title: "Course".into(),
            completed_at: 1_767_225_600,
            completed_on: "2026-01-01".into(),
            score: None,
            issued_at: 1_767_225_600,
            revoked_at: None,
            revocation_reason: None,
            current_partner_id: 1,
        }
    }

    #[test]
    fn entries_come_in_order_and_a_failure_is_named_not_fatal() {
        let rows: Vec<CertRow> = (0..40).map(row).collect();
        let render = |r: &CertRow| {
            // Uneven work, so workers finish out of order.
            std::thread::sleep(std::time::Duration::from_millis((r.id % 5) as u64));
            if r.id == 13 {
                Err("broken font".to_string())
            } else {
                Ok(format!("pdf of {}", r.code).into_bytes())
            }
        };
        let bytes = write(&rows, render, Cursor::new(Vec::new()))
            .unwrap()
            .into_inner();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 40, "39 PDFs and the README");
        let mut namer = names::Namer::default();
        let expected: Vec<String> = rows
            .iter()
            .filter(|r| r.id != 13)
            .map(|r| namer.name(&r.holder_name, &r.course_slug))
            .collect();
        for (i, name) in expected.iter().enumerate() {
            let mut file = archive.by_index(i).unwrap();
            assert_eq!(file.name(), name);
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            assert!(text.starts_with("pdf of IBA-0000-"), "{text}");
        }
        let mut readme = String::new();
        archive
            .by_name("README.txt")
            .unwrap()
            .read_to_string(&mut readme)
            .unwrap();
        assert!(readme.contains("IBA-0000-0013"));
    }

    #[test]
    fn a_client_that_goes_away_stops_the_work() {
        let rows: Vec<CertRow> = (0..200).map(row).collect();
        let rendered = AtomicUsize::new(0);
        let render = |_: &CertRow| {
            rendered.fetch_add(1, Ordering::Relaxed);
            Ok(vec![7u8; 100_000])
        };
        let (tx, rx) = chunks::channel(1);
        drop(rx);
        assert!(write(&rows, render, ChannelWriter::new(tx)).is_err());
        // Stopped within the window, not after rendering everything.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert!(
            rendered.load(Ordering::Relaxed) <= workers * WINDOW + workers + 1,
            "{} rendered",
            rendered.load(Ordering::Relaxed)
        );
    }
}
