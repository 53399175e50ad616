package dev.flotilla.manager;

import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.PlacementPreference;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.placement.Constraint;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Moves PENDING tasks to ASSIGNED (swarmkit's {@code manager/scheduler}): nodes pass a pipeline of
 * filters (ready and active, CPUs and memory left for the task's reservations, the service's
 * placement constraints, its max replicas per node, and not a node that rejected a task of the
 * same spec because a bind mount's source does not exist there: Docker retries such a node
 * forever, moby/moby#34237),
 * then the spread preferences narrow them level by level to the group with the fewest tasks of
 * the service, then the node with the fewest live tasks of the service, then the fewest overall.
 * A task of a global service already names its node, which only has to pass the filters. A task
 * that fits nowhere stays PENDING with Docker's reasons in its error, the most common first:
 * {@code no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available
 * for new tasks)}.
 */
public final class Scheduler {

    /** A node filter; its explanation counts the nodes it refused, as swarmkit words it. */
    interface Filter {
        boolean accepts(Node node, Placed placed);

        String explain(int refused);
    }

    /**
     * The task being placed, its service's rules, the live tasks of that service per node, and
     * the CPUs and memory the live tasks on each node reserve.
     */
    record Placed(Task task, List<Constraint> constraints, Placement placement, Map<String, Integer> serviceLoad,
            Map<String, Reserved> reserved, Set<String> missingBindSource) {
    }

    /** What a node's live tasks reserve. */
    record Reserved(long nanoCpus, long memoryBytes) {
        static final Reserved NONE = new Reserved(0, 0);

        Reserved plus(Resources r) {
            return new Reserved(nanoCpus + r.getNanoCpus(), memoryBytes + r.getMemoryBytes());
        }
    }

    private static final List<Filter> FILTERS = List.of(
            new Filter() {
                public boolean accepts(Node node, Placed placed) {
                    return node.getState() == NodeState.NODE_READY && node.getAvailability() == NodeAvailability.ACTIVE;
                }

                public String explain(int refused) {
                    return refused == 1 ? "1 node not available for new tasks"
                            : refused + " nodes not available for new tasks";
                }
            },
            new Filter() {
                public boolean accepts(Node node, Placed placed) {
                    Resources wanted = placed.task().getSpec().getResources().getReservations();
                    if (wanted.getNanoCpus() == 0 && wanted.getMemoryBytes() == 0) {
                        return true;
                    }
                    Reserved taken = placed.reserved().getOrDefault(node.getId(), Reserved.NONE);
                    return wanted.getNanoCpus() <= node.getResources().getNanoCpus() - taken.nanoCpus()
                            && wanted.getMemoryBytes() <= node.getResources().getMemoryBytes() - taken.memoryBytes();
                }

                public String explain(int refused) {
                    return "insufficient resources on " + refused + (refused == 1 ? " node" : " nodes");
                }
            },
            new Filter() {
                public boolean accepts(Node node, Placed placed) {
                    return Constraint.allMatch(placed.constraints(), node);
                }

                public String explain(int refused) {
                    return "scheduling constraints not satisfied on " + refused + (refused == 1 ? " node" : " nodes");
                }
            },
            new Filter() {
                public boolean accepts(Node node, Placed placed) {
                    long max = placed.placement().getMaxReplicas();
                    return max == 0 || placed.serviceLoad().getOrDefault(node.getId(), 0) < max;
                }

                public String explain(int refused) {
                    return "max replicas per node limit exceed";
                }
            },
            new Filter() {
                public boolean accepts(Node node, Placed placed) {
                    return !placed.missingBindSource().contains(node.getId());
                }

                public String explain(int refused) {
                    return "bind source path does not exist on " + refused + (refused == 1 ? " node" : " nodes");
                }
            });

    public List<StoreAction> schedule(StoreView view, long nowMs) {
        List<StoreAction> actions = new ArrayList<>();
        Map<String, Integer> load = new HashMap<>();
        Map<String, Map<String, Integer>> serviceLoad = new HashMap<>();
        Map<String, Reserved> reserved = new HashMap<>();
        for (Task t : view.tasks().values()) {
            if (!t.getNodeId().isEmpty() && !TaskStates.isTerminal(t.getStatus().getState())
                    && TaskStates.wantsToRun(t)) {
                load.merge(t.getNodeId(), 1, Integer::sum);
                serviceLoad.computeIfAbsent(t.getServiceId(), s -> new HashMap<>()).merge(t.getNodeId(), 1, Integer::sum);
                reserve(reserved, t);
            }
        }
        // Nodes that rejected a task of the service for a bind source they lack, with the spec it had.
        Map<String, List<Task>> bindRejections = new HashMap<>();
        for (Task t : view.tasks().values()) {
            if (t.getStatus().getState() == TaskState.REJECTED && !t.getStatus().getMissingBindSource().isEmpty()) {
                bindRejections.computeIfAbsent(t.getServiceId(), s -> new ArrayList<>()).add(t);
            }
        }
        List<Task> pending = view.tasks().values().stream()
                .filter(t -> t.getStatus().getState() == TaskState.PENDING && TaskStates.wantsToRun(t))
                .sorted(Comparator.comparingLong(Task::getSlot))
                .toList();
        for (Task task : pending) {
            Placement placement = view.service(task.getServiceId())
                    .map(s -> s.getSpec().getPlacement()).orElse(Placement.getDefaultInstance());
            List<Constraint> constraints;
            try {
                constraints = Constraint.parse(placement.getConstraintsList());
            } catch (IllegalArgumentException e) {
                // The API refuses such a spec; one from an older store still gets a reason.
                constraints = null;
            }
            Map<String, Integer> ofService = serviceLoad.computeIfAbsent(task.getServiceId(), s -> new HashMap<>());
            // A global service's task is made for its node: that node or none.
            List<Node> nodes = task.getNodeId().isEmpty() ? new ArrayList<>(view.nodes().values())
                    : new ArrayList<>(view.node(task.getNodeId()).stream().toList());
            List<Node> candidates = new ArrayList<>();
            int[] refused = new int[FILTERS.size()];
            String why = null;
            if (constraints == null) {
                why = "no suitable node (invalid placement constraints)";
            } else {
                Set<String> lacking = new HashSet<>();
                for (Task r : bindRejections.getOrDefault(task.getServiceId(), List.of())) {
                    if (r.getSpec().equals(task.getSpec())) {
                        lacking.add(r.getNodeId());
                    }
                }
                Placed placed = new Placed(task, constraints, placement, ofService, reserved, lacking);
                for (Node n : nodes) {
                    int failed = firstRefusing(n, placed);
                    if (failed < 0) {
                        candidates.add(n);
                    } else {
                        refused[failed]++;
                    }
                }
                if (candidates.isEmpty()) {
                    why = explain(refused);
                }
            }
            if (why != null) {
                if (!why.equals(task.getStatus().getErr())) {
                    actions.add(Actions.update(task.toBuilder()
                            .setStatus(task.getStatus().toBuilder().setErr(why).setTimestampMs(nowMs)).build()));
                }
                continue;
            }
            for (PlacementPreference preference : placement.getPreferencesList()) {
                candidates = fewestInGroup(candidates, preference.getSpread(), ofService);
            }
            Node best = candidates.stream().min(Comparator
                    .comparingInt((Node n) -> ofService.getOrDefault(n.getId(), 0))
                    .thenComparingInt(n -> load.getOrDefault(n.getId(), 0))
                    .thenComparing(Node::getId)).orElseThrow();
            load.merge(best.getId(), 1, Integer::sum);
            ofService.merge(best.getId(), 1, Integer::sum);
            Task assigned = task.toBuilder().setNodeId(best.getId()).build();
            reserve(reserved, assigned);
            actions.add(Actions.update(task.toBuilder()
                    .setNodeId(best.getId())
                    .setStatus(Actions.status(TaskState.ASSIGNED, "scheduler assigned task to node", nowMs))
                    .build()));
        }
        return actions;
    }

    private static void reserve(Map<String, Reserved> reserved, Task t) {
        Resources r = t.getSpec().getResources().getReservations();
        if (r.getNanoCpus() != 0 || r.getMemoryBytes() != 0) {
            reserved.compute(t.getNodeId(), (id, was) -> (was == null ? Reserved.NONE : was).plus(r));
        }
    }

    /** The index of the first filter that refuses {@code node}, or -1. */
    private static int firstRefusing(Node node, Placed placed) {
        for (int i = 0; i < FILTERS.size(); i++) {
            if (!FILTERS.get(i).accepts(node, placed)) {
                return i;
            }
        }
        return -1;
    }

    /** swarmkit's pipeline explanation: each refusing filter's reason, most refusals first. */
    static String explain(int[] refused) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < refused.length; i++) {
            if (refused[i] > 0) {
                order.add(i);
            }
        }
        if (order.isEmpty()) {
            return "no suitable node";
        }
        order.sort(Comparator.comparingInt((Integer i) -> -refused[i]));
        List<String> reasons = new ArrayList<>();
        for (int i : order) {
            reasons.add(FILTERS.get(i).explain(refused[i]));
        }
        return "no suitable node (" + String.join("; ", reasons) + ")";
    }

    /**
     * The candidates in the group (nodes with the same value of the spread descriptor's label;
     * nodes without it form a group of their own) holding the fewest tasks of the service.
     */
    private static List<Node> fewestInGroup(List<Node> candidates, String descriptor, Map<String, Integer> ofService) {
        Map<String, List<Node>> groups = new TreeMap<>();
        for (Node n : candidates) {
            groups.computeIfAbsent(spreadValue(n, descriptor), v -> new ArrayList<>()).add(n);
        }
        List<Node> fewest = null;
        int least = Integer.MAX_VALUE;
        for (List<Node> group : groups.values()) {
            int tasks = group.stream().mapToInt(n -> ofService.getOrDefault(n.getId(), 0)).sum();
            if (tasks < least) {
                least = tasks;
                fewest = group;
            }
        }
        return fewest == null ? candidates : fewest;
    }

    private static String spreadValue(Node node, String descriptor) {
        if (descriptor.startsWith(Constraint.NODE_LABELS)) {
            return node.getLabelsMap().getOrDefault(descriptor.substring(Constraint.NODE_LABELS.length()), "");
        }
        return "";
    }
}
