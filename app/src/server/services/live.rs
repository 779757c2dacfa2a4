//! The live view's fan-out: who is watching whose data, and telling them when an upload of it is
//! stored. Costs nothing while nobody watches (one map lookup per upload).
//!
//! Everything that crosses instances goes through one interface, [`Bus`]: this server's own
//! [`LocalBus`] hands messages straight back to its [`Hub`]; a bus between several instances
//! (PostgreSQL's LISTEN/NOTIFY, say) sends each message to every instance, whose listener hands
//! it to its own hub. Watchers announce themselves again every [`ANNOUNCE_EVERY`], so an agent
//! waiting on another instance learns of them.
//!
//! Streams are bounded: each watcher's channel holds [`BACKLOG`] events; a stream that falls
//! further behind gets a "resync" (the page fetches again) instead of an ever-growing buffer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keytrack_wire::live::Arrival;
use tokio::sync::{Notify, broadcast, watch};

use crate::server::error::AppError;
use crate::server::metrics::metrics;
use crate::server::store::{Notifications, Store};

/// Events waiting for a slow watcher before it is told to resync.
pub const BACKLOG: usize = 16;
/// Open streams per user (a browser tab is one; a team page adds one per member behind it).
pub const MAX_STREAMS_PER_USER: usize = 32;
/// How often an open stream says again that it watches (for agents waiting on other instances).
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(10);

/// What instances tell each other.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Message {
    /// An upload of the user's was stored.
    Arrived { user_id: i64, arrival: Arrival },
    /// Someone watches the user's data.
    Watching { user_id: i64 },
    /// The user's own streams end (their account was disabled or deleted).
    Ended { user_id: i64 },
}

/// The one way messages travel between server instances. Implementations deliver every message
/// to every instance's [`Hub::receive`], this one's included.
pub trait Bus: Send + Sync + 'static {
    fn send(&self, message: Message);
}

/// One instance alone: messages go straight to its hub.
pub struct LocalBus(Arc<Hub>);

impl Bus for LocalBus {
    fn send(&self, message: Message) {
        self.0.receive(message);
    }
}

/// Several instances on one PostgreSQL database: every message is a notification ([`Notifications`]), which
/// every instance (this one too) `LISTEN`s to and hands to its hub. One task sends the messages
/// in order; one connection listens, and comes back when it is lost. A message that cannot be sent
/// (the database is unreachable, the queue is full) is dropped with a warning: the stored data is
/// not touched, and a page that missed one hears the next or reloads when its stream reconnects.
pub struct PostgresBus {
    outbox: tokio::sync::mpsc::Sender<Message>,
}

/// Messages waiting to be sent before new ones are dropped.
const OUTBOX: usize = 4_096;

impl Bus for PostgresBus {
    fn send(&self, message: Message) {
        if let Err(error) = self.outbox.try_send(message) {
            tracing::warn!(%error, "a live update was not sent to the other instances");
        }
    }
}

impl PostgresBus {
    /// Starts sending and listening for `hub`; returns once this instance listens, so that no
    /// message sent after it is missed. The tasks end with the hub.
    async fn start(notifications: Notifications, hub: &Arc<Hub>) -> PostgresBus {
        let (outbox, mut queue) = tokio::sync::mpsc::channel::<Message>(OUTBOX);
        let sender = notifications.clone();
        tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                let Ok(payload) = serde_json::to_string(&message) else { continue };
                if let Err(error) = sender.send(&payload).await {
                    tracing::warn!(%error, "a live update was not sent to the other instances");
                }
            }
        });
        let mut listener = notifications.listen().await;
        let hub = Arc::downgrade(hub);
        tokio::spawn(async move {
            loop {
                match listener.take() {
                    Some(mut listening) => loop {
                        // The hub is held only while a message is handed over: waiting keeps it
                        // from nothing, and a hub gone ends the task at the next message.
                        match listening.recv().await {
                            Ok(payload) => {
                                let Some(hub) = hub.upgrade() else { return };
                                match serde_json::from_str::<Message>(&payload) {
                                    Ok(message) => hub.receive(message),
                                    Err(error) => {
                                        tracing::warn!(%error, "an unreadable live update from another instance");
                                    }
                                }
                            }
                            Err(error) => {
                                tracing::warn!(%error, "the live view stopped hearing the other instances; listening again");
                                break;
                            }
                        }
                    },
                    None if hub.strong_count() == 0 => return,
                    None => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        listener = notifications.listen().await;
                    }
                }
            }
        });
        PostgresBus { outbox }
    }
}

