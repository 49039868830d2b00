//! Real devices over a real broker: each test starts its own mosquitto on a
//! free loopback port. Without mosquitto these tests say so and pass, on a
//! developer's machine; with `CI` set they fail (`.ci/run` installs it).

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, Test};
use serde_json::Value;

/// A mosquitto of the test's own, killed when dropped.
struct Broker {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Broker {
    /// `None` (having said why) when mosquitto is not installed and `CI`
    /// is not set.
    fn start() -> Option<Broker> {
        Broker::start_with("allow_anonymous true\n")
    }

    /// A broker whose configuration also holds `extra` (after its listener).
    fn start_with(extra: &str) -> Option<Broker> {
        if Command::new("mosquitto").arg("-h").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "mosquitto is needed for the MQTT tests in CI (.ci/run installs it)"
            );
            eprintln!("skipped: no mosquitto (apt-get install mosquitto mosquitto-clients)");
            return None;
        }
        // A free port, taken again by mosquitto; retried on a clash.
        for _ in 0..10 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let dir = TempDir::new();
            let conf = dir.path().join("mosquitto.conf");
            std::fs::write(
                &conf,
                format!(
                    "listener {port} 127.0.0.1\n{extra}set_tcp_nodelay true\n\
                     max_inflight_messages 0\nmax_queued_messages 100000\n"
                ),
            )
            .expect("write mosquitto.conf");
            let mut child = Command::new("mosquitto")
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start mosquitto");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Broker {
                        child,
                        port,
                        _dir: dir,
                    });
                }
                if child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken meanwhile
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("mosquitto did not start");
    }

    fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// An independent subscriber to `topic`, printing `topic qos retain
    /// payload` per message; ready when this returns.
    fn watch(&self, topic: &str) -> Responder {
        let child = Command::new("mosquitto_sub")
            // At QoS 1, so that the QoS it shows is the one published with.
            .args(["-p", &self.port.to_string(), "-q", "1", "-v", "-t", topic])
            .args(["-F", "%t %q %r %p"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("mosquitto_sub");
        // Subscribed once a retained probe comes back.
        self.publish("iotrun-test/probe", "ready", true);
        std::thread::sleep(Duration::from_millis(300));
        Responder(child)
    }

    fn publish(&self, topic: &str, payload: &str, retain: bool) {
        let mut command = Command::new("mosquitto_pub");
        command.args(["-p", &self.port.to_string(), "-t", topic, "-m", payload]);
        if retain {
            command.arg("-r");
        }
        assert!(command.status().expect("mosquitto_pub").success());
    }

    /// A stand-in device: after the first command on `command_topic`,
    /// reports `report` on `state_topic`.
    fn answer(&self, command_topic: &str, state_topic: &str, report: &str) -> Responder {
        let port = self.port.to_string();
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "mosquitto_sub -p {port} -W 10 -t '{command_topic}' -C 1 >/dev/null && \
                 mosquitto_pub -p {port} -t '{state_topic}' -m '{report}'"
            ))
            .spawn()
            .expect("sh");
        std::thread::sleep(Duration::from_millis(300));
        Responder(child)
    }
}

/// A helper process (a stand-in device, a watcher), stopped when dropped,
/// also when a test fails.
struct Responder(Child);

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a watcher saw, after the run: it is stopped and read.
fn seen(mut watcher: Responder) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(200));
    let _ = watcher.0.kill();
    let mut out = String::new();
    if let Some(mut stdout) = watcher.0.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    out.lines()
        .filter(|l| !l.starts_with("iotrun-test/"))
        .map(str::to_string)
        .collect()
}

const KINDS: &str = "kinds:\n  blinds:\n    display: Blinds\n    accepts: [OPEN, CLOSE]\n    payloads: { OPEN: { position: 100 }, CLOSE: { position: 0 } }\n";

fn events(run: &common::Run) -> Vec<String> {
    run.json_lines()
        .iter()
        .map(|e| {
            let mut line = format!(
                "{} {}",
                e["event"].as_str().unwrap_or(""),
                e["device"].as_str().unwrap_or("-")
            );
            if let Some(reason) = e.get("reason").and_then(Value::as_str) {
                line.push_str(&format!(" {reason}"));
            }
            if let Some(state) = e.get("state") {
                line.push_str(&format!(" {state}"));
            }
            line
        })
        .collect()
}

