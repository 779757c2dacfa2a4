//! `keytrack-agent`: the program users install. It counts how the keyboard and mouse are used
//! (never what is typed) and uploads the counts to a KeyTrack server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use keytrack_agent::aggregate::{BreakState, break_state, local_utc_offset};
use keytrack_agent::client::{Client, ClientError, this_agent};
use keytrack_agent::config::{self, Config, Pause};
use keytrack_agent::event::now_ms;
use keytrack_agent::input::{Backend, Capture, CaptureChoice, CaptureError, RdevCapture, choose_backend};
use keytrack_agent::run::{RunError, RunOptions, resolve_dir, run};
use keytrack_agent::shutdown;
use keytrack_agent::spool::Spool;
use keytrack_agent::{bench, service};
use keytrack_wire::pairing::{PairingRequest, PairingState};

/// Exit code when there is nothing to capture from: no display, or no readable input device.
const EXIT_NO_DISPLAY: u8 = 3;

#[derive(Parser)]
#[command(
    name = "keytrack-agent",
    version,
    about = "Counts keyboard and mouse use on this computer (never what you type) and uploads the counts to your KeyTrack server."
)]
struct Cli {
    /// The agent's directory (config, spool); default: the platform's config dir + keytrack-agent.
    #[arg(long, global = true, env = "KEYTRACK_AGENT_DIR")]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pair this computer with your KeyTrack account: prints a code to approve in the web UI, then
    /// saves the token the server gives this computer (or, with --token, checks and saves that one).
    Pair {
        /// The server's address, e.g. https://keytrack.example.com
        #[arg(long)]
        server: String,
        /// An API token made in the web UI (under API tokens), for scripts; without it, pair by code.
        #[arg(long, env = "KEYTRACK_TOKEN")]
        token: Option<String>,
        /// What to call this computer in KeyTrack (default: its host name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Capture and upload until stopped (Ctrl+C or SIGTERM save everything first).
    Run {
        /// Save to the spool and try to upload every N seconds.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        flush_secs: u64,
        /// Where input is read (Linux): `evdev`, the kernel's input devices (every application on
        /// any desktop; needs permission, see the README), or `x11`; `auto` takes evdev on a
        /// Wayland session or without X, X11 otherwise.
        #[arg(long, value_enum, default_value_t = CaptureChoice::Auto, env = "KEYTRACK_CAPTURE")]
        capture: CaptureChoice,
    },
    /// The paired server, the last upload, what waits in the spool, today's counts.
    Status,
    /// Stop capturing (passwords, meetings) for a while, e.g. `30m`, `2h`, or until `resume`.
    Pause {
        /// How long: 90s, 30m, 2h, 1d (a bare number is minutes). Without it: until `resume`.
        duration: Option<String>,
    },
    /// Capture again after `pause`.
    Resume,
    /// Applications whose input is never counted (password managers by default): `list`,
    /// `add NAME` or `remove NAME`. Your profile on the server can add more for all your computers.
    NeverCount {
        #[command(subcommand)]
        action: Option<NeverCountAction>,
    },
    /// Start the agent with your desktop session (systemd user unit on Linux, launchd on macOS,
    /// the Run key on Windows).
    InstallService {
        /// Only write the file; do not enable or start it.
        #[arg(long)]
        no_enable: bool,
    },
    /// Measure the agent: aggregation CPU per input event and peak memory under synthetic input.
    Bench {
        /// Seconds of simulated input for the CPU figure.
        #[arg(long, default_value_t = 3600)]
        seconds: u32,
        /// Seconds of real-time input for the memory figure.
        #[arg(long, default_value_t = 15)]
        rss_seconds: u32,
    },
}

#[derive(Subcommand)]
enum NeverCountAction {
    /// The list in force on this computer (the default).
    List,
    /// Never count input in this application, e.g. `keepassxc` or `firefox` (its program's name,
    /// as the dashboard's Applications shows it).
    Add { name: String },
    /// Count input in this application again.
    Remove { name: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let nothing_to_capture = matches!(
                e.downcast_ref::<RunError>(),
                Some(RunError::Capture(
                    CaptureError::NoDisplay | CaptureError::NoPermission | CaptureError::NoInputDevices
                ))
            );
            eprintln!("keytrack-agent: {e:#}");
            if keytrack_agent::log::in_file() {
                keytrack_agent::log::error(&format!("stopped: {e:#}"));
            }
            if nothing_to_capture { ExitCode::from(EXIT_NO_DISPLAY) } else { ExitCode::FAILURE }
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let dir = resolve_dir(cli.config_dir.as_deref())?;
    match cli.command {
        Command::Pair { server, token, device_name } => {
            let server = config::server_url(&server).map_err(anyhow::Error::msg)?;
            // Re-pairing keeps the device: its minutes stay one series on the server.
            let previous = config::load(&dir).ok();
            let device_name =
                device_name.or_else(|| previous.as_ref().map(|c| c.device_name.clone())).unwrap_or_else(host_name);
            let (token, email) = match token {
                Some(token) => {
                    let account =
                        Client::new(&server, &token)?.me().with_context(|| format!("pairing with {server} failed"))?;
                    (token, account.email)
                }
                None => pair_by_code(&server, &device_name)?,
            };
            let config = Config {
                server,
                token,
                device_id: previous.as_ref().map_or_else(new_device_id, |c| c.device_id.clone()),
                device_name,
                never_count: previous.map(|c| c.never_count).unwrap_or_default(),
            };
            config::save(&dir, &config)?;
            println!(
                "paired with {} as {} (device \"{}\"); config saved in {}",
                config.server,
                email,
                config.device_name,
                config::config_path(&dir).display()
            );
            if config::agent_running(&dir) {
                println!("the agent running with this config switches to it at its next upload");
            }
            Ok(())
        }
        Command::Run { flush_secs, capture } => {
            let config = config::load(&dir)?;
            let (backend, why) = choose_backend(capture, |name| std::env::var(name).ok());
            #[cfg(target_os = "linux")]
            let wayland_focus = (backend == Backend::Evdev)
                .then(|| keytrack_agent::wayland_focus::session_socket(|name| std::env::var(name).ok()))
                .flatten()
                .and_then(|socket| keytrack_agent::wayland_focus::WlrFocus::connect(&socket));
            #[cfg(target_os = "linux")]
            let why = match (backend, wayland_focus.is_some()) {
                (Backend::Evdev, true) => {
                    format!("{why}; the focused application from the compositor (wlr-foreign-toplevel-management)")
                }
                // Said where the person looks (status, the log): this capture cannot keep the promise.
                (Backend::Evdev, false) => format!(
                    "{why}; which application has the focus is unknown here, so the never-count list cannot apply (pause the agent before typing a password)"
                ),
                (Backend::Rdev, _) => why,
            };
            #[cfg(windows)]
            if shutdown::leave_a_console_of_its_own(&dir)? {
                keytrack_agent::log::info("running in the background; this log is its only window");
            }
            let options = RunOptions { dir: dir.clone(), flush: Duration::from_secs(flush_secs) };
            let stop = shutdown::on_request()?;
            keytrack_agent::log::info(&format!("capture: {why}"));
            keytrack_agent::client::announce_capture(backend.capture_name());
            config::save_capture_report(&dir, &why)?;
            let capture: Box<dyn Capture> = match backend {
                Backend::Rdev => Box::new(RdevCapture),
                #[cfg(target_os = "linux")]
                Backend::Evdev => {
                    let report_dir = dir.clone();
                    Box::new(keytrack_agent::evdev::EvdevCapture::new(
                        keytrack_agent::evdev::INPUT_DIR,
                        Box::new(move |devices| {
                            let _ = config::save_capture_report(&report_dir, &format!("{why}\n{devices}"));
                        }),
                        wayland_focus,
                    ))
                }
                #[cfg(not(target_os = "linux"))]
                Backend::Evdev => anyhow::bail!("the kernel's input devices are read only on Linux"),
            };
            let outcome = run(&options, &config, capture, local_utc_offset(), &stop);
            shutdown::saved();
            outcome?;
            Ok(())
        }
        Command::Status => status(&dir),
        Command::Pause { duration } => {
            let until = match duration {
                Some(text) => {
                    let secs = config::parse_duration(&text).map_err(anyhow::Error::msg)?;
                    Some(now_ms() / 1000 + i64::try_from(secs)?)
                }
                None => None,
            };
            let applied = request_pause(&dir, until, true)?;
            match until {
                Some(t) => println!("paused until {}{applied}", local_time(t)),
                None => println!("paused until `keytrack-agent resume`{applied}"),
            }
            Ok(())
        }
        Command::Resume => {
            let applied = request_pause(&dir, None, false)?;
            println!("capturing again{applied}");
            Ok(())
        }
        Command::NeverCount { action } => never_count(&dir, action.unwrap_or(NeverCountAction::List)),
        Command::InstallService { no_enable } => {
            config::load(&dir)?;
            let installed = service::install(&dir, !no_enable)?;
            println!("wrote {}", installed.path.display());
            match installed.enabled {
                Ok(()) if no_enable => println!("not enabled (--no-enable)"),
                Ok(()) => println!("enabled: the agent now starts with your session"),
                Err(why) => anyhow::bail!("could not enable it: {why}"),
            }
            Ok(())
        }
        Command::Bench { seconds, rss_seconds } => bench::run_bench(seconds.max(1), rss_seconds.max(1)),
    }
}

/// `keytrack-agent never-count`: shows or changes this computer's list (a running agent applies a
/// change within a second).
fn never_count(dir: &std::path::Path, action: NeverCountAction) -> anyhow::Result<()> {
    let mut config = config::load(dir)?;
    let name = |raw: &str| {
        keytrack_wire::app_name(raw).ok_or_else(|| {
            anyhow::anyhow!("\"{raw}\" is not an application name: use its program's name, e.g. keepassxc")
        })
    };
    let changed = match &action {
        NeverCountAction::List => None,
        NeverCountAction::Add { name: raw } => {
            let name = name(raw)?;
            Some((config.never_count.add(&name), name, "never counted from now on", "was on the list already"))
        }
        NeverCountAction::Remove { name: raw } => {
            let name = name(raw)?;
            Some((config.never_count.remove(&name), name, "counted again from now on", "was not on the list"))
        }
    };
    if let Some((changed, name, done, unchanged)) = changed {
        if changed {
            config::save(dir, &config)?;
            println!("{name}: {done}");
        } else {
            println!("{name}: {unchanged}");
        }
    }
    if matches!(action, NeverCountAction::List) {
        println!(
            "Input is never counted while one of these has the focus (nor in a terminal running sudo, su, doas, passwd or pkexec):"
        );
        for name in config.never_count.list() {
            println!("  {name}");
        }
        println!("Your profile on {} can add more for all your computers.", config.server);
    }
    Ok(())
}

/// How long `pause` and `resume` wait for the running agent's answer.
const PAUSE_ANSWER: Duration = Duration::from_secs(5);

/// Writes a pause (or, with `active` false, a resume) and, when an agent runs, waits until it has
/// applied it, so that nothing typed after the command returns is counted. Returns a note for the
/// user when no agent runs.
fn request_pause(dir: &std::path::Path, until: Option<i64>, active: bool) -> anyhow::Result<&'static str> {
    let id = rand::random::<u64>().max(1);
    config::save_pause(dir, Pause { until, active, id })?;
    if !config::agent_running(dir) {
        return Ok(" (no agent is running now; it applies this when it starts)");
    }
    let started = std::time::Instant::now();
    while started.elapsed() < PAUSE_ANSWER {
        if config::load_pause_ack(dir) == Some(id) {
            return Ok("");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    anyhow::bail!(
        "the running agent did not confirm within {} s; it applies this as soon as it can (see its log)",
        PAUSE_ANSWER.as_secs()
    )
}

fn status(dir: &std::path::Path) -> anyhow::Result<()> {
    let config = config::load(dir)?;
    let spool = Spool::open(dir)?;
    let now = now_ms() / 1000;
    println!("server:      {}", config.server);
    println!("device:      {} ({})", config.device_name, config.device_id);
    let pause = config::load_pause(dir);
    let capture = match pause {
        Some(p) if config::is_paused(Some(p), now) => match p.until {
            Some(until) => format!("paused until {}", local_time(until)),
            None => "paused until `keytrack-agent resume`".to_string(),
        },
        _ => "on".to_string(),
    };
    println!("capture:     {capture}");
    if config::agent_running(dir)
        && let Some(report) = config::load_capture_report(dir)
    {
        let mut lines = report.lines();
        if let Some(how) = lines.next() {
            println!("reading:     {how}");
        }
        for device in lines {
            println!("             {device}");
        }
    }
    let last =
        spool.fact("last_upload")?.and_then(|t| t.parse::<i64>().ok()).map_or_else(|| "never".to_string(), local_time);
    println!("last upload: {last}");
    let log = dir.join(keytrack_agent::log::FILE_NAME);
    if log.exists() {
        println!("log:         {}", log.display());
    }
    println!(
        "waiting:     {} minutes and {} hour blocks in the spool",
        spool.waiting_count()?,
        spool.waiting_block_count()?
    );
    if !config::agent_running(dir) {
        let pending = spool.pending_presses()?;
        if pending > 0 {
            println!(
                "key detail:  {pending} presses wait for {} before they leave this computer",
                keytrack_wire::MIN_BLOCK_PRESSES
            );
        }
    }
    let today = spool.since(local_midnight(now))?;
    let keys: u64 = today.iter().map(|r| r.total_presses()).sum();
    let clicks: u64 = today.iter().map(|r| r.clicks.total()).sum();
    let active = today.iter().filter(|r| r.active_seconds > 0).count();
    println!("today:       {keys} key presses, {clicks} clicks, {active} active minutes");
    let active_minutes: Vec<i64> = today.iter().filter(|r| r.active_seconds > 0).map(|r| r.minute).collect();
    let minutes = |secs: i64| secs.max(0) / 60;
    let breaks = match break_state(&active_minutes, now) {
        BreakState::NoActivity => "no activity today".to_string(),
        BreakState::WorkingSince(start) => format!(
            "{} min since the last break of {}+ min (working since {})",
            minutes(now - start),
            keytrack_wire::BREAK_MINUTES,
            local_time(start)
        ),
        BreakState::OnBreakSince(start) => format!("on a break for {} min", minutes(now - start)),
    };
    println!("breaks:      {breaks}");
    Ok(())
}

fn local_time(unix_secs: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_opt(unix_secs, 0) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M:%S").to_string()
        }
        chrono::LocalResult::None => unix_secs.to_string(),
    }
}

fn local_midnight(unix_secs: i64) -> i64 {
    use chrono::{Local, TimeZone};
    Local
        .timestamp_opt(unix_secs, 0)
        .single()
        .and_then(|t| t.date_naive().and_hms_opt(0, 0, 0))
        .and_then(|midnight| Local.from_local_datetime(&midnight).earliest())
        .map_or(unix_secs - unix_secs.rem_euclid(86_400), |t| t.timestamp())
}

/// Pairing by code: the person approves the printed code in the web UI, and the server gives
/// this computer a token of its own. Returns the token and the account's email.
fn pair_by_code(server: &str, device_name: &str) -> anyhow::Result<(String, String)> {
    use std::io::Write;
    use std::time::Instant;

    let client = Client::new(server, "")?;
    let agent = this_agent();
    let request =
        PairingRequest { device_name: device_name.to_string(), platform: agent.platform, agent_version: agent.version };
    let started = client.start_pairing(&request).with_context(|| format!("pairing with {server} failed"))?;
    println!(
        "To pair this computer (\"{device_name}\"), open\n\n    {server}{}\n\nlogged in to KeyTrack, and approve the code {} there. It expires in {} minutes.",
        started.verification_path,
        started.user_code,
        started.expires_in.div_ceil(60),
    );
    println!("Waiting for approval (Ctrl+C gives up)...");
    std::io::stdout().flush()?;
    let deadline = Instant::now() + Duration::from_secs(started.expires_in.into());
    let interval = Duration::from_secs(started.interval.clamp(1, 30).into());
    loop {
        std::thread::sleep(interval);
        match client.poll_pairing(&started.device_code) {
            Ok(PairingState::Approved { token, email }) => return Ok((token, email)),
            Ok(PairingState::Pending) => {}
            // The network may drop for a moment while the person finds the page: keep asking.
            Err(ClientError::Unreachable(why)) if Instant::now() < deadline => {
                eprintln!("cannot reach the server ({why}); asking again");
            }
            Err(error) => return Err(anyhow::Error::new(error).context("pairing failed")),
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "the code {} expired before it was approved: run `keytrack-agent pair --server {server}` again",
                started.user_code
            );
        }
    }
}

fn new_device_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16).map(|_| format!("{:x}", rng.gen_range(0..16u8))).collect()
}

fn host_name() -> String {
    let raw = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    if name.is_empty() { "computer".into() } else { name }
}