/// The watchers of one user on this instance.
struct UserChannel {
    arrivals: broadcast::Sender<Arrival>,
    /// Streams open on this instance (the per-user limit counts these).
    streams: AtomicUsize,
    /// Streams that show this user's data (own and team streams), here or, lately, elsewhere.
    watchers: AtomicUsize,
    /// Wakes agents waiting to hear that someone watches.
    watched: Notify,
    /// Moves on when the user's own streams must end.
    ended: watch::Sender<u64>,
}

/// This instance's watchers, by user.
#[derive(Default)]
pub struct Hub {
    users: Mutex<HashMap<i64, Arc<UserChannel>>>,
}

impl Hub {
    /// Delivers a message from the bus.
    pub fn receive(&self, message: Message) {
        match message {
            Message::Arrived { user_id, arrival } => {
                if let Some(channel) = self.existing(user_id) {
                    // No receiver is not an error: the watcher just left.
                    let _ = channel.arrivals.send(arrival);
                }
            }
            Message::Watching { user_id } => {
                if let Some(channel) = self.existing(user_id) {
                    channel.watched.notify_waiters();
                }
            }
            Message::Ended { user_id } => {
                if let Some(channel) = self.existing(user_id) {
                    channel.ended.send_modify(|generation| *generation += 1);
                }
            }
        }
    }

    fn existing(&self, user_id: i64) -> Option<Arc<UserChannel>> {
        self.users.lock().ok()?.get(&user_id).cloned()
    }

    /// The user's channel, made if needed. Every clone is taken under the lock, so that
    /// [`Hub::release`] can tell from the count that nobody else holds it.
    fn channel(&self, user_id: i64) -> Arc<UserChannel> {
        let mut users = self.users.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        users
            .entry(user_id)
            .or_insert_with(|| {
                Arc::new(UserChannel {
                    arrivals: broadcast::channel(BACKLOG).0,
                    streams: AtomicUsize::new(0),
                    watchers: AtomicUsize::new(0),
                    watched: Notify::new(),
                    ended: watch::channel(0).0,
                })
            })
            .clone()
    }

    /// Drops the map's copy of a channel nobody else holds.
    fn release(&self, user_id: i64, channel: Arc<UserChannel>) {
        let mut users = self.users.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The map's copy and `channel`: nobody else.
        if Arc::strong_count(&channel) == 2 {
            users.remove(&user_id);
        }
    }

    /// Users with a channel here (watched or waited for): what a day-long page must not grow.
    pub fn channels(&self) -> usize {
        self.users.lock().map_or(0, |users| users.len())
    }
}

/// The live view: the hub of this instance and the bus to the others.
#[derive(Clone)]
pub struct Live {
    hub: Arc<Hub>,
    bus: Arc<dyn Bus>,
    closing: watch::Receiver<bool>,
    close: Arc<watch::Sender<bool>>,
}

impl Default for Live {
    fn default() -> Live {
        let hub = Arc::new(Hub::default());
        Live::with_bus(hub.clone(), Arc::new(LocalBus(hub)))
    }
}

impl Live {
    /// The live view of a server on `store`: of this instance alone, or, where the store tells
    /// instances of each other's uploads (PostgreSQL), of every instance on its database
    /// ([`PostgresBus`]; it listens before this returns).
    pub async fn for_store(store: &Store) -> Live {
        match store.notifications() {
            Some(notifications) => {
                let hub = Arc::new(Hub::default());
                let bus = PostgresBus::start(notifications, &hub).await;
                Live::with_bus(hub, Arc::new(bus))
            }
            None => Live::default(),
        }
    }

