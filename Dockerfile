# ftscope's Slack bot in HTTP mode, as Fly.io runs it (fly.toml; README "Deploy on Fly.io").
# The build context is this repository. The only network steps are the base image and
# `pip install` from the package index.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# The dependencies get a layer of their own, rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import subprocess, sys, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--no-cache-dir', *deps])"

# Then the package: the packages pyproject.toml lists, and the README it names as the
# long description.
COPY README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
COPY templates ./templates
RUN pip install --no-cache-dir . && rm -rf build

# Run as an unprivileged user. Fly mounts the volume at /data owned by the image's user;
# the directory also exists for a plain `docker run`.
RUN groupadd --gid 1000 ftscope \
    && useradd --uid 1000 --gid 1000 --no-create-home --shell /bin/sh ftscope \
    && mkdir -p /app /data \
    && chown ftscope:ftscope /app /data
WORKDIR /app
USER 1000:1000

EXPOSE 8080

# SQLite (one machine, the file on the volume): migrate, then serve. PostgreSQL: the release
# command migrates once per deploy; `ftscope serve` refuses an old schema, so machines starting
# together never race on a migration. `exec` makes the server the process that gets Fly's
# SIGTERM, which finishes the turns in flight before it exits.
CMD ["sh", "-c", \
     "case \"${DATABASE_URL:-sqlite}\" in sqlite*) ftscope db upgrade || exit ;; esac; exec ftscope serve --host 0.0.0.0 --port 8080"]
