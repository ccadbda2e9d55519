//! A local SMTP sink for the benchmarks: the `mailin` SMTP state machine behind a TCP
//! listener, one thread per connection, counting the messages it accepts (the same server the
//! API tests use). Included by the examples with `#[path]`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct Count(Arc<AtomicUsize>);

impl mailin::Handler for Count {
    fn data_end(&mut self) -> mailin::Response {
        self.0.fetch_add(1, Ordering::SeqCst);
        mailin::response::OK
    }
}

fn session(stream: TcpStream, count: Arc<AtomicUsize>) {
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
    let mut smtp = mailin::SessionBuilder::new("sink").build(peer, Count(count));
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
        let r = smtp.process(&line);
        match r.action {
            mailin::Action::NoReply => {}
            mailin::Action::Close => {
                let _ = r.write_to(&mut out);
                let _ = out.flush();
                return;
            }
            _ => {
                if r.write_to(&mut out).is_err() {
                    return;
                }
            }
        }
    }
}

/// Start a sink: its port and the count of messages it accepted.
pub fn sink() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("port").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let c = c.clone();
            std::thread::spawn(move || session(s, c));
        }
    });
    (port, count)
}
