//! Single sign-on with OpenID Connect: the provider as configured (`--oidc-*`, found by discovery),
//! the authorization code flow with PKCE, `state` and `nonce` ([`Sso::begin`], [`Sso::finish`]:
//! the ID token's signature, issuer, audience, expiry and nonce checked by `openidconnect`), and
//! which account a verified person signs in to ([`sign_in`]): the one linked to them, an existing
//! one linked through a verified email, or a new one as the sign-up policy (or
//! `--oidc-allowed-domains`) allows.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::admin;
use super::audit::{self, Action, Who};
use super::auth;
use super::site;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::{self, Database};

/// Where the login page's button leads, and where the provider sends the person back (the
/// redirect URL to register with the provider is the public URL followed by this).
pub const START_PATH: &str = crate::model::SSO_START_PATH;
pub const CALLBACK_PATH: &str = "/auth/sso/callback";

/// How long a person may spend at the provider between the button and the way back.
const FLOW_SECONDS: i64 = 600;
/// How long the provider's discovery document (and its signing keys) is trusted before it is
/// read again: keys the provider rotates are picked up within this time.
const METADATA_TTL: Duration = Duration::from_secs(300);
/// The most the server reads of one answer of the provider.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The provider as the administrator configured it.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The button says "Sign in with NAME".
    pub name: String,
    /// Asked for besides `openid` (by default `email profile`).
    pub scopes: Vec<String>,
    /// Verified addresses of these domains make an account at their first sign-in, whatever the
    /// sign-up policy (but `closed`).
    pub allowed_domains: Vec<String>,
    /// Members of this group (in the `groups_claim` claim) are site administrators, others not.
    pub admin_group: Option<String>,
    pub groups_claim: String,
    /// The address people open the server at (`--public-url`): the redirect URL is made from it.
    pub public_url: String,
}

/// The client `from_provider_metadata` makes: authorization endpoint set, token and user info
/// endpoints as discovery found them.
type ProviderClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The configured provider, ready to sign people in.
pub struct Sso {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect: RedirectUrl,
    name: String,
    scopes: Vec<String>,
    allowed_domains: Vec<String>,
    admin_group: Option<String>,
    groups_claim: String,
    http: ProviderHttp,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("Sso").field("issuer", &self.issuer.as_str()).field("name", &self.name).finish()
    }
}

/// A sign-in on its way: what the session holds between the button and the way back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInFlow {
    state: String,
    nonce: String,
    verifier: String,
    started_at: i64,
    /// The page to open afterwards.
    pub next: String,
    /// The site or team invite of the link that brought the person, if any.
    pub invite: Option<String>,
    /// The browser's time zone, for a new account.
    pub timezone: String,
}

/// What the provider sent the person back with (the callback's query).
#[derive(Debug, Default, Deserialize)]
pub struct ProviderAnswer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A person the provider vouched for, its ID token checked.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

fn refused(message: &str) -> AppError {
    AppError::Forbidden(message.to_string())
}

const START_AGAIN: &str = "The sign-in could not be checked (it took over ten minutes, was started in another browser, or its link was changed): sign in again.";
const NOT_VERIFIED: &str = "The identity provider's answer did not pass KeyTrack's checks, so you are not signed in. Sign in again; if it happens again, tell the server's administrator.";
const UNREACHABLE: &str = "The identity provider could not be reached: try again in a moment.";

