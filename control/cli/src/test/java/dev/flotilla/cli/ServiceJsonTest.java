package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import org.junit.jupiter.api.Test;

/** {@code service inspect} spells the API's enums as Docker does. */
class ServiceJsonTest {

    private static final PortConfig DNS = PortConfig.newBuilder().setProtocol(PortConfig.Protocol.UDP)
            .setPublishedPort(5353).setTargetPort(53).build();

    @Test
    void unsetEnumsReadAsDockersDefaults() {
        PortConfig web = PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80).build();
        JsonNode s = ServiceJson.of(Service.newBuilder().setId("s1")
                .setSpec(ServiceSpec.newBuilder().setName("web").addPorts(web)).addEndpointPorts(web).build());

        assertThat(s.at("/Spec/TaskTemplate/RestartPolicy/Condition").asText()).isEqualTo("any");
        assertThat(s.at("/Spec/EndpointSpec/Mode").asText()).isEqualTo("vip");
        assertThat(s.at("/Spec/EndpointSpec/Ports/0/Protocol").asText()).isEqualTo("tcp");
        assertThat(s.at("/Endpoint/Ports/0/Protocol").asText()).isEqualTo("tcp");
        assertThat(s.at("/Endpoint/Ports/0/PublishMode").asText()).isEqualTo("ingress");
    }

    @Test
    void otherValuesUseDockersWords() {
        JsonNode s = ServiceJson.of(Service.newBuilder().setId("s1")
                .setSpec(ServiceSpec.newBuilder().setName("dns").setEndpointMode(ServiceSpec.EndpointMode.DNSRR)
                        .setRestart(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ON_FAILURE)))
                .addEndpointPorts(DNS).build());

        assertThat(s.at("/Spec/TaskTemplate/RestartPolicy/Condition").asText()).isEqualTo("on-failure");
        assertThat(s.at("/Spec/EndpointSpec/Mode").asText()).isEqualTo("dnsrr");
        assertThat(s.at("/Endpoint/Ports/0/Protocol").asText()).isEqualTo("udp");
    }

    @Test
    void flagWordsParseToTheirEnumsAndNothingElseDoes() {
        assertThat(DockerWords.parse(RestartPolicy.Condition.class, "on-failure")).contains(RestartPolicy.Condition.ON_FAILURE);
        assertThat(DockerWords.parse(RestartPolicy.Condition.class, "none")).contains(RestartPolicy.Condition.NONE);
        assertThat(DockerWords.parse(ServiceSpec.EndpointMode.class, "dnsrr")).contains(ServiceSpec.EndpointMode.DNSRR);
        assertThat(DockerWords.parse(ServiceSpec.EndpointMode.class, "x")).isEmpty();
        assertThat(DockerWords.parse(ServiceSpec.EndpointMode.class, "VIP")).isEmpty();
        assertThat(DockerWords.parse(ServiceSpec.EndpointMode.class, "unrecognized")).isEmpty();
        assertThat(DockerWords.parse(RestartPolicy.Condition.class, "on_failure")).isEmpty();
    }
}
