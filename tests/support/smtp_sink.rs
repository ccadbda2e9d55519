//! A local SMTP server for the tests and the benchmarks: the `mailin` SMTP state machine behind
//! a TCP listener, one thread per connection. [`serve`] takes what each connection does with
//! the messages it accepts (the API tests keep them, [`sink`] counts them for the benchmarks).
//! Included with `#[path]` by `tests/api/mail.rs` and the mail and booking benchmarks.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Serve SMTP on `listener` in a thread of its own, each connection with the handler
/// `handler()` makes for it.
pub fn serve<H, F>(listener: TcpListener, handler: F)
where
    H: mailin::Handler + Send + 'static,
    F: Fn() -> H + Send + 'static,
{
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let h = handler();
            std::thread::spawn(move || session(stream, h));
        }
    });
}

fn session<H: mailin::Handler>(stream: TcpStream, handler: H) {
    let peer = stream
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    // Replies go out as soon as they are written (no Nagle delay against the client's
    // delayed ACKs: 40 ms per exchange otherwise).
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream);
    let mut smtp = mailin::SessionBuilder::new("sink.test").build(peer, handler);
    if smtp.greeting().write_to(&mut out).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = smtp.process(&line);
        match response.action {
            mailin::Action::NoReply => {}
            mailin::Action::Close => {
                let _ = response.write_to(&mut out);
                let _ = out.flush();
                return;
            }
            _ => {
                if response.write_to(&mut out).is_err() {
                    return;
                }
            }
        }
    }
}

struct Count(Arc<AtomicUsize>);

impl mailin::Handler for Count {
    fn data_end(&mut self) -> mailin::Response {
        self.0.fetch_add(1, Ordering::SeqCst);
        mailin::response::OK
    }
}

/// Start a counting sink: its port and the count of messages it accepted.
pub fn sink() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("port").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    serve(listener, move || Count(c.clone()));
    (port, count)
}
