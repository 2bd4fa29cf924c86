//! `stormwatch serve` and `stormwatch admin` through the binary: the OASIS
//! taxii2-client walking the whole TAXII 2.1 API on ICS ATT&CK (every object checked
//! by stix2-validator), tokens (hashed, revoked, expired), bad input, graceful
//! shutdown.

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use stormwatch_testkit::{oracle, shared_data, workspace_root};

#[path = "../../server/tests/common/mod.rs"]
mod common;
use common::{b64, http};

/// The store flags of a test: `--db PATH` or `--database-url URL`.
struct Db {
    args: Vec<String>,
    path: Option<PathBuf>,
    /// PostgreSQL: (admin URL, database name), dropped at the end.
    pg: Option<(String, String)>,
}

impl Db {
    fn sqlite(p: PathBuf) -> Db {
        Db {
            args: vec!["--db".into(), p.display().to_string()],
            path: Some(p),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database, when STORMWATCH_TEST_POSTGRES names a server.
    fn postgres() -> Option<Db> {
        let Some(admin) = std::env::var("STORMWATCH_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty())
        else {
            assert!(
                !stormwatch_testkit::in_ci(),
                "STORMWATCH_TEST_POSTGRES is not set; .ci/run sets it"
            );
            eprintln!("SKIPPED: serve on PostgreSQL (set STORMWATCH_TEST_POSTGRES)");
            return None;
        };
        let name = format!(
            "sw_cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(Db {
            args: vec!["--database-url".into(), format!("{base}/{name}")],
            path: None,
            pg: Some((admin, name)),
        })
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn sw(db: &Db) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .args(&db.args);
    c
}

fn ok(db: &Db, args: &[&str]) -> String {
    let out = sw(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running `stormwatch serve` on a free port.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: std::sync::mpsc::Receiver<String>,
    /// The `listening` event.
    listening: Value,
}

impl Server {
    fn start(db: &Db, extra: &[&str]) -> Server {
        let bin = assert_cmd::cargo::cargo_bin("stormwatch");
        let mut child = std::process::Command::new(bin)
            .env_remove("STORMWATCH_DB")
            .env_remove("STORMWATCH_DATABASE_URL")
            .args(&db.args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("serve printed nothing");
        let v: Value = serde_json::from_str(&first).expect(&first);
        assert_eq!(v["event"], "listening", "{first}");
        let addr = v["address"].as_str().unwrap().parse().unwrap();
        Server {
            child,
            addr,
            log: rx,
            listening: v,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/taxii2/", self.addr)
    }

    /// Sends SIGTERM and waits for the exit.
    fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        let lines = self.log.try_iter().collect();
        (status, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TAXII: &str = "application/taxii+json;version=2.1";

/// A store with collection `ics` (TLP:CLEAR default) and user alice (write) with a token.
fn setup(db: Db, ics: Option<&Path>) -> (Db, String) {
    ok(
        &db,
        &[
            "admin",
            "collection",
            "add",
            "ics",
            "--default-marking",
            "TLP:CLEAR",
        ],
    );
    if let Some(f) = ics {
        ok(
            &db,
            &["import", "-q", "--collection", "ics", f.to_str().unwrap()],
        );
    }
    ok(&db, &["admin", "org", "add", "acme"]);
    ok(&db, &["admin", "user", "add", "alice", "--org", "acme"]);
    ok(&db, &["admin", "grant", "alice", "ics", "write"]);
    let token = ok(&db, &["admin", "token", "create", "alice"]);
    let token = token.trim().to_owned();
    assert!(token.starts_with("swt_") && !token.contains('\n'));
    (db, token)
}

fn collection_id(db: &Db, name: &str) -> String {
    let v: Value =
        serde_json::from_str(&ok(db, &["admin", "collection", "list", "-f", "json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn taxii2_client_walks_the_whole_api_on_ics_attack() {
    let dir = tempfile::tempdir().unwrap();
    walk(Db::sqlite(dir.path().join("kb.db")));
}

#[test]
fn taxii2_client_walks_the_whole_api_on_postgres() {
    if let Some(db) = Db::postgres() {
        walk(db);
    }
}

fn walk(db: Db) {
    let Some(ics) = shared_data("attack/ics-attack-18.1.json") else {
        return;
    };
    let Some(python) = oracle("STORMWATCH_PYTHON") else {
        return;
    };
    let (db, token) = setup(db, Some(&ics));
    let server = Server::start(&db, &["--rate-limit", "0"]);
    let script = workspace_root().join("crates/server/tests/py/taxii2_walk.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args([&server.url(), "alice", &token, "1826"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "taxii2-client walk failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["objects"], 1826);
    assert_eq!(v["pages"], 19);
    assert!(v["passed"].as_array().unwrap().len() >= 29, "{v}");
    let (status, log) = server.stop();
    assert!(status.success());
    // Request logs: one JSON line per request, with the user.
    let reqs: Vec<Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["method"].is_string())
        .collect();
    assert!(reqs.len() > 40);
    assert!(reqs
        .iter()
        .any(|r| r["user"] == "alice" && r["status"] == 200));
}

#[test]
fn tokens_are_checked_revoked_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = setup(Db::sqlite(dir.path().join("kb.db")), None);
    // The store keeps only hashes.
    let raw = std::fs::read(db.path.as_ref().unwrap()).unwrap();
    assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()));
    ok(&db, &["admin", "user", "add", "bob", "--org", "acme"]);
    let bob = ok(&db, &["admin", "token", "create", "bob", "--expires", "1s"]);
    let server = Server::start(&db, &[]);
    let get = |auth: &str| {
        http(
            server.addr,
            "GET",
            "/taxii2/root/collections/",
            &[("Accept", TAXII), ("Authorization", auth)],
            b"",
        )
    };
    let (st, hs, body) = get(&format!("Bearer {token}"));
    assert_eq!(st, 200, "{body}");
    assert!(hs.iter().any(|(k, v)| k == "content-type" && v == TAXII));
    assert!(body.contains("\"title\":\"ics\""));
    // HTTP Basic: user name and token as password; another user's name fails.
    let basic = |u: &str| {
        let s = format!("{u}:{token}");
        format!("Basic {}", b64(s.as_bytes()))
    };
    assert_eq!(get(&basic("alice")).0, 200);
    assert_eq!(get(&basic("bob")).0, 401);
    // Unknown, malformed and missing credentials: 401 with a TAXII error.
    let (st, hs, body) = get("Bearer swt_0000");
    assert_eq!(st, 401);
    assert!(hs.iter().any(|(k, _)| k == "www-authenticate"));
    let e: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(e["http_status"], "401");
    assert_eq!(get("Token abc").0, 401);
    let (st, _, _) = http(server.addr, "GET", "/taxii2/root/", &[], b"");
    assert_eq!(st, 401);
    // Discovery needs no credential.
    assert_eq!(http(server.addr, "GET", "/taxii2/", &[], b"").0, 200);
    // Expired.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(get(&format!("Bearer {}", bob.trim())).0, 401);
    // Revoked (effective within a second).
    let list: Value =
        serde_json::from_str(&ok(&db, &["admin", "token", "list", "-f", "json"])).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    ok(&db, &["admin", "token", "revoke", &id]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (st, _, body) = get(&format!("Bearer {token}"));
    assert_eq!(st, 401);
    assert!(body.contains("revoked"));
    sw(&db)
        .args(["admin", "token", "revoke", &id])
        .assert()
        .code(2);
}

#[test]
fn bad_input_is_refused_with_taxii_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = setup(Db::sqlite(dir.path().join("kb.db")), None);
    let cid = collection_id(&db, "ics");
    let server = Server::start(&db, &["--max-body-bytes", "10000"]);
    let auth = format!("Bearer {token}");
    let path = format!("/taxii2/root/collections/{cid}/objects/");
    let post = |ct: &str, body: &[u8]| {
        http(
            server.addr,
            "POST",
            &path,
            &[
                ("Accept", TAXII),
                ("Content-Type", ct),
                ("Authorization", &auth),
            ],
            body,
        )
    };
    let err = |r: (u16, Vec<(String, String)>, String), code: u16| {
        assert_eq!(r.0, code, "{}", r.2);
        let v: Value = serde_json::from_str(&r.2).unwrap();
        assert_eq!(v["http_status"], code.to_string());
        assert!(v["title"].is_string() && v["description"].is_string());
    };
    err(post(TAXII, b"{\"objects\": [}"), 400);
    err(post(TAXII, b"[1,2]"), 400);
    err(post("application/json", b"{\"objects\": []}"), 415);
    err(post(TAXII, &vec![b' '; 20_000]), 413);
    let deep = format!("{{\"objects\": [{}{}]}}", "[".repeat(500), "]".repeat(500));
    err(post(TAXII, deep.as_bytes()), 400);
    err(
        http(
            server.addr,
            "GET",
            &path,
            &[("Accept", "text/html"), ("Authorization", &auth)],
            b"",
        ),
        406,
    );
    err(
        http(
            server.addr,
            "GET",
            &format!("{path}?limit=abc"),
            &[("Authorization", &auth)],
            b"",
        ),
        400,
    );
    err(
        http(
            server.addr,
            "GET",
            &format!("{path}?added_after=yesterday"),
            &[("Authorization", &auth)],
            b"",
        ),
        400,
    );
    err(
        http(
            server.addr,
            "GET",
            "/taxii2/root/collections/nope/objects/",
            &[("Authorization", &auth)],
            b"",
        ),
        404,
    );
    // Invalid STIX: a status with per-object failures, nothing written.
    let good = r#"{"type":"malware","spec_version":"2.1","id":"malware--2a4b3c1d-0000-4000-8000-000000000001","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"x","is_family":true}"#;
    let bad = r#"{"type":"malware","spec_version":"2.1","id":"malware--2a4b3c1d-0000-4000-8000-000000000002","created":"not a time"}"#;
    let (st, _, body) = post(
        TAXII,
        format!("{{\"objects\": [{good}, {bad}]}}").as_bytes(),
    );
    assert_eq!(st, 202, "{body}");
    let s: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(s["status"], "complete");
    assert_eq!(
        (s["success_count"].as_u64(), s["failure_count"].as_u64()),
        (Some(0), Some(2))
    );
    let why = s["failures"].to_string();
    assert!(
        why.contains("malware--2a4b3c1d-0000-4000-8000-000000000002") && why.contains("created"),
        "{why}"
    );
    let (st, _, body) = http(server.addr, "GET", &path, &[("Authorization", &auth)], b"");
    assert_eq!(st, 200);
    assert!(!body.contains("malware--"), "{body}");
    // The valid one alone is added.
    let (st, _, body) = post(TAXII, format!("{{\"objects\": [{good}]}}").as_bytes());
    assert_eq!(st, 202);
    let s: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(s["success_count"], 1);
    let sid = s["id"].as_str().unwrap();
    let (st, _, body) = http(
        server.addr,
        "GET",
        &format!("/taxii2/root/status/{sid}/"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(st, 200);
    assert!(body.contains("\"success_count\":1"));
}

#[test]
fn graceful_shutdown_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = setup(Db::sqlite(dir.path().join("kb.db")), None);
    let server = Server::start(&db, &[]);
    assert_eq!(server.listening["tls"], false, "{}", server.listening);
    let (st, _, body) = http(server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(st, 200);
    assert!(body.contains("\"status\":\"ok\""));
    let (status, log) = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        log.iter().any(|l| l.contains("\"event\":\"shutdown\"")),
        "{log:?}"
    );
}

#[test]
fn admin_refuses_unknown_names_and_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite(dir.path().join("kb.db"));
    let fails = |args: &[&str], needle: &str| {
        let out = sw(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(needle), "{args:?}: {e}");
    };
    fails(
        &["admin", "user", "add", "u", "--org", "ghost"],
        "admin org add ghost",
    );
    fails(
        &["import", "--collection", "nope", "x.json"],
        "admin collection add nope",
    );
    fails(
        &[
            "admin",
            "collection",
            "add",
            "c",
            "--default-marking",
            "TLP:PURPLE",
        ],
        "TLP:CLEAR",
    );
    ok(&db, &["admin", "collection", "add", "c"]);
    fails(&["admin", "collection", "add", "c"], "exists already");
    ok(&db, &["admin", "org", "add", "o"]);
    ok(&db, &["admin", "user", "add", "u", "--org", "o"]);
    fails(
        &["admin", "token", "create", "u", "--expires", "soon"],
        "90d",
    );
    fails(&["admin", "grant", "u", "c", "admin"], "read nor write");
    fails(
        &["admin", "grant", "nobody", "c", "read"],
        "no user or organisation",
    );
    let list = ok(&db, &["admin", "collection", "list"]);
    assert!(list.contains("TLP:AMBER"), "{list}");
}

#[test]
fn schemathesis_finds_no_server_error() {
    let Some(ics) = shared_data("attack/ics-attack-18.1.json") else {
        return;
    };
    let Some(st) = oracle("STORMWATCH_SCHEMATHESIS") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = setup(Db::sqlite(dir.path().join("kb.db")), Some(&ics));
    let server = Server::start(&db, &["--rate-limit", "0", "--quiet"]);
    let (code, _, doc) = http(server.addr, "GET", "/api/openapi.json", &[], b"");
    assert_eq!(code, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let out = std::process::Command::new(st)
        .args([
            "run",
            &format!("http://{}/api/openapi.json", server.addr),
            "--checks",
            "not_a_server_error",
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-n",
            "30",
            "--seed",
            "1",
        ])
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("passed"), "{text}");
    assert!(!text.contains(" failed"), "{text}");
    // Every operation of the document was exercised, the analysis endpoints included.
    for path in [
        "/api/actors/{key}/why",
        "/api/attribute",
        "/api/audit",
        "/api/hunt",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    let ops: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    if text.contains("Tested:") {
        assert!(
            text.contains(&format!("Tested: {ops}")),
            "{ops} operations: {text}"
        );
    }
}

#[test]
fn rest_api_search_and_show() {
    let Some(ics) = shared_data("attack/ics-attack-18.1.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = setup(Db::sqlite(dir.path().join("kb.db")), Some(&ics));
    let server = Server::start(&db, &[]);
    let auth = format!("Bearer {token}");
    let get = |p: &str| {
        let (st, hs, body) = http(server.addr, "GET", p, &[("Authorization", &auth)], b"");
        assert!(hs
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json"));
        (st, serde_json::from_str::<Value>(&body).unwrap())
    };
    let (st, v) = get("/api/search?q=spearphishing&type=attack-pattern&limit=5");
    assert_eq!(st, 200);
    assert_eq!(v["hits"][0]["external_id"], "T0865", "{v}");
    let id = v["hits"][0]["id"].as_str().unwrap().to_owned();
    let (st, v) = get(&format!("/api/objects/{id}"));
    assert_eq!(st, 200);
    assert_eq!(v["object"]["name"], "Spearphishing Attachment");
    assert!(!v["relationships"].as_array().unwrap().is_empty());
    let (st, v) = get("/api/actors/T0865");
    assert_eq!(st, 200);
    assert_eq!(v["matches"][0]["id"], id.as_str());
    let (st, v) = get("/api/search?q=");
    assert_eq!(st, 400);
    assert_eq!(v["http_status"], "400");
    let (st, _) = get("/api/objects/malware--00000000-0000-4000-8000-000000000000");
    assert_eq!(st, 404);
}

/// A self-signed certificate for localhost: (dir, cert.pem, key.pem).
fn self_signed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (dir, cert, key)
}

#[test]
fn serve_over_tls_stops_gracefully_and_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = setup(Db::sqlite(dir.path().join("kb.db")), None);
    let (pki, cert, key) = self_signed();
    let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = Server::start(&db, &["--tls-cert", c, "--tls-key", k]);
    assert_eq!(server.listening["tls"], true, "{}", server.listening);
    assert!(
        server.listening["taxii"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{}",
        server.listening
    );
    // Plain HTTP gets no HTTP answer from the TLS port.
    let (st, _, _) = http(server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(st, 0);
    let (status, log) = server.stop();
    assert!(status.success(), "{status:?} {log:?}");
    assert!(
        log.iter().any(|l| l.contains("\"event\":\"shutdown\"")),
        "{log:?}"
    );
    // Both or neither; bad files exit 2 naming the file.
    let fails = |args: &[&str], needles: &[&str]| {
        let out = sw(&db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        for n in needles {
            assert!(e.contains(n), "{args:?}: {e}");
        }
    };
    fails(&["--tls-cert", c], &["--tls-key"]);
    fails(&["--tls-key", k], &["--tls-cert"]);
    let missing = pki.path().join("missing.pem");
    let m = missing.to_str().unwrap();
    fails(&["--tls-cert", m, "--tls-key", k], &["--tls-cert", m]);
    fails(
        &["--tls-cert", c, "--tls-key", c],
        &["--tls-key", c, "no private key"],
    );
    let (_other, _, other_key) = self_signed();
    let ok_ = other_key.to_str().unwrap();
    fails(
        &["--tls-cert", c, "--tls-key", ok_],
        &["does not belong", c, ok_],
    );
}

/// The REST command endpoints answer exactly what the CLI prints with
/// `--format json`, on the built-in pack (visible to the caller: TLP:CLEAR
/// collection).
#[test]
fn rest_commands_answer_what_the_cli_prints() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite(dir.path().join("kb.db"));
    ok(
        &db,
        &[
            "admin",
            "collection",
            "add",
            "default",
            "--default-marking",
            "TLP:CLEAR",
        ],
    );
    ok(&db, &["-q", "intel", "init"]);
    ok(&db, &["admin", "org", "add", "acme"]);
    ok(&db, &["admin", "user", "add", "alice", "--org", "acme"]);
    ok(&db, &["admin", "grant", "alice", "default", "read"]);
    let token = ok(&db, &["admin", "token", "create", "alice"])
        .trim()
        .to_owned();
    let server = Server::start(&db, &["--quiet", "--rate-limit", "0"]);
    let auth = format!("Bearer {token}");
    let cli = |args: &[&str], stdin: &[u8]| -> Value {
        let out = sw(&db)
            .args(["-q", "--format", "json"])
            .args(args)
            .write_stdin(stdin.to_vec())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let rest = |method: &str, path: &str, body: &[u8]| -> Value {
        let (st, _, text) = http(
            server.addr,
            method,
            path,
            &[("Authorization", &auth), ("Content-Type", "text/plain")],
            body,
        );
        assert_eq!(st, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    };
    // actor why
    let a = cli(&["actor", "why", "UNC2286", "Salt Typhoon"], b"");
    let b = rest("GET", "/api/actors/UNC2286/why?to=Salt%20Typhoon", b"");
    assert_eq!(a, b);
    assert!(
        !a["paths"].as_array().unwrap().is_empty() || !a["blocked"].as_array().unwrap().is_empty(),
        "{a}"
    );
    // attribute
    let a = cli(
        &[
            "attribute",
            "--ttp",
            "T1190,T1059.008,T1562",
            "--cve",
            "CVE-2023-20198",
        ],
        b"",
    );
    let b = rest(
        "POST",
        "/api/attribute",
        br#"{"ttp": ["T1190", "T1059.008", "T1562"], "cve": ["CVE-2023-20198"]}"#,
    );
    assert_eq!(a, b);
    assert!(!a["candidates"].as_array().unwrap().is_empty(), "{a}");
    // audit (stdin is `-` on both sides)
    let config = b"hostname r1\n!\nvstack\nip http server\nsnmp-server community s3cret RW\nline vty 0 4\n transport input telnet\n!\nend\n";
    let a = cli(&["audit", "-"], config);
    let b = rest("POST", "/api/audit", config);
    assert_eq!(a, b);
    assert!(!a["findings"].as_array().unwrap().is_empty(), "{a}");
    assert!(!a.to_string().contains("s3cret"));
    // hunt: an advisory indicator (from the store's pack) in a log line
    let text = std::fs::read_to_string(stormwatch_testkit::example("AA25-239A.stix.json")).unwrap();
    let pack: Value = serde_json::from_str(&text).unwrap();
    let ip = pack["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .find_map(|p| {
            p.strip_prefix("[ipv4-addr:value = '")
                .and_then(|r| r.strip_suffix("']"))
        })
        .unwrap()
        .to_owned();
    let log = format!(
        "2025-03-01T10:00:00Z conn from {ip} port 443\n2025-03-01T10:00:01Z nothing here\n"
    );
    let a = cli(&["hunt", "-"], log.as_bytes());
    let b = rest("POST", "/api/hunt", log.as_bytes());
    assert_eq!(a, b);
    assert_eq!(a["matches"][0]["value"], ip.as_str(), "{a}");
}
