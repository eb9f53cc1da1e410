# The platform's one image: web (gunicorn), Celery worker and Celery beat run from it.
FROM python:3.11-slim-bookworm

# Pango for WeasyPrint; Liberation (Times-metric) and DejaVu fonts so orders embed a Cyrillic serif.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core \
      postgresql-client curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The package is installed (no PYTHONPATH); templates, tenants and migrations stay in /app.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=touchpoints \
    TOUCHPOINTS_ENV=production \
    TOUCHPOINTS_ROOT_DIR=/app

COPY pyproject.toml ./
COPY platform ./platform
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY . .

RUN useradd --system --home /app touchpoints && mkdir -p /app/instance && chown touchpoints /app/instance
USER touchpoints
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "touchpoints:create_app()"]
