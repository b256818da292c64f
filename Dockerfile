# customer-graph gateway: slim, non-root, with a health check. GraphiQL assets are vendored at build time.
FROM node:20-slim AS graphiql
WORKDIR /build/graphiql
COPY graphiql/package.json graphiql/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schema ./schema
COPY resolvers ./resolvers
COPY store ./store
RUN pip install --no-cache-dir . && useradd --system --uid 10001 --no-create-home gateway
COPY --from=graphiql /build/graphiql/node_modules ./graphiql/node_modules
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["python", "-m", "resolvers.cli", "serve"]
