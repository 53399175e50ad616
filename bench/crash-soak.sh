#!/usr/bin/env bash
# The crash soak: CrashRecoveryIT with many more SIGKILLs than the test command's 6. While the
# swarm writes (image imports, scaling, Raft entries), a daemon of a two-node swarm is killed at a
# random moment N times (every fifth kill is the manager's); after each kill every state file
# parses, no temporary file is left once it is back, and the node rejoins with its tasks running.
#
#   sudo bench/crash-soak.sh [KILLS]     (repo root, after the build; default 50, about 10 min;
#                                          the test's own timeout allows about 80)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
kills="${1:-50}"
cd "$root"
exec mvn -B -Pintegration verify -pl tests/integration -am -Dtest=CrashRecoveryIT \
  -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false -Dflotilla.crashKills="$kills"
