# Builds the daemon with the official Swift image and runs it from a slim one.
FROM swift:6.3-noble AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product whistle --static-swift-stdlib \
 && mkdir -p /staging/bin && cp "$(swift build -c release --show-bin-path)/whistle" /staging/bin/

FROM ubuntu:noble
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app whistle
WORKDIR /app
COPY --from=build /staging/bin/whistle /app/bin/whistle
COPY sql /app/sql
COPY config /app/config
ENV WHISTLE_SQL_DIR=/app/sql WHISTLE_CONFIG_DIR=/app/config WHISTLE_HTTP_HOST=0.0.0.0 WHISTLE_HTTP_PORT=8080
USER whistle
EXPOSE 8080
ENTRYPOINT ["/app/bin/whistle"]
CMD ["serve"]
