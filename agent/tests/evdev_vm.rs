//! The agent's evdev capture against a real kernel's input devices. This machine has no
//! `/dev/uinput`, so the test boots Debian's kernel under QEMU (no network, TCG) with an
//! initramfs of busybox, the evdev and uinput modules, the real `keytrack-agent` binary and this
//! test binary, which inside the VM (`in-vm`) plays the person at the desk: it makes uinput
//! keyboards and a mouse, runs the agent as an ordinary user (devices are readable only once
//! given to that user, as udev's `uaccess` rule does), types, clicks, scrolls and moves, plugs a
//! keyboard in after the agent started, mirrors one as a remapper's virtual copy would, then stops
//! the agent and reads its spool. What it found comes back over the serial console as one line of
//! JSON, which the host side checks exactly.
//!
//! Needs `qemu-system-x86_64`, busybox-static, cpio and the kernel `scripts/setup.sh` fetches
//! (into `~/.cache/keytrack/vm-kernel`, or `KEYTRACK_VM_KERNEL`).

#![cfg_attr(not(target_os = "linux"), allow(unused))]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_keytrack-agent");
/// The ordinary user the agent runs as inside the VM.
const USER: u32 = 1000;

#[cfg(not(target_os = "linux"))]
fn main() {}

#[cfg(target_os = "linux")]
fn main() {
    if std::env::args().nth(1).as_deref() == Some("in-vm") {
        if let Err(error) = in_vm::run() {
            let said = std::fs::read_to_string(in_vm::AGENT_ERRORS).unwrap_or_default();
            println!("VM-FAILED {error:#}\nthe agent said:\n{said}");
        }
        return;
    }
    host::run();
    println!("evdev_vm: ok");
}

#[cfg(target_os = "linux")]
mod host {
    use super::*;

