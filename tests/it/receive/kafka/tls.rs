//! Mutual TLS as LSS does it, with certificates the tests make: clients of the enrollment CA get
//! through with their subject in a header, others are refused and counted, and the certificate
//! files are reloaded without dropping connections.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashSet;

use super::super::support::{
    Client, Pki, Receive, Spec, T, Topics, header_text, line, seq, tls_client,
};
use crate::common::kafka::{consume, consume_settled, shared_broker, signal};

#[test]
fn mutual_tls_clients_arrive_with_their_subject_and_others_are_refused() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-mtls", 2);
    let pki = Pki::new("Enrollment CA");
    let mut spec = Spec::new(&topics).env("RECEIVE__TLS_HANDSHAKE_TIMEOUT_SECS", "1");
    for f in pki.flags() {
        spec = spec.arg(f);
    }
    let r = Receive::start(&spec);
    let connector = pki.issue("connector-1", &["connector-1"]);

    let mut good = Client::tls(r.addr, tls_client(&pki.ca_pem(), Some(&connector)));
    let lines: String = (0..50).map(|i| line("s-tls", i, 40) + "\n").collect();
    good.send(lines.as_bytes()).unwrap();
    good.close();

    // No certificate, and a certificate of another CA: refused.
    let mut none = Client::tls(r.addr, tls_client(&pki.ca_pem(), None));
    none.send(format!("{}\n", line("s-none", 1000, 1)).as_bytes())
        .ok();
    let rogue = Pki::new("Rogue CA").issue("connector-1", &["connector-1"]);
    let mut foreign = Client::tls(r.addr, tls_client(&pki.ca_pem(), Some(&rogue)));
    foreign
        .send(format!("{}\n", line("s-rogue", 1001, 1)).as_bytes())
        .ok();
    // Plain text on a TLS port.
    let mut plain = Client::plain(r.addr);
    plain
        .send(format!("{}\n", line("s-plain", 1002, 1)).as_bytes())
        .ok();
    // A client that never starts its handshake.
    let silent = Client::plain(r.addr);

    let listener = format!("listener=\"{}\"", r.addr);
    for reason in [
        "no_client_certificate",
        "bad_client_certificate",
        "protocol",
        "handshake_timeout",
    ] {
        r.wait_metric(
            &format!("zpa_enricher_receive_tls_failures_total{{{listener},reason=\"{reason}\"}}"),
            1.0,
        );
    }
    r.wait_metric(
        &format!("zpa_enricher_receive_connections_closed_total{{{listener},reason=\"tls\"}}"),
        4.0,
    );
    let out = consume_settled(&topics.raw, 50, T, std::time::Duration::from_secs(1));
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(
        seqs,
        (0..50).collect(),
        "only the good client's lines:\n{}",
        r.log()
    );
    for m in &out {
        assert_eq!(
            header_text(m, "zpa.receive.client_subject").as_deref(),
            Some("CN=connector-1,O=Example")
        );
    }
    let log = r.log();
    assert!(log.contains("TLS handshake failed"), "{log}");
    drop((none, foreign, silent));
}

#[test]
fn certificates_are_reloaded_on_sighup_without_dropping_connections() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-reload", 1);
    let pki = Pki::new("Enrollment CA");
    let mut spec = Spec::new(&topics).env("RECEIVE__TLS_RELOAD_INTERVAL_SECS", "0");
    for f in pki.flags() {
        spec = spec.arg(f);
    }
    let r = Receive::start(&spec);
    let connector = pki.issue("connector-1", &["connector-1"]);
    let send = |client: &mut Client, i: usize| {
        client
            .send(format!("{}\n", line("s-reload", i, 1)).as_bytes())
            .unwrap();
    };

    let mut old = Client::tls(r.addr, tls_client(&pki.ca_pem(), Some(&connector)));
    send(&mut old, 0);
    assert_eq!(consume(&topics.raw, 1, T).len(), 1, "{}", r.log());

    // A new server certificate from another public CA; the client CA stays.
    let public = Pki::new("New Public CA");
    let server = public.issue("receiver", &["localhost", "127.0.0.1"]);
    pki.write("server.key", &server.key);
    pki.write("server.pem", &server.cert);
    signal(r.pid(), "HUP");
    r.wait_metric("zpa_enricher_receive_tls_reloads_total{result=\"ok\"}", 1.0);
    let mut new = Client::tls(r.addr, tls_client(&public.ca_pem(), Some(&connector)));
    send(&mut new, 1);
    // The connection made before the reload goes on.
    send(&mut old, 2);

    // A broken file is refused; the certificate in use stays.
    pki.write("server.pem", "-----BEGIN CERTIFICATE-----\nbroken\n");
    signal(r.pid(), "HUP");
    r.wait_metric(
        "zpa_enricher_receive_tls_reloads_total{result=\"failed\"}",
        1.0,
    );
    let mut after = Client::tls(r.addr, tls_client(&public.ca_pem(), Some(&connector)));
    send(&mut after, 3);
    for c in [old, new, after] {
        c.close();
    }
    let out = consume(&topics.raw, 4, T);
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(seqs, (0..4).collect(), "{}", r.log());
    assert!(
        r.log().contains("certificate reload rejected"),
        "{}",
        r.log()
    );
}