/// Every command is published on its command topic, QoS 1, not retained,
/// with the format's payload (data filled in), in program order.
#[test]
fn commands_are_published_with_qos_1_not_retained_in_order() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let watcher = broker.watch("z2m/#");
    let program = format!(
        "mqtt: {{ broker: \"{}\" }}\ndevices:\n  hall: {{ kind: hue_light, mqtt: {{ topic: z2m/hall }} }}\n  radio: {{ kind: smart_speaker, mqtt: {{ topic: z2m/radio }} }}\n\
         program:\n  - {{ device: hall, message: SWITCH_ON }}\n  - {{ device: hall, message: CHANGE_COLOR, data: \"#FF8800\" }}\n  - {{ device: radio, message: PLAY_SONG, data: \"Song: 1\" }}\n",
        broker.url()
    );
    let run = Test::new()
        .program(&program)
        .args(["run", "--format", "json", "program.yaml"])
        .run();
    assert_eq!(
        events(&run),
        [
            "connect_start hall",
            "connect_start radio",
            "connect_end hall",
            "connect_end radio",
            "message_start hall",
            "message_end hall",
            "message_start hall",
            "message_end hall",
            "message_start radio",
            "message_end radio",
            // Unsubscribing is done at once, device by device.
            "disconnect_start hall",
            "disconnect_end hall",
            "disconnect_start radio",
            "disconnect_end radio",
            "run_end -",
        ]
    );
    assert_eq!(
        seen(watcher),
        [
            "z2m/hall/set 1 0 {\"state\":\"ON\"}",
            "z2m/hall/set 1 0 {\"color\":{\"hex\":\"#FF8800\"}}",
            "z2m/radio/set 1 0 {\"play\":\"Song: 1\"}",
        ]
    );
}

/// With `confirm`, a message is done on the device's matching report; a
/// `wait` then sees the reported state at once. The JSON events say so.
#[test]
fn a_confirmed_message_ends_on_the_devices_report() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let _device = broker.answer(
        "home/blinds/set",
        "home/blinds",
        "{\"position\":100,\"moving\":false}",
    );
    let program = format!(
        "{KINDS}devices:\n  blinds: {{ kind: blinds, mqtt: {{ topic: home/blinds, confirm: true }} }}\n\
         program:\n  - {{ device: blinds, message: OPEN, timeout: 5s }}\n  - wait: {{ device: blinds, state: {{ position: 100 }} }}\n    timeout: 1s\n"
    );
    let run = Test::new()
        .program(&program)
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .run();
    assert_eq!(
        events(&run),
        [
            "connect_start blinds",
            "connect_end blinds",
            "message_start blinds",
            "message_end blinds",
            "state blinds {\"moving\":false,\"position\":100}",
            "wait_start blinds",
            "wait_end blinds",
            "disconnect_start blinds",
            "disconnect_end blinds",
            "run_end -",
        ]
    );
}

/// A report that does not hold the payload's fields does not confirm: the
/// message's timeout fails it, and the run fails.
#[test]
fn a_report_that_does_not_match_leaves_the_timeout_to_end_it() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let _device = broker.answer("home/blinds/set", "home/blinds", "{\"position\":40}");
    let program = format!(
        "{KINDS}devices:\n  blinds: {{ kind: blinds, mqtt: {{ topic: home/blinds, confirm: true }} }}\n\
         program:\n  - {{ device: blinds, message: OPEN, timeout: 600ms }}\n"
    );
    let run = Test::new()
        .program(&program)
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .status(1)
        .run();
    let events = events(&run);
    assert!(
        events.contains(&"message_failed blinds timeout".to_string()),
        "{events:?}"
    );
    assert!(run.stderr.contains("iotrun::run_failed"), "{}", run.stderr);
}

/// A device whose availability topic says `offline` fails its messages at
/// once, with reason `offline`.
#[test]
fn an_offline_device_fails_its_messages_at_once() {
    let Some(broker) = Broker::start() else {
        return;
    };
    broker.publish("z2m/hall/availability", "offline", true);
    let program = "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n";
    let run = Test::new()
        .program(program)
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .status(1)
        .run();
    let events = events(&run);
    assert!(
        events.contains(&"message_failed hall offline".to_string()),
        "{events:?}"
    );
    assert!(
        run.stderr
            .contains("\"message\":\"SWITCH_ON to `hall` failed: the device is offline\""),
        "{}",
        run.stderr
    );
}

