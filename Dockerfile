FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY . .
# The planning worker needs the `planning` extra (gwemopt); build with
# --build-arg ICARE_EXTRAS= for a smaller image without it.
ARG ICARE_EXTRAS=planning
RUN pip install --no-cache-dir -e ".[${ICARE_EXTRAS}]" && python -c "import icare_tom"
EXPOSE 8000
# Open pages keep a live stream (the bell, the queue): one thread each, not one worker.
CMD ["gunicorn", "icare_tom.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "64"]