impl Sso {
    /// The provider of `settings`; an error names the setting that is wrong.
    pub fn new(settings: SsoSettings) -> Result<Sso, String> {
        let issuer = IssuerUrl::new(settings.issuer.trim().trim_end_matches('/').to_string())
            .map_err(|e| format!("--oidc-issuer: {e}"))?;
        if settings.client_id.trim().is_empty() {
            return Err("--oidc-issuer needs --oidc-client-id (the client KeyTrack is at the provider)".into());
        }
        let redirect = RedirectUrl::new(format!("{}{CALLBACK_PATH}", settings.public_url))
            .map_err(|e| format!("--public-url: {e}"))?;
        let http = reqwest::Client::builder()
            // Following redirects would let a provider's answer send the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the HTTP client for the provider: {e}"))?;
        let mut scopes: Vec<String> = Vec::new();
        for scope in settings.scopes.iter().flat_map(|s| s.split([' ', ','])).map(str::trim) {
            if !scope.is_empty() && scope != "openid" && !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        Ok(Sso {
            issuer,
            client_id: ClientId::new(settings.client_id.trim().to_string()),
            client_secret: ClientSecret::new(settings.client_secret),
            redirect,
            name: settings.name,
            scopes,
            allowed_domains: settings
                .allowed_domains
                .iter()
                .flat_map(|d| d.split(','))
                .map(|d| d.trim().trim_start_matches('@').to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            admin_group: settings.admin_group.filter(|g| !g.trim().is_empty()),
            groups_claim: settings.groups_claim,
            http: ProviderHttp(http),
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    /// The button's "Sign in with NAME".
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The redirect URL to register with the provider.
    pub fn redirect_url(&self) -> &str {
        self.redirect.as_str()
    }

    /// The provider's discovery document, read again once it is [`METADATA_TTL`] old.
    pub async fn metadata(&self) -> Result<CoreProviderMetadata, AppError> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, metadata)) = cached.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await.map_err(|e| {
            tracing::warn!(issuer = self.issuer.as_str(), error = %error_chain(&e), "single sign-on: discovery failed");
            refused(UNREACHABLE)
        })?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// KeyTrack as the provider's client: its endpoints (discovery), id, secret and redirect URL.
    async fn client(&self) -> Result<ProviderClient, AppError> {
        let metadata = self.metadata().await?;
        let secret = Some(self.client_secret.clone());
        Ok(CoreClient::from_provider_metadata(metadata, self.client_id.clone(), secret)
            .set_redirect_uri(self.redirect.clone()))
    }

    /// Where to send the person to sign in, and what the session keeps until they are back.
    pub async fn begin(
        &self,
        next: &str,
        invite: Option<String>,
        timezone: &str,
    ) -> Result<(String, SignInFlow), AppError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request =
            client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let flow = SignInFlow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            started_at: now(),
            next: next.to_string(),
            invite,
            timezone: timezone.to_string(),
        };
        Ok((url.to_string(), flow))
    }

    /// The person back from the provider: the flow's `state` matched, the code exchanged (with
    /// the PKCE verifier), the ID token checked (signature with the provider's keys, issuer,
    /// audience, expiry, the flow's nonce) and the person's claims read (from the user info
    /// endpoint too when the ID token has no email).
    pub async fn finish(&self, flow: &SignInFlow, answer: ProviderAnswer) -> Result<Identity, AppError> {
        let age = now() - flow.started_at;
        if !(0..=FLOW_SECONDS).contains(&age) {
            return Err(refused(START_AGAIN));
        }
        let state_matches = answer.state.as_deref().is_some_and(|state| {
            use subtle::ConstantTimeEq;
            bool::from(state.as_bytes().ct_eq(flow.state.as_bytes()))
        });
        if !state_matches {
            tracing::info!("single sign-on refused: the state the provider sent back is not the session's");
            return Err(refused(START_AGAIN));
        }
        if let Some(error) = answer.error {
            let error: String = error.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
            let detail: String = answer.error_description.unwrap_or_default().chars().take(200).collect();
            tracing::info!(error, detail, "single sign-on: the provider refused");
            return Err(AppError::Forbidden(if error == "access_denied" {
                "The identity provider did not sign you in (you cancelled, or it refused): sign in again.".into()
            } else {
                format!(
                    "The identity provider answered \"{error}\": sign in again, or tell the server's administrator."
                )
            }));
        }
        let code = answer.code.filter(|code| !code.is_empty()).ok_or_else(|| refused(START_AGAIN))?;
        let client = self.client().await?;
        let exchange = client.exchange_code(AuthorizationCode::new(code)).map_err(|e| {
            tracing::warn!(error = %e, "single sign-on: the provider has no token endpoint");
            refused(NOT_VERIFIED)
        })?;
        let tokens = exchange
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %error_chain(&e), "single sign-on: the code was not exchanged");
                refused(NOT_VERIFIED)
            })?;
        let id_token = tokens.id_token().ok_or_else(|| {
            tracing::warn!("single sign-on: the provider's answer has no ID token");
            refused(NOT_VERIFIED)
        })?;
        let verifier = client.id_token_verifier();
        let nonce = Nonce::new(flow.nonce.clone());
        let claims = id_token.claims(&verifier, &nonce).map_err(|e| {
            tracing::warn!(error = %e, "single sign-on refused: the ID token did not pass");
            refused(NOT_VERIFIED)
        })?;
        // The access token is the one the ID token was issued with (when the token says which).
        if let Some(expected) = claims.access_token_hash() {
            let matches = id_token
                .signing_alg()
                .ok()
                .zip(id_token.signing_key(&verifier).ok())
                .and_then(|(alg, key)| AccessTokenHash::from_token(tokens.access_token(), alg, key).ok())
                .is_some_and(|actual| actual == *expected);
            if !matches {
                tracing::warn!("single sign-on refused: the access token is not the ID token's");
                return Err(refused(NOT_VERIFIED));
            }
        }
        let mut identity = Identity {
            issuer: claims.issuer().as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|email| email.as_str().to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|name| name.get(None)).map(|name| name.as_str().to_string()),
            groups: groups_in(&id_token_payload(&id_token.to_string()), &self.groups_claim),
        };
        let needs_user_info = identity.email.is_none() || (self.admin_group.is_some() && identity.groups.is_empty());
        if needs_user_info
            && let Ok(request) = client.user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        {
            match request.request_async::<RawClaims, _, CoreGenderClaim>(&self.http).await {
                Ok(info) => {
                    if identity.email.is_none() {
                        identity.email = info.email().map(|email| email.as_str().to_string());
                        identity.email_verified = info.email_verified().unwrap_or(false);
                    }
                    if identity.name.is_none() {
                        identity.name = info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string());
                    }
                    if identity.groups.is_empty() {
                        identity.groups = groups_in(&info.additional_claims().0, &self.groups_claim);
                    }
                }
                Err(e) => tracing::warn!(error = %error_chain(&e), "single sign-on: user info not read"),
            }
        }
        Ok(identity)
    }

    fn domain_allowed(&self, email: &str) -> bool {
        email.rsplit_once('@').is_some_and(|(_, domain)| self.allowed_domains.iter().any(|d| d == domain))
    }
}

