# bodyseg serve in a container: the HTTP API and its page on port 8000.
#
#   docker build -t bodyseg .
#   docker run --rm -p 127.0.0.1:8000:8000 bodyseg                 # http://127.0.0.1:8000/
#   docker run --rm -p 127.0.0.1:8000:8000 --cpus 4 bodyseg bodyseg serve --host 0.0.0.0 --workers 4
#
# Every model ships inside the installed packages: the container needs no network at run time.
# There is no authentication: publish the port on 127.0.0.1, or put a proxy that has it in front.
FROM python:3.11-slim

# OpenCV (from mediapipe's opencv-contrib-python) loads libGL and GLib even when nothing is drawn.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libstdc++6 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
# The serve extra: fastapi, uvicorn, python-multipart, fastapi-offline (Swagger UI's files for /docs).
RUN pip install ".[serve]" && rm -rf /build

RUN useradd --create-home --uid 10001 bodyseg
USER bodyseg
WORKDIR /home/bodyseg

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

# --workers defaults to the CPUs the container may use (its cpuset, not a --cpus quota: pass --workers then).
CMD ["bodyseg", "serve", "--host", "0.0.0.0", "--port", "8000"]
