# imgmock container image: build on Debian 12, run on Debian 12 with only the runtime libraries.
#
#   docker build -t imgmock .
#   docker run --rm -p 4010:4010 imgmock [IMGMOCK OPTIONS]      e.g. --api-key sk-test --quiet
#
# Every option can also be given as an environment variable (docker run -e IMGMOCK_API_KEY=...);
# see `docker run --rm imgmock --help`.
#
# There is no Docker engine on the project's machines: scripts/docker-replay.sh proves this file
# by replaying it in a fresh Debian 12 root. It reads this file, so keep it in the plain style it
# understands: two stages FROM debian:bookworm-slim, shell-form RUN, ENV KEY=VALUE, exec-form
# ENTRYPOINT, build-stage RUN commands that work relative to WORKDIR.

# ---- build stage ----------------------------------------------------------------------------
FROM debian:bookworm-slim AS build

# The same Debian packages as scripts/setup.sh's build_packages.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libcivetweb-dev libjansson-dev libdeflate-dev libstb-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# The same CMake build as `scripts/setup.sh build`: tests are not configured (they need python3,
# which the image has no use for).
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGMOCK_WERROR=ON -DBUILD_TESTING=OFF \
 && cmake --build build -j "$(nproc)"

# ---- runtime stage --------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# Only the shared libraries the binary links against (ldd build/imgmock, then dpkg -S):
#   libcivetweb.so.1 -> libcivetweb1, libjansson.so.4 -> libjansson4, libdeflate.so.0 -> libdeflate0,
#   libc.so.6 -> libc6 (base). docker-replay.sh fails unless every library the binary needs comes
#   from a package named here or from the base image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcivetweb1 libjansson4 libdeflate0 \
 && rm -rf /var/lib/apt/lists/*

# A fixed, numeric, non-root identity (USER is numeric so that Kubernetes' runAsNonRoot can
# verify it without reading /etc/passwd).
RUN groupadd --system --gid 10001 imgmock \
 && useradd --system --uid 10001 --gid imgmock --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin imgmock

COPY --from=build /src/build/imgmock /usr/local/bin/imgmock

USER 10001:10001

# The default host is 127.0.0.1, which nothing outside the container can reach.
ENV IMGMOCK_HOST=0.0.0.0
EXPOSE 4010

# GET /health with bash's /dev/tcp: bash is Essential in Debian, so it is always in the image and
# the check costs no package (curl would add libcurl and about a dozen libraries; busybox or wget
# would be one more package for one request). HTTP/1.0 makes the server close the connection after
# the answer; the check passes only on a "HTTP/1.x 200" status line. The port follows
# IMGMOCK_PORT if it is set with -e; a port given as --port on the command line needs
# --health-cmd adjusted to match.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${IMGMOCK_PORT:-4010} && printf 'GET /health HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && [[ $status == HTTP/1.?' 200 '* ]]"]

ENTRYPOINT ["imgmock"]
