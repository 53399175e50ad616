package dev.flotilla.cluster.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConstraintTest {

    private static final Node NODE = Node.newBuilder().setId("n1abc").setHostname("worker-1").setRole(NodeRole.WORKER)
            .setAddr("198.18.0.12").setPlatformOs("linux").setPlatformArch("x86_64")
            .putLabels("zone", "East").putLabels("ssd", "").build();

    private static boolean matches(String expression) {
        return Constraint.parse(expression).matches(NODE);
    }

    @Test
    void eachAttributeMatchesItsWholeValueIgnoringCase() {
        assertThat(matches("node.id==n1abc")).isTrue();
        assertThat(matches("node.id==n1")).as("no prefixes, no globs").isFalse();
        assertThat(matches("node.hostname == WORKER-1")).isTrue();
        assertThat(matches("node.role==worker")).isTrue();
        assertThat(matches("node.role!=manager")).isTrue();
        assertThat(matches("node.platform.os==linux")).isTrue();
        assertThat(matches("node.platform.arch==x86_64")).isTrue();
        assertThat(matches("node.labels.zone==east")).isTrue();
        assertThat(matches("node.labels.zone!=east")).isFalse();
    }

    @Test
    void aLabelKeyIsCaseSensitiveAndAMissingLabelMatchesOnlyNotEqual() {
        assertThat(matches("node.labels.Zone==east")).isFalse();
        assertThat(matches("node.labels.rack==a")).isFalse();
        assertThat(matches("node.labels.rack!=a")).isTrue();
        assertThat(matches("engine.labels.storage!=ssd")).isTrue();
        assertThat(matches("engine.labels.storage==ssd")).isFalse();
    }

    @Test
    void nodeIpTakesAnAddressOrAPrefix() {
        assertThat(matches("node.ip==198.18.0.12")).isTrue();
        assertThat(matches("node.ip==198.18.0.0/24")).isTrue();
        assertThat(matches("node.ip!=198.18.1.0/24")).isTrue();
        assertThat(matches("node.ip==198.18.1.0/24")).isFalse();
        assertThat(matches("node.ip==not-an-address")).isFalse();
    }

    @Test
    void anUnknownKeyNeverMatches() {
        assertThat(matches("node.color==blue")).isFalse();
        assertThat(matches("node.color!=blue")).isFalse();
    }

    @Test
    void malformedConstraintsGetSwarmkitsMessages() {
        assertThatThrownBy(() -> Constraint.parse("node.labels.zone=east"))
                .hasMessage("constraint expected one operator from ==, !=");
        assertThatThrownBy(() -> Constraint.parse("node.labels.zone>=east"))
                .hasMessage("constraint expected one operator from ==, !=");
        assertThatThrownBy(() -> Constraint.parse("1zone==east")).hasMessage("key '1zone' is invalid");
        assertThatThrownBy(() -> Constraint.parse("==east")).hasMessage("key '' is invalid");
        assertThatThrownBy(() -> Constraint.parse("node.labels.zone==ea<st")).hasMessage("value 'ea<st' is invalid");
        assertThatThrownBy(() -> Constraint.parse("node.labels.zone==")).hasMessage("value '' is invalid");
        assertThat(Constraint.parse(List.of("node.role==manager", "node.labels.a!=b"))).hasSize(2);
    }
}
