#!/usr/bin/env bash
# docker-replay.sh — prove the Dockerfile without a Docker engine, by replaying it.
#
#   ../shared/tools/fresh-debian [--worktree] 'bash scripts/docker-replay.sh'
#
# It must run in a brand-new Debian 12 root, which fresh-debian provides (it refuses to run without
# root and CI=true: it installs packages and builds as root). Reading ./Dockerfile, it:
#   1. copies this pristine root aside before anything is installed; the copy stands in for the
#      runtime stage's debian:bookworm-slim, so nothing the build installs can mask a missing
#      runtime library;
#   2. replays the build stage in this root: its RUN commands run here, with the stage's paths
#      (WORKDIR, COPY destinations) mapped under a scratch directory; COPY . takes the checkout
#      minus .dockerignore, as a build context would;
#   3. replays the runtime stage in the copy, through chroot: RUN (the runtime packages, the
#      user), COPY --from=<build stage>, WORKDIR, ENV, USER, in order;
#   4. checks the result like a container would see it: every library the binary loads resolves
#      in the runtime root, and each one the binary links directly comes from a package the
#      runtime stage installs or from the base image; the ENTRYPOINT starts with the stage's ENV
#      as the Dockerfile's USER (not root), as PID 1 of its own PID namespace; it listens on an
#      EXPOSEd port on every interface (0.0.0.0), reachable over loopback and over this machine's
#      other addresses; the HEALTHCHECK command passes as that user (and fails once the server is
#      gone); GET /health answers 200; SIGTERM stops it within docker stop's 10 s, exit status 0.
# The last line is "docker-replay: PASS (...)" or "docker-replay: FAIL (...)"; exit status 0 or 1
# (2 when run outside a throwaway root).
#
# Limits: the chroot shares this machine's network (no network namespace, no port publishing);
# the base is debootstrap's minbase bookworm, which is what debian:bookworm-slim is built from.
# The Dockerfile must keep to what is replayed here, and anything else is refused, not guessed:
# exactly two stages, both FROM debian:bookworm-slim; RUN (shell or exec form), COPY (from the
# context, or --from the build stage with absolute paths), WORKDIR, ENV KEY=VALUE (no $ expansion),
# USER, EXPOSE, LABEL, HEALTHCHECK, ENTRYPOINT, CMD; build-stage RUN commands that write only
# relative to WORKDIR (installing packages aside).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
dockerfile=$repo/Dockerfile
default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin # Docker's default PATH
expected_base=debian:bookworm-slim
stop_grace=10    # seconds `docker stop` waits after SIGTERM before SIGKILL
start_wait=10    # seconds allowed for the server to say it is listening

if [ "$(id -u)" != 0 ] || [ "${CI:-}" != true ]; then
  echo "usage (from the checkout): ../shared/tools/fresh-debian [--worktree] 'bash scripts/docker-replay.sh'" >&2
  echo "docker-replay: needs a throwaway Debian 12 root (root, CI=true): it installs packages and builds as root" >&2
  exit 2
fi
[ -f "$dockerfile" ] || { echo "docker-replay: no Dockerfile in $repo" >&2; exit 2; }

work=$(mktemp -d /tmp/docker-replay.XXXXXX)
ctx=$work/context          # the build context: the checkout minus .dockerignore
bfs=$work/build-stage      # the build stage's paths (WORKDIR, COPY) are mapped under here
rt=$work/runtime-root      # the runtime stage's root filesystem
logs=$work/logs
mkdir -p "$ctx" "$bfs" "$rt" "$logs"

