#!/usr/bin/env bash
# device-check.sh: the GPU DRA plugin against a real NVIDIA GPU, in one run of at most 5 minutes.
#
# On a machine with an NVIDIA GPU it runs the plugin's own discovery against the real nvidia-smi
# (MIG state included), prints the ResourceSlice the plugin would publish and the CDI spec it
# would write, and checks both against what `nvidia-smi -q -x` reports, one line per check, then
# `device-check: N checks passed` or `device-check: FAILED: ...`. The work is done by
# io.slurmkube.dra.check.DeviceCheck; this script only builds, carries and starts it. The
# nvidia-smi outputs it used are kept: they belong in
# gpu-dra/src/test/resources/device-check/recordings/<machine>/, where the tests replay them.
#
# 1. Here (JDK 17 with jlink, the Maven cache):
#      gpu-dra/device-check.sh prepare
#    builds the jar, copies the few libraries the check needs and links a Java runtime of the
#    modules it needs (jlink) into gpu-dra/target/device-check/ (ignored by git; it prints the
#    size, which must stay under 55 MiB to be carried), then runs the check with that runtime
#    against every recorded machine.
# 2. On the GPU machine (x86-64, root, no network, maybe no Java), with that folder carried,
#    through the device tool:
#      run(command='bash gpu-dra/device-check.sh "$OUT"', carry=['gpu-dra/target/device-check'], timeout_s=360)
#    It writes two files into the directory given (default $OUT): device-check.log (all it
#    printed) and recording.tar.gz (nvidia-smi's outputs, commands.txt, resourceslice.yaml, the
#    CDI spec and report.txt). Exit code: 0 every check passed, 1 one failed, 124 out of time.
#    A `java` 17+ on the PATH is used, else the carried runtime (it needs glibc 2.34 when linked
#    from Debian 12's JDK; `prepare` prints what it needs). If the check leaves no nvidia-smi
#    output (Java would not start), the script records nvidia-smi's outputs itself.
#
# Without a GPU, a fake nvidia-smi replays a recording instead:
#   FAKE_NVIDIA_SMI_RECORDING=$PWD/gpu-dra/src/test/resources/device-check/recordings/h100-80gb \
#   PATH=$PWD/gpu-dra/src/test/resources/device-check/fake-bin:$PATH gpu-dra/device-check.sh /tmp/device-check-out
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=$here/target/device-check
recordings=$here/src/test/resources/device-check/recordings
fake_bin=$here/src/test/resources/device-check/fake-bin
main_class=io.slurmkube.dra.check.DeviceCheck
# What DeviceCheck loads (besides the JDK): found with -Xlog:class+load; `prepare` proves it.
libraries=(jackson-databind jackson-core jackson-annotations jackson-datatype-jsr310 snakeyaml-engine
  kubernetes-model-resource kubernetes-model-core kubernetes-model-common kubernetes-client-api
  slf4j-api slf4j-simple)
modules=java.base,java.xml
max_mib=55
# The Java part; the rest of the 5 minutes is for starting, the fallback and the tarball.
check_seconds=180

die() {
  echo "device-check.sh: $*" >&2
  exit 1
}

classpath() {
  echo "$bundle/gpu-dra.jar:$bundle/lib/*"
}

