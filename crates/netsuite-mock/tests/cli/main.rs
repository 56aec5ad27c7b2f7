//! The binary as a user runs it: `serve` as a child process on a loopback port, driven by
//! `netsuite-mock sign` + a plain HTTP client, and by a real third-party OAuth client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_netsuite-mock");

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &str) -> Server {
        Server::start_on("127.0.0.1:0", db)
    }

    fn start_on(listen: &str, db: &str) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", listen, "--db", db])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a banner").unwrap();
        let base = first
            .strip_prefix("netsuite-mock listening on ")
            .expect("banner names the URL")
            .to_string();
        // Keep draining the banner so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    fn stop(mut self) -> std::process::ExitStatus {
        // SIGTERM, the graceful path (Ctrl-C sends SIGINT, handled the same way).
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn sign(method: &str, url: &str) -> String {
    let out = Command::new(BIN)
        .args(["sign", "--token", "wms", "--header-only", "--method", method, "--url", url])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A minimal HTTP/1.1 exchange over a loopback socket: (status, body).
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request += &format!("{k}: {v}\r\n");
    }
    request += "\r\n";
    request += body;
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn restlet(base: &str, script: &str, query: &str) -> String {
    format!("{base}/app/site/hosting/restlet.nl?script={script}&deploy=1{query}")
}

#[test]
fn serve_answers_the_pinned_request_and_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let db = db.to_str().unwrap();
    let server = Server::start(db);
    let url = restlet(&server.base, "customscript_inventory_stock", "&item_id=100&location_id=3");
    let (status, body) = http(
        "GET",
        &url,
        &[("Content-Type", "application/json"), ("Authorization", &sign("GET", &url))],
        "",
    );
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["quantityOnHand"], 25);

    let url = restlet(&server.base, "101", "");
    let body = r#"{"externalId":"cli-1","account":113,"items":[{"itemId":100,"quantity":-5,"location":3}]}"#;
    let (status, _) = http(
        "POST",
        &url,
        &[("Content-Type", "application/json"), ("Authorization", &sign("POST", &url))],
        body,
    );
    assert_eq!(status, 200);
    assert!(server.stop().success(), "graceful shutdown exits 0");

    let server = Server::start(db);
    let url = restlet(&server.base, "102", "&item_id=100&location_id=3");
    let (_, body) = http(
        "GET",
        &url,
        &[("Content-Type", "application/json"), ("Authorization", &sign("GET", &url))],
        "",
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["quantityOnHand"], 20, "the acknowledged adjustment survived the restart");
}

