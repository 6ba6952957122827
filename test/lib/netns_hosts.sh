# netns_hosts.sh — hosts as network namespaces for multi-host tests (source it).
# hosts_create N PREFIX SUBNET makes namespaces PREFIX-h1..hN, each with one veth
# into a bridge PREFIX-br in the root namespace; host i has SUBNET.(10+i), the
# root namespace (where shale up, shaled and the clients run) SUBNET.1.
# host_cut I / host_heal I drop / restore every packet of host I (nft, inside its
# namespace, so the host keeps running but nothing reaches it or leaves it).
# hosts_destroy removes all of it; call it from the test's EXIT trap.

HOSTS_PREFIX=""
HOSTS_COUNT=0
HOSTS_SUBNET=""

hosts_create() {
  HOSTS_COUNT=$1 HOSTS_PREFIX=$2 HOSTS_SUBNET=$3
  local i
  ip link add "$HOSTS_PREFIX-br" type bridge
  ip addr add "$HOSTS_SUBNET.1/24" dev "$HOSTS_PREFIX-br"
  ip link set "$HOSTS_PREFIX-br" up
  for i in $(seq 1 "$HOSTS_COUNT"); do
    ip netns add "$HOSTS_PREFIX-h$i"
    ip link add "$HOSTS_PREFIX-v$i" type veth peer name eth0 netns "$HOSTS_PREFIX-h$i"
    ip link set "$HOSTS_PREFIX-v$i" master "$HOSTS_PREFIX-br" up
    ip -n "$HOSTS_PREFIX-h$i" addr add "$(host_address "$i")/24" dev eth0
    ip -n "$HOSTS_PREFIX-h$i" link set eth0 up
    ip -n "$HOSTS_PREFIX-h$i" link set lo up
  done
}

# host_address I: the address of host I.
host_address() {
  echo "$HOSTS_SUBNET.$((10 + $1))"
}

# on_host I COMMAND…: runs COMMAND inside host I's namespace.
on_host() {
  local i=$1
  shift
  ip netns exec "$HOSTS_PREFIX-h$i" "$@"
}

host_cut() {
  on_host "$1" nft -f - <<NFT
table inet $HOSTS_PREFIX-cut {
  chain input { type filter hook input priority -10; policy drop; iif "lo" accept; }
  chain output { type filter hook output priority -10; policy drop; oif "lo" accept; }
}
NFT
}

host_heal() {
  on_host "$1" nft delete table inet "$HOSTS_PREFIX-cut"
}

hosts_destroy() {
  local i
  [ -n "$HOSTS_PREFIX" ] || return 0
  for i in $(seq 1 "$HOSTS_COUNT"); do
    ip netns del "$HOSTS_PREFIX-h$i" 2>/dev/null || true
    ip link del "$HOSTS_PREFIX-v$i" 2>/dev/null || true
  done
  ip link del "$HOSTS_PREFIX-br" 2>/dev/null || true
}