/// No broker there: a diagnostic naming it, exit 1, nothing connected.
#[test]
fn a_broker_that_is_not_there_is_a_diagnostic_and_nothing_connects() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let program = "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n";
    let url = format!("mqtt://127.0.0.1:{port}");
    let run = Test::new()
        .program(program)
        .args(["run", "--broker", &url, "program.yaml"])
        .env("IOTRUN_MQTT_BROKER", "mqtt://example.invalid:1")
        .status(1)
        .stdout("")
        .run();
    assert_eq!(
        run.stderr,
        format!(
            "iotrun::broker

  × cannot reach the MQTT broker at {url}: Connection refused (os error 111)
  help: start the broker, or point `--broker`, `IOTRUN_MQTT_BROKER` or `mqtt.broker` at one;
        nothing was connected

program.yaml: 1 error, 0 warnings
"
        )
    );
}

/// `--virtual-time` cannot drive real devices, unless `--simulate` makes
/// them simulated ones (which report their state as real ones would).
#[test]
fn virtual_time_needs_simulate_with_mqtt_devices() {
    let program = "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n";
    Test::new()
        .program(program)
        .args(["run", "--virtual-time", "program.yaml"])
        .status(2)
        .stderr(
            "iotrun::io

  × `--virtual-time` cannot drive real devices (`hall`): add `--simulate` to simulate them

program.yaml: 1 error, 0 warnings
",
        )
        .run();
    Test::new()
        .program(program)
        .args(["run", "--virtual-time", "--simulate", "program.yaml"])
        .stdout(
            "\
[  0.000s] hall  Connecting Hue Light.
[  0.500s] hall  Hue Light connected.
[  0.500s] hall  Hue Light handling message of type SWITCH_ON with data [].
[  1.000s] hall  Hue Light received message.
[  1.000s] hall  State of hall: {\"state\":\"ON\"}.
[  1.000s] hall  Disconnecting Hue Light.
[  1.500s] hall  Hue Light disconnected.
done in 1.500 s, 1 message, 1 device.
  expected 1.5 s; attempts: 1 done, 0 failed, 0 cancelled; busiest: `hall` (1 attempt).
",
        )
        .run();
}

/// The MQTT keys are checked like any other: a device's `mqtt` needs a
/// topic, a broker URL its scheme, and unknown keys get a "did you mean".
#[test]
fn mqtt_keys_are_checked() {
    let run = Test::new()
        .program(
            "mqtt: { broker: \"http://h:8883\", usr: me }\ndevices:\n  l: { kind: hue_light, mqtt: { confirm: yes } }\nprogram:\n  - { device: l, message: SWITCH_ON }\n",
        )
        .args(["check", "--format", "json", "program.yaml"])
        .status(1)
        .run();
    let found: Vec<(String, String)> = run
        .json_lines()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = [
        (
            "iotrun::invalid_value",
            "`http://h:8883` is no broker URL: a broker URL starts with `mqtt://` (or `mqtts://` for TLS)",
        ),
        ("iotrun::unknown_key", "`mqtt` has no key `usr`"),
        (
            "iotrun::missing_key",
            "the `mqtt` of device `l` has no `topic`",
        ),
    ];
    for (code, message) in expected {
        assert!(
            found.iter().any(|(c, m)| c == code && m == message),
            "{code} {message} not in {found:?}"
        );
    }
}

/// The shipped MQTT home over a real broker, its blinds answered by a
/// stand-in: the same events as `--simulate` gives, times and order aside
/// (real devices answer at their own pace).
#[test]
fn the_mqtt_home_runs_over_a_broker_with_the_events_of_its_simulation() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let _blinds = broker.answer(
        "zigbee2mqtt/blinds/set",
        "zigbee2mqtt/blinds",
        "{\"position\":100}",
    );
    let program = common::root().join("programs/mqtt/home.yaml");
    let program = program.display().to_string();
    let real = Test::new()
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            &program,
        ])
        .run();
    let simulated = Test::new()
        .args([
            "run",
            "--simulate",
            "--virtual-time",
            "--format",
            "json",
            &program,
        ])
        .run();
    // An unconfirmed message is done on the broker's PUBACK, so when the
    // hall light reports its state is its own affair: its state events
    // are left out of the comparison.
    let sorted = |run: &common::Run| {
        let mut events: Vec<String> = events(run)
            .into_iter()
            .filter(|e| !e.starts_with("state hall"))
            .collect();
        events.sort();
        events
    };
    assert_eq!(sorted(&real), sorted(&simulated));
}

