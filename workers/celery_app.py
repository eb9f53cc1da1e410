"""The Celery application, built from the Flask application so tasks share its configuration.

celery -A workers.celery_app worker --loglevel=info
celery -A workers.celery_app beat --loglevel=info      # exactly one beat process
"""

from touchpoints import create_app

flask_app = create_app()
celery = app = flask_app.extensions["celery"]
