# cancel-conformance as a container image: the binary alone, with the suite
# (cases, rules, schemas) built into it.
#
#   docker build -t cancel-conformance .
#   docker run --rm cancel-conformance run                     # the whole suite, embedded server
#   docker run --rm --network host cancel-conformance run --endpoint http://127.0.0.1:8080
#   docker run --rm -v "$PWD/reports:/reports" cancel-conformance run --junit /reports/r.xml
#
# Both architectures from one file (the base images are multi-arch):
#   docker buildx build --platform linux/amd64,linux/arm64 -t cancel-conformance .

# The build stage: the toolchain the crate's rust-version asks for, or newer.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --package cancel-conformance --bin cancel-conformance \
 && strip target/release/cancel-conformance \
 && target/release/cancel-conformance --version

# The final image: glibc and CA certificates, no shell, no package manager,
# running as an unprivileged user. Only the binary is copied in.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/cancel-conformance /usr/local/bin/cancel-conformance
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/cancel-conformance"]
CMD ["run"]