/// Every claim of a user info answer, for the group claim (whose name is configured).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct RawClaims(serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for RawClaims {}

/// The claims of a JWT already verified (the library checked its signature): its middle part.
fn id_token_payload(jwt: &str) -> serde_json::Map<String, serde_json::Value> {
    jwt.split('.')
        .nth(1)
        .and_then(|payload| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The names in the group claim: a list of strings, or one string.
fn groups_in(claims: &serde_json::Map<String, serde_json::Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(group)) => vec![group.clone()],
        _ => Vec::new(),
    }
}

/// An error with its causes, for the log (the library's errors say little at the top).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

const NO_EMAIL: &str = "The identity provider gave no email address, which KeyTrack needs: ask its administrator to release the email claim to KeyTrack (the \"email\" scope).";
const NOT_LINKED: &str = "An account with this email exists, but the identity provider does not say the address is verified, so it was not linked: log in with your password, or ask the server's administrator.";

/// The account `identity` signs in to, made or linked as the rules allow (see the module's
/// doc); refusals are `Forbidden` with a sentence for the login page, and are audited. `invite`:
/// the invite of the link that brought the person; `timezone`: their browser's, for a new account.
pub async fn sign_in(
    database: &Database,
    sso: &Sso,
    identity: &Identity,
    invite: Option<&str>,
    timezone: &str,
) -> Result<i64, AppError> {
    let issuer = identity.issuer.as_str();
    let outcome = account_for(database, sso, identity, invite, timezone).await;
    let id = match outcome {
        Ok(id) => id,
        Err(error @ (AppError::Forbidden(_) | AppError::Conflict(_) | AppError::AccountDisabled)) => {
            let target = identity.email.as_deref().map_or(Who::Email(&identity.subject), Who::Email);
            audit::record(database, Action::SsoRefused, None, Some(target), &error.public_message()).await?;
            return Err(error);
        }
        Err(other) => return Err(other),
    };
    if let Some(group) = &sso.admin_group {
        let member = identity.groups.iter().any(|g| g == group);
        // The role follows the group; the last administrator keeps it (set_admin refuses).
        if let Err(e) = admin::set_admin(database, None, id, member).await {
            tracing::warn!(user = id, error = %e.public_message(), "single sign-on: the administrator role was not changed");
        }
    }
    store::sso::note_login(database, issuer, &identity.subject, now()).await?;
    super::accounts::logged_in(database, id, &format!("with single sign-on ({issuer})")).await?;
    Ok(id)
}

