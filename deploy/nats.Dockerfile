# NATS JetStream image from Debian 12's own nats-server package (2.9.10, the
# version the cluster tests run against), for deploy/k8s/nats.yaml:
#   docker build -f deploy/nats.Dockerfile -t exportscreen-nats:dev deploy
FROM debian:12-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 nats
USER 10002
EXPOSE 4222 6222 8222
ENTRYPOINT ["nats-server"]
