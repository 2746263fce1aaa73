# syntax=docker/dockerfile:1
# Two stages: the build stage installs frontdesk and its dependencies into a virtualenv; the
# runtime stage copies only that virtualenv and runs as an unprivileged user. The source tree,
# tests, .git and .env never reach the image (.dockerignore, and only /opt/venv is copied).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
# `pip install .` (not -e): the package ships its migrations and the demo clinic (app/demo).
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 frontdesk \
 && useradd --system --uid 10001 --gid frontdesk --home-dir /srv/frontdesk --create-home frontdesk \
 && mkdir -p /var/lib/frontdesk/metrics \
 && chown -R frontdesk:frontdesk /var/lib/frontdesk
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/frontdesk
USER frontdesk
EXPOSE 8000
# Liveness with the standard library (the slim image has no curl).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["frontdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
