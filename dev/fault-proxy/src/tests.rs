use std::sync::atomic::{AtomicU64, Ordering};

use super::*;

/// A service that counts the calls it receives and echoes `METHOD path body`.
async fn echo_service() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let method = request.method().to_string();
                        let path = request.uri().to_string();
                        let secret = request
                            .headers()
                            .get("x-amz-target")
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let text = format!(
                            "{method} {path} {secret} {}",
                            String::from_utf8_lossy(&body)
                        );
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, received)
}

use std::convert::Infallible;

fn only(kind: Fault) -> Faults {
    Faults {
        rate: 1.0,
        kinds: vec![kind],
        seed: 7,
        stall: Duration::from_millis(10),
    }
}

#[tokio::test]
async fn without_faults_it_forwards_method_path_headers_and_body() {
    let (upstream, received) = echo_service().await;
    let proxy = FaultProxy::start(&upstream, Dialect::AwsJson, Faults::none())
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/a/b?c=d", proxy.url()))
        .header("x-amz-target", "DynamoDB_20120810.PutItem")
        .body("{\"x\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.text().await.unwrap(),
        "POST /a/b?c=d DynamoDB_20120810.PutItem {\"x\":1}"
    );
    assert_eq!(received.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.counts().forwarded, 1);
    assert_eq!(proxy.counts().total_faults(), 0);
}

#[tokio::test]
async fn error_faults_answer_as_the_service_would_and_never_reach_it() {
    let (upstream, received) = echo_service().await;
    let cases = [
        (
            Dialect::AwsJson,
            Fault::Throttle,
            400,
            "ThrottlingException",
        ),
        (
            Dialect::AwsJson,
            Fault::ServerError,
            500,
            "InternalServerError",
        ),
        (
            Dialect::RestXml,
            Fault::Throttle,
            503,
            "<Code>SlowDown</Code>",
        ),
        (
            Dialect::AwsQuery,
            Fault::Throttle,
            400,
            "<Code>Throttling</Code>",
        ),
        (
            Dialect::AwsQuery,
            Fault::ServerError,
            500,
            "InternalFailure",
        ),
    ];
    for (dialect, fault, status, text) in cases {
        let proxy = FaultProxy::start(&upstream, dialect, only(fault))
            .await
            .unwrap();
        let answer = reqwest::get(proxy.url()).await.unwrap();
        assert_eq!(answer.status(), status, "{dialect:?} {fault:?}");
        assert!(answer.text().await.unwrap().contains(text));
        assert_eq!(proxy.counts().faults[&fault], 1);
    }
    assert_eq!(received.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_reset_after_forwarding_reaches_the_service_but_not_the_caller() {
    let (upstream, received) = echo_service().await;
    for (fault, reaches) in [
        (Fault::ResetAfterForward, 1),
        (Fault::ResetBeforeForward, 0),
        (Fault::Timeout, 0),
    ] {
        received.store(0, Ordering::SeqCst);
        let proxy = FaultProxy::start(&upstream, Dialect::AwsJson, only(fault))
            .await
            .unwrap();
        let error = reqwest::Client::new()
            .put(proxy.url())
            .body("write")
            .send()
            .await
            .unwrap_err();
        assert!(!error.is_status(), "{fault:?}: {error}");
        assert_eq!(received.load(Ordering::SeqCst), reaches, "{fault:?}");
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults_at_about_the_rate() {
    let (upstream, _) = echo_service().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let proxy = FaultProxy::start(
            &upstream,
            Dialect::AwsJson,
            Faults {
                kinds: vec![Fault::Throttle, Fault::ServerError],
                ..Faults::every_kind(0.25, 42)
            },
        )
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for _ in 0..200 {
            statuses.push(client.get(proxy.url()).send().await.unwrap().status());
        }
        let counts = proxy.counts();
        assert_eq!(counts.forwarded + counts.total_faults(), 200);
        assert!(
            (30..=70).contains(&counts.total_faults()),
            "25% of 200 calls, roughly: {counts}"
        );
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn the_local_stack_route_sends_dynamodb_calls_to_dynamodb_and_the_rest_to_moto() {
    let (dynamodb, to_dynamodb) = echo_service().await;
    let (moto, to_moto) = echo_service().await;
    let upstream = Upstream::LocalStack { dynamodb, moto };
    let plain = FaultProxy::start_routing(upstream.clone(), Faults::none())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for (target, body) in [
        ("DynamoDB_20120810.GetItem", "{}"),
        ("secretsmanager.GetSecretValue", "{}"),
        ("", "Action=SendRawEmail&Version=2010-12-01"),
        ("", ""),
    ] {
        let mut call = client.post(plain.url()).body(body);
        if !target.is_empty() {
            call = call.header("x-amz-target", target);
        }
        assert_eq!(call.send().await.unwrap().status(), 200);
    }
    assert_eq!(to_dynamodb.load(Ordering::SeqCst), 1);
    assert_eq!(to_moto.load(Ordering::SeqCst), 3);

    // A failed call is answered in its service's dialect.
    let failing = FaultProxy::start_routing(upstream, only(Fault::Throttle))
        .await
        .unwrap();
    let ses = client
        .post(failing.url())
        .body("Action=SendRawEmail")
        .send()
        .await
        .unwrap();
    assert!(ses.text().await.unwrap().contains("<ErrorResponse>"));
    let s3 = client
        .put(format!("{}/bucket/key", failing.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(s3.status(), 503);
}
