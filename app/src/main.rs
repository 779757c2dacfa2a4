//! `keytrack`: the KeyTrack server and its admin commands (add a user, create a token, make demo
//! data, import, back up, move to PostgreSQL; the longer ones live in `keytrack_app::admin`). The benchmark
//! is a tool apart: `keytrack-bench` (the `tools/` crate).

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use keytrack_app::admin::{backup, demo, health, import, move_to_postgres};
use keytrack_app::model::SignUpPolicy;
use keytrack_app::server::services::passwords::ResetMail;
use keytrack_app::server::services::{accounts, admin, audit, auth, data, mail, passwords, site, sso, two_factor};
use keytrack_app::server::store::{self, Place, Storage, Store};
use keytrack_app::server::web::{self, listen, state::AppState};
use leptos::config::LeptosOptions;

#[derive(Parser)]
#[command(name = "keytrack", version, about = "KeyTrack: self-hosted keyboard and mouse activity analytics")]
struct Cli {
    /// Where the database lives (SQLite, the default).
    #[arg(long, global = true, env = "KEYTRACK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// The database to run on instead: `postgres://user:password@host:port/database` (PostgreSQL
    /// 15 or newer; its tables are made or brought up to date at start), or `sqlite://DIR` for
    /// SQLite in DIR (the same as `--data-dir DIR`). Several `keytrack serve` on one PostgreSQL
    /// database serve the same people (docs/scaling.md).
    #[arg(long, global = true, env = "KEYTRACK_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start and matched at once: the size of `Serve` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web server (the dashboard and the API).
    Serve {
        /// Address to listen on; port 0 picks a free port (the bound address is printed).
        #[arg(long, env = "KEYTRACK_ADDR", default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// The built site (wasm, JS, CSS) that `scripts/build-site.sh` writes.
        #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
        site_dir: PathBuf,
        /// Mark the session cookie Secure: set this when users reach the server over HTTPS.
        #[arg(long, env = "KEYTRACK_SECURE_COOKIES", value_parser = clap::builder::FalseyValueParser::new())]
        secure_cookies: bool,
        /// Seconds a client has to send a request's headers; also the longest an idle keep-alive
        /// connection stays open.
        #[arg(long, env = "KEYTRACK_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout_secs: u64,
        /// Seconds a client may leave a request's body unfinished between two parts of it.
        #[arg(long, env = "KEYTRACK_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        body_timeout_secs: u64,
        /// Connections open at once; more wait until one closes.
        #[arg(long, env = "KEYTRACK_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: u64,
        /// Keep the demo account typing (a "Demo keyboard" device sending its open minute every
        /// 2 s), so that its dashboard moves; `scripts/run.sh` turns it on (KEYTRACK_DEMO_TYPING=0: off).
        #[arg(long, env = "KEYTRACK_DEMO_TYPING", value_parser = clap::builder::FalseyValueParser::new())]
        demo_typing: bool,
        /// Keep minute records (and hour blocks) for this many days only; older ones are removed
        /// every hour. The day figures stay, so dashboards do not change; what is lost is summing
        /// those days again (after a change of time zone or day start, or a removed device).
        #[arg(long, env = "KEYTRACK_RETAIN_MINUTES_DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
        retain_minutes_days: Option<u32>,
        /// Who may make an account: `open`, `invite` (only with a site or team invite link) or
        /// `closed` (administrators add people). Stored in the database, where an administrator
        /// can change it; given here, it is set at every start. A new server is `invite`.
        /// Empty (`KEYTRACK_SIGNUP=`, as compose.yaml passes an unset one) is not given.
        #[arg(long, env = "KEYTRACK_SIGNUP", value_parser = parse_policy)]
        signup: Option<PolicySetting>,
        /// The address people open the server at, e.g. `https://keytrack.example.com`: links in
        /// emails use it (never a request's Host header), and so do the commands and links pages
        /// give to copy ("Add a computer", pairing, invites). Needed with `--smtp-host`.
        #[arg(long, env = "KEYTRACK_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        oidc: OidcArgs,
        /// Keep the audit log's events this many days; older ones are removed every hour.
        #[arg(long, env = "KEYTRACK_AUDIT_RETAIN_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36_500))]
        audit_retain_days: u32,
        /// Serve Prometheus metrics at `/metrics` on this server's address to scrapers that send
        /// `Authorization: Bearer TOKEN` (at least 16 characters). Without it (or `--metrics-addr`)
        /// there are no metrics.
        #[arg(long, env = "KEYTRACK_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Serve `/metrics` without a token on an address of its own, e.g. `127.0.0.1:9464`: for a
        /// network only the scraper reaches.
        #[arg(long, env = "KEYTRACK_METRICS_ADDR")]
        metrics_addr: Option<SocketAddr>,
        /// Where the agent binaries "Add a computer" offers are (`keytrack-agent` for Linux x86_64,
        /// `keytrack-agent.exe` for Windows x86_64). By default, where cargo builds them beside
        /// this server (`scripts/run.sh` builds both).
        #[arg(long, env = "KEYTRACK_AGENT_DOWNLOADS")]
        agent_downloads: Option<PathBuf>,
    },
    /// Load a KeyTrack export (the JSON file of `GET /api/v1/export.json`, "Your data" page) into
    /// this server: into the account with the export's email (or `--email`), which is made with
    /// the export's profile when it does not exist (its password read from standard input).
    /// Devices, minute records and hour blocks are loaded; API tokens and teams are not (tokens
    /// are never exported, teams belong to the other server).
    Import {
        /// The export file.
        file: PathBuf,
        /// Load into this account instead of the export's own email.
        #[arg(long)]
        email: Option<String>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage site administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Move this installation (its SQLite database) into an empty PostgreSQL database, then check
    /// that every table holds as many rows on both and that everyone's statistics read the same
    /// from either. Accounts, tokens, devices, teams, invites, pairings, minute records, blocks and
    /// rollups are moved; sessions are not (people log in again). The SQLite database is first
    /// brought up to date as `keytrack serve` would at its start, and otherwise only read.
    MigrateToPostgres {
        /// The data dir to move (default: `--data-dir`).
        #[arg(long)]
        from: Option<PathBuf>,
        /// The PostgreSQL database (`postgres://user:password@host:port/database`), empty.
        #[arg(long)]
        to: String,
    },
    /// Write a consistent copy of the SQLite database while the server runs and takes uploads
    /// (an online backup: it holds every upload acknowledged before it began, and is checked
    /// before it takes its name). Restore: stop the server, put the backup in the data dir as
    /// `keytrack.db` (removing `keytrack.db-wal` and `keytrack.db-shm`), start it. On PostgreSQL
    /// use `pg_dump -Fc` and `pg_restore` (README, "Backups").
    Backup {
        /// The file to write (it must not exist); with `--every`, the folder to write into.
        #[arg(long)]
        to: PathBuf,
        /// Take a backup this often until stopped, the first at once: `30m`, `6h`, `1d`. Each is
        /// named `keytrack-YYYYMMDD-HHMMSS.db` (UTC) in the folder `--to`.
        #[arg(long, value_parser = backup::parse_interval)]
        every: Option<std::time::Duration>,
        /// With `--every`: how many backups to keep; older ones are removed.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        keep: u64,
    },
    /// Ask a running server on this machine whether it is ready (`/healthz/ready`): exit 0 when
    /// it is, 1 otherwise, saying why. The container image's health check; needs no curl.
    Health {
        /// The server's address, as `serve --addr` was given it (0.0.0.0 or [::] is asked on
        /// loopback).
        #[arg(long, env = "KEYTRACK_ADDR", default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
    },
    /// Create demo@keytrack.local with 90 days of realistic activity (replacing its old activity),
    /// and a demo team with four teammates.
    Demo {
        /// Seed of the synthetic activity.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (one line). The server's first
    /// account is its administrator.
    Add {
        #[arg(long)]
        email: String,
        /// IANA time zone for the user's days and hours.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Make the user a site administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Print a one-time link (valid a day) with which the user chooses a new password: the way
    /// back in when no administrator can log in, or the server sends no email.
    ResetLink {
        #[arg(long)]
        email: String,
    },
    /// Turn off the user's two-factor sign-in (a lost phone and lost recovery codes): the next
    /// login asks for the password alone. Audited.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make a user a site administrator.
    Grant { email: String },
    /// Take the role from a user (never from the last administrator who can log in).
    Revoke { email: String },
}

/// The SMTP settings of password reset emails (none: no email; administrators hand links over).
#[derive(clap::Args)]
struct SmtpArgs {
    /// The SMTP server that sends reset links.
    #[arg(long, env = "KEYTRACK_SMTP_HOST")]
    smtp_host: Option<String>,
    /// Its port (default: 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, env = "KEYTRACK_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// `starttls` (the default), `tls` (from the first byte) or `none` (a relay on this machine).
    #[arg(long, env = "KEYTRACK_SMTP_SECURITY", default_value = "starttls", value_parser = parse_security)]
    smtp_security: mail::Security,
    #[arg(long, env = "KEYTRACK_SMTP_USER")]
    smtp_user: Option<String>,
    #[arg(long, env = "KEYTRACK_SMTP_PASSWORD", hide_env_values = true)]
    smtp_password: Option<String>,
    /// The sender, e.g. `KeyTrack <keytrack@example.com>`.
    #[arg(long, env = "KEYTRACK_SMTP_FROM")]
    smtp_from: Option<String>,
}

impl SmtpArgs {
    /// The mailer of reset links, when SMTP is set up; an error names what is missing.
    fn reset_mail(self, public_url: Option<&str>) -> anyhow::Result<Option<ResetMail>> {
        let Some(host) = self.smtp_host.filter(|host| !host.trim().is_empty()) else { return Ok(None) };
        let public_url = public_url.context(
            "--smtp-host needs --public-url (the address people open the server at): reset links are made with it",
        )?;
        let from = self.smtp_from.context("--smtp-host needs --smtp-from (the sender of reset emails)")?;
        let port = self.smtp_port.unwrap_or(match self.smtp_security {
            mail::Security::StartTls => 587,
            mail::Security::Tls => 465,
            mail::Security::None => 25,
        });
        let settings = mail::MailSettings {
            host,
            port,
            security: self.smtp_security,
            user: self.smtp_user,
            password: self.smtp_password,
            from,
        };
        let mailer = mail::Mailer::new(&settings).map_err(anyhow::Error::msg)?;
        Ok(Some(ResetMail { mailer: std::sync::Arc::new(mailer), public_url: public_url.to_string() }))
    }
}

/// Single sign-on with an OpenID Connect provider (README, "Single sign-on").
#[derive(clap::Args)]
struct OidcArgs {
    /// The provider's issuer URL, e.g. `https://accounts.google.com` or
    /// `https://keycloak.example.com/realms/staff`: its settings are read from
    /// `ISSUER/.well-known/openid-configuration`. Needs `--public-url`; the redirect URL to
    /// register with the provider is `PUBLIC_URL/auth/sso/callback`.
    #[arg(long, env = "KEYTRACK_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// KeyTrack's client id at the provider.
    #[arg(long, env = "KEYTRACK_OIDC_CLIENT_ID", default_value = "")]
    oidc_client_id: String,
    /// Its client secret (sent to the provider's token endpoint alone, never logged).
    #[arg(long, env = "KEYTRACK_OIDC_CLIENT_SECRET", hide_env_values = true, default_value = "")]
    oidc_client_secret: String,
    /// The login page's button says "Sign in with NAME".
    #[arg(long, env = "KEYTRACK_OIDC_NAME", default_value = "single sign-on")]
    oidc_name: String,
    /// The scopes asked for besides `openid`, separated by spaces or commas.
    #[arg(long, env = "KEYTRACK_OIDC_SCOPES", default_value = "email profile")]
    oidc_scopes: String,
    /// Email domains (comma-separated, e.g. `example.com,example.org`) whose verified addresses
    /// make an account at their first sign-in whatever the sign-up policy (but `closed`); other
    /// addresses need what the policy asks (`open`, or an invite link).
    #[arg(long, env = "KEYTRACK_OIDC_ALLOWED_DOMAINS", default_value = "")]
    oidc_allowed_domains: String,
    /// Members of this group are site administrators and others are not, set at each sign-in
    /// (the last administrator keeps the role). Read from the `--oidc-groups-claim` claim.
    #[arg(long, env = "KEYTRACK_OIDC_ADMIN_GROUP")]
    oidc_admin_group: Option<String>,
    /// The claim that lists a person's groups (in the ID token or the user info).
    #[arg(long, env = "KEYTRACK_OIDC_GROUPS_CLAIM", default_value = "groups")]
    oidc_groups_claim: String,
    /// `off`: people sign in with single sign-on only (no password login, sign-up or reset
    /// email). The way back in when the provider fails: `keytrack user reset-link` on the
    /// server, whose link logs in.
    #[arg(long, env = "KEYTRACK_PASSWORD_LOGIN", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    password_login: bool,
}

impl OidcArgs {
    /// The provider, when one is configured, and whether password login stays on; an error
    /// names what is missing.
    fn sso(self, public_url: Option<&str>) -> anyhow::Result<(Option<sso::Sso>, bool)> {
        let Some(issuer) = self.oidc_issuer.filter(|issuer| !issuer.trim().is_empty()) else {
            if !self.password_login {
                bail!("--password-login off needs single sign-on (--oidc-issuer): nobody could log in");
            }
            return Ok((None, true));
        };
        let public_url = public_url.context(
            "--oidc-issuer needs --public-url (the address people open the server at): the redirect URL is made from it",
        )?;
        let settings = sso::SsoSettings {
            issuer,
            client_id: self.oidc_client_id,
            client_secret: self.oidc_client_secret,
            name: self.oidc_name.trim().to_string(),
            scopes: vec![self.oidc_scopes],
            allowed_domains: vec![self.oidc_allowed_domains],
            admin_group: self.oidc_admin_group,
            groups_claim: self.oidc_groups_claim,
            public_url: public_url.to_string(),
        };
        Ok((Some(sso::Sso::new(settings).map_err(anyhow::Error::msg)?), self.password_login))
    }
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" | "" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{text:?}: use on or off")),
    }
}

