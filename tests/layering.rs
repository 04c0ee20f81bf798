//! The layering DESIGN.md asks for: the core performs no I/O and reads no clock; views too.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn the_core_does_no_io_and_reads_no_clock() {
    let forbidden = [
        "tokio",
        "socket2",
        "ratatui",
        "crossterm",
        "libc::",
        "std::fs",
        "std::io::",
        "std::net::TcpStream",
        "std::net::UdpSocket",
        "Instant::now",
        "SystemTime",
        "std::thread",
        "std::env",
    ];
    let files = sources("src/core");
    assert!(files.len() > 5, "src/core found");
    for (path, text) in files {
        // Tests may compare with libc constants.
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for f in forbidden {
            assert!(!code.contains(f), "{path} uses {f}: the core must stay pure");
        }
    }
}

#[test]
fn platform_code_stays_in_the_net_layer() {
    for dir in ["src/core", "src/script", "src/session"] {
        for (path, text) in sources(dir) {
            for f in ["#[cfg(unix)]", "#[cfg(windows)]", "cfg(target_os"] {
                let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
                assert!(!code.contains(f), "{path} has {f}: platform code belongs in src/net");
            }
        }
    }
}

#[test]
fn the_app_and_the_views_do_no_io_and_read_no_clock() {
    // app: state and update(msg); ui: render(frame, area, &App, &Theme). Only src/tui.rs (the
    // loop) touches the terminal, files, signals and threads.
    let common = [
        "tokio",
        "crossterm",
        "socket2",
        "std::fs",
        "std::io::",
        "Instant::now",
        "SystemTime",
        "std::thread",
        "std::env",
    ];
    for (dir, extra) in [("src/app", &["ratatui"][..]), ("src/ui", &[][..])] {
        let files = sources(dir);
        assert!(!files.is_empty(), "{dir} found");
        for (path, text) in files {
            let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
            for f in common.iter().chain(extra) {
                assert!(!code.contains(f), "{path} uses {f}: {dir} must stay free of I/O and clocks");
            }
            for f in ["#[cfg(unix)]", "#[cfg(windows)]", "cfg(target_os"] {
                assert!(!code.contains(f), "{path} has {f}");
            }
        }
    }
    // No view names a colour: colours live in themes.
    for (path, text) in sources("src/ui") {
        if path.ends_with("theme.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        assert!(!code.contains("Color::"), "{path} names a colour: ask the theme for a role");
    }
}
