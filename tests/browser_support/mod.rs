//! Opening a page the project renders in a real browser: Debian's
//! headless Chromium, which `.ci/run` installs. Shared by the tests that
//! judge the HTML report and the matrix page as a person would see them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

pub(crate) fn require_chromium() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: this test opens a page in Debian's chromium. \
         Install it with `apt-get install -y chromium` (.ci/run does), then run \
         the test with `-- --ignored`."
    );
}

/// Runs chromium headless on `page` and returns the DOM it built.
pub(crate) fn dump_dom(page: &Path, profile: &Path) -> String {
    require_chromium();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read stdout while waiting, so a large DOM cannot fill the pipe.
    let mut stdout = child.stdout.take().expect("stdout piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait().expect("chromium can be waited for") {
            Some(status) => {
                let dom = reader.join().expect("reader thread");
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                assert!(
                    status.success() && dom.contains("</html>"),
                    "chromium did not dump the page ({status}):\n{stderr}"
                );
                return dom;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("chromium did not finish within 120 s");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