/// `--signup` as given: empty is no policy given.
#[derive(Clone, Copy)]
struct PolicySetting(Option<SignUpPolicy>);

fn parse_policy(text: &str) -> Result<PolicySetting, String> {
    if text.trim().is_empty() {
        return Ok(PolicySetting(None));
    }
    SignUpPolicy::parse(text)
        .map(|policy| PolicySetting(Some(policy)))
        .ok_or_else(|| format!("{text:?}: use open, invite or closed"))
}

fn parse_security(text: &str) -> Result<mail::Security, String> {
    mail::Security::parse(text).ok_or_else(|| format!("{text:?}: use starttls, tls or none"))
}

/// The public URL as given: `http(s)://host[:port]`, without a trailing slash.
fn public_url(url: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(url) = url.map(|url| url.trim().trim_end_matches('/').to_string()).filter(|url| !url.is_empty()) else {
        return Ok(None);
    };
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => Ok(Some(url)),
        _ => bail!("--public-url {url}: use http(s)://host[:port], e.g. https://keytrack.example.com"),
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (alone on standard output).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist and allocate.
    keytrack_app::server::memory::limit_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYTRACK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")),
        )
        .init();
    let cli = Cli::parse();
    let place = Place::from_settings(cli.data_dir.clone(), cli.database_url.as_deref()).map_err(anyhow::Error::msg)?;
    match cli.command {
        Command::Serve {
            addr,
            site_dir,
            secure_cookies,
            header_timeout_secs,
            body_timeout_secs,
            max_connections,
            demo_typing,
            retain_minutes_days,
            signup,
            public_url: url,
            smtp,
            oidc,
            audit_retain_days,
            agent_downloads,
            metrics_token,
            metrics_addr,
        } => {
            let public_url = public_url(url)?;
            let (sso, password_login) = oidc.sso(public_url.as_deref())?;
            let metrics_token = metrics_token.filter(|token| !token.is_empty());
            if metrics_token.as_ref().is_some_and(|token| token.len() < 16) {
                bail!("--metrics-token: use at least 16 characters (a random one: `openssl rand -hex 16`)");
            }
            let reset_mail = smtp.reset_mail(public_url.as_deref())?;
            let limits = listen::ConnectionLimits {
                header_timeout: std::time::Duration::from_secs(header_timeout_secs),
                body_timeout: std::time::Duration::from_secs(body_timeout_secs),
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            };
            let options = ServeOptions {
                secure_cookies,
                limits,
                demo_typing,
                retain_minutes_days,
                signup: signup.and_then(|setting| setting.0),
                reset_mail,
                audit_retain_days,
                agent_downloads,
                metrics_token,
                metrics_addr,
                public_url,
                sso,
                password_login,
            };
            serve(&place, addr, &site_dir, options).await
        }
        Command::User { command: UserCommand::Add { email, timezone, admin } } => {
            let store = Store::open(&place).await?;
            let password = read_password()?;
            let id = accounts::sign_up(&store.database, &email, &password, &timezone).await.map_err(public)?;
            if admin {
                admin::set_admin(&store.database, None, id, true).await.map_err(public)?;
            }
            let role = if auth::is_admin(&store.database, id).await.map_err(public)? { ", administrator" } else { "" };
            eprintln!("created user {email} (id {id}{role})");
            Ok(())
        }
        Command::User { command: UserCommand::ResetLink { email } } => {
            let store = Store::open(&place).await?;
            let user = user_by_email(&store, &email).await?;
            let link = passwords::reset_link(&store.database, None, user).await.map_err(public)?;
            println!("{}", link.path);
            eprintln!("open it on this server within a day (it works once); prefix it with the server's address");
            Ok(())
        }
        Command::User { command: UserCommand::ResetTwoFactor { email } } => {
            let store = Store::open(&place).await?;
            let user = user_by_email(&store, &email).await?;
            if two_factor::reset(&store.database, None, user).await.map_err(public)? {
                eprintln!("two-factor sign-in of {email} is off: the next login asks for the password alone");
            } else {
                eprintln!("{email} had no two-factor sign-in");
            }
            Ok(())
        }
        Command::Admin { command } => {
            let store = Store::open(&place).await?;
            let (email, grant) = match command {
                AdminCommand::Grant { email } => (email, true),
                AdminCommand::Revoke { email } => (email, false),
            };
            let user = user_by_email(&store, &email).await?;
            admin::set_admin(&store.database, None, user, grant).await.map_err(public)?;
            eprintln!("{email} is {} site administrator", if grant { "a" } else { "no longer a" });
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, name } } => {
            let store = Store::open(&place).await?;
            let user = user_by_email(&store, &email).await?;
            let (_, token) = accounts::create_token(&store.database, user, &name).await.map_err(public)?;
            println!("{token}");
            Ok(())
        }
        Command::MigrateToPostgres { from, to } => {
            // The data dir to move: the one named, else the one this command runs on.
            let from = from.or_else(|| place.data_dir().map(Path::to_path_buf)).unwrap_or(cli.data_dir);
            if !from.join(store::sqlite::DATABASE_FILE).exists() {
                bail!("{} holds no KeyTrack database", from.display());
            }
            let sqlite = store::sqlite::open(&from).await?;
            let pg = store::postgres::open(&to).await?;
            let moved = move_to_postgres::move_to_postgres(&sqlite, &pg).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            for (table, rows) in &moved.tables {
                println!("{table}: {rows} rows");
            }
            println!(
                "moved {} into {}; checked: the same rows in every table, and the same statistics for {} people over {} days; sessions were not moved (people log in again)",
                from.display(),
                store::postgres::without_password(&to),
                moved.people_checked,
                moved.days_checked
            );
            Ok(())
        }
        Command::Import { file, email } => {
            import::import(&Store::open(&place).await?, &file, email, read_password).await
        }
        Command::Backup { to, every, keep } => {
            let Some(data_dir) = place.data_dir() else {
                bail!(
                    "the database is PostgreSQL: back it up with `pg_dump -Fc --file FILE URL` (online, consistent) and restore with `pg_restore` (README, \"Backups\")"
                );
            };
            match every {
                None => {
                    let made = backup::once(data_dir, &to).await?;
                    println!("backup {} ({} bytes, checked)", made.file.display(), made.bytes);
                }
                Some(every) => {
                    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
                    backup::every(data_dir, &to, every, keep, shutdown_signal()).await?;
                }
            }
            Ok(())
        }
        Command::Health { addr } => match health::ready(addr) {
            Ok(()) => {
                println!("ready");
                Ok(())
            }
            Err(why) => {
                eprintln!("not ready: {why}");
                std::process::exit(1);
            }
        },
        Command::Demo { seed } => {
            let store = Store::open(&place).await?;
            let started = std::time::Instant::now();
            let summary = demo::create_demo(&store, keytrack_app::server::now(), seed)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "demo account ready: {} / {} ({} active minutes over 90 days, and \"{}\" at /teams/{} with 4 teammates; made in {:.1} s)",
                demo::DEMO_EMAIL,
                demo::DEMO_PASSWORD,
                summary.minutes,
                demo::DEMO_TEAM,
                summary.team_id,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// What a service's error tells the person at the command line.
fn public(error: keytrack_app::server::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}", error.public_message())
}

