#!/bin/sh
# The whole benchmark: builds the library and the JMH jar, runs the JMH suite on JDK 17 and on Temurin 25 (each to
# its own JSON), the end-to-end MLP rounds on both, PyTorch's script where /usr/bin/python3 has torch, and prints
# the report (ratios to the copy of the same array, torch beside ours). Everything lands in $OUT.
#
#   benchmarks/run-all.sh                       # the full run: ~40 minutes on a quiet 2-core machine
#
# Environment (all optional):
#   MAVEN_REPO_LOCAL  Maven repository to install the library into and build from (default: Maven's, ~/.m2)
#   MVN_ARGS          more Maven arguments, e.g. -o
#   JAVA17, JAVA25    the JVMs (default: Debian's JDK 17, Temurin 25); a JVM that is missing is skipped
#   JMH_ARGS          JMH arguments, e.g. a smoke test: "-wi 0 -i 1 -r 100ms SmallBatch"
#   MLP_ARGS          MlpTrainingRounds arguments, e.g. "--rounds 3 --warmup-rounds 1"
#   TORCH_ARGS        torch_dropout_bench.py arguments (the same -wi/-w/-i/-r/-p and pattern as JMH's)
#   SKIP_BUILD=1      use the jar already built
#   OUT               where results go (default benchmarks/target/results/<UTC time>)
set -eu
cd "$(dirname "$0")/.."
JAVA17=${JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
OUT=${OUT:-benchmarks/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
JAR=benchmarks/target/benchmarks.jar
REPO_ARG=${MAVEN_REPO_LOCAL:+-Dmaven.repo.local=$MAVEN_REPO_LOCAL}

if [ -z "${SKIP_BUILD:-}" ]; then
    mvn -q -B ${MVN_ARGS:-} $REPO_ARG install -DskipTests
    mvn -q -B ${MVN_ARGS:-} $REPO_ARG -f benchmarks/pom.xml package
fi
mkdir -p "$OUT"
echo "results in $OUT"

sources=""
report_java=""
for jdk in 17 25; do
    eval java=\$JAVA$jdk
    if [ ! -x "$java" ]; then
        echo "no JDK $jdk at $java: skipped"
        continue
    fi
    # JDK 24+ warn when JavaCPP loads native code and JMH uses sun.misc.Unsafe; the flags say both are meant.
    # Forks inherit them from the host JVM.
    flags=""
    if [ "$jdk" -ge 24 ]; then flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"; fi
    echo "== JMH on JDK $jdk"
    # shellcheck disable=SC2086
    "$java" $flags -jar "$JAR" ${JMH_ARGS:-} -rf json -rff "$OUT/jmh-jdk$jdk.json" > "$OUT/jmh-jdk$jdk.log" 2>&1 \
        || { echo "JMH on JDK $jdk failed: see $OUT/jmh-jdk$jdk.log"; exit 1; }
    grep -E "Total time|<failure>" "$OUT/jmh-jdk$jdk.log" || true
    sources="$sources jdk$jdk=$OUT/jmh-jdk$jdk.json"
    report_java=$java
    echo "== MLP training rounds on JDK $jdk"
    # shellcheck disable=SC2086
    "$java" $flags -cp "$JAR" io.github.dl4jtorch.benchmarks.MlpTrainingRounds ${MLP_ARGS:-} > "$OUT/mlp-jdk$jdk.md"
done

if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch"
    # shellcheck disable=SC2086
    /usr/bin/python3 benchmarks/torch_dropout_bench.py ${TORCH_ARGS:-} --json "$OUT/torch.json" > "$OUT/torch.md"
    sources="$sources torch=$OUT/torch.json"
else
    echo "no torch for /usr/bin/python3 (apt-get install -y python3-torch libopenblas0-pthread): skipped"
fi

if [ -z "$report_java" ]; then
    echo "no JDK ran the suite"
    exit 1
fi
# shellcheck disable=SC2086
"$report_java" -cp "$JAR" io.github.dl4jtorch.benchmarks.Report $sources > "$OUT/report.md"
for mlp in "$OUT"/mlp-jdk*.md; do
    [ -e "$mlp" ] && { echo; echo "### End to end, $(basename "$mlp" .md)"; echo; cat "$mlp"; } >> "$OUT/report.md"
done
echo
cat "$OUT/report.md"
