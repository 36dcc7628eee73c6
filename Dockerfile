# syntax=docker/dockerfile:1
# StarSync: multi-stage build (SDK -> ASP.NET runtime), runs as a non-root user that honours PUID/PGID.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig ./
COPY src/StarSync/StarSync.csproj src/StarSync/
# IncludeDemo=false: the image carries the app only. The emulated Plex behind --demo (src/StarSync.PlexEmulator) is
# not copied, referenced or published; tests/StarSync.Tests/Shipping/ProductionBuildTests.cs repeats these steps.
RUN dotnet restore src/StarSync/StarSync.csproj -p:IncludeDemo=false
COPY src/StarSync/ src/StarSync/
RUN dotnet publish src/StarSync/StarSync.csproj -c Release -o /app --no-restore -p:IncludeDemo=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl answers the HEALTHCHECK; setpriv (util-linux, already in the image) drops root in the entrypoint.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
COPY deploy/entrypoint.sh /entrypoint.sh
RUN chmod 0755 /entrypoint.sh
ENV CONFIG_DIR=/config \
    LOGS_DIR=/config/logs \
    PORT=5454 \
    PUID=1000 \
    PGID=1000 \
    DOTNET_NOLOGO=1
VOLUME ["/config"]
EXPOSE 5454
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}${URL_BASE}/health" || exit 1
ENTRYPOINT ["/entrypoint.sh"]
CMD ["dotnet", "/app/StarSync.dll"]
