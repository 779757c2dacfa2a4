//! The agent for download: "Add a computer" offers the agent binaries built with this server,
//! each with its SHA-256 checksum, at `/downloads/<platform>/<file>` (and `<file>.sha256`, served
//! by `web::downloads`).
//!
//! The server looks for them where the build puts them: with `--agent-downloads` (or
//! `KEYTRACK_AGENT_DOWNLOADS`) only in that directory; otherwise beside its own program (where cargo
//! puts `keytrack-agent`) and in cargo's directory for the Windows cross-build
//! (`<target>/x86_64-pc-windows-gnu/<profile>/keytrack-agent.exe`). `scripts/run.sh` builds both.
//! The downloads need no login: `curl` on the new computer fetches them, and they are the same
//! program for everyone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::model::{AgentDownload, AgentFile};
use crate::server::error::AppError;

/// A platform the agent is built for and offered to.
pub struct AgentPlatform {
    /// In the URL and the page: `linux-x86_64`.
    pub id: &'static str,
    /// The system as the page's buttons name it: `Linux`, `Windows`.
    pub system: &'static str,
    pub label: &'static str,
    /// The name the file has on disk and when saved.
    pub file_name: &'static str,
    /// The cargo target it is cross-built for, when it is not the server's own platform.
    cross_target: Option<&'static str>,
}

/// The platforms offered, in the page's order. Linux is the server's own build (the agent beside
/// it), so it is offered only by a server built for Linux on x86_64.
pub const AGENT_PLATFORMS: [AgentPlatform; 2] = [
    AgentPlatform {
        id: "linux-x86_64",
        system: "Linux",
        label: "Linux (x86_64)",
        file_name: "keytrack-agent",
        cross_target: None,
    },
    AgentPlatform {
        id: "windows-x86_64",
        system: "Windows",
        label: "Windows (x86_64)",
        file_name: "keytrack-agent.exe",
        cross_target: Some("x86_64-pc-windows-gnu"),
    },
];

/// Where the agent binaries are, and their checksums once computed.
pub struct AgentFiles {
    place: Place,
    /// Checksums computed so far: once per build of each file.
    hashed: Mutex<Vec<Hashed>>,
}

/// A file's checksum, with what says whether the file is still the one hashed.
struct Hashed {
    path: PathBuf,
    bytes: u64,
    modified: Option<SystemTime>,
    sha256: String,
}

enum Place {
    /// `--agent-downloads`: only there.
    Dir(PathBuf),
    /// The directory of the server's own program (cargo's `target/<profile>`).
    BesideServer(Option<PathBuf>),
}

impl AgentFiles {
    /// The binaries in `dir` and nowhere else.
    pub fn in_dir(dir: PathBuf) -> AgentFiles {
        AgentFiles { place: Place::Dir(dir), hashed: Mutex::new(Vec::new()) }
    }

    /// The binaries where cargo builds them beside this server.
    pub fn beside_server() -> AgentFiles {
        let dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
        AgentFiles { place: Place::BesideServer(dir), hashed: Mutex::new(Vec::new()) }
    }

    /// The file for `platform`, if it is there.
    pub fn path(&self, platform: &AgentPlatform) -> Option<PathBuf> {
        let native = cfg!(all(target_os = "linux", target_arch = "x86_64"));
        let candidate = match (&self.place, platform.cross_target) {
            (Place::Dir(dir), _) => Some(dir.join(platform.file_name)),
            (Place::BesideServer(Some(dir)), None) if native => Some(dir.join(platform.file_name)),
            // target/debug/keytrack -> target/x86_64-pc-windows-gnu/debug/keytrack-agent.exe
            (Place::BesideServer(Some(dir)), Some(target)) => {
                let profile = dir.file_name()?;
                Some(dir.parent()?.join(target).join(profile).join(platform.file_name))
            }
            _ => None,
        }?;
        candidate.is_file().then_some(candidate)
    }

    /// Every platform, with its file's size and checksum where the file is there. Hashing reads
    /// the whole file (tens of MB), once per build of it, on a blocking thread.
    pub async fn list(&self) -> Result<Vec<AgentDownload>, AppError> {
        let mut listed = Vec::new();
        for platform in &AGENT_PLATFORMS {
            let file = match self.path(platform) {
                Some(path) => Some(self.describe(path).await?),
                None => None,
            };
            listed.push(AgentDownload {
                platform: platform.id.to_string(),
                system: platform.system.to_string(),
                label: platform.label.to_string(),
                file_name: platform.file_name.to_string(),
                url: download_path(platform),
                version: env!("CARGO_PKG_VERSION").to_string(),
                build_command: build_command(platform),
                file,
            });
        }
        Ok(listed)
    }

    pub async fn describe(&self, path: PathBuf) -> Result<AgentFile, AppError> {
        let meta =
            tokio::fs::metadata(&path).await.map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
        let (bytes, modified) = (meta.len(), meta.modified().ok());
        let known = self
            .hashed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|seen| seen.path == path && seen.bytes == bytes && seen.modified == modified)
            .map(|seen| seen.sha256.clone());
        let sha256 = match known {
            Some(sha256) => sha256,
            None => {
                let file = path.clone();
                let sha256 = tokio::task::spawn_blocking(move || sha256_of(&file))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
                let mut hashed = self.hashed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                hashed.retain(|seen| seen.path != path);
                hashed.push(Hashed { path, bytes, modified, sha256: sha256.clone() });
                sha256
            }
        };
        Ok(AgentFile { bytes, sha256 })
    }
}

/// The cargo command that builds a platform's agent where the server finds it.
fn build_command(platform: &AgentPlatform) -> String {
    match platform.cross_target {
        Some(target) => format!("cargo build --release -p keytrack-agent --target {target}"),
        None => "cargo build --release -p keytrack-agent".to_string(),
    }
}

/// The URL path a platform's agent is downloaded from.
pub fn download_path(platform: &AgentPlatform) -> String {
    format!("/downloads/{}/{}", platform.id, platform.file_name)
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hash.update(&buffer[..read]);
    }
    Ok(hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_windows_build_is_found_where_cargo_cross_builds_it() {
        let target = tempfile::tempdir().expect("tempdir");
        let debug = target.path().join("debug");
        let windows = target.path().join("x86_64-pc-windows-gnu/debug");
        std::fs::create_dir_all(&windows).expect("dirs");
        std::fs::create_dir_all(&debug).expect("dirs");
        let files = AgentFiles { place: Place::BesideServer(Some(debug.clone())), hashed: Mutex::new(Vec::new()) };
        assert_eq!(files.path(&AGENT_PLATFORMS[1]), None);
        std::fs::write(windows.join("keytrack-agent.exe"), b"MZ").expect("write");
        std::fs::write(debug.join("keytrack-agent"), b"\x7fELF").expect("write");
        assert_eq!(files.path(&AGENT_PLATFORMS[1]), Some(windows.join("keytrack-agent.exe")));
        assert_eq!(files.path(&AGENT_PLATFORMS[0]), Some(debug.join("keytrack-agent")));
        // An explicit directory is the only place looked in.
        let only = AgentFiles::in_dir(target.path().to_path_buf());
        assert_eq!(only.path(&AGENT_PLATFORMS[1]), None);
    }

    #[test]
    fn checksums_are_sha256sum_hex() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("agent");
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(sha256_of(&path).expect("hash"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
