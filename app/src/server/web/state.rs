//! What every request handler and server function can reach.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::services::auth::{LoginLimiter, RateLimiter, SignUpLimiter};
use crate::server::services::downloads::AgentFiles;
use crate::server::services::live::Live;
use crate::server::services::passwords::ResetMail;
use crate::server::services::sso::Sso;
use crate::server::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    /// The database and what the services use of it (`store::Store`).
    pub store: Store,
    pub leptos_options: LeptosOptions,
    pub login_limiter: Arc<LoginLimiter>,
    pub sign_up_limiter: Arc<SignUpLimiter>,
    /// Pairing codes asked for per address and wrong codes typed per account (`pairing`).
    pub pairing_limiter: Arc<RateLimiter>,
    /// Who watches whose data, for the live dashboards.
    pub live: Live,
    /// The agent binaries "Add a computer" offers (`downloads`).
    pub agent_files: Arc<AgentFiles>,
    /// How reset links are emailed (`None`: no SMTP settings; administrators hand links over).
    pub reset_mail: Option<ResetMail>,
    /// "Forgot password?" asks and wrong reset links, per address.
    #[from_ref(skip)]
    pub reset_limiter: Arc<RateLimiter>,
    /// Wrong second-factor codes per account (`two_factor`).
    #[from_ref(skip)]
    pub two_factor_limiter: Arc<RateLimiter>,
    /// The bearer token `GET /metrics` asks for on the server's own address (`--metrics-token`);
    /// `None`: metrics are not served there.
    #[from_ref(skip)]
    pub metrics_token: Option<Arc<str>>,
    /// The address people open the server at (`--public-url`): the commands and links pages give
    /// to copy use it. `None`: the address the browser used.
    #[from_ref(skip)]
    pub public_url: Option<Arc<str>>,
    /// The identity provider people sign in with (`--oidc-issuer` and the others); `None`: no
    /// single sign-on.
    #[from_ref(skip)]
    pub sso: Option<Arc<Sso>>,
    /// Whether people may log in (and sign up, and ask for a reset email) with a password
    /// (`--password-login`); reset links an administrator makes work either way.
    #[from_ref(skip)]
    pub password_login: bool,
}

impl AppState {
    /// The state of a server on `store`. On PostgreSQL the live view reaches the other instances
    /// on the same database; it listens before this returns.
    pub async fn new(store: Store, leptos_options: LeptosOptions) -> AppState {
        let live = Live::for_store(&store).await;
        // On PostgreSQL every instance counts in the database (`store::attempts`).
        let limit = |window| RateLimiter::new(window, store.attempts());
        // 10 failures per account and address, 50 per address, in 15 minutes.
        let login_limiter = Arc::new(LoginLimiter::new(limit(Duration::from_secs(15 * 60)), 10, 50));
        // 50 an hour per address: an office signing up together is fine, a scan of who has an
        // account is not.
        let sign_up_limiter = Arc::new(SignUpLimiter::new(limit(Duration::from_secs(3600)), 50));
        let pairing_limiter = Arc::new(limit(Duration::from_secs(600)));
        let reset_limiter = Arc::new(limit(Duration::from_secs(3600)));
        let two_factor_limiter = Arc::new(crate::server::services::two_factor::limiter(store.attempts()));
        AppState {
            store,
            leptos_options,
            login_limiter,
            sign_up_limiter,
            pairing_limiter,
            live,
            agent_files: Arc::new(AgentFiles::beside_server()),
            reset_mail: None,
            reset_limiter,
            two_factor_limiter,
            metrics_token: None,
            public_url: None,
            sso: None,
            password_login: true,
        }
    }

    /// Emails reset links (`--smtp-host` and the others, with `--public-url`).
    pub fn with_reset_mail(self, mail: ResetMail) -> AppState {
        AppState { reset_mail: Some(mail), ..self }
    }

    /// Gives `url` (`--public-url`, checked) in the commands and links pages show.
    pub fn with_public_url(self, url: &str) -> AppState {
        AppState { public_url: Some(Arc::from(url)), ..self }
    }

    /// Signs people in with `sso`; `password_login: false` leaves it the only way.
    pub fn with_sso(self, sso: Sso, password_login: bool) -> AppState {
        AppState { sso: Some(Arc::new(sso)), password_login, ..self }
    }

    /// Serves `GET /metrics` to scrapers with this bearer token (`--metrics-token`).
    pub fn with_metrics_token(self, token: &str) -> AppState {
        AppState { metrics_token: Some(Arc::from(token)), ..self }
    }

    /// Offers the agent binaries in `dir` (`--agent-downloads`) instead of those beside the server.
    pub fn with_agent_downloads(self, dir: PathBuf) -> AppState {
        AppState { agent_files: Arc::new(AgentFiles::in_dir(dir)), ..self }
    }
}
