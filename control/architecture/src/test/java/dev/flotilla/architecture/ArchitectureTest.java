package dev.flotilla.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The module rules of the design (README, Layout), on the compiled classes of every module: a rule
 * broken fails the build. Maven already keeps a module from using one it does not depend on;
 * these rules hold what Maven cannot see: cycles between packages inside a module, and the lines
 * the design draws across modules that do depend on each other.
 */
@AnalyzeClasses(packages = "dev.flotilla", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] DATA_PLANE = {"dev.flotilla.linux..", "dev.flotilla.dataplane..", "dev.flotilla.vxlan..",
        "dev.flotilla.ingress..", "dev.flotilla.dns.."};
    private static final String[] CONTROL_PLANE = {"dev.flotilla.api..", "dev.flotilla.common..", "dev.flotilla.cluster..",
        "dev.flotilla.executor..", "dev.flotilla.manager..", "dev.flotilla.agent..", "dev.flotilla.daemon..", "dev.flotilla.cli.."};

    /** No two packages use each other, directly or through others. */
    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.flotilla.(**)").should().beFreeOfCycles();

    /** The CLI speaks the protocol (and uses the dependency-free helpers), nothing else of Flotilla's. */
    @ArchTest
    static final ArchRule cliUsesOnlyTheProtocol = noClasses().that().resideInAPackage("dev.flotilla.cli..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(DATA_PLANE,
                    "dev.flotilla.cluster..", "dev.flotilla.executor..", "dev.flotilla.manager..", "dev.flotilla.agent..",
                    "dev.flotilla.daemon..", "org.apache.ratis..", "org.bouncycastle..", "io.netty.channel.epoll.."));

    /** The data plane knows nothing of the control plane that programs it. */
    @ArchTest
    static final ArchRule dataPlaneDoesNotUseControlPlane = noClasses().that().resideInAnyPackage(DATA_PLANE)
            .should().dependOnClassesThat().resideInAnyPackage(CONTROL_PLANE);

    /** What every node runs does not reach into what managers run... */
    @ArchTest
    static final ArchRule agentDoesNotUseManager = noClasses().that().resideInAPackage("dev.flotilla.agent..")
            .should().dependOnClassesThat().resideInAPackage("dev.flotilla.manager..");

    /** ...nor the other way round: they meet in the store and the protocol. */
    @ArchTest
    static final ArchRule managerDoesNotUseAgent = noClasses().that().resideInAPackage("dev.flotilla.manager..")
            .should().dependOnClassesThat().resideInAPackage("dev.flotilla.agent..");

    /** Apache Ratis stays behind RaftNode: no Ratis type outside the Raft package. */
    @ArchTest
    static final ArchRule ratisOnlyInRaft = noClasses().that().resideInAPackage("dev.flotilla..")
            .and().resideOutsideOfPackage("dev.flotilla.manager.raft..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.ratis..");

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
