//! The commands "Add a computer" gives to install the agent on a platform: download it from this
//! server, check its SHA-256, pair it, start it with the session. Pure text, so that what the page
//! shows is unit-tested here and run for real in the browser tests.

/// Where the agent goes on Linux: the user's own programs, no root needed.
pub const LINUX_AGENT_PATH: &str = "~/.local/bin/keytrack-agent";

/// Shell commands (bash, as on any Linux desktop) for the Linux x86_64 agent.
pub fn linux_commands(origin: &str, url: &str, sha256: &str) -> String {
    let agent = LINUX_AGENT_PATH;
    [
        "mkdir -p ~/.local/bin".to_string(),
        format!("curl -fL -o {agent} {origin}{url}"),
        // sha256sum -c fails (and `&&` stops) on a mismatch; $HOME, since ~ is not expanded in quotes.
        format!("echo \"{sha256}  $HOME/.local/bin/keytrack-agent\" | sha256sum -c - && chmod +x {agent}"),
        format!("{agent} pair --server {origin}"),
        format!("{agent} install-service"),
    ]
    .join("\n")
}

/// PowerShell commands for the Windows x86_64 agent, into the user's local app data.
pub fn windows_commands(origin: &str, url: &str, sha256: &str) -> String {
    let agent = "$env:LOCALAPPDATA\\KeyTrack\\keytrack-agent.exe";
    [
        "New-Item -ItemType Directory -Force -Path \"$env:LOCALAPPDATA\\KeyTrack\" | Out-Null".to_string(),
        format!("Invoke-WebRequest -Uri \"{origin}{url}\" -OutFile \"{agent}\""),
        // Get-FileHash prints upper case; PowerShell's -ne compares without case.
        format!(
            "if ((Get-FileHash \"{agent}\" -Algorithm SHA256).Hash -ne \"{sha256}\") {{ Remove-Item \"{agent}\"; throw \"wrong checksum: not installed\" }}"
        ),
        format!("& \"{agent}\" pair --server {origin}"),
        format!("& \"{agent}\" install-service"),
    ]
    .join("\n")
}

/// `12.3 MB` for a download's size (decimal megabytes, as browsers show downloads).
pub fn file_size(bytes: u64) -> String {
    if bytes >= 1_000_000 { format!("{:.1} MB", bytes as f64 / 1e6) } else { format!("{} KB", bytes.div_ceil(1000)) }
}

/// Whether `origin` (`http://host:port`) names this very computer (`localhost`, `127.x.x.x`,
/// `[::1]`): a command carrying it works nowhere else.
pub fn is_loopback(origin: &str) -> bool {
    let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let host = host.split(['/', '?', '#']).next().unwrap_or_default();
    // `[::1]:3000` keeps its brackets; `127.0.0.1:3000` loses its port.
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn linux_commands_fetch_check_pair_and_install_from_this_server() {
        let text = linux_commands("https://kt.example.com", "/downloads/linux-x86_64/keytrack-agent", SHA);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "mkdir -p ~/.local/bin",
                "curl -fL -o ~/.local/bin/keytrack-agent https://kt.example.com/downloads/linux-x86_64/keytrack-agent",
                "echo \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  $HOME/.local/bin/keytrack-agent\" | sha256sum -c - && chmod +x ~/.local/bin/keytrack-agent",
                "~/.local/bin/keytrack-agent pair --server https://kt.example.com",
                "~/.local/bin/keytrack-agent install-service",
            ]
        );
    }

    #[test]
    fn windows_commands_refuse_a_file_with_the_wrong_checksum() {
        let text = windows_commands("http://10.0.0.5:3000", "/downloads/windows-x86_64/keytrack-agent.exe", SHA);
        assert!(text.contains(
            "Invoke-WebRequest -Uri \"http://10.0.0.5:3000/downloads/windows-x86_64/keytrack-agent.exe\" -OutFile"
        ));
        assert!(text.contains(&format!("-Algorithm SHA256).Hash -ne \"{SHA}\") {{ Remove-Item")));
        assert!(text.ends_with("& \"$env:LOCALAPPDATA\\KeyTrack\\keytrack-agent.exe\" install-service"));
        assert!(text.contains("pair --server http://10.0.0.5:3000\n"));
    }

    #[test]
    fn loopback_addresses_are_told_apart_from_ones_other_computers_reach() {
        for here in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
            "https://LOCALHOST",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback(here), "{here}");
        }
        for there in [
            "http://192.168.1.20:3000",
            "https://keytrack.example.com",
            "http://[fe80::1]:3000",
            "http://localhost.example.com",
        ] {
            assert!(!is_loopback(there), "{there}");
        }
    }

    #[test]
    fn sizes_read_as_browsers_show_them() {
        assert_eq!(file_size(12_345_678), "12.3 MB");
        assert_eq!(file_size(999_001), "1000 KB");
        assert_eq!(file_size(1), "1 KB");
    }
}
