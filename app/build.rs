//! Builds the server again when a migration is added or changed: `sqlx::migrate!` embeds the
//! files of `migrations/` at compile time, and cargo does not know to look there by itself (a new
//! migration would otherwise reach the binary only with the next change to this crate's code).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
