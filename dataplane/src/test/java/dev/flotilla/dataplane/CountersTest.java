package dev.flotilla.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CountersTest {

    @Test
    void countsUnderTheScopedName() {
        Counters counters = new Counters("vxlan");
        Counter drops = counters.counter("rx_drops");
        drops.increment();
        drops.add(4);
        assertThat(counters.counter("rx_drops")).isSameAs(drops);
        assertThat(drops.name()).isEqualTo("vxlan.rx_drops");
        assertThat(drops.get()).isEqualTo(5);
        counters.counter("arp_replies");
        assertThat(counters.snapshot()).containsExactly(
                org.assertj.core.api.Assertions.entry("vxlan.arp_replies", 0L),
                org.assertj.core.api.Assertions.entry("vxlan.rx_drops", 5L));
    }

    @Test
    void loseNoIncrementsAcrossThreads() {
        Counter counter = new Counters("test").counter("hits");
        CompletableFuture<?>[] workers = IntStream.range(0, 4)
                .mapToObj(i -> CompletableFuture.runAsync(() -> IntStream.range(0, 10_000).forEach(n -> counter.increment())))
                .toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(workers).join();
        assertThat(counter.get()).isEqualTo(40_000);
    }

    @Test
    void neverGoesDown() {
        Counter counter = new Counters("test").counter("hits");
        assertThatThrownBy(() -> counter.add(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("test.hits");
        assertThatThrownBy(() -> new Counters("")).isInstanceOf(IllegalArgumentException.class);
    }
}
