# Shared by scripts/demo and scripts/test: installs what Spotter needs on Debian and points
# cargo at a target directory outside the clone, so a rebuild reuses earlier work.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spotter/target}
mkdir -p "$CARGO_TARGET_DIR"
# Bevy on Mesa's software Vulkan (lavapipe) when there is no GPU.
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/spotter-xdg}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The headset's optional parts every build here compiles (the OpenXR mode, whose loader is
# opened at run time, and the Video4Linux2 camera, whose bindings need libclang-dev): one set
# for the demo, the tests and the benchmarks, since a build with another resolves other
# features for the shared dependencies and rebuilds Bevy (about 25 minutes here).
HEADSET_FEATURES=spotter-headset/xr,spotter-headset/camera
build_all() { cargo build --quiet --workspace --all-targets --features "$HEADSET_FEATURES"; }

# install_apt PKG... : installs the Debian packages that are missing.
install_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "Missing Debian packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  say "Installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

require() {
  command -v "$1" >/dev/null || { echo "Spotter needs $1: $2" >&2; exit 1; }
}

# What building and running Spotter needs from Debian: compilers for the C and C++ inside
# crates (OpenH264, aws-lc, libopus), cmake for libopus, nasm for OpenH264's fast paths,
# Vulkan with Mesa's software renderer (lavapipe) for Bevy when there is no GPU, libclang for
# the camera's Video4Linux2 bindings (every build has the camera feature, see build_all).
BASE_PACKAGES=(build-essential pkg-config nasm cmake curl mesa-vulkan-drivers libvulkan1 libclang-dev)

check_toolchain() {
  require cargo "install Rust from rustup.rs"
  require node "install Node.js 20.19 or newer (nodejs.org or your distribution)"
  require npm "install npm (it comes with Node.js)"
  # Vite 8 and ESLint 10 need Node 20.19+ (or 22.12+).
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "Spotter's web tooling needs Node.js 20.19 or newer; this is $(node --version)" >&2; exit 1; }
}

# The web client, built into client-web/dist for the server to serve. `build_web clean` always
# installs from the lock file (what CI does, so a lock file out of step with package.json fails
# here first); plain `build_web` reuses node_modules when it is newer than the lock file.
build_web() {
  say "Building the web client"
  (cd "$ROOT/client-web" && {
    [ "${1:-}" != clean ] && [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
      npm ci --no-audit --no-fund --loglevel=error
  } && npm run --silent build)
}

# wait_for_url URL SECONDS
wait_for_url() {
  local deadline=$((SECONDS + $2))
  until curl -fsS "$1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $1" >&2; return 1; }
    sleep 0.5
  done
}

# A random admin key for a server this script starts.
new_admin_key() {
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# invite BASE_URL ADMIN_KEY ROOM ROLE FIELD : asks the server's admin API for an invite and
# prints one field of it (`token` for the headset, `url` for a browser).
invite() {
  curl -fsS -X POST "$1/api/admin/rooms/$3/invites" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' -d "{\"role\":\"$4\"}" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s)[process.argv[1]]))' "$5"
}

# start_link NAMESPACE HOST_IP NS_IP CONTROL_FILE SETTINGS LOG : an emulated link (spotter-link)
# between this host and a new network namespace, with SETTINGS in its control file; waits until
# it is up and adds its pid to LINKS.
start_link() {
  ip netns del "$1" 2>/dev/null || true
  printf '%s\n' "$5" >"$4"
  "$CARGO_TARGET_DIR/debug/spotter-link" --netns "$1" --host-ip "$2" --ns-ip "$3" --control "$4" >"$6" 2>&1 &
  LINKS+=($!)
  for _ in $(seq 50); do grep -q ready "$6" && break; sleep 0.1; done
  grep -q ready "$6" || { echo "the emulated link to $1 did not come up" >&2; cat "$6" >&2; exit 1; }
}

# bench_netns NAME : a network namespace of the benchmark's own, with loopback and a veth
# pair, one end at $BENCH_IP. Janus never offers loopback candidates, so both servers and
# every peer use that address; the traffic never leaves the namespace. Needs root.
BENCH_IP=10.99.0.1
bench_netns() {
  [ "$(id -u)" -eq 0 ] || { echo "the benchmark runs in a network namespace of its own: run it as root" >&2; return 1; }
  ip netns del "$1" 2>/dev/null || true
  ip netns add "$1" || return 1
  ip -n "$1" link set lo up || return 1
  ip -n "$1" link add bench0 type veth peer name bench1 || return 1
  ip -n "$1" addr add "$BENCH_IP/24" dev bench0 || return 1
  ip -n "$1" link set bench0 up || return 1
  ip -n "$1" link set bench1 up || return 1
}
