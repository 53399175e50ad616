package dev.flotilla.common;

/** The VXLAN network identifiers the swarm hands out. */
public final class Vnis {

    /** Docker's first: the ingress network takes it, each other overlay the lowest free one above. */
    public static final int FIRST = 4096;

    private Vnis() {
    }
}
