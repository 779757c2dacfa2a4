//! The use cases: what people and agents do with KeyTrack, each a few plain async functions that
//! check the rules and call the store. No HTTP here (that is `web`) and no SQL or engine (that is
//! `store`): a service takes the store's handles (`store::Database`, `store::uploads::Uploads`,
//! `store::attempts::Attempts`) and never asks which engine it runs on.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod data;
pub mod downloads;
pub mod export;
pub mod ingest;
pub mod live;
pub mod mail;
pub mod pairing;
pub mod passwords;
pub mod report;
pub mod site;
pub mod sso;
pub mod stats;
pub mod teams;
pub mod two_factor;