/// The broker killed mid-run: the message in flight fails with
/// `broker_lost`, its retry too, and the run still ends, every device
/// disconnected, in bounded time.
#[test]
fn a_broker_killed_mid_run_fails_the_message_and_the_run_ends() {
    let Some(mut broker) = Broker::start() else {
        return;
    };
    let program = "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n  - delay: 1s\n  - { device: hall, message: SWITCH_OFF, retry: { attempts: 2, backoff: 100ms } }\n";
    let test = Test::new()
        .program(program)
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .status(1);
    let killer = std::thread::spawn({
        let pid = broker.child.id();
        move || {
            std::thread::sleep(Duration::from_millis(500));
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let started = Instant::now();
    let run = test.run();
    killer.join().expect("the killer");
    let _ = broker.child.wait();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    let events = events(&run);
    assert!(
        events.contains(&"message_failed hall broker_lost".to_string()),
        "{events:?}"
    );
    assert!(
        events.ends_with(&[
            "disconnect_start hall".to_string(),
            "disconnect_end hall".to_string(),
            "run_end -".to_string()
        ]),
        "{events:?}"
    );
    assert!(
        run.stderr.contains("the MQTT broker was lost"),
        "{}",
        run.stderr
    );
}

/// The password comes from the environment variable `password_env` names;
/// without it the broker refuses the login: `iotrun::broker`, exit 1.
#[test]
fn the_password_is_read_from_the_environment() {
    if Command::new("mosquitto_passwd").arg("-h").output().is_err()
        && std::env::var_os("CI").is_none()
    {
        eprintln!("skipped: no mosquitto_passwd");
        return;
    }
    let dir = TempDir::new();
    let passwords = dir.path().join("passwords");
    let made = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwords)
        .args(["home", "s3cret"])
        .status();
    let Ok(made) = made else {
        return;
    };
    assert!(made.success());
    let Some(broker) = Broker::start_with(&format!(
        "allow_anonymous false\npassword_file {}\n",
        passwords.display()
    )) else {
        return;
    };
    let program = format!(
        "mqtt: {{ broker: \"{}\", username: home, password_env: HOME_MQTT_PASSWORD }}\n\
         devices:\n  hall: {{ kind: hue_light, mqtt: {{ topic: z2m/hall }} }}\nprogram:\n  - {{ device: hall, message: SWITCH_ON }}\n",
        broker.url()
    );
    Test::new()
        .program(&program)
        .args(["run", "--format", "json", "program.yaml"])
        .env("HOME_MQTT_PASSWORD", "s3cret")
        .run();
    let refused = Test::new()
        .program(&program)
        .args(["run", "--format", "json", "program.yaml"])
        .env("HOME_MQTT_PASSWORD", "wrong")
        .status(1)
        .stdout("")
        .run();
    assert!(
        refused.stderr.contains("\"code\":\"iotrun::broker\""),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("refused the connection"),
        "{}",
        refused.stderr
    );
}

/// `iotrun emulate` in one process and `iotrun run` in another, over a real
/// broker: the run gives the events of its `--simulate` run (times and
/// order aside); Ctrl-C stops the emulator, exit 130, each device's
/// availability left `offline` (retained).
#[test]
fn emulate_and_run_the_mqtt_home_end_to_end() {
    use std::io::BufRead;
    let Some(broker) = Broker::start() else {
        return;
    };
    let program = common::root().join("programs/mqtt/home.yaml");
    let program = program.display().to_string();
    // Stopped by the drop too, should the test fail half way.
    let mut emulator = Responder(
        Command::new(common::BIN)
            .args([
                "emulate",
                "--format",
                "json",
                "--seed",
                "3",
                "--broker",
                &broker.url(),
                &program,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("iotrun emulate"),
    );
    let mut lines = std::io::BufReader::new(emulator.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let start: Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(start["event"], "emulate_start", "{first}");
    assert_eq!(start["devices"], 2);
    let real = Test::new()
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            &program,
        ])
        .run();
    let simulated = Test::new()
        .args([
            "run",
            "--simulate",
            "--virtual-time",
            "--format",
            "json",
            &program,
        ])
        .run();
    // An unconfirmed message is done on the broker's PUBACK, so when the
    // hall light reports its state is its own affair: its state events
    // are left out of the comparison.
    let sorted = |run: &common::Run| {
        let mut events: Vec<String> = events(run)
            .into_iter()
            .filter(|e| !e.starts_with("state hall"))
            .collect();
        events.sort();
        events
    };
    assert_eq!(sorted(&real), sorted(&simulated));
    let sent = Command::new("kill")
        .args(["-INT", &emulator.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = emulator.0.wait().expect("the emulator's status");
    assert_eq!(status.code(), Some(130));
    let said: Vec<Value> = lines
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let names: Vec<String> = said
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap_or(""),
                e["device"].as_str().unwrap_or("-")
            )
        })
        .collect();
    for expected in [
        "command hall",
        "state hall",
        "command blinds",
        "state blinds",
        "emulate_end -",
    ] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} not in {names:?}"
        );
    }
    let watcher = broker.watch("zigbee2mqtt/+/availability");
    let mut availability = seen(watcher);
    availability.sort();
    assert_eq!(
        availability,
        [
            "zigbee2mqtt/blinds/availability 1 1 offline",
            "zigbee2mqtt/hall/availability 1 1 offline",
        ]
    );
}

