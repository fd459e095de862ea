//! A test OTLP sink on 127.0.0.1: records every request (gzip bodies decoded) and answers
//! with the status, delay or hang it is told to.

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body after gzip decoding.
    pub body: Vec<u8>,
    pub gzip: bool,
    pub at: std::time::Instant,
    /// What the sink answered.
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn decode(&self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(self.body.as_slice())
            .expect("the body is an OTLP protobuf request")
    }

    /// The body of a `/v1/logs` request.
    pub fn decode_logs(&self) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest::decode(self.body.as_slice())
            .expect("the body is an OTLP logs request")
    }

    /// The body of a `/v1/metrics` request.
    pub fn decode_metrics(&self) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest::decode(self.body.as_slice())
            .expect("the body is an OTLP metrics request")
    }
}

#[derive(Clone)]
struct Behaviour {
    status: u16,
    delay: Duration,
    body: &'static str,
    /// Statuses (with a Retry-After value) to answer first, in order.
    script: std::collections::VecDeque<(u16, Option<&'static str>)>,
    /// Bodies larger than this get 413.
    max_body: usize,
}

pub struct Sink {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Sink {
    /// Starts a sink that answers 200 with a JSON body (as Langfuse and Honeycomb do).
    pub fn start() -> Sink {
        Sink::start_with(None)
    }

    /// Starts an HTTPS sink whose certificate (for 127.0.0.1) a fresh test CA signed;
    /// returns the sink and the CA certificate in PEM.
    pub fn start_tls() -> (Sink, String) {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server_cert =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap()
                .signed_by(&server_key, &ca)
                .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            )
            .unwrap();
        (Sink::start_with(Some(Arc::new(config))), ca.pem())
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> Sink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(Behaviour {
            status: 200,
            delay: Duration::ZERO,
            body: "{}",
            script: Default::default(),
            max_body: usize::MAX,
        }));
        let (req, beh) = (requests.clone(), behaviour.clone());
        let tls = tls.map(tokio_rustls::TlsAcceptor::from);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (req, beh, tls) = (req.clone(), beh.clone(), tls.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |r| {
                            handle(r, req.clone(), beh.clone())
                        });
                        let http = hyper::server::conn::http1::Builder::new();
                        match tls {
                            // A client that does not trust us ends the handshake: nothing to serve.
                            Some(acceptor) => {
                                if let Ok(stream) = acceptor.accept(stream).await {
                                    let io = hyper_util::rt::TokioIo::new(stream);
                                    let _ = http.serve_connection(io, service).await;
                                }
                            }
                            None => {
                                let io = hyper_util::rt::TokioIo::new(stream);
                                let _ = http.serve_connection(io, service).await;
                            }
                        }
                    });
                }
            });
        });
        Sink {
            addr,
            requests,
            behaviour,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn respond(&self, status: u16, body: &'static str) {
        let mut b = self.behaviour.lock().unwrap();
        b.status = status;
        b.body = body;
    }

    /// Answers these statuses (with an optional Retry-After) first, in order.
    pub fn script(&self, answers: &[(u16, Option<&'static str>)]) {
        self.behaviour.lock().unwrap().script = answers.iter().copied().collect();
    }

    /// Answers 413 to bodies over `bytes`.
    pub fn reject_over(&self, bytes: usize) {
        self.behaviour.lock().unwrap().max_body = bytes;
    }

    /// Waits this long before answering (a long delay is a hang).
    pub fn delay(&self, delay: Duration) {
        self.behaviour.lock().unwrap().delay = delay;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests to a path ending in `suffix` (`/v1/logs`, `/v1/metrics`), in order.
    pub fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    /// Every request body received, concatenated (gzip already undone).
    pub fn bodies(&self) -> Vec<u8> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .flat_map(|r| r.body.iter().copied())
            .collect()
    }
}

async fn handle(
    request: Request<Incoming>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    behaviour: Arc<Mutex<Behaviour>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let gzip = headers
        .iter()
        .any(|(k, v)| k == "content-encoding" && v == "gzip");
    let raw = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_ref())
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    } else {
        raw.to_vec()
    };
    let size = body.len();
    let (b, scripted) = {
        let mut b = behaviour.lock().unwrap();
        let scripted = b.script.pop_front();
        (b.clone(), scripted)
    };
    let (status, retry_after) = match scripted {
        Some(s) => s,
        None if size > b.max_body => (413, None),
        None => (b.status, None),
    };
    requests.lock().unwrap().push(Recorded {
        path,
        headers,
        body,
        gzip,
        at: std::time::Instant::now(),
        status,
    });
    tokio::time::sleep(b.delay).await;
    let mut response = Response::builder();
    if let Some(after) = retry_after {
        response = response.header("retry-after", after);
    }
    Ok(response
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b.body.as_bytes())))
        .unwrap())
}