async fn account_for(
    database: &Database,
    sso: &Sso,
    identity: &Identity,
    invite: Option<&str>,
    timezone: &str,
) -> Result<i64, AppError> {
    let issuer = identity.issuer.as_str();
    if let Some(id) = store::sso::account_of(database, issuer, &identity.subject).await? {
        let user = store::users::by_id(database, id).await?.ok_or(AppError::NotFound)?;
        if user.disabled_at.is_some() {
            return Err(AppError::AccountDisabled);
        }
        return Ok(id);
    }
    let email = identity.email.as_deref().ok_or_else(|| refused(NO_EMAIL))?;
    let email = auth::normalize_email(email).map_err(|_| refused(NO_EMAIL))?;
    if let Some(user) = store::users::by_email(database, &email).await? {
        if !identity.email_verified {
            return Err(refused(NOT_LINKED));
        }
        if user.disabled_at.is_some() {
            return Err(AppError::AccountDisabled);
        }
        if store::sso::link(database, user.id, issuer, &identity.subject, &user.email, now()).await? {
            let detail = format!("{issuer}, through the verified address {}", user.email);
            audit::record(database, Action::SsoLinked, Some(Who::Account(user.id)), None, &detail).await?;
        }
        return Ok(user.id);
    }
    // A first sign-in: an account, if the rules let this person make one.
    let pass = if identity.email_verified
        && sso.domain_allowed(&email)
        && site::policy(database).await? != site::SignUpPolicy::Closed
    {
        None
    } else {
        Some(site::may_sign_up(database, &email, invite).await?)
    };
    let new = super::accounts::NewSsoAccount {
        email: &email,
        display_name: identity.name.as_deref(),
        timezone,
        issuer,
        subject: &identity.subject,
    };
    super::accounts::sign_up_with_sso(database, new, pass).await
}

/// The server's HTTP client for the provider, as the `openidconnect` crate asks for one: our
/// reqwest (the crate's own would be another version), no redirects, answers of at most 1 MB.
#[derive(Clone)]
struct ProviderHttp(reqwest::Client);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderHttpError(String);

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = ProviderHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, ProviderHttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let failed = |e: &dyn std::fmt::Display| ProviderHttpError(e.to_string());
            let request = reqwest::Request::try_from(request).map_err(|e| failed(&e))?;
            let mut response = self.0.execute(request).await.map_err(|e| ProviderHttpError(error_chain(&e)))?;
            let mut answer = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(ProviderHttpError(format!("the answer is over {MAX_ANSWER_BYTES} bytes")));
                }
                body.extend_from_slice(&chunk);
            }
            answer.body(body).map_err(|e| failed(&e))
        })
    }
}
