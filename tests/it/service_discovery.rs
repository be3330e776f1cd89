//! Health and reflection, so grpcurl and generated clients work without our proto files.
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::support::*;

async fn channel(broker: &TestBroker) -> Channel {
    let _ = broker.client().await; // waits until the server answers
    Channel::from_shared(format!("http://{}", broker.addr)).expect("uri").connect().await.expect("connect")
}

#[tokio::test]
async fn health_reports_the_broker_serving() {
    let broker = TestBroker::start().await;
    let mut health = HealthClient::new(channel(&broker).await);
    for service in ["", "strata.v1.Broker"] {
        let request = HealthCheckRequest { service: service.into() };
        let status = health.check(request).await.expect("health check").into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
    }
}

/// Lists services through one version of the reflection API (v1 and v1alpha share the shape).
macro_rules! list_services {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        let mut client = ServerReflectionClient::new($channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let responses = client.server_reflection_info(tokio_stream::iter([request])).await.expect("reflect");
        let response = responses.into_inner().next().await.expect("one response").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("not a service list")
        };
        list.service.into_iter().map(|s| s.name).collect::<Vec<String>>()
    }};
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_the_broker_and_health_services() {
    let broker = TestBroker::start().await;
    let v1 = list_services!(v1, channel(&broker).await);
    let v1alpha = list_services!(v1alpha, channel(&broker).await);
    for names in [v1, v1alpha] {
        assert!(names.contains(&"strata.v1.Broker".to_string()), "{names:?}");
        assert!(names.contains(&"grpc.health.v1.Health".to_string()), "{names:?}");
    }
}
