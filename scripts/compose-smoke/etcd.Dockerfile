# Stand-in for quay.io/coreos/etcd, named quantun-local/etcd: Debian
# bookworm's etcd-server and etcd-client (3.4, the version the project's
# tests run against), `etcd` and `etcdctl` on the PATH as in the real image.
# The compose file gives the whole command line.
FROM quantun-local/debian-base:bookworm
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null \
    && rm -rf /var/lib/apt/lists/*
ENV ETCDCTL_API=3
EXPOSE 2379 2380
CMD ["etcd"]