    fn kernel_dir() -> PathBuf {
        std::env::var_os("KEYTRACK_VM_KERNEL").map(PathBuf::from).unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
            home.join(".cache/keytrack/vm-kernel")
        })
    }

    /// Copies `binary` into `root` with the shared libraries `ldd` names (at the same paths).
    fn install(root: &Path, binary: &Path, as_name: &str) {
        let target = root.join("bin").join(as_name);
        // Without debug info: the initramfs lives in the VM's memory.
        let stripped = Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&target)
            .arg(binary)
            .status()
            .expect("strip (binutils)");
        assert!(stripped.success(), "strip {}", binary.display());
        let ldd = Command::new("ldd").arg(binary).output().expect("ldd");
        for line in String::from_utf8_lossy(&ldd.stdout).lines() {
            let library = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next(),
                None => line.split_whitespace().next().filter(|path| path.starts_with('/')),
            };
            let Some(library) = library.filter(|path| path.starts_with('/')) else {
                continue;
            };
            let inside = root.join(library.trim_start_matches('/'));
            std::fs::create_dir_all(inside.parent().expect("a library's directory")).expect("mkdir");
            std::fs::copy(library, &inside).unwrap_or_else(|e| panic!("copy {library}: {e}"));
        }
    }

    /// The initramfs: busybox, the two modules, the agent, this binary and an `/init` that runs it.
    fn initramfs(work: &Path, kernel: &Path) -> PathBuf {
        let root = work.join("root");
        for dir in ["bin", "dev", "proc", "sys", "tmp", "agent"] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox (Debian's busybox-static)");
        for module in ["evdev.ko", "uinput.ko"] {
            std::fs::copy(kernel.join(module), root.join(module)).expect("module");
        }
        // The agent's HTTPS client loads the system's CA certificates, as on any desktop.
        std::fs::create_dir_all(root.join("etc/ssl/certs")).expect("mkdir");
        std::fs::copy("/etc/ssl/certs/ca-certificates.crt", root.join("etc/ssl/certs/ca-certificates.crt"))
            .expect("the system's CA certificates");
        install(&root, Path::new(AGENT), "keytrack-agent");
        install(&root, &std::env::current_exe().expect("this test's binary"), "typist");
        let init = "#!/bin/busybox sh\n\
                    export PATH=/bin\n\
                    /bin/busybox --install -s /bin\n\
                    mount -t proc proc /proc\n\
                    mount -t sysfs sys /sys\n\
                    mount -t devtmpfs dev /dev\n\
                    insmod /evdev.ko\n\
                    insmod /uinput.ko\n\
                    /bin/typist in-vm\n\
                    poweroff -f\n";
        std::fs::write(root.join("init"), init).expect("init");
        let mut permissions = std::fs::metadata(root.join("init")).expect("init").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(root.join("init"), permissions).expect("chmod");
        let image = work.join("initrd.gz");
        let packed = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "cd '{}' && find . | cpio -o -H newc --quiet | gzip -1 > '{}'",
                root.display(),
                image.display()
            ))
            .status()
            .expect("cpio");
        assert!(packed.success(), "packing the initramfs");
        image
    }

    /// Boots the VM and returns what the typist found (its `RESULT` line) and the console.
    fn boot(work: &Path, kernel: &Path, image: &Path) -> (Option<Value>, String) {
        let mut qemu = Command::new("qemu-system-x86_64")
            .args(["-m", "1024", "-nographic", "-no-reboot", "-nic", "none", "-kernel"])
            .arg(kernel.join("vmlinuz"))
            .arg("-initrd")
            .arg(image)
            .args(["-append", "console=ttyS0 quiet panic=-1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the test needs qemu-system-x86_64 (scripts/setup.sh installs it)");
        let stdout = qemu.stdout.take().expect("console");
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let (mut console, mut result) = (String::new(), None);
        // TCG boots in seconds; a loaded CI machine gets five minutes.
        while started.elapsed() < Duration::from_secs(300) {
            match lines_rx.recv_timeout(Duration::from_secs(1)) {
                Ok(line) => {
                    let line = line.trim_end_matches('\r').to_string();
                    // The console's escape codes may precede it on its line.
                    if let Some((_, json)) = line.split_once("RESULT ") {
                        result = serde_json::from_str(json).ok();
                    }
                    console.push_str(&line);
                    console.push('\n');
                    // A failure's story runs on until the VM powers off.
                    if result.is_some() {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = qemu.kill();
        let _ = qemu.wait();
        std::fs::write(work.join("console.log"), &console).expect("console log");
        (result, console)
    }

    pub fn run() {
        let kernel = kernel_dir();
        assert!(
            kernel.join("vmlinuz").exists(),
            "no kernel for the VM in {}: run scripts/setup.sh (it fetches Debian's)",
            kernel.display()
        );
        let work = tempfile::tempdir().expect("temp dir");
        let image = initramfs(work.path(), &kernel);
        let (result, console) = boot(work.path(), &kernel, &image);
        let Some(result) = result else {
            panic!("the VM gave no result; its console:\n{console}");
        };
        let context = format!("result {result:#}\nconsole:\n{console}");

        // Without permission to read any device, the agent says how to grant it and exits 3.
        assert_eq!(result["refused"]["code"], 3, "{context}");
        let refusal = result["refused"]["stderr"].as_str().unwrap_or_default();
        assert!(refusal.contains("no permission to read the input devices") && refusal.contains("input"), "{context}");

        // Every key, once: the mirrored keyboard's copies are not counted again.
        let keys: Value = json!({
            "KeyH": 1, "KeyE": 1, "KeyL": 3, "KeyO": 2, "Space": 2, "KeyW": 1, "KeyR": 1, "KeyD": 1,
            "ControlLeft": 1, "KeyC": 2, "Enter": 1, "KeyA": 1, "KeyB": 1, "KeyX": 1, "KeyY": 1, "KeyZ": 1,
            "KeyQ": 1, "KeyV": 1, "KeyJ": 1, "Digit7": 1, "Digit4": 1, "Digit8": 1, "KeyK": 1, "KeyF": 1,
        });
        assert_eq!(result["keys"], keys, "{context}");
        assert_eq!(result["presses"], 29, "{context}");
        assert_eq!(result["chords"], json!({ "Ctrl+KeyC": 1 }), "{context}");
        assert_eq!(result["clicks"], json!([3, 2, 1, 1]), "{context}");
        assert_eq!(result["scroll"], json!([4, 1]), "{context}");
        // 100 frames of (3, 4): 500 px; the first frame anchors the path.
        let distance = result["distance"].as_u64().unwrap_or(0);
        assert!((495..=500).contains(&distance), "distance {distance}; {context}");
        // No place on the screen is known from relative motion.
        assert_eq!(result["cells"], 0, "{context}");

        // status named each device while it was read, the plugged-in one included, and the copies.
        let seen = result["capture"].as_str().unwrap_or_default();
        for name in [
            "KeyTrack test keyboard (",
            "KeyTrack test mouse (",
            "KeyTrack test keyboard 2 (",
            "KeyTrack virtual copy (",
        ] {
            assert!(seen.contains(name), "{name} never listed; {context}");
        }
        assert!(seen.contains("the kernel's input devices: no X display"), "{context}");
        assert!(seen.contains("6 events repeated another device's and were not counted"), "{context}");
        // The privacy attack on this path: the secret is nowhere, and no key was named on disk
        // while the agent ran (the spool was read ten times a second).
        assert!(result["states_watched"].as_u64().unwrap_or(0) > 50, "{context}");
        assert_eq!(result["secret_found"], json!([]), "{context}");
        assert_eq!(result["named_while_running"], json!([]), "{context}");
        // `status` says the same to the person.
        let status = result["status"].as_str().unwrap_or_default();
        for said in [
            "reading:     the kernel's input devices: no X display; which application has the focus is unknown here",
            "             keyboard: KeyTrack test keyboard (/dev/input/",
            "             pointer: KeyTrack test mouse (/dev/input/",
            "             not readable: /dev/input/",
        ] {
            assert!(status.contains(said), "status does not say {said:?}; {context}");
        }
        let unplugged = result["after_unplug"].as_str().unwrap_or_default();
        assert!(!unplugged.contains("KeyTrack test keyboard 2 ("), "{context}");
    }
}

#[cfg(target_os = "linux")]
mod in_vm {
    use super::*;
    use anyhow::Context;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use evdev::uinput::VirtualDevice;
    use evdev::{AttributeSet, InputEvent, KeyCode, RelativeAxisCode};
    use keytrack_agent::evdev::decode::{
        BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, EV_KEY, EV_REL, REL_HWHEEL, REL_WHEEL, REL_X, REL_Y,
    };
    use keytrack_agent::evdev::keys::named_codes;

    const DIR: &str = "/agent";
    /// Where the running agent's standard error goes.
    pub const AGENT_ERRORS: &str = "/tmp/agent.stderr";
    const BTN_SIDE: u16 = 0x113;
    /// What the person types alone (its keys: q v j 7 space 4 8 k f).
    const SECRET: &str = "qvj7 48kf";
    const KEY_LEFTCTRL: u16 = 29;

    fn keyboard(name: &str) -> anyhow::Result<(VirtualDevice, PathBuf)> {
        let mut keys = AttributeSet::<KeyCode>::new();
        for code in named_codes() {
            keys.insert(KeyCode(code));
        }
        let mut device = VirtualDevice::builder()?.name(name).with_keys(&keys)?.build()?;
        let node = node_of(&mut device)?;
        Ok((device, node))
    }

    fn mouse() -> anyhow::Result<(VirtualDevice, PathBuf)> {
        let mut buttons = AttributeSet::<KeyCode>::new();
        for code in [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE] {
            buttons.insert(KeyCode(code));
        }
        let mut axes = AttributeSet::<RelativeAxisCode>::new();
        for code in [REL_X, REL_Y, REL_WHEEL, REL_HWHEEL] {
            axes.insert(RelativeAxisCode(code));
        }
        let mut device = VirtualDevice::builder()?
            .name("KeyTrack test mouse")
            .with_keys(&buttons)?
            .with_relative_axes(&axes)?
            .build()?;
        let node = node_of(&mut device)?;
        Ok((device, node))
    }

    /// The device's `/dev/input/event*` node, once devtmpfs has made it.
    fn node_of(device: &mut VirtualDevice) -> anyhow::Result<PathBuf> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(node) = device.enumerate_dev_nodes_blocking()?.flatten().next()
                && node.exists()
            {
                return Ok(node);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::bail!("no device node appeared")
    }

    /// Gives a device to the agent's user, as udev's `uaccess` does for the person at the seat.
    fn give(node: &Path) -> anyhow::Result<()> {
        std::os::unix::fs::chown(node, Some(USER), Some(USER)).context("chown")
    }

    fn agent(args: &[&str]) -> Command {
        let mut command = Command::new("/bin/keytrack-agent");
        command.args(args).env_clear().env("KEYTRACK_AGENT_DIR", DIR).env("HOME", DIR);
        std::os::unix::process::CommandExt::uid(&mut command, USER);
        std::os::unix::process::CommandExt::gid(&mut command, USER);
        command
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
        }
        files
    }

    fn capture_report() -> String {
        std::fs::read_to_string(Path::new(DIR).join("capture.txt")).unwrap_or_default()
    }

    /// Waits until the agent's report says (or no longer says) `text`; every report seen is kept.
    fn wait_report(seen: &mut String, text: &str, present: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let report = capture_report();
            if !seen.contains(&report) {
                seen.push_str(&report);
                seen.push('\n');
            }
            if report.contains(text) == present {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!(
            "the agent's report never {} {text:?}: {}",
            if present { "said" } else { "stopped saying" },
            capture_report()
        )
    }

    fn press(devices: &mut [&mut VirtualDevice], code: u16) -> anyhow::Result<()> {
        for value in [1, 0] {
            for device in devices.iter_mut() {
                device.emit(&[InputEvent::new(EV_KEY, code, value)])?;
            }
            std::thread::sleep(Duration::from_millis(15));
        }
        Ok(())
    }

    fn type_keys(devices: &mut [&mut VirtualDevice], codes: &[u16]) -> anyhow::Result<()> {
        for code in codes {
            press(devices, *code)?;
        }
        Ok(())
    }

    pub fn run() -> anyhow::Result<()> {
        let config = keytrack_agent::config::Config {
            // Nothing listens: uploads wait in the spool, where the counts are read.
            server: "http://127.0.0.1:9".into(),
            token: "kt_vm_test_token".into(),
            device_id: "vm-test".into(),
            device_name: "VM".into(),
            never_count: Default::default(),
        };
        keytrack_agent::config::save(Path::new(DIR), &config)?;
        for entry in std::fs::read_dir(DIR)? {
            std::os::unix::fs::chown(entry?.path(), Some(USER), Some(USER))?;
        }
        std::os::unix::fs::chown(DIR, Some(USER), Some(USER))?;

        // A keyboard the agent's user may not read yet: the agent says how to grant it.
        let (mut keyboard_1, node_1) = keyboard("KeyTrack test keyboard")?;
        let refused = agent(&["run", "--flush-secs", "1"]).output()?;
        let refused = json!({
            "code": refused.status.code(),
            "stderr": String::from_utf8_lossy(&refused.stderr),
        });

        give(&node_1)?;
        let (mut mouse, mouse_node) = mouse()?;
        give(&mouse_node)?;
        let mut running = agent(&["run", "--flush-secs", "1"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(AGENT_ERRORS)?)
            .spawn()?;
        let watching = Arc::new(AtomicBool::new(true));
        let snapshots = {
            let watching = Arc::clone(&watching);
            std::thread::spawn(move || {
                let mut states: Vec<(String, Vec<u8>)> = Vec::new();
                while watching.load(Ordering::Relaxed) {
                    for file in files_under(Path::new(DIR)) {
                        states.push((file.display().to_string(), std::fs::read(&file).unwrap_or_default()));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                states
            })
        };
        let mut seen = String::new();
        wait_report(&mut seen, "KeyTrack test keyboard (", true)?;
        wait_report(&mut seen, "KeyTrack test mouse (", true)?;

        // "hello world", Ctrl+C, Enter.
        type_keys(&mut [&mut keyboard_1], &[35, 18, 38, 38, 24, 57, 17, 24, 19, 38, 32])?;
        keyboard_1.emit(&[InputEvent::new(EV_KEY, KEY_LEFTCTRL, 1)])?;
        press(&mut [&mut keyboard_1], 46)?;
        keyboard_1.emit(&[InputEvent::new(EV_KEY, KEY_LEFTCTRL, 0)])?;
        press(&mut [&mut keyboard_1], 28)?;
        // Clicks (3 left, 2 right, 1 middle, 1 side), 4 wheel notches and 1 sideways, 100 moves.
        for (button, times) in [(BTN_LEFT, 3), (BTN_RIGHT, 2), (BTN_MIDDLE, 1), (BTN_SIDE, 1)] {
            for _ in 0..times {
                press(&mut [&mut mouse], button)?;
            }
        }
        for _ in 0..4 {
            mouse.emit(&[InputEvent::new(EV_REL, REL_WHEEL, -1)])?;
        }
        mouse.emit(&[InputEvent::new(EV_REL, REL_HWHEEL, 1)])?;
        for _ in 0..100 {
            mouse.emit(&[InputEvent::new(EV_REL, REL_X, 3), InputEvent::new(EV_REL, REL_Y, 4)])?;
            std::thread::sleep(Duration::from_millis(2));
        }

        // A keyboard plugged in while the agent runs.
        let (mut keyboard_2, node_2) = keyboard("KeyTrack test keyboard 2")?;
        give(&node_2)?;
        wait_report(&mut seen, "KeyTrack test keyboard 2 (", true)?;
        type_keys(&mut [&mut keyboard_2], &[30, 48, 46])?;

        // A virtual copy of the first keyboard (a remapper that did not grab it): "xyz" once.
        let (mut copy, copy_node) = keyboard("KeyTrack virtual copy")?;
        give(&copy_node)?;
        wait_report(&mut seen, "KeyTrack virtual copy (", true)?;
        type_keys(&mut [&mut keyboard_1, &mut copy], &[45, 21, 44])?;
        wait_report(&mut seen, "6 events repeated", true)?;
        let status = agent(&["status"]).output()?;
        let status = String::from_utf8_lossy(&status.stdout).into_owned();

        // Unplugged: no longer read.
        drop(keyboard_2);
        wait_report(&mut seen, "KeyTrack test keyboard 2 (", false)?;
        let after_unplug = capture_report();

        // A secret typed alone, as a password would be.
        type_keys(&mut [&mut keyboard_1], &[16, 47, 36, 8, 57, 5, 9, 37, 33])?;
        std::thread::sleep(Duration::from_millis(1_500));
        watching.store(false, Ordering::Relaxed);
        let states = snapshots.join().map_err(|_| anyhow::anyhow!("the snapshot thread panicked"))?;

        // Stopped as the desktop stops it: everything is saved first.
        Command::new("/bin/kill").args(["-TERM", &running.id().to_string()]).status()?;
        let started = Instant::now();
        while running.try_wait()?.is_none() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "the agent did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        drop((keyboard_1, mouse, copy));

        // What the secret could be found as: the text and each 4-character piece of its words,
        // in any file the agent wrote, while it ran or after, or in what it said.
        let mut haystacks = states.clone();
        for file in files_under(Path::new(DIR)) {
            haystacks.push((file.display().to_string(), std::fs::read(&file)?));
        }
        haystacks.push(("the agent's standard error".into(), std::fs::read(AGENT_ERRORS)?));
        let mut found = Vec::new();
        for (name, bytes) in &haystacks {
            let lower = bytes.to_ascii_lowercase();
            for needle in [SECRET, "qvj7", "48kf"] {
                if lower.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(format!("{needle} in {name}"));
                }
            }
        }
        // While the agent ran, no key was named on disk (key detail is kept in memory until a
        // closed block of enough presses leaves).
        let named_while_running: Vec<String> = states
            .iter()
            .filter(|(_, bytes)| {
                ["KeyQ", "KeyJ", "Digit7", "KeyK"]
                    .iter()
                    .any(|code| bytes.windows(code.len()).any(|w| w == code.as_bytes()))
            })
            .map(|(name, _)| name.clone())
            .collect();

        let mut spool = keytrack_agent::spool::Spool::open(Path::new(DIR))?;
        let minutes = spool.since(0)?;
        let mut blocks = spool.waiting_blocks(1_000)?;
        blocks.extend(spool.take_pending()?);
        let mut keys = std::collections::BTreeMap::<String, u64>::new();
        let mut chords = std::collections::BTreeMap::<String, u64>::new();
        let mut cells = 0;
        for block in &blocks {
            for (key, n) in &block.keys {
                *keys.entry(key.clone()).or_default() += u64::from(*n);
            }
            for (chord, n) in &block.chords {
                *chords.entry(chord.clone()).or_default() += u64::from(*n);
            }
            cells += block.screens.iter().map(|s| s.moves.len() + s.clicks.len()).sum::<usize>();
        }
        let sum = |f: &dyn Fn(&keytrack_wire::ActivityMinute) -> u64| minutes.iter().map(f).sum::<u64>();
        let result = json!({
            "refused": refused,
            "keys": keys,
            "chords": chords,
            "presses": sum(&|m| m.total_presses()),
            "clicks": [sum(&|m| u64::from(m.clicks.left)), sum(&|m| u64::from(m.clicks.right)),
                       sum(&|m| u64::from(m.clicks.middle)), sum(&|m| u64::from(m.clicks.other))],
            "scroll": [sum(&|m| u64::from(m.scroll.vertical)), sum(&|m| u64::from(m.scroll.horizontal))],
            "distance": sum(&|m| m.distance_px),
            "cells": cells,
            "capture": seen,
            "after_unplug": after_unplug,
            "status": status,
            "states_watched": states.len(),
            "secret_found": found,
            "named_while_running": named_while_running,
        });
        println!("RESULT {result}");
        Ok(())
    }
}
