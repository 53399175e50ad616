#!/usr/bin/env bash
# Runs the JMH benchmarks of the bench module (build first: mvn -B -q -o -DskipTests package).
#   bench/jmh.sh                         every benchmark, short defaults (1 fork, 2x1s warmup, 3x1s measurement)
#   bench/jmh.sh BackendPoolBench        benchmarks whose name matches the regex
#   bench/jmh.sh BackendPoolBench -prof gc   any further JMH option (-h lists them); -f, -wi, -i, -w, -r given
#                                        here replace the defaults (JMH refuses an option twice)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
jars=("$root"/bench/target/flotilla-bench-*.jar)
if [[ ! -f "${jars[0]}" || ! -d "$root/bench/target/lib" ]]; then
  echo "jmh.sh: bench is not built yet: run mvn -B -q -o -DskipTests package in $root" >&2
  exit 1
fi
defaults=()
for pair in "-f 1" "-wi 2" "-i 3" "-w 1s" "-r 1s"; do
  opt=${pair%% *}
  given=0
  for arg in "$@"; do [[ "$arg" == "$opt" ]] && given=1; done
  ((given)) || defaults+=($pair)
done
exec java -cp "${jars[0]}:$root/bench/target/lib/*" org.openjdk.jmh.Main "${defaults[@]}" "$@"