    /// A live view whose messages travel on `bus` (which delivers them to `hub`, among others).
    pub fn with_bus(hub: Arc<Hub>, bus: Arc<dyn Bus>) -> Live {
        let (close, closing) = watch::channel(false);
        Live { hub, bus, closing, close: Arc::new(close) }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Tells the user's watchers (on every instance) that an upload was stored.
    pub fn arrived(&self, user_id: i64, arrival: Arrival) {
        self.bus.send(Message::Arrived { user_id, arrival });
    }

    /// Ends the user's own streams on every instance (their account was disabled or deleted: the
    /// page reconnects and is told it is logged out).
    pub fn end_streams_of(&self, user_id: i64) {
        self.bus.send(Message::Ended { user_id });
    }

    /// Ends every stream (the server is shutting down: browsers reconnect to the next one).
    pub fn close(&self) {
        let _ = self.close.send(true);
    }

    /// Resolves when the server shuts down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.clone();
        async move {
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Opens a stream for `viewer` that shows the data of `users` (the viewer alone, or a team's
    /// members): counts it against the viewer's limit and as a watcher of each user.
    pub fn open(&self, viewer: i64, users: &[i64]) -> Result<Stream, AppError> {
        let own = self.hub.channel(viewer);
        if own.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS_PER_USER {
            own.streams.fetch_sub(1, Ordering::SeqCst);
            self.hub.release(viewer, own);
            return Err(AppError::TooManyStreams(MAX_STREAMS_PER_USER));
        }
        let watched = users
            .iter()
            .map(|&user_id| {
                let channel = self.hub.channel(user_id);
                channel.watchers.fetch_add(1, Ordering::SeqCst);
                let arrivals = channel.arrivals.subscribe();
                self.bus.send(Message::Watching { user_id });
                Watched { user_id, channel, arrivals }
            })
            .collect();
        let ended = own.ended.subscribe();
        metrics().live_streams.inc();
        Ok(Stream {
            live: self.clone(),
            viewer,
            ended,
            own: Some(own),
            watched,
            next_announce: tokio::time::Instant::now() + ANNOUNCE_EVERY,
        })
    }

    /// Whether anyone watches the user's data now; if not, waits up to `wait` for someone to start.
    pub async fn wait_for_watcher(&self, user_id: i64, wait: Duration) -> bool {
        let channel = self.hub.channel(user_id);
        let watched = {
            let notified = channel.watched.notified();
            tokio::pin!(notified);
            // Registered before looking, so that a watcher arriving in between is not missed.
            notified.as_mut().enable();
            channel.watchers.load(Ordering::SeqCst) > 0
                || tokio::select! {
                    () = notified => true,
                    () = tokio::time::sleep(wait) => false,
                    () = self.closed() => false,
                }
        };
        self.hub.release(user_id, channel);
        watched
    }
}

/// One user's data a stream shows.
struct Watched {
    user_id: i64,
    channel: Arc<UserChannel>,
    arrivals: broadcast::Receiver<Arrival>,
}

/// What a stream hears next.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// An upload of the user at this index of the stream's users.
    Arrival(usize, Arrival),
    /// Events were skipped: fetch everything again.
    Resync,
    /// Time to say again that this stream watches.
    Announce,
    /// The server is shutting down, or the viewer's account can no longer watch.
    Closed,
}

/// An open stream's registration; dropping it ends the watch.
pub struct Stream {
    live: Live,
    viewer: i64,
    /// Changes when the viewer's streams must end.
    ended: watch::Receiver<u64>,
    own: Option<Arc<UserChannel>>,
    watched: Vec<Watched>,
    next_announce: tokio::time::Instant,
}

impl Stream {
    /// Waits for the next thing to tell the page, or until it is time to announce the watch.
    pub async fn next(&mut self) -> Heard {
        let closed = self.live.closed();
        let announce = tokio::time::sleep_until(self.next_announce);
        let (watched, ended) = (&mut self.watched, &mut self.ended);
        let arrivals = async {
            if watched.is_empty() {
                return std::future::pending().await;
            }
            let waiting =
                watched.iter_mut().enumerate().map(|(i, w)| Box::pin(async move { (i, w.arrivals.recv().await) }));
            futures::future::select_all(waiting).await.0
        };
        let ended = ended.changed();
        tokio::select! {
            _ = ended => Heard::Closed,
            (index, received) = arrivals => match received {
                Ok(arrival) => Heard::Arrival(index, arrival),
                Err(broadcast::error::RecvError::Lagged(_)) => Heard::Resync,
                // The sender lives in the channel this stream holds: not reached.
                Err(broadcast::error::RecvError::Closed) => Heard::Closed,
            },
            () = announce => {
                self.next_announce = tokio::time::Instant::now() + ANNOUNCE_EVERY;
                Heard::Announce
            }
            () = closed => Heard::Closed,
        }
    }

    /// Says again, to every instance, that the stream watches its users.
    pub fn announce(&self) {
        for watched in &self.watched {
            self.live.bus.send(Message::Watching { user_id: watched.user_id });
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        for watched in std::mem::take(&mut self.watched) {
            watched.channel.watchers.fetch_sub(1, Ordering::SeqCst);
            drop(watched.arrivals);
            self.live.hub.release(watched.user_id, watched.channel);
        }
        if let Some(own) = self.own.take() {
            own.streams.fetch_sub(1, Ordering::SeqCst);
            self.live.hub.release(self.viewer, own);
            metrics().live_streams.dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(at: i64) -> Arrival {
        Arrival { device: "laptop".into(), token_id: None, at, blocks: 0 }
    }

    #[tokio::test]
    async fn a_stream_hears_its_users_uploads_and_no_one_elses() {
        let live = Live::default();
        let mut stream = live.open(1, &[1]).expect("opens");
        live.arrived(2, arrival(5));
        live.arrived(1, arrival(6));
        assert_eq!(stream.next().await, Heard::Arrival(0, arrival(6)));
        drop(stream);
        assert_eq!(live.hub().channels(), 0, "nothing is left behind");
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_is_told_to_resync() {
        let live = Live::default();
        let mut stream = live.open(1, &[1]).expect("opens");
        for at in 0..(BACKLOG as i64 + 5) {
            live.arrived(1, arrival(at));
        }
        assert_eq!(stream.next().await, Heard::Resync);
    }

    #[tokio::test]
    async fn a_user_may_open_only_so_many_streams() {
        let live = Live::default();
        let streams: Vec<Stream> = (0..MAX_STREAMS_PER_USER).map(|_| live.open(1, &[1]).expect("opens")).collect();
        assert!(matches!(live.open(1, &[1]), Err(AppError::TooManyStreams(_))));
        drop(streams);
        assert!(live.open(1, &[1]).is_ok(), "closing streams frees the places");
    }

    #[tokio::test]
    async fn an_agent_waiting_learns_when_someone_starts_watching() {
        let live = Live::default();
        assert!(!live.wait_for_watcher(1, Duration::from_millis(20)).await, "nobody watches");
        let waiting = tokio::spawn({
            let live = live.clone();
            async move { live.wait_for_watcher(1, Duration::from_secs(30)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _stream = live.open(7, &[1]).expect("a team page shows user 1");
        assert!(waiting.await.expect("joins"), "woken by the new watcher");
        assert!(live.wait_for_watcher(1, Duration::from_secs(30)).await, "answered at once while watched");
    }

    #[tokio::test]
    async fn a_disabled_account_s_streams_end_and_no_one_else_s() {
        let live = Live::default();
        let mut own = live.open(1, &[1]).expect("opens");
        let mut other = live.open(2, &[1, 2]).expect("a teammate watching user 1 too");
        live.end_streams_of(1);
        assert_eq!(own.next().await, Heard::Closed);
        live.arrived(1, arrival(9));
        assert_eq!(other.next().await, Heard::Arrival(0, arrival(9)), "the teammate's stream goes on");
    }

    #[tokio::test]
    async fn closing_ends_streams_and_waits() {
        let live = Live::default();
        let mut stream = live.open(1, &[1]).expect("opens");
        live.close();
        assert_eq!(stream.next().await, Heard::Closed);
        assert!(!live.wait_for_watcher(2, Duration::from_secs(30)).await);
    }
}