/// `emulate` with no broker there: `iotrun::broker`, exit 1.
#[test]
fn emulate_without_a_broker_is_a_diagnostic() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let program = common::root().join("programs/mqtt/home.yaml");
    let run = Test::new()
        .args(["emulate", "--broker", &format!("mqtt://127.0.0.1:{port}")])
        .args([program.display().to_string()])
        .status(1)
        .stdout("")
        .run();
    assert!(
        run.stderr.contains(&format!(
            "× cannot reach the MQTT broker at mqtt://127.0.0.1:{port}: "
        )),
        "{}",
        run.stderr
    );
}

/// Ctrl-C during a run with real devices: they unsubscribe and disconnect,
/// `run_end` says interrupted, exit 130.
#[test]
fn ctrl_c_disconnects_real_devices_and_exits_130() {
    use std::io::BufRead;
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = TempDir::new();
    let path = dir.path().join("program.yaml");
    std::fs::write(
        &path,
        "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n  - delay: 1m\n",
    )
    .expect("write program");
    let mut run = Responder(
        Command::new(common::BIN)
            .args(["run", "--format", "json", "--broker", &broker.url()])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("iotrun run"),
    );
    let mut lines = std::io::BufReader::new(run.0.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        let event: Value = serde_json::from_str(&line).expect("JSON");
        let name = event["event"].as_str().unwrap_or("").to_string();
        seen.push(name.clone());
        if name == "message_end" {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &run.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    for line in lines.map_while(Result::ok) {
        let event: Value = serde_json::from_str(&line).expect("JSON");
        seen.push(event["event"].as_str().unwrap_or("").to_string());
        if seen.last().is_some_and(|e| e == "run_end") {
            assert_eq!(event["status"], "interrupted");
        }
    }
    let status = run.0.wait().expect("status");
    assert_eq!(status.code(), Some(130));
    assert!(
        seen.ends_with(&[
            "delay_cancelled".to_string(),
            "disconnect_start".to_string(),
            "disconnect_end".to_string(),
            "run_end".to_string()
        ]),
        "{seen:?}"
    );
}

/// Makes a CA and a server certificate for 127.0.0.1 with `openssl`, in
/// `dir`: `ca.pem`, `server.pem`, `server.key`.
fn certificates(dir: &std::path::Path) -> bool {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("san.cnf");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=iotrun test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
        "-out",
        "server.pem",
    ])
}

