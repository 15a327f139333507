//! Soak: a bounded load test of the reference server on loopback, then a
//! check that every payment's final state is explained by the answers
//! given, and that memory stayed flat. Run by `.ci/run`:
//!
//! ```sh
//! cargo test --test soak -- --ignored --nocapture
//! ```
//!
//! # The load
//!
//! 2,000 payments (paid, or awaiting the buyer; card and wallet), 50
//! operations each, 64 requests in flight: signed cancels by either id
//! (first ones and repeats), inquiries, capture and refund events,
//! payment-success notifications (late ones, on cancelled payments, among
//! them) and injected U faults. Operations on a payment race each other:
//! the queue holds 16 payments' operations shuffled together at a time.
//! With seeding, draining and the final reads, well over 100,000 requests.
//!
//! # What "explained" means
//!
//! The reference server's payment states form a graph without cycles (apart
//! from staying put): awaiting-buyer → paid → capturing → captured →
//! partly-refunded → fully-refunded, with cancelled reachable only from
//! awaiting-buyer and paid, and never left. So in any one-at-a-time order of
//! the operations, a payment walks one path of that graph from its seeded
//! state to its final state. A payment's history is explained when some
//! path from the seeded state to the final state (as the control plane
//! reads it at the end) takes every answer given:
//!
//! * every answer fits a state of the path: an inquiry's `paymentStatus`, a
//!   cancel's S (cancelled) or F (captured or capturing: ORDER_STATUS_INVALID;
//!   refunded: PROCESS_FAIL), an event's reported state, with `applied` true
//!   exactly when the event applies there;
//! * every step of the path was taken by an answer, before anything saw
//!   its result: a cancel S into cancelled, else an applied event; an
//!   event that cannot apply twice (captured, fully-refunded, ...) was
//!   applied at most once;
//! * the order is possible: an operation that ended before another began
//!   sits no later on the path (checked greedily, which is exact for a
//!   chain);
//! * every S shows the same `cancelTime`, the one the control plane shows;
//! * every injected fault gave exactly one U, and a U changed nothing
//!   (after the run, inquiries drain any fault not yet consumed).
//!
//! A lost update (two operations that both acted on the state they read),
//! a U that cancelled, a late notification that revived a cancelled payment
//! or an event applied twice each leave a history no path explains;
//! `the_check_rejects_unexplainable_histories` shows the check catching
//! each.

mod server_support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{self, DEFAULT_CLIENT_ID, ServerConfig};
use cancel_conformance::signing::{SignedContent, SigningKey, VerifyingKey, test_keys};
use cancel_conformance::spec::api::{CANCEL_PATH, INQUIRY_PATH};
use cancel_conformance::spec::validate::{Message, validate};
use serde_json::{Value, json};

const PAYMENTS: usize = 2_000;
const OPS_PER_PAYMENT: usize = 50;
const CONCURRENCY: usize = 64;
/// Payments whose operations are shuffled together in the queue.
const WINDOW: usize = 16;
const MIN_REQUESTS: usize = 100_000;
const TIME_LIMIT: Duration = Duration::from_secs(300);
const REQUEST_TIME: &str = "2026-11-26T12:00:00+08:00";

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum St {
    AwaitingBuyer,
    Paid,
    Capturing,
    Captured,
    PartlyRefunded,
    FullyRefunded,
    Cancelled,
}

impl St {
    const ALL: [St; 7] = [
        St::AwaitingBuyer,
        St::Paid,
        St::Capturing,
        St::Captured,
        St::PartlyRefunded,
        St::FullyRefunded,
        St::Cancelled,
    ];

    fn parse(text: &str) -> St {
        match text {
            "awaiting-buyer" => St::AwaitingBuyer,
            "paid" => St::Paid,
            "capturing" => St::Capturing,
            "captured" => St::Captured,
            "partly-refunded" => St::PartlyRefunded,
            "fully-refunded" => St::FullyRefunded,
            "cancelled" => St::Cancelled,
            other => panic!("a state outside the model: {other}"),
        }
    }

