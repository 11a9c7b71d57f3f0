# shellcheck shell=sh
# Finds a JDK 25 or newer and exports JAVA_HOME to it. Sourced (not executed) by ./mvnw and
# ./graft so the export reaches the caller; plain POSIX sh so mvnw also runs under dash.
# Usage:  . .mvn/find-java25.sh && graft_find_java25 || exit 1
# Every name here starts with graft_ / _gj_ because it lands in the caller's namespace.

GRAFT_MIN_JAVA=25

# Prints the major version of the JDK at $1 ("" if it is not a JDK). The `release` file is read
# first because starting a JVM per candidate costs ~100 ms; `java -version` is the fallback.
graft_java_major() {
  _gj_v=""
  # Maven compiles in-process, so a JRE (no javac) is not good enough.
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -r "$1/release" ]; then
    _gj_v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release")
  fi
  if [ -z "$_gj_v" ]; then
    _gj_v=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  case "$_gj_v" in 1.*) _gj_v=${_gj_v#1.} ;; esac   # old scheme: 1.8.0_392 means 8
  echo "${_gj_v%%[!0-9]*}"                          # 25.0.3+9 / 25-ea -> 25
}

graft_is_java25() {
  _gj_m=$(graft_java_major "$1")
  [ -n "$_gj_m" ] && [ "$_gj_m" -ge "$GRAFT_MIN_JAVA" ]
}

graft_find_java25() {
  # 1. An explicit JAVA_HOME wins, but only if it is new enough; an old one (the common case on
  #    machines whose default is 17) is skipped rather than trusted.
  if [ -n "${JAVA_HOME:-}" ] && graft_is_java25 "$JAVA_HOME"; then
    export JAVA_HOME; return 0
  fi
  # 2. The folders where package managers, installers and SDKMAN put JDKs (first match wins).
  for _gj_d in /usr/lib/jvm/* /usr/java/* /opt/java/* \
      /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*; do
    if graft_is_java25 "$_gj_d"; then JAVA_HOME=$_gj_d; export JAVA_HOME; return 0; fi
  done
  # 3. `java` on PATH. Ask the JVM for its own home: PATH usually holds a symlink or a stub.
  _gj_d=""
  if command -v java >/dev/null 2>&1; then
    _gj_d=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')
    if [ -n "$_gj_d" ] && graft_is_java25 "$_gj_d"; then JAVA_HOME=$_gj_d; export JAVA_HOME; return 0; fi
  fi
  cat >&2 <<EOF
Graft needs a JDK $GRAFT_MIN_JAVA or newer (with javac), and none was found. Looked at:
  JAVA_HOME            ${JAVA_HOME:-(unset)}${JAVA_HOME:+ (Java $(graft_java_major "$JAVA_HOME"))}
  JDK folders          /usr/lib/jvm/* /usr/java/* /opt/java/*
                       /Library/Java/JavaVirtualMachines/*/Contents/Home ~/.sdkman/candidates/java/*
  java on PATH         $(command -v java 2>/dev/null || echo '(none)')${_gj_d:+ (Java $(graft_java_major "$_gj_d"))}
Install a JDK $GRAFT_MIN_JAVA (for example Eclipse Temurin 25) and set JAVA_HOME to it.
EOF
  return 1
}