/// TLS (`mqtts://`) against mosquitto with a certificate the test makes:
/// with the CA in `ca_file` the run works; without it, the broker's
/// certificate is not trusted and nothing connects.
#[test]
fn tls_with_a_ca_file_the_test_makes() {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "openssl is needed in CI");
        eprintln!("skipped: no openssl to make certificates");
        return;
    }
    let certs = TempDir::new();
    assert!(
        certificates(certs.path()),
        "openssl could not make certificates"
    );
    let Some(broker) = Broker::start_with(&format!(
        // Started as root, mosquitto would read its key as user `mosquitto`.
        "allow_anonymous true\nuser root\ncafile {0}/ca.pem\ncertfile {0}/server.pem\nkeyfile {0}/server.key\n",
        certs.path().display()
    )) else {
        return;
    };
    let url = format!("mqtts://127.0.0.1:{}", broker.port);
    let program = |ca: &str| {
        format!(
            "mqtt: {{ broker: \"{url}\"{ca} }}\ndevices:\n  hall: {{ kind: hue_light, mqtt: {{ topic: z2m/hall }} }}\nprogram:\n  - {{ device: hall, message: SWITCH_ON }}\n"
        )
    };
    let ca = format!(", ca_file: \"{}/ca.pem\"", certs.path().display());
    let run = Test::new()
        .program(&program(&ca))
        .args(["run", "--format", "json", "program.yaml"])
        .run();
    assert!(
        run.stdout.contains("\"event\":\"message_end\""),
        "{}",
        run.stdout
    );
    let untrusted = Test::new()
        .program(&program(""))
        .args(["run", "program.yaml"])
        .status(1)
        .stdout("")
        .run();
    assert!(
        untrusted
            .stderr
            .contains(&format!("cannot reach the MQTT broker at {url}:")),
        "{}",
        untrusted.stderr
    );
}

/// The broker restarted mid-run: the run reconnects (with backoff),
/// subscribes again, and a retried message gets through; the run ends ok.
#[test]
fn a_retry_gets_through_once_the_broker_is_back() {
    let Some(mut broker) = Broker::start() else {
        return;
    };
    let port = broker.port;
    let program = "devices:\n  hall: { kind: hue_light, mqtt: { topic: z2m/hall } }\nprogram:\n  - { device: hall, message: SWITCH_ON }\n  - delay: 1s\n  - { device: hall, message: SWITCH_OFF, timeout: 2s, retry: { attempts: 8, backoff: 300ms } }\n";
    let test = Test::new().program(program).args([
        "run",
        "--format",
        "json",
        "--broker",
        &broker.url(),
        "program.yaml",
    ]);
    let restarter = std::thread::spawn({
        let pid = broker.child.id();
        move || {
            std::thread::sleep(Duration::from_millis(500));
            let _ = Command::new("kill").arg(pid.to_string()).status();
            std::thread::sleep(Duration::from_millis(1500));
            // The same port again.
            let dir = TempDir::new();
            let conf = dir.path().join("mosquitto.conf");
            std::fs::write(
                &conf,
                format!("listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"),
            )
            .expect("conf");
            let child = Command::new("mosquitto")
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("mosquitto again");
            (Responder(child), dir)
        }
    });
    let run = test.run();
    let _again = restarter.join().expect("the restarter");
    let _ = broker.child.wait();
    let events = events(&run);
    assert!(
        events.contains(&"message_failed hall broker_lost".to_string()),
        "{events:?}"
    );
    assert_eq!(events.last().map(String::as_str), Some("run_end -"));
    assert!(
        run.json_lines().last().is_some_and(|e| e["status"] == "ok"),
        "{}",
        run.stdout
    );
}

/// A retained report from before the run is the device's state, but it
/// never confirms a command sent after it: the timeout does.
#[test]
fn a_stale_retained_report_does_not_confirm() {
    let Some(broker) = Broker::start() else {
        return;
    };
    broker.publish("home/blinds", "{\"position\":100}", true);
    let program = format!(
        "{KINDS}devices:\n  blinds: {{ kind: blinds, mqtt: {{ topic: home/blinds, confirm: true }} }}\n\
         program:\n  - {{ device: blinds, message: OPEN, timeout: 500ms }}\n"
    );
    let run = Test::new()
        .program(&program)
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .status(1)
        .run();
    let events = events(&run);
    assert!(
        events.contains(&"state blinds {\"position\":100}".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"message_failed blinds timeout".to_string()),
        "{events:?}"
    );
}

