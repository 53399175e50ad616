package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetworkOptionTest {

    @Test
    void shortAndLongForms() {
        assertThat(NetworkOption.parse("front")).isEqualTo(new NetworkOption("front", List.of()));
        assertThat(NetworkOption.parse("name=front,alias=web,alias=www"))
                .isEqualTo(new NetworkOption("front", List.of("web", "www")));
        assertThat(NetworkOption.parse("alias=web, target=front"))
                .isEqualTo(new NetworkOption("front", List.of("web")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "alias=web", "name=front,web", "name=front,color=blue", "name=front,alias=", "name="})
    void malformedValuesSayWhy(String value) {
        assertThatThrownBy(() -> NetworkOption.parse(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid argument \"" + value + "\" for \"--network\" flag: ");
    }
}
