//! `keytrack-agent install-service`: start the agent with the user's session.
//! Linux: a systemd user unit (tested). macOS: a launchd agent plist; Windows: a Run key entry
//! (both written from their documented formats, not tested on those systems).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// What was written, and whether it could also be enabled.
pub struct Installed {
    pub path: PathBuf,
    pub enabled: Result<(), String>,
}

pub fn systemd_unit(exe: &Path, dir: &Path) -> String {
    format!(
        "[Unit]\n\
         Description=KeyTrack agent: counts keyboard and mouse use (never text) and uploads the counts\n\
         PartOf=graphical-session.target\n\
         After=graphical-session.target\n\
         \n\
         [Service]\n\
         ExecStart=\"{}\" --config-dir \"{}\" run\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         \n\
         [Install]\n\
         WantedBy=graphical-session.target\n",
        exe.display(),
        dir.display()
    )
}

pub fn launchd_plist(exe: &Path, dir: &Path) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>app.keytrack.agent</string>
  <key>ProgramArguments</key>
  <array><string>{}</string><string>--config-dir</string><string>{}</string><string>run</string></array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
</dict>
</plist>
"#,
        xml_escape(&exe.display().to_string()),
        xml_escape(&dir.display().to_string())
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Writes the platform's autostart entry; with `enable`, also turns it on.
pub fn install(dir: &Path, enable: bool) -> anyhow::Result<Installed> {
    let exe = std::env::current_exe().context("cannot tell where this program is")?;
    if cfg!(target_os = "macos") {
        let home = dirs::home_dir().context("no home directory")?;
        let path = home.join("Library/LaunchAgents/app.keytrack.agent.plist");
        write(&path, &launchd_plist(&exe, dir))?;
        let enabled =
            if enable { run_command(Command::new("launchctl").args(["load", "-w"]).arg(&path)) } else { Ok(()) };
        Ok(Installed { path, enabled })
    } else if cfg!(windows) {
        let key = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
        let value = format!("\"{}\" --config-dir \"{}\" run", exe.display(), dir.display());
        let enabled = run_command(
            Command::new("reg").args(["add", key, "/v", "KeyTrackAgent", "/t", "REG_SZ", "/d"]).arg(&value).arg("/f"),
        );
        Ok(Installed { path: PathBuf::from(key), enabled })
    } else {
        let base = dirs::config_dir().context("no config directory")?;
        let path = base.join("systemd/user/keytrack-agent.service");
        write(&path, &systemd_unit(&exe, dir))?;
        let enabled = if enable {
            run_command(Command::new("systemctl").args(["--user", "daemon-reload"])).and_then(|()| {
                run_command(Command::new("systemctl").args(["--user", "enable", "--now", "keytrack-agent.service"]))
            })
        } else {
            Ok(())
        };
        Ok(Installed { path, enabled })
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn run_command(command: &mut Command) -> Result<(), String> {
    let program = format!("{command:?}");
    match command.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_runs_this_agent_with_its_dir() {
        let unit = systemd_unit(Path::new("/opt/kt/keytrack-agent"), Path::new("/home/a/.config/keytrack-agent"));
        assert!(
            unit.contains("ExecStart=\"/opt/kt/keytrack-agent\" --config-dir \"/home/a/.config/keytrack-agent\" run\n")
        );
        assert!(unit.contains("WantedBy=graphical-session.target"));
        let plist = launchd_plist(Path::new("/Applications/K&T/agent"), Path::new("/Users/a/kt"));
        assert!(plist.contains("<string>/Applications/K&amp;T/agent</string>"));
    }
}
