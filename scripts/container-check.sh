#!/usr/bin/env bash
# Builds the container image from deploy/Dockerfile with podman, starts it
# and checks it as a user of it would: it serves the API and the web client,
# runs as the non-root user, and keeps its data in the /data volume across
# a restart. Everything it starts it removes again.
#
# The Dockerfile's base images come from public registries. Where those are
# out of reach (CI), stand-ins are made locally and passed as build
# arguments: the Go toolchain of this machine with a static busybox for the
# builder, and a root of /etc/passwd (nonroot, 65532), /etc/group and CA
# certificates for the runtime, which is what distroless/static holds. Give
# ALMANAC_GO_IMAGE and ALMANAC_BASE_IMAGE to build on real ones instead.
#
# Needs podman, runc and busybox-static (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
tag="localhost/almanac:check-$$"
name="almanac-check-$$"
volume="almanac-check-data-$$"
port=${ALMANAC_CONTAINER_PORT:-18390}

# Some hosts (nested virtual machines) refuse to set a container's rlimits;
# podman then needs to set none, and runc copes where crun does not.
printf '[containers]\ndefault_ulimits = []\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
runtime=(--runtime "${ALMANAC_CONTAINER_RUNTIME:-runc}")

cleanup() {
	podman rm -f "$name" >/dev/null 2>&1 || true
	podman volume rm -f "$volume" >/dev/null 2>&1 || true
	podman rmi -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

standin_images() {
	local goroot root
	goroot=$(go env GOROOT)
	root="$work/go-root"
	mkdir -p "$root/bin" "$root/tmp" "$root/etc/ssl/certs"
	cp "$(command -v busybox)" "$root/bin/busybox"
	for applet in sh mkdir chown chmod cp ls cat env; do ln -s busybox "$root/bin/$applet"; done
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	chmod 1777 "$root/tmp"
	tar -C "$(dirname "$goroot")" -cf "$work/go.tar" --transform "s|^$(basename "$goroot")|usr/local/go|S" "$(basename "$goroot")"
	tar -C "$root" -rf "$work/go.tar" .
	podman import --change 'ENV PATH=/usr/local/go/bin:/bin' --change 'ENV GOPATH=/go' \
		"$work/go.tar" localhost/almanac-standin-go:1 >/dev/null

	root="$work/static-root"
	mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	chmod 1777 "$root/tmp"
	chown 65532:65532 "$root/home/nonroot"
	tar -C "$root" -cf - . | podman import - localhost/almanac-standin-static:1 >/dev/null
	ALMANAC_GO_IMAGE=localhost/almanac-standin-go:1
	ALMANAC_BASE_IMAGE=localhost/almanac-standin-static:1
}

if [ -z "${ALMANAC_GO_IMAGE:-}" ] || [ -z "${ALMANAC_BASE_IMAGE:-}" ]; then
	echo "container: making stand-in base images"
	standin_images
fi

echo "container: building $tag"
start=$(date +%s)
podman build "${runtime[@]}" --network host -f deploy/Dockerfile \
	--build-arg GO_IMAGE="$ALMANAC_GO_IMAGE" --build-arg BASE_IMAGE="$ALMANAC_BASE_IMAGE" \
	-v "$(go env GOCACHE):/root/.cache/go-build" -t "$tag" . >"$work/build.log" 2>&1 ||
	{ tail -30 "$work/build.log"; exit 1; }
echo "container: built in $(($(date +%s) - start)) s, $(podman image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}')"

url="http://127.0.0.1:$port"
run() {
	podman run -d "${runtime[@]}" --name "$name" -p "127.0.0.1:$port:8080" -v "$volume:/data" "$tag" >/dev/null
	for _ in $(seq 60); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] && return
		sleep 0.5
	done
	podman logs "$name" | tail -20
	echo "container: not ready"; exit 1
}
fail() { echo "container: $*"; podman logs "$name" 2>&1 | tail -20; exit 1; }

run
user=$(podman top "$name" huser | tail -1)
[ "$user" = 65532 ] || fail "runs as $user, want 65532"
curl -sf "$url/" | grep -q '<div id="app"\|<script' || fail "no web client at /"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"name":"kim","email":"kim@example.com","password":"correct horse"}' "$url/api/v1/users/register")
[ "$code" = 201 ] || fail "register: $code"

# The account lives in the volume: a new container on it still has it.
podman rm -f "$name" >/dev/null
run
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"login":"kim","password":"correct horse"}' "$url/api/v1/users/login")
[ "$code" = 200 ] || fail "login after a new container on the same volume: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u kim:'correct horse' -X PROPFIND -H 'Depth: 0' "$url/dav/calendars/kim/")
[ "$code" = 207 ] || fail "CalDAV PROPFIND: $code"
echo "container: ok (non-root, web client, API, CalDAV, data kept in the volume across containers)"
