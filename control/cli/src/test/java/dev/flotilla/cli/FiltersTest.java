package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** `service ps -f` and `service ls -f`, as Docker reads them. */
class FiltersTest {

    private static final Set<String> PS = Set.of("desired-state", "node", "name", "id");
    private static final Map<String, String> HOSTS = Map.of("n0de1aaaa", "node-1", "n0de2bbbb", "node-2");

    private static Task task(String id, long slot, String node, TaskState desired) {
        return Task.newBuilder().setId(id).setServiceName("web").setSlot(slot).setNodeId(node).setDesiredState(desired).build();
    }

    private static List<String> ps(List<Task> tasks, String... filters) {
        Filters f = Filters.parse(List.of(filters), PS);
        return tasks.stream().filter(t -> f.task(t, HOSTS)).map(Task::getId).toList();
    }

    @Test
    void valuesOfOneKeyAreAlternativesAndKeysMustAllMatch() {
        List<Task> tasks = List.of(task("a", 1, "n0de1aaaa", TaskState.RUNNING), task("b", 1, "n0de1aaaa", TaskState.SHUTDOWN),
                task("c", 2, "n0de2bbbb", TaskState.RUNNING), task("d", 0, "n0de2bbbb", TaskState.RUNNING));

        assertThat(ps(tasks)).containsExactly("a", "b", "c", "d");
        assertThat(ps(tasks, "desired-state=running")).containsExactly("a", "c", "d");
        assertThat(ps(tasks, "desired-state=shutdown")).containsExactly("b");
        assertThat(ps(tasks, "node=node-2")).containsExactly("c", "d");
        assertThat(ps(tasks, "node=n0de1")).containsExactly("a", "b");
        assertThat(ps(tasks, "node=node-1", "node=node-2", "desired-state=running")).containsExactly("a", "c", "d");
        assertThat(ps(tasks, "name=web.2")).containsExactly("c");
        assertThat(ps(tasks, "name=web.n0de2")).as("a global task is named after its node").containsExactly("d");
    }

    @Test
    void unknownKeysAndValuesAreRefused() {
        assertThatThrownBy(() -> Filters.parse(List.of("colour=red"), PS)).hasMessage("Error response from daemon: invalid filter 'colour'");
        assertThatThrownBy(() -> Filters.parse(List.of("running"), PS)).hasMessage("bad format of filter (expected name=value)");
        assertThatThrownBy(() -> ps(List.of(task("a", 1, "n", TaskState.RUNNING)), "desired-state=sleeping"))
                .hasMessageContaining("invalid filter 'desired-state=sleeping'");
    }

    @Test
    void servicesFilterByNamePrefixIdAndMode() {
        Service web = Service.newBuilder().setId("s1").setSpec(ServiceSpec.newBuilder().setName("web")).build();
        Service agent = Service.newBuilder().setId("s2")
                .setSpec(ServiceSpec.newBuilder().setName("agent").setMode(ServiceSpec.Mode.GLOBAL)).build();
        Set<String> keys = Set.of("name", "id", "mode");

        assertThat(List.of(web, agent)).filteredOn(s -> Filters.parse(List.of("mode=global"), keys).service(s)).containsExactly(agent);
        assertThat(List.of(web, agent)).filteredOn(s -> Filters.parse(List.of("name=we"), keys).service(s)).containsExactly(web);
        assertThat(List.of(web, agent)).filteredOn(s -> Filters.parse(List.of("id=s"), keys).service(s)).hasSize(2);
    }
}