/// The id of the account with this email, or an error that says there is none.
async fn user_by_email(store: &Store, email: &str) -> anyhow::Result<i64> {
    Ok(store::users::by_email(&store.database, email)
        .await?
        .with_context(|| format!("no user with the email {email}"))?
        .id)
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// What `keytrack serve` does besides listening.
struct ServeOptions {
    secure_cookies: bool,
    limits: listen::ConnectionLimits,
    demo_typing: bool,
    retain_minutes_days: Option<u32>,
    signup: Option<SignUpPolicy>,
    reset_mail: Option<ResetMail>,
    audit_retain_days: u32,
    agent_downloads: Option<PathBuf>,
    metrics_token: Option<String>,
    metrics_addr: Option<SocketAddr>,
    public_url: Option<String>,
    sso: Option<sso::Sso>,
    password_login: bool,
}

async fn serve(place: &Place, addr: SocketAddr, site_dir: &Path, options: ServeOptions) -> anyhow::Result<()> {
    let ServeOptions {
        secure_cookies,
        limits,
        demo_typing,
        retain_minutes_days,
        signup,
        reset_mail,
        audit_retain_days,
        agent_downloads,
        metrics_token,
        metrics_addr,
        public_url,
        sso,
        password_login,
    } = options;
    let store = Store::open_for_serving(place).await?;
    if let Some(policy) = signup.filter(|_| store.storage == Storage::Writable) {
        site::set_policy(&store.database, None, policy).await.map_err(public)?;
    }
    let policy = site::policy(&store.database).await.map_err(public)?;
    tracing::info!(sign_up = policy.key(), email = reset_mail.is_some(), "{}", policy.describe());
    if !site_dir.join("pkg").exists() {
        tracing::warn!(site = %site_dir.display(), "no built site here: pages render but do not hydrate; run `scripts/build-site.sh`");
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let options = LeptosOptions::builder()
        .output_name("keytrack")
        .site_root(site_dir.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(bound)
        .build();
    let mut state = AppState::new(store.clone(), options).await;
    if let Some(dir) = agent_downloads {
        state = state.with_agent_downloads(dir);
    }
    if let Some(mail) = reset_mail {
        state = state.with_reset_mail(mail);
    }
    if let Some(token) = &metrics_token {
        state = state.with_metrics_token(token);
    }
    if let Some(url) = &public_url {
        state = state.with_public_url(url);
    }
    if let Some(sso) = sso {
        // Read now so that a wrong issuer shows in the log at once; sign-ins read it again.
        match sso.metadata().await {
            Ok(_) => tracing::info!(
                issuer = sso.issuer(),
                redirect_url = sso.redirect_url(),
                password_login,
                "single sign-on with {}",
                sso.name()
            ),
            Err(_) => tracing::warn!(issuer = sso.issuer(), "single sign-on: the provider is not reachable yet"),
        }
        state = state.with_sso(sso, password_login);
    }
    if let Some(metrics_addr) = metrics_addr {
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen on {metrics_addr} for metrics"))?;
        tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
        web::metrics_route::serve_own_address(listener, state.clone());
    }
    let live = state.live.clone();
    if demo_typing {
        tokio::spawn(demo::keep_typing(state.clone()));
    }
    if let Some(days) = retain_minutes_days.filter(|_| store.storage == Storage::Writable) {
        tracing::info!(days, "minute records older than {days} days are removed every hour (day figures kept)");
        tokio::spawn(data::keep_retention(store.database.clone(), days));
    }
    if store.storage == Storage::Writable {
        tokio::spawn(audit::keep_retention(store.database.clone(), audit_retain_days));
    }
    let app = web::router(state, secure_cookies).await?;
    println!("KeyTrack listening on http://{bound}");
    std::io::stdout().flush()?;
    // Live streams never end by themselves: end them when shutting down, so browsers reconnect
    // to the next server at once and the shutdown does not wait for them.
    let shutdown = async move {
        shutdown_signal().await;
        live.close();
    };
    listen::serve(listener, app, limits, shutdown).await?;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