#[test]
fn sign_prints_the_header_and_base_string() {
    let out = Command::new(BIN)
        .args([
            "sign",
            "--token",
            "wms",
            "--nonce",
            "abcdef123456",
            "--timestamp",
            "1700000000",
            "--url",
            "http://127.0.0.1:8080/app/site/hosting/restlet.nl?script=102&deploy=1&item_id=100",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "Authorization: OAuth realm=\"1234567_SB1\", oauth_consumer_key=\"8e5578d7"
        ),
        "{text}"
    );
    assert!(text.contains("oauth_signature_method=\"HMAC-SHA256\""));
    assert!(text.contains("\nBase string: GET&http%3A%2F%2F127.0.0.1%3A8080%2Fapp%2Fsite%2Fhosting%2Frestlet.nl&deploy%3D1%26item_id%3D100%26oauth_consumer_key%3D"), "{text}");
    let missing = Command::new(BIN)
        .args(["sign", "--url", "http://x/"])
        .env_remove("NETSUITE_CONSUMER_KEY")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// requests-oauthlib, pinned in tests/clients/requirements.txt, against `serve`.
/// scripts/check.sh (and so CI) sets NETSUITE_MOCK_PYTHON to the interpreter of the venv it
/// prepares; a bare `cargo test` without it skips this test and says so.
#[test]
fn a_real_third_party_client_authenticates() {
    let Ok(python) = std::env::var("NETSUITE_MOCK_PYTHON") else {
        eprintln!("skipped: NETSUITE_MOCK_PYTHON is not set (scripts/check.sh sets it)");
        return;
    };
    let server = Server::start(":memory:");
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/clients/requests_oauthlib_client.py");
    let out = Command::new(python).args([script, &server.base]).output().unwrap();
    assert!(
        out.status.success(),
        "client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_cli(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn scenarios_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios").to_string()
}

/// The whole conformance suite against a live `serve` on loopback (CI runs it in-process too,
/// through the `scenarios` test target).
#[test]
fn the_conformance_suite_passes_against_a_live_server() {
    let server = Server::start(":memory:");
    let junit = tempfile::NamedTempFile::new().unwrap();
    let (code, text) = run_cli(&[
        "run",
        &scenarios_dir(),
        "--target",
        &server.base,
        "--junit",
        junit.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
    let xml = std::fs::read_to_string(junit.path()).unwrap();
    assert!(xml.contains("<testsuite name=\"netsuite-mock scenarios\""), "{xml}");
}

#[test]
fn a_wrong_expectation_is_a_located_failure_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong.yaml");
    std::fs::write(
        &file,
        "name: wrong on purpose\nsteps:\n  - request: { script: 102, query: { item_id: 100, location_id: 3 } }\n    expect: { body: { quantityOnHand: 26 } }\n",
    )
    .unwrap();
    let (code, text) = run_cli(&["run", file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("at {}:3: step 1", file.display())), "{text}");
    assert!(text.contains("body.quantityOnHand: expected 26, got 25"), "{text}");
    assert!(text.contains("scenarios: 0 passed, 1 failed, 0 skipped"), "{text}");
}

#[test]
fn a_malformed_scenario_is_a_located_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "name: bad\nsteps:\n  - request: { script: 102 }\n    stock: []\n")
        .unwrap();
    let (code, text) = run_cli(&["run", file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("{}:3:", file.display())), "{text}");
    assert!(text.contains("a step has one kind, this one has request and stock"), "{text}");
    std::fs::write(&file, "name: bad\nsteps:\n  - request: { script: 102, qurey: {} }\n").unwrap();
    let (code, text) = run_cli(&["run", file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("unknown field `qurey`"), "{text}");
    let (code, _) = run_cli(&["run", "/nonexistent/scenarios"]);
    assert_eq!(code, Some(2));
}

/// A session recorded from the journal replays green after a reset.
#[test]
fn a_recorded_session_replays_green() {
    let server = Server::start(":memory:");
    let adjust = restlet(&server.base, "101", "");
    let body = r#"{"externalId":"rec-1","account":113,"items":[{"itemId":3569,"quantity":2,"location":1}]}"#;
    let (status, _) = http(
        "POST",
        &adjust,
        &[("Content-Type", "application/json"), ("Authorization", &sign("POST", &adjust))],
        body,
    );
    assert_eq!(status, 200);
    let stock = restlet(&server.base, "102", "&item_id=3569&location_id=1");
    let (status, _) = http(
        "GET",
        &stock,
        &[("Content-Type", "application/json"), ("Authorization", &sign("GET", &stock))],
        "",
    );
    assert_eq!(status, 200);
    let (status, _) = http(
        "GET",
        &restlet(&server.base, "102", "&item_id=999"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &sign("GET", &restlet(&server.base, "102", "&item_id=999"))),
        ],
        "",
    );
    assert_eq!(status, 400);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recorded.yaml");
    let (code, text) =
        run_cli(&["record", "--target", &server.base, "--output", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("\"quantityOnHand\":22"), "{yaml}");
    // Replayed in-process (fresh demo state) and against the live server (after its reset).
    let (code, text) = run_cli(&["run", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}\n{yaml}");
    let (code, text) = run_cli(&["run", file.to_str().unwrap(), "--target", &server.base]);
    assert_eq!(code, Some(0), "{text}\n{yaml}");
}

fn add_faults(base: &str) {
    for rule in [
        r#"{"action":"applyThenDrop","probability":0.03,"seed":11}"#,
        r#"{"action":"drop","probability":0.03,"seed":12}"#,
        r#"{"action":"unavailable","probability":0.03,"seed":13}"#,
        r#"{"latencyMs":2,"probability":0.2,"seed":14}"#,
    ] {
        let (status, body) = http(
            "POST",
            &format!("{base}/__admin/faults"),
            &[("Content-Type", "application/json")],
            rule,
        );
        assert_eq!(status, 201, "{body}");
    }
}

/// A short load with faults on; the server is killed (SIGKILL) and restarted on the same
/// database in the middle; the reconciliation at the end must be clean: nothing acknowledged
/// lost, nothing refused landed, nothing applied twice.
#[test]
fn a_load_with_faults_survives_a_server_kill_and_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("load.db");
    let db = db.to_str().unwrap().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut first = Server::start_on(&listen, &db);
    let base = first.base.clone();
    add_faults(&base);
    let report = dir.path().join("report.json");
    let mut load = Command::new(BIN)
        .args([
            "load",
            "--target",
            &base,
            "--concurrency",
            "4",
            "--duration",
            "4",
            "--grace-secs",
            "20",
            "--timeout-secs",
            "5",
            "--retry",
            "backoff",
        ])
        .args(["--json", report.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    first.child.kill().unwrap(); // SIGKILL: no graceful shutdown.
    first.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let second = Server::start_on(&listen, &db);
    add_faults(&second.base);
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = load.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the load did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    load.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(status.success(), "load exit {status:?}:\n{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let reconciliation = &report["reconciliation"];
    assert_eq!(reconciliation["clean"], true, "{out}");
    assert_eq!(reconciliation["audit_checked"], true, "{out}");
    assert!(reconciliation["acknowledged"].as_u64().unwrap() > 100, "{out}");
    // The kill and the drop faults left requests without an answer, all resolved by re-sending.
    assert!(report["measured"]["no_answer"].as_u64().unwrap() > 0, "{out}");
    assert_eq!(reconciliation["unresolved"], 0, "{out}");
    drop(second);
}
