package dev.flotilla.manager;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves PENDING tasks to ASSIGNED: filters nodes (ready, active), then spreads: fewest live
 * tasks of the same service first, then fewest live tasks overall (swarmkit's default). A task of
 * a global service already names its node, which only has to pass the filters.
 */
public final class Scheduler {

    /** A node filter that can say why it refused a node; the text reaches `service ps`. */
    interface Filter {
        boolean accepts(Node node);

        String explain();
    }

    private static final List<Filter> FILTERS = List.of(
            new Filter() {
                public boolean accepts(Node node) {
                    return node.getState() == NodeState.NODE_READY;
                }

                public String explain() {
                    return "node is not ready";
                }
            },
            new Filter() {
                public boolean accepts(Node node) {
                    return node.getAvailability() == NodeAvailability.ACTIVE;
                }

                public String explain() {
                    return "node is not available for new tasks";
                }
            });

    public List<StoreAction> schedule(StoreView view, long nowMs) {
        List<StoreAction> actions = new ArrayList<>();
        Map<String, Integer> load = new HashMap<>();
        Map<String, Integer> serviceLoad = new HashMap<>();
        for (Task t : view.tasks().values()) {
            if (!t.getNodeId().isEmpty() && !TaskStates.isTerminal(t.getStatus().getState())) {
                load.merge(t.getNodeId(), 1, Integer::sum);
                serviceLoad.merge(t.getServiceId() + "/" + t.getNodeId(), 1, Integer::sum);
            }
        }
        List<Task> pending = view.tasks().values().stream()
                .filter(t -> t.getStatus().getState() == TaskState.PENDING && TaskStates.wantsToRun(t))
                .sorted(Comparator.comparingLong(Task::getSlot))
                .toList();
        for (Task task : pending) {
            // A global service's task is made for its node: that node or none.
            List<Node> candidates = task.getNodeId().isEmpty() ? new ArrayList<>(view.nodes().values())
                    : new ArrayList<>(view.node(task.getNodeId()).stream().toList());
            String refused = "";
            for (Filter f : FILTERS) {
                int before = candidates.size();
                candidates.removeIf(n -> !f.accepts(n));
                if (candidates.size() < before) {
                    refused = f.explain();
                }
            }
            if (candidates.isEmpty()) {
                String why = "no suitable node (" + (refused.isEmpty() ? "no nodes" : refused) + ")";
                if (!why.equals(task.getStatus().getErr())) {
                    actions.add(Actions.update(task.toBuilder()
                            .setStatus(task.getStatus().toBuilder().setErr(why).setTimestampMs(nowMs)).build()));
                }
                continue;
            }
            Node best = candidates.stream().min(Comparator
                    .comparingInt((Node n) -> serviceLoad.getOrDefault(task.getServiceId() + "/" + n.getId(), 0))
                    .thenComparingInt(n -> load.getOrDefault(n.getId(), 0))
                    .thenComparing(Node::getId)).orElseThrow();
            load.merge(best.getId(), 1, Integer::sum);
            serviceLoad.merge(task.getServiceId() + "/" + best.getId(), 1, Integer::sum);
            actions.add(Actions.update(task.toBuilder()
                    .setNodeId(best.getId())
                    .setStatus(Actions.status(TaskState.ASSIGNED, "scheduler assigned task to node", nowMs))
                    .build()));
        }
        return actions;
    }
}