    fn payment_status(self) -> &'static str {
        match self {
            St::AwaitingBuyer => "PROCESSING",
            St::Cancelled => "CANCELLED",
            _ => "SUCCESS",
        }
    }

    /// What a cancel answers in this state (not counting faults).
    fn cancel_code(self) -> &'static str {
        match self {
            St::AwaitingBuyer | St::Paid | St::Cancelled => "SUCCESS",
            St::Capturing | St::Captured => "ORDER_STATUS_INVALID",
            St::PartlyRefunded | St::FullyRefunded => "PROCESS_FAIL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Event {
    PaymentSuccess,
    CaptureStarted,
    Captured,
    PartlyRefunded,
    FullyRefunded,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::PaymentSuccess => "payment-success",
            Event::CaptureStarted => "capture-started",
            Event::Captured => "captured",
            Event::PartlyRefunded => "partly-refunded",
            Event::FullyRefunded => "fully-refunded",
        }
    }

    /// Where the event takes a payment in `from`, if it applies there
    /// (INTERPRETING.md §5; src/server/store.rs, `Payment::apply`), under
    /// the antom profile the soak runs.
    fn apply(self, from: St, card: bool) -> Option<St> {
        use St::*;
        match (self, from) {
            (Event::PaymentSuccess, AwaitingBuyer) => Some(Paid),
            (Event::PaymentSuccess, Cancelled) => Some(Cancelled),
            (Event::CaptureStarted, Paid) if card => Some(Capturing),
            (Event::Captured, Paid | Capturing) => Some(Captured),
            (Event::PartlyRefunded, Paid | Captured | PartlyRefunded) => Some(PartlyRefunded),
            (Event::FullyRefunded, Paid | Captured | PartlyRefunded) => Some(FullyRefunded),
            _ => None,
        }
    }
}

/// What one answer showed about its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Obs {
    /// A cancel or inquiry answered U: says nothing about the state.
    Unknown,
    CancelSuccess {
        cancel_time: String,
    },
    CancelRefused {
        code: String,
    },
    Inquiry {
        status: String,
    },
    Event {
        event: Event,
        applied: bool,
        state: St,
    },
    /// A fault was scripted (its answer is `{}`).
    FaultScripted,
}

/// One operation as it happened: its answer, and when it was in flight
/// (nanoseconds since the run began).
#[derive(Debug, Clone)]
struct Done {
    obs: Obs,
    start: u64,
    end: u64,
}

/// Whether the answer can have been given at position `p` on `path`.
/// Position `2i` is the step into `path[i]`, position `2i + 1` is a time
/// at which the payment is in `path[i]`: a step comes before everything
/// that sees its result.
fn fits(obs: &Obs, path: &[St], p: usize, card: bool) -> bool {
    let (i, step) = (p / 2, p.is_multiple_of(2));
    if step && i == 0 {
        return false; // nothing steps into the seeded state
    }
    let here = path[i];
    let stepped_by = |event: &Event| step && event.apply(path[i - 1], card) == Some(here);
    match obs {
        Obs::Unknown | Obs::FaultScripted => !step,
        // The cancel that cancelled, or a repeat.
        Obs::CancelSuccess { .. } => here == St::Cancelled,
        Obs::CancelRefused { code } => !step && here.cancel_code() == code,
        Obs::Inquiry { status } => !step && here.payment_status() == status,
        Obs::Event {
            event,
            applied: false,
            state,
        } => !step && here == *state && event.apply(here, card).is_none(),
        Obs::Event {
            event,
            applied: true,
            state,
        } => {
            here == *state
                && ((!step && event.apply(here, card) == Some(here)) || stepped_by(event))
        }
    }
}