/// A confirmed message with no `timeout` may wait for ever: a warning.
#[test]
fn a_confirmed_message_without_timeout_is_an_unbounded_wait() {
    Test::new()
        .program(&format!(
            "{KINDS}devices:\n  blinds: {{ kind: blinds, mqtt: {{ topic: home/blinds, confirm: true }} }}\nprogram:\n  - {{ device: blinds, message: OPEN }}\n"
        ))
        .args(["check", "program.yaml"])
        .stdout("program.yaml: 1 device, 1 message, 1.5 s\n")
        .stderr(
            "iotrun::unbounded_wait

  ⚠ this message waits for `blinds` to confirm it and has no `timeout`, so it may never end
   ╭─[program.yaml:9:32]
 8 │ program:
 9 │   - { device: blinds, message: OPEN }
   ·                                ──┬─
   ·                                  ╰── no `timeout`
   ╰────
  help: give it one, e.g. `timeout: 10s`: a report that never comes then fails the message instead
        of holding the run forever

program.yaml: 0 errors, 1 warning
",
        )
        .run();
}

/// A program of `devices` emulated lights, each switched on then off with
/// confirmation, all at once.
fn fleet(devices: usize) -> String {
    let mut program = String::from("devices:\n");
    for d in 0..devices {
        program.push_str(&format!(
            "  d{d}: {{ kind: hue_light, latency: 0ms, mqtt: {{ topic: fleet/d{d}, confirm: true }} }}\n"
        ));
    }
    program.push_str("program:\n  parallel:\n");
    for d in 0..devices {
        program.push_str(&format!(
            "    - [ {{ device: d{d}, message: SWITCH_ON, timeout: 30s }}, {{ device: d{d}, message: SWITCH_OFF, timeout: 30s }} ]\n"
        ));
    }
    program
}

/// One `iotrun emulate` holds a fleet: 2,000 devices, each a client of its
/// own, from a shell whose open-file limit (1,024) is too low for them
/// until the emulator raises it. One `iotrun run` confirms 4,000 commands
/// through them, none lost.
#[test]
fn one_emulator_holds_a_fleet_of_two_thousand_devices() {
    use std::io::BufRead;
    let Some(broker) = Broker::start() else {
        return;
    };
    let test = Test::new().program(&fleet(2000));
    let program = test.path().join("program.yaml").display().to_string();
    let mut emulator = Responder(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -Sn 1024 && exec '{}' emulate --format json --broker {} '{program}'",
                common::BIN,
                broker.url()
            ))
            .stdout(Stdio::piped())
            .spawn()
            .expect("iotrun emulate"),
    );
    let mut lines = std::io::BufReader::new(emulator.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let start: Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(start["event"], "emulate_start", "{first}");
    assert_eq!(start["devices"], 2000);
    // Its reports read as they come, so a full pipe never holds it back.
    let reader = std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .filter(|l| l.contains("\"event\":\"command\""))
            .count()
    });
    let run = test
        .args([
            "run",
            "--format",
            "json",
            "--broker",
            &broker.url(),
            "program.yaml",
        ])
        .run();
    let events = run.json_lines();
    let count = |name: &str| events.iter().filter(|e| e["event"] == name).count();
    assert_eq!(count("message_end"), 4000);
    assert_eq!(count("message_failed"), 0);
    assert_eq!(count("disconnect_end"), 2000);
    let sent = Command::new("kill")
        .args(["-INT", &emulator.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    assert_eq!(emulator.0.wait().expect("its status").code(), Some(130));
    assert_eq!(reader.join().expect("the reader"), 4000);
}

/// A fleet the open-file limit cannot hold is a diagnostic that says so,
/// before any device connects.
#[test]
fn a_fleet_beyond_the_open_file_limit_says_so() {
    let test = Test::new().program(&fleet(300));
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 200 && exec '{}' emulate --broker mqtt://127.0.0.1:1 program.yaml",
            common::BIN
        ))
        .current_dir(test.path())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("iotrun emulate");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "iotrun::io\n\n  × emulating 300 devices needs about 364 open files, but this process may open at most 200\n  │ (`ulimit -n`)\n\nprogram.yaml: 1 error, 0 warnings\n"
    );
}
