//! A small S3-compatible server (s3s + s3s-fs) for demos and manual checks of the S3 store:
//!
//! ```sh
//! cargo run --example s3_server -- /tmp/s3root 9000 academy
//! ACADEMY_S3_BUCKET=academy ACADEMY_S3_ENDPOINT=http://127.0.0.1:9000 \
//!   ACADEMY_S3_ACCESS_KEY=academy ACADEMY_S3_SECRET_KEY=academy-secret-key academy
//! ```
//!
//! Arguments: root folder, port, buckets to create. Keys from `S3_ACCESS_KEY` and
//! `S3_SECRET_KEY` (defaults `academy` / `academy-secret-key`).

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| "s3root".into());
    let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(9000);
    std::fs::create_dir_all(&root)?;
    for bucket in args {
        std::fs::create_dir_all(std::path::Path::new(&root).join(bucket))?;
    }
    let ak = std::env::var("S3_ACCESS_KEY").unwrap_or_else(|_| "academy".into());
    let sk = std::env::var("S3_SECRET_KEY").unwrap_or_else(|_| "academy-secret-key".into());
    let mut builder = s3s::service::S3ServiceBuilder::new(
        s3s_fs::FileSystem::new(&root).map_err(|e| format!("s3s-fs: {e:?}"))?,
    );
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ak, sk));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "S3 (s3s-fs) on http://{} serving {root}",
        listener.local_addr()?
    );
    loop {
        let (socket, _) = listener.accept().await?;
        let _ = socket.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let _ = ConnBuilder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