/// Every path of the state graph from `from` to `to` (self-loops left out).
fn paths(from: St, to: St, card: bool) -> Vec<Vec<St>> {
    fn walk(path: &mut Vec<St>, to: St, card: bool, out: &mut Vec<Vec<St>>) {
        let here = *path.last().expect("a path is never empty");
        if here == to {
            out.push(path.clone());
        }
        for next in St::ALL {
            if path.contains(&next) {
                continue;
            }
            let by_event = [
                Event::PaymentSuccess,
                Event::CaptureStarted,
                Event::Captured,
                Event::PartlyRefunded,
                Event::FullyRefunded,
            ]
            .iter()
            .any(|event| event.apply(here, card) == Some(next));
            let by_cancel = next == St::Cancelled && matches!(here, St::AwaitingBuyer | St::Paid);
            if by_event || by_cancel {
                path.push(next);
                walk(path, to, card, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(&mut vec![from], to, card, &mut out);
    out
}

/// Why `path` does not explain `history`, if it does not.
fn explains(path: &[St], history: &[Done], card: bool) -> Result<(), String> {
    // An event that cannot apply twice in a row took its step at most once.
    for i in 1..path.len() {
        let (from, to) = (path[i - 1], path[i]);
        let once_only = history
            .iter()
            .filter(|d| {
                matches!(&d.obs, Obs::Event { event, applied: true, state }
                    if *state == to
                        && event.apply(from, card) == Some(to)
                        && event.apply(to, card) != Some(to))
            })
            .count();
        if once_only > 1 {
            return Err(format!(
                "{from:?} → {to:?} applied {once_only} times by events that apply only once"
            ));
        }
    }
    // Every answer sits on the path, in an order that real time allows:
    // each at the earliest point it fits after everything that ended before
    // it began (earliest is best for all that follow, so this is exact).
    let mut order: Vec<&Done> = history.iter().collect();
    order.sort_by_key(|d| d.start);
    let mut placed: Vec<(u64, usize)> = Vec::new(); // (end, position)
    for done in order {
        let lower = placed
            .iter()
            .filter(|(end, _)| *end < done.start)
            .map(|(_, position)| *position)
            .max()
            .unwrap_or(0);
        let Some(position) = (lower..2 * path.len()).find(|&p| fits(&done.obs, path, p, card))
        else {
            return Err(format!(
                "{:?} fits no point of the path at or after {:?}",
                done.obs,
                path[lower / 2]
            ));
        };
        placed.push((done.end, position));
    }
    // Every step was taken by an answer, before anything saw its result:
    // a cancel S into cancelled, else an applied event.
    for i in 1..path.len() {
        if !placed.iter().any(|(_, position)| *position == 2 * i) {
            return Err(format!(
                "no answer took the step {:?} → {:?} before its result was seen",
                path[i - 1],
                path[i]
            ));
        }
    }
    Ok(())
}

/// Checks one payment's history; `Ok` names the path that explains it.
fn check_payment(
    seeded: St,
    card: bool,
    history: &[Done],
    final_state: St,
    final_cancel_time: Option<&str>,
    faults: usize,
) -> Result<Vec<St>, String> {
    let unknowns = history.iter().filter(|d| d.obs == Obs::Unknown).count();
    if unknowns != faults {
        return Err(format!("{faults} faults injected but {unknowns} U answers"));
    }
    let times: HashSet<&str> = history
        .iter()
        .filter_map(|d| match &d.obs {
            Obs::CancelSuccess { cancel_time } => Some(cancel_time.as_str()),
            _ => None,
        })
        .collect();
    if times.len() > 1 {
        return Err(format!("S answers disagree on cancelTime: {times:?}"));
    }
    if let Some(time) = times.iter().next()
        && final_cancel_time != Some(*time)
    {
        return Err(format!(
            "S answered cancelTime {time}, the control plane shows {final_cancel_time:?}"
        ));
    }
    let mut reasons = Vec::new();
    for path in paths(seeded, final_state, card) {
        match explains(&path, history, card) {
            Ok(()) => return Ok(path),
            Err(why) => reasons.push(format!("{path:?}: {why}")),
        }
    }
    if reasons.is_empty() {
        return Err(format!("{final_state:?} cannot be reached from {seeded:?}"));
    }
    Err(format!(
        "no path explains the answers:\n  {}",
        reasons.join("\n  ")
    ))
}

// ---------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Kind {
    CancelById,
    CancelByRequestId,
    Inquiry,
    Event(Event),
    Fault,
}

/// The mix, by weight out of 20.
fn kind_for(roll: u64) -> Kind {
    match roll % 20 {
        0..=3 => Kind::CancelById,
        4..=5 => Kind::CancelByRequestId,
        6..=9 => Kind::Inquiry,
        10 => Kind::Event(Event::CaptureStarted),
        11 => Kind::Event(Event::Captured),
        12 => Kind::Event(Event::PartlyRefunded),
        13 => Kind::Event(Event::FullyRefunded),
        14..=16 => Kind::Event(Event::PaymentSuccess),
        _ => Kind::Fault,
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

struct Payment {
    payment_id: String,
    payment_request_id: String,
    seeded: St,
    card: bool,
}

/// Everything the workers share.
struct Load {
    base_url: String,
    http: reqwest::Client,
    merchant: SigningKey,
    provider: VerifyingKey,
    /// Client signatures by (path, body): the same bytes are signed once.
    signatures: Mutex<HashMap<(String, String), String>>,
    requests: AtomicUsize,
    t0: Instant,
}

impl Load {
    fn now(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/control/v1{path}", self.base_url));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.expect("the control plane answers");
        let status = response.status();
        let text = response.text().await.expect("a complete answer");
        assert_eq!(status, 200, "control plane {path}: {text}");
        serde_json::from_str(&text).expect("the control plane answers JSON")
    }

    /// A signed API call; checks what every answer must be and returns its
    /// JSON.
    async fn api(&self, path: &str, body: String) -> Value {
        let key = (path.to_string(), body.clone());
        let cached = self.signatures.lock().expect("lock").get(&key).cloned();
        let signature = match cached {
            Some(signature) => signature,
            None => {
                let signature =
                    SignedContent::post(path, DEFAULT_CLIENT_ID, REQUEST_TIME, body.as_bytes())
                        .sign(&self.merchant, "1")
                        .expect("signing works");
                self.signatures
                    .lock()
                    .expect("lock")
                    .insert(key, signature.clone());
                signature
            }
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", DEFAULT_CLIENT_ID)
            .header("request-time", REQUEST_TIME)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .expect("a complete answer");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a complete body");
        let shown = String::from_utf8_lossy(&bytes);
        assert_eq!(status, 200, "{path}: {shown}");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("no {name} header: {shown}"))
        };
        assert_eq!(header("client-id"), DEFAULT_CLIENT_ID);
        SignedContent::post(path, DEFAULT_CLIENT_ID, header("response-time"), &bytes)
            .verify(&self.provider, header("signature"))
            .unwrap_or_else(|err| panic!("the answer's signature: {err}: {shown}"));
        let json: Value = serde_json::from_slice(&bytes).expect("the answer is JSON");
        let message = if path == CANCEL_PATH {
            Message::CancelResponse
        } else {
            Message::InquiryResponse
        };
        let violations = validate(message, &json);
        assert!(violations.is_empty(), "{violations:?}: {shown}");
        json
    }

    async fn run(&self, payment: &Payment, kind: Kind) -> Done {
        let start = self.now();
        let obs = match kind {
            Kind::CancelById | Kind::CancelByRequestId | Kind::Inquiry => {
                let body = match kind {
                    Kind::CancelByRequestId => {
                        json!({"paymentRequestId": payment.payment_request_id})
                    }
                    _ => json!({"paymentId": payment.payment_id}),
                };
                let path = if matches!(kind, Kind::Inquiry) {
                    INQUIRY_PATH
                } else {
                    CANCEL_PATH
                };
                let json = self.api(path, body.to_string()).await;
                let code = json["result"]["resultCode"].as_str().unwrap_or_default();
                match (json["result"]["resultStatus"].as_str(), kind) {
                    (Some("U"), _) => Obs::Unknown,
                    (Some("S"), Kind::Inquiry) => Obs::Inquiry {
                        status: json["paymentStatus"].as_str().unwrap_or_default().into(),
                    },
                    (Some("S"), _) => Obs::CancelSuccess {
                        cancel_time: json["cancelTime"].as_str().unwrap_or_default().into(),
                    },
                    (Some("F"), Kind::CancelById | Kind::CancelByRequestId)
                        if matches!(code, "ORDER_STATUS_INVALID" | "PROCESS_FAIL") =>
                    {
                        Obs::CancelRefused { code: code.into() }
                    }
                    _ => panic!("an answer outside the model: {json}"),
                }
            }
            Kind::Event(event) => {
                let answer = self
                    .control(
                        reqwest::Method::POST,
                        &format!("/payments/{}/events", payment.payment_id),
                        Some(json!({"event": event.as_str()})),
                    )
                    .await;
                Obs::Event {
                    event,
                    applied: answer["applied"].as_bool().expect("applied"),
                    state: St::parse(answer["state"].as_str().expect("state")),
                }
            }
            Kind::Fault => {
                self.control(
                    reqwest::Method::POST,
                    &format!("/payments/{}/faults", payment.payment_id),
                    Some(json!({"kind": "unknown", "count": 1})),
                )
                .await;
                Obs::FaultScripted
            }
        };
        Done {
            obs,
            start,
            end: self.now(),
        }
    }
}

/// The process's resident memory, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "soak: run by .ci/run"]
async fn soak_many_racing_operations_leave_every_payment_explained() {
    match tokio::time::timeout(TIME_LIMIT, soak()).await {
        Ok(()) => {}
        Err(_) => panic!("the soak did not finish within {TIME_LIMIT:?}"),
    }
}

async fn soak() {
    // The antom profile, where a cancelled payment is never left: the
    // check below needs a graph without cycles, and under apo a buyer who
    // pays after an unpaid cancel takes the payment back to paid.
    let running = server::start(
        ServerConfig {
            profile: Profile::Antom,
            ..ServerConfig::test_default()
        },
        "127.0.0.1:0".parse().expect("an address"),
        None,
    )
    .await
    .expect("the reference server starts");
    let load = Arc::new(Load {
        base_url: running.base_url.clone(),
        http: server_support::http_client(None),
        merchant: test_keys::merchant_signing(),
        provider: test_keys::provider_verifying(),
        signatures: Mutex::new(HashMap::new()),
        requests: AtomicUsize::new(0),
        t0: Instant::now(),
    });

    // Seed, in a spread of states and methods.
    let mut payments = Vec::with_capacity(PAYMENTS);
    for n in 0..PAYMENTS {
        let (state, method) = [
            ("paid", "card"),
            ("paid", "wallet"),
            ("awaiting-buyer", "card"),
            ("paid", "card"),
            ("awaiting-buyer", "wallet"),
        ][n % 5];
        let ids = load
            .control(
                reqwest::Method::POST,
                "/payments",
                Some(json!({"state": state, "method": method})),
            )
            .await;
        payments.push(Payment {
            payment_id: ids["paymentId"].as_str().expect("paymentId").into(),
            payment_request_id: ids["paymentRequestId"]
                .as_str()
                .expect("paymentRequestId")
                .into(),
            seeded: St::parse(state),
            card: method == "card",
        });
    }
    let payments = Arc::new(payments);

    // The queue: WINDOW payments' operations shuffled together at a time.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut queue: Vec<(usize, Kind)> = Vec::with_capacity(PAYMENTS * OPS_PER_PAYMENT);
    for window in (0..PAYMENTS).collect::<Vec<_>>().chunks(WINDOW) {
        let start = queue.len();
        for &payment in window {
            for _ in 0..OPS_PER_PAYMENT {
                queue.push((payment, kind_for(rng.next())));
            }
        }
        for i in (start + 1..queue.len()).rev() {
            let j = start + (rng.next() % (i - start + 1) as u64) as usize;
            queue.swap(i, j);
        }
    }
    let queue = Arc::new(queue);

    let rss_start = rss_kib();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let rss_mid = Arc::new(Mutex::new(None::<u64>));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (load, payments, queue, next, rss_mid) = (
            load.clone(),
            payments.clone(),
            queue.clone(),
            next.clone(),
            rss_mid.clone(),
        );
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let at = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(payment, kind)) = queue.get(at) else {
                    break;
                };
                if at == queue.len() / 2 {
                    *rss_mid.lock().expect("lock") = Some(rss_kib());
                }
                done.push((payment, load.run(&payments[payment], kind).await));
            }
            done
        });
    }
    let mut histories: Vec<Vec<Done>> = vec![Vec::new(); PAYMENTS];
    while let Some(joined) = workers.join_next().await {
        for (payment, done) in joined.expect("no worker panicked") {
            histories[payment].push(done);
        }
    }
    let rss_end = rss_kib();
    let rss_mid = rss_mid.lock().expect("lock").expect("sampled at half way");

    // Drain faults not yet consumed (each U consumes one), then read the
    // final states.
    let mut report = Report::default();
    for (index, payment) in payments.iter().enumerate() {
        loop {
            let done = load.run(payment, Kind::Inquiry).await;
            let drained = done.obs != Obs::Unknown;
            histories[index].push(done);
            if drained {
                break;
            }
        }
        let view = load
            .control(
                reqwest::Method::GET,
                &format!("/payments/{}", payment.payment_id),
                None,
            )
            .await;
        let final_state = St::parse(view["state"].as_str().expect("state"));
        let faults = histories[index]
            .iter()
            .filter(|d| d.obs == Obs::FaultScripted)
            .count();
        let path = check_payment(
            payment.seeded,
            payment.card,
            &histories[index],
            final_state,
            view["cancelTime"].as_str(),
            faults,
        )
        .unwrap_or_else(|why| {
            panic!(
                "payment {} (seeded {:?}, {}): {why}\nhistory: {:#?}",
                payment.payment_id,
                payment.seeded,
                if payment.card { "card" } else { "wallet" },
                histories[index]
            )
        });
        report.add(&histories[index], &path);
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = load.requests.load(Ordering::Relaxed);
    println!(
        "soak: {requests} requests ({} in the racing phase) in {seconds:.1} s, {CONCURRENCY} in flight; \
         RSS start {rss_start} KiB, middle {rss_mid} KiB, end {rss_end} KiB",
        queue.len()
    );
    println!("soak: {report:?}");
    assert!(requests >= MIN_REQUESTS, "only {requests} requests");
    // Every part of the mix happened, so the check had something to check.
    assert!(report.cancel_success > 0 && report.cancel_refused > 0);
    assert!(report.unknown > 0 && report.late_notifications > 0);
    assert!(report.applied_events > 0 && report.inquiries > 0);
    assert!(report.ended_cancelled > 0 && report.ended_moved_on > 0);
    // Memory: what the run holds (payments, the bounded request log) is
    // there by the middle; the second half must not keep growing.
    let slack_kib = 16 * 1024;
    assert!(
        rss_end <= rss_mid + rss_mid / 2 + slack_kib,
        "memory grew: RSS {rss_start} KiB at start, {rss_mid} KiB half way, {rss_end} KiB at the end"
    );
    drop(running);
}