prepare() {
  (cd "$here/.." && ./mvnw -B -ntp -o -q -pl gpu-dra -am package -DskipTests)
  rm -rf "$bundle"
  mkdir -p "$bundle/lib"
  cp "$here/target/gpu-dra.jar" "$bundle/"
  local artifact jars
  for artifact in "${libraries[@]}"; do
    jars=("$here/target/lib/$artifact"-[0-9]*.jar)
    [[ ${#jars[@]} -eq 1 && -f ${jars[0]} ]] || die "want one $artifact jar in $here/target/lib, found: ${jars[*]}"
    cp "${jars[0]}" "$bundle/lib/"
  done

  local jdk=${DEVICE_CHECK_JDK:-${JAVA_HOME:-}}
  if [[ -z $jdk ]]; then
    jdk=$(dirname "$(dirname "$(readlink -f "$(command -v jlink || die 'no jlink on the PATH; set DEVICE_CHECK_JDK')")")")
  fi
  local compress=2
  if (( $("$jdk/bin/jlink" --version | cut -d. -f1) >= 21 )); then
    compress=zip-9
  fi
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress="$compress" --output "$bundle/jre"

  # The carried runtime and classpath, on every recorded machine, as they will run there.
  local recording out
  out=$(mktemp -d)
  for recording in "$recordings"/*/; do
    if ! FAKE_NVIDIA_SMI_RECORDING=$recording PATH=$fake_bin:$PATH "$bundle/jre/bin/java" -cp "$(classpath)" \
        "$main_class" --node=prepare --record="$out/$(basename "$recording")" \
        --proc-gpus="${recording}proc-driver-nvidia-gpus" --dev=/nonexistent >"$out/log" 2>&1; then
      cat "$out/log" >&2
      die "the prepared check failed on $recording"
    fi
    echo "self-test on $(basename "$recording"): $(grep '^device-check: ' "$out/log")"
  done
  rm -rf "$out"

  local mib
  mib=$(du -sm "$bundle" | cut -f1)
  echo "prepared $bundle: ${mib} MiB (runtime $(du -sm "$bundle/jre" | cut -f1) MiB, jars $(du -smc "$bundle"/*.jar "$bundle"/lib/*.jar | tail -1 | cut -f1) MiB)"
  if command -v objdump >/dev/null; then
    echo "the runtime needs $(objdump -T "$bundle/jre/lib/server/libjvm.so" "$bundle/jre/bin/java" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1) (from $jdk)"
  fi
  (( mib <= max_mib )) || die "${mib} MiB is over the ${max_mib} MiB that can be carried"
}

# A java of version 17 or later: the PATH's if it is one, else the carried runtime.
pick_java() {
  local version
  if command -v java >/dev/null; then
    version=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
    if [[ $version =~ ^[0-9]+$ ]] && (( version >= 17 )); then
      command -v java
      return
    fi
  fi
  [[ -x $bundle/jre/bin/java ]] || return 1
  echo "$bundle/jre/bin/java"
}

# nvidia-smi where the GPU images put it, when it is not on the PATH.
find_nvidia_smi() {
  command -v nvidia-smi && return
  local p
  for p in /usr/local/nvidia/bin/nvidia-smi /usr/bin/nvidia-smi; do
    [[ -x $p ]] && echo "$p" && return
  done
  return 0
}

# Keeps nvidia-smi's outputs when the Java check could not: they are what the fixtures need.
record_directly() {
  local smi=$1 record=$2 file args
  mkdir -p "$record"
  # The first line's arguments are the plugin's (NvidiaSmi.QUERY_ARGS).
  while IFS='|' read -r file args; do
    echo "\$ $smi $args" >>"$record/commands.txt"
    # shellcheck disable=SC2086 # the arguments are meant to split
    timeout 20 "$smi" $args >"$record/$file" 2>>"$record/commands.txt" && echo "exit 0" >>"$record/commands.txt" \
      || echo "exit $?" >>"$record/commands.txt"
  done <<'EOF'
query.csv|--query-gpu=index,uuid,name,memory.total,mig.mode.current --format=csv,noheader,nounits
list.txt|-L
query.xml|-q -x
EOF
}

check() {
  local out=${1:-${OUT:-}}
  [[ -n $out ]] || die "usage: $0 prepare | $0 OUTPUT_DIR (or with OUT set)"
  [[ -f $bundle/gpu-dra.jar ]] || die "$bundle is missing: run '$0 prepare' first, and carry that folder"
  mkdir -p "$out"
  local log=$out/device-check.log java smi work rc
  java=$(pick_java) || die "no java 17+ on the PATH and no runtime in $bundle/jre"
  smi=$(find_nvidia_smi)
  work=$(mktemp -d)
  {
    echo "device-check.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) ($(uname -r)), java $java"
    "$java" -version 2>&1 | head -1 || true
  } | tee "$log"

  set +e
  timeout -k 10 "$check_seconds" "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$(classpath)" "$main_class" \
    ${smi:+"--nvidia-smi=$smi"} --record="$work/recording" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  set -e

  if [[ ! -s $work/recording/query.xml && -n $smi ]]; then
    echo "device-check.sh: the check left no nvidia-smi -q -x output; recording nvidia-smi directly" | tee -a "$log"
    record_directly "$smi" "$work/recording"
  fi
  [[ -d $work/recording ]] && tar -czf "$out/recording.tar.gz" -C "$work" recording
  rm -rf "$work"
  echo "device-check.sh: exit $rc; $log and $out/recording.tar.gz" | tee -a "$log"
  return "$rc"
}

case ${1:-} in
  prepare) prepare ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' ;;
  *) check "$@" ;;
esac
