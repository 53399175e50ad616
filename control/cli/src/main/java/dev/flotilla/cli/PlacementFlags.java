package dev.flotilla.cli;

import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.PlacementPreference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Docker's placement flags: {@code --constraint}, {@code --placement-pref spread=node.labels.K},
 * {@code --replicas-max-per-node} on create, their {@code -add}/{@code -rm} forms on update. The
 * daemon checks each constraint's syntax (swarmkit's messages); a preference is checked here, as
 * the docker CLI does.
 */
final class PlacementFlags {

    private PlacementFlags() {
    }

    static Placement create(List<String> constraints, List<String> preferences, String maxReplicas) {
        Placement.Builder p = Placement.newBuilder().addAllConstraints(constraints);
        for (String pref : preferences) {
            p.addPreferences(preference(pref));
        }
        if (maxReplicas != null) {
            p.setMaxReplicas(Flags.unsigned(maxReplicas, "--replicas-max-per-node"));
        }
        return p.build();
    }

    /** docker/cli's update: additions, then removals by their exact text; constraints sorted. */
    static Placement update(Placement current, List<String> constraintAdd, List<String> constraintRm,
            List<String> preferenceAdd, List<String> preferenceRm, String maxReplicas) {
        Placement.Builder p = current.toBuilder();
        if (!constraintAdd.isEmpty() || !constraintRm.isEmpty()) {
            List<String> constraints = new ArrayList<>(current.getConstraintsList());
            constraints.addAll(constraintAdd);
            Set<String> gone = new HashSet<>(constraintRm);
            constraints.removeIf(gone::contains);
            constraints.sort(null);
            p.clearConstraints().addAllConstraints(constraints);
        }
        if (!preferenceAdd.isEmpty() || !preferenceRm.isEmpty()) {
            List<PlacementPreference> prefs = new ArrayList<>(current.getPreferencesList());
            for (String rm : preferenceRm) {
                PlacementPreference gone = preference(rm);
                prefs.removeIf(gone::equals);
            }
            for (String add : preferenceAdd) {
                prefs.add(preference(add));
            }
            p.clearPreferences().addAllPreferences(prefs);
        }
        if (maxReplicas != null) {
            p.setMaxReplicas(Flags.unsigned(maxReplicas, "--replicas-max-per-node"));
        }
        return p.build();
    }

    /** {@code spread=DESCRIPTOR}, with docker/cli's messages. */
    static PlacementPreference preference(String value) {
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("invalid argument \"" + value + "\" for \"--placement-pref\" flag: "
                    + "placement preference must be of the format \"<strategy>=<arg>\"");
        }
        String strategy = value.substring(0, eq);
        if (!strategy.equals("spread")) {
            throw new IllegalArgumentException("invalid argument \"" + value + "\" for \"--placement-pref\" flag: "
                    + "unsupported placement preference " + strategy + " (only spread is supported)");
        }
        return PlacementPreference.newBuilder().setSpread(value.substring(eq + 1)).build();
    }
}