/// What the run did, for the log and for the "everything happened" checks.
#[derive(Debug, Default)]
struct Report {
    cancel_success: usize,
    cancel_refused: usize,
    unknown: usize,
    inquiries: usize,
    applied_events: usize,
    late_notifications: usize,
    ended_cancelled: usize,
    ended_moved_on: usize,
}

impl Report {
    fn add(&mut self, history: &[Done], path: &[St]) {
        for done in history {
            match &done.obs {
                Obs::CancelSuccess { .. } => self.cancel_success += 1,
                Obs::CancelRefused { .. } => self.cancel_refused += 1,
                Obs::Unknown => self.unknown += 1,
                Obs::Inquiry { .. } => self.inquiries += 1,
                Obs::Event {
                    event: Event::PaymentSuccess,
                    applied: true,
                    state: St::Cancelled,
                } => {
                    self.applied_events += 1;
                    self.late_notifications += 1;
                }
                Obs::Event { applied: true, .. } => self.applied_events += 1,
                Obs::Event { .. } | Obs::FaultScripted => {}
            }
        }
        match path.last() {
            Some(St::Cancelled) => self.ended_cancelled += 1,
            _ => self.ended_moved_on += 1,
        }
    }
}

// ---------------------------------------------------------------------------
// The check itself can fail
// ---------------------------------------------------------------------------