# ---- reporting -------------------------------------------------------------------------------
checks=0 failures=0
mounts=() launcher_pid='' server_pid=''
ok()   { checks=$((checks + 1)); printf '  ok    %s\n' "$*"; }
bad()  { checks=$((checks + 1)); failures=$((failures + 1)); printf '  FAIL  %s\n' "$*"; }
die()  { bad "$*"; exit 1; }   # a failure the replay cannot get past
note() { printf '  note  %s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }
show_log() { # FILE [LINES]
  if [ -s "$1" ]; then
    printf '  ---- %s (last %s lines)\n' "${1#"$work"/}" "${2:-40}"
    tail -n "${2:-40}" "$1" | sed 's/^/  | /'
  fi
}
short() { local s=${1//$'\n'/ }; s=$(tr -s ' ' <<<"$s"); [ ${#s} -le 110 ] && printf '%s' "$s" || printf '%s...' "${s:0:107}"; }

cleanup() {
  # Only what this script started, by pid.
  for p in "$server_pid" "$launcher_pid"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null \
      || echo "docker-replay: warning: could not unmount ${mounts[$i]}" >&2
  done
}
on_exit() {
  local rc=$?
  trap - ERR
  cleanup
  if [ "$rc" -ne 0 ] && [ "$failures" -eq 0 ]; then
    failures=1
    printf '  FAIL  replay stopped unexpectedly (exit status %s)\n' "$rc"
  fi
  echo
  if [ "$failures" -eq 0 ]; then
    echo "docker-replay: PASS ($checks checks; Dockerfile replayed, runtime stage verified)"
    exit 0
  fi
  echo "docker-replay: FAIL ($failures of $checks checks failed; work files in $work)"
  exit 1
}
trap on_exit EXIT
trap 'echo "docker-replay: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

# ---- small parsers -----------------------------------------------------------------------------
# json_array TEXT: parse a JSON array of strings into JSON_OUT; status 1 if TEXT is not one (Docker
# then takes the text as shell form).
json_array() {
  local s=$1 i=0 n=${#1} c str first=1
  JSON_OUT=()
  while ((i < n)) && [[ ${s:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
  [[ ${s:i:1} == '[' ]] || return 1
  i=$((i + 1))
  while :; do
    while ((i < n)) && [[ ${s:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
    c=${s:i:1}
    if [[ $c == ']' ]] && ((first)); then i=$((i + 1)); break; fi
    [[ $c == '"' ]] || return 1
    i=$((i + 1)) str=''
    while :; do
      ((i < n)) || return 1
      c=${s:i:1} i=$((i + 1))
      case $c in
        '"') break ;;
        '\')
          c=${s:i:1} i=$((i + 1))
          case $c in
            '"' | '\' | '/') str+=$c ;;
            b) str+=$'\b' ;; f) str+=$'\f' ;; n) str+=$'\n' ;; r) str+=$'\r' ;; t) str+=$'\t' ;;
            u)
              [[ ${s:i:4} =~ ^[0-9a-fA-F]{4}$ ]] || return 1
              printf -v c "\\u${s:i:4}"
              str+=$c i=$((i + 4))
              ;;
            *) return 1 ;;
          esac
          ;;
        *) str+=$c ;;
      esac
    done
    JSON_OUT+=("$str") first=0
    while ((i < n)) && [[ ${s:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
    c=${s:i:1} i=$((i + 1))
    if [[ $c == ',' ]]; then continue; fi
    if [[ $c == ']' ]]; then break; fi
    return 1
  done
  while ((i < n)) && [[ ${s:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
  ((i == n))
}

# command_form TEXT: exec form (JSON array) or shell form, as Docker runs it, into ARGV_OUT.
command_form() {
  if json_array "$1"; then ARGV_OUT=("${JSON_OUT[@]}"); else ARGV_OUT=(/bin/sh -c "$1"); fi
}

# duration TEXT: a Go duration (30s, 1m30s, 500ms) as seconds with decimals, for timeout(1).
duration() {
  local d=$1 ms=0 re='^([0-9]+)(ms|s|m|h)(.*)$'
  [ -n "$d" ] || return 1
  while [ -n "$d" ]; do
    [[ $d =~ $re ]] || return 1
    case ${BASH_REMATCH[2]} in
      ms) ms=$((ms + BASH_REMATCH[1])) ;;
      s) ms=$((ms + BASH_REMATCH[1] * 1000)) ;;
      m) ms=$((ms + BASH_REMATCH[1] * 60000)) ;;
      h) ms=$((ms + BASH_REMATCH[1] * 3600000)) ;;
    esac
    d=${BASH_REMATCH[3]}
  done
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# parse_env LINE ARGS: ENV's KEY=VALUE pairs (or the old KEY VALUE form) into ENV_OUT.
parse_env() {
  local line=$1 args=$2 tok k v toks
  ENV_OUT=()
  read -ra toks <<<"$args"
  [ ${#toks[@]} -gt 0 ] || die "Dockerfile:$line: ENV without a value"
  if [[ ${toks[0]} != *=* ]]; then
    v=${args#"${toks[0]}"}
    v=${v#"${v%%[![:space:]]*}"}
    toks=("${toks[0]}=$v")
  fi
  for tok in "${toks[@]}"; do
    [[ $tok =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "Dockerfile:$line: ENV '$tok' is not KEY=VALUE (values with spaces are not replayed)"
    k=${tok%%=*} v=${tok#*=}
    if [[ $v =~ ^\"(.*)\"$ || $v =~ ^\'(.*)\'$ ]]; then v=${BASH_REMATCH[1]}; fi
    [[ $v != *'"'* && $v != *"'"* ]] || die "Dockerfile:$line: ENV '$tok': quoting with spaces is not replayed"
    [[ $v != *'$'* ]] || die "Dockerfile:$line: ENV '$tok': variable substitution is not replayed"
    ENV_OUT+=("$k=$v")
  done
}

# apt_packages STAGE: the package names the stage's RUN commands give to apt-get/apt install.
apt_packages() {
  local i seg tok state skip toks
  for i in "${!I_CMD[@]}"; do
    [ "${I_STAGE[$i]}" = "$1" ] && [ "${I_CMD[$i]}" = RUN ] || continue
    while IFS= read -r seg; do
      read -ra toks <<<"$seg"
      state=0 skip=0
      for tok in "${toks[@]}"; do
        if ((skip)); then skip=0; continue; fi
        case $state in
          0) [[ $tok == apt-get || $tok == apt || $tok == */apt-get || $tok == */apt ]] && state=1 ;;
          1)
            if [[ $tok == install ]]; then state=2
            elif [[ $tok == -o || $tok == -t || $tok == -c ]]; then skip=1
            elif [[ $tok != -* ]]; then break; fi
            ;;
          2)
            if [[ $tok == -o || $tok == -t || $tok == -c ]]; then skip=1
            elif [[ $tok != -* ]]; then tok=${tok%%=*}; echo "${tok%%/*}"; fi
            ;;
        esac
      done
    done < <(sed -e 's/&&/\n/g; s/||/\n/g; s/;/\n/g; s/|/\n/g' <<<"${I_ARGS[$i]}")
  done
  return 0
}

# ---- read the Dockerfile -------------------------------------------------------------------------
I_STAGE=() I_CMD=() I_ARGS=() I_LINE=() S_IMAGE=() S_NAME=()
parse_dockerfile() {
  local line buf='' start=0 n=0 stage=-1 cmd args
  local re_cont='^(.*)\\[[:space:]]*$' re_instr='^[[:space:]]*([A-Za-z]+)([[:space:]]+(.*))?$'
  local re_from='^([^[:space:]]+)([[:space:]]+[Aa][Ss][[:space:]]+([^[:space:]]+))?$'
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1)) line=${line%$'\r'}
    if [[ $line =~ ^[[:space:]]*# || $line =~ ^[[:space:]]*$ ]]; then continue; fi
    [ -n "$buf" ] || start=$n
    if [[ $line =~ $re_cont ]]; then buf+=${BASH_REMATCH[1]}; continue; fi
    buf+=$line
    [[ $buf =~ $re_instr ]] || die "Dockerfile:$start: cannot read '$(short "$buf")'"
    cmd=${BASH_REMATCH[1]^^} args=${BASH_REMATCH[3]} buf=''
    args=${args%"${args##*[![:space:]]}"}
    if [ "$cmd" = FROM ]; then
      [[ $args =~ $re_from ]] || die "Dockerfile:$start: FROM '$args' is not 'IMAGE [AS NAME]'"
      stage=$((stage + 1))
      S_IMAGE+=("${BASH_REMATCH[1]}") S_NAME+=("${BASH_REMATCH[3]}")
    elif [ "$stage" -lt 0 ]; then
      die "Dockerfile:$start: $cmd before the first FROM is not replayed"
    fi
    I_STAGE+=("$stage") I_CMD+=("$cmd") I_ARGS+=("$args") I_LINE+=("$start")
  done <"$dockerfile"
  [ -z "$buf" ] || die "Dockerfile: ends inside a continued line"
}

section "Dockerfile"
parse_dockerfile
[ ${#S_IMAGE[@]} -eq 2 ] || die "Dockerfile has ${#S_IMAGE[@]} stages; the replay expects two (build, runtime)"
for s in 0 1; do
  [[ ${S_IMAGE[$s]} == "$expected_base" || ${S_IMAGE[$s]} == "$expected_base"@sha256:* ]] \
    || die "stage $s is FROM ${S_IMAGE[$s]}; the replay only stands in for $expected_base"
done
build_ref=${S_NAME[0]:-0}
mapfile -t build_pkgs < <(apt_packages 0)
mapfile -t runtime_pkgs < <(apt_packages 1)
ok "2 stages FROM $expected_base: build stage '${S_NAME[0]:-0}', runtime stage '${S_NAME[1]:-1}'"
echo "  build stage packages:   ${build_pkgs[*]:-(none)}"
echo "  runtime stage packages: ${runtime_pkgs[*]:-(none)}"

# ---- 1. the pristine root, set aside for the runtime stage ----------------------------------------
section "runtime base: a copy of this fresh root, taken before anything is installed"
tar -C / --one-file-system --anchored \
  --exclude=./proc --exclude=./sys --exclude=./dev --exclude=./run --exclude=./tmp \
  --exclude=./var/tmp --exclude=./src -cf - . | tar -C "$rt" -xpf -
mkdir -p "$rt/proc" "$rt/sys" "$rt/dev" "$rt/run" "$rt/tmp" "$rt/var/tmp"
chmod 1777 "$rt/tmp" "$rt/var/tmp"
for spec in 'null 1 3' 'zero 1 5' 'full 1 7' 'random 1 8' 'urandom 1 9' 'tty 5 0'; do
  read -r name major minor <<<"$spec"
  if ! mknod -m 666 "$rt/dev/$name" c "$major" "$minor" 2>/dev/null; then
    : >"$rt/dev/$name"
    mount --bind "/dev/$name" "$rt/dev/$name"
    mounts+=("$rt/dev/$name")
  fi
done
ln -s /proc/self/fd "$rt/dev/fd"
ln -s /proc/self/fd/0 "$rt/dev/stdin"; ln -s /proc/self/fd/1 "$rt/dev/stdout"; ln -s /proc/self/fd/2 "$rt/dev/stderr"
mount -t proc proc "$rt/proc"
mounts+=("$rt/proc")
declare -A base_pkg=()
while read -r p st; do [ "$st" = installed ] && base_pkg[$p]=1; done \
  < <(chroot "$rt" dpkg-query -W -f '${Package} ${db:Status-Status}\n')
pre=()
for p in "${runtime_pkgs[@]}" "${build_pkgs[@]}"; do [ -z "${base_pkg[$p]:-}" ] || pre+=("$p"); done
[ ${#pre[@]} -eq 0 ] || die "this root is not fresh: ${pre[*]} already installed (run through fresh-debian)"
ok "runtime base: ${#base_pkg[@]} packages (debootstrap minbase bookworm), none of the stages' packages"

# ---- 2. the build stage, in this root -------------------------------------------------------------
# make_context: the checkout minus .dockerignore, as `docker build .` would send it.
make_context() {
  local pat excl=()
  if [ -f "$repo/.dockerignore" ]; then
    while IFS= read -r pat || [ -n "$pat" ]; do
      pat=${pat%$'\r'}
      pat=${pat#"${pat%%[![:space:]]*}"} pat=${pat%"${pat##*[![:space:]]}"}
      if [[ -z $pat || $pat == \#* ]]; then continue; fi
      [[ $pat != !* ]] || die ".dockerignore: exceptions ('$pat') are not replayed"
      pat=${pat#/} pat=${pat#./} pat=${pat%/}
      excl+=("--exclude=./$pat")
      if [[ $pat == '**/'* ]]; then excl+=("--exclude=./${pat#'**/'}"); fi
    done <"$repo/.dockerignore"
  fi
  tar -C "$repo" --anchored --wildcards "${excl[@]}" -cf - . | tar -C "$ctx" -xf -
}

# abs_dir CUR NEW: WORKDIR/COPY destination NEW taken relative to CUR.
abs_dir() {
  local p=$2
  [[ $p != *'$'* ]] || die "variable substitution in '$p' is not replayed"
  [[ $p == /* ]] || p=${1%/}/$p
  printf '%s' "$p"
}

# do_copy STAGE LINE WD ARGS: COPY into the build stage's mapped paths (STAGE 0) or the runtime root.
do_copy() {
  local stage=$1 line=$2 wd=$3 args=$4 from='' chown='' tok toks srcs dest root target src srcpath
  read -ra toks <<<"$args"
  while [[ ${toks[0]:-} == --* ]]; do
    case ${toks[0]} in
      --from=*) from=${toks[0]#--from=} ;;
      --chown=*) chown=${toks[0]#--chown=} ;;
      --link) ;;
      *) die "Dockerfile:$line: COPY ${toks[0]} is not replayed" ;;
    esac
    toks=("${toks[@]:1}")
  done
  if json_array "${toks[*]}"; then toks=("${JSON_OUT[@]}"); fi
  [ ${#toks[@]} -ge 2 ] || die "Dockerfile:$line: COPY needs a source and a destination"
  srcs=("${toks[@]:0:${#toks[@]}-1}") dest=${toks[-1]}
  if [ "$stage" = 0 ]; then root=$bfs; else root=$rt; fi
  [ "$stage" = 1 ] || [ -z "$chown$from" ] || die "Dockerfile:$line: COPY --from/--chown in the build stage is not replayed"
  [ -z "$from" ] || [ "$from" = "$build_ref" ] || die "Dockerfile:$line: COPY --from=$from: only --from=$build_ref (the build stage) is replayed"
  target=$root$(abs_dir "$wd" "$dest")
  if [[ $dest == */ || ${#srcs[@]} -gt 1 ]]; then mkdir -p "$target"; fi
  local made=() e
  for src in "${srcs[@]}"; do
    [[ $src != *[\*\?\[]* ]] || die "Dockerfile:$line: wildcards in COPY sources are not replayed"
    if [ -n "$from" ]; then
      [[ $src == /* ]] || die "Dockerfile:$line: COPY --from source '$src' must be an absolute path"
      srcpath=$bfs$src
      [ -e "$srcpath" ] || die "Dockerfile:$line: COPY --from=$from $src: the build stage did not produce it (build-stage RUN commands must write relative to WORKDIR)"
    else
      srcpath=$ctx/${src#/}
      [ -e "$srcpath" ] || die "Dockerfile:$line: COPY $src: not in the build context (after .dockerignore)"
    fi
    if [ -d "$srcpath" ]; then # a directory's contents go into the destination
      mkdir -p "$target"
      cp -a "$srcpath/." "$target/"
      for e in "$srcpath"/* "$srcpath"/.[!.]*; do [ -e "$e" ] && made+=("$target/${e##*/}"); done
    elif [ -d "$target" ]; then
      cp -p "$srcpath" "$target/"
      made+=("$target/${srcpath##*/}")
    else
      mkdir -p "$(dirname "$target")"
      cp -p "$srcpath" "$target"
      made+=("$target")
    fi
  done
  # New files belong to root unless --chown says otherwise (names resolved in the runtime root).
  if [ "$stage" = 1 ]; then
    for e in "${made[@]}"; do chroot "$rt" chown -R "${chown:-0:0}" "${e#"$rt"}"; done
  fi
  return 0
}

section "build stage, replayed in this root (WORKDIR and COPY mapped under $bfs)"
make_context
ok "build context: $(find "$ctx" -type f | wc -l) files (checkout minus .dockerignore)"
declare -A build_env=()
build_wd=/
for i in "${!I_CMD[@]}"; do
  [ "${I_STAGE[$i]}" = 0 ] || continue
  line=${I_LINE[$i]} cmd=${I_CMD[$i]} args=${I_ARGS[$i]}
  case $cmd in
    FROM) ;;
    WORKDIR) build_wd=$(abs_dir "$build_wd" "$args"); mkdir -p "$bfs$build_wd" ;;
    ENV) parse_env "$line" "$args"; for kv in "${ENV_OUT[@]}"; do build_env[${kv%%=*}]=${kv#*=}; done ;;
    COPY) do_copy 0 "$line" "$build_wd" "$args"; ok "COPY $args" ;;
    RUN)
      command_form "$args"
      envs=(PATH="$default_path" HOME=/root)
      for k in "${!build_env[@]}"; do envs+=("$k=${build_env[$k]}"); done
      log=$logs/build-line$line.log
      t0=$SECONDS
      echo "  ...   RUN $(short "$args")"
      if (cd "$bfs$build_wd" && exec env -i "${envs[@]}" "${ARGV_OUT[@]}") >"$log" 2>&1; then
        ok "RUN (Dockerfile:$line) in $((SECONDS - t0)) s"
      else
        show_log "$log"
        die "RUN (Dockerfile:$line) failed: $(short "$args")"
      fi
      ;;
    LABEL | EXPOSE | ENTRYPOINT | CMD | HEALTHCHECK) note "Dockerfile:$line: $cmd in the build stage has no effect on the image" ;;
    *) die "Dockerfile:$line: $cmd in the build stage is not replayed" ;;
  esac
done

# ---- 3. the runtime stage, in the copy --------------------------------------------------------------
# resolve_user SPEC: Docker's USER lookup in the runtime root -> U_UID U_GID U_HOME U_NAME U_GROUPS.
resolve_user() {
  local user=${1%%:*} group='' entry
  if [[ $1 == *:* ]]; then group=${1#*:}; fi
  if [[ $user =~ ^[0-9]+$ ]]; then
    entry=$(awk -F: -v u="$user" '$3 == u { print; exit }' "$rt/etc/passwd")
  else
    entry=$(awk -F: -v u="$user" '$1 == u { print; exit }' "$rt/etc/passwd")
    [ -n "$entry" ] || die "USER $1: no user '$user' in the runtime root's /etc/passwd"
  fi
  if [ -n "$entry" ]; then
    IFS=: read -r U_NAME _ U_UID U_GID _ U_HOME _ <<<"$entry"
  else
    U_NAME='' U_UID=$user U_GID=0 U_HOME=/
  fi
  if [ -n "$group" ]; then
    if [[ $group =~ ^[0-9]+$ ]]; then U_GID=$group; else
      U_GID=$(awk -F: -v g="$group" '$1 == g { print $3; exit }' "$rt/etc/group")
      [ -n "$U_GID" ] || die "USER $1: no group '$group' in the runtime root's /etc/group"
    fi
  fi
  U_GROUPS=''
  if [ -n "$U_NAME" ]; then
    U_GROUPS=$(awk -F: -v u="$U_NAME" '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $3 }' \
      "$rt/etc/group" | paste -sd, -)
  fi
}

# user_prefix: the setpriv command that becomes the current USER (empty for root) -> PREFIX.
user_prefix() {
  PREFIX=()
  if [ -z "$rt_user" ]; then U_UID=0 U_GID=0 U_NAME=root U_HOME=/root U_GROUPS='' HOME_DIR=/root; return 0; fi
  resolve_user "$rt_user"
  HOME_DIR=$U_HOME
  if [ "$U_UID" = 0 ] && [ "$U_GID" = 0 ] && [ -z "$U_GROUPS" ]; then return; fi
  PREFIX=(/usr/bin/setpriv --reuid="$U_UID" --regid="$U_GID")
  if [ -n "$U_GROUPS" ]; then PREFIX+=(--groups="$U_GROUPS"); else PREFIX+=(--clear-groups); fi
  PREFIX+=(--)
}

# rt_envs: the environment a process of the runtime stage gets -> ENVS.
rt_envs() {
  local k
  ENVS=(PATH="$default_path" HOSTNAME=docker-replay HOME="$HOME_DIR")
  for k in "${rt_env_order[@]}"; do ENVS+=("$k=${rt_env[$k]}"); done
}

# rt_command [PRE...] -- ARGV... -> RT_CMD: the command that runs ARGV in the runtime root, in its
# WORKDIR, as its USER, with its ENV; PRE (unshare, timeout) runs as root before the switch. Every
# step execs the next, so the pid of RT_CMD started in the background is the last one's.
rt_command() {
  local pre=()
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  user_prefix
  rt_envs
  RT_CMD=(chroot "$rt" /usr/bin/env -i "${ENVS[@]}" "${pre[@]}"
    /bin/sh -c 'cd -- "$1" || exit 125; shift; exec "$@"' sh "$rt_wd" "${PREFIX[@]}" "$@")
}
in_rt() { rt_command "$@"; "${RT_CMD[@]}"; }

section "runtime stage, replayed in the copy through chroot ($rt)"
declare -A rt_env=()
rt_env_order=() rt_wd=/ rt_user='' exposed=() hc_opts='' hc_cmd='' have_hc=0 entry_text='' cmd_text=''
for i in "${!I_CMD[@]}"; do
  [ "${I_STAGE[$i]}" = 1 ] || continue
  line=${I_LINE[$i]} cmd=${I_CMD[$i]} args=${I_ARGS[$i]}
  case $cmd in
    FROM | LABEL) ;;
    WORKDIR) rt_wd=$(abs_dir "$rt_wd" "$args"); mkdir -p "$rt$rt_wd" ;;
    ENV)
      parse_env "$line" "$args"
      for kv in "${ENV_OUT[@]}"; do
        k=${kv%%=*}
        [ -n "${rt_env[$k]+set}" ] || rt_env_order+=("$k")
        rt_env[$k]=${kv#*=}
      done
      ;;
    USER) rt_user=$args; resolve_user "$rt_user" ;;
    EXPOSE) for p in $args; do exposed+=("${p%/tcp}"); done ;;
    ENTRYPOINT) entry_text=$args ;;
    CMD) cmd_text=$args ;;
    HEALTHCHECK)
      have_hc=1
      re_hc='^((--[a-z-]+=[^[:space:]]+[[:space:]]+)*)(CMD|NONE)([[:space:]]+(.*))?$'
      [[ $args =~ $re_hc ]] || die "Dockerfile:$line: cannot read HEALTHCHECK"
      hc_opts=${BASH_REMATCH[1]} hc_cmd=${BASH_REMATCH[5]}
      [ "${BASH_REMATCH[3]}" = CMD ] || hc_cmd=''
      ;;
    COPY) do_copy 1 "$line" "$rt_wd" "$args"; ok "COPY $args" ;;
    RUN)
      command_form "$args"
      log=$logs/runtime-line$line.log
      t0=$SECONDS
      echo "  ...   RUN $(short "$args")"
      if in_rt -- "${ARGV_OUT[@]}" >"$log" 2>&1; then
        ok "RUN (Dockerfile:$line) in $((SECONDS - t0)) s"
      else
        show_log "$log"
        die "RUN (Dockerfile:$line) failed: $(short "$args")"
      fi
      ;;
    *) die "Dockerfile:$line: $cmd in the runtime stage is not replayed" ;;
  esac
done

declare -A rt_pkg_version=()
while read -r p v st; do [ "$st" = installed ] && rt_pkg_version[$p]=$v; done \
  < <(chroot "$rt" dpkg-query -W -f '${Package} ${Version} ${db:Status-Status}\n')
added=()
for p in $(printf '%s\n' "${!rt_pkg_version[@]}" | sort); do [ -n "${base_pkg[$p]:-}" ] || added+=("$p"); done
echo "  runtime image packages: ${#rt_pkg_version[@]} in all; the runtime stage added ${#added[@]} to the base:"
for p in "${added[@]}"; do printf '          %-28s %s\n' "$p" "${rt_pkg_version[$p]}"; done
devish=()
for p in "${added[@]}"; do
  case $p in *-dev | build-essential | gcc* | g++* | cpp* | cmake* | make | pkg-config | pkgconf*) devish+=("$p") ;; esac
done
if [ ${#devish[@]} -eq 0 ]; then ok "no build tools or -dev packages in the runtime image"; else bad "build packages in the runtime image: ${devish[*]}"; fi

# ---- 4. checks ---------------------------------------------------------------------------------------
section "runtime checks"
# The container's command: ENTRYPOINT (exec form takes CMD as arguments), else CMD.
if [ -n "$entry_text" ]; then
  if json_array "$entry_text"; then
    argv=("${JSON_OUT[@]}")
    if [ -n "$cmd_text" ]; then command_form "$cmd_text"; argv+=("${ARGV_OUT[@]}"); fi
  else
    argv=(/bin/sh -c "$entry_text")
  fi
elif [ -n "$cmd_text" ]; then
  command_form "$cmd_text"; argv=("${ARGV_OUT[@]}")
else
  die "the runtime stage has neither ENTRYPOINT nor CMD"
fi
echo "  container command: ${argv[*]}"

# The binary the command runs, found the way execvp would in the runtime root.
prog=${argv[0]} bin=''
if [[ $prog == /bin/sh && ${#argv[@]} -ge 3 ]]; then read -r prog _ <<<"${argv[2]}"; fi
path_value=${rt_env[PATH]:-$default_path}
if [[ $prog == */* ]]; then bin=$prog; else
  IFS=: read -ra dirs <<<"$path_value"
  for d in "${dirs[@]}"; do if [ -f "$rt$d/$prog" ] && [ -x "$rt$d/$prog" ]; then bin=$d/$prog; break; fi; done
fi
[ -n "$bin" ] && [ -x "$rt$bin" ] || die "'$prog' is not an executable in the runtime root (PATH $path_value)"
ok "'$prog' resolves to $bin in the runtime root"

# Libraries: every one resolves inside the runtime root; each one the binary links directly comes
# from a package the runtime stage installs or from the base image.
pkg_of() { # PATH inside the runtime root -> package name, or nothing
  local p=$1 real cand out
  real=$(chroot "$rt" readlink -f -- "$p" || true)
  for cand in "$p" "$real"; do
    [ -n "$cand" ] || continue
    for c in "$cand" "${cand#/usr}" "/usr$cand"; do
      out=$(chroot "$rt" dpkg-query -S -- "$c" 2>/dev/null | grep -v '^diversion' | head -n1 || true)
      if [ -n "$out" ]; then out=${out%%: *} out=${out%%,*}; echo "${out%%:*}"; return 0; fi
    done
  done
  return 0
}
declare -A needed=() wanted=()
if command -v readelf >/dev/null; then
  while read -r so; do needed[$so]=1; done \
    < <(readelf -d "$rt$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
else
  note "readelf missing: every library is treated as linked directly"
fi
for p in "${runtime_pkgs[@]}"; do wanted[$p]=1; done
declare -A used=()
ldd_out=$(chroot "$rt" /usr/bin/ldd "$bin" 2>&1) || { echo "$ldd_out" | sed 's/^/  | /'; die "ldd $bin failed in the runtime root"; }
while read -r l; do
  so='' path=''
  if [[ $l =~ ^([^[:space:]]+)[[:space:]]+=\>[[:space:]]+not\ found ]]; then
    bad "${BASH_REMATCH[1]}: not found in the runtime root (add its Debian package to the runtime stage)"
    continue
  elif [[ $l =~ ^([^[:space:]]+)[[:space:]]+=\>[[:space:]]+(/[^[:space:]]+) ]]; then
    so=${BASH_REMATCH[1]} path=${BASH_REMATCH[2]}
  elif [[ $l =~ ^(/[^[:space:]]+)[[:space:]]+\( ]]; then
    path=${BASH_REMATCH[1]} so=${path##*/}
  else
    continue # linux-vdso
  fi
  pkg=$(pkg_of "$path")
  direct=no
  if [ ${#needed[@]} -eq 0 ] || [ -n "${needed[$so]:-}" ]; then direct=yes; fi
  if [ -z "$pkg" ]; then
    bad "$so -> $path: no Debian package owns it"
  elif [ -n "${wanted[$pkg]:-}" ]; then
    used[$pkg]=1
    ok "$so -> $path ($pkg, installed by the runtime stage)"
  elif [ -n "${base_pkg[$pkg]:-}" ]; then
    ok "$so -> $path ($pkg, in the base image)"
  elif [ "$direct" = no ]; then
    ok "$so -> $path ($pkg, a dependency of the runtime stage's packages)"
  else
    bad "$so -> $path comes from $pkg, which the runtime stage does not name (it is only there as a dependency)"
  fi
done <<<"$ldd_out"
for p in "${runtime_pkgs[@]}"; do
  [ -n "${used[$p]:-}" ] || note "runtime package $p provides no library the binary loads"
done

# The server itself.
user_prefix
[ -n "$rt_user" ] && [ "$U_UID" != 0 ] && ok "USER $rt_user is uid $U_UID gid $U_GID${U_NAME:+ ($U_NAME)}, not root" \
  || bad "the runtime stage does not switch to a non-root USER"
[ ${#exposed[@]} -gt 0 ] && ok "EXPOSE ${exposed[*]}" || bad "the runtime stage EXPOSEs no port"
port=${exposed[0]:-4010}
port_hex=$(printf '%04X' "$port")
listening_on() { # PORT_HEX -> inodes of sockets listening on 0.0.0.0:PORT
  awk -v p="00000000:$1" '$2 == p && $4 == "0A" { print $10 }' /proc/net/tcp
}
busy=$(awk -v p=":$port_hex" 'substr($2, length($2) - 4) == p && $4 == "0A"' /proc/net/tcp /proc/net/tcp6 2>/dev/null || true)
[ -z "$busy" ] || die "something on this machine already listens on port $port; cannot replay"

pidns=()
if unshare --pid --fork true 2>/dev/null; then pidns=(/usr/bin/unshare --pid --fork); else
  note "unshare --pid is not permitted here: the server runs without its own PID namespace"
fi
out=$logs/container.stdout err=$logs/container.stderr
rt_command "${pidns[@]}" -- "${argv[@]}"
"${RT_CMD[@]}" >"$out" 2>"$err" &
launcher_pid=$!
for ((w = 0; w < start_wait * 10; w++)); do
  if grep -q 'listening on' "$out" 2>/dev/null || ! kill -0 "$launcher_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if ! grep -q 'listening on' "$out"; then
  show_log "$out"; show_log "$err"
  if kill -0 "$launcher_pid" 2>/dev/null; then die "the container did not start listening within $start_wait s"; fi
  rc=0; wait "$launcher_pid" || rc=$?
  launcher_pid=''
  die "the container exited with status $rc before listening"
fi
if [ ${#pidns[@]} -gt 0 ]; then
  server_pid=$(cat "/proc/$launcher_pid/task/$launcher_pid/children" 2>/dev/null | awk '{print $1}')
  if [ -z "$server_pid" ]; then
    server_pid=$(for s in /proc/[0-9]*/stat; do
      read -r st <"$s" 2>/dev/null || continue
      rest=${st##*) }; set -- $rest
      [ "$2" = "$launcher_pid" ] && { p=${s#/proc/}; echo "${p%/stat}"; }
    done | head -n1)
  fi
else
  server_pid=$launcher_pid
fi
[ -n "$server_pid" ] || die "cannot find the server's process"
ok "started: $(head -n1 "$out")"

status_file=/proc/$server_pid/status
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$status_file")
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$status_file")
groups=$(awk '/^Groups:/ { $1 = ""; print }' "$status_file" | xargs)
nspid=$(awk '/^NSpid:/ { print $NF }' "$status_file")
if [ "$uids" = "$U_UID $U_UID $U_UID $U_UID" ] && [ "$gids" = "$U_GID $U_GID $U_GID $U_GID" ]; then
  if [ "$U_UID" = 0 ]; then bad "the server runs as root"
  else ok "the server runs as uid $U_UID gid $U_GID (supplementary groups: ${groups:-none})"; fi
else
  bad "the server runs as uids '$uids' gids '$gids', expected $U_UID/$U_GID"
fi
if [ ${#pidns[@]} -gt 0 ]; then
  [ "$nspid" = 1 ] && ok "the server is PID 1 in its PID namespace, as in a container" || bad "the server is PID $nspid in its namespace, not 1"
fi
exe=$(readlink "/proc/$server_pid/exe" || true)
[ "$exe" = "$rt$bin" ] && ok "the process is the runtime root's $bin" || bad "the process runs $exe, not $rt$bin"
for k in "${rt_env_order[@]}"; do
  if tr '\0' '\n' <"/proc/$server_pid/environ" | grep -qxF -- "$k=${rt_env[$k]}"; then
    ok "ENV $k=${rt_env[$k]} reaches the server"
  else
    bad "ENV $k=${rt_env[$k]} is not in the server's environment"
  fi
done

url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$out" | head -n1)
if [[ $url == "http://0.0.0.0:$port" ]]; then ok "it says it listens on $url (every interface, the EXPOSEd port)"
else bad "it listens on '$url', not http://0.0.0.0:$port (EXPOSE ${exposed[*]})"; fi
sock_ok=0
for inode in $(listening_on "$port_hex"); do
  for fd in "/proc/$server_pid/fd"/*; do
    if [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ]; then sock_ok=1; fi
  done
done
[ "$sock_ok" = 1 ] && ok "its own socket listens on 0.0.0.0:$port (/proc/net/tcp)" || bad "no socket of the server listens on 0.0.0.0:$port"

# HEALTHCHECK: run as Docker does (inside the container, as its USER, with its ENV), under its
# --timeout, up to --retries times.
hc_timeout=30 hc_retries=3
for o in $hc_opts; do
  case $o in
    --timeout=*) hc_timeout=$(duration "${o#--timeout=}") || die "HEALTHCHECK $o: cannot read the duration" ;;
    --retries=*) hc_retries=${o#--retries=} ;;
  esac
done
run_healthcheck() {
  command_form "$hc_cmd"
  in_rt timeout "$hc_timeout" -- "${ARGV_OUT[@]}" >"$logs/healthcheck.log" 2>&1
}
if [ "$have_hc" = 0 ] || [ -z "$hc_cmd" ]; then
  bad "the runtime stage has no HEALTHCHECK command"
else
  hc_ok=0
  for ((a = 1; a <= hc_retries; a++)); do
    if run_healthcheck; then hc_ok=1; break; fi
    sleep 1
  done
  if [ "$hc_ok" = 1 ]; then ok "HEALTHCHECK passes (attempt $a of $hc_retries, --timeout ${hc_timeout}s, as uid $U_UID)"
  else show_log "$logs/healthcheck.log"; bad "HEALTHCHECK fails $hc_retries times in a row"; fi
fi

# GET /health from outside the container's processes.
http_get() ( # HOST PORT PATH -> "STATUS BODY"
  exec 9<>"/dev/tcp/$1/$2" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$3" "$1" "$2" >&9
  resp=$(timeout 5 cat <&9) || exit 1
  status=${resp%%$'\r'*}
  [[ $status =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] || exit 1
  printf '%s %s\n' "${BASH_REMATCH[1]}" "${resp#*$'\r\n\r\n'}"
)
answer=$(http_get 127.0.0.1 "$port" /health 2>/dev/null || true)
[ "${answer%% *}" = 200 ] && ok "GET http://127.0.0.1:$port/health -> ${answer}" \
  || bad "GET http://127.0.0.1:$port/health -> '${answer:-no answer}', expected 200"
other=$(awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' /proc/net/fib_trie 2>/dev/null | grep -v '^127\.' | sort -u | head -n1 || true)
if [ -n "$other" ]; then
  answer=$(http_get "$other" "$port" /health 2>/dev/null || true)
  [ "${answer%% *}" = 200 ] && ok "GET http://$other:$port/health -> 200 (reachable beyond loopback)" \
    || bad "GET http://$other:$port/health -> '${answer:-no answer}': not reachable beyond loopback"
else
  note "this machine has no non-loopback IPv4 address: reachability beyond loopback not tried"
fi

# docker stop: SIGTERM to PID 1, then SIGKILL after the grace period.
kill -TERM "$server_pid"
t0=$(date +%s%N)
for ((w = 0; w < stop_grace * 10; w++)); do
  kill -0 "$launcher_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$launcher_pid" 2>/dev/null; then
  bad "still running $stop_grace s after SIGTERM (docker stop would SIGKILL it)"
  kill -KILL "$server_pid" 2>/dev/null || true
fi
rc=0
wait "$launcher_pid" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
launcher_pid='' server_pid=''
[ "$rc" = 0 ] && ok "SIGTERM: exited with status 0 after $ms ms" || { show_log "$err"; bad "SIGTERM: exit status $rc"; }
if [ "$have_hc" = 1 ] && [ -n "$hc_cmd" ]; then
  if run_healthcheck; then bad "HEALTHCHECK still passes with the server stopped: it checks nothing"
  else ok "HEALTHCHECK fails once the server is gone"; fi
fi
echo "  server output:"
sed 's/^/  | /' "$out" "$err"
