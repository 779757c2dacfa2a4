//! The live view in the browser: one EventSource per page on the server's stream, turned into
//! signals a page fetches its figures again on, and the small "Live" indicator. The stream only
//! says that something changed: the figures always come through the same server functions as a
//! reload.

use keytrack_wire::live::Arrival;
use leptos::prelude::*;

/// How long after the last upload the indicator stops saying "live" and says how long it has been.
const QUIET_AFTER_SECS: i64 = 120;

/// What a page's stream has told it so far.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// Goes up whenever the page's figures may have changed (an upload, a team change, a resync).
    pub changes: RwSignal<u64>,
    /// Goes up when key detail arrived (the heatmaps change only then), or on a resync.
    pub detail_changes: RwSignal<u64>,
    /// The user's today, from the stream's first event.
    pub today: RwSignal<Option<String>>,
    /// The last upload heard of.
    pub last: RwSignal<Option<Arrival>>,
    /// Whether the stream is open now (it reconnects by itself when not).
    pub connected: RwSignal<bool>,
}

impl LiveFeed {
    /// Whether a page whose range ends on `to` (`None`: today) follows the stream.
    pub fn follows(&self, to: Option<&str>) -> bool {
        match (to.filter(|t| !t.is_empty()), self.today.get()) {
            (None, _) => true,
            (Some(to), Some(today)) => to >= today.as_str(),
            (Some(_), None) => false,
        }
    }

    /// A feed that has heard nothing yet and listens to nothing until `listen`.
    pub fn new() -> LiveFeed {
        LiveFeed {
            changes: RwSignal::new(0),
            detail_changes: RwSignal::new(0),
            today: RwSignal::new(None),
            last: RwSignal::new(None),
            connected: RwSignal::new(false),
        }
    }

    /// Listens to the stream at `url` while the calling component lives.
    pub fn listen(self, url: String) {
        #[cfg(feature = "hydrate")]
        browser::listen(url, self);
        #[cfg(not(feature = "hydrate"))]
        let _ = (url, self);
    }
}

impl Default for LiveFeed {
    fn default() -> LiveFeed {
        LiveFeed::new()
    }
}

/// Listens to the stream at `url` while the calling component lives.
pub fn use_live_feed(url: String) -> LiveFeed {
    let feed = LiveFeed::new();
    feed.listen(url);
    feed
}

#[cfg(feature = "hydrate")]
mod browser {
    use keytrack_wire::live::{Arrival, LiveHello, event};
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;

    use super::LiveFeed;

    type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;

    fn data<T: serde::de::DeserializeOwned>(message: &web_sys::MessageEvent) -> Option<T> {
        serde_json::from_str(&message.data().as_string()?).ok()
    }

    pub fn listen(url: String, feed: LiveFeed) {
        let Ok(source) = web_sys::EventSource::new(&url) else {
            leptos::logging::error!("the live view cannot open {url}");
            return;
        };
        let mut reconnected = false;
        // The page's account, fetched again when the stream is refused for good (an ended
        // session: an administrator disabled the account): the page then says so.
        let auth = use_context::<crate::ui::session::Auth>();
        let refused = source.clone();
        let listeners: Vec<(&str, Listener)> = vec![
            (
                event::HELLO,
                Closure::new(move |message: web_sys::MessageEvent| {
                    if let Some(hello) = data::<LiveHello>(&message) {
                        feed.today.set(Some(hello.today));
                        if hello.last.is_some() {
                            feed.last.set(hello.last);
                        }
                    }
                    feed.connected.set(true);
                    // After a reconnect, what happened meanwhile is unknown: fetch again.
                    if reconnected {
                        feed.changes.update(|n| *n += 1);
                        feed.detail_changes.update(|n| *n += 1);
                    }
                    reconnected = true;
                }),
            ),
            (
                event::ARRIVAL,
                Closure::new(move |message: web_sys::MessageEvent| {
                    if let Some(arrival) = data::<Arrival>(&message) {
                        if arrival.blocks > 0 {
                            feed.detail_changes.update(|n| *n += 1);
                        }
                        feed.last.set(Some(arrival));
                    }
                    feed.changes.update(|n| *n += 1);
                }),
            ),
            (
                event::TEAM_CHANGED,
                Closure::new(move |_: web_sys::MessageEvent| {
                    feed.changes.update(|n| *n += 1);
                }),
            ),
            (
                event::RESYNC,
                Closure::new(move |_: web_sys::MessageEvent| {
                    feed.changes.update(|n| *n += 1);
                    feed.detail_changes.update(|n| *n += 1);
                }),
            ),
            (
                "error",
                Closure::new(move |_: web_sys::MessageEvent| {
                    feed.connected.set(false);
                    // A browser gives up on a stream only when it is refused (not on a dropped
                    // connection, which it retries): whoever was logged in may be no more.
                    if refused.ready_state() == web_sys::EventSource::CLOSED
                        && let Some(auth) = auth
                    {
                        auth.refetch();
                    }
                }),
            ),
        ];
        for (name, listener) in &listeners {
            let _ = source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        // The stream and its listeners live exactly as long as the page's component.
        let kept = StoredValue::new_local(Some((source, listeners)));
        on_cleanup(move || {
            kept.update_value(|kept| {
                if let Some((source, _listeners)) = kept.take() {
                    source.close();
                }
            })
        });
    }

    /// Seconds since the Unix epoch, by the browser's clock.
    pub fn now() -> i64 {
        (js_sys::Date::now() / 1000.0) as i64
    }
}

/// Unix seconds now, by the browser's clock.
fn now() -> i64 {
    #[cfg(feature = "hydrate")]
    return browser::now();
    #[cfg(not(feature = "hydrate"))]
    0
}

/// "Live", when data last arrived and from which device; or plainly that nothing has arrived
/// for a while, or that the stream is reconnecting.
#[component]
pub fn LiveBadge(feed: LiveFeed, #[prop(optional)] team: bool) -> impl IntoView {
    // A clock that moves, so that "quiet since" appears without an event.
    let tick = RwSignal::new(0u64);
    // The person's zone, as every other time on the page.
    let clock = crate::ui::session::use_auth().clock();
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|n| *n += 1), std::time::Duration::from_secs(15))
        {
            on_cleanup(move || handle.clear());
        }
    }
    let text = Memo::new(move |_| {
        tick.track();
        if !feed.connected.get() {
            return ("live-off", "Connecting to the live view…".to_string());
        }
        match feed.last.get() {
            _ if team => ("live-on", "Live: updates as members' agents upload".to_string()),
            Some(last) if now() - last.at <= QUIET_AFTER_SECS => {
                ("live-on", format!("Live · last data {} from {}", clock.time_of_day(last.at), last.device))
            }
            Some(last) => (
                "live-quiet",
                format!(
                    "No agent has uploaded since {} ({}); this page updates when one does",
                    clock.time_of_day(last.at),
                    last.device
                ),
            ),
            None => ("live-quiet", "No agent has uploaded yet; this page updates when one does".to_string()),
        }
    });
    view! {
        <p class=move || format!("live-badge {}", text.read().0) data-testid="live-badge" role="status">
            <span class="dot" aria-hidden="true"></span>
            {move || text.read().1.clone()}
        </p>
    }
}
