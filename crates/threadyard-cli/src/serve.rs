//! `--serve [ADDR]`: the run served live to the app, and kept served
//! after it ends until Ctrl-C, so it can be looked at.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use threadyard::Yard;
use threadyard_serve::{ServeHandle, ServeOptions};

use crate::out::say;

#[derive(Args)]
pub struct ServeArgs {
    /// Serve the run live to the app over WebSocket, on ADDR (default
    /// 127.0.0.1 on a free port); prints the link, and keeps serving after
    /// the run until Ctrl-C. Commands (pause, resume, send...) are allowed
    /// unless --read-only.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0")]
    serve: Option<SocketAddr>,
    /// With --serve: listen on ADDR even though it is not loopback (anyone
    /// who can reach it and has the link can watch and steer the run).
    #[arg(long, requires = "serve")]
    allow_remote: bool,
    /// With --serve: watching only, every command refused.
    #[arg(long, requires = "serve")]
    read_only: bool,
    /// With --serve: also let pages from ORIGIN connect (scheme://host:port;
    /// the app's local origins on port 8080 always may).
    #[arg(long, requires = "serve", value_name = "ORIGIN")]
    origin: Vec<String>,
    /// With --serve: the app's address, for the link that attaches it.
    #[arg(
        long,
        requires = "serve",
        value_name = "URL",
        default_value = "http://127.0.0.1:8080/"
    )]
    app: String,
    /// With --serve: wait for the first viewer to connect before the script
    /// starts (at most 10 minutes).
    #[arg(long, requires = "serve")]
    wait: bool,
}

impl ServeArgs {
    pub fn serving(&self) -> bool {
        self.serve.is_some()
    }
}

/// Prints a line about the server: on stdout, or on stderr when stdout
/// carries the one JSON document.
fn tell(json: bool, text: &str) {
    if json {
        eprintln!("{text}");
    } else {
        say!("{text}");
    }
}

/// Starts the server if asked, and prints its links.
pub fn start(
    yard: &Arc<Yard<String>>,
    args: &ServeArgs,
    json: bool,
) -> Result<Option<ServeHandle>, String> {
    let Some(addr) = args.serve else {
        return Ok(None);
    };
    let mut options = ServeOptions::new()
        .bind(addr)
        .allow_remote(args.allow_remote)
        .allow_commands(!args.read_only)
        .app_url(args.app.clone());
    for origin in &args.origin {
        options = options.allow_origin(origin.clone());
    }
    let server = threadyard_serve::serve(yard, options)
        .map_err(|e| format!("could not serve on {addr}: {e}"))?;
    tell(json, &format!("watch live: {}", server.app_link()));
    tell(json, &format!("link: {}", server.link()));
    Ok(Some(server))
}

/// With `--wait`: the script starts once someone watches.
pub fn wait_for_viewer(server: &ServeHandle, args: &ServeArgs, json: bool) {
    const LONGEST: Duration = Duration::from_secs(600);
    if args.wait {
        tell(json, "waiting for a viewer to connect...");
        if !server.wait_for_client(LONGEST) {
            tell(json, "nobody connected in 10 minutes; running anyway");
        }
    }
}

/// Keeps serving until Ctrl-C; then the server stops (its handle drops).
pub fn until_interrupted(server: ServeHandle, json: bool) {
    let (interrupted, wait) = mpsc::channel();
    if let Err(error) = ctrlc::set_handler(move || {
        let _ = interrupted.send(());
    }) {
        tell(
            json,
            &format!("cannot catch Ctrl-C ({error}); stopping the server"),
        );
        return;
    }
    tell(
        json,
        "the run is over; still serving it: press Ctrl-C to stop",
    );
    let _ = wait.recv();
    drop(server);
}
