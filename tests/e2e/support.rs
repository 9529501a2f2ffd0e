//! Running the real binary, and a TCP proxy that can cut or slow the
//! database link without touching the shared PostgreSQL server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_equoria");

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with a clean environment: only PATH and what the test sets.
pub(crate) fn command(env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A running `equoria serve` on a free loopback port.
pub(crate) struct Server {
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts the server against `database_url`; `extra` overrides defaults.
    pub(crate) async fn start(database_url: &str, extra: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("equoria-e2e-{port}.log"));
        let port_text = port.to_string();
        let mut env = vec![
            ("NODE_ENV", "test"),
            ("HOST", "127.0.0.1"),
            ("PORT", port_text.as_str()),
            ("DATABASE_URL", database_url),
            ("LOG_LEVEL", "info"),
        ];
        env.extend_from_slice(extra);
        let file = std::fs::File::create(&log).unwrap();
        let child = command(&env)
            .arg("serve")
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        let server = Self { port, child, log };
        server.wait_until_serving().await;
        server
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if reqwest::get(self.url("/ping"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not start:\n{}", self.log_text());
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `timeout`.
    pub(crate) async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server still running after {timeout:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Forwards a loopback port to PostgreSQL. `cut()` drops every connection
/// and stops listening (the database "goes away"); `restore()` listens again
/// on the same port; `set_delay()` holds each client->server chunk back.
pub(crate) struct DbProxy {
    pub port: u16,
    target: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    task: Option<JoinHandle<()>>,
}

impl DbProxy {
    pub(crate) async fn start(database_url: &str) -> Self {
        let parsed = url::Url::parse(database_url).unwrap();
        let target: SocketAddr = format!(
            "{}:{}",
            parsed.host_str().unwrap(),
            parsed.port().unwrap_or(5432)
        )
        .parse()
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let delay_ms = Arc::new(AtomicU64::new(0));
        let task = Some(tokio::spawn(accept_loop(
            listener,
            target,
            delay_ms.clone(),
        )));
        Self {
            port,
            target,
            delay_ms,
            task,
        }
    }

    /// `database_url` with its host and port replaced by this proxy's.
    pub(crate) fn url_for(&self, database_url: &str) -> String {
        let mut parsed = url::Url::parse(database_url).unwrap();
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.port)).unwrap();
        parsed.to_string()
    }

    pub(crate) fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    pub(crate) async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.task = Some(tokio::spawn(accept_loop(
            listener,
            self.target,
            self.delay_ms.clone(),
        )));
    }

    pub(crate) fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Owns every forwarded connection: aborting this task drops the listener
/// and the `JoinSet`, which aborts the connections.
async fn accept_loop(listener: TcpListener, target: SocketAddr, delay_ms: Arc<AtomicU64>) {
    let mut connections = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        let delay_ms = delay_ms.clone();
        connections.spawn(async move {
            let Ok(server) = TcpStream::connect(target).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let upstream = async {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = client_read.read(&mut buf).await?;
                    if n == 0 {
                        return std::io::Result::Ok(());
                    }
                    let delay = delay_ms.load(Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    server_write.write_all(&buf[..n]).await?;
                }
            };
            let downstream = tokio::io::copy(&mut server_read, &mut client_write);
            let _ = tokio::join!(upstream, downstream);
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
}
