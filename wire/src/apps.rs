//! Applications: which program had the focus while keys were pressed, the pointer clicked and
//! time went by, and the never-count list of programs whose input is not counted at all.
//!
//! An application is named by its program only (`firefox`, `code`, `xterm`): never a window
//! title, which carries document names, URLs and message subjects. Per-application counts are key
//! detail and travel, like per-key counts, only in closed hour blocks ([`crate::HourBlock::apps`]).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The longest application name kept.
pub const MAX_APP_NAME_CHARS: usize = 64;

/// Applications in one hour block (a busy day switches between a few dozen).
pub const MAX_APPS_PER_BLOCK: usize = 256;

/// What the least used applications of a block that would name too many are counted under.
pub const OTHER_APPS: &str = "other-apps";

/// Names on a never-count list, at most.
pub const MAX_NEVER_COUNT: usize = 100;

/// Programs whose input is never counted unless the person takes them off the list: password
/// managers, and the prompts that ask for a password or passphrase (pinentry for GnuPG and SSH
/// keys, the GNOME keyring and polkit prompts, Windows' credential prompt). Terminals running
/// `sudo`, `su`, `doas`, `passwd` or `pkexec` are left out too, on Linux, while such a program
/// runs in them (see the agent's focus reader). A name also covers its variants: `pinentry`
/// covers `pinentry-gtk-2` ([`never_counts`]).
pub const DEFAULT_NEVER_COUNT: &[&str] = &[
    "1password",
    "bitwarden",
    "credentialuibroker",
    "dashlane",
    "enpass",
    "gcr-prompter",
    "keepass",
    "keepass2",
    "keepassx",
    "keepassxc",
    "keeper",
    "kwalletmanager5",
    "lastpass",
    "lxpolkit",
    "nordpass",
    "pinentry",
    "polkit-gnome-authentication-agent-1",
    "polkit-kde-authentication-agent-1",
    "proton-pass",
    "roboform",
    "seahorse",
    "ssh-askpass",
];

/// Programs that, running in a terminal, ask for a password: while one runs in the focused
/// terminal, its input is not counted.
pub const PASSWORD_PROMPTS: &[&str] = &["doas", "passwd", "pkexec", "su", "sudo", "sudoedit"];

/// Use of one application within a block's hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppUsage {
    /// The program's name as [`app_name`] writes it, e.g. `firefox`. Rule: 1-64 characters of
    /// `a-z 0-9 . _ + -`, starting with a letter or digit; each name once in a block.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9._+-]{0,63}$", min_length = 1, max_length = 64))]
    pub name: String,
    /// Key presses while it had the focus. Rule: all applications together at most the block's
    /// key presses.
    #[serde(default)]
    pub keys: u32,
    /// Clicks while it had the focus. Rule: at most 60,000 a minute of the block's hours.
    #[serde(default)]
    pub clicks: u32,
    /// Seconds with any input while it had the focus. Rule: at most the block's seconds.
    #[serde(default)]
    pub active_seconds: u32,
}

impl AppUsage {
    pub fn is_empty(&self) -> bool {
        self.keys == 0 && self.clicks == 0 && self.active_seconds == 0
    }

    /// Adds another count of the same application.
    pub fn add(&mut self, other: &AppUsage) {
        self.keys = self.keys.saturating_add(other.keys);
        self.clicks = self.clicks.saturating_add(other.clicks);
        self.active_seconds = self.active_seconds.saturating_add(other.active_seconds);
    }
}

/// The name an application is counted under, from what the system says of its program: the file
/// name of its executable (`/usr/lib/firefox/firefox`, `C:\...\Code.exe`) or its window class.
/// Lowercase, without a directory or `.exe`, spaces as `-`, other characters left out, at most
/// [`MAX_APP_NAME_CHARS`]. `None` when nothing usable is left.
pub fn app_name(program: &str) -> Option<String> {
    let file = program.rsplit(['/', '\\']).next().unwrap_or(program).trim();
    let lower = file.to_lowercase();
    let stem = lower.strip_suffix(".exe").unwrap_or(&lower);
    let mut name = String::with_capacity(stem.len().min(MAX_APP_NAME_CHARS));
    for c in stem.chars() {
        let c = if c.is_whitespace() { '-' } else { c };
        if c.is_ascii_lowercase() || c.is_ascii_digit() || (matches!(c, '.' | '_' | '+' | '-') && !name.is_empty()) {
            name.push(c);
        }
        if name.len() == MAX_APP_NAME_CHARS {
            break;
        }
    }
    (!name.is_empty()).then_some(name)
}

/// True when `name` is written as [`app_name`] writes names.
pub fn is_app_name(name: &str) -> bool {
    app_name(name).as_deref() == Some(name)
}

/// True when input in `app` is not counted by this list: `app` is on it, or is a variant of a
/// name on it (`pinentry-gtk-2` of `pinentry`, `keepassxc.bin` of `keepassxc`).
pub fn never_counts<S: AsRef<str>>(list: &[S], app: &str) -> bool {
    list.iter().any(|entry| {
        let entry = entry.as_ref();
        app.strip_prefix(entry).is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.', '_']))
    })
}

/// The user's list of applications never counted on any of their computers, as the profile
/// edits it and the agent receives it with each upload's receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NeverCount {
    /// Application names (as [`app_name`] writes them), each once, at most 100. Agents add their
    /// own list ([`DEFAULT_NEVER_COUNT`] unless changed with `keytrack-agent never-count`).
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub apps: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_programs_in_one_spelling() {
        assert_eq!(app_name("/usr/lib/firefox/firefox").as_deref(), Some("firefox"));
        assert_eq!(app_name(r"C:\Program Files\Microsoft VS Code\Code.exe").as_deref(), Some("code"));
        assert_eq!(app_name("XTerm").as_deref(), Some("xterm"));
        assert_eq!(app_name("Google Chrome").as_deref(), Some("google-chrome"));
        assert_eq!(app_name("gnome-terminal-server").as_deref(), Some("gnome-terminal-server"));
        assert_eq!(app_name("  "), None);
        assert_eq!(app_name("-.+"), None);
        assert_eq!(app_name("日本"), None);
        assert_eq!(app_name(&"a".repeat(100)).map(|n| n.len()), Some(MAX_APP_NAME_CHARS));
        assert!(is_app_name("keepassxc") && is_app_name("c++") && !is_app_name("Firefox") && !is_app_name(""));
        for default in DEFAULT_NEVER_COUNT {
            assert!(is_app_name(default), "{default}");
        }
    }

    #[test]
    fn a_listed_name_covers_its_variants_only() {
        let list = ["pinentry", "keepassxc"];
        assert!(never_counts(&list, "pinentry"));
        assert!(never_counts(&list, "pinentry-gtk-2"));
        assert!(never_counts(&list, "keepassxc.bin"));
        assert!(!never_counts(&list, "keepassx"));
        assert!(!never_counts(&list, "pinentryfoo"));
        assert!(!never_counts(&list, "firefox"));
        assert!(!never_counts::<&str>(&[], "firefox"));
    }
}