#[test]
fn the_check_rejects_unexplainable_histories() {
    let at = |start: u64, end: u64, obs: Obs| Done { obs, start, end };
    let s = |time: &str| Obs::CancelSuccess {
        cancel_time: time.into(),
    };
    let refused = |code: &str| Obs::CancelRefused { code: code.into() };
    let event = |event: Event, applied: bool, state: St| Obs::Event {
        event,
        applied,
        state,
    };
    let inquiry = |status: &str| Obs::Inquiry {
        status: status.into(),
    };
    let t = "2026-11-26T12:00:00+08:00";
    let check = |seeded, history: &[Done], final_state, final_time, faults| {
        check_payment(seeded, true, history, final_state, final_time, faults)
    };

    // Explained: paid → cancelled, a late notification absorbed, a repeat.
    let good = [
        at(0, 10, s(t)),
        at(5, 15, event(Event::PaymentSuccess, true, St::Cancelled)),
        at(20, 30, event(Event::Captured, false, St::Cancelled)),
        at(40, 50, inquiry("CANCELLED")),
        at(60, 70, s(t)),
    ];
    assert_eq!(
        check(St::Paid, &good, St::Cancelled, Some(t), 0),
        Ok(vec![St::Paid, St::Cancelled])
    );
    // Explained: awaiting → paid → captured → refunded, F on the way, a
    // fault that gave its U.
    let moved_on = [
        at(0, 10, event(Event::PaymentSuccess, true, St::Paid)),
        at(11, 20, event(Event::Captured, true, St::Captured)),
        at(21, 30, refused("ORDER_STATUS_INVALID")),
        at(31, 35, Obs::FaultScripted),
        at(36, 40, Obs::Unknown),
        at(
            41,
            50,
            event(Event::PartlyRefunded, true, St::PartlyRefunded),
        ),
        at(
            45,
            55,
            event(Event::PartlyRefunded, true, St::PartlyRefunded),
        ),
        at(60, 70, refused("PROCESS_FAIL")),
    ];
    assert!(check(St::AwaitingBuyer, &moved_on, St::PartlyRefunded, None, 1).is_ok());

    // A lost update: a cancel and a refund both took effect.
    let lost = [
        at(0, 10, s(t)),
        at(
            0,
            10,
            event(Event::PartlyRefunded, true, St::PartlyRefunded),
        ),
    ];
    assert!(check(St::Paid, &lost, St::Cancelled, Some(t), 0).is_err());
    assert!(check(St::Paid, &lost, St::PartlyRefunded, Some(t), 0).is_err());
    // A U that cancelled: the payment ends cancelled with no S, or is seen
    // cancelled before any S (the S that follows is then only a repeat).
    let u_acted = [at(0, 5, Obs::FaultScripted), at(6, 10, Obs::Unknown)];
    assert!(check(St::Paid, &u_acted, St::Cancelled, Some(t), 1).is_err());
    let u_acted_then_repeat = [
        at(0, 5, Obs::FaultScripted),
        at(6, 10, Obs::Unknown),
        at(11, 15, inquiry("CANCELLED")),
        at(20, 30, s(t)),
    ];
    assert!(check(St::Paid, &u_acted_then_repeat, St::Cancelled, Some(t), 1).is_err());
    let u_then_cancel = [
        at(0, 5, Obs::FaultScripted),
        at(6, 10, Obs::Unknown),
        at(11, 15, s(t)),
        at(20, 30, inquiry("CANCELLED")),
    ];
    assert!(check(St::Paid, &u_then_cancel, St::Cancelled, Some(t), 1).is_ok());
    // A fault that never gave its U, or a U without a fault.
    assert!(check(St::Paid, &[at(0, 5, Obs::FaultScripted)], St::Paid, None, 1).is_err());
    assert!(check(St::Paid, &[at(0, 5, Obs::Unknown)], St::Paid, None, 0).is_err());
    // A late notification that revived a cancelled payment.
    let revived = [
        at(0, 10, s(t)),
        at(20, 30, event(Event::PaymentSuccess, true, St::Cancelled)),
        at(40, 50, inquiry("SUCCESS")),
    ];
    assert!(check(St::Paid, &revived, St::Cancelled, Some(t), 0).is_err());
    // An event that applies once, applied twice.
    let twice = [
        at(0, 10, event(Event::Captured, true, St::Captured)),
        at(0, 10, event(Event::Captured, true, St::Captured)),
    ];
    assert!(check(St::Paid, &twice, St::Captured, None, 0).is_err());
    // Two first cancels that each wrote a time.
    let two_times = [at(0, 10, s(t)), at(0, 10, s("2026-11-26T12:00:01+08:00"))];
    assert!(check(St::Paid, &two_times, St::Cancelled, Some(t), 0).is_err());
    // Time running backwards: the payment read as paid strictly before the
    // notification that paid it (explained if the two overlap).
    let backwards = [
        at(0, 10, inquiry("SUCCESS")),
        at(20, 30, event(Event::PaymentSuccess, true, St::Paid)),
    ];
    assert!(check(St::AwaitingBuyer, &backwards, St::Paid, None, 0).is_err());
    let overlapping = [
        at(0, 25, inquiry("SUCCESS")),
        at(20, 30, event(Event::PaymentSuccess, true, St::Paid)),
    ];
    assert!(check(St::AwaitingBuyer, &overlapping, St::Paid, None, 0).is_ok());
    // An inquiry that saw a state the payment was never in, in order.
    let stale = [
        at(0, 10, event(Event::Captured, true, St::Captured)),
        at(20, 30, inquiry("PROCESSING")),
    ];
    assert!(check(St::Paid, &stale, St::Captured, None, 0).is_err());
    // An S whose effect was overwritten.
    assert!(check(St::Paid, &[at(0, 10, s(t))], St::Captured, None, 0).is_err());
}
